"""No object in ``desktop/`` reaches into another's private attributes: ``obj._name`` is only
written on ``self``, ``cls`` or ``super()``, and no module imports another's ``_name``.

The source is read with ``ast`` (nothing is imported). ``ALLOWED`` lists the reaches that stay,
each with its reason; an entry that no longer matches anything fails too, so the list only
shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (file under desktop/, the expression as written) -> why it stays
ALLOWED = {
    ("debugger/tracer.py", "sys._getframe"): "CPython's documented frame accessor",
    ("recorder.py", "sys._getframe"): "CPython's documented frame accessor",
    ("process_exit.py", "os._exit"): "the documented exit without interpreter shutdown",
    ("capture.py", "stream._fallback"): "a _RoutedStream of the same module, put back in sys",
    ("debugger/tracer.py", "tracer._continuing"):
        "the tracer's own fast-path hook, a closure over the tracer in the same module",
    ("debugger/tracer.py", "tracer._attention"):
        "the tracer's own fast-path hook, a closure over the tracer in the same module",
    ("ui/graph_view.py", "self.view._on_double_click"):
        "the view's own QGraphicsView subclass forwarding a double click",
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner_is_self(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
        node.func.id == "super"


def reaches(path: Path) -> set[str]:
    """Every private reach in one file, as written (``obj._name``, ``module._name``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and _private(node.attr) and \
                not _owner_is_self(node.value):
            found.add(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{a.name}" for a in node.names if _private(a.name)}
    return found


def all_reaches() -> set[tuple[str, str]]:
    desktop = ROOT / "desktop"
    return {(p.relative_to(desktop).as_posix(), r)
            for p in sorted(desktop.rglob("*.py")) for r in reaches(p)}


def test_no_private_reach_across_objects_in_desktop():
    assert sorted(all_reaches() - set(ALLOWED)) == []


def test_every_allowed_reach_still_exists():
    assert sorted(set(ALLOWED) - all_reaches()) == []


def test_the_check_sees_reaches_and_leaves_self_alone(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("from pkg.mod import _hidden, public\n"
                   "class A:\n"
                   "    def f(self, other):\n"
                   "        self._mine = other._theirs\n"
                   "        super()._base()\n"
                   "        return self.window._add_recent, other.__class__\n")
    assert reaches(src) == {"pkg.mod._hidden", "other._theirs", "self.window._add_recent"}
