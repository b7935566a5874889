import time

import numpy as np
from conftest import linear_tensors, tensor

from desktop.ui.inspector import NOT_EVALUATED, Inspector
from desktop.ui.theme import LIGHT


def make(qtbot, tensors=None):
    ins = Inspector()
    qtbot.addWidget(ins)
    ins.resize(700, 700)
    ins.show()
    ins.set_tensors(tensors if tensors is not None else linear_tensors())
    return ins


def test_rows_show_every_tensor(qtbot):
    ins = make(qtbot)
    rows = {r[0]: r for r in ins.row_texts()}
    assert list(rows) == ["X", "Y", "w", "b", "Y_hat", "loss"]
    assert rows["w"] == ["w", "[1, 1]", "float32", "True", "True", "None", "-38.4"]
    assert rows["Y_hat"][4:] == ["False", "AddBackward0", "None"]
    assert rows["loss"][1] == "scalar"


def test_select_small_tensor_shows_grid(qtbot):
    ins = make(qtbot)
    with qtbot.waitSignal(ins.tensor_selected) as blocker:
        ins.select("X")
    assert blocker.args == ["X"]
    assert ins.value_view.mode == "grid"
    grid = ins.value_view.grid
    assert (grid.rowCount(), grid.columnCount()) == (5, 1)
    assert grid.item(4, 0).text() == "5"
    assert ins.grad_view.mode == "none"
    ins.select("w")
    assert ins.grad_view.mode == "grid"
    assert ins.grad_view.grid.item(0, 0).text() == "-38.4"


def test_selection_survives_a_new_run(qtbot):
    ins = make(qtbot)
    ins.select("b")
    ins.set_tensors(linear_tensors())
    assert ins.selected_name() == "b"


def test_large_tensor_heatmap_and_huge_summary(qtbot):
    big = tensor("W1", np.arange(30 * 40, dtype=np.float32).reshape(30, 40))
    huge = tensor("H", np.zeros(1_000_001, dtype=np.float32))
    ins = make(qtbot, (big, huge))
    ins.select("W1")
    assert ins.value_view.mode == "heatmap"
    assert ins.value_view.image.image.shape == (30, 40)
    ins.select("H")
    assert ins.value_view.mode == "summary"
    text = ins.value_view.summary.toPlainText()
    assert "1,000,001 elements" in text and "mean 0" in text and "NaN  0" in text


def test_nan_and_inf_are_highlighted(qtbot):
    bad = tensor("bad", np.array([1.0, np.nan, np.inf], dtype=np.float32),
                 grad=np.array([np.nan, 0, 0], dtype=np.float32), requires_grad=True)
    ins = make(qtbot, (bad,))
    assert "NaN" in ins.table.item(0, 0).toolTip()
    ins.select("bad")
    assert "1 NaN, 1 Inf" in ins.value_view.header.text()
    grid = ins.value_view.grid
    normal, nan_cell = grid.item(0, 0), grid.item(1, 0)
    assert nan_cell.text() == "nan"
    assert nan_cell.background().color() != normal.background().color()
    big_bad = tensor("bb", np.full((20, 20), np.nan, dtype=np.float32))
    ins.set_tensors((big_bad,))
    ins.select("bb")  # an all-NaN heatmap must not crash
    assert ins.value_view.mode == "heatmap"


def test_watches(qtbot):
    ins = make(qtbot)
    ins.add_watch("w.grad")
    ins.add_watch("w.grad")  # no duplicates
    ins.add_watch("1/0")
    assert ins.watches == ["w.grad", "1/0"]
    assert ins.watch_values()["w.grad"] == NOT_EVALUATED

    def evaluate(expr):
        return str(eval(expr, {"w": type("W", (), {"grad": -38.4})}))

    ins.set_evaluator(evaluate)
    values = ins.watch_values()
    assert values["w.grad"] == "-38.4"
    assert values["1/0"].startswith("ZeroDivisionError")
    with qtbot.waitSignal(ins.watches_changed) as blocker:
        ins.remove_watch("1/0")
    assert blocker.args == [["w.grad"]]
    ins.watch_field.setText("w.grad * 2")
    ins.watch_field.returnPressed.emit()
    assert ins.watches == ["w.grad", "w.grad * 2"]


def test_a_slow_watch_does_not_block_and_fills_in_later(qtbot):
    from desktop.watch_eval import EVALUATING, WatchEvaluator

    ins = make(qtbot)
    ins.add_watch("slow")
    ins.set_evaluator(WatchEvaluator(lambda e: (time.sleep(0.5), "done")[1],
                                     on_late=ins.deliver_late, wait=0.05))
    t0 = time.monotonic()
    ins.refresh_watches()
    assert time.monotonic() - t0 < 0.4  # the GUI thread was not held for the 0.5 s
    assert ins.watch_values()["slow"] == EVALUATING
    qtbot.waitUntil(lambda: ins.watch_values()["slow"] == "done", timeout=3000)


def test_a_new_run_without_the_selected_name_selects_nothing(qtbot):
    ins = make(qtbot)
    ins.select("X")  # row 0
    ins.set_tensors((tensor("a", np.ones(2)), tensor("b", np.zeros(2))))
    # Qt would keep row 0 highlighted, now showing "a" while the panes say "select a tensor"
    assert ins.selected_name() is None
    assert ins.table.selectionModel().selectedRows() == []
    assert ins.value_view.mode == "none"


def test_an_empty_table_says_how_to_fill_it(qtbot):
    ins = make(qtbot, ())
    assert ins.empty_hint.isVisible() and "F5" in ins.empty_hint.text()
    ins.set_tensors(linear_tensors())
    assert not ins.empty_hint.isVisible()


def test_a_missing_grad_says_why(qtbot):
    ins = make(qtbot, (
        tensor("X", np.ones(2)),
        tensor("h", np.ones(2), requires_grad=True, is_leaf=False, grad_fn="MulBackward0"),
        tensor("w", np.ones(2), requires_grad=True),
    ))
    texts = {}
    for name in ("X", "h", "w"):
        ins.select(name)
        texts[name] = ins.grad_view.empty.text()
    assert "does not require grad" in texts["X"]
    assert "not a leaf" in texts["h"] and "retain_grad" in texts["h"]
    assert "has not reached w" in texts["w"]


def test_only_the_cells_with_nan_or_inf_turn_red(qtbot):
    bad_value = tensor("y", np.array([np.nan, 1.0], dtype=np.float32))
    ok = tensor("z", np.ones(2, dtype=np.float32))
    ins = make(qtbot, (bad_value, ok))
    red = LIGHT.stderr
    assert ins.table.item(0, 0).foreground().color().name() == red  # the name: y is bad
    assert ins.table.item(0, 6).foreground().color().name() != red  # its grad (None) is not
    assert ins.table.item(1, 0).foreground().color().name() != red


def test_heatmap_header_gives_the_colour_scale(qtbot):
    big = tensor("W1", np.linspace(-2, 3, 30 * 40, dtype=np.float32).reshape(30, 40))
    ins = make(qtbot, (big,))
    ins.select("W1")
    header = ins.value_view.header.text()
    assert "min -2" in header and "max 3" in header
