"""Session files: exact round trips, never executing code, atomic saves, clear rejections."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop import session as sess
from desktop.session import (
    Autosave,
    Breakpoint,
    Session,
    SessionError,
    load,
    recoverable,
    save,
)

ROOT = Path(__file__).resolve().parents[2]

FULL = Session(
    code="import torch\r\nx = torch.tensor(2.0, requires_grad=True)\n\ty = x ** 2  # é ∂ 😀 \n",
    breakpoints=(Breakpoint(2), Breakpoint(3, "x.item() > 1")),
    watches=("x.grad", "y"),
    settings={"backend": "engine", "font_size": 12, "ratio": 0.25, "flags": [True, None],
              "nested": {"a": [1, 2]}},
    lesson="leaf-nodes",
)


def test_save_then_load_round_trips_exactly(tmp_path):
    path = tmp_path / "work.stepgrad"
    save(FULL, path)
    assert load(path) == FULL
    data = json.loads(path.read_text("utf-8"))
    assert data["format"] == "stepgrad-session" and data["version"] == 1
    assert data["breakpoints"] == [{"line": 2}, {"line": 3, "condition": "x.item() > 1"}]


def test_settings_are_normalised_so_round_trips_compare_equal(tmp_path):
    s = Session(settings={"size": (3, 4)})
    assert s.settings == {"size": [3, 4]}
    save(s, tmp_path / "a.stepgrad")
    assert load(tmp_path / "a.stepgrad") == s
    with pytest.raises(SessionError, match="plain JSON"):
        Session(settings={"f": object()})
    with pytest.raises(SessionError, match="plain JSON"):
        Session(settings={"x": float("nan")})


@given(
    code=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    lines=st.lists(st.integers(1, 10_000), max_size=5, unique=True),
    watches=st.lists(st.text(max_size=20, alphabet=st.characters(blacklist_categories=("Cs",))),
                     max_size=4),
    lesson=st.one_of(st.none(), st.text(min_size=1, max_size=12,
                                        alphabet=st.characters(blacklist_categories=("Cs",)))),
)
def test_any_session_round_trips_through_json(code, lines, watches, lesson):
    s = Session(code, tuple(Breakpoint(n) for n in lines), tuple(watches), {"k": code}, lesson)
    assert sess.from_json(sess.to_json(s)) == s


def test_loading_never_runs_the_code(tmp_path):
    target = tmp_path / "pwned.txt"
    code = f"open({str(target)!r}, 'w').write('ran')\n"
    path = tmp_path / "evil.stepgrad"
    save(Session(code=code, watches=(f"open({str(target)!r}, 'w')",),
                 breakpoints=(Breakpoint(1, f"open({str(target)!r}, 'w')"),)), path)
    loaded = load(path)
    assert loaded.code == code
    assert not target.exists()
    Autosave(tmp_path / "auto", pid=999_999_999).save(loaded)
    [rec] = recoverable(tmp_path / "auto")
    rec.load()
    assert not target.exists()


def test_truncated_file_is_rejected_with_a_message(tmp_path):
    path = tmp_path / "cut.stepgrad"
    save(FULL, path)
    text = path.read_text("utf-8")
    for cut in (len(text) // 3, len(text) // 2, len(text) - 3):
        path.write_text(text[:cut], "utf-8")
        with pytest.raises(SessionError, match="truncated") as info:
            load(path)
        assert str(path) in str(info.value) and info.value.path == str(path)


@pytest.mark.parametrize(("content", "match"), [
    (b"", "is empty"),
    (b"   \n", "is empty"),
    (b"{not json at all} trailing", r"not valid JSON: .*\(line 1, column 2\)"),
    (b"[1, 2, 3]", "not a stepgrad session"),
    (b'{"code": "x = 1"}', "not a stepgrad session"),
    (b'{"format": "stepgrad-session", "version": "1"}', "invalid format version"),
    (b'{"format": "stepgrad-session", "version": 1, "code": 5}', '"code" must be text'),
    (b'{"format": "stepgrad-session", "version": 1, "breakpoints": [0]}', "positive integer"),
    (b'{"format": "stepgrad-session", "version": 1, "breakpoints": [{"condition": "x"}]}',
     "must be an object with a line"),
    (b'{"format": "stepgrad-session", "version": 1, "watches": [1]}', "watches must be text"),
    (b'{"format": "stepgrad-session", "version": 1, "settings": []}', '"settings" must be an'),
    (b'{"format": "stepgrad-session", "version": 1, "lesson": 3}', '"lesson" must be text or'),
    (b"\xff\xfe{}", "byte 0 is not UTF-8"),
])
def test_malformed_files_are_rejected_with_a_clear_message(tmp_path, content, match):
    path = tmp_path / "bad.stepgrad"
    path.write_bytes(content)
    with pytest.raises(SessionError, match=match):
        load(path)


def test_future_version_is_rejected_and_says_to_update(tmp_path):
    path = tmp_path / "new.stepgrad"
    data = sess.to_dict(FULL) | {"version": 7, "hologram": {"x": 1}}
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(SessionError, match=r"newer stepgrad \(session format 7\).*reads format 1"):
        load(path)


def test_missing_file_is_a_session_error(tmp_path):
    with pytest.raises(SessionError, match=r"cannot open .*No such file"):
        load(tmp_path / "nope.stepgrad")


def test_older_and_sparse_files_load_with_defaults(tmp_path):
    path = tmp_path / "old.stepgrad"
    path.write_text('{"format": "stepgrad-session", "version": 1, "breakpoints": [4, 2]}')
    assert load(path) == Session(breakpoints=(Breakpoint(2), Breakpoint(4)))


def test_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "work.stepgrad"
    save(FULL, path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sess.os, "fsync", broken_fsync)
    with pytest.raises(SessionError, match=r"cannot save .*No space left"):
        save(Session(code="new"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work.stepgrad"]


def test_save_keeps_the_file_mode(tmp_path):
    path = tmp_path / "work.stepgrad"
    save(FULL, path)
    os.chmod(path, 0o600)
    save(Session(code="x"), path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_process_killed_in_the_middle_of_a_save_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "work.stepgrad"
    save(FULL, path)
    before = path.read_bytes()
    # The child dies (SIGKILL, no clean-up) after writing half of the new file's bytes.
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from desktop import session

        real_fdopen = os.fdopen

        class DiesHalfway:
            def __init__(self, f):
                self.f = f
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return self.f.__exit__(*exc)
            def __getattr__(self, name):
                return getattr(self.f, name)
            def write(self, data):
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        os.fdopen = lambda *a, **k: DiesHalfway(real_fdopen(*a, **k))
        session.save(session.Session(code="new " * 100_000), {str(path)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr  # it died inside the write
    assert path.read_bytes() == before
    assert load(path) == FULL
    # all a dead process can leave is its hidden temporary file, which nothing reads
    others = [p.name for p in tmp_path.iterdir() if p != path]
    assert all(n.startswith(".work.stepgrad.") and n.endswith(".tmp") for n in others)
    assert recoverable(tmp_path) == []


def test_autosave_is_offered_back_only_after_its_process_died(tmp_path):
    mine = Autosave(tmp_path)
    mine.save(FULL, original="/home/u/work.stepgrad")
    assert recoverable(tmp_path) == []  # this process is alive: not a crash

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    Autosave(tmp_path, pid=pid).save(FULL, original="/home/u/work.stepgrad")
    [rec] = recoverable(tmp_path)
    assert rec.pid == pid and rec.original == "/home/u/work.stepgrad"
    assert abs(rec.saved_at - time.time()) < 60
    assert rec.load() == FULL
    rec.discard()
    assert recoverable(tmp_path) == []
    mine.clear()
    assert not mine.path.exists()


def test_damaged_autosave_is_listed_and_its_load_explains(tmp_path):
    (tmp_path / "autosave-999999999.stepgrad").write_text('{"format": "stepgrad-sess')
    [rec] = recoverable(tmp_path)
    assert rec.original is None
    with pytest.raises(SessionError, match="truncated"):
        rec.load()
