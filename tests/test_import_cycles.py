"""No import cycles in ``engine/``, ``symbolic/`` or ``desktop/``.

The graph is built from the source with ``ast`` (no module is imported): every ``import`` and
``from ... import`` of a package module counts, those inside functions too (a deferred import
is still a dependency, it only hides the cycle until run time), and so is ``_lazy.x`` (the
kind of importer of sibling modules on first use that would hide a cycle); ``from . import x``
resolves to the submodule ``x`` when one exists. Cycles are the strongly connected components
of more than one module (or a module importing itself).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "symbolic", "desktop")


def module_files(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name -> source file, for every ``.py`` under ``packages``."""
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _resolve(name: str, modules) -> str | None:
    """``name`` or its longest prefix that is a known module."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(mod: str, path: Path, modules) -> set[str]:
    """The package modules ``mod`` imports anywhere in its source."""
    is_pkg = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(_resolve(alias.name, modules))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                if node.module:
                    base += node.module.split(".")
                base = ".".join(base)
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else _resolve(base, modules))
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "_lazy"):
            # `_lazy.views`: an importer object reaching a sibling module on first use
            found.add(_resolve(f"{mod.rpartition('.')[0]}.{node.attr}", modules))
    found.discard(None)
    found.discard(mod)
    return found


def import_graph(root: Path = ROOT, packages=PACKAGES) -> dict[str, set[str]]:
    modules = module_files(root, packages)
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(frozenset(comp))
    return found


def _within(graph, pkg):
    return {m: {d for d in deps if d == pkg or d.startswith(pkg + ".")}
            for m, deps in graph.items() if m == pkg or m.startswith(pkg + ".")}


def _show(comps):
    return "\n".join(" <-> ".join(sorted(c)) for c in comps)


def test_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set(), "f": {"g"}, "g": {"f"}}
    assert sorted(sorted(c) for c in cycles(graph)) == [["a", "b", "c"], ["f", "g"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_graph_sees_deferred_and_relative_imports(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .c import g\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("def f():\n    return _lazy.c.g\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.c"})]


def test_no_import_cycle_in_engine():
    found = cycles(_within(import_graph(), "engine"))
    assert not found, "import cycles in engine/:\n" + _show(found)


def test_no_import_cycle_in_symbolic():
    found = cycles(_within(import_graph(), "symbolic"))
    assert not found, "import cycles in symbolic/:\n" + _show(found)


def test_no_import_cycle_in_desktop():
    found = cycles(_within(import_graph(), "desktop"))
    assert not found, "import cycles in desktop/:\n" + _show(found)


# the package's loader of nn/optim/utils/backends on first attribute access, and the import hook
# user scripts run with (it imports their modules, not the engine's own)
DYNAMIC_IMPORTERS = {"engine", "engine.script_namespace"}


def test_engine_modules_reach_each_other_only_by_import_statements():
    """A dependency hidden in ``importlib.import_module`` or ``__import__`` (or an importer
    object, which needs one of them) is invisible to the graph above and could close a cycle."""
    found = []
    for mod, path in module_files(ROOT, ("engine",)).items():
        if mod in DYNAMIC_IMPORTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "import_module" or (
                    isinstance(node, ast.Name) and node.id == "__import__"):
                found.append(f"{mod}:{node.lineno}")
    assert not found, f"dynamic imports in engine/: {found}"
