from desktop.lessons.lesson import Lesson

CODE = '''\
import torch

X = torch.tensor([[1.0], [2.0], [3.0]])          # data: nothing to learn here
Y = torch.tensor([[3.0], [5.0], [7.0]])          # targets, on the line y = 2x + 1
w = torch.tensor([[1.0]], requires_grad=True)    # parameters: made by us, to be learned
b = torch.tensor([[0.0]], requires_grad=True)

Y_hat = X @ w + b
loss = ((Y_hat - Y) ** 2).mean()
loss.backward()

for name, t in [("X", X), ("Y", Y), ("w", w), ("b", b), ("Y_hat", Y_hat), ("loss", loss)]:
    fn = t.grad_fn.name() if t.grad_fn is not None else None
    print(f"{name:6} is_leaf={t.is_leaf!s:5}  requires_grad={t.requires_grad!s:5}  grad_fn={fn}")
print("w.grad:", w.grad, "  b.grad:", b.grad)
'''

LESSON = Lesson(
    id="leaf-nodes",
    title="Leaf tensors, and which ones keep .grad",
    code=CODE,
    explanation="""\
A leaf is a tensor that no recorded operation produced: you created it. Data such as X and Y \
are leaves, and so are the parameters w and b. Y_hat and loss came out of operations on \
tensors that require grad, so they are not leaves: they have a grad_fn.

backward() computes the gradient for every tensor on the way, but stores it in `.grad` only \
for leaves that require grad. Those are the things you train, and keeping every intermediate \
gradient would waste memory. So after backward, w.grad and b.grad hold numbers, while \
Y_hat.grad and loss.grad are None (PyTorch even warns when you read them), and X.grad, Y.grad \
are None because nobody asked for them.

By hand: Y_hat = [1, 2, 3], errors = [-2, -3, -4], loss = 29/3. dloss/dY_hat = (2/3)·errors, \
so b.grad = -6 and w.grad = (2/3)·(-2·1 - 3·2 - 4·3) = -40/3.""",
    watch=(
        "The inspector's is_leaf and requires_grad columns for each tensor.",
        "During backward: gradients flow through Y_hat's node but are stored only on w and b.",
        "After backward: w.grad = -13.33, b.grad = -6; Y_hat.grad and loss.grad stay None.",
    ),
    expected=(
        ("loss", 29 / 3),
        ("w.grad", [[-40 / 3]]),
        ("b.grad", [[-6.0]]),
        ("[t.is_leaf for t in (X, Y, w, b, Y_hat, loss)]",
         "[True, True, True, True, False, False]"),
        ("X.grad", None),
        ("Y.grad", None),
        ("Y_hat.grad", None),
        ("loss.grad", None),
    ),
)
