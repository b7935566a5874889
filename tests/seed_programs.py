"""The seed article's example programs, one copy each for every test folder (tests/ has a
conftest.py, so pytest puts this folder on sys.path: ``from seed_programs import SEED_LINEAR``).

The ``SEED_*`` strings are whole scripts, as the desktop runs and steps through them: their
line numbers matter (the debugger tests assert on them). ``run_program`` runs one on the engine
in this process; ``MyReLU`` and ``relu_model`` are the article's custom Function and its model
as Python objects, for tests that call them directly.
"""

from __future__ import annotations

import builtins

# 1.1 / 1.3.1: y = w x + b, then backward (lines: 6 builds Y_hat, 7 the loss, 8 backward).
# The screenshot scripts show the same program and ship with the app, so the one copy is
# theirs, in the Qt-free desktop.examples (desktop code must not import tests/).
from desktop.examples import SEED as SEED_LINEAR

# 1.1: backward a second time through the freed graph (line 9 fails).
SEED_TWICE = SEED_LINEAR.replace("print(w.grad, b.grad)\n", "print(w.grad)\nloss.backward()\n")

# 1.3.3: a hook on Y_hat (line 7) and retain_grad on loss (line 9).
SEED_HOOKS = (
    SEED_LINEAR
    .replace("loss = ", "Y_hat.register_hook(lambda grad: print('Y_hat grad: ', grad))\nloss = ")
    .replace("loss.backward()\nprint(w.grad, b.grad)\n",
             "loss.retain_grad()\nloss.backward()\nprint(loss.grad)\n"))

# 1.2: the custom Function, as it stands in SEED_RELU from line 2.
MY_RELU_CLASS = """\
class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)
    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input
"""

# 1.2: a custom Function (forward lines 4-5, backward lines 8-11).
SEED_RELU = "import torch\n" + MY_RELU_CLASS + """\
w = torch.tensor([[3.0, 1.0]], requires_grad=True)
b = torch.tensor([[3.0]], requires_grad=True)
X = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
Y = torch.tensor([[2.0, 3.0]])
relu = MyReLU.apply
Y_hat = relu(X @ w.t() + b)
loss = torch.mean(torch.pow(Y_hat - Y, 2))
loss.backward()
print(w.grad)
print(b.grad)
print(Y_hat.grad_fn)
"""

# 2.1: grad_tensors; w is reached through a and b (line 10 is backward).
SEED_GRAD_TENSORS = """\
import torch
w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y0 = torch.mul(a, b)
y1 = torch.add(a, b)
loss = torch.cat([y0, y1], dim=0)
grad_tensors = torch.tensor([1., 2.])
loss.backward(gradient=grad_tensors)
print(w.grad)
"""

# 2.2: autograd.grad, first and second derivative (lines 6 and 7).
SEED_HIGHER = """\
import torch
x = torch.tensor(0.0, requires_grad=True)
a = torch.tensor(1.0)
b = torch.tensor(-2.0)
c = torch.tensor(1.0)
y = a*torch.pow(x, 2) + b*x + c
dy_dx = torch.autograd.grad(y, x, create_graph=True)[0]
dy2_dx2 = torch.autograd.grad(dy_dx, x)[0]
print(dy_dx.data, dy2_dx2.data)
"""

# 2.2: several inputs and outputs (retain_graph on line 5).
SEED_MULTI = """\
import torch
x1 = torch.tensor(1.0, requires_grad=True)
x2 = torch.tensor(2.0, requires_grad=True)
y1 = x1*x2
y2 = x1 + x2
(dy1_dx1, dy1_dx2) = torch.autograd.grad(outputs=y1, inputs=[x1, x2], retain_graph=True)
(dy12_dx1, dy12_dx2) = torch.autograd.grad(outputs=[y1, y2], inputs=[x1, x2])
print(dy1_dx1, dy1_dx2, dy12_dx1, dy12_dx2)
"""


def run_program(source: str, filename: str = "<seed program>") -> dict:
    """Run a script on the engine here (its ``import torch`` gives ``engine``, as in the app);
    returns its globals."""
    import engine

    def _import(name, *args, **kwargs):
        return engine if name == "torch" else builtins.__import__(name, *args, **kwargs)

    namespace = {"__builtins__": {**vars(builtins), "__import__": _import},
                 "__name__": "__seed__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


MyReLU = run_program("import torch\n" + MY_RELU_CLASS)["MyReLU"]


def relu_model(fn):
    """SEED_RELU's model with the Function ``fn`` in MyReLU's place, backward done: w, b, Y_hat."""
    import engine as torch

    w = torch.tensor([[3.0, 1.0]], requires_grad=True)
    b = torch.tensor([[3.0]], requires_grad=True)
    X = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
    Y = torch.tensor([[2.0, 3.0]])
    Y_hat = fn.apply(X @ w.t() + b)
    loss = torch.mean(torch.pow(Y_hat - Y, 2))
    loss.backward()
    return w, b, Y_hat
