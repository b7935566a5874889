"""A script's ``import torch`` statements rewritten to import stepgrad's engine, and the guard
code that imports the engine as installed: shared by the script export and the notebook export.
"""

from __future__ import annotations

import ast
import re

from desktop.source_text import source_lines
from engine.script_namespace import engine_lacks, engine_module_name


def _engine_module(name: str) -> str:
    return engine_module_name(name) or name


def _is_torch(name: str | None) -> bool:
    return bool(name) and engine_module_name(name) is not None


def _rewrite_import(node: ast.Import) -> str:
    names = []
    for alias in node.names:
        if not _is_torch(alias.name):
            names.append(alias)
        elif alias.asname:
            names.append(ast.alias(_engine_module(alias.name), alias.asname))
        else:
            # `import torch.nn` binds the name torch to the package: keep that binding
            names.append(ast.alias("engine", "torch"))
            if alias.name != "torch":
                names.append(ast.alias(_engine_module(alias.name)))
    return ast.unparse(ast.Import(names=names))


def _missing(names) -> str | None:
    """For an import of a torch module the engine lacks: a statement raising the error a run in
    the app gives (``engine.script_namespace.missing_module_error``), not Python's own about an
    ``engine.x`` the script never named."""
    for name in names:
        lacking = engine_lacks(name)
        if lacking:
            return ('raise __import__("engine.script_namespace").script_namespace'
                    f".missing_module_error({lacking!r})")
    return None


def engine_imports(code: str) -> str:
    """``code`` with its torch imports turned into engine imports, everything else unchanged
    (comments, spacing, line numbers). Code that does not parse is rewritten line by line."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return _engine_imports_by_line(code)
    lines = source_lines(code)  # numbered as the AST numbers them
    edits = []  # (line index, start byte, end byte, replacement) on single-line statements
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(_is_torch(a.name) for a in node.names):
            text = _missing(a.name for a in node.names) or _rewrite_import(node)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_torch(node.module):
            text = _missing((node.module,))
        else:
            continue
        i = node.lineno - 1
        raw = lines[i].encode("utf-8")
        if text is None:  # from torch.x import ...: only the module name changes
            head = raw[node.col_offset:].decode("utf-8")
            new_head = re.sub(r"^from(\s+)torch\b", r"from\1engine", head, count=1)
            edits.append((i, node.col_offset, len(raw), new_head))
        elif node.end_lineno == node.lineno:
            edits.append((i, node.col_offset, node.end_col_offset, text))
        else:  # a multi-line `import` (backslashes): one line, then blank lines keep numbering
            last = lines[node.end_lineno - 1].encode("utf-8")
            rest = last[node.end_col_offset:].decode("utf-8")
            for k in range(i + 1, node.end_lineno):
                lines[k] = ""
            blank = "\n" * (node.end_lineno - node.lineno)
            edits.append((i, node.col_offset, len(raw), text + rest + blank))
    for i, start, end, text in sorted(edits, reverse=True):
        raw = lines[i].encode("utf-8")
        lines[i] = (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")
    return "".join(lines)


def _engine_imports_by_line(code: str) -> str:
    out = []
    for line in source_lines(code):
        line = re.sub(r"^(\s*)import torch(\s*(#.*)?)$", r"\1import engine as torch\2", line)
        line = re.sub(r"^(\s*)import torch\.(\S+) as ", r"\1import engine.\2 as ", line)
        line = re.sub(r"^(\s*)from torch(\.\S+)? import ", r"\1from engine\2 import ", line)
        out.append(line)
    return "".join(out)


def engine_guard() -> str:
    """Code that imports stepgrad's engine as installed, or exits with how to run the script.

    The import goes through ``sys.path`` only, so the text is the same on every machine."""
    return """\
import sys

try:  # stepgrad's engine, as installed (`pip install stepgrad` puts `engine` on the path)
    import engine as _stepgrad_engine
    _stepgrad_engine.Tensor
except (ImportError, AttributeError) as _stepgrad_missing:
    sys.exit("This script runs on stepgrad's engine, which this Python cannot import "
             f"({_stepgrad_missing}).\\nInstall stepgrad into this Python "
             "(pip install stepgrad, or pip install -e YOUR_STEPGRAD_FOLDER), or run the script "
             "with `stepgrad run FILE`.")
"""
