"""Example programs shipped with the app (Qt-free, so engine and symbolic tests can import them).

``SEED`` is the seed article's y = wx + b model: the program the screenshot scripts show and the
one the tests step through. They rely on its lines (6 builds Y_hat, 7 the loss, 8 is
loss.backward()), so change it knowingly.
"""

SEED = """\
import torch
w = torch.tensor([[3.0, 1.0]], requires_grad=True)
b = torch.tensor([[3.0]], requires_grad=True)
X = torch.randn(10, 2)
Y = torch.randn(10, 1)
Y_hat = X @ w.t() + b
loss = torch.mean(torch.pow(Y_hat - Y, 2))
loss.backward()
print(w.grad, b.grad)
"""
