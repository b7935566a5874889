"""Export a session or a script as a standalone Python script (no Qt).

The script runs with plain ``python``: on stepgrad's engine (``import torch`` becomes
``import engine as torch``, the engine imported as installed), or on real PyTorch. Nothing of
the exporting machine is written into it (no folder, no user name): where the engine is not
installed, the script stops with a message saying how to run it.
After the user's code it prints every tensor with its value and gradient, as the inspector
shows them, then the watch expressions, and optionally the three-way gradient check from
``symbolic``. Exporting only writes text: nothing of the session is executed.

    stepgrad export work.stepgrad -o work.py [--torch] [--check]
    stepgrad export work.stepgrad -o work.ipynb [--torch]   (the code as a Jupyter notebook)
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections.abc import Sequence

from desktop.session import Session, SessionError, atomic_write_text, load
from desktop.source_text import encoding_name
from desktop.torch_rewrite import engine_guard, engine_imports

REPORT_HEADER = "== stepgrad: tensors after the run =="
CHECK_HEADER = "== stepgrad: three-way gradient check =="
RUN_SEED = 67280421310721  # engine.random.DEFAULT_SEED, which the app's runs start from


# --- the script ----------------------------------------------------------------------------------

def _report_function(backend: str, watches: Sequence[str]) -> str:
    """The inspector's listing (``desktop.tensors.namespace_tensors``), as standalone code."""
    module = "engine" if backend == "engine" else "torch"
    max_items = _max_items()
    return f'''\
def _stepgrad_report(namespace):
    """Print every tensor as stepgrad's inspector shows it: value, then grad; then watches."""
    import {module} as _torch

    found, seen, containers, modules = [], set(), [], []
    for name, value in list(namespace.items()):
        if name.startswith("__"):
            continue
        if isinstance(value, _torch.Tensor):
            found.append((name, value))
            seen.add(id(value))
        elif isinstance(value, (list, tuple, dict)):
            containers.append((name, value))
        elif hasattr(value, "named_parameters") and not isinstance(value, type):
            modules.append((name, value))
    for name, value in containers:  # ws[0], params['w']: the first items of each
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for key, item in items[:{max_items}]:
            if isinstance(item, _torch.Tensor) and id(item) not in seen:
                found.append((f"{{name}}[{{key!r}}]", item))
                seen.add(id(item))
    for name, module in modules:  # model.weight: parameters of nn.Modules
        for pname, p in module.named_parameters():
            if id(p) not in seen:
                found.append((f"{{name}}.{{pname}}", p))
                seen.add(id(p))
    print()
    print({REPORT_HEADER!r})
    for name, t in found:
        # only leaves (and tensors that called retain_grad) keep .grad, as in the inspector
        grad = t.grad if t.is_leaf or t.retains_grad else None
        fn = None if t.grad_fn is None else t.grad_fn.name()
        dtype = str(t.dtype).replace("torch.", "")
        print(f"{{name}}: shape={{tuple(t.shape)}} dtype={{dtype}} "
              f"requires_grad={{t.requires_grad}} is_leaf={{t.is_leaf}} grad_fn={{fn}}")
        print(f"{{name}} =", t.detach())
        print(f"{{name}}.grad =", grad)
    for expr in {list(watches)!r}:
        try:
            print(f"watch {{expr}} =", eval(expr, namespace))
        except Exception as exc:
            print(f"watch {{expr}} -> {{type(exc).__name__}}: {{exc}}")
'''


def docstring_literal(text: str) -> str:
    """A string literal that evaluates to exactly ``text``: triple-quoted when ``text`` can sit
    between triple quotes as is (no quotes, backslashes or control characters that would end or
    change it), else ``repr(text)``. Whatever a title holds, it stays data."""
    plain = ('"""' not in text and "\\" not in text and not text.endswith('"')
             and all(c == "\n" or c.isprintable() for c in text))
    literal = f'"""{text}"""' if plain else repr(text)
    try:
        if ast.literal_eval(literal) == text:
            return literal
    except (SyntaxError, ValueError):
        pass
    return repr(text)


def _max_items() -> int:
    try:
        from desktop.tensors import MAX_ITEMS
    except ImportError:
        return 8
    return MAX_ITEMS


CHECK_FIRST, CHECK_LAST = 2, 1  # backward()/autograd.grad() calls the check export keeps
CHECK_ELEMENTS = 12  # element rows printed per call (mismatches first); the rest are counted

CHECK_FUNCTION = f'''\
def _stepgrad_check(recorder):
    """The three-way check of the first and last backward()/autograd.grad() calls the code
    made (a training loop's calls in between are counted, not checked)."""
    import engine.observe
    from symbolic.checker import check

    engine.observe.set_observer(None)
    print()
    print({CHECK_HEADER!r})
    calls, total = recorder.calls, recorder.total
    if not total:
        print("no backward() or autograd.grad() call to check")
        return
    cache, agree = {{}}, 0
    for k, call in enumerate(calls, 1):
        print(f"checking {{k}} of {{len(calls)}}: {{call.title}} ...", flush=True)
        report = check(call, None, None, cache)
        agree += bool(report.ok)
        verdict = "agree" if report.ok else "DISAGREE"
        print(f"{{report.title}}: engine, closed form and finite differences {{verdict}}")
        if report.error:
            print(f"  the call failed: {{report.error}}")
        for target in report.targets:
            if target.matrix_form is not None:
                print(f"  {{target.matrix_form.text}}")
        rows = sorted(report.elements, key=lambda e: e.ok)[:{CHECK_ELEMENTS}]  # mismatches first
        for e in [e for e in report.elements if any(e is r for r in rows)]:
            mark = "ok" if e.ok else "MISMATCH"
            form = e.closed_form if len(e.closed_form) <= 100 else e.closed_form[:97] + "..."
            print(f"  d/d{{e.label}}: {{form}} = {{e.symbolic}} | engine {{e.engine}}"
                  f" | finite difference {{e.finite}}  {{mark}}")
        rest = len(report.elements) - len(rows)
        if rest:
            bad = sum(not e.ok for e in report.elements) - sum(not e.ok for e in rows)
            print(f"  ... {{rest}} more elements, "
                  + (f"{{bad}} of them MISMATCH" if bad else "all ok"))
        for custom in report.custom:
            mark = "ok" if custom.ok else "MISMATCH"
            print(f"  custom Function {{custom.function}}: backward vs derivative of forward "
                  f"{{mark}}")
        for note in report.notes:
            print(f"  note: {{note}}")
    skipped = total - len(calls)
    print(f"checked {{len(calls)}} of {{total}} backward()/autograd.grad() calls "
          f"({{agree}} agree, {{len(calls) - agree}} disagree); skipped {{skipped}}"
          + (f" (only the first {{recorder.first}} and the last {{recorder.last}} are checked)"
             if skipped else ""))
'''


def export_script(code: str, *, backend: str = "engine", check: bool = False,
                  watches: Sequence[str] = (), title: str | None = None,
                  breakpoints: Sequence[int] = (), check_first: int = CHECK_FIRST,
                  check_last: int = CHECK_LAST) -> str:
    """The standalone script for ``code``.

    Args:
        code: the user's script, as in the editor.
        backend: "engine" (``import engine as torch``) or "torch" (real PyTorch).
        check: append the three-way gradient check (engine only: it needs symbolic).
        watches: expressions printed after the tensors, as the watch panel shows them.
        title: first line of the docstring (a lesson title, a file name).
        breakpoints: mentioned in the header (a plain script has none).
        check_first, check_last: with ``check``, the calls checked: the first ``check_first``
            and the last ``check_last`` backward()/autograd.grad() calls (others are counted).
    """
    if backend not in ("engine", "torch"):
        raise ValueError(f"backend must be 'engine' or 'torch', not {backend!r}")
    if check and backend != "engine":
        raise ValueError("the three-way check runs on stepgrad's engine and symbolic package; "
                         "export for the engine to include it")
    if check_first < 0 or check_last < 0:
        raise ValueError(f"the calls to check must be >= 0, not first={check_first} "
                         f"last={check_last}")
    title = title or "A stepgrad session"
    runs_on = ("stepgrad's engine (`import torch` became `import engine as torch`)"
               if backend == "engine" else "real PyTorch")
    doc = [
        f"{title} (exported from stepgrad).",
        "",
        f"Run it with plain `python`; it runs on {runs_on}.",
        "After the code it prints every tensor with its value and gradient, as stepgrad's",
        "inspector shows them" + (", then the three-way gradient check." if check else "."),
    ]
    if breakpoints:
        lines = "line" if len(breakpoints) == 1 else "lines"
        doc.append(f"Breakpoints in the session (ignored here): {lines} "
                   f"{', '.join(map(str, breakpoints))}.")
    parts = [docstring_literal("\n".join(doc) + "\n"), "import atexit", ""]
    if backend == "engine":
        parts += [engine_guard(), ""]
    parts.append(_report_function(backend, watches))
    if check:
        parts += [
            CHECK_FUNCTION,
            "import engine.observe  # noqa: E402",
            "import symbolic  # noqa: E402",
            "",
            f"_stepgrad_recorder = symbolic.FirstLastRecorder(first={int(check_first)}, "
            f"last={int(check_last)})",
            "engine.observe.set_observer(_stepgrad_recorder)",
            "atexit.register(_stepgrad_check, _stepgrad_recorder)",
        ]
    # atexit runs last-registered first: the report, then the check. It also runs when the code
    # stops with an error, just as the app still shows the tensors then.
    module = "engine" if backend == "engine" else "torch"
    parts += [
        "atexit.register(_stepgrad_report, globals())",
        "",
        "# stepgrad runs every script from this seed (real PyTorch picks a new one per process),",
        "# so unseeded random numbers here are the ones the app showed, on either backend",
        f"import {module} as _stepgrad_seed  # noqa: E402",
        "",
        f"_stepgrad_seed.manual_seed({RUN_SEED})",
        "",
        "# ---- the session's code " + "-" * 66,
    ]
    body = engine_imports(code) if backend == "engine" else code
    if body and not body.endswith("\n"):
        body += "\n"
    return "\n".join(parts) + "\n" + body


def export_session(session: Session, **kwargs) -> str:
    """``export_script`` for a session: its code, watches, breakpoints and lesson title."""
    title = kwargs.pop("title", None)
    if title is None and session.lesson:
        from desktop import lessons

        lesson = lessons.find(session.lesson)
        title = f"Lesson: {lesson.title}" if lesson else f"Lesson {session.lesson}"
    return export_script(session.code, watches=session.watches, title=title,
                         breakpoints=[b.line for b in session.breakpoints], **kwargs)


# --- command line ---------------------------------------------------------------------------------

def notebook_text(code: str, **kwargs) -> str:
    """The code as a Jupyter notebook (desktop.notebook; one cell per ``# %%`` section)."""
    from desktop.notebook import notebook_text as make

    return make(code, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stepgrad export",
        description="Export a session (.stepgrad), a script (.py) or a notebook (.ipynb) as a "
                    "standalone script or a notebook.")
    parser.add_argument("source", help="a .stepgrad session, a .py script or a .ipynb notebook")
    parser.add_argument("-o", "--output",
                        help="file to write (default: print it); a .ipynb name writes a notebook")
    parser.add_argument("--torch", action="store_true",
                        help="export for real PyTorch (`import torch`) instead of the engine")
    parser.add_argument("--check", action="store_true",
                        help="append the three-way gradient check (engine only)")
    parser.add_argument("--check-first", type=int, default=CHECK_FIRST, metavar="N",
                        help=f"with --check: check the first N backward() calls "
                             f"(default {CHECK_FIRST})")
    parser.add_argument("--check-last", type=int, default=CHECK_LAST, metavar="N",
                        help=f"with --check: and the last N (default {CHECK_LAST}); the calls "
                             "in between are counted, not checked")
    opts = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    backend = "torch" if opts.torch else "engine"
    notebook = bool(opts.output) and opts.output.endswith(".ipynb")
    if notebook and opts.check:
        print("stepgrad export: --check is for scripts; a notebook export holds the code only",
              file=sys.stderr)
        return 2
    try:
        if opts.source.endswith((".py", ".ipynb")):
            from desktop.notebook import load_text

            code, _ = load_text(opts.source)
            title = os.path.basename(opts.source)
            if notebook:
                text = notebook_text(code, backend=backend)
            else:
                text = export_script(code, backend=backend, check=opts.check, title=title,
                                     check_first=opts.check_first, check_last=opts.check_last)
        else:
            session = load(opts.source)
            text = (notebook_text(session.code, backend=backend) if notebook else
                    export_session(session, backend=backend, check=opts.check,
                                   check_first=opts.check_first, check_last=opts.check_last))
    except UnicodeDecodeError as exc:
        print(f"stepgrad export: cannot read {opts.source}: byte {exc.start} is not "
              f"{encoding_name(exc.encoding)} text", file=sys.stderr)
        return 2
    except (SessionError, ValueError) as exc:  # NotebookError is a ValueError
        print(f"stepgrad export: {exc}", file=sys.stderr)
        return 2
    except SyntaxError as exc:  # an unknown coding declared on its first lines
        print(f"stepgrad export: cannot read {opts.source}: {exc.msg}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"stepgrad export: cannot read {opts.source}: {exc.strerror}", file=sys.stderr)
        return 2
    if not opts.output:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write_text(opts.output, text)
    except OSError as exc:
        print(f"stepgrad export: cannot write {opts.output}: {exc.strerror}", file=sys.stderr)
        return 2
    kind = "notebook" if notebook else "script"
    print(f"wrote {opts.output} ({kind}, {'real PyTorch' if opts.torch else 'stepgrad engine'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
