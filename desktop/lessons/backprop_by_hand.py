from desktop.lessons.lesson import Exercise, Expect, ExpectOutput, Lesson

CODE = '''\
import torch

# A two-layer network on a small batch, every intermediate kept so we can check it.
X = torch.tensor([[1.0, -2.0, 0.5],
                  [0.0, 1.0, -1.0],
                  [2.0, 0.5, 1.5],
                  [-1.0, -0.5, 2.0]])
Y = torch.tensor([[1.0], [0.0], [2.0], [-1.0]])
W1 = torch.tensor([[0.2, -0.3], [0.4, 0.1], [-0.5, 0.6]], requires_grad=True)
b1 = torch.tensor([0.1, -0.2], requires_grad=True)
W2 = torch.tensor([[0.7], [-0.8]], requires_grad=True)
b2 = torch.tensor([0.3], requires_grad=True)

Z = X @ W1 + b1              # [4, 2]
H = torch.tanh(Z)            # [4, 2]
Y_hat = H @ W2 + b2          # [4, 1]
diff = Y_hat - Y
loss = (diff ** 2).mean()
for t in (Z, H, Y_hat, diff):
    t.retain_grad()          # autograd keeps these grads so we can compare
loss.backward()

# Your backward pass: d<name> is dloss/d<name>, one line each, from the loss down.
ddiff = 2 * diff / diff.numel()
dY_hat = ddiff
dW2 = H.T @ dY_hat
db2 = dY_hat.sum(0)
dH = dY_hat @ W2.T
dZ = dH * (1 - H ** 2)
dW1 = X.T @ dZ
db1 = dZ.sum(0)


def cmp(name, mine, t):
    exact = torch.all(mine == t.grad).item()
    approx = torch.allclose(mine, t.grad)
    maxdiff = (mine - t.grad).abs().max().item()
    print(f"{name:6s} | exact: {str(exact):5s} | approximate: {str(approx):5s} | maxdiff: {maxdiff}")


for name, mine, t in [("diff", ddiff, diff), ("Y_hat", dY_hat, Y_hat), ("W2", dW2, W2),
                      ("b2", db2, b2), ("H", dH, H), ("Z", dZ, Z), ("W1", dW1, W1),
                      ("b1", db1, b1)]:
    cmp(name, mine, t)
'''

LESSON = Lesson(
    id="backprop-by-hand",
    title="Backprop by hand: write every gradient yourself",
    code=CODE,
    explanation="""\
The best way to understand backpropagation is to do it yourself. This network has two layers \
and a mean squared error. Autograd computes every gradient with `loss.backward()`; below it, \
the same gradients are written by hand, one line per tensor, from the loss down to the inputs.

Each line is the chain rule: the gradient arriving from above times the local derivative. \
A mean divides by the number of elements (the 1/N). A matrix product `H @ W2` sends \
`dY_hat @ W2.T` to H and `H.T @ dY_hat` to W2. tanh's derivative is `1 - tanh²`, which we \
have as `1 - H**2`. A bias added to every row was broadcast along the batch axis, so its \
gradient sums over that axis.

Try it: delete the right-hand sides and write them yourself. Run, and `cmp` prints for each \
tensor whether your gradient equals autograd's exactly or within float32 rounding. Tools → \
Check Hand-Derived Gradients names the first wrong line and the mistake (a transpose, a \
forgotten sum over the batch axis, a sign).""",
    watch=(
        "Each `cmp` line: exact True or within rounding, maxdiff near 0.",
        "db1 = dZ.sum(0): b1 was broadcast along the batch axis, so its gradient sums it.",
        "Predict mode (Debug menu) asks for each of these gradients while stepping backward.",
    ),
    expected=(
        ExpectOutput("W1     | exact:"),
        Expect("torch.allclose(dW1, W1.grad)", True),
        Expect("torch.allclose(db1, b1.grad)", True),
        Expect("torch.allclose(dW2, W2.grad)", True),
        Expect("torch.allclose(dZ, Z.grad)", True),
        Expect("tuple(dW1.shape)", "(3, 2)"),
    ),
    topic="training",
    exercises=(
        Exercise("loss", hint="a mean over 4 values: each gets 1/4"),
        Exercise("diff", input=0, hint="diff = Y_hat - Y: the gradient passes to Y_hat unchanged"),
        Exercise("H", hint="tanh'(Z) = 1 − H², times g"),
        Exercise("Z", input=1, hint="b1 was broadcast along the batch axis: sum g over dim 0"),
        Exercise("MmBackward0", input=1, hint="for A @ W the gradient of W is Aᵀ @ g"),
    ),
)
