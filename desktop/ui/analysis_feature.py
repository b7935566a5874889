"""What the controller computes about a run beyond running it: the three-way symbolic check
(Symbolic panel, in a worker, with Cancel and a time limit), f, f′, f″ of a function of one
variable (Plots), and the loss landscape / decision boundary of a model whose parameters allow
one (beside the graph, following the debugger's stops too)."""

from __future__ import annotations

import contextlib
import inspect

from PySide6.QtCore import Qt, QTimer

from desktop.ui.feature_host import show_bottom, warn
from desktop.ui.math_view import prerender
from desktop.ui.symbolic_panel import EQUATION_SIZE
from desktop.ui.symbolic_view import SymbolicView, first_equations
from desktop.ui.workers import Job

CHECK_CALLS = 5  # calls checked per Compute (the first ones and the last): ~1 s each for an MLP
# the automatic check starts this long after the run's graph is drawn: seconds of sympy and
# re-runs of the script in the check's process, whose cores a quick edit-and-Run would
# otherwise share (and which would slow the drawing itself)
AUTO_CHECK_DELAY_MS = 400


def one_element(value) -> bool:
    """A one-element tensor (or a snapshot's numpy array of one element)."""
    if value is None:
        return False
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    return size == 1


class AnalysisFeature:
    """Owned by the ``Controller`` (``ctl``); its signals ``symbolic_finished`` and
    ``function_plotted`` report here what was computed."""

    def __init__(self, ctl):
        self.ctl = ctl
        self.window = ctl.window
        self.landscape = None
        self.boundary = None  # the classifier's decision boundary panel, made when needed
        self.pair_landscape = None  # the loss over two chosen elements, for bigger models
        self._cancel = None  # symbolic CancelToken of the running check
        self._check_job: Job | None = None
        self._check_auto = False
        self._auto_token: object | None = None  # the automatic check waiting to start
        self._check_note = ""
        self._debug_status = "idle"
        self._install_symbolic_view()

    def _install_symbolic_view(self) -> None:
        w = self.window
        view = SymbolicView(theme=w.theme)
        w.docks["symbolic"].setWidget(view)
        old, w.symbolic = w.symbolic, view  # show_result/set_theme talk to w.symbolic
        old.deleteLater()
        view.compute_requested.connect(self.compute_symbolic)
        view.cancel_requested.connect(self.cancel_symbolic)
        w.inspector.tensor_selected.connect(self._on_tensor_selected)

    # ---- the run's lifetime ------------------------------------------------------------------
    def run_starting(self) -> None:
        self.forget_check()
        self.window.symbolic.set_not_computed("The script is running…")

    def forget_check(self) -> None:
        """Cancel the running check: its late result is about a run no longer shown."""
        self._auto_token = None
        self.cancel_symbolic()
        self._check_job, self._cancel = None, None

    def run_done(self, result) -> None:
        state, w = self.ctl.state, self.window
        w.symbolic.set_ready(state.checkable)
        self._auto_check()
        if not state.checkable and result.status == "finished":
            w.symbolic.set_not_computed(
                state.symbolic_note or "The script made no backward() or autograd.grad() "
                "call, so there is no gradient to check.")
        self.update_landscape(trail=result.extras.get("point_trail"))

    def clear_views(self) -> None:
        for view in (self.landscape, self.boundary, self.pair_landscape):
            if view is not None:
                view.clear()

    def _on_tensor_selected(self, name: str) -> None:
        view = self.window.symbolic
        if isinstance(view, SymbolicView) and view.reports:
            view.select_target(name)

    # ---- symbolic check ----------------------------------------------------------------------
    def _auto_check(self) -> None:
        """After a run, the last backward() is checked by itself when its graph is small."""
        from desktop.symbolic_auto import small_enough

        state = self.ctl.state
        calls = state.symbolic_calls
        if not (calls and state.checkable and small_enough(calls[-1])):
            return
        token = self._auto_token = object()  # dropped by another run, Compute or Cancel

        def start() -> None:  # not for a window closed meanwhile (its shutdown may be pending)
            if self._auto_token is token and not self.ctl.running and \
                    self._check_job is None and self.window.isVisible():
                self._auto_token = None
                self.compute_symbolic(calls=[calls[-1]], auto=True)

        gv = self.window.graph_view
        if not gv.laying_out:
            QTimer.singleShot(AUTO_CHECK_DELAY_MS, self.window, start)
            return

        def drawn() -> None:  # the layout's thread would share the interpreter with the check's
            gv.layout_done.disconnect(drawn)
            QTimer.singleShot(AUTO_CHECK_DELAY_MS, self.window, start)

        gv.layout_done.connect(drawn)

    def compute_symbolic(self, *_args, calls=None, auto: bool = False) -> bool:
        state = self.ctl.state
        calls = list(state.symbolic_calls) if calls is None else list(calls)
        view = self.window.symbolic
        if self._check_job is not None and self._check_auto and not auto:
            self.cancel_symbolic()  # Compute asked for more than the automatic check
            self._check_job = None
        # a disabled Compute means the panel no longer shows the recorded run (e.g. a debugged
        # run came after it): checking those calls would answer for other code
        if not calls or self._check_job is not None or not view.compute.isEnabled():
            return False
        self._check_auto = auto
        if not auto:
            self._auto_token = None  # asked for: the automatic one is not needed any more
        from symbolic import CancelToken

        note = state.symbolic_note
        if len(calls) > CHECK_CALLS:  # a training loop: its first steps and its last are enough
            skipped = len(calls) - CHECK_CALLS
            calls = calls[:CHECK_CALLS - 1] + calls[-1:]
            note = "; ".join(n for n in (note, f"{skipped} recorded calls in between were not "
                                         "checked (the first and the last ones were)") if n)
        self._check_note = note
        token = CancelToken()
        self._cancel = token
        limit = view.time_limit()
        if auto:
            from desktop.symbolic_auto import AUTO_TIME_LIMIT

            limit = min(limit, AUTO_TIME_LIMIT)
        view.set_computing(len(calls), auto=auto)
        code = state.symbolic_code
        ran = state.result.seconds if state.result is not None else 0.0
        color = view.theme.text

        def work():  # waits for the check's own process: sympy never holds the GUI's GIL
            from desktop.check_process import run_check
            from desktop.symbolic_rerun import AUTO_RERUN_SECONDS, RERUN_SECONDS

            reports = run_check(calls, limit, code,
                                AUTO_RERUN_SECONDS if auto else RERUN_SECONDS, token, ran)
            # the equations the panel opens on, laid out here: 10-40 ms each on the GUI thread
            # (only a head start: the panel renders whatever is missing itself)
            with contextlib.suppress(Exception):
                prerender((tex, color, EQUATION_SIZE) for tex, _ in first_equations(reports))
            return reports

        job = self.ctl.jobs.start(work, "stepgrad-symbolic")
        self._check_job = job
        job.done.connect(lambda reports, job=job: self._on_checked(job, reports))
        job.failed.connect(lambda exc, job=job: self._on_check_failed(job, exc))
        return True

    def cancel_symbolic(self) -> None:
        self._auto_token = None
        if self._cancel is not None:
            self._cancel.cancel()

    def _on_checked(self, job: Job, reports) -> None:
        if job is not self._check_job:
            return
        self._check_job, self._cancel = None, None
        view = self.window.symbolic
        view.show_reports(reports, self._check_note)
        selected = self.window.inspector.selected_name()
        if selected:
            view.select_target(selected)
        if not self._check_auto:  # a check nobody asked for stays behind
            show_bottom(self.window, "symbolic")
        self.ctl.symbolic_finished.emit(reports)

    def _on_check_failed(self, job: Job, exc: BaseException) -> None:
        if job is not self._check_job:
            return
        self._check_job, self._cancel = None, None
        self.window.symbolic.show_failure(
            f"The symbolic check failed: {type(exc).__name__}: {exc}")

    # ---- f, f', f'' --------------------------------------------------------------------------
    def guess_function(self) -> str:
        """The first one-argument function the last run defined, else an example."""
        for name, value in self.ctl.state.namespace.items():
            if inspect.isfunction(value) and getattr(value.__code__, "co_filename", "") \
                    .startswith("<stepgrad") and value.__code__.co_argcount == 1:
                return name
        return "torch.sin(x) * x**2"

    def plot_function(self, text: str) -> Job | None:
        """``text``: "expr" or "expr, lo, hi". The curves are computed in a worker."""
        from desktop.ui.function_plot import compile_function, function_curves

        parts = [p.strip() for p in text.rsplit(",", 2)]
        lo, hi = -3.0, 3.0
        if len(parts) == 3:
            try:
                lo, hi = float(parts[1]), float(parts[2])
                text = parts[0]
            except ValueError:
                pass
        try:
            fn = compile_function(text, self.ctl.state.namespace)
        except (SyntaxError, ValueError) as exc:
            warn(self.window, "Cannot plot", f"{type(exc).__name__}: {exc}")
            return None
        job = self.ctl.jobs.start(lambda: function_curves(fn, lo, hi), "stepgrad-fplot")
        job.done.connect(self._show_curves)
        job.failed.connect(lambda exc: warn(
            self.window, "Cannot plot", f"f({text}) failed: {type(exc).__name__}: {exc}"))
        return job

    def _show_curves(self, curves) -> None:
        w = self.window
        w.plots.show_function(curves.xs, curves.f, curves.df, curves.d2f,
                              dict(curves.forms), dict(curves.closed))
        show_bottom(w, "plots")
        if curves.notes:
            w.statusBar().showMessage("; ".join(curves.notes), 8000)
        self.ctl.function_plotted.emit(curves)

    # ---- loss landscape and decision boundary ------------------------------------------------
    def show_spec(self, spec) -> None:
        """The builder chose ``spec``: a two-parameter model gets its (empty) landscape now."""
        if spec is not None and spec.two_parameter:
            self.landscape_view().clear()
            self.window.docks["landscape"].show()
            self.window.docks["landscape"].raise_()

    def landscape_view(self):
        if self.landscape is None:
            from desktop.ui.landscape import LandscapeView

            self.landscape = LandscapeView(theme=self.window.theme)
            self.window.add_panel("landscape", "Loss Landscape", self.landscape,
                                  area=Qt.DockWidgetArea.RightDockWidgetArea,
                                  tabify_with="graph")
        return self.landscape

    def _show_boundary(self, ns: dict) -> None:
        """The builder's 2-D classifier: its decision boundary, in a panel beside the graph."""
        from desktop.decision_boundary import boundary_from_namespace

        found = boundary_from_namespace(ns)
        if found is None:
            return
        w = self.window
        if self.boundary is None:
            from desktop.ui.boundary_view import BoundaryView

            self.boundary = BoundaryView(theme=w.theme)
            w.add_panel("boundary", "Decision Boundary", self.boundary,
                        area=Qt.DockWidgetArea.RightDockWidgetArea, tabify_with="graph")
        self.boundary.set_boundary(found)
        w.docks["boundary"].show()
        w.docks["boundary"].raise_()

    def follow_debugger(self, bridge) -> None:
        """Move the loss landscape's point at every debugger stop (and through its history):
        the landscape follows the user stepping through training, not only finished runs."""
        bridge.paused.connect(self._on_debug_state)
        bridge.viewed.connect(self._on_debug_state)
        bridge.status_changed.connect(self._on_debug_status)

    def _on_debug_status(self, status: str) -> None:
        starting = status == "running" and self._debug_status in ("idle", "finished")
        self._debug_status = status
        if starting:  # the panels are about to show another run than the one checked
            self.forget_check()
            self.window.symbolic.mark_earlier_run()

    def _on_debug_state(self, state) -> None:
        tensors = getattr(state, "tensors", ())
        if self.landscape is None and self.ctl.state.spec is None and \
                not {"w", "b"} <= {t.name for t in tensors}:
            return  # no (w, b) model: stepping stays as fast as it can be
        self.update_landscape({t.name: t.value for t in tensors})

    def update_landscape(self, namespace: dict | None = None, trail=None) -> None:
        """After a run: the landscape of the builder's two-parameter model, or of any script
        with a one-element ``w`` and ``b`` and data ``X``, ``y`` (or ``Y``), taken as linear
        regression with the mean squared error."""
        spec = self.ctl.state.spec
        ns = self.ctl.state.namespace if namespace is None else namespace
        w = self.window
        if spec is not None and spec.template == "classifier":
            self._show_boundary(ns)
        if spec is not None and not spec.two_parameter:
            from desktop.ui.pair_landscape_view import show_pair_landscape

            try:
                show_pair_landscape(self, ns, spec)
            except Exception as exc:  # a landscape problem must not spoil the run's display
                w.statusBar().showMessage(f"No loss landscape: {exc}", 6000)
            return
        if spec is None:
            from desktop.builder import ModelSpec

            if "y" not in ns and "Y" in ns:
                ns = {**ns, "y": ns["Y"]}
            if not all(one_element(ns.get(k)) for k in "wb") or "X" not in ns or "y" not in ns:
                return
            spec = ModelSpec()
        try:
            view = self.landscape_view()
            shown = view.update_from_namespace(ns, spec)
            if shown and trail:
                view.show_run(ns, spec, trail)
        except Exception as exc:  # a landscape problem must not spoil the run's display
            w.statusBar().showMessage(f"No loss landscape: {exc}", 6000)
            return
        if shown and self.ctl.state.spec is None:
            w.docks["landscape"].show()
