from desktop.lessons.lesson import ExpectError, ExpectOutput, Lesson

CODE = '''\
import torch

x = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)

try:
    x.add_(1)            # changing a leaf that requires grad, in place, outside no_grad
except RuntimeError as err:
    print("leaf:", err)

y = x.exp()              # ExpBackward0 saves its output y, because d/dx exp(x) = exp(x)
y2 = y + 1               # out of place: a new tensor, the saved y is untouched
y2.sum().backward()
print("x.grad:", x.grad)

y = x.exp()
y.add_(1)                # in place: overwrites the very tensor backward needs
y.sum().backward()       # fails: the saved y is no longer the y of the forward pass
'''

LESSON = Lesson(
    id="inplace-error",
    title="The in-place error",
    code=CODE,
    explanation="""\
Operations ending in an underscore (add_, mul_, zero_) change a tensor's memory instead of \
making a new tensor. Autograd has to be careful with them, for two reasons.

A leaf that requires grad may not be changed in place while recording: PyTorch cannot \
express "the tensor you created, before you changed it" in the graph. Wrap such updates in \
torch.no_grad().

A tensor saved for backward may not be changed in place either. exp saves its output, since \
the derivative of exp is exp itself. Every tensor carries a version counter that in-place \
operations increase; at backward time each node checks that its saved tensors still have the \
version it saw. After y.add_(1) it does not, and backward stops with an error naming the \
tensor and both versions. The fix: write y = y + 1.""",
    watch=(
        "The first in-place call is refused at once (the message is printed).",
        "With y + 1, x.grad = exp(x) = [1, 2.718, 7.389].",
        "The failing backward reaches ExpBackward0 and stops there with the version message.",
    ),
    expected=(
        ExpectOutput("a leaf Variable that requires grad is being used in an in-place operation"),
        ("x.grad", [1.0, 2.718282, 7.389056]),
        ("x", [0.0, 1.0, 2.0]),
        ExpectError("RuntimeError", "modified by an inplace operation", at="# fails: the saved"),
    ),
    topic="training",
)
