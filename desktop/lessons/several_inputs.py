from desktop.lessons.lesson import Exercise, Lesson

CODE = '''\
import torch

x1 = torch.tensor(3.0, requires_grad=True)
x2 = torch.tensor(4.0, requires_grad=True)
y1 = x1 * x2           # dy1/dx1 = x2 = 4,    dy1/dx2 = x1 = 3
y2 = x1 ** 2 + x2      # dy2/dx1 = 2*x1 = 6,  dy2/dx2 = 1

g1 = torch.autograd.grad(y1, [x1, x2], retain_graph=True)   # one output, two inputs
g12 = torch.autograd.grad([y1, y2], [x1, x2])              # two outputs: their sum
print("d y1:", g1)
print("d (y1 + y2):", g12)

z = torch.tensor(1.0, requires_grad=True)                   # takes no part in y3
y3 = 5 * x1
g3 = torch.autograd.grad(y3, [x1, z], allow_unused=True)
print("unused input gets:", g3[1])
'''

LESSON = Lesson(
    id="several-inputs",
    title="Several inputs and several outputs",
    code=CODE,
    explanation="""\
autograd.grad takes lists on both sides. With several inputs it returns one gradient per \
input, in the same order. With several outputs (and no grad_outputs) it returns the gradient \
of their sum: for x1 that is dy1/dx1 + dy2/dx1 = 4 + 6 = 10, for x2 it is 3 + 1 = 4.

The first call keeps the graph (retain_graph=True) because the second one goes through y1 \
again. If an input does not influence the output at all, PyTorch raises an error unless you \
pass `allow_unused=True`, in which case that input's gradient is None.""",
    watch=(
        "The graph has two roots, y1 and y2, sharing the leaves x1 and x2.",
        "In the second call, gradients from both roots meet at x1 and add up.",
        "z is not connected to y3: its gradient is None, not 0.",
    ),
    expected=(
        ("g1[0]", 4.0),
        ("g1[1]", 3.0),
        ("g12[0]", 10.0),
        ("g12[1]", 4.0),
        ("g3[0]", 5.0),
        ("g3[1]", None),
        ("x1.grad", None),
    ),
    exercises=(
        Exercise("y1", input=0, hint="y1 = x1 * x2: d/dx1 = x2 = 4"),
        Exercise("y1", input=1, hint="y1 = x1 * x2: d/dx2 = x1 = 3"),
        Exercise("PowBackward0", hint="d/dx1 x1² = 2·x1, with x1 = 3"),
    ),
)
