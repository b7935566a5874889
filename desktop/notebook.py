"""Jupyter notebooks as stepgrad scripts, and scripts as notebooks (plain Python, no Qt).

``read_notebook(path)`` turns a ``.ipynb`` into one script: its code cells in order, each under
a ``# %% cell N`` header, markdown cells as comment blocks, IPython-only lines (``%magic``,
``!shell``) replaced by ``pass`` with a note saying what was skipped, and a cell's last
expression shown as Jupyter shows it (``_show(...)``: its repr, unless None). ``where(line)``
maps a line of that script back to its cell. ``script_to_notebook(code)`` splits a script at
the same headers (or keeps it as one cell) for File → Export and ``stepgrad export -o X.ipynb``.

The format itself is read and written by ``nbformat``, Jupyter's own library.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

SUFFIX = ".ipynb"
# cell magics whose body is Python: the body runs once, the magic line is skipped
_PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")
_HEADER = re.compile(r"^# %%(?: \[(markdown)\])?(?: cell \d+)?\s*$")
_SHOW = '''def _show(value):
    """What Jupyter prints for a cell's last expression: its repr, unless it is None."""
    if value is not None:
        print(repr(value))
'''


class NotebookError(ValueError):
    """A file that is not a readable notebook; the message says why."""


@dataclass(frozen=True)
class CodeCell:
    number: int  # 1-based, counting every cell of the notebook as Jupyter's order shows them
    first_line: int  # the script line holding the cell's first source line
    n_lines: int


@dataclass(frozen=True)
class NotebookScript:
    code: str
    cells: tuple[CodeCell, ...]
    notes: tuple[str, ...]  # one per skipped line or cell: "cell 2, line 1: %matplotlib inline"

    def where(self, line: int) -> str | None:
        """``"cell 3, line 2"`` for a line of ``code`` inside a code cell, else None."""
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + cell.n_lines:
                return f"cell {cell.number}, line {line - cell.first_line + 1}"
        return None


def read_notebook(path: str | os.PathLike) -> NotebookScript:
    import nbformat

    try:
        nb = nbformat.read(os.fspath(path), as_version=4)
    except OSError:
        raise
    except Exception as exc:  # nbformat raises JSON, validation and version errors
        raise NotebookError(f"{os.fspath(path)} is not a readable Jupyter notebook ({exc})") \
            from None
    return notebook_to_script(nb, os.path.basename(os.fspath(path)))


def notebook_to_script(nb, name: str = "notebook.ipynb") -> NotebookScript:
    out: list[str] = [f"# {name}, opened by stepgrad: its code cells in order, markdown as "
                      "comments.", ""]
    cells: list[CodeCell] = []
    notes: list[str] = []
    uses_show = False
    for number, cell in enumerate(nb.cells, start=1):
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if cell.cell_type == "markdown":
            out.append("# %% [markdown]")
            out += [f"# {line}".rstrip() for line in source.splitlines()]
            out.append("")
            continue
        if cell.cell_type != "code":
            continue  # raw cells are not run by Jupyter either
        lines, skipped = _python_lines(source.splitlines())
        notes += [f"cell {number}, line {i}: {text}" for i, text in skipped]
        shown = _show_last_expression(lines)
        uses_show |= shown is not lines
        out.append(f"# %% cell {number}")
        cells.append(CodeCell(number, len(out) + 1, len(shown)))
        out += shown
        out.append("")
    if uses_show:  # defined after the title line, before the first cell; shifts every cell
        extra = _SHOW.splitlines() + [""]
        out[2:2] = extra
        cells = [CodeCell(c.number, c.first_line + len(extra), c.n_lines) for c in cells]
    return NotebookScript("\n".join(out).rstrip("\n") + "\n", tuple(cells), tuple(notes))


def _python_lines(lines: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """The cell's lines with IPython syntax replaced by ``pass`` (same line count, same
    indentation, so the script's lines still line up with the cell's), and what was skipped."""
    skipped: list[tuple[int, str]] = []
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].split()[0]
        skipped.append((1, lines[0].strip()))
        if magic in _PYTHON_CELL_MAGICS:
            return [f"pass  # skipped by stepgrad: {lines[0].strip()}", *lines[1:]], skipped
        body = [f"#| {line}".rstrip() for line in lines[1:]]
        return [f"pass  # skipped by stepgrad: {lines[0].strip()}", *body], skipped
    result = []
    for i, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            result.append(f"{indent}pass  # skipped by stepgrad: {stripped}")
            skipped.append((i, stripped))
        else:
            result.append(line)
    return result, skipped


def _show_last_expression(lines: list[str]) -> list[str]:
    """``lines`` with the cell's last top-level expression wrapped in ``_show(...)`` as Jupyter
    displays it; unchanged (the same list) when there is none, when it ends with ``;`` (which
    hides it in Jupyter), when it is a ``print(...)``, or when the cell does not parse."""
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return lines
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return lines
    expr = tree.body[-1].value
    if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name)
            and expr.func.id in ("print", "display")):
        return lines
    end = expr.end_lineno - 1
    tail = lines[end][expr.end_col_offset:]
    if tail.split("#", 1)[0].strip().startswith(";"):
        return lines
    start = expr.lineno - 1
    new = list(lines)
    if start == end:
        line = new[start]
        new[start] = (line[:expr.col_offset] + "_show(" + line[expr.col_offset:expr.end_col_offset]
                      + ")" + line[expr.end_col_offset:])
    else:
        first, last = new[start], new[end]
        new[start] = first[:expr.col_offset] + "_show(" + first[expr.col_offset:]
        new[end] = last[:expr.end_col_offset] + ")" + last[expr.end_col_offset:]
    return new


# ---- scripts as notebooks -----------------------------------------------------------------------
def script_to_notebook(code: str, title: str | None = None):
    """A notebook of ``code``: one cell per ``# %%`` section (markdown sections become markdown
    cells again), or a single code cell for a script without them."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    code = code.replace(_SHOW, "")
    sections: list[tuple[str, list[str]]] = []
    kind, current = "code", []
    for line in code.splitlines():
        if line.endswith(", opened by stepgrad: its code cells in order, markdown as comments."):
            continue
        m = _HEADER.match(line)
        if m:
            sections.append((kind, current))
            kind, current = ("markdown" if m.group(1) else "code"), []
        else:
            current.append(line)
    sections.append((kind, current))
    if title:
        nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}"))
    for kind, lines in sections:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            continue
        if kind == "markdown":
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in lines)
            nb.cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            shown = _unshow("\n".join(lines))  # while the cell still parses
            source = "\n".join(_restore(line) for line in shown.splitlines())
            nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


_SKIPPED = re.compile(r"^(\s*)pass  # skipped by stepgrad: (.*)$")


def _restore(line: str) -> str:
    """The IPython line ``read_notebook`` replaced, back as Jupyter runs it."""
    m = _SKIPPED.match(line)
    if m:
        return m.group(1) + m.group(2)
    return line[3:] if line.startswith("#| ") else ("" if line == "#|" else line)


def _unshow(source: str) -> str:
    """Undo ``_show(...)`` on a cell's last expression: in Jupyter it shows itself."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name) and last.value.func.id == "_show"
            and len(last.value.args) == 1):
        return source
    inner = ast.get_source_segment(source, last.value.args[0])
    lines = source.splitlines()
    call = last.value
    before = "\n".join(lines[:call.lineno - 1] + [lines[call.lineno - 1][:call.col_offset]])
    after = lines[call.end_lineno - 1][call.end_col_offset:]
    rest = lines[call.end_lineno:]
    return "\n".join([before + inner + after, *rest])


def notebook_text(code: str, title: str | None = None, *, backend: str = "torch") -> str:
    """``code`` as notebook JSON. For ``backend="engine"`` a first cell imports the installed
    engine (or says how to get it) and each cell's ``import torch`` becomes
    ``import engine as torch``; for "torch" the cells are the code as written (Jupyter runs it
    on PyTorch)."""
    import nbformat

    nb = script_to_notebook(code, title)
    if backend == "engine":
        from desktop.torch_rewrite import engine_guard, engine_imports

        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = engine_imports(cell.source)
        setup = "# stepgrad's engine runs this notebook\n" + engine_guard().rstrip("\n")
        at = 1 if title else 0
        nb.cells.insert(at, nbformat.v4.new_code_cell(setup))
    elif backend != "torch":
        raise ValueError(f"backend must be 'engine' or 'torch', not {backend!r}")
    return nbformat.writes(nb)


def load_text(path: str) -> tuple[str, NotebookScript | None]:
    """A file's text to run or edit: a notebook's script, any other file's own text."""
    if os.fspath(path).endswith(SUFFIX):
        nb = read_notebook(path)
        return nb.code, nb
    from desktop.source_text import read_source

    return read_source(path), None  # a BOM or a coding line honoured, as python does
