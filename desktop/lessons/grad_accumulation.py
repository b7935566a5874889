from desktop.lessons.lesson import ExpectOutput, Lesson

CODE = '''\
import torch

w = torch.tensor(1.0, requires_grad=True)

for i in range(3):
    loss = (2 * w) ** 2           # dloss/dw = 8w = 8, and w does not change here
    loss.backward()
    print(f"after backward {i + 1}: w.grad = {w.grad.item()}")   # 8, 16, 24
accumulated = w.grad.clone()

w.grad.zero_()                     # what optimizer.zero_grad() does for every parameter
loss = (2 * w) ** 2
loss.backward()
fresh = w.grad.clone()             # 8 again

# Accumulating on purpose: the batch in two halves gives the gradient of the whole batch.
x = torch.tensor([1.0, 2.0, 3.0, 4.0])
w.grad = None
for part in (x[:2], x[2:]):
    (w * part).sum().backward()
print("two halves:", w.grad, " whole batch:", torch.autograd.grad((w * x).sum(), w)[0])
'''

LESSON = Lesson(
    id="grad-accumulation",
    title="Gradients add up: zero_grad and accumulation",
    code=CODE,
    explanation="""\
backward() does not overwrite .grad: it adds to it. Run it three times on the same loss and \
w.grad reads 8, then 16, then 24. That is why a training loop clears the gradients every \
step, with `optimizer.zero_grad()` or `w.grad.zero_()` (or by setting it to None).

The same rule is useful on purpose. When a batch is too big to process at once, run the \
forward and backward passes on parts of it and let the gradients add up before the update: \
the sum over two halves equals the gradient over the whole batch (here sum(x) = 10).""",
    watch=(
        "The inspector's w.grad after each backward: 8, 16, 24.",
        "During backward, the accumulation step shows w.grad += 8.",
        "After zero_(), the next backward starts again from 0.",
    ),
    expected=(
        ExpectOutput("after backward 2: w.grad = 16.0"),
        ("accumulated", 24.0),
        ("fresh", 8.0),
        ("w.grad", 10.0),
    ),
    topic="training",
)
