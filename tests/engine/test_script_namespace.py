"""engine.script_namespace: one `import torch` mapping and fresh engine state for every runner."""

import pytest

import engine
from engine import script_namespace
from engine.random import DEFAULT_SEED


def run(code, **kwargs):
    ns = script_namespace.new_namespace(**kwargs)
    exec(compile(code, "<test>", "exec"), ns)
    return ns


def test_import_torch_binds_engine_modules():
    ns = run("import torch\nimport torch.nn as nn\nfrom torch import optim\nimport torch.nn.functional")
    assert ns["torch"] is engine
    assert ns["nn"].__name__ == "engine.nn"
    assert ns["optim"].__name__ == "engine.optim"
    assert script_namespace.engine_modules(ns) == {"torch": "engine", "nn": "engine.nn",
                                                   "optim": "engine.optim"}


def test_missing_torch_submodule_names_torch_and_the_engine():
    with pytest.raises(ModuleNotFoundError) as info:
        run("import torch.fancy")
    assert info.value.name == "torch.fancy"
    assert str(info.value) == ("No module named 'torch.fancy' (stepgrad runs torch on its "
                               "engine, which has no engine.fancy)")


def test_fresh_state_reseeds_and_resets_dtype_and_print_options():
    engine.manual_seed(5)
    engine.set_default_dtype(engine.float64)
    engine.set_printoptions(precision=2)
    ns = run("import torch\nx = torch.rand(3)\nd = torch.get_default_dtype()\ns = str(torch.tensor(1/3))")
    expected = engine.Generator().manual_seed(DEFAULT_SEED)
    assert ns["x"].tolist() == engine.rand(3, generator=expected).tolist()
    assert ns["d"] is engine.float32
    assert ns["s"] == "tensor(0.3333)"


def test_print_and_input_replacements_and_file():
    seen = []
    ns = script_namespace.new_namespace(print=lambda *a, **k: seen.append(a),
                                        input=script_namespace.no_input, file="/tmp/x.py")
    exec("print('hi', 2)", ns)
    assert seen == [("hi", 2)]
    assert ns["__file__"] == "/tmp/x.py" and ns["__name__"] == "__main__"
    with pytest.raises(EOFError, match="no standard input"):
        exec("input('?')", ns)


def test_unmapped_namespace_leaves_imports_alone():
    ns = run("import math", map_torch=False)
    assert ns["math"].__name__ == "math"
    assert "__import__" not in ns["__builtins__"] or ns["__builtins__"]["__import__"] is __import__
