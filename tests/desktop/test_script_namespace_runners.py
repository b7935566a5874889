"""The app's runner, the lesson checks and `stepgrad check` share one script namespace."""


def test_every_runner_reports_a_missing_submodule_the_same_way(tmp_path):
    from desktop.lessons.check import _run_plain
    from desktop.runner import run_script
    from symbolic.cli import run_script as check_run_script
    from symbolic.record import Recorder

    code = "import torch.fancy\n"
    path = tmp_path / "s.py"
    path.write_text(code)
    messages = {
        "runner": run_script(code).error.message,
        "lesson": _run_plain(code).error_message,
        "check": str(check_run_script(str(path), code, Recorder())),
    }
    assert len(set(messages.values())) == 1, messages
