from desktop.lessons.lesson import Exercise, Lesson

CODE = '''\
import torch

# Hours studied, and whether the exam was passed (1) or not (0).
hours = torch.tensor([[0.5], [1.0], [1.5], [2.0], [3.0], [3.5], [4.0], [4.5]])
passed = torch.tensor([[0.0], [0.0], [0.0], [1.0], [0.0], [1.0], [1.0], [1.0]])

w = torch.zeros(1, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.5

losses = []
for step in range(500):
    p = torch.sigmoid(hours @ w + b)                 # probability of passing
    loss = -(passed * torch.log(p) + (1 - passed) * torch.log(1 - p)).mean()
    loss.backward()
    if step == 0:
        first_w_grad, first_b_grad = w.grad.clone(), b.grad.clone()
    with torch.no_grad():                            # the update itself is not part of the model
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    losses.append(loss.item())

boundary = -b.item() / w.item()                      # where p = 0.5
predicted = (torch.sigmoid(hours @ w + b) > 0.5).float()
accuracy = (predicted == passed).float().mean().item()
print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, boundary at {boundary:.2f} h, "
      f"accuracy {accuracy:.2f}")
'''

LESSON = Lesson(
    id="logistic-regression",
    title="Logistic regression, with the update written out",
    code=CODE,
    explanation="""\
Logistic regression squeezes wx + b through the sigmoid to get a probability, and measures \
the fit with the cross-entropy loss: −log p for a pass, −log(1 − p) for a fail.

This time there is no optimizer object: the update is written by hand inside \
`torch.no_grad()`, so that changing w in place is not itself recorded as part of the graph, \
and the gradients are zeroed by hand afterwards.

At the start p = 0.5 for everyone, the loss is log 2 = 0.693 and the gradient has a neat \
form: mean((p − y)·x). The passes and fails balance for b (gradient 0), while for w the \
passes sit at larger x, so dloss/dw = −0.5 pushes w up. Training ends with the boundary near \
2.5 hours; two students (2.0 h passed, 3.0 h failed) stay on the wrong side: a straight \
boundary cannot do better here.""",
    watch=(
        "Step 0: first_w_grad = -0.5 and first_b_grad = 0, as derived by hand.",
        "The no_grad block: no nodes are added for the updates.",
        "The loss curve flattens near 0.37: the data is not separable.",
    ),
    expected=(
        ("losses[0]", 0.693147),
        ("first_w_grad", [[-0.5]]),
        ("first_b_grad", [0.0]),
        ("boundary", 2.496, 1e-2),
        ("accuracy", 0.75),
        ("losses[-1] < 0.38", True),
        ("w.is_leaf", True),
    ),
    topic="training",
    exercises=(
        Exercise("p", hint="sigmoid'(z) = p·(1 − p); at the start w = b = 0, so p = 0.5"),
        Exercise("MmBackward0", input=1, hint="hours @ w: the gradient of w is hoursᵀ @ g"),
        Exercise("b", hint="b was broadcast over the 8 samples: its gradient sums them"),
    ),
)
