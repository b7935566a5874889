from desktop.lessons.lesson import Lesson

CODE = '''\
import torch

w = torch.tensor([1.0, -2.0], requires_grad=True)
x = torch.tensor([3.0, 1.0])

with torch.no_grad():
    y = w * x                  # computed, but nothing is recorded
print("inside no_grad:", y.requires_grad, y.grad_fn)

z = (w * x).detach()           # recorded, then cut loose: the same numbers, no graph
print("detached:", z.requires_grad, z.is_leaf)

# A target that must act as a constant: without detach, the gradient would flow into it too.
target = (2 * w).detach()
loss = ((w - target) ** 2).sum()   # d/dw = 2(w - target) = -2w = [-2, 4]
loss.backward()
print("w.grad:", w.grad)

with torch.no_grad():
    w -= 0.1 * w.grad              # an in-place update of a leaf is fine when nothing is recorded
print("updated w:", w)
'''

LESSON = Lesson(
    id="no-grad-detach",
    title="Switching the graph off: no_grad and detach",
    code=CODE,
    explanation="""\
Sometimes you want numbers without a graph: when evaluating a model, when updating \
parameters, or when a quantity should count as a constant.

Inside `with torch.no_grad():` operations run normally but record nothing: the results have \
requires_grad False and no grad_fn. It is also what makes `w -= lr * w.grad` legal on a leaf \
that requires grad.

`t.detach()` works on one tensor after the fact: it returns the same values as a new leaf \
that is not connected to the graph. Here the target 2w is detached, so the loss \
(w − target)² sees it as a constant and dloss/dw = 2(w − 2w) = −2w = [−2, 4]. Without detach \
the target would move with w, and the gradient would be 2w = [2, −4] instead.""",
    watch=(
        "The no_grad line adds no node to the graph view.",
        "The detach call: the graph stops at the detached tensor.",
        "w.grad = [-2, 4]; after the update w = [1.2, -2.4], still a leaf.",
    ),
    expected=(
        ("y.requires_grad", False),
        ("y.grad_fn", None),
        ("z.is_leaf", True),
        ("z.requires_grad", False),
        ("w.grad", [-2.0, 4.0]),
        ("w", [1.2, -2.4]),
        ("w.is_leaf", True),
        ("w.requires_grad", True),
    ),
    topic="training",
)
