from desktop.lessons.lesson import Exercise, ExpectError, ExpectOutput, Lesson

CODE = '''\
import torch

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([4.0, 5.0, 6.0], requires_grad=True)

# d(a*b)/da = b and d(a*b)/db = a: the node keeps both
y = a * b
print("keeps a and b:", y.grad_fn._saved_self is a,
      y.grad_fn._saved_other is b)

# d(2a)/da = 2: the node keeps the 2, not a
s = a * 2
print("keeps:", s.grad_fn._saved_self, s.grad_fn._saved_other)

# exp' = exp: the node keeps its own output...
e = a.exp()
same = e.grad_fn._saved_result.equal(e)
is_e = e.grad_fn._saved_result is e   # ...in another tensor object

# a sum keeps no tensor, only the shape to spread its grad over
t = b.sum()
print("sum keeps:", t.grad_fn._saved_self_sym_sizes)

loss = (y + e).sum()
loss.backward()            # uses the saved tensors, then frees them
print("a.grad:", a.grad)   # b + exp(a)
print(y.grad_fn._saved_self)   # fails: what the node kept is gone
'''

LESSON = Lesson(
    id="saved-tensors",
    title="What a node keeps for backward",
    code=CODE,
    explanation="""\
A node cannot compute its gradient from the incoming gradient alone: the derivative of a*b \
with respect to a is b, so the product node must keep b (and a, for the other input) until \
backward runs. These are the saved tensors, and they are why training needs more memory than \
running a model: every intermediate value some derivative needs stays alive with the graph.

PyTorch keeps only what a derivative needs. `a * 2` keeps the 2 but not a, because nothing \
asks for the derivative with respect to the constant. `exp` keeps its output, since the \
derivative of exp is exp itself; `sum` keeps no tensor at all, just the shape to spread the \
gradient back over.

You can look at them: `grad_fn._saved_self`, `_saved_other`, `_saved_result` and friends are \
named after the op's arguments. After backward they are freed, and reading one fails with the \
same message as a second backward.""",
    watch=(
        "y = a * b: its node keeps a and b themselves (the same tensor objects).",
        "s = a * 2: _saved_self is None, _saved_other is tensor(2).",
        "e = a.exp(): the saved result equals e but is another tensor object.",
        "After loss.backward(), a.grad = b + exp(a), and the saved tensors are gone.",
    ),
    expected=(
        ExpectOutput("keeps a and b: True True"),
        ExpectOutput("keeps: None tensor(2)"),
        ("same", True),
        ("is_e", False),
        ExpectOutput("sum keeps: (3,)"),
        ("a.grad", [4.0 + 2.718281828, 5.0 + 7.389056099, 6.0 + 20.08553692]),
        ExpectError("RuntimeError", "directly access saved tensors after they have already been "
                    "freed", at="# fails: what the node kept"),
    ),
    exercises=(Exercise("MulBackward0", 0, "d(a*b)/da is the saved b times the incoming grad"),),
)
