"""Saving any file (session, script, export, autosave) is atomic, follows symbolic links, and
leaves no temporary files behind; autosaves are told apart per window and per process."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import time

import pytest

from desktop import session as sessions
from desktop.session import Autosave, Session, atomic_write_text, recoverable


def test_a_symlink_is_followed_not_replaced(tmp_path):
    real = tmp_path / "real" / "work.py"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    atomic_write_text(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["work.py"]
    sessions.save(Session(code="x = 1\n"), tmp_path / "s.stepgrad")
    (tmp_path / "s_link.stepgrad").symlink_to(tmp_path / "s.stepgrad")
    sessions.save(Session(code="y = 2\n"), tmp_path / "s_link.stepgrad")
    assert (tmp_path / "s_link.stepgrad").is_symlink()
    assert sessions.load(tmp_path / "s.stepgrad").code == "y = 2\n"


def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "work.py"
    path.write_text("precious\n" * 1000)
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def write(self, data):
            self.f.write(data[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new\n" * 5000)
    assert path.read_text() == "precious\n" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["work.py"]


def test_the_temporary_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "work.stepgrad"
    stale = tmp_path / ".work.stepgrad.k1ll3d.tmp"  # what a save killed mid-write leaves
    stale.write_bytes(b"x" * 1000)
    busy = tmp_path / ".work.stepgrad.w0rk1ng.tmp"  # another process is writing this one
    busy.write_bytes(b"y")
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        sessions.save(Session(code="x"), path)
        assert not stale.exists()
        assert busy.exists()  # locked: its writer is alive
    finally:
        os.close(fd)
    sessions.save(Session(code="y"), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work.stepgrad"]


def test_each_autosave_slot_of_a_process_is_its_own_file(tmp_path):
    a, b = Autosave(tmp_path), Autosave(tmp_path)
    assert a.path != b.path and a.pid == b.pid == os.getpid()
    a.save(Session(code="first window\n"))
    b.save(Session(code="second window\n"))
    assert sessions.load(a.path).code == "first window\n"
    assert sessions.load(b.path).code == "second window\n"
    assert recoverable(tmp_path) == []  # both belong to this live process


def test_an_autosave_whose_pid_now_belongs_to_a_newer_process_is_offered(tmp_path):
    # after a reboot (or pid reuse) a live process can carry the dead owner's pid
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        data = json.loads(sessions.to_json(Session(code="lost work\n"),
                                           {"autosave": {"pid": other.pid,
                                                         "saved_at": time.time() - 3600,
                                                         "original": None}}))
        path = tmp_path / f"autosave-{other.pid}-3.stepgrad"
        path.write_text(json.dumps(data))
        [rec] = recoverable(tmp_path)
        assert rec.pid == other.pid and rec.load().code == "lost work\n"
    finally:
        other.kill()
        other.wait()


def test_an_autosave_of_a_live_process_saved_after_it_started_stays_hidden(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.1)
        Autosave(tmp_path, pid=other.pid).save(Session(code="still open\n"))
        assert recoverable(tmp_path) == []
    finally:
        other.kill()
        other.wait()


def test_a_session_too_big_for_the_editor_is_refused_with_a_message(tmp_path):
    path = tmp_path / "huge.stepgrad"
    sessions.save(Session(code="x = 1\n" * 400_000), path)  # 2.4 million characters
    with pytest.raises(sessions.SessionError, match="characters of code; stepgrad opens"):
        sessions.load(path)
    sessions.save(Session(watches=tuple(f"w{i}" for i in range(1001))), path)
    with pytest.raises(sessions.SessionError, match="1,001 watch expressions"):
        sessions.load(path)
    # the user's own work is never refused on recovery
    Autosave(tmp_path / "auto", pid=999_999_990).save(Session(code="y = 2\n" * 400_000))
    [rec] = recoverable(tmp_path / "auto")
    assert len(rec.load().code) == 2_400_000
