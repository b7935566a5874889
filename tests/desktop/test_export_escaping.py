"""Every string a session or a file name carries stays data in an exported script: nothing of
it runs when the export is generated or run, and any text compiles (built with repr/ast)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from desktop import export
from desktop.export import docstring_literal, engine_imports, export_script, export_session
from desktop.session import Breakpoint, Session, save


def payloads(marker) -> list[str]:
    act = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    return [
        f'x"""\n{act}\n"""',  # ends the docstring
        f"x'''\n{act}\n'''",
        f'x"""; {act}; """',
        f'\\"""\n{act}\n#',
        f'x\\\n"""\n{act}\n"""',
        "lesson\\x",  # made the export fail to compile
        "bad\\N{",
        '"',
        "\\",
        "a\x00b\x0c\x1b\u2028\u0085c",
    ]


def run_python(path, cwd):
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("text", [
    "", "A title", "two\nlines", 'ends in "', 'has """ inside', "back\\slash", "\\x",
    "tab\there", "nul\x00", "\u2028 and \x85 and \x0c", "é ü 中", "'''", "\r\n",
])
def test_docstring_literal_evaluates_to_the_text(text):
    literal = docstring_literal(text)
    assert ast.literal_eval(literal) == text
    tree = ast.parse(literal + "\nx = 1\n")
    assert ast.get_docstring(tree, clean=False) == text and len(tree.body) == 2


def test_an_exported_title_is_the_docstring_not_code():
    text = export_script("x = 1\n", title="my work")
    assert text.startswith('"""my work (exported from stepgrad).')


@pytest.mark.parametrize("backend", ["engine", "torch"])
def test_a_crafted_lesson_id_or_file_name_never_runs(tmp_path, backend):
    marker = tmp_path / "pwned"
    for i, evil in enumerate(payloads(marker)):
        session = Session(code="x = 1\n", lesson=evil, breakpoints=(Breakpoint(1, evil),),
                          settings={"theme": evil, evil: [evil]})
        for text in (export_session(session, backend=backend),
                     export_session(session, backend=backend, title=evil)):
            tree = ast.parse(text)  # compiles, whatever the strings hold
            doc = ast.get_docstring(tree, clean=False)
            assert evil in doc
            # nothing but the report's own code precedes the session's: no statement came
            # out of a string
            assert not any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                           and "write_text" in ast.unparse(n) for n in tree.body)
        if backend == "torch":
            continue  # (running a torch export needs torch: the engine export is run below)
        path = tmp_path / f"out{i}.py"
        path.write_text(export_session(session, backend=backend, title=evil))
        proc = run_python(path, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert not marker.exists(), evil


def test_the_command_line_export_of_a_crafted_session_and_file_name(tmp_path):
    marker = tmp_path / "pwned"
    evil = payloads(marker)[0]
    session = tmp_path / "evil.stepgrad"
    save(Session(code="import torch\nx = torch.ones(2)\n", lesson=evil, watches=(evil,)),
         session)
    out = tmp_path / "evil_out.py"
    assert export.main([str(session), "-o", str(out)]) == 0
    assert not marker.exists()  # exporting runs nothing
    # a watch is an expression the exported script evaluates, as the app does after a run;
    # it sits in the script as a string, not as code
    tree = ast.parse(out.read_text())
    assert evil in ast.get_docstring(tree, clean=False)
    weird = tmp_path / 'w"""e\\ird.py'
    weird.write_text("import torch\ny = torch.ones(1)\n")
    out2 = tmp_path / "weird_out.py"
    assert export.main([str(weird), "-o", str(out2)]) == 0
    proc = run_python(out2, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'w"""e\\ird.py' in ast.get_docstring(ast.parse(out2.read_text()), clean=False)


@pytest.mark.parametrize("sep", ["\u2028", "\x0c", "\x85", "\u2029", "\x1c", "\x0b"])
def test_export_keeps_code_with_unusual_line_separators(tmp_path, sep):
    # str.splitlines breaks at these, Python's tokenizer does not
    code = (f"import torch  # a{sep}b\n"
            f"s = 'x{sep}y'\n"
            f"import torch as t2\n"
            f"print(len(s), t2.ones(2).sum().item())\n")
    rewritten = engine_imports(code)
    assert rewritten == (f"import engine as torch  # a{sep}b\n"
                         f"s = 'x{sep}y'\n"
                         f"import engine as t2\n"
                         f"print(len(s), t2.ones(2).sum().item())\n")
    path = tmp_path / "sep.py"
    path.write_text(export_script(code), encoding="utf-8")
    proc = run_python(path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("3 2.0\n")


def test_export_of_a_latin1_script_with_a_coding_line(tmp_path, capsys):
    script = tmp_path / "latin.py"
    script.write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\nprint(name)\n"
                       .encode("latin-1"))
    out = tmp_path / "latin_out.py"
    assert export.main([str(script), "-o", str(out)]) == 0
    assert "name = 'café'" in out.read_text(encoding="utf-8")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfprint('bom')\n")
    assert export.main([str(bom)]) == 0
    assert "\ufeff" not in capsys.readouterr().out
