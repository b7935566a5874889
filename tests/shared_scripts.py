"""Scripts more than one test folder runs (``tests/`` is on sys.path, see seed_programs.py)."""

# A custom Function whose backward is wrong by a factor of 2: every check must disagree.
WRONG_RELU = """\
import torch

class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 2 * (x > 0).float()   # wrong: relu' is 1, not 2

x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
y = MyReLU.apply(x).sum()
y.backward()
"""

# An nn.Sequential called in a loop: module groups inside loop-iteration groups.
SEQUENTIAL_LOOP = """\
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
x = torch.randn(16, 4)
y = torch.randn(16, 1)
total = 0
for step in range(30):
    out = model(x)
    total = total + ((out - y) ** 2).mean()
total.backward()
"""
