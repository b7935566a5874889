from desktop.lessons.lesson import Lesson

CODE = '''\
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
h = x * x                  # an intermediate result, not a leaf

seen = []                  # the hook below records every gradient reaching h
handle = h.register_hook(lambda grad: seen.append(grad.clone()))
h.retain_grad()            # and this keeps it in h.grad after backward

out = (3 * h).sum()
out.retain_grad()
out.backward()

print("the hook saw:", seen[0])    # dout/dh = 3 everywhere
print("h.grad:", h.grad)
print("x.grad:", x.grad)           # dout/dx = 3 * 2x
handle.remove()                    # from now on the hook no longer fires

# A hook may also return a new gradient, which replaces the one flowing on.
y = torch.tensor(2.0, requires_grad=True)
y.register_hook(lambda grad: grad * 10)
(y * y).backward()                 # d(y*y)/dy = 2y = 4, then x10 by the hook
print("y.grad:", y.grad)
'''

LESSON = Lesson(
    id="retain-grad-hooks",
    title="Seeing intermediate gradients: retain_grad and register_hook",
    code=CODE,
    explanation="""\
Non-leaf tensors lose their gradient once backward has passed through them. There are two \
ways to look at it anyway.

`t.retain_grad()` asks PyTorch to store the gradient in t.grad like for a leaf. It is the \
simplest choice when you want to inspect the value afterwards.

`t.register_hook(fn)` calls fn with the gradient when backward reaches t. Use it for logging \
(print the gradient, append it to a list), or return a tensor from fn to replace the gradient \
that flows further down the graph, as the second part does with y. register_hook returns a \
handle; `handle.remove()` takes the hook away.""",
    watch=(
        "In backward, the hook fires when the gradient reaches h: [3, 3, 3].",
        "h.grad is stored because of retain_grad; out.grad is 1 (the starting gradient).",
        "x.grad = 6x = [6, 12, 18].",
        "For y, the hook turns the gradient 4 into 40 before it is accumulated.",
    ),
    expected=(
        ("len(seen)", 1),
        ("seen[0]", [3.0, 3.0, 3.0]),
        ("h.grad", [3.0, 3.0, 3.0]),
        ("h.is_leaf", False),
        ("out.grad", 1.0),
        ("x.grad", [6.0, 12.0, 18.0]),
        ("y.grad", 40.0),
    ),
)
