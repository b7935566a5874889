"""The builder dialog: the form makes a spec, previews its code, and inserts it on request."""

import pytest
from PySide6.QtCore import Qt

from desktop.builder import ModelSpec, default_spec, generate_code
from desktop.ui.builder_dialog import BuilderDialog, parse_weights


def test_builder_dialog_round_trips_a_spec_and_previews_its_code(qtbot):
    spec = ModelSpec("linear", n_in=2, n_out=1, samples=40, true_weights=(1.5, -2.0),
                     true_bias=0.25, noise=0.0, seed=3, loss="l1", optimizer="adam", lr=0.05,
                     steps=70)
    dialog = BuilderDialog(spec=spec)
    qtbot.addWidget(dialog)
    assert dialog.spec() == spec
    assert dialog.preview.toPlainText() == generate_code(spec)
    assert dialog.insert_button.isEnabled()


def test_builder_dialog_insert_emits_code_and_spec(qtbot):
    dialog = BuilderDialog()
    qtbot.addWidget(dialog)
    dialog.steps.setValue(42)
    codes, specs = [], []
    dialog.code_generated.connect(codes.append)
    dialog.spec_chosen.connect(specs.append)
    qtbot.mouseClick(dialog.insert_button, Qt.MouseButton.LeftButton)
    [code], [spec] = codes, specs
    assert spec.steps == 42
    assert code == generate_code(spec) and "for step in range(42):" in code
    assert dialog.result() == dialog.DialogCode.Accepted


def test_builder_dialog_template_change_resets_losses_and_lr(qtbot):
    dialog = BuilderDialog()
    qtbot.addWidget(dialog)
    dialog.seed.setValue(9)
    dialog.template.setCurrentIndex(dialog.template.findData("logistic"))
    spec = dialog.spec()
    assert spec == ModelSpec(**{**default_spec("logistic").__dict__, "seed": 9})
    assert [dialog.loss.itemData(i) for i in range(dialog.loss.count())] == ["bce", "mse"]
    assert not dialog.hidden.isEnabled()
    dialog.template.setCurrentIndex(dialog.template.findData("mlp"))
    assert dialog.hidden.isEnabled()
    dialog.optimizer.setCurrentIndex(dialog.optimizer.findData("adam"))
    assert dialog.lr.value() == pytest.approx(0.05)
    assert "torch.optim.Adam([W1, b1, W2, b2], lr=0.05)" in dialog.preview.toPlainText()


def test_builder_dialog_explains_problems_and_blocks_insert(qtbot):
    dialog = BuilderDialog()
    qtbot.addWidget(dialog)
    dialog.weights.setText("1, 2")
    assert "true weights need 1 number " in dialog.problems.text()
    assert not dialog.insert_button.isEnabled()
    assert not dialog.preview.isEnabled()  # the code shown is not this form's
    dialog.weights.setText("two")
    assert "numbers separated by commas" in dialog.problems.text()
    seen = []
    dialog.code_generated.connect(seen.append)
    dialog._insert()
    assert seen == []
    dialog.weights.setText("")  # blank: drawn from the seed
    assert dialog.problems.text() == ""
    assert dialog.preview.isEnabled()
    assert "true_w = torch.randn(n_in, n_out)" in dialog.preview.toPlainText()


def test_builder_preview_shows_whole_lines_of_code(qtbot):
    # whatever fonts the machine has: lines fit, and the font is fixed-pitch whenever any
    # installed family is (fontconfig's "monospace" may resolve to a proportional font)
    from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QFontMetrics
    from PySide6.QtWidgets import QPlainTextEdit

    dialog = BuilderDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.preview.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap
    fixed_families = [f for f in QFontDatabase.families()
                      if QFontDatabase.isFixedPitch(f) and QFontInfo(QFont(f)).fixedPitch()]
    if fixed_families:
        assert QFontInfo(dialog.preview.font()).fixedPitch(), fixed_families
    for template in ("linear", "logistic", "mlp"):
        dialog.set_spec(default_spec(template))
        longest = max(dialog.preview.toPlainText().splitlines(), key=len)
        width = QFontMetrics(dialog.preview.font()).horizontalAdvance(longest)
        assert width < dialog.preview.viewport().width(), longest


def test_parse_weights():
    assert parse_weights(" 2, -1.5 ;3e-1 ") == (2.0, -1.5, 0.3)
    assert parse_weights("  ") is None
    with pytest.raises(ValueError, match="numbers separated by commas"):
        parse_weights("1, x")
