"""desktop.runner: the script runs off the calling thread on the engine, output is captured,
errors keep PyTorch's message and the user's line, and Stop ends runaway scripts."""

import os
import select
import sys
import threading
import time

import numpy as np
import pytest
from seed_programs import SEED_LINEAR as SEED

from desktop import capture
from desktop.runner import SCRIPT_FILENAME, ScriptRun, format_error, run_script


def by_name(result):
    return {t.name: t for t in result.tensors}


def test_seed_script_tensors_and_grads():
    result = run_script(SEED)
    assert result.status == "finished", result.error
    t = by_name(result)
    assert set(t) == {"w", "b", "X", "Y", "Y_hat", "loss"}
    X, Y, w, b = t["X"].value, t["Y"].value, t["w"].value, t["b"].value
    residual = X @ w.T + b - Y
    np.testing.assert_allclose(t["w"].grad, 2 * residual.T @ X / 10, rtol=1e-5)
    np.testing.assert_allclose(t["b"].grad, [[2 * residual.mean()]], rtol=1e-5)
    assert t["w"].requires_grad and t["w"].is_leaf and t["w"].grad_fn is None
    assert t["Y_hat"].grad_fn == "AddBackward0" and not t["Y_hat"].is_leaf
    assert t["Y_hat"].grad is None  # non-leaf grads are not kept
    assert t["loss"].grad_fn == "MeanBackward0" and t["loss"].shape == ()
    assert t["X"].dtype == "float32" and not t["X"].requires_grad
    assert result.backward_values == pytest.approx([float(t["loss"].value)])
    assert result.output.startswith("tensor([[") and "tensor([[" in result.output[5:]
    assert result.seconds > 0


def test_values_are_copies():
    result = run_script("import torch\nw = torch.ones(2, requires_grad=True)\n"
                        "(w * 2).sum().backward()\n")
    info = by_name(result)["w"]
    info.grad[:] = 7  # scribbling on the snapshot must not reach back (nor fail)
    assert run_script("import torch\nx = torch.ones(2)\n").status == "finished"


def test_import_torch_maps_to_engine_without_touching_sys_modules():
    before = sys.modules.get("torch")
    source = (
        "import torch\nimport torch.autograd\nfrom torch import autograd as A\n"
        "import torch.autograd as B\n"
        "print(torch.__name__, A.__name__, B.__name__, torch.autograd.__name__)\n"
    )
    result = run_script(source)
    assert result.status == "finished", result.error
    assert result.output.split() == ["engine", "engine.autograd", "engine.autograd",
                                     "engine.autograd"]
    assert sys.modules.get("torch") is before
    assert result.extras["engine_modules"] == {"torch": "engine", "A": "engine.autograd",
                                               "B": "engine.autograd"}


def test_import_torch_nn_and_optim():
    pytest.importorskip("engine.nn")
    pytest.importorskip("engine.optim")
    source = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "from torch import nn as nn2, optim\nfrom torch.optim import SGD\n"
        "print(nn.__name__, F.__name__, nn2.__name__, optim.__name__, SGD.__module__)\n"
    )
    result = run_script(source)
    assert result.status == "finished", result.error
    names = result.output.split()
    assert names[:4] == ["engine.nn", "engine.nn.functional", "engine.nn", "engine.optim"]
    assert names[4].startswith("engine.optim")


def test_real_torch_untouched_after_run():
    torch = pytest.importorskip("torch")
    run_script("import torch\nx = torch.ones(2)\n")
    assert sys.modules["torch"] is torch
    assert torch.ones(2).__class__.__module__ == "torch"


def test_missing_torch_submodule_names_torch():
    result = run_script("import torch.no_such_thing\n")
    assert result.status == "error"
    assert result.error.kind == "ModuleNotFoundError"
    assert "torch.no_such_thing" in result.error.message
    assert result.error.line == 1


def test_output_captured_per_thread(capsys):
    chunks = []
    result = run_script(
        "import sys\nprint('a', 1, sep='-')\nsys.stdout.write('b\\n')\n"
        "print('c', file=sys.stderr)\nprint('d', end='')\n",
        on_output=chunks.append)
    assert result.output == "a-1\nb\nc\nd"
    assert [(c.text, c.stream) for c in chunks] == [
        ("a-1\n", "stdout"), ("b\n", "stdout"), ("c\n", "stderr"), ("d", "stdout")]
    out, err = capsys.readouterr()
    assert "a-1" not in out and "c" not in err
    assert not isinstance(sys.stdout, capture._RoutedStream)


def test_concurrent_runs_keep_their_output_apart():
    src = "for i in range(200):\n    print('{tag}', i)\n"
    runs = [ScriptRun(src.format(tag=tag), record=False).start() for tag in ("A", "B")]
    outs = [run.wait(10).output for run in runs]
    assert outs[0].split()[::2] == ["A"] * 200
    assert outs[1].split()[::2] == ["B"] * 200


def test_exception_keeps_pytorch_message_and_line():
    result = run_script(SEED + "loss.backward()\n")
    assert result.status == "error"
    err = result.error
    assert err.kind == "RuntimeError"
    assert err.message.startswith("Trying to backward through the graph a second time")
    assert err.line == 10
    assert err.traceback == ((SCRIPT_FILENAME, 10, "loss.backward()"),)
    text = format_error(err)
    assert 'File "<stepgrad>", line 10' in text
    assert text.rstrip().endswith("after calling backward.")
    # what ran before the error is still there for the inspector
    assert by_name(result)["w"].grad is not None


def test_exception_traceback_has_user_frames_only():
    source = "import torch\n\ndef f(x):\n    return x.view(7)\n\ny = f(torch.ones(3))\n"
    err = run_script(source).error
    assert err.kind == "RuntimeError"
    assert err.message == "shape '[7]' is invalid for input of size 3"
    assert err.line == 4
    assert [frame[1] for frame in err.traceback] == [6, 4]
    assert all(frame[0] == SCRIPT_FILENAME for frame in err.traceback)


def test_syntax_error_line():
    err = run_script("import torch\nx = (1,\ny = 2\n").error
    assert err.kind == "SyntaxError"
    assert err.line in (2, 3)


def test_sys_exit_zero_finishes():
    assert run_script("import sys\nprint('x')\nsys.exit(0)\n").status == "finished"
    assert run_script("import sys\nsys.exit(3)\n").status == "error"


def test_input_is_unavailable():
    err = run_script("x = input()\n").error
    assert err.kind == "EOFError" and err.line == 1


def _stop_after_start(source, ready_fd=None, **kwargs):
    """Start ``source``, stop it 0.3 s later (or once it writes to ``ready_fd``), and return
    its result and how long the stop took."""
    done = []
    run = ScriptRun(source, on_done=done.append, **kwargs)
    t0 = time.perf_counter()
    run.start()
    assert time.perf_counter() - t0 < 0.2  # start() never blocks the caller
    if ready_fd is None:
        time.sleep(0.3)
    else:
        assert select.select([ready_fd], [], [], 10)[0], "the script never got there"
        time.sleep(0.05)  # from its write to the next call: a few bytecodes
    assert run.running
    t0 = time.perf_counter()
    run.stop()
    result = run.wait(5)
    elapsed = time.perf_counter() - t0
    assert result is not None and done == [result]
    return result, elapsed


@pytest.mark.parametrize("source", [
    "while True: pass\n",
    "x = 0\nwhile True:\n    try:\n        x += 1\n    except:\n        pass\n",
    "import torch\nx = torch.ones(3, requires_grad=True)\nwhile True:\n"
    "    y = (x * 2 + 1).sum()\n    y.backward()\n",
])
def test_stop_ends_runaway_script_within_a_second(source):
    import engine

    result, elapsed = _stop_after_start(source)
    assert elapsed < 1.0
    assert result.status == "stopped"
    assert result.error.kind == "Stopped" and result.error.line is not None
    assert "abandoned" not in result.extras
    assert engine.observe.current is None  # the recorder was detached
    assert not isinstance(sys.stdout, capture._RoutedStream)


def test_stop_abandons_a_thread_stuck_in_a_c_call_and_tracing_still_works():
    # stuck in a read on a pipe until the test writes to it: as long as the test needs
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    try:
        result, elapsed = _stop_after_start(
            f"import os\nos.write({ready_w}, b'r'); os.read({r}, 1)\nwhile True: pass\n",
            ready_fd=ready_r)
        assert result.status == "stopped" and result.extras.get("abandoned")
        assert elapsed < 2.0
    finally:
        os.write(w, b"x")  # the read returns; the pending stop ends the abandoned thread
        for fd in (r, w, ready_r, ready_w):
            os.close(fd)
    # CPython 3.11 regression guard: a StopScript pending in the abandoned thread must not make
    # traced threads (bdb, max_lines) spin at function entry.
    limited = ScriptRun("def f():\n    return 1\nwhile True:\n    f()\n", max_lines=500,
                        record=False).start()
    assert limited.wait(5) is not None and limited.result.status == "stopped"


def test_stop_before_any_output_is_not_an_error():
    run = ScriptRun("while True: pass\n")
    run.start()
    run.stop(block=True)
    assert run.wait(5).status == "stopped"


def test_time_cap():
    result = run_script("while True: pass\n", max_seconds=0.3)
    assert result.status == "stopped"
    assert "time limit" in result.error.message
    assert result.seconds < 1.5


def test_line_cap():
    result = run_script("i = 0\nwhile True:\n    i += 1\n", max_lines=100)
    assert result.status == "stopped"
    assert "step limit" in result.error.message and result.error.line in (2, 3)


def test_callbacks_run_off_the_calling_thread():
    threads = []
    result = ScriptRun("print('x')\n", on_output=lambda c: threads.append(threading.get_ident()),
                       on_done=lambda r: threads.append(threading.get_ident())).start().wait(5)
    assert result.status == "finished"
    assert len(threads) == 2 and threading.get_ident() not in threads


def test_executor_hook_runs_the_script_under_bdb():
    """The debugger's way in: same run, stepped by a bdb tracer, with nodes created per line."""
    import bdb

    steps = []

    class Tracer(bdb.Bdb):
        def __init__(self):
            super().__init__(skip=["engine*", "desktop*", "numpy*"])
            self.line, self.mark = None, 0

        def user_line(self, frame):
            if frame.f_code.co_filename != SCRIPT_FILENAME:
                return
            self._close_step()
            self.line, self.mark = frame.f_lineno, run.recorder.mark()

        def _close_step(self):
            if self.line is not None:
                created = run.recorder.created_since(self.mark)
                graph = run.graph_snapshot()
                steps.append((self.line, sorted(n.op for n in graph.nodes if n.id in created)))

    tracer = Tracer()
    run = ScriptRun(SEED, executor=lambda code, ns: tracer.run(code, ns))
    result = run.start().wait(10)
    tracer._close_step()
    assert result.status == "finished", result.error
    assert [line for line, _ in steps] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    created = dict(steps)
    assert created[6] == ["AddBackward0", "MmBackward0", "TBackward0"]
    assert created[7] == ["MeanBackward0", "PowBackward0", "SubBackward0"]
    assert created[2] == created[8] == []


def test_each_run_starts_from_fresh_engine_state():
    source = ("import torch\nx = torch.randn(3)\nprint(x)\n"
              "torch.set_default_dtype(torch.float64)\ntorch.set_printoptions(precision=8)\n"
              "torch.manual_seed(123)\n")
    first = run_script(source)
    second = run_script(source)
    assert first.status == "finished", first.error
    assert first.output == second.output
    assert by_name(second)["x"].dtype == "float32"
    import engine

    assert engine.get_default_dtype() == engine.float64  # left as the script set it...
    run_script("pass\n")
    assert engine.get_default_dtype() == engine.float32  # ...until the next run starts


def test_each_run_arms_pytorchs_once_per_process_warnings_again():
    import engine

    with pytest.warns(UserWarning, match="reference cycle"):
        run_script("import torch\nx = torch.ones(1, requires_grad=True)\n"
                   "(x * x).sum().backward(create_graph=True)\n")
    assert "create_graph_cycle" in engine.warn_once.warned
    result = run_script("import torch\nprint(sorted(torch.warn_once.warned))\n")
    assert result.output.strip() == "[]"



def test_numpy_warnings_from_inside_the_engine_stay_out_of_the_output(tmp_path):
    # PyTorch prints nothing for log(0) or its backward; the engine's numpy would, three times.
    # In a subprocess: pytest records warnings itself, so none would reach the output here.
    import os
    import subprocess
    from pathlib import Path

    script = tmp_path / "nan.py"
    script.write_text("import torch\nimport numpy as np\n"
                      "w = torch.tensor([1.0, -1.0, 0.0], requires_grad=True)\n"
                      "torch.log(w).sum().backward()\nprint(w.grad)\n"
                      "print(np.log(np.zeros(1)))\n")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", "run", str(script)], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "tensor([ 1., -1., inf])" in out
    assert "engine" not in out
    assert out.count("RuntimeWarning") == 1 and ":6: RuntimeWarning" in out  # the script's own


def test_stderr_output_is_kept_apart_for_the_pane():
    result = run_script("import sys\nprint('a')\nprint('b')\nprint('oops', file=sys.stderr)\n"
                        "print('c')\n")
    assert result.output == "a\nb\noops\nc\n"
    chunks = result.extras["output_chunks"]
    assert [(c.text, c.stream) for c in chunks] == [
        ("a\nb\n", "stdout"), ("oops\n", "stderr"), ("c\n", "stdout")]
    assert "output_chunks" not in run_script("print(1)\n").extras  # plain output: just text


def test_a_training_loop_leaves_its_w_b_path_for_the_landscape():
    source = ("import torch\nw = torch.zeros(1, requires_grad=True)\n"
              "b = torch.zeros(1, requires_grad=True)\n"
              "for step in range(3):\n    loss = ((2 * w + b - 1) ** 2).sum()\n"
              "    loss.backward()\n    with torch.no_grad():\n"
              "        w -= 0.1 * w.grad\n        b -= 0.1 * b.grad\n"
              "    w.grad = None\n    b.grad = None\n")
    result = run_script(source)
    assert result.status == "finished", result.error
    trail = result.extras["point_trail"]
    # d/dw = 4 r, d/db = 2 r with r = 2w + b - 1: from (0, 0), r = -1 -> (0.4, 0.2)
    assert len(trail) == 3 and trail[0] == (0.0, 0.0)
    assert trail[1] == pytest.approx((0.4, 0.2))
    assert "point_trail" not in run_script(SEED).extras  # its w has two elements
