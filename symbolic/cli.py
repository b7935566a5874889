"""``stepgrad check FILE.py``: run a script headless on the engine (its ``import torch`` gets the
engine), record every ``backward()``/``autograd.grad()`` and print the three-way check as a table
per call; then run the script again with the parameters perturbed, a finite-difference check
that does not rely on the recorded graph (``symbolic.rerun``).

Exit status: 0 everything shown was compared and agrees; 1 some gradient disagrees; 2 the script
couldn't run, failed, or one of its backward calls raised; 3 no disagreement, but something was
not checked (an element without closed form or usable finite difference, a call cut short by a
time limit, a script that could not be re-run).
"""

from __future__ import annotations

import argparse
import builtins
import os
import sys
import traceback
from collections.abc import Sequence

CLOSED_FORM_WIDTH = 44
EXIT_OK, EXIT_DISAGREE, EXIT_FAILED, EXIT_UNCHECKED = 0, 1, 2, 3
# frames in these folders are stepgrad's, not the user's: left out of a script's traceback
_OWN_DIRS = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + d + os.sep
                  for d in ("engine", "symbolic"))



def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

def _script_print(*args, **kwargs):
    from .custom import replaying

    if not replaying():  # a custom forward re-run for the check is not the script's output
        builtins.print(*args, **kwargs)


def run_script(path: str, source: str, recorder, tracer=None, quiet: bool = False
               ) -> BaseException | None:
    """Run ``source`` as ``__main__`` with ``recorder`` observing the engine (``tracer``: a
    ``sys.settrace`` function for the run; ``quiet``: the script's prints go nowhere)."""
    from engine import observe

    from engine.script_namespace import new_namespace

    namespace = new_namespace(print=(lambda *a, **k: None) if quiet else _script_print,
                              file=path)
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        code = compile(source, path, "exec")
        # this thread's route: a process-wide observer is not told of the events of a thread
        # that has a route of its own (an in-process caller's observer, say)
        with observe.attached(recorder):
            if tracer is not None:
                sys.settrace(tracer)
            try:
                exec(code, namespace)
            finally:
                if tracer is not None:
                    sys.settrace(None)
    except SystemExit as exc:
        return None if exc.code in (None, 0) else exc
    except (Exception, KeyboardInterrupt) as exc:  # Ctrl+C ends a training loop: check the
        return exc  # calls it made so far, as after any other exception of the script
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    return None


class _EngineState:
    """What a script's numbers depend on besides its code: the engine's generator and default
    dtype, Python's and numpy's global generators. Restored before each re-run."""

    def __init__(self):
        import random

        import numpy as np

        import engine

        self.torch_rng = engine.get_rng_state()
        self.dtype = engine.get_default_dtype()
        self.py_rng = random.getstate()
        self.np_rng = np.random.get_state()

    def restore(self):
        import random

        import numpy as np

        import engine

        engine.set_rng_state(self.torch_rng)
        engine.set_default_dtype(self.dtype)
        random.setstate(self.py_rng)
        np.random.set_state(self.np_rng)


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


def _status(report) -> str:
    if report.error:
        return "NOT CHECKED"
    if not report.ok:
        return "DISAGREES"
    return "ok" if report.complete else "PARTLY CHECKED"


def print_report(report, out, full: bool = False) -> None:
    out.write(f"\n{report.title}  [{_status(report)}, {report.seconds:.2f} s]\n")
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

    if report.chain:
        out.write("  backward in matrix form:\n")
        for text, _ in report.chain:
            out.write(f"    {text}\n")
        for t in report.targets:
            mf = t.matrix_form
            if mf is None:
                continue
            if mf.ok:
                out.write(f"  ∂L/∂{t.name}: matrix form = engine grad at all "
                          f"{_count(mf.compared, 'element')}\n")
            else:
                out.write(f"  ∂L/∂{t.name}: matrix form DISAGREES with the engine grad at "
                          f"{mf.mismatched} of {_count(mf.compared, 'element')} (largest "
                          f"difference {mf.max_error:.3g})\n")
    for c in report.custom:
        how = "forward replayed symbolically" if c.replayed else (
            f"forward not replayed ({c.reason}); finite differences only")
        at = f" at {os.path.basename(c.where[0])}:{c.where[1]}" if c.where else ""
        out.write(f"  custom Function {c.function}{at}: backward vs derivative of forward "
                  f"({how})\n")
        for f in c.forms:
            out.write(f"    derivative of its forward: {f.text}\n")
            if f.ok:
                out.write(f"    {c.function}.backward returned exactly that (all "
                          f"{_count(f.compared, 'element')})\n")
            else:
                out.write(f"    {c.function}.backward DISAGREES with it at {f.mismatched} of "
                          f"{_count(f.compared, 'element')} (largest difference "
                          f"{f.max_error:.3g})\n")
        _table(c.elements, out)
    for note in report.notes:
        out.write(f"  note: {note}\n")
    ind = report.independent
    if ind is not None:
        label = {"agree": "agrees", "disagree": "DISAGREES", "inconclusive": "inconclusive",
                 "unavailable": "not done"}[ind.status]
        out.write(f"  independent check ({label}): {ind.text}\n")
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


def main(argv: Sequence[str] | None = None, read=None) -> int:
    """``read(path)`` gives the code to check (default: the file's text); the command line
    passes one that turns a notebook into its script."""
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
    parser.add_argument("--rerun-limit", type=_at_least(float, 0), default=30.0,
                        help="seconds for re-running the script with perturbed parameters "
                             "(the check independent of the recorded graph), all calls")
    parser.add_argument("--no-rerun", action="store_true",
                        help="skip that check (for scripts with side effects)")
    opts = parser.parse_args(args)
    source = (read or read_source)(opts.file)
    if source is None:
        return 2
    try:
        return _check_file(opts, source)
    except KeyboardInterrupt:
        print("stepgrad check: interrupted", file=sys.stderr)
        return 130


def _check_file(opts, source: str) -> int:
    import time

    from .record import CallTraceRecorder

    recorder = CallTraceRecorder(max_calls=opts.max_calls, max_per_line=opts.per_line or None)
    state = _EngineState()
    t0 = time.monotonic()
    error = run_script(opts.file, source, recorder)
    ran_for = time.monotonic() - t0
    out = sys.stdout
    if error is not None:
        sys.stderr.write(script_error(error))
    if isinstance(error, KeyboardInterrupt):  # (Ctrl+C): report what was recorded, exit 130
        if recorder.calls:
            _check_calls(opts, source, recorder, state, error, ran_for)
        print("stepgrad check: interrupted", file=sys.stderr)
        return 130
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
        return EXIT_FAILED if error is not None else EXIT_OK
    return _check_calls(opts, source, recorder, state, error, ran_for)


def _check_calls(opts, source: str, recorder, state, error, ran_for: float) -> int:
    import dataclasses
    import time

    from .checker import Options, check
    from .report import IndependentCheck
    from .rerun import independent_check, quiet

    out = sys.stdout
    options = Options(max_elements=opts.max_elements, time_limit=opts.time_limit,
                      simplify_limit=opts.simplify_limit, constants_as_symbols=opts.symbols,
                      display_forms=False)
    rerun_left = [opts.rerun_limit]  # seconds of re-running left, for all calls

    def execute(probe, tracer):
        state.restore()
        quiet(lambda: run_script(opts.file, source, probe, tracer=tracer, quiet=True))

    reports, cache, broken = [], {}, 0
    for call in recorder.calls:
        try:
            r = check(call, options, cache=cache)
            if not opts.no_rerun and call.error is None:
                t1 = time.monotonic()
                ind = (independent_check(call, execute, opts.file, rerun_left[0])
                       if rerun_left[0] > min(1.0, 5 * ran_for) else
                       IndependentCheck("unavailable", "the script was not re-run: "
                                        "--rerun-limit reached"))
                rerun_left[0] -= time.monotonic() - t1
                r = dataclasses.replace(r, independent=ind)
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
    out.write("\n" + summary(reports, rerun=not opts.no_rerun) + "\n")
    failed_calls = [r for r in reports if r.error]
    if error is not None:
        out.write(f"(the script then failed: {type(error).__name__}; see above)\n")
    elif failed_calls:
        out.write(f"({_count(len(failed_calls), 'backward call')} raised; see above)\n")
    if any(not r.ok for r in reports):
        return EXIT_DISAGREE
    if error is not None or failed_calls:
        return EXIT_FAILED
    if broken or not all(_fully_checked(r, not opts.no_rerun) for r in reports):
        return EXIT_UNCHECKED
    return EXIT_OK


def _fully_checked(report, rerun: bool) -> bool:
    if not report.complete:
        return False
    return not rerun or (report.independent is not None and report.independent.checked)


def summary(reports, rerun: bool = True) -> str:
    """One line: how many elements were compared and how they came out; what was not checked
    is counted apart (never as agreeing)."""
    elements = [e for r in reports for e in (*r.elements, *(x for c in r.custom
                                                            for x in c.elements))]
    unchecked = [e for e in elements if not e.checked]
    compared = len(elements) - len(unchecked)
    nbad = sum(len(r.failures) for r in reports)
    forms = [t.matrix_form for r in reports for t in r.targets if t.matrix_form is not None]
    parts = [f"{_count(len(reports), 'call')}"]
    if forms:
        n_forms = sum(f.compared for f in forms)
        bad_forms = sum(f.mismatched for f in forms)
        parts[0] += (f": every element of {_count(len(forms), 'gradient')} compared with its "
                     f"matrix form ({_count(n_forms, 'element')}, "
                     + (f"{bad_forms} DISAGREE)" if bad_forms else "all agree)"))
        parts.append(f"{_count(compared, 'sampled element')} compared three ways")
    else:
        parts[0] += f": {_count(compared, 'gradient element')} compared"
    parts[-1] += f", {nbad} disagree" if nbad else ", all agree" if compared else ""
    if unchecked:
        parts.append(f"{len(unchecked)} not checked (no closed form and no usable finite "
                     "difference)")
    underived = sum(1 for e in elements if e.checked and e.symbolic is None)
    if underived:
        parts.append(f"{underived} of the compared without a closed form (finite differences "
                     "only)")
    failed = sum(1 for r in reports if r.error)
    if failed:
        parts.append(f"{_count(failed, 'call')} not checked (it raised)")
    cut = sum(1 for r in reports if (r.timed_out or r.cancelled) and not r.error)
    if cut:
        parts.append(f"{_count(cut, 'call')} cut short by the time limit")
    if rerun:
        ind = [r.independent for r in reports if r.independent is not None]
        ran = sum(1 for i in ind if i.checked)
        bad = sum(1 for i in ind if not i.ok)
        parts.append(f"script re-run with perturbed parameters for {ran} of "
                     f"{_count(len(reports), 'call')}"
                     + (f": {bad} DISAGREE" if bad else ""))
    return "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
