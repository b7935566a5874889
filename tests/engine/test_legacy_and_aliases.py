"""Older spellings and aliases (legacy tensor types, type()/type_as/new_*, Variable, axis/keepdims,
out=, torch.__version__, accelerator, default device, save/load) and the extra math ops (log10,
log2, exp2, atan2, trace, diag_embed, movedim, median, mode, var_mean, std_mean): hand values,
finite differences, and PyTorch's output where it is importable."""

import io
import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import engine
from engine.autograd import gradcheck


# ---- legacy types and conversions -----------------------------------------------------------------
@pytest.mark.parametrize("name, dtype", [
    ("FloatTensor", engine.float32), ("DoubleTensor", engine.float64),
    ("HalfTensor", engine.float16), ("LongTensor", engine.int64), ("IntTensor", engine.int32),
    ("ShortTensor", engine.int16), ("CharTensor", engine.int8), ("ByteTensor", engine.uint8),
    ("BoolTensor", engine.bool)])
def test_legacy_constructors_give_their_dtype(name, dtype):
    cls = getattr(engine, name)
    t = cls([1, 0, 2])
    assert t.dtype is dtype and type(t) is engine.Tensor
    assert cls(2, 3).shape == (2, 3) and cls(2, 3).dtype is dtype
    assert cls(engine.Size([4])).shape == (4,)
    assert cls().shape == (0,)
    assert isinstance(t, cls) and t.type() == f"torch.{name}"
    assert engine.ones(2).type(cls).dtype is dtype
    assert engine.ones(2).type(f"torch.{name}").dtype is dtype
    assert repr(cls) == f"<class 'torch.{name}'>"


def test_long_tensor_indexes_like_pytorch():
    C = engine.randn(5, 2)
    idx = engine.LongTensor([4, 0, 4])
    assert C[idx].shape == (3, 2) and engine.equal(C[idx][0], C[4])
    assert engine.LongTensor([1.7, 2.2]).tolist() == [1, 2]  # truncated, as PyTorch does


def test_legacy_errors_are_pytorchs():
    with pytest.raises(TypeError, match=r"new\(\): data must be a sequence \(got float\)"):
        engine.LongTensor(3.5)
    with pytest.raises(TypeError, match=r"expected TensorOptions\(dtype=float, .*\(got "
                                        r"TensorOptions\(dtype=long int"):
        engine.FloatTensor(engine.tensor([1, 2]))
    with pytest.raises(ValueError, match="invalid type: 'torch.int32'"):
        engine.ones(2).type("torch.int32")
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        engine.autograd.Variable([1, 2])


def test_type_as_variable_and_new_factories():
    x = engine.ones(2, dtype=engine.float64)
    assert engine.ones(3).type_as(x).dtype is engine.float64
    v = engine.autograd.Variable(engine.ones(2), requires_grad=True)
    assert type(v) is engine.Tensor and v.requires_grad and isinstance(v, engine.autograd.Variable)
    base = engine.ones(2, dtype=engine.int64)
    assert base.new_ones((2, 3)).dtype is engine.int64 and base.new_ones(2, 3).shape == (2, 3)
    assert base.new_zeros(4, dtype=engine.float64).dtype is engine.float64
    assert base.new_full((2,), 7.5).tolist() == [7, 7]
    assert engine.ones(1).new_tensor([1, 2]).dtype is engine.float32
    assert engine.ones(1).new_empty(3).shape == (3,)
    t = engine.ones(1).new_ones(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_class_names_print_as_pytorchs():
    assert repr(type(engine.ones(1))) == "<class 'torch.Tensor'>"
    assert repr(engine.ones(1).__class__) == "<class 'torch.Tensor'>"
    assert repr(type(engine.nn.Parameter(engine.ones(1)))) == (
        "<class 'torch.nn.parameter.Parameter'>")
    assert engine.Tensor.__module__ == "engine.tensor"  # pickle still finds the engine's class

    class Mine(engine.Tensor):
        pass

    assert "Mine" in repr(Mine)


def test_stepgrad_run_prints_pytorchs_class_and_version(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import torch\nt = torch.LongTensor([1, 2])\n"
                      "print(type(t), t.__class__, t.dtype)\n"
                      "print(torch.__version__ >= '2.0', torch.__version__ >= (2, 1))\n")
    done = subprocess.run([sys.executable, "-m", "desktop.cli", "run", str(script)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "<class 'torch.Tensor'> <class 'torch.Tensor'> torch.int64", "True True"]


def test_version_compares_as_a_release():
    v = engine.__version__
    assert isinstance(v, str) and v.startswith("2.13.0")
    assert v >= "2.0" and v >= (2, 0) and v > "1.13.1" and v < "2.14" and v < (3,)
    assert v > "2.13.0" and v > "2.13.0a0"  # a local label sorts after the plain release
    assert engine.version.__version__ == v and engine.version.cuda is None


def test_cpu_only_answers():
    assert engine.accelerator.is_available() is False
    assert engine.accelerator.current_accelerator() is None
    assert engine.accelerator.device_count() == 0
    assert engine.set_default_device("cpu") is None
    assert engine.get_default_device() == engine.device("cpu")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        engine.set_default_device("cuda")


# ---- NumPy names and out= -----------------------------------------------------------------------------
def test_axis_and_keepdims_are_dim_and_keepdim():
    x = engine.tensor([[1.0, 2.0], [3.0, 5.0]])
    assert x.sum(1, keepdims=True).tolist() == [[3.0], [8.0]]
    assert x.mean(axis=0).tolist() == [2.0, 3.5]
    assert engine.sum(x, axis=0, keepdims=True).shape == (1, 2)
    assert engine.cat([x, x], axis=1).shape == (2, 4)
    assert x.max(axis=1).values.tolist() == [2.0, 5.0]
    with pytest.raises(TypeError, match="multiple values for argument 'dim'"):
        x.sum(dim=0, axis=1)


def test_out_writes_into_the_given_tensor():
    out = engine.empty(2)
    res = engine.add(engine.ones(2), 1, out=out)
    assert res is out and out.tolist() == [2.0, 2.0]
    assert engine.zeros(3, out=engine.empty(3, dtype=engine.int64)).dtype is engine.int64
    grown = engine.empty(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine.mul(engine.ones(3), 2, out=grown)
    assert grown.tolist() == [2.0] * 3
    assert "An output with one or more elements was resized" in str(caught[0].message)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        engine.add(engine.ones(2), 1, out=engine.empty(2, dtype=engine.int64))
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments don't "
                                           "support automatic differentiation"):
        engine.add(engine.ones(2, requires_grad=True), 1, out=engine.empty(2))


# ---- math: hand values and finite differences ---------------------------------------------------------
def test_log_bases_and_exp2_by_hand():
    x = engine.tensor([1.0, 8.0, 100.0], requires_grad=True)
    assert x.log10().tolist() == [0.0, pytest.approx(math.log10(8)), 2.0]
    assert engine.log2(x).tolist()[:2] == [0.0, 3.0]
    assert engine.exp2(engine.tensor([3, 10])).tolist() == [8.0, 1024.0]
    x.log10().sum().backward()
    assert x.grad.tolist() == pytest.approx([1 / (v * math.log(10)) for v in (1, 8, 100)])
    assert repr(x.log2().grad_fn).startswith("<Log2Backward0")
    assert repr(x.exp2().grad_fn).startswith("<Exp2Backward0")
    assert repr(x.log10().grad_fn).startswith("<Log10Backward0")


def test_atan2_trace_median_mode_by_hand():
    y = engine.tensor([1.0, -1.0], requires_grad=True)
    x = engine.tensor([-1.0, 2.0], requires_grad=True)
    r = engine.atan2(y, x)
    assert r.tolist() == pytest.approx([3 * math.pi / 4, math.atan2(-1, 2)])
    r.sum().backward()  # d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)
    assert y.grad.tolist() == pytest.approx([-0.5, 0.4])
    assert x.grad.tolist() == pytest.approx([-0.5, 0.2])
    w = engine.arange(9.0).reshape(3, 3).requires_grad_()
    w.trace().backward()
    assert w.grad.tolist() == np.eye(3).tolist()
    assert engine.trace(engine.arange(6).reshape(2, 3)).dtype is engine.int64
    m = engine.tensor([3.0, 1.0, 2.0, 4.0])
    assert m.median().item() == 2.0  # the lower of the two middle values
    v = engine.tensor([2.0, 5.0, 2.0], requires_grad=True)
    v.median().backward()
    assert v.grad.tolist() == [0.5, 0.0, 0.5]  # shared by the equal elements
    res = engine.mode(engine.tensor([[3.0, 1.0, 2.0, 1.0], [1.0, 2.0, 2.0, 2.0]]))
    assert res.values.tolist() == [1.0, 2.0] and res.indices.tolist() == [3, 3]
    assert repr(res).startswith("torch.return_types.mode(\nvalues=tensor([1., 2.])")


@pytest.mark.parametrize("make", [
    lambda x: x.log10(), lambda x: x.log2(), lambda x: x.exp2(),
    lambda x: engine.atan2(x, x.flip(0) + 0.3), lambda x: x.reshape(2, 3)[:, :2].trace(),
    lambda x: engine.diag_embed(x.reshape(2, 3), offset=1),
    lambda x: engine.diag_embed(x, dim1=0, dim2=1),
    lambda x: x.reshape(2, 3).movedim(0, 1) * 1.0, lambda x: x.median(),
    lambda x: x.reshape(2, 3).median(1).values, lambda x: x.reshape(3, 2).mode(0).values,
    lambda x: engine.var_mean(x.reshape(2, 3), 1)[0], lambda x: engine.var_mean(x)[1],
    lambda x: sum(engine.std_mean(x.reshape(2, 3), 0, keepdim=True)),
    lambda x: engine.std_mean(x, correction=0)[0]])
def test_gradients_match_finite_differences(make):
    x = engine.tensor([0.7, 1.3, 2.9, 0.4, 1.8, 2.2], dtype=engine.float64, requires_grad=True)
    assert gradcheck(make, (x,))


def test_var_mean_is_one_node_with_two_outputs():
    x = engine.tensor([1.0, 2.0, 4.0], requires_grad=True)
    v, m = engine.var_mean(x)
    assert v.grad_fn is m.grad_fn and repr(v.grad_fn).startswith("<VarMeanBackward0")
    assert v.item() == pytest.approx(7 / 3) and m.item() == pytest.approx(7 / 3)
    (v + m).backward()  # d var = 2 (x - mean) / 2 = x - 7/3, d mean = 1/3
    assert x.grad.tolist() == pytest.approx([-1.0, 0.0, 2.0], abs=1e-6)


# ---- save / load --------------------------------------------------------------------------------------
def test_checkpoint_round_trips(tmp_path):
    model = engine.nn.Sequential(engine.nn.Linear(2, 3), engine.nn.Tanh(), engine.nn.Linear(3, 1))
    opt = engine.optim.Adam(model.parameters(), lr=0.1)
    model(engine.ones(4, 2)).sum().backward()
    opt.step()
    path = tmp_path / "checkpoint.pth"
    engine.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 7,
                 "dtype": engine.float64, "shape": engine.Size([2, 3])}, path)
    back = engine.load(path)
    again = engine.nn.Sequential(engine.nn.Linear(2, 3), engine.nn.Tanh(),
                                 engine.nn.Linear(3, 1))
    again.load_state_dict(back["model"])
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        assert engine.equal(a, b)
    engine.optim.Adam(again.parameters()).load_state_dict(back["optim"])
    assert back["epoch"] == 7 and back["dtype"] is engine.float64 and back["shape"] == (2, 3)
    buf = io.BytesIO()
    engine.save(engine.nn.Parameter(engine.ones(2)), buf)
    buf.seek(0)
    p = engine.load(buf)
    assert isinstance(p, engine.nn.Parameter) and p.requires_grad


class _Payload:
    ran = False

    def __reduce__(self):
        return (_Payload._mark, ())

    @staticmethod
    def _mark():
        _Payload.ran = True
        return "ran"


def test_load_refuses_code_by_default(tmp_path):
    path = tmp_path / "bad.pt"
    engine.save({"x": _Payload()}, path)
    with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*Unsupported "
                                                     "global: GLOBAL .*_Payload._mark"):
        engine.load(path)
    assert not _Payload.ran
    assert engine.load(path, weights_only=False)["x"] == "ran" and _Payload.ran
    zip_like = tmp_path / "torch.pt"
    zip_like.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(pickle.UnpicklingError, match="PyTorch zip checkpoint"):
        engine.load(zip_like)


# ---- against PyTorch ----------------------------------------------------------------------------------
PRINTED = [
    "m.tensor([1.,100]).log10()", "m.tensor([1.,8], requires_grad=True).log2()",
    "m.tensor([1.,3], requires_grad=True).exp2()", "m.log10(m.tensor([1,100]))",
    "m.var_mean(m.tensor([1.,2,4]))",
    "m.std_mean(m.tensor([[1.,2,4],[3,4,9]]), dim=1, keepdim=True)",
    "m.var_mean(m.tensor([1.,2,4], requires_grad=True), correction=0)",
    "m.std_mean(m.tensor([[1.,2,4],[3,4,9]], requires_grad=True), 0)",
    "m.atan2(m.tensor([1., -1]), m.tensor([-1., 2], requires_grad=True))",
    "m.trace(m.arange(9.).reshape(3,3).requires_grad_())", "m.trace(m.arange(6.))",
    "m.median(m.tensor([[3., 1, 2, 4],[1,1,2,2]], requires_grad=True), dim=1)",
    "m.tensor([[3., 1, 2, 4],[1,1,2,2]]).median(1, keepdim=True)",
    "m.mode(m.tensor([[3., 1, 2, 1],[1,2,2,2]], requires_grad=True), 0)",
    "m.mode(m.tensor([5, 5, 2, 2, 9, 2]))",
    "m.diag_embed(m.tensor([[1.,2],[3,4]], requires_grad=True))",
    "m.diag_embed(m.tensor([1.,2]), offset=-1)",
    "m.diag_embed(m.arange(6.).reshape(2,3), dim1=0, dim2=2)",
    "m.zeros(2,3,4).movedim((0,1), (2,0)).shape", "m.zeros(2,3,4).movedim((0,1), 2)",
    "m.equal(m.ones(2), m.ones(2, dtype=m.long))", "m.equal(m.ones(2), m.ones(3))",
    "m.allclose(m.ones(2), m.ones(2, dtype=m.long))", "m.ones(2).isclose(m.tensor([1., 1.1]))",
    "m.LongTensor([1.7, 2.2])", "m.FloatTensor((2,3))", "m.LongTensor(3.5)",
    "m.FloatTensor(2, 3.5)", "m.ones(2).type('foo')", "m.ones(2).type(int)",
    "m.ones(2,requires_grad=True).type(m.float64)", "m.ones(2, dtype=m.long).new_full((2,), 7.5)",
    "m.ones(2).new_tensor([1, 2], requires_grad=True)", "m.Tensor()", "type(m.Tensor())",
    "m.ones(3,4).sum(axis=1, keepdims=True)", "m.add(m.ones(2), 1, out=m.empty(2, dtype=m.long))",
    "m.accelerator.current_accelerator()", "m.get_default_device()",
]


def _printed(lib, expr):
    try:
        return repr(eval(expr, {"m": lib}))
    except Exception as exc:  # noqa: BLE001 -- the error is compared
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.mark.torch
def test_printed_results_match_pytorch():
    torch = pytest.importorskip("torch")
    for expr in PRINTED:
        assert _printed(engine, expr) == _printed(torch, expr), expr


@pytest.mark.torch
@pytest.mark.parametrize("make", [
    "x.log10() * x.log2() + x.exp2()", "m.atan2(x, x.flip(0) - 1.5)",
    "m.diag_embed(x.reshape(2, 3), offset=-1) * 1.5", "x.reshape(2, 3).movedim(1, 0) ** 2",
    "x.reshape(2, 3).median(1).values * 3", "x.reshape(3, 2).trace() * x.sum()",
    "m.var_mean(x.reshape(2, 3), 1)[0] * m.var_mean(x.reshape(2, 3), 1)[1]",
    "sum(m.std_mean(x.reshape(3, 2), 0, keepdim=True))"])
def test_gradients_match_pytorch(make):
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (engine, torch):
        x = lib.tensor([0.7, 1.3, 2.9, 0.4, 1.8, 2.2], requires_grad=True)
        out = eval(make, {"m": lib, "x": x})
        out.sum().backward()
        grads.append((type(out.grad_fn).__name__, x.grad.numpy()))
    assert grads[0][0] == grads[1][0]
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=2e-6, atol=1e-6)
