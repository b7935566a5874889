from desktop.lessons.lesson import Lesson

CODE = '''\
import torch

torch.manual_seed(0)

a = torch.randn(3, 2, requires_grad=True)      # created by us: a leaf
print("a is_leaf:", a.is_leaf)

c = torch.randn(3, 2, requires_grad=True).reshape(2, 3)   # the result of reshape: not a leaf
print("c is_leaf:", c.is_leaf, " grad_fn:", c.grad_fn.name())

d = torch.randn(3, 2).reshape(2, 3).requires_grad_()      # reshape first, then ask for grad
print("d is_leaf:", d.is_leaf)

X = torch.randn(3, 2)
X2 = X * 2          # no input requires grad: nothing is recorded, X2 is a leaf too
print("X2 is_leaf:", X2.is_leaf, " grad_fn:", X2.grad_fn)

e = a.detach()      # same numbers as a, cut off from any graph: a new leaf without grad
print("e is_leaf:", e.is_leaf, " requires_grad:", e.requires_grad)

(c.sum() + d.sum()).backward()
print("d.grad:", d.grad)
'''

LESSON = Lesson(
    id="stop-being-leaf",
    title="How a tensor stops being a leaf",
    code=CODE,
    explanation="""\
Whether a tensor is a leaf depends on how it was made, not on what it holds. Any operation \
applied to a tensor that requires grad gives a non-leaf: even a reshape. That catches people \
out: `torch.randn(3, 2, requires_grad=True).reshape(2, 3)` looks like a parameter, but the \
leaf is the hidden tensor before the reshape, and the name c holds the reshaped result, whose \
.grad will stay None.

To get a leaf of the shape you want, do the shaping first and call `requires_grad_()` last. \
Operations on tensors that do not require grad record nothing, so their results are leaves \
(with requires_grad False). `detach()` returns a new leaf that shares the data but has left \
the graph.""",
    watch=(
        "The graph view: c hangs below a ViewBackward0 node whose input is an unnamed leaf.",
        "d is its own AccumulateGrad leaf, so backward stores d.grad (all ones).",
        "X2 adds no node at all: nothing needed a graph.",
        "c.grad stays None after backward; the unnamed leaf above it got the ones.",
    ),
    expected=(
        ("a.is_leaf", True),
        ("c.is_leaf", False),
        ("c.grad_fn.name()", "ViewBackward0"),
        ("d.is_leaf", True),
        ("X2.is_leaf", True),
        ("X2.grad_fn", None),
        ("e.is_leaf", True),
        ("e.requires_grad", False),
        ("d.grad", [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
        ("c.grad", None),
        ("a.grad", None),
    ),
    uses_random=True,
)
