"""The app opens a notebook as its script (untitled, so Save never writes Python over the
.ipynb), runs it, and File → Export writes the session as a notebook."""

import nbformat
import pytest
from integration_helpers import app_fixture

from desktop.notebook import read_notebook


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_open_run_and_export_a_notebook(app, qtbot, tmp_path):
    window, controller = app
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Two weights"),
                nbformat.v4.new_code_cell("%load_ext autoreload\nimport torch\n"
                                          "w = torch.tensor([3.0, 4.0], requires_grad=True)"),
                nbformat.v4.new_code_cell("loss = w.norm()\nloss.backward()\nw.grad")]
    path = tmp_path / "two.ipynb"
    nbformat.write(nb, str(path))
    assert window.open_file(str(path), ask=False)
    assert window.source() == read_notebook(path).code
    assert window.path is None  # Save asks for a .py name
    assert "pass  # skipped by stepgrad: %load_ext autoreload" in window.source()
    with qtbot.waitSignal(controller.run_finished, timeout=20000):
        window.act_run.trigger()
    qtbot.waitUntil(lambda: "tensor([0.6000, 0.8000])" in window.output.text.toPlainText(), timeout=5000)
    out = tmp_path / "back.ipynb"
    assert controller.export_to(str(out), "torch")
    cells = nbformat.read(str(out), as_version=4).cells
    assert [c.source for c in cells] == [c.source for c in nb.cells]
