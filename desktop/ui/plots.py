"""Plots panel (pyqtgraph): the loss curve of every backward() call, and f, f', f'' overlays.

pyqtgraph takes about a second to import, so the plot widgets are built on first use rather
than at start-up. OpenGL stays off: it fails on the offscreen platform and gains nothing here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from desktop.ui.theme import LIGHT, Theme

MAX_DOTS = 100  # loss points drawn as dots up to this many


class _LazyPlot(QStackedWidget):
    """A placeholder label until ``plot()`` is first asked for, then a pyqtgraph PlotWidget."""

    def __init__(self, placeholder: str):
        super().__init__()
        self.label = QLabel(placeholder)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setMargin(16)
        self.label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.addWidget(self.label)
        self._plot = None
        self._shown = False

    @property
    def built(self) -> bool:
        """Whether the plot has replaced the placeholder (it may be built earlier, hidden)."""
        return self._shown

    def prepare(self):
        """The PlotWidget, built behind the placeholder if it is not yet: the start-up warm-up
        builds it (~20 ms) so that the first ``plot()`` only shows it."""
        if self._plot is None:
            import pyqtgraph as pg

            self._plot = pg.PlotWidget()
            self._plot.showGrid(x=True, y=True, alpha=0.3)
            self.addWidget(self._plot)
        return self._plot

    def plot(self):
        pw = self.prepare()
        self._shown = True
        self.setCurrentWidget(pw)
        return pw


class PlotsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.loss = _LazyPlot("The value of every tensor backward() is called on appears here, "
                              "one point per call: a training loop gives its loss curve.")
        self.func = _LazyPlot("f, f′ and f″ of a scalar function of one variable appear here.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.loss, "Loss")
        self.tabs.addTab(self.func, "f, f′, f″")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self.loss_curve = None
        self.func_curves: dict[str, object] = {}
        self.closed_curves: dict[str, object] = {}  # the sympy overlay, dashed
        self._loss_values: tuple[float, ...] = ()
        # the theme ``loss_curve`` was drawn in: the next run's points replace its data (a new
        # curve costs ~10 ms); None: draw anew
        self._curve_theme: Theme | None = None
        self._point_label = None  # the value beside a lone point (a pyqtgraph TextItem)
        self._func_args = None

    # ---- loss --------------------------------------------------------------------------------
    def set_backward_values(self, values) -> None:
        values = tuple(float(v) for v in values)
        # NaN != NaN, but the same NaN needs no redraw either
        unchanged = len(values) == len(self._loss_values) and np.array_equal(
            values, self._loss_values, equal_nan=True)
        self._loss_values = values
        if not self._loss_values and not self.loss.built:
            return  # keep the explanatory placeholder and skip importing pyqtgraph
        if unchanged and self.loss.built and self._curve_theme is self.theme:
            # the same points (a script run again unchanged): nothing to redraw
            if values:
                self.tabs.setCurrentWidget(self.loss)
            return
        pw = self.loss.plot()
        ys, ok = self._draw_loss(pw, self._loss_values)
        self._title(pw, ys, ok)

    def warm_up_steps(self) -> list:
        """Steps (a few ms to ~25 ms each, run apart) that build the loss plot hidden behind its
        placeholder, draw throw-away points on it (a lone labelled point, then a curve) and
        paint it offscreen once, so that pyqtgraph's first-time work (the widget, its items,
        fonts and text layout: ~40-70 ms) is not done by the first Run. What is shown does not
        change; once a run has shown the plot the remaining steps do nothing."""

        def hidden(fn):
            def step():
                if not self.loss.built:
                    fn(self.loss.prepare())
            return step

        def title(pw):
            pw.setTitle("warm-up", color=self.theme.text)

        def finish(pw):
            self._draw_loss(pw, ())  # the curve stays, empty, for the first run's points
            pw.setTitle(None)

        return [hidden(lambda pw: None),
                hidden(lambda pw: self._draw_loss(pw, (1.0,))),
                hidden(lambda pw: self._draw_loss(pw, (1.0, 0.5))),
                hidden(title),
                hidden(lambda pw: pw.grab()),  # its first paint on screen is then a repaint
                hidden(finish)]

    def _draw_loss(self, pw, values):
        """Draw ``values`` on the loss plot ``pw``, reusing the last run's curve; returns
        (ys, the mask of the finite ones)."""
        import pyqtgraph as pg

        xs = np.arange(1, len(values) + 1)
        ys = np.array(values, dtype=float)
        # NaN/Inf would blank the whole curve in pyqtgraph; plot finite points only.
        ok = np.isfinite(ys)
        n = int(ok.sum())
        # a dot per call while they can be told apart; past that they only thicken the line
        dots = {"symbol": "o", "symbolSize": 5, "symbolBrush": self.theme.plot_pens[0]} \
            if n <= MAX_DOTS else {"symbol": None}
        if self._curve_theme is not self.theme or self.loss_curve is None:
            pw.clear()
            self._point_label = None
            pw.setLabel("bottom", "backward() call")
            pw.setLabel("left", "value")
            self.loss_curve = pw.plot(pen=pg.mkPen(self.theme.plot_pens[0], width=2))
            # the loss's own numbers on the axis: pyqtgraph's "value (x0.001)" read as 1000x
            pw.getPlotItem().getAxis("left").enableAutoSIPrefix(False)
            self._style(pw)
            self._curve_theme = self.theme
        self.loss_curve.setData(xs[ok], ys[ok], **dots)
        if n <= 1:  # one point (or none): a readable range around it, not 0.6-1.4
            y0 = float(ys[ok][0]) if n else 0.0
            pad = max(abs(y0) * 0.5, 1.0)
            pw.setXRange(0, 2, padding=0)
            pw.setYRange(min(0.0, y0 - pad), max(0.0, y0) + pad, padding=0)
        else:
            pw.enableAutoRange()
        if n == 1 and self._point_label is None:
            self._point_label = pg.TextItem(color=self.theme.text, anchor=(0.5, 1.2))
            pw.addItem(self._point_label)
        elif n != 1 and self._point_label is not None:
            pw.removeItem(self._point_label)
            self._point_label = None
        if n == 1:
            self._point_label.setText(f"{y0:.4g}")
            self._point_label.setPos(1, y0)
        return ys, ok

    def _title(self, pw, ys, ok) -> None:
        title = f"{len(ys)} backward() call{'' if len(ys) == 1 else 's'}"
        if not ok.all():
            title += f" ({int((~ok).sum())} non-finite values not drawn)"
        pw.setTitle(title, color=self.theme.text)
        if len(ys):
            self.tabs.setCurrentWidget(self.loss)
        else:  # no call: say so on the empty plot instead of an empty box
            pw.setTitle("no backward() call in the last run", color=self.theme.muted)

    # ---- f, f', f'' --------------------------------------------------------------------------
    def show_function(self, xs, f, df, d2f, closed_forms: dict[str, str] | None = None,
                      closed_values: dict | None = None) -> None:
        """Overlay f, f' and f'' sampled at ``xs``; ``closed_forms`` maps "f", "df", "d2f" to
        plain-text formulas shown in the legend (e.g. from sympy), ``closed_values`` the same
        keys to those formulas sampled at ``xs``, drawn dashed over the engine's solid curves."""
        import pyqtgraph as pg

        self._func_args = (xs, f, df, d2f, closed_forms, closed_values)
        closed_forms = closed_forms or {}
        pw = self.func.plot()
        pw.clear()
        if pw.plotItem.legend is not None:
            pw.plotItem.legend.scene().removeItem(pw.plotItem.legend)
            pw.plotItem.legend = None
        # pyqtgraph's default legend text is light grey for its black background.
        pw.addLegend(offset=(10, 10), labelTextColor=self.theme.text,
                     brush=pg.mkBrush(self.theme.base + "d0"), pen=pg.mkPen(self.theme.muted))
        xs = np.asarray(xs, dtype=float)
        self.func_curves = {}
        for key, name, ys, pen in (("f", "f", f, self.theme.plot_pens[0]),
                                   ("df", "f′", df, self.theme.plot_pens[1]),
                                   ("d2f", "f″", d2f, self.theme.plot_pens[2])):
            if ys is None:
                continue
            label = f"{name}(x) = {closed_forms[key]}" if closed_forms.get(key) else name
            ys = np.asarray(ys, dtype=float)
            ys = np.where(np.isfinite(ys), ys, np.nan)
            self.func_curves[key] = pw.plot(xs, ys, pen=pg.mkPen(pen, width=2), name=label,
                                            connect="finite")
        self.closed_curves = {}
        for k, key in enumerate(("f", "df", "d2f")):
            ys = (closed_values or {}).get(key)
            if ys is None:
                continue
            pen = pg.mkPen(self.theme.plot_pens[k], width=1.5, style=Qt.PenStyle.DashLine)
            # one legend line for all three: the formulas are already in the solid curves'
            label = None if self.closed_curves else "dashed: sympy closed forms"
            self.closed_curves[key] = pw.plot(xs, np.asarray(ys, dtype=float), pen=pen,
                                              name=label, connect="finite")
        pw.setLabel("bottom", "x")
        self._style(pw)
        self.tabs.setCurrentWidget(self.func)

    # ---- theme and export --------------------------------------------------------------------
    def _style(self, pw) -> None:
        pw.setBackground(self.theme.base)
        for axis in ("left", "bottom"):
            ax = pw.getPlotItem().getAxis(axis)
            ax.setPen(self.theme.muted)
            ax.setTextPen(self.theme.text)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        if self.loss.built:
            self.set_backward_values(self._loss_values)
        if self.func.built and self._func_args is not None:
            self.show_function(*self._func_args)

    def export_png(self, path: str, which: str | None = None) -> bool:
        """PNG through pyqtgraph's ImageExporter (its SVG exporter is broken on PySide6 6.12)."""
        target = {"loss": self.loss, "function": self.func}.get(which or "",
                                                                self.tabs.currentWidget())
        if not target.built:
            return bool(target.grab().save(path, "PNG"))
        import pyqtgraph.exporters as exporters

        exporter = exporters.ImageExporter(target.plot().getPlotItem())
        exporter.parameters()["width"] = max(800, int(target.width()))
        exporter.export(path)
        return True
