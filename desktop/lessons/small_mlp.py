from desktop.lessons.lesson import Exercise, Lesson

CODE = '''\
import torch

# XOR: the output is 1 when exactly one input is 1. No straight line separates it.
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])

# Fixed starting weights, so every run (and real PyTorch) gives the same numbers.
W1 = torch.tensor([[0.5, -0.5, 0.3, -0.2],
                   [-0.4, 0.6, 0.2, 0.5]], requires_grad=True)
b1 = torch.zeros(4, requires_grad=True)
W2 = torch.tensor([[0.6], [0.7], [-0.5], [0.4]], requires_grad=True)
b2 = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([W1, b1, W2, b2], lr=0.5)

losses = []
for step in range(1000):
    H = torch.tanh(X @ W1 + b1)             # hidden layer: 4 units
    Y_hat = torch.sigmoid(H @ W2 + b2)      # output between 0 and 1
    loss = ((Y_hat - Y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
print("predictions:", Y_hat.detach().flatten())
'''

LESSON = Lesson(
    id="small-mlp",
    title="A small neural network learns XOR",
    code=CODE,
    explanation="""\
A multi-layer perceptron is the same recipe as linear regression with one more idea: put a \
non-linearity between two linear maps. With a hidden layer of four tanh units, the network \
can bend its decision boundary and solve XOR, which no single linear model can.

Nothing about autograd changes. The forward pass is longer, so the graph is deeper: matmul, \
add, tanh, matmul, add, sigmoid, then the loss. Backward walks it in reverse, and each \
parameter's gradient gathers everything downstream of it. W1's gradient passes through the \
tanh node, whose local slope 1 − tanh² shrinks it where units saturate.

The starting weights are written out so the run is reproducible; the predictions end close \
to 0, 1, 1, 0.""",
    watch=(
        "The graph of one step: two linear layers with tanh and sigmoid nodes between.",
        "Step through backward and watch the gradient shrink through TanhBackward0.",
        "The loss curve: slow for the first 50 steps, a fast drop by step 200 once the hidden "
        "units specialise, then a long tail.",
    ),
    expected=(
        ("losses[0]", 0.255181),
        ("losses[-1] < 0.005", True),
        ("losses[50] > 0.2 and losses[200] < 0.1", True),  # the curve's shape, as described
        ("Y_hat", [[0.0308], [0.9547], [0.9549], [0.0476]], 2e-3),
        ("((Y_hat > 0.5).float() == Y).all().item()", True),
    ),
    topic="training",
    exercises=(
        Exercise("Y_hat", hint="sigmoid'(z) = Y_hat·(1 − Y_hat), times g"),
        Exercise("H", hint="tanh'(z) = 1 − H², times g"),
        Exercise("b1", hint="b1 was broadcast over the 4 samples: sum g over the batch axis"),
    ),
)
