"""Run one program on the engine and on real PyTorch and return what each printed (errors and
warnings included), so a test can require the two transcripts to be equal."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
import warnings


def _tryit(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 -- the transcript records the error class and text
        print(type(e).__name__, str(e))
        return None
    print("OK", r)
    return r


def _warns(f):
    """Call ``f``; print each warning it issued (category and message), then its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = f()
    for w in caught:
        print("WARN", w.category.__name__, str(w.message))
    return r


def run(source: str, lib) -> str:
    from engine.script_namespace import new_namespace

    out = io.StringIO()
    # `from torch.autograd import Function` in the program imports the engine's module
    namespace = new_namespace(map_torch=lib.__name__ == "engine", reset_engine=False)
    namespace.update(torch=lib, tryit=_tryit, warns=_warns, __name__="__prog__")
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(textwrap.dedent(source), namespace)
    return re.sub(r" at 0x[0-9a-f]+", " at 0x", out.getvalue())


def compare(source: str, torch) -> str:
    """The engine's transcript, after asserting it equals PyTorch's."""
    import engine

    ours, theirs = run(source, engine), run(source, torch)
    assert ours.splitlines() == theirs.splitlines()
    return ours
