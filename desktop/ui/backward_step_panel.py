"""The "Backward step" panel: what one backward node did — the grad that came in, the local
derivative (closed form from ``symbolic`` computed in a worker thread, the op's description until
then), the grads sent along each edge, leaf ``.grad`` accumulation (before -> after), hooks,
retain_grad stores and, at the end of the pass, the freed nodes and discarded non-leaf grads."""

from __future__ import annotations

import contextlib
import html
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from desktop.debugger.describe import describe, fmt
from desktop.debugger.history import DebugState
from desktop.debugger.local_derivative import (
    LocalDerivative,
    fallback,
    infer_exponent,
    local_derivative,
)
from desktop.node_index import NodeNames, node_index

START_DELAY = 0.05  # s; a step renders in ~10-30 ms and a user does not step sooner
NODE_LINK = "node:"  # href prefix of a graph node's name: a click selects it in the graph
IDLE_TEXT = ("Step into (F11) on a line that calls backward() or autograd.grad() to run the "
             "backward pass one node at a time.")


def node_names(state: DebugState) -> NodeNames:
    """Graph id -> "MulBackward0 (loss)" / "AccumulateGrad (w)", as the panel names nodes."""
    return NodeNames(state.graph)


def input_shapes(state: DebugState) -> tuple[tuple[int, ...], ...]:
    """Shapes of the node's inputs: the grads it sent, or the receiving node's shape."""
    b = state.backward
    index = node_index(state.graph)
    out = []
    for f in b.flows if b is not None else ():
        if f.grad is not None:
            out.append(tuple(f.grad.shape))
        else:
            n = index.get(f.target)
            out.append(tuple(n.shape) if n is not None else ())
    return tuple(out)


def derivative_key(state: DebugState) -> tuple | None:
    """Arguments of ``local_derivative`` for this stop (also the cache key)."""
    b = state.backward
    if state.kind != "backward" or b is None:
        return None
    exponent = None
    if b.op == "PowBackward0" and b.flows and b.flows[0].target is not None:
        index = node_index(state.graph)
        a, out = index.get(b.flows[0].target), index.get(b.node)
        exponent = infer_exponent(a.value if a is not None else None,
                                  out.value if out is not None else None)
    return b.op, input_shapes(state), exponent, b.row


class DerivativeCache(QObject):
    """Computes local derivatives off the GUI thread (sympy) and remembers them."""

    ready = Signal(object, object)  # key, LocalDerivative

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.done: dict[tuple, LocalDerivative] = {}
        self._started: set[tuple] = set()

    def get(self, key: tuple, wanted=None) -> LocalDerivative | None:
        """The cached result, or None after starting the computation (``ready`` follows).
        ``wanted(key)``, asked when the worker is about to begin: False skips the work (the
        user stepped on meanwhile; asking again starts it again)."""
        if key in self.done:
            return self.done[key]
        if key not in self._started:
            self._started.add(key)
            emit, started = self.ready.emit, self._started

            def work() -> None:
                if wanted is not None and not wanted(key):
                    # holding F10 through a pass: sympy for stops already left would share the
                    # GIL with the rendering of the next ones (a step took 3-10x longer)
                    started.discard(key)
                    return
                try:
                    result = local_derivative(*key)
                except Exception as exc:  # sympy trouble must never reach the GUI
                    result = fallback(key[0], f"no closed form ({type(exc).__name__})",
                                      key[3])
                with contextlib.suppress(RuntimeError):  # the panel was closed meanwhile
                    emit(key, result)

            # begins once this step is drawn: sympy (its first import alone is ~1 s of
            # Python) would otherwise share the GIL with the step's own rendering
            thread = threading.Timer(START_DELAY, work)
            thread.daemon = True
            thread.name = "local-derivative"
            thread.start()
        return None

    def store(self, key, result) -> None:
        self.done[key] = result


def _pre(text: str) -> str:
    # pre-wrap: a long line wraps in a narrow dock instead of scrolling sideways
    return f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>"


def _section(title: str, body: str) -> str:
    return f"<p style='margin:6px 0 2px 0'><b>{html.escape(title)}</b></p>{body}"


def _rows(rows: list[tuple[str, str]], links: list | None = None) -> str:
    """Two columns; ``links[i]``, a graph node id, makes row i's name a link to that node."""
    def name(i: int, a: str) -> str:
        target = links[i] if links is not None and i < len(links) else None
        return html.escape(a) if target is None else \
            f"<a href='{NODE_LINK}{target}'>{html.escape(a)}</a>"

    cells = "".join(f"<tr><td style='padding-right:10px'>{name(i, a)}</td>"
                    f"<td><code>{html.escape(b)}</code></td></tr>"
                    for i, (a, b) in enumerate(rows))
    return f"<table cellspacing='0'>{cells}</table>"


def derivative_html(d: LocalDerivative | None, op: str, row: str = "") -> str:
    if d is None:
        doc = fallback(op, row=row)
        return _pre(f"out = {doc.forward}") + "<i>computing the closed form…</i>"
    rows = [("out", d.forward), *d.partials]
    source = {"sympy": "closed form from symbolic (sympy)",
              "rule": "vector-Jacobian product (g: the incoming grad)",
              "doc": "the op's description"}.get(d.source, d.source)
    note = f"<br><i>{html.escape(d.note)}</i>" if d.note else ""
    return _rows(rows) + f"<small>{html.escape(source)}</small>{note}"


def state_html(state: DebugState, derivative: LocalDerivative | None = None) -> str:
    """The panel's content for one stop (a backward node, the end of a pass, or an error)."""
    names = node_names(state)
    b = state.backward
    parts: list[str] = []
    if state.warning:
        parts.append(f"<p style='color:#c0392b;margin:2px 0'><b>Breakpoint condition "
                     f"failed</b><br>{html.escape(state.warning[:1].upper())}"
                     f"{html.escape(state.warning[1:])}</p>")
    if state.kind == "backward" and b is not None:
        who = f"{b.op} ({b.label})" if b.label else b.op
        title = html.escape(who) if b.node is None else \
            f"<a href='{NODE_LINK}{b.node}'>{html.escape(who)}</a>"
        parts.append(f"<h3 style='margin:2px 0'>{title}</h3>"
                     f"<small>backward call {b.call} · node {b.step} · line {state.line}</small>")
        parts.append(_section("Incoming grad", _rows(
            [(f"grad_output[{i}]" if len(b.grads_in) > 1 else "grad_output", fmt(g))
             for i, g in enumerate(b.grads_in)])))
        if b.returned:  # the leaf's usual "adds to .grad" would be wrong here
            name = html.escape(b.label or "the input")
            parts.append(_section("Returned, not accumulated",
                                  f"autograd.grad() returns this grad for {name}; "
                                  f"{name}.grad is not changed"))
        else:
            parts.append(_section("Local derivative", derivative_html(derivative, b.op, b.row)))
        flows = [(f"→ {names.get(f.target, f.target_op)}",
                  fmt(f.grad) if f.grad is not None else "None (needs no grad)")
                 for f in b.flows if f.target is not None]
        targets = [f.target for f in b.flows if f.target is not None]
        flows += [("→ (no next function)", "—") for f in b.flows if f.target is None]
        parts.append(_section("Outgoing grads", _rows(flows, targets) if flows
                              else "<i>none</i>"))
        sums = [(names.get(a.target, a.target_op),
                 f"reached {a.count} times: {fmt(a.total - a.grad)} + {fmt(a.grad)} = "
                 f"{fmt(a.total)}") for a in b.arrivals if a.count > 1]
        if sums:
            parts.append(_section("Summed at a node reached again", _rows(sums)))
        if b.accumulations:
            parts.append(_section("Accumulated into .grad", _rows(
                [(f"{a.name or 'leaf'}.grad", f"{fmt(a.before)} -> {fmt(a.total)}")
                 for a in b.accumulations])))
        if b.hooks:
            parts.append(_section("Hooks fired", _rows(
                [(f"{h.hook} on {h.name or 'tensor'}",
                  f"got {fmt(h.grad)}; " + ("returned None" if h.result is None
                                             else f"returned {fmt(h.result)}"))
                 for h in b.hooks])))
        if b.retained:
            parts.append(_section("retain_grad stored", _rows(
                [(f"{r.name or 'tensor'}.grad", fmt(r.grad)) for r in b.retained])))
        if b.freed:
            parts.append(_section("Saved tensors freed", html.escape(
                ", ".join(names.get(i, "a node") for i in b.freed))))
    elif state.kind == "backward_end" and b is not None:
        parts.append(f"<h3 style='margin:2px 0'>Backward pass {b.call} done</h3>"
                     f"<small>{b.step} nodes ran · line {state.line}</small>")
        freed = ", ".join(names.get(i, "a node") for i in b.freed)
        if b.retain_graph or b.create_graph:
            parts.append(_section("Freed nodes", "none: retain_graph kept the saved tensors"))
        else:
            parts.append(_section("Freed nodes", html.escape(freed or "none (nothing saved)")))
        parts.append(_section("Non-leaf grads discarded",
                              html.escape(", ".join(b.discarded) or "none")))
    elif state.kind == "error" and state.error is not None:
        e = state.error
        parts.append(f"<h3 style='margin:2px 0;color:#c0392b'>{html.escape(e.kind)} at line "
                     f"{state.line}</h3>{_pre(e.message)}")
        return "".join(parts)
    else:
        parts.append(f"<p><i>{html.escape(IDLE_TEXT)}</i></p>")
    words = describe(state)
    if state.warning:  # already said at the top, in full
        words = "\n".join(t for t in words.splitlines() if not t.startswith("Note: "))
    parts.append(_section("In words", _pre(words)))
    return "".join(parts)


class BackwardStepPanel(QWidget):
    """Shows ``state_html`` for the stop given to ``show_state``; fills in the local derivative
    when its worker is done."""

    node_clicked = Signal(object)  # a graph node id whose name was clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("backward_step_panel")
        self.state: DebugState | None = None
        self.cache = DerivativeCache(self)
        self.cache.ready.connect(self._on_derivative)
        self.title = QLabel("Backward step")
        self.title.setObjectName("backward_step_title")
        self.browser = QTextBrowser()
        self.browser.setObjectName("backward_step_text")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._on_anchor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.browser, 1)
        self.title.hide()  # the dock's title says it; kept for tests and a floating panel
        self.browser.setHtml(f"<p><i>{html.escape(IDLE_TEXT)}</i></p>")

    def show_state(self, state: DebugState | None) -> None:
        self.state = state
        if state is None:
            self.browser.setHtml(f"<p><i>{html.escape(IDLE_TEXT)}</i></p>")
            return
        key = derivative_key(state)
        # derived only if this very stop is still shown when the worker begins: stepping on
        # through a pass (each op's key comes back every few stops) starts no sympy work
        derivative = self.cache.get(key, lambda _k, s=state: self.state is s) \
            if key is not None else None
        self.browser.setHtml(state_html(state, derivative))

    def _on_anchor(self, url) -> None:
        text = url.toString()
        if text.startswith(NODE_LINK):
            try:
                self.node_clicked.emit(int(text[len(NODE_LINK):]))
            except ValueError:
                pass

    def derivative(self) -> LocalDerivative | None:
        key = derivative_key(self.state) if self.state is not None else None
        return self.cache.done.get(key) if key is not None else None

    def text(self) -> str:
        return self.browser.toPlainText()

    def _on_derivative(self, key, result) -> None:
        self.cache.store(key, result)
        if self.state is not None and derivative_key(self.state) == key:
            self.browser.setHtml(state_html(self.state, result))
