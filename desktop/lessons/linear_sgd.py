from desktop.lessons.lesson import Exercise, Lesson

CODE = '''\
import torch

# Points on the line y = 3x + 0.5, without noise: training should find w = 3 and b = 0.5.
X = torch.linspace(-1, 1, 21).reshape(-1, 1)
Y = 3 * X + 0.5

w = torch.zeros(1, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w, b], lr=0.3)

losses = []
for step in range(60):
    Y_hat = X @ w + b                   # forward: a new graph every step
    loss = ((Y_hat - Y) ** 2).mean()
    optimizer.zero_grad()               # clear last step's gradients
    loss.backward()                     # fill w.grad and b.grad
    optimizer.step()                    # w -= lr * w.grad; b -= lr * b.grad
    losses.append(loss.item())
    if step % 10 == 0:
        print(f"step {step:2d}  loss {loss.item():.6f}  w {w.item():.4f}  b {b.item():.4f}")
'''

LESSON = Lesson(
    id="linear-sgd",
    title="Training y = wx + b with SGD",
    code=CODE,
    explanation="""\
Everything so far comes together in a training loop. Each step runs the forward pass (which \
builds a fresh graph), clears the old gradients, runs backward (which fills w.grad and b.grad \
and frees the graph), and lets the optimizer move each parameter a little against its \
gradient: w ← w − lr · w.grad.

The loss starts at 3.55 (with w = b = 0 the prediction is 0 everywhere) and shrinks every \
step. b settles fast; w more slowly, because its gradient is scaled by the spread of the \
inputs. After 60 steps both are at the true values to four decimals.

The plots panel draws the loss curve by itself: it records the value of every tensor that \
backward() is called on. Try lr = 1.5 to watch the loss blow up instead.""",
    watch=(
        "The plots panel: one point per backward() call, falling towards 0.",
        "Each iteration the old graph is replaced by a new one of the same shape.",
        "w.grad and b.grad shrink as the fit improves: the steps get smaller.",
        "The Loss Landscape tab (beside the graph) shows (w, b) on the loss surface and, after "
        "a run, the path the 60 steps took; with a breakpoint inside the loop, each Continue "
        "moves the point one step downhill.",
    ),
    expected=(
        ("len(losses)", 60),
        ("losses[0]", 3.55),
        ("w", [[3.0]], 1e-3),
        ("b", [0.5], 1e-3),
        ("losses[-1] < 1e-6", True),
        ("all(later <= earlier for earlier, later in zip(losses, losses[1:]))", True),
    ),
    topic="training",
    exercises=(
        Exercise("loss", hint="a mean over 21 values: each gets 1/21 of the incoming 1"),
        Exercise("Y_hat", input=1, hint="b has one element, broadcast over 21 samples: sum g"),
        Exercise("MmBackward0", input=1, hint="Y_hat = X @ w: the gradient of w is Xᵀ @ g"),
    ),
)
