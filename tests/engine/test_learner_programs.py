"""Complete learner-style programs (``learner_programs/``) print on the engine what PyTorch 2.13
printed for them, and where torch is importable they are run on it again."""

import pytest
from learner_programs import expected, run_on_engine, run_on_torch

PROGRAMS = ["bigram_names", "mlp_backprop_by_hand"]


def test_hand_derived_backward_agrees_with_autograd_everywhere():
    out = run_on_engine("mlp_backprop_by_hand")
    rows = [line for line in out.splitlines() if "approximate:" in line]
    assert len(rows) == 28
    assert all("approximate: True" in r and "shape ok: True" in r for r in rows), rows
    assert "fused loss agrees: True" in out


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_prints_what_pytorch_printed(name):
    assert run_on_engine(name) == expected(name)


@pytest.mark.torch
@pytest.mark.parametrize("name", PROGRAMS)
def test_recorded_output_is_pytorchs(name):
    pytest.importorskip("torch")
    assert run_on_torch(name) == expected(name)
