"""`stepgrad check` on a ``.stepgrad`` session checks the session's code: the file is JSON and is
read through desktop.session (never compiled or run as Python), and a session that cannot be
read is refused with the session's own message under the check command's name."""

from __future__ import annotations

from desktop import cli
from desktop import session as sessions

CODE = ("import torch\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "(x * x).sum().backward()\n")


def test_check_of_a_session_checks_its_code(tmp_path, capsys):
    path = tmp_path / "work.stepgrad"
    sessions.save(sessions.Session(code=CODE, watches=("x",)), path)
    assert cli.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "call 1: backward()" in out and ":3" in out  # the session code's third line
    # d(x0² + x1²)/dx = 2x: the grads 2 and 4 are the engine's, compared and agreeing
    assert "all agree" in out and "NameError" not in out


def test_check_of_a_session_holding_a_huge_number_is_refused(tmp_path, capsys):
    path = tmp_path / "huge.stepgrad"
    path.write_text('{"format": "stepgrad-session", "version": 1, "code": "x = 1\\n", '
                    '"settings": {"n": ' + "9" * 5001 + "}}")
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stepgrad check: ") and "more than 4300 digits" in err
    assert "Traceback" not in err and "SyntaxError" not in err


def test_check_of_a_file_named_like_a_session_runs_nothing_from_it(tmp_path, capsys):
    marker = tmp_path / "ran"
    path = tmp_path / "crafted.stepgrad"
    path.write_text(f"__import__('pathlib').Path({str(marker)!r}).write_text('x')\n")
    assert cli.main(["check", str(path)]) == 2
    assert not marker.exists()
    assert "stepgrad check: " in capsys.readouterr().err
