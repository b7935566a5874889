"""A script's traceback as ``python FILE.py`` would print it, minus stepgrad's own frames (no
Qt): the script's frames and those of the user's own modules, the chained causes ("The above
exception was the direct cause..."), and Python's folding of repeated frames, so a runaway
recursion prints a few lines instead of thousands.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_OURS = tuple(str(_ROOT / pkg) + os.sep for pkg in ("desktop", "engine", "symbolic"))
_LIBRARIES = tuple({str(Path(p).resolve()) + os.sep
                    for key in ("stdlib", "platstdlib", "purelib", "platlib")
                    if (p := sysconfig.get_paths().get(key))})
MAX_FRAMES = 100  # per exception, after filtering: the outermost and innermost halves shown
MAX_WALK = 10_000  # frames read per exception (innermost first): a 10**6-deep recursion is cut


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_OURS)


def _is_library(filename: str) -> bool:
    return filename.startswith("<frozen ") or os.path.abspath(filename).startswith(_LIBRARIES)


class _Elided(traceback.StackSummary):
    """Frames with a gap after the first ``cut`` of them, said so where it is."""

    cut = 0
    omitted = 0

    def format(self):
        head = traceback.StackSummary.from_list(self[:self.cut]).format()
        tail = traceback.StackSummary.from_list(self[self.cut:]).format()
        return [*head, f"  [... {self.omitted:,} frames not shown ...]\n", *tail]


def _depth(tb) -> int:
    n = 0
    while tb is not None:
        n, tb = n + 1, tb.tb_next
    return n


def _user_stack(stack: traceback.StackSummary, unread: int = 0) -> traceback.StackSummary:
    """The frames a user debugs: their own code, and library frames their code called
    directly; not stepgrad's frames nor what those called on its behalf. ``unread``: outer
    frames left out before (``MAX_WALK``)."""
    kept, inside = [], unread == 0  # the runner's frames come first
    for fs in stack:
        if _is_ours(fs.filename):
            inside = True
        elif not _is_library(fs.filename):
            inside = False
            kept.append(fs)
        elif not inside:
            kept.append(fs)
    if len(kept) <= MAX_FRAMES and not unread:
        return traceback.StackSummary.from_list(kept)
    shown, cut = kept, 0
    if len(kept) > MAX_FRAMES:
        cut = MAX_FRAMES // 2
        shown = kept[:cut] + kept[-cut:]
    elided = _Elided(shown)
    elided.cut, elided.omitted = cut, unread + len(kept) - len(shown)
    return elided


def _filter(te: traceback.TracebackException, exc: BaseException | None,
            seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    depth = _depth(exc.__traceback__) if exc is not None else len(te.stack)
    te.stack = _user_stack(te.stack, max(0, depth - len(te.stack)))
    for chained, cause in ((te.__cause__, getattr(exc, "__cause__", None)),
                           (te.__context__, getattr(exc, "__context__", None))):
        if chained is not None:
            _filter(chained, cause, seen)


def format_user_traceback(exc: BaseException) -> str:
    """The traceback text for ``exc`` (see the module docstring)."""
    te = traceback.TracebackException.from_exception(exc, limit=-MAX_WALK, lookup_lines=False)
    _filter(te, exc, set())
    return "".join(te.format())
