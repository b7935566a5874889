"""`stepgrad check F | head -1`: when the reader of the report goes away, the command ends as a
shell tool ended by SIGPIPE does (status 141), without a BrokenPipe traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_whose_report_reader_goes_away_ends_quietly(tmp_path):
    script = tmp_path / "many.py"
    # 400 checked calls: a report of ~150 kB, more than a pipe holds, so a write must fail
    script.write_text("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                      "for i in range(400):\n    (x * 3).sum().backward()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "check", "--per-line", "0",
                             "--max-calls", "400", "--no-rerun", str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    try:
        assert proc.stdout.readline() == b"\n"
        assert proc.stdout.readline().startswith(b"call 1: backward()")
        proc.stdout.close()  # `| head -2`
        err = proc.stderr.read()
        rc = proc.wait(timeout=120)
    finally:
        proc.kill()
        proc.stderr.close()
    assert rc == 128 + 13, err[-500:]
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err[-500:]
