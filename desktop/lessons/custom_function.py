from desktop.lessons.lesson import Exercise, Lesson

CODE = '''\
import torch


class MyReLU(torch.autograd.Function):
    """max(x, 0), with the backward pass written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)            # backward needs to know where x was positive
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).float()   # slope 1 where x > 0, slope 0 elsewhere


relu = MyReLU.apply

w = torch.tensor([[2.0, -1.0]], requires_grad=True)
b = torch.tensor([[0.5]], requires_grad=True)
X = torch.tensor([[1.0, 1.0],
                  [-1.0, 2.0],
                  [3.0, 1.0]])
Y = torch.tensor([[1.0, 0.0, 4.0]])

Z = w @ X.t() + b          # one column per sample: 1.5, -3.5, 5.5
Y_hat = relu(Z)            # 1.5, 0, 5.5
loss = ((Y_hat - Y) ** 2).mean()
loss.backward()

print(Y_hat.grad_fn)
print("w.grad:", w.grad, " b.grad:", b.grad)
'''

LESSON = Lesson(
    id="custom-function",
    title="Your own autograd.Function: a ReLU",
    code=CODE,
    explanation="""\
A node of the graph is a function that knows two things: how to compute its output, and how \
to turn the gradient of its output into gradients of its inputs. Subclassing \
`torch.autograd.Function` lets you supply both yourself, as two static methods.

`forward(ctx, x)` computes the result and stores what backward will need with \
`ctx.save_for_backward`. `backward(ctx, grad_output)` receives dloss/doutput and returns \
dloss/dinput. For ReLU the local slope is 1 where the input was positive and 0 elsewhere, so \
the incoming gradient passes through or is blocked.

Call it through `.apply`. The result's grad_fn is now your node, named after the class \
(MyReLUBackward). The second sample had a negative pre-activation (-3.5), so it contributes \
nothing to w.grad: w.grad = (1/3)·[1, 1] + 1·[3, 1].""",
    watch=(
        "Step into `relu(Z)`: forward runs with ctx; the graph gets a MyReLUBackward node.",
        "During backward, step into MyReLU.backward and look at x > 0: [True, False, True].",
        "The gradient reaching Z is [1/3, 0, 1]: the middle sample is blocked.",
        "The symbolic panel checks your backward against the derivative of clamp(min=0).",
    ),
    expected=(
        ("Z", [[1.5, -3.5, 5.5]]),
        ("Y_hat", [[1.5, 0.0, 5.5]]),
        ("loss", 2.5 / 3),
        ("w.grad", [[10 / 3, 4 / 3]]),
        ("b.grad", [[4 / 3]]),
        ("Y_hat.grad_fn.name()", "MyReLUBackward"),
        ("Y_hat.grad", None),
        ("Z.grad", None),
    ),
    exercises=(
        Exercise("Y_hat", hint="MyReLU passes g where Z > 0 and blocks it elsewhere; "
                 "Z = [1.5, -3.5, 5.5]"),
        Exercise("Z", input=1, hint="b has one element, broadcast over the 3 samples: "
                 "its gradient sums g over them"),
        Exercise("MmBackward0", hint="Z = w @ Xᵀ, so the gradient of w is g @ X"),
    ),
)
