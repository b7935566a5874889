from desktop.lessons.lesson import Lesson

CODE = '''\
import torch

# Three samples with two features each, and their targets.
X = torch.tensor([[1.0, 2.0],
                  [0.0, 1.0],
                  [2.0, 0.0]])
Y = torch.tensor([[4.0], [2.0], [5.0]])

w = torch.tensor([[1.0, 1.0]], requires_grad=True)
b = torch.tensor([[0.5]], requires_grad=True)

Y_hat = X @ w.t() + b      # the numbers exist as soon as this line has run
print("Y_hat:", Y_hat.detach().flatten())

residual = Y_hat - Y
loss = (residual ** 2).mean()
print("loss:", loss.item())
print("w.grad before any backward():", w.grad)
'''

LESSON = Lesson(
    id="forward-runs-now",
    title="The forward pass runs line by line",
    code=CODE,
    explanation="""\
PyTorch builds its computation graph while your code runs. There is no separate "define the \
model, then run it" phase: the line `Y_hat = X @ w.t() + b` computes Y_hat on the spot, and at \
the same moment records how Y_hat was made, so that gradients can be found later.

Each operation on a tensor that requires grad adds a node to the graph: the matrix product, \
the transpose, the addition. The result remembers its node in `grad_fn`. Nothing about the \
loss line changes Y_hat; it simply adds more nodes on top.

Gradients are a separate step. Until `backward()` is called, `w.grad` is None even though the \
loss is already known.""",
    watch=(
        "Step over the Y_hat line: its value appears in the inspector immediately.",
        "The graph view grows by a few nodes per line (TBackward0, MmBackward0, AddBackward0).",
        "X and Y stay plain constants: they do not require grad.",
        "w.grad is still None at the end: no backward() was called.",
    ),
    expected=(
        ("Y_hat", [[3.5], [1.5], [2.5]]),
        ("residual", [[-0.5], [-0.5], [-2.5]]),
        ("loss", 2.25),
        ("Y_hat.grad_fn.name()", "AddBackward0"),
        ("loss.grad_fn.name()", "MeanBackward0"),
        ("Y_hat.requires_grad", True),
        ("X.requires_grad", False),
        ("w.grad", None),
    ),
)
