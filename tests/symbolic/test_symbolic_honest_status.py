"""`stepgrad check` says "agree" only for what it compared: a wrongly recorded forward is caught
by re-running the script, and whatever was not checked gives its own exit status."""

import textwrap

import numpy as np
import pytest

import engine
from symbolic import rerun
from symbolic.cli import EXIT_DISAGREE, EXIT_FAILED, EXIT_OK, EXIT_UNCHECKED, main


def script(tmp_path, text, name="model.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


MOD = """
import torch
x = torch.tensor([0.25, 0.75], requires_grad=True)
loss = (x * 1.0 + x % 1.0).sum()
loss.backward()
"""


def test_a_forward_that_drops_its_graph_is_caught_by_the_re_run(tmp_path, capsys, monkeypatch):
    # an op recorded wrongly: the result is right but carries no graph, so the recorded graph
    # (and any replay of it) says dL/dx = 1 where the script's L moves at 2 per unit of x
    def broken_mod(self, other):
        return engine.tensor(np.mod(self.detach().numpy(), other))

    monkeypatch.setattr(engine.Tensor, "__mod__", broken_mod)
    assert main(["check", script(tmp_path, MOD)]) == EXIT_DISAGREE
    out = capsys.readouterr().out
    assert "independent check (DISAGREES)" in out
    assert "[DISAGREES" in out and "1 DISAGREE" in out


def test_the_same_script_with_a_correct_recording_agrees(tmp_path, capsys, monkeypatch):
    def recorded_mod(self, other):  # x % 1 = x - floor(x): what a correct recording gives
        return self - engine.floor(self.detach())

    monkeypatch.setattr(engine.Tensor, "__mod__", recorded_mod)
    assert main(["check", script(tmp_path, MOD)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "independent check (agrees)" in out


def test_a_backward_that_raises_is_not_ok_even_when_the_script_catches_it(tmp_path, capsys):
    path = script(tmp_path, """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        try:
            y.backward()  # the graph was freed
        except RuntimeError:
            pass
    """)
    assert main(["check", path]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "[NOT CHECKED" in out and "1 call not checked (it raised)" in out


def test_nothing_compared_is_not_all_agree(tmp_path, capsys):
    # no time for closed forms nor finite differences: nothing may be reported as agreeing
    path = script(tmp_path, """
        import torch
        w = torch.ones(100_000, requires_grad=True)
        (w * 2).sum().backward()
    """)
    assert main(["check", "--time-limit", "0", "--no-rerun", path]) == EXIT_UNCHECKED
    out = capsys.readouterr().out
    # the matrix form (2·𝟙) covers every element; the sampled scalar closed forms got no time
    assert "compared with its matrix form (100000 elements, all agree)" in out
    assert "0 sampled elements compared three ways; 4 not checked" in out
    assert "[PARTLY CHECKED" in out


def test_elements_without_closed_form_are_counted_apart(tmp_path, capsys, monkeypatch):
    from symbolic import checker

    monkeypatch.setattr(checker, "gradient", lambda *a, **k: (_ for _ in ()).throw(
        RuntimeError("no closed form today")))
    path = script(tmp_path, """
        import torch
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
    """)
    assert main(["check", path]) == EXIT_UNCHECKED
    out = capsys.readouterr().out
    assert "2 of the compared without a closed form" in out and "all agree" in out


def test_a_script_that_does_not_repeat_itself_is_not_re_run_checked(tmp_path, capsys):
    path = script(tmp_path, """
        import time
        import torch
        w = torch.tensor([1.0], requires_grad=True)
        (w * (time.perf_counter_ns() % 1000 + 1)).sum().backward()
    """)
    assert main(["check", path]) == EXIT_UNCHECKED
    out = capsys.readouterr().out
    assert "independent check (not done)" in out and "does not repeat" in out


def test_the_second_step_of_a_training_loop_is_perturbed_after_the_optimiser_moved(tmp_path,
                                                                                  capsys):
    path = script(tmp_path, """
        import torch
        torch.manual_seed(1)
        w = torch.randn(3, requires_grad=True)
        X = torch.randn(5, 3)
        opt = torch.optim.SGD([w], lr=0.1)
        for step in range(4):
            opt.zero_grad()
            loss = ((X @ w).tanh() - 1).pow(2).mean()
            loss.backward()
            opt.step()
    """)
    assert main(["check", path]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.count("independent check (agrees)") == 2


def test_unnamed_leaves_are_said_not_re_run(tmp_path, capsys):
    path = script(tmp_path, """
        import torch
        torch.tensor([1.0, 2.0], requires_grad=True).pow(2).sum().backward()
    """)
    assert main(["check", path]) == EXIT_UNCHECKED
    assert "is not held by a variable of the script" in capsys.readouterr().out


def test_recorded_output_is_seed_times_root():
    from symbolic.graph import Graph, Leaf, Ref
    from symbolic.record import CallTrace

    g = Graph([Leaf("x", np.array([1.0, 2.0], np.float32), True)], [])
    call = CallTrace(0, "backward", None, g, (Ref("leaf", 0),), (np.array([3.0, -1.0]),), False,
                     [])
    assert rerun.recorded_output(call) == pytest.approx(1.0)
