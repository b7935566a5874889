"""The model builder dialog: a form over ``desktop.builder.ModelSpec`` with a live preview of
the code it writes. "Insert into editor" emits ``code_generated(code)`` (and
``spec_chosen(spec)``, so the window can set up the loss landscape); nothing runs here.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.builder import (
    DATASETS,
    LOSS_NAMES,
    LOSSES,
    OPTIMIZERS,
    TEMPLATES,
    ModelSpec,
    default_spec,
    generate_code,
    suggested_lr,
)
from desktop.ui import pyside_refcount
from desktop.ui.data_preview import DataPreview
from desktop.ui.fonts import code_font, widest_ascii_advance

pyside_refcount.apply()  # PySide6 6.12 drops refs to None/True on calls (see module)

PREVIEW_COLUMNS = 80  # generate_code keeps its lines within this


def parse_weights(text: str) -> tuple[float, ...] | None:
    """"2, -1.5" -> (2.0, -1.5); blank -> None (drawn from the seed). Raises ValueError."""
    text = text.strip()
    if not text:
        return None
    try:
        return tuple(float(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        message = f"true weights must be numbers separated by commas, not {text!r}"
        raise ValueError(message) from None


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def _dspin(lo: float, hi: float, value: float, decimals: int, step: float, tip: str):
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class BuilderDialog(QDialog):
    code_generated = Signal(str)
    spec_chosen = Signal(object)  # ModelSpec

    def __init__(self, parent: QWidget | None = None, spec: ModelSpec | None = None):
        super().__init__(parent)
        self.setWindowTitle("Model builder")
        self.template = QComboBox()
        for key, label in TEMPLATES.items():
            self.template.addItem(label, key)
        self.n_in = _spin(1, 1000, 1, "number of input features")
        self.n_out = _spin(1, 1000, 1, "number of outputs")
        self.hidden = _spin(1, 4096, 16, "hidden units (MLP only)")
        self.samples = _spin(1, 1_000_000, 100, "number of synthetic samples")
        self.weights = QLineEdit()
        self.weights.setPlaceholderText("blank: random from the seed")
        self.weights.setToolTip("n_in × n_out numbers, row by row, separated by commas")
        self.bias = _dspin(-1e6, 1e6, 0.5, 4, 0.1, "the true bias")
        self.noise = _dspin(0.0, 1e6, 0.1, 4, 0.05, "standard deviation of the added noise")
        self.seed = _spin(0, 2**31 - 1, 0, "torch.manual_seed for data and starting weights")
        self.loss = QComboBox()
        self.optimizer = QComboBox()
        for key, label in OPTIMIZERS.items():
            self.optimizer.addItem(label, key)
        self.lr = _dspin(1e-6, 100.0, 0.1, 6, 0.01, "learning rate")
        self.steps = _spin(1, 1_000_000, 100, "training steps")
        self.degree = _spin(1, 12, 3, "highest power of x (polynomial fit only)")
        self.dataset = QComboBox(toolTip="the 2-D points to classify (classifier only)")
        for key, label in DATASETS.items():
            self.dataset.addItem(label, key)

        form = QFormLayout()
        form.addRow("Template", self.template)
        sizes = QHBoxLayout()
        for label, box in (("in", self.n_in), ("out", self.n_out), ("hidden", self.hidden)):
            sizes.addWidget(QLabel(label))
            sizes.addWidget(box)
        form.addRow("Sizes", sizes)
        form.addRow("Degree", self.degree)
        form.addRow("Data set", self.dataset)
        form.addRow("Samples", self.samples)
        form.addRow("True weights", self.weights)
        form.addRow("True bias", self.bias)
        form.addRow("Noise", self.noise)
        form.addRow("Seed", self.seed)
        form.addRow("Loss", self.loss)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.lr)
        form.addRow("Steps", self.steps)

        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c62828")
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(code_font())
        # code keeps its lines: wrapped code reads as different code
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        chars = widest_ascii_advance(QFontMetrics(self.preview.font())) * PREVIEW_COLUMNS
        self.preview.setMinimumWidth(chars + 30)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.insert_button = self.buttons.addButton(
            "Insert into editor", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._insert)
        self.buttons.rejected.connect(self.reject)

        self.data_preview = DataPreview()
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.problems)
        left.addWidget(self.data_preview, 1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.preview, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        lay.addWidget(self.buttons)

        self._updating = False
        self.set_spec(spec or default_spec("linear"))
        self.template.currentIndexChanged.connect(self._template_changed)
        self.optimizer.currentIndexChanged.connect(self._optimizer_changed)
        for box in (self.n_in, self.n_out, self.hidden, self.samples, self.seed, self.steps):
            box.valueChanged.connect(self._refresh)
        for box in (self.bias, self.noise, self.lr):
            box.valueChanged.connect(self._refresh)
        self.weights.textChanged.connect(self._refresh)
        self.loss.currentIndexChanged.connect(self._refresh)
        self.degree.valueChanged.connect(self._degree_changed)
        self.dataset.currentIndexChanged.connect(self._refresh)

    # --- form <-> spec ---
    def set_spec(self, spec: ModelSpec) -> None:
        self._updating = True
        try:
            self.template.setCurrentIndex(self.template.findData(spec.template))
            self._fill_losses(spec.template, spec.loss)
            self.n_in.setValue(spec.n_in)
            self.n_out.setValue(spec.n_out)
            self.hidden.setValue(spec.hidden)
            self.samples.setValue(spec.samples)
            weights = spec.true_weights
            self.weights.setText("" if weights is None else ", ".join(f"{w:g}" for w in weights))
            self.bias.setValue(spec.true_bias)
            self.noise.setValue(spec.noise)
            self.seed.setValue(spec.seed)
            self.optimizer.setCurrentIndex(self.optimizer.findData(spec.optimizer))
            self.lr.setValue(spec.lr)
            self.steps.setValue(spec.steps)
            self.degree.setValue(spec.degree)
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(spec.dataset)))
        finally:
            self._updating = False
        self._refresh()

    def spec(self) -> ModelSpec:
        """The form as a spec. Raises ValueError when the weights field is not numbers."""
        return ModelSpec(
            template=self.template.currentData(),
            n_in=self.n_in.value(),
            n_out=self.n_out.value(),
            hidden=self.hidden.value(),
            samples=self.samples.value(),
            true_weights=parse_weights(self.weights.text()),
            true_bias=self.bias.value(),
            noise=self.noise.value(),
            seed=self.seed.value(),
            loss=self.loss.currentData(),
            optimizer=self.optimizer.currentData(),
            lr=self.lr.value(),
            steps=self.steps.value(),
            degree=self.degree.value(),
            dataset=self.dataset.currentData(),
        )

    def _fill_losses(self, template: str, current: str | None) -> None:
        self.loss.blockSignals(True)
        self.loss.clear()
        for key in LOSSES[template]:
            self.loss.addItem(LOSS_NAMES[key], key)
        index = self.loss.findData(current)
        self.loss.setCurrentIndex(max(index, 0))
        self.loss.blockSignals(False)

    # --- reactions ---
    def _template_changed(self) -> None:
        if self._updating:
            return
        # a new template starts from its defaults, keeping the user's optimiser and seed
        old = self.spec_or_none()
        spec = default_spec(self.template.currentData(), self.optimizer.currentData())
        if old is not None:
            spec = replace(spec, seed=old.seed, samples=old.samples)
        self.set_spec(spec)

    def _optimizer_changed(self) -> None:
        if not self._updating:
            self.lr.setValue(suggested_lr(self.template.currentData(),
                                          self.optimizer.currentData()))
        self._refresh()

    def _degree_changed(self) -> None:
        """A new degree: true coefficients padded with zeros (or cut) to match it."""
        if self._updating or self.template.currentData() != "poly":
            self._refresh()
            return
        try:
            old = parse_weights(self.weights.text()) or ()
        except ValueError:
            old = ()
        n = self.degree.value()
        values = (tuple(old) + (0.0,) * n)[:n]
        self.weights.setText(", ".join(f"{w:g}" for w in values))  # refreshes

    def spec_or_none(self) -> ModelSpec | None:
        try:
            return self.spec()
        except ValueError:
            return None

    def _refresh(self) -> None:
        if self._updating:
            return
        template = self.template.currentData()
        self.hidden.setEnabled(template in ("mlp", "classifier"))
        self.degree.setEnabled(template == "poly")
        self.dataset.setEnabled(template == "classifier")
        self.weights.setEnabled(template != "classifier")
        for box in (self.n_in, self.n_out):  # fixed by the template
            box.setEnabled(template not in ("poly", "classifier"))
        try:
            spec = self.spec()
            problems = spec.problems()
        except ValueError as exc:
            spec, problems = None, [str(exc)]
        self.problems.setText("\n".join(problems))
        self.insert_button.setEnabled(not problems)
        self.preview.setEnabled(not problems)  # greyed: the code shown is the last valid form
        if not problems:
            self.preview.setPlainText(generate_code(spec))
        self.data_preview.show_spec(None if problems else spec)

    def _insert(self) -> None:
        spec = self.spec_or_none()
        if spec is None or spec.problems():
            return
        self.code_generated.emit(generate_code(spec))
        self.spec_chosen.emit(spec)
        self.accept()
