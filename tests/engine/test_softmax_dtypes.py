"""softmax / log_softmax: the ``dtype=`` argument casts first (a ToCopyBackward0 in the graph, as
in PyTorch), and integer or bool inputs raise PyTorch's NotImplementedError."""

import numpy as np
import pytest

import engine


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dtype_argument_casts_the_input_first(name):
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = getattr(x, name)(0, dtype=engine.float64)
    assert y.dtype == engine.float64
    assert y.grad_fn.name() == ("SoftmaxBackward0" if name == "softmax" else
                                "LogSoftmaxBackward0")
    assert y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"
    y[0].backward()
    assert x.grad.dtype == engine.float32  # the grad comes back through the cast
    ints = getattr(engine, name)(engine.tensor([1, 2]), 0, dtype=engine.float32)
    want = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    np.testing.assert_allclose(ints.numpy(), want if name == "softmax" else np.log(want),
                               rtol=1e-6)


@pytest.mark.parametrize(("name", "data", "dim", "message"), [
    ("softmax", [[1, 2, 3]], 1, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    ("softmax", [[1, 2, 3]], 0, "\"softmax_kernel_impl\" not implemented for 'Long'"),
    ("log_softmax", [True], 0, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Bool'"),
    ("log_softmax", [[1, 2]], 0, "\"log_softmax_kernel_impl\" not implemented for 'Long'"),
])
def test_integer_inputs_raise_pytorchs_error(name, data, dim, message):
    with pytest.raises(NotImplementedError) as err:
        getattr(engine.tensor(data), name)(dim)
    assert str(err.value) == message
    torch = pytest.importorskip("torch")
    with pytest.raises(NotImplementedError) as ref:
        getattr(torch.tensor(data), name)(dim)
    assert str(ref.value) == message
