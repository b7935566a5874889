"""Scripts shared by the desktop tests (imported as a plain module: pytest puts this folder
on sys.path)."""

# The seed article's y = wx + b example.
SEED = """\
import torch
w = torch.tensor([[3.0, 1.0]], requires_grad=True)
b = torch.tensor([[3.0]], requires_grad=True)
X = torch.randn(10, 2)
Y = torch.randn(10, 1)
Y_hat = X @ w.t() + b
loss = torch.mean(torch.pow(Y_hat - Y, 2))
loss.backward()
print(w.grad, b.grad)
"""
