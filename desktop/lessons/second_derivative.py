from desktop.lessons.lesson import Exercise, Lesson

CODE = '''\
import torch

x = torch.tensor(2.0, requires_grad=True)
f = x ** 3 - 2 * x                                        # f(2) = 4

(df,) = torch.autograd.grad(f, x, create_graph=True)     # 3x^2 - 2 = 10, recorded as a graph
(d2f,) = torch.autograd.grad(df, x, create_graph=True)   # 6x = 12
(d3f,) = torch.autograd.grad(d2f, x)                     # 6

print("f =", f.item(), " df =", df.item(), " d2f =", d2f.item(), " d3f =", d3f.item())
'''

LESSON = Lesson(
    id="second-derivative",
    title="Second derivatives with autograd.grad(create_graph=True)",
    code=CODE,
    explanation="""\
`torch.autograd.grad(outputs, inputs)` returns gradients as new tensors instead of adding them \
into .grad. That makes it the tool for derivatives you want to use as values.

Normally the backward computation itself is not recorded. With `create_graph=True` it is: \
the returned derivative df has its own grad_fn, built from ordinary operations, so it can be \
differentiated again. Here f = x³ - 2x, f' = 3x² - 2, f'' = 6x, f''' = 6; at x = 2 they are \
4, 10, 12 and 6.

The last call leaves create_graph off, so d3f is a plain number with no graph. Note that \
x.grad stays None throughout: autograd.grad never touches .grad.""",
    watch=(
        "After the first grad call, df has a grad_fn: the backward pass was recorded.",
        "The graph view shows the derivative's nodes built on top of f's.",
        "Tools → Plot f, f′, f″ (Ctrl+Shift+F) draws f and its derivatives over a range, "
        "with sympy's closed forms.",
        "x.grad stays None: autograd.grad returns gradients instead of storing them.",
    ),
    expected=(
        ("f", 4.0),
        ("df", 10.0),
        ("d2f", 12.0),
        ("d3f", 6.0),
        ("df.requires_grad", True),
        ("d3f.requires_grad", False),
        ("x.grad", None),
    ),
    exercises=(
        Exercise("PowBackward0", hint="d/dx x³ = 3x², at x = 2"),
        Exercise("MulBackward0", hint="d/dx (2x) = 2, and the incoming g is -1"),
        Exercise("x", hint="autograd.grad adds up every path to x: 3x² - 2 at x = 2"),
    ),
)
