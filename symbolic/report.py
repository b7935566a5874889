"""The three-way check's result as plain frozen data (what the GUI's symbolic panel and the CLI
show). Numbers are Python floats; None means "not available" (see ``notes``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ElementCheck:
    """d(output)/d(target[index]) three ways."""

    target: str  # leaf (or input) name, e.g. "w"
    index: tuple[int, ...]
    symbol: str  # e.g. "w_0_1"
    closed_form: str  # sympy's plain text
    pretty: str  # unicode pretty print
    latex: str
    symbolic: float | None  # the closed form's value at the current point
    engine: float | None  # the engine's gradient
    finite: float | None  # central finite difference in float64
    ok: bool
    note: str = ""
    checked: bool = True  # False: neither a closed form nor a usable finite difference

    @property
    def label(self) -> str:
        return f"{self.target}[{', '.join(map(str, self.index))}]" if self.index else self.target


@dataclass(frozen=True)
class MatrixForm:
    """A closed form for a whole tensor in matrix notation, e.g. ∂L/∂W1 = (∂L/∂Z)ᵀ·X, with the
    chain of equations from L down to it (``symbolic.matrix``)."""

    target: str
    text: str
    latex: str
    ok: bool  # its value equals the engine's grad at every element
    chain: tuple[tuple[str, str], ...] = ()  # (text, latex) of the equations it uses, in order
    compared: int = 0  # elements compared with the engine's grad (all of them)
    mismatched: int = 0
    max_error: float = 0.0


@dataclass(frozen=True)
class TargetReport:
    name: str
    shape: tuple[int, ...]
    dtype: str
    checked: int  # elements checked
    total: int  # elements in the tensor
    elements: tuple[ElementCheck, ...]
    matrix_form: MatrixForm | None = None

    @property
    def sampled(self) -> bool:
        return self.checked < self.total


@dataclass(frozen=True)
class CustomCheck:
    """A user Function's backward against the derivative of its forward (per input element)."""

    function: str
    where: tuple[str, int] | None
    replayed: bool  # forward replayed symbolically (else: finite differences only)
    reason: str  # why it was not replayed
    elements: tuple[ElementCheck, ...]
    # per argument: the derivative of the forward in matrix notation (what backward should
    # return), its value compared with what backward returned at every element
    forms: tuple[MatrixForm, ...] = ()
    backward_source: str = ""  # the user's backward, as written

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.elements) and all(f.ok for f in self.forms)


@dataclass(frozen=True)
class IndependentCheck:
    """The engine's grads against the script itself, run again with the targets perturbed
    (``symbolic.rerun``): independent of the recorded graph."""

    status: str  # "agree", "disagree", "inconclusive" or "unavailable"
    text: str
    finite: float | None = None  # dL along the direction, from the re-runs
    engine: float | None = None  # the same from the engine's grads

    @property
    def ok(self) -> bool:
        return self.status != "disagree"

    @property
    def checked(self) -> bool:
        return self.status in ("agree", "disagree")


@dataclass(frozen=True)
class CheckReport:
    title: str  # e.g. "call 1: backward() at model.py:12"
    kind: str  # "backward" or "grad"
    order: int  # 1, or 2/3 for derivatives of derivatives (create_graph=True)
    where: tuple[str, int] | None
    output: str  # closed form of the differentiated output (may be abbreviated)
    targets: tuple[TargetReport, ...]
    custom: tuple[CustomCheck, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None  # the call itself failed (nothing checked)
    timed_out: bool = False
    cancelled: bool = False
    seconds: float = 0.0
    independent: IndependentCheck | None = None
    # the backward pass in matrix notation: "L = loss", generated names' definitions, then one
    # equation per named tensor from L down (each (text, latex))
    chain: tuple[tuple[str, str], ...] = ()

    @property
    def elements(self) -> tuple[ElementCheck, ...]:
        return tuple(e for t in self.targets for e in t.elements)

    @property
    def failures(self) -> tuple[ElementCheck, ...]:
        bad = [e for e in self.elements if not e.ok]
        bad += [e for c in self.custom for e in c.elements if not e.ok]
        return tuple(bad)

    @property
    def unchecked(self) -> tuple[ElementCheck, ...]:
        return tuple(e for e in (*self.elements, *(e for c in self.custom for e in c.elements))
                     if not e.checked)

    @property
    def underived(self) -> tuple[ElementCheck, ...]:
        """Checked elements that have no closed form (compared with finite differences only)."""
        return tuple(e for e in (*self.elements, *(e for c in self.custom for e in c.elements))
                     if e.checked and e.symbolic is None)

    @property
    def ok(self) -> bool:
        """No disagreement found (which is not "all checked": see ``complete``)."""
        if self.error is not None:
            return True  # the script's own error is reported, not a disagreement
        if self.independent is not None and not self.independent.ok:
            return False
        return not self.failures and all(mf.ok for t in self.targets
                                         for mf in [t.matrix_form] if mf is not None)

    @property
    def complete(self) -> bool:
        """Everything this report shows was compared: the call ran, every element was checked,
        the work was not cut short."""
        return (self.error is None and not self.unchecked and not self.underived
                and not self.timed_out and not self.cancelled)
