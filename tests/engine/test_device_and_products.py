"""torch.device / torch.backends on a CPU-only engine, F.one_hot, and the fixed-rank products
(Tensor.mm/mv/dot/bmm/matmul) with PyTorch's rank checks."""

import numpy as np
import pytest

import engine as torch


def test_devices_print_compare_and_refuse_cuda_as_a_cpu_only_pytorch_does():
    d = torch.device("cpu")
    assert (repr(d), str(d), d.type, d.index) == ("device(type='cpu')", "cpu", "cpu", None)
    assert d == torch.device("cpu") and d != "cpu" and hash(d) == hash(torch.device("cpu"))
    assert repr(torch.device("cpu", 0)) == "device(type='cpu', index=0)"
    assert str(torch.device("cuda:1")) == "cuda:1"
    x = torch.ones(2, device="cpu")
    assert x.device == torch.device("cpu") and f"{x.device}" == "cpu"
    assert x.to("cpu") is x and x.to(torch.device("cpu")) is x
    device = "cuda" if torch.cuda.is_available() else "cpu"  # the tutorial idiom
    assert x.to(device) is x
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        x.to("cuda:0")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        torch.zeros(2, device=torch.device("cuda"))
    with pytest.raises(RuntimeError, match="not linked with support for mps devices"):
        x.to("mps")


def test_backends_answer_as_on_a_cpu_only_machine():
    import engine.backends.cudnn as cudnn

    assert not torch.backends.mps.is_available() and not torch.backends.mps.is_built()
    assert not cudnn.is_available() and cudnn.deterministic is False
    cudnn.deterministic = True  # tutorials set it; it changes nothing here
    assert torch.backends.cudnn.deterministic is True
    cudnn.deterministic = False


def test_one_hot():
    F = torch.nn.functional
    out = F.one_hot(torch.tensor([0, 2]), 3)
    assert out.dtype == torch.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(torch.tensor([[0, 1], [2, 0]])).shape == (2, 2, 3)  # classes inferred
    for bad, msg in ((torch.tensor([0.5]), "only applicable to index tensor of type LongTensor"),
                     (torch.tensor([5]), "Class values must be smaller than num_classes"),
                     (torch.tensor([-1]), "Class values must be non-negative")):
        with pytest.raises(RuntimeError, match=msg):
            F.one_hot(bad, 3)


def test_fixed_rank_products_check_ranks_and_record_pytorchs_nodes():
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    v = torch.tensor([1.0, 0.0, -1.0], requires_grad=True)
    assert a.mm(torch.ones(3, 2)).grad_fn.name() == "MmBackward0"
    assert a.mv(v).tolist() == [-2.0, -2.0] and a.mv(v).grad_fn.name() == "MvBackward0"
    assert v.dot(v).item() == 2.0 and v.dot(v).grad_fn.name() == "DotBackward0"
    assert a.matmul(v).grad_fn.name() == "MvBackward0"
    b = torch.ones(2, 2, 3, requires_grad=True).bmm(torch.ones(2, 3, 1))
    assert b.grad_fn.name() == "BmmBackward0" and b.shape == (2, 2, 1)
    a.mv(v).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1.0, 0.0, -1.0]] * 2)  # d/da of a @ v
    np.testing.assert_array_equal(v.grad.numpy(), [5.0, 7.0, 9.0])
    for call, msg in ((lambda: v.mm(a), "self must be a matrix"),
                      (lambda: a.mm(v), "mat2 must be a matrix"),
                      (lambda: a.mv(a), r"vector \+ matrix @ vector expected, got 1, 2, 2"),
                      (lambda: a.mv(torch.ones(2)), r"size mismatch, got input \(2\), mat "
                                                    r"\(2x3\), vec \(2\)"),
                      (lambda: a.dot(v), "1D tensors expected, but got 2D and 1D tensors"),
                      (lambda: a.bmm(a), "batch1 must be a 3D tensor")):
        with pytest.raises(RuntimeError, match=msg):
            call()
