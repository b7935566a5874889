"""``.stepgrad`` session files: versioned JSON holding code, breakpoints, watches, settings and
the lesson (no Qt).

Opening a session only parses JSON: nothing in it is ever executed or evaluated. Saving is
atomic (a temporary file in the same folder, fsync, ``os.replace``), so a crash mid-save leaves
the previous file intact. Anything wrong with a file raises ``SessionError`` whose message says
what and where, for the GUI to show as is.

    save(Session(code="import torch\\n", breakpoints=(Breakpoint(3),)), "work.stepgrad")
    session = load("work.stepgrad")

``Autosave`` writes a per-process copy while the app runs; ``recoverable(dir)`` finds the
copies left by a process that died. (Open Recent is the main window's, in QSettings.)
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "stepgrad-session"
VERSION = 1
SUFFIX = ".stepgrad"
MAX_CODE_CHARS = 2_000_000  # ~50,000 lines; the editor would freeze for minutes on 100 MB
MAX_WATCHES = 1_000


class SessionError(ValueError):
    """A session file that cannot be read or written; ``str()`` is the message for the user."""

    def __init__(self, message: str, path: str | os.PathLike | None = None):
        super().__init__(message)
        self.path = None if path is None else str(path)


@dataclass(frozen=True)
class Breakpoint:
    line: int
    condition: str | None = None  # a Python expression, stored as text and never evaluated here


@dataclass(frozen=True)
class Session:
    """What a ``.stepgrad`` file holds. ``settings`` is a JSON object (plain str/number/bool/
    None/list/dict values), normalised through JSON so that a saved and reopened session
    compares equal to the original."""

    code: str = ""
    breakpoints: tuple[Breakpoint, ...] = ()
    watches: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)
    lesson: str | None = None

    def __post_init__(self):
        if not isinstance(self.code, str):
            raise SessionError("code must be text")
        bps = tuple(b if isinstance(b, Breakpoint) else Breakpoint(b) for b in self.breakpoints)
        for b in bps:
            _check_breakpoint(b)
        object.__setattr__(self, "breakpoints", tuple(sorted(bps, key=lambda b: b.line)))
        object.__setattr__(self, "watches", tuple(self.watches))
        if any(not isinstance(w, str) for w in self.watches):
            raise SessionError("watches must be text expressions")
        if not isinstance(self.settings, dict):
            raise SessionError("settings must be a mapping")
        try:
            settings = json.loads(json.dumps(self.settings, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise SessionError(f"settings must hold plain JSON values: {exc}") from None
        object.__setattr__(self, "settings", settings)
        if self.lesson is not None and not isinstance(self.lesson, str):
            raise SessionError("lesson must be a lesson id or None")


def _check_breakpoint(b: Breakpoint) -> None:
    if isinstance(b.line, bool) or not isinstance(b.line, int) or b.line < 1:
        raise SessionError(f"a breakpoint line must be a positive integer, not {b.line!r}")
    if b.condition is not None and not isinstance(b.condition, str):
        raise SessionError(f"a breakpoint condition must be text, not {b.condition!r}")


# --- JSON --------------------------------------------------------------------------------------

def to_dict(session: Session) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "lesson": session.lesson,
        "code": session.code,
        "breakpoints": [
            {"line": b.line} if b.condition is None else {"line": b.line, "condition": b.condition}
            for b in session.breakpoints
        ],
        "watches": list(session.watches),
        "settings": session.settings,
    }


def to_json(session: Session, extra: dict | None = None) -> str:
    data = to_dict(session)
    if extra:
        data.update(extra)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _where(text: str, exc: json.JSONDecodeError, name: str) -> str:
    if not text.strip():
        return f"{name} is empty: it is not a stepgrad session"
    # An unterminated string always runs to the end of the text (a raw newline would be a
    # different error), so it is a cut file too.
    if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
        return (f"{name} ends unexpectedly (line {exc.lineno}, column {exc.colno}): the file "
                "looks truncated, perhaps by an interrupted copy or a full disk")
    return f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"


def from_json(text: str, name: str = "the session", limits: bool = True) -> Session:
    """Parse a session. Raises ``SessionError`` for anything that is not a well-formed session
    of this or an older format version, or (``limits``) one too big to open in the editor."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(_where(text, exc, name)) from None
    except RecursionError:
        raise SessionError(f"{name} is nested too deeply to be a stepgrad session") from None
    except ValueError as exc:  # an integer past Python's int-string digit limit
        limit = sys.get_int_max_str_digits()
        raise SessionError(f"{name} is not a stepgrad session: it holds a number with more "
                           f"than {limit} digits" if "digits" in str(exc) else
                           f"{name} is not a stepgrad session: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{name} is not a stepgrad session (it has no "
                           f'"format": "{FORMAT}" field)')
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionError(f"{name} has an invalid format version: {version!r}")
    if version > VERSION:
        raise SessionError(f"{name} was saved by a newer stepgrad (session format {version}); "
                           f"this stepgrad reads format {VERSION}. Update stepgrad to open it.")
    try:
        session = Session(
            code=_field(data, "code", str, ""),
            breakpoints=tuple(_breakpoint(b) for b in _field(data, "breakpoints", list, [])),
            watches=tuple(_field(data, "watches", list, [])),
            settings=_field(data, "settings", dict, {}),
            lesson=_field(data, "lesson", (str, type(None)), None),
        )
    except SessionError as exc:
        raise SessionError(f"{name} is damaged: {exc}") from None
    if not limits:
        return session
    if len(session.code) > MAX_CODE_CHARS:
        raise SessionError(f"{name} holds {len(session.code):,} characters of code; stepgrad "
                           f"opens sessions of up to {MAX_CODE_CHARS:,}")
    if len(session.watches) > MAX_WATCHES:
        raise SessionError(f"{name} holds {len(session.watches):,} watch expressions; "
                           f"stepgrad opens sessions of up to {MAX_WATCHES:,}")
    return session


def _field(data: dict, key: str, kind, default):
    value = data.get(key, default)
    if not isinstance(value, kind):
        want = {str: "text", list: "a list", dict: "an object"}.get(kind, "text or null")
        raise SessionError(f'"{key}" must be {want}, not {type(value).__name__}')
    return value


def _breakpoint(item) -> Breakpoint:
    if isinstance(item, int) and not isinstance(item, bool):
        return Breakpoint(item)
    if not isinstance(item, dict) or "line" not in item:
        raise SessionError(f"a breakpoint must be an object with a line, not {item!r}")
    return Breakpoint(item["line"], item.get("condition"))


# --- files -------------------------------------------------------------------------------------

TEMP_SUFFIX = ".tmp"


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _lock_nb(fd: int) -> bool:
    """Take an exclusive advisory lock on ``fd`` without waiting; False if another open file
    holds it. (Always True where there is no ``fcntl``.)"""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def sweep_temp_files(directory: str | os.PathLike, prefix: str) -> int:
    """Delete temporary files ``prefix*.tmp`` in ``directory`` that a killed save left behind.
    A save holds a lock on its temporary file while writing it, so a file whose lock can be
    taken belongs to nobody. Returns how many were removed."""
    removed = 0
    try:
        candidates = [p for p in Path(directory).iterdir()
                      if p.name.startswith(prefix) and p.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return 0
    for p in candidates:
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _lock_nb(fd):
                p.unlink()
                removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the new one, never a
    mixture: write a temporary file next to it, fsync it, rename it over the target, fsync the
    folder (so the rename itself survives a power cut).

    A symbolic link is followed: the file it points to is replaced and the link stays. A
    failed write (full disk) removes its temporary file and leaves the target untouched; the
    temporary file of a save that was killed is removed by the next save to that folder."""
    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    data = text.encode("utf-8")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    sweep_temp_files(path.parent, _temp_prefix(path))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=TEMP_SUFFIX)
    _lock_nb(fd)  # held until renamed: a sweep by another process leaves it alone
    try:
        with os.fdopen(fd, "wb", closefd=False) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):  # not every platform/file system can fsync a folder
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save(session: Session, path: str | os.PathLike, extra: dict | None = None) -> None:
    try:
        text = to_json(session, extra)
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise SessionError(f"cannot save {path}: {exc}", path) from None
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise SessionError(f"cannot save {path}: {exc.strerror or exc}", path) from None


def read_text(path: str | os.PathLike) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SessionError(f"cannot open {path}: {exc.strerror or exc}", path) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SessionError(f"{path} is not a stepgrad session: byte {exc.start} is not UTF-8 "
                           "text", path) from None


def load(path: str | os.PathLike, limits: bool = True) -> Session:
    """Read a session. Never runs or evaluates anything in it. ``limits=False``: also one
    bigger than ``MAX_CODE_CHARS``/``MAX_WATCHES`` (an autosave of the user's own work)."""
    text = read_text(path)
    try:
        return from_json(text, str(path), limits)
    except SessionError as exc:
        raise SessionError(str(exc), path) from None


# --- autosave and recovery --------------------------------------------------------------------

def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where /proc tells; else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith(b"btime"))
        return btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _alive(pid: int, saved_at: float | None = None) -> bool:
    """Is the process that wrote an autosave at ``saved_at`` still running? A live process
    with the same pid that started after that moment is another one (pids are reused, all
    the more after a reboot)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass  # it exists but belongs to someone else, or we cannot tell
    started = _process_start(pid)
    if started is not None and saved_at is not None and started > saved_at + 2.0:
        return False  # (2 s: the boot time /proc reports drifts with clock adjustments)
    return True


@dataclass(frozen=True)
class Recovery:
    """An autosave left by a stepgrad process that is no longer running."""

    path: str  # the autosave file
    pid: int
    saved_at: float  # seconds since the epoch
    original: str | None  # the file the user was editing, None for an unsaved buffer

    def load(self) -> Session:
        return load(self.path, limits=False)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class Autosave:
    """A per-process autosave slot in ``directory``.

    Call ``save()`` every so often while there are unsaved changes and ``clear()`` once the
    user has saved or closed cleanly; a file that is still there at the next start means the
    process died, and ``recoverable()`` offers it back."""

    def __init__(self, directory: str | os.PathLike, pid: int | None = None):
        self.directory = Path(directory)
        self.pid = os.getpid() if pid is None else pid
        # one slot per window: two windows of one process must not overwrite each other's
        slot = next(_slots)
        name = f"autosave-{self.pid}" if slot == 0 else f"autosave-{self.pid}-{slot}"
        self.path = self.directory / f"{name}{SUFFIX}"

    def save(self, session: Session, original: str | os.PathLike | None = None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        meta = {"pid": self.pid, "saved_at": time.time(),
                "original": None if original is None else str(original)}
        save(session, self.path, extra={"autosave": meta})

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


_slots = itertools.count()


def recoverable(directory: str | os.PathLike) -> list[Recovery]:
    """Autosaves of processes that are gone, newest first. Damaged ones are listed too (their
    ``load()`` raises ``SessionError``) so the user can see and discard them. Temporary files
    of autosaves killed mid-write are removed on the way."""
    found = []
    sweep_temp_files(directory, ".autosave-")
    for path in Path(directory).glob(f"autosave-*{SUFFIX}"):
        try:
            pid = int(path.stem.split("-")[1])
        except (ValueError, IndexError):
            continue
        meta: dict = {}
        with contextlib.suppress(OSError, ValueError, AttributeError):
            meta = json.loads(path.read_text("utf-8")).get("autosave") or {}
        saved_at = meta.get("saved_at")
        if isinstance(saved_at, bool) or not isinstance(saved_at, int | float):
            try:
                saved_at = path.stat().st_mtime
            except OSError:
                continue
        if _alive(pid, float(saved_at)):
            continue
        original = meta.get("original") if isinstance(meta.get("original"), str) else None
        found.append(Recovery(str(path), pid, float(saved_at), original))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)
