"""``stepgrad check FILE.py``: run a script headless on the engine (its ``import torch`` gets the
engine), record every ``backward()``/``autograd.grad()`` and print the three-way check as a table
per call. Exit status: 0 all agree, 1 some gradient disagrees, 2 the script couldn't run/failed.
"""

from __future__ import annotations

import argparse
import builtins
import os
import sys
import traceback
from collections.abc import Sequence

CLOSED_FORM_WIDTH = 44
# frames in these folders are stepgrad's, not the user's: left out of a script's traceback
_OWN_DIRS = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + d + os.sep
                  for d in ("engine", "symbolic"))



def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

def _script_print(*args, **kwargs):
    from .custom import replaying

    if not replaying():  # a custom forward re-run for the check is not the script's output
        builtins.print(*args, **kwargs)


def run_script(path: str, source: str, recorder) -> BaseException | None:
    """Run ``source`` as ``__main__`` with ``recorder`` observing the engine."""
    from engine import observe

    from engine.script_namespace import new_namespace

    namespace = new_namespace(print=_script_print, file=path)
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        code = compile(source, path, "exec")
        with observe.observing(recorder):
            exec(code, namespace)
    except SystemExit as exc:
        return None if exc.code in (None, 0) else exc
    except Exception as exc:
        return exc
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    return None


def script_error(exc: BaseException) -> str:
    """What the script's failure looks like to its author: Python's traceback of the script's
    own frames (stepgrad's runner and engine internals left out), or its exit status."""
    if isinstance(exc, SystemExit):
        return f"stepgrad check: the script exited with status {exc.code}\n"
    te = traceback.TracebackException.from_exception(exc)
    todo, seen = [te], set()
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list(
            [f for f in t.stack if not f.filename.startswith(_OWN_DIRS)])
        todo += [c for c in (t.__cause__, t.__context__) if c is not None]
    return "".join(te.format())


def read_source(path: str) -> str | None:
    """The script's text (PEP 263 encodings honoured), or None after saying why not."""
    import tokenize

    try:
        with tokenize.open(path) as f:
            return f.read()
    except OSError as exc:
        why = exc.strerror or str(exc)
    except (SyntaxError, UnicodeDecodeError) as exc:  # bad coding cookie, or not text
        why = f"not Python source text ({exc})"
    print(f"stepgrad check: cannot read {path}: {why}", file=sys.stderr)
    return None


def _num(v) -> str:
    return "—" if v is None else f"{v:.6g}"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(rows, out) -> None:
    head = ("element", "closed form", "its value", "engine", "finite diff", "")
    cells = [head] + [(e.label, _cut(e.closed_form or "(not derived)", CLOSED_FORM_WIDTH),
                       _num(e.symbolic), _num(e.engine), _num(e.finite),
                       "MISMATCH" if not e.ok else "ok" if e.checked else "not checked")
                      for e in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for r in cells:
        out.write("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  + "\n")


def print_report(report, out, full: bool = False) -> None:
    status = "ok" if report.ok else "DISAGREES"
    out.write(f"\n{report.title}  [{status}, {report.seconds:.2f} s]\n")
    if report.error:
        out.write(f"  not checked: the call failed: {report.error}\n")
        return
    if report.output:
        out.write(f"  L = {_cut(report.output, 200)}\n")
    for t in report.targets:
        size = (f"{t.checked} of {t.total} elements, sampled" if t.sampled
                else _count(t.total, "element"))
        out.write(f"  ∂L/∂{t.name}  {list(t.shape)} {t.dtype}  ({size})\n")
        _table(t.elements, out)
        if t.matrix_form is not None:
            agrees = "agrees" if t.matrix_form.ok else "DISAGREES"
            out.write(f"  matrix form: {t.matrix_form.text}  ({agrees} elementwise)\n")
    for c in report.custom:
        how = "forward replayed symbolically" if c.replayed else (
            f"forward not replayed ({c.reason}); finite differences only")
        at = f" at {os.path.basename(c.where[0])}:{c.where[1]}" if c.where else ""
        out.write(f"  custom Function {c.function}{at}: backward vs derivative of forward "
                  f"({how})\n")
        _table(c.elements, out)
    for note in report.notes:
        out.write(f"  note: {note}\n")
    custom = [e for c in report.custom for e in c.elements]
    ids = {id(e) for e in custom}
    for e in [*report.elements, *custom] if full else report.failures:
        what = "backward returned" if id(e) in ids else "engine"
        out.write(f"  {'MISMATCH' if not e.ok else 'element'} {e.label}: {what} "
                  f"{_num(e.engine)}, closed form {_num(e.symbolic)}, finite difference "
                  f"{_num(e.finite)}\n")
        if e.closed_form:
            out.write(f"    ∂/∂{e.symbol} = {e.closed_form}\n")
        if e.note:
            out.write(f"    ({e.note})\n")


def _at_least(kind, low):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value >= low:  # also rejects nan
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {text}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "check":
        args = args[1:]
    parser = argparse.ArgumentParser(
        prog="stepgrad check",
        description="Run a script on the engine and check every gradient it computes three "
                    "ways: engine, sympy closed form, finite difference.")
    parser.add_argument("file", help="Python script; its `import torch` runs on the engine")
    parser.add_argument("--max-elements", type=_at_least(int, 1), default=64,
                        help="check larger tensors on a random sample of this many elements")
    parser.add_argument("--time-limit", type=_at_least(float, 0), default=30.0,
                        help="seconds of sympy work per call (then finite differences only)")
    parser.add_argument("--simplify-limit", type=_at_least(float, 0), default=2.0,
                        help="seconds to simplify one closed form (else shown unsimplified)")
    parser.add_argument("--max-calls", type=_at_least(int, 1), default=20,
                        help="check at most this many backward()/grad() calls")
    parser.add_argument("--per-line", type=_at_least(int, 0), default=2,
                        help="check at most this many calls made from one line (a training "
                             "loop's backward); 0 for no limit")
    parser.add_argument("--symbols", action="store_true",
                        help="show constant inputs (data) as symbols in the closed forms")
    parser.add_argument("--full", action="store_true",
                        help="print every closed form in full, not only the mismatches")
    opts = parser.parse_args(args)
    source = read_source(opts.file)
    if source is None:
        return 2
    try:
        return _check_file(opts, source)
    except KeyboardInterrupt:
        print("stepgrad check: interrupted", file=sys.stderr)
        return 130


def _check_file(opts, source: str) -> int:
    from .checker import Options, check
    from .record import Recorder

    recorder = Recorder(max_calls=opts.max_calls, max_per_line=opts.per_line or None)
    error = run_script(opts.file, source, recorder)
    out = sys.stdout
    if error is not None:
        sys.stderr.write(script_error(error))
    if not recorder.calls:
        if isinstance(error, SyntaxError) and error.filename == opts.file:
            print("stepgrad check: the script does not compile; nothing was run",
                  file=sys.stderr)
        elif error is not None:
            print("stepgrad check: the script failed before any backward() or autograd.grad() "
                  "call; nothing to check", file=sys.stderr)
        else:
            out.write("stepgrad check: the script computed no gradients (no backward() or "
                      "autograd.grad() call)\n")
        return 2 if error is not None else 0
    options = Options(max_elements=opts.max_elements, time_limit=opts.time_limit,
                      simplify_limit=opts.simplify_limit, constants_as_symbols=opts.symbols)
    reports, cache, broken = [], {}, 0
    for call in recorder.calls:
        try:
            r = check(call, options, cache=cache)
        except Exception as exc:  # a bug of ours: say so, check the other calls
            broken += 1
            print(f"stepgrad check: internal error checking {call.title}: "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        reports.append(r)
        print_report(r, out, opts.full)
    if recorder.skipped:
        out.write(f"\n({recorder.skipped} later calls not checked: --max-calls "
                  f"{opts.max_calls}, --per-line {opts.per_line})\n")
    bad = [r for r in reports if not r.ok]
    total = sum(len(r.elements) + sum(len(c.elements) for c in r.custom) for r in reports)
    nbad = sum(len(r.failures) for r in reports)
    nskip = sum(len(r.unchecked) for r in reports)
    skipped = (f" ({nskip} of them could not be: no closed form, no finite difference)"
               if nskip else "")
    out.write(f"\n{_count(len(reports), 'call')}, {_count(total, 'gradient element')} "
              f"checked{skipped}: "
              + (f"{nbad} disagree\n" if bad else "the checked ones agree\n" if nskip
                 else "all agree\n"))
    if error is not None:
        out.write(f"(the script then failed: {type(error).__name__}; see above)\n")
    if bad:
        return 1
    return 2 if error is not None or broken else 0


if __name__ == "__main__":
    sys.exit(main())
