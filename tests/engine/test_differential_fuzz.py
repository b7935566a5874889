"""Differential fuzzer: random autograd programs (fuzz_programs.py) run on the engine and on
PyTorch 2.13 must show the same values (float32 tolerance), dtypes, shapes, requires_grad,
grad_fn names, leaf grads, hook arguments and errors (class and message).

CI runs a fixed corpus (derandomized). ``STEPGRAD_FUZZ=2000`` runs 2,000 programs instead;
``STEPGRAD_FUZZ_INCLUDE=inplace_through_view,...`` lets in the known-open classes of
``fuzz_programs.KNOWN_OPEN`` (each named there with its reason)."""

from __future__ import annotations

import os

import pytest
from fuzz_programs import KNOWN_OPEN, differences, draw, run
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine

EXAMPLES = int(os.environ.get("STEPGRAD_FUZZ", "200"))
INCLUDE = frozenset(t for t in os.environ.get("STEPGRAD_FUZZ_INCLUDE", "").split(",") if t)


@pytest.mark.torch
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(rnd=st.randoms(use_true_random=False))
def test_random_programs_behave_as_in_pytorch(rnd):
    torch = pytest.importorskip("torch")
    prog = draw(rnd, INCLUDE)
    assume(prog is not None)
    torch.manual_seed(0)
    ours, theirs = run(prog, engine), run(prog, torch)
    diffs = differences(ours, theirs)
    assert not diffs, "\n" + prog.source + "\n---\n" + "\n".join(diffs)


def test_known_open_classes_say_why():
    assert INCLUDE <= set(KNOWN_OPEN), f"unknown classes: {sorted(INCLUDE - set(KNOWN_OPEN))}"
    for tag, why in KNOWN_OPEN.items():
        assert len(why) > 20, tag


def test_the_comparison_catches_a_wrong_value_dtype_and_node():
    import random

    import numpy as np
    from fuzz_programs import Program

    prog = Program(lines=["v1 = torch.tensor([1.0, 2.0], requires_grad=True)",
                          "v2 = v1 * 2"], targets=["v1", "v2"], leaves=["v1"])
    base = run(prog, engine)
    assert differences(base, run(prog, engine)) == []
    wrong = [list(x) for x in base]
    tensor_obs = list(wrong[1][1])
    tensor_obs[5] = np.array([2.0, 4.5], dtype=np.float32)
    assert differences(base, [base[0], ("v2", tuple(tensor_obs))] + base[2:])
    tensor_obs = list(base[1][1])
    tensor_obs[2], tensor_obs[4] = "torch.float64", "AddBackward0"
    assert len(differences(base, [base[0], ("v2", tuple(tensor_obs))] + base[2:])) == 2
    assert draw(random.Random(1)) is None or draw(random.Random(1)).lines
