import numpy as np
from conftest import error_result
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from desktop.ui.math_view import MathLabel, plain_text, render_latex
from desktop.ui.output_pane import OutputPane
from desktop.ui.plots import PlotsPanel
from desktop.ui.theme import DARK, LIGHT


def test_loss_curve_from_backward_values(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    assert not panel.loss.built  # pyqtgraph stays unloaded until there is data
    panel.set_backward_values((3.0, 2.0, float("nan"), 1.0))
    xs, ys = panel.loss_curve.getData()
    assert list(xs) == [1, 2, 4] and list(ys) == [3.0, 2.0, 1.0]
    assert "non-finite" in panel.loss.plot().getPlotItem().titleLabel.text


def test_function_overlay_with_legend(qtbot, tmp_path):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    xs = np.linspace(-1, 1, 11)
    panel.show_function(xs, xs**2, 2 * xs, np.full_like(xs, 2.0),
                        {"f": "x**2", "df": "2*x", "d2f": "2"})
    assert set(panel.func_curves) == {"f", "df", "d2f"}
    _, ys = panel.func_curves["df"].getData()
    assert np.allclose(ys, 2 * xs)
    legend = panel.func.plot().getPlotItem().legend
    labels = [label.text for _, label in legend.items]
    assert labels == ["f(x) = x**2", "f′(x) = 2*x", "f″(x) = 2"]
    panel.show_function(xs, xs, None, None)  # redraw replaces, never stacks, legends
    assert [label.text for _, label in panel.func.plot().getPlotItem().legend.items] == ["f"]
    out = tmp_path / "f.png"
    assert panel.export_png(str(out), "function")
    assert out.stat().st_size > 1000


def test_a_flood_of_output_keeps_the_last_lines_without_inserting_the_rest(qtbot):
    from desktop.ui import output_pane

    pane = OutputPane()
    qtbot.addWidget(pane)
    flood = "".join(f"line {i}\n" for i in range(5 * output_pane.MAX_LINES))
    pane.append(flood)  # only its tail is inserted (and kept): the rest would scroll away
    assert pane._kept <= output_pane.MAX_LINES
    pane.append("after\n")
    for i in range(40):  # many small pieces: what is kept for a theme switch stays bounded
        pane.append(f"more {i}\n" * 1000)
    doc = pane.text.document()
    assert doc.blockCount() <= output_pane.MAX_LINES + 1
    assert pane.text.toPlainText().rstrip().endswith("more 39")
    assert pane._kept <= 2 * output_pane.MAX_LINES + 1000
    pane.set_theme(DARK)  # redraws what is kept, still only the tail
    assert pane.text.toPlainText().rstrip().endswith("more 39")
    assert doc.blockCount() <= output_pane.MAX_LINES + 1


def test_output_colours_and_error_frames_jump(qtbot):
    pane = OutputPane()
    qtbot.addWidget(pane)
    pane.resize(600, 400)
    pane.show()
    pane.append("hello\n")
    pane.append("warning\n", "stderr")
    doc = pane.text.document()

    def colour(line):
        cur = QTextCursor(doc.findBlockByNumber(line))
        cur.movePosition(QTextCursor.MoveOperation.Right)  # charFormat() is left of the cursor
        return cur.charFormat().foreground().color().name()

    assert colour(0) == LIGHT.stdout
    assert colour(1) == LIGHT.stderr
    result = error_result()
    pane.show_error(result.error)
    assert not pane.error_box.isHidden()
    assert "RuntimeError" in pane.error_title.text()
    assert pane.frames.count() == 2
    item = pane.frames.item(0)
    rect = pane.frames.visualItemRect(item)
    with qtbot.waitSignal(pane.jump_to_line) as blocker:
        qtbot.mouseClick(pane.frames.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [9]
    with qtbot.waitSignal(pane.jump_to_line) as blocker:
        pane.error_title.linkActivated.emit("10")
    assert blocker.args == [10]
    pane.clear()
    assert pane.error_box.isHidden() and pane.text.toPlainText() == ""


def test_math_renders_and_falls_back(qtbot):
    pm = render_latex(r"\frac{\partial L}{\partial w} = 2 x (w x + b - y)")
    assert pm is not None and not pm.isNull() and pm.width() > 50
    assert render_latex(r"\frac{\partial L}{\partial w} = 2 x (w x + b - y)") is not None
    label = MathLabel()
    qtbot.addWidget(label)
    label.set_math(r"x^2")
    assert label.rendered
    label.set_math(r"\frac{", plain="broken")
    assert not label.rendered and label.text() == "broken"
    import sympy

    x = sympy.Symbol("x")
    assert "2" in plain_text("", x**2)


def test_sympy_overlay_survives_a_theme_switch(qtbot):
    from desktop.ui.theme import DARK

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    xs = np.linspace(-1, 1, 11)
    panel.show_function(xs, xs**2, 2 * xs, np.full_like(xs, 2.0), {"f": "x**2"},
                        {"f": xs**2, "df": 2 * xs, "d2f": np.full_like(xs, 2.0)})
    assert set(panel.closed_curves) == {"f", "df", "d2f"}
    panel.set_theme(DARK)  # redraws every curve in the new colours
    assert set(panel.closed_curves) == {"f", "df", "d2f"}
    items = panel.func.plot().getPlotItem().listDataItems()
    assert panel.closed_curves["df"] in items and len(items) == 6
    assert panel.closed_curves["df"].opts["pen"].color().name() == DARK.plot_pens[1]
    labels = [label.text for _, label in panel.func.plot().getPlotItem().legend.items]
    assert labels[-1] == "dashed: sympy closed forms" and len(labels) == 4


def test_output_already_shown_takes_the_new_themes_colours(qtbot):
    from desktop.ui.theme import DARK

    pane = OutputPane()
    qtbot.addWidget(pane)
    pane.append("hello\n")
    pane.append("more\n")
    pane.append("warning\n", "stderr")
    pane.set_theme(DARK)
    doc = pane.text.document()

    def colour(line):
        cur = QTextCursor(doc.findBlockByNumber(line))
        cur.movePosition(QTextCursor.MoveOperation.Right)
        return cur.charFormat().foreground().color().name()

    assert pane.text.toPlainText() == "hello\nmore\nwarning\n"
    assert [colour(i) for i in range(3)] == [DARK.stdout, DARK.stdout, DARK.stderr]
    pane.text.clear()  # as the debugger does when it shows a past state's output
    pane.append("past\n")
    pane.set_theme(LIGHT)
    assert pane.text.toPlainText() == "past\n" and colour(0) == LIGHT.stdout


def test_a_long_loss_curve_is_a_plain_line_on_the_losss_own_scale(qtbot):
    from desktop.ui.plots import MAX_DOTS

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.set_backward_values([0.25 * 0.99 ** k for k in range(1000)])
    assert panel.loss_curve.opts["symbol"] is None  # 1000 dots would only thicken the line
    axis = panel.loss.plot().getPlotItem().getAxis("left")
    assert not axis.autoSIPrefix  # ticks read 0.25, not 250 with "(x0.001)"
    panel.set_backward_values([1.0] * MAX_DOTS)
    assert panel.loss_curve.opts["symbol"] == "o"


def test_each_runs_loss_values_replace_the_last_ones_on_one_curve(qtbot):
    import pyqtgraph as pg

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.set_backward_values([3.0, 2.0, 1.0])
    panel.set_backward_values([5.0, float("inf"), 4.0])
    item = panel.loss.plot().getPlotItem()
    assert item.listDataItems() == [panel.loss_curve]  # one curve, not one per run
    xs, ys = panel.loss_curve.getData()
    assert list(xs) == [1, 3] and list(ys) == [5.0, 4.0]
    assert "1 non-finite" in item.titleLabel.text
    panel.set_backward_values([7.0])  # one point: labelled, on a fixed range
    panel.set_backward_values([1.0, 0.5])
    assert list(panel.loss_curve.getData()[1]) == [1.0, 0.5]
    assert not [i for i in item.items if isinstance(i, pg.TextItem)]  # the label went
    assert item.listDataItems() == [panel.loss_curve]


def test_runs_of_one_point_each_relabel_one_point(qtbot):
    import pyqtgraph as pg

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.set_backward_values([7.0])
    panel.set_backward_values([-2.5])
    item = panel.loss.plot().getPlotItem()
    labels = [i for i in item.items if isinstance(i, pg.TextItem)]
    assert [lab.textItem.toPlainText() for lab in labels] == ["-2.5"]
    assert (labels[0].pos().x(), labels[0].pos().y()) == (1.0, -2.5)
    assert list(panel.loss_curve.getData()[1]) == [-2.5]
    y_lo, y_hi = panel.loss.plot().getViewBox().viewRange()[1]
    assert y_lo <= -2.5 < 0.0 <= y_hi
    panel.tabs.setCurrentWidget(panel.func)
    panel.set_backward_values([-2.5])  # the same run again: its plot is brought back
    assert panel.tabs.currentWidget() is panel.loss
    assert [i.textItem.toPlainText() for i in item.items if isinstance(i, pg.TextItem)] == ["-2.5"]
    panel.set_theme(DARK)  # a new theme redraws even the same points
    assert panel.loss.plot().backgroundBrush().color().name() == DARK.base.lower()
    assert list(panel.loss_curve.getData()[1]) == [-2.5]


def test_a_formula_is_laid_out_in_its_colour_from_any_thread(qtbot):
    import threading

    import ziamath

    from desktop.ui.math_view import latex_svg, prerender

    before = ziamath.config.math.color
    tex = r"\frac{\partial L}{\partial v} = 3 v"
    worker = threading.Thread(target=prerender, args=([(tex, "#123456", 16.0)],))
    worker.start()
    worker.join(30)
    assert latex_svg.cache_info().currsize >= 1
    hits = latex_svg.cache_info().hits
    svg = latex_svg(tex, "#123456", 16.0)  # the worker's layout, from the cache
    assert latex_svg.cache_info().hits == hits + 1
    assert b"#123456" in svg and ziamath.config.math.color == before
    assert render_latex(tex, "#123456", 16.0) is not None
