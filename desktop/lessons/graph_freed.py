from desktop.lessons.lesson import ExpectError, ExpectOutput, Lesson

CODE = '''\
import torch

x = torch.tensor(3.0, requires_grad=True)
y = x * x              # MulBackward0 keeps x (twice) for the backward pass
z = 2 * y + 1          # dz/dx = 4x = 12

z.backward(retain_graph=True)   # keep the saved tensors for another pass
first = x.grad.clone()          # 12

z.backward()                    # allowed because the graph was kept; grads add up to 24
print("after two passes:", x.grad)

x.grad.zero_()
z = 2 * (x * x) + 1             # running the forward again builds a brand-new graph
z.backward()                    # 12 again; this pass frees the new graph
z.backward()                    # fails: nothing is left to go backward through
'''

LESSON = Lesson(
    id="graph-freed",
    title="backward() frees the graph; retain_graph keeps it",
    code=CODE,
    explanation="""\
To compute gradients, each node keeps some tensors from the forward pass: a product keeps \
both factors, because d(a*b)/da = b. Once backward() has used them, PyTorch throws them away \
to save memory. The graph is built for one backward pass.

`retain_graph=True` asks PyTorch to keep the saved tensors, so a second backward through the \
same graph works. Note that the second pass adds its gradient to the first: x.grad goes from \
12 to 24.

Normally you do not retain anything: each training step runs the forward pass again, which \
builds a fresh graph. The last line tries a second pass through a graph that was freed, and \
PyTorch stops with its well-known error. Read the message: it tells you exactly this.""",
    watch=(
        "After the first backward, the nodes keep their saved tensors (retain_graph=True).",
        "x.grad: 12 after the first pass, 24 after the second: gradients accumulate.",
        "After the last successful backward, the nodes turn to the freed style.",
        "The final line stops with PyTorch's RuntimeError; the session keeps its state.",
    ),
    expected=(
        ("first", 12.0),
        ("x.grad", 12.0),
        ("z", 19.0),
        ExpectOutput("after two passes: tensor(24.)"),
        ExpectError("RuntimeError", "backward through the graph a second time",
                    at="# fails: nothing is left"),
    ),
)
