"""`stepgrad run` and `stepgrad FILE` under hostile conditions: a worker stuck in BLAS when
the time limit strikes, a closed output pipe, huge output, no display, unusual encodings, deep
and chained tracebacks, a session holding a number too long to read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def env(**extra):
    e = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(extra)
    return e


def stepgrad(*args, timeout=90, **env_extra):
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env(**env_extra))


def test_a_time_limit_striking_inside_a_blas_call_ends_the_process(tmp_path):
    # one matmul takes seconds: Stop abandons the worker inside OpenBLAS, and the process must
    # still exit (OpenBLAS's exit handler used to wait for that worker forever)
    script = tmp_path / "blas.py"
    script.write_text("import numpy as np\na = np.ones((4000, 4000))\n"
                      "for _ in range(100):\n    b = a @ a\nprint('never')\n")
    proc = stepgrad("run", "--max-seconds", "0.5", str(script), timeout=120)
    assert proc.returncode == 1
    assert "Stopped: time limit of 0.5 s" in proc.stderr
    assert "never" not in proc.stdout


def test_all_output_reaches_the_terminal(tmp_path):
    script = tmp_path / "big.py"
    script.write_text("for i in range(2500):\n    print('x' * 999)\nprint('end')\n")
    proc = stepgrad("run", str(script))
    assert proc.returncode == 0, proc.stderr[-500:]
    assert len(proc.stdout) == 2500 * 1000 + 4 and proc.stdout.endswith("x\nend\n")
    assert "truncated" not in proc.stdout + proc.stderr


def test_a_closed_pipe_stops_the_script_quietly(tmp_path):
    script = tmp_path / "forever.py"
    script.write_text("i = 0\nwhile True:\n    print(i)\n    i += 1\n")
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "run", str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env())
    assert proc.stdout.readline() == b"0\n"
    proc.stdout.close()  # `| head -1`
    try:
        err = proc.stderr.read()
        rc = proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.stderr.close()
    assert rc == 128 + 13  # as a shell tool ended by SIGPIPE
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err[:300]


def test_the_app_without_a_display_says_so(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    clean = {k: v for k, v in env().items()
             if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", str(script)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env=clean)
    assert proc.returncode == 1
    assert "no display" in proc.stderr and "stepgrad run" in proc.stderr


def test_run_reads_a_bom_and_a_coding_line_as_python_does(tmp_path):
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfprint('bom ok')\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\nprint('caf\xe9')\n".encode("latin-1"))
    for path, want in ((bom, "bom ok\n"), (latin, "café\n")):
        proc = stepgrad("run", str(path), PYTHONIOENCODING="utf-8")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == want
    unknown = tmp_path / "unknown.py"
    unknown.write_text("# coding: no-such-codec\nx = 1\n")
    proc = stepgrad("run", str(unknown))
    assert proc.returncode == 2 and "unknown encoding" in proc.stderr


def test_a_traceback_keeps_the_users_modules_and_the_chained_cause(tmp_path):
    (tmp_path / "helper.py").write_text(
        "def lookup(d, k):\n"
        "    try:\n"
        "        return d[k]\n"
        "    except KeyError as exc:\n"
        "        raise ValueError(f'no {k}') from exc\n")
    script = tmp_path / "main.py"
    script.write_text("import helper\n\nhelper.lookup({}, 'w')\n")
    proc = stepgrad("run", str(script))
    assert proc.returncode == 1
    err = proc.stderr
    assert "KeyError: 'w'" in err
    assert "The above exception was the direct cause of the following exception" in err
    assert f'File "{tmp_path / "helper.py"}", line 5, in lookup' in err
    assert f'File "{script}", line 3' in err
    assert err.rstrip().endswith("ValueError: no w")
    assert "desktop" + os.sep not in err and "runner.py" not in err


def test_a_runaway_recursion_prints_a_short_traceback(tmp_path):
    script = tmp_path / "rec.py"
    script.write_text("import sys\nsys.setrecursionlimit(20000)\n\n"
                      "def f(n):\n    return f(n + 1)\n\nf(0)\n")
    proc = stepgrad("run", str(script))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[-1].startswith("RecursionError: maximum recursion depth exceeded")
    assert "more times]" in proc.stderr and len(lines) < 40, len(lines)


def test_a_session_holding_a_huge_number_is_refused_with_a_message(tmp_path):
    path = tmp_path / "huge.stepgrad"
    path.write_text('{"format": "stepgrad-session", "version": 1, "code": "x = 1\\n", '
                    '"settings": {"n": ' + "9" * 5001 + "}}")
    proc = stepgrad("run", str(path))
    assert proc.returncode == 2
    assert "more than 4300 digits" in proc.stderr and "Traceback" not in proc.stderr
    proc = stepgrad("export", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_ctrl_c_during_a_blas_call_ends_the_process(tmp_path):
    import signal

    script = tmp_path / "blas.py"
    script.write_text("import numpy as np\na = np.ones((4000, 4000))\n"
                      "print('started', flush=True)\nfor _ in range(100):\n    b = a @ a\n")
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "run", str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env())
    try:
        assert proc.stdout.readline() == b"started\n"
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=120)
        err = proc.stderr.read()
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert rc == 130 and b"stepgrad run: interrupted" in err, err[-500:]
