from desktop.lessons.lesson import Exercise, ExpectOutput, Lesson

CODE = '''\
import torch

w = torch.tensor([2.0], requires_grad=True)
x = torch.tensor([1.0], requires_grad=True)
a = w + x              # 3
b = w + 1              # 3
y0 = a * b             # dy0/dw = b + a = 6,   dy0/dx = b = 3
y1 = a + b             # dy1/dw = 2,           dy1/dx = 1
y = torch.cat([y0, y1])

try:
    y.backward()       # y has two elements: how should they be combined?
except RuntimeError as err:
    print("without weights:", err)

weights = torch.tensor([1.0, 0.5])
y.backward(gradient=weights, retain_graph=True)   # w.grad = 1*6 + 0.5*2, x.grad = 1*3 + 0.5*1
print("w.grad:", w.grad, " x.grad:", x.grad)

# The same numbers, as the gradient of one scalar: the weighted sum of the outputs.
same = torch.autograd.grad(y0 * 1.0 + y1 * 0.5, [w, x])
print("weighted sum:", same)
'''

LESSON = Lesson(
    id="weighted-outputs",
    title="backward(gradient=...) weights several outputs",
    code=CODE,
    explanation="""\
backward() without arguments only works on a single number, such as a loss: the starting \
gradient is then simply 1. For a tensor with several elements PyTorch refuses to guess and \
says "grad can be implicitly created only for scalar outputs".

`y.backward(gradient=v)` supplies the starting gradient yourself: one weight per element of y. \
The result is the gradient of the weighted sum (v * y).sum(), so each leaf receives \
v0·dy0/dleaf + v1·dy1/dleaf. This is a vector-Jacobian product, the operation every \
backward step performs.

Here dy0/dw = 6 and dy1/dw = 2, so with weights [1, 0.5] w.grad = 7; for x, 3 + 0.5 = 3.5. \
The last lines compute the same numbers from the weighted sum directly.""",
    watch=(
        "The first backward() fails before touching the graph: the message explains why.",
        "The starting gradient of the cat node is [1.0, 0.5] instead of 1.",
        "The CatBackward0 node splits it: 1.0 goes to y0's branch, 0.5 to y1's.",
        "w is reached along several paths; its grad is the sum of their contributions.",
    ),
    expected=(
        ExpectOutput("grad can be implicitly created only for scalar outputs"),
        ("y", [9.0, 6.0]),
        ("w.grad", [7.0]),
        ("x.grad", [3.5]),
        ("same[0]", [7.0]),
        ("same[1]", [3.5]),
    ),
    exercises=(
        Exercise("y", input=1, hint="backward(gradient=[1, 0.5]): y1 is weighted by 0.5"),
        Exercise("y0", input=0, hint="y0 = a * b: the gradient of a is g * b, and b = 3"),
        Exercise("w", hint="w reaches y through a and b: the contributions add up"),
    ),
)
