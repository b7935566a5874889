"""Imports go desktop -> symbolic -> engine: the engine never imports sympy (or symbolic), and
symbolic's time limits load without sympy (the app uses them at start-up for watches)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_engine_module_imports_sympy_or_symbolic_or_desktop():
    files = sorted((ROOT / "engine").rglob("*.py"))
    assert len(files) > 10
    bad = {str(f.relative_to(ROOT)): sorted(_imports(f) & {"sympy", "symbolic", "desktop"})
           for f in files}
    assert not {f: b for f, b in bad.items() if b}


def test_symbolic_never_imports_desktop():
    for f in sorted((ROOT / "symbolic").rglob("*.py")):
        assert "desktop" not in _imports(f), f


def test_importing_the_engine_and_the_limits_loads_no_sympy():
    code = ("import sys, pkgutil, importlib, engine\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    importlib.import_module(m.name)\n"
            "import symbolic.limits\n"
            "print('sympy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
