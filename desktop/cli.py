"""The ``stepgrad`` command (no Qt imported unless the GUI is asked for).

    stepgrad                      open the app
    stepgrad FILE.py              open the app with FILE.py in the editor
    stepgrad run FILE.py          run FILE.py headless on the engine (exit 1 on error)
    stepgrad run SESSION          run a .stepgrad session's code the same way
    stepgrad run FILE.ipynb       run a Jupyter notebook's code cells in order
    stepgrad check FILE.py        three-way gradient report (symbolic.cli; FILE.ipynb too)
    stepgrad export SESSION -o F  export a session as a script (desktop.export)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

USAGE = __doc__.split("\n\n", 1)[1]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help", "help"):
        print("usage:\n" + USAGE, end="")
        return 0
    if args and args[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"stepgrad {version('stepgrad')}")
        except PackageNotFoundError:
            print("stepgrad (not installed)")
        return 0
    command = args[0] if args else None
    if command == "run":
        return run_command(args[1:])
    if command == "check":
        return _quiet_on_closed_pipe(_check_command, args[1:])
    if command == "export":
        return _quiet_on_closed_pipe(_dispatch, "desktop.export", args[1:], "export")
    return _gui(args)


def _quiet_on_closed_pipe(command, *args) -> int:
    """Run a subcommand that reports on stdout. When the reader goes away (`stepgrad check F |
    head`), end as a shell tool ended by SIGPIPE does: status 141 and no traceback. stdout is
    pointed at /dev/null so that the interpreter's last flush has nowhere to fail."""
    try:
        return command(*args)
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return 128 + 13


def _no_display() -> bool:
    """True where Qt would abort for want of a display: Linux/BSD with neither X11 nor
    Wayland, and no platform chosen by hand (QT_QPA_PLATFORM=offscreen works anywhere)."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _gui(args: list[str]) -> int:
    if _no_display():
        print("stepgrad: no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY "
              "is set); `stepgrad run FILE.py`, `stepgrad check FILE.py` and `stepgrad export` "
              "work without one", file=sys.stderr)
        return 1
    try:
        app = importlib.import_module("desktop.app")
    except ImportError as exc:  # no PySide6, or the app module itself is missing
        print(f"stepgrad: cannot start the app ({exc}); `stepgrad run FILE.py` works without it",
              file=sys.stderr)
        return 1
    return int(app.main(args) or 0)


def _check_command(args: list[str]) -> int:
    """``stepgrad check``: symbolic.cli, which reads a notebook through desktop.notebook and a
    session's code through desktop.session (a session file is JSON, never run as Python)."""
    from desktop.session import SUFFIX

    if not any(a.endswith((".ipynb", SUFFIX)) for a in args):
        return _dispatch("symbolic.cli", args, "check")
    from symbolic.cli import main as check_main

    def read(path: str) -> str | None:
        source = _read_source(path, "check")
        return source[0] if isinstance(source, tuple) else source

    return int(check_main(args, read=read) or 0)


def _dispatch(module: str, args: list[str], command: str) -> int:
    """Hand a subcommand owned by another part of the project to ``module.main(argv)``."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):  # the module itself, not one it imports
            print(f"stepgrad {command}: not available in this build ({module} is missing)",
                  file=sys.stderr)
            return 2
        raise
    return int(mod.main(args) or 0)


def run_command(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="stepgrad run",
                                     description="Run a script headless on the engine.")
    parser.add_argument("file", nargs="?",
                        help="Python script (its `import torch` runs on the engine) or a "
                             ".stepgrad session, whose code is run")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="stop the script after this many seconds")
    parser.add_argument("--graph", action="store_true",
                        help="after the run, list the autograd graph's nodes")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    opts = parser.parse_args(argv)
    if opts.file is None:  # optional for argparse only so its message does not name `args`
        parser.error("the following argument is required: file")
    source = _read_source(opts.file)
    if source is None:
        return 2
    notebook = None
    if opts.file.endswith(".ipynb"):
        source, notebook = source

    from desktop.process_exit import exit_now
    from desktop.runner import ScriptRun, format_error
    from desktop.user_traceback import format_user_traceback

    # The real streams, taken before the run installs its per-thread proxies (writing to the
    # proxy from the worker thread would route the text straight back into the run).
    out, err = sys.stdout, sys.stderr
    closed: list[str] = []  # the reader of our output went away (`stepgrad run x.py | head`)

    def echo(chunk):
        if closed:
            return
        stream = err if chunk.stream == "stderr" else out
        try:
            stream.write(chunk.text)
            stream.flush()
        except (BrokenPipeError, ValueError):  # ValueError: a stream closed under us
            closed.append(chunk.stream)
            run.stop(reason="its output was closed")

    def finish(status: int) -> int:
        if closed:  # as a shell tool killed by SIGPIPE; nothing more to say to anyone
            exit_now(128 + 13)
        if run.result is not None and run.result.extras.get("abandoned"):
            # the worker is stuck in C (a BLAS call): normal interpreter exit would deadlock
            # in the library's exit handler (see desktop.process_exit)
            exit_now(status)
        return status

    # The output goes to the terminal as it comes, all of it: nothing is kept or truncated.
    # Its code is named by the absolute path, as `python FILE.py` names __main__'s (its
    # __file__, its tracebacks' and warnings' locations)
    script = os.path.abspath(opts.file)
    run = ScriptRun(source, filename=script, script_path=script, on_output=echo,
                    max_seconds=opts.max_seconds, record=opts.graph, keep_output=False)
    # As `python FILE.py` would: the script sees its arguments and imports its neighbours.
    # (Process-wide, hence only here, never in the app.)
    sys.argv = [opts.file, *opts.args]
    sys.path.insert(0, os.path.dirname(script))
    run.start()
    try:
        while run.wait(0.1) is None:
            pass
    except KeyboardInterrupt:
        try:
            run.stop(reason="interrupted", block=True)
            run.wait(2.0)
        except KeyboardInterrupt:  # a second Ctrl+C: leave now, whatever the worker does
            exit_now(130)
        if not closed:
            print("stepgrad run: interrupted", file=err)
        return finish(130)
    result = run.result
    try:
        if opts.graph and not closed:
            _print_graph(result.graph, out)
        if result.error is not None and not closed:
            if result.error.kind == "SystemExit":
                return finish(_exit_status(result.error.message, err))
            if result.status == "error" and run.outcome is not None:
                err.write(format_user_traceback(run.outcome))
            else:
                err.write(format_error(result.error))
            if notebook is not None:
                _notebook_location(notebook, script, result.error, err)
            return finish(1)
        if result.status == "stopped":
            return finish(1)
    except BrokenPipeError:
        closed.append("stdout")
    return finish(0)


def _notebook_location(notebook, path: str, error, err) -> None:
    """Say which notebook cell the error's line (in the script made from it) belongs to."""
    lines = [line for filename, line, _ in error.traceback if filename == path]
    where = notebook.where(lines[-1]) if lines else None
    if where:
        err.write(f"(line {lines[-1]} of the script made from {os.path.basename(path)} is "
                  f"{where})\n")


def _exit_status(message: str | None, err) -> int:
    """sys.exit(n) in the script ends the command as it would end ``python FILE.py``: status n,
    or the message on stderr and status 1, and no traceback."""
    text = (message or "").strip()
    try:
        return int(text)
    except ValueError:
        err.write(text + "\n")
        return 1


def _read_source(path: str, command: str = "run"):
    """The code to run: the file's text, or a session's code, or for a notebook (code, the
    NotebookScript). None (and a message) when it cannot be read."""
    from desktop.session import SUFFIX, SessionError, load
    from desktop.source_text import encoding_name, read_source

    try:
        if path.endswith(SUFFIX):
            return load(path).code
        if path.endswith(".ipynb"):
            from desktop.notebook import NotebookError, read_notebook

            try:
                notebook = read_notebook(path)
            except NotebookError as exc:
                print(f"stepgrad {command}: {exc}", file=sys.stderr)
                return None
            for note in notebook.notes:
                print(f"stepgrad {command}: skipped (not Python): {note}", file=sys.stderr)
            return notebook.code, notebook
        return read_source(path)  # a BOM or a coding line honoured, as python does
    except SyntaxError as exc:  # an unknown coding declared
        print(f"stepgrad {command}: cannot read {path}: {exc.msg}", file=sys.stderr)
    except SessionError as exc:
        print(f"stepgrad {command}: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"stepgrad {command}: cannot read {path}: {exc.strerror}", file=sys.stderr)
    except UnicodeDecodeError as exc:
        print(f"stepgrad {command}: cannot read {path}: byte {exc.start} is not "
              f"{encoding_name(exc.encoding)} text (is it a Python script?)",
              file=sys.stderr)
    return None


def _print_graph(graph, out) -> None:
    for node in graph.nodes:
        label = f" {node.label}" if node.label else ""
        line = f" line {node.line}" if node.line else ""
        freed = " freed" if node.freed else ""
        out.write(f"{node.op}{label} {list(node.shape)}{line}{freed}\n")
    if graph.note:
        out.write(f"({graph.note})\n")


if __name__ == "__main__":
    sys.exit(main())
