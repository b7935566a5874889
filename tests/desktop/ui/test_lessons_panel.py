"""The lessons panel lists every lesson, shows its page and hands its code to the editor."""

from PySide6.QtCore import Qt

from desktop import lessons
from desktop.ui.lessons_panel import LessonsPanel, lesson_html


def test_lessons_panel_lists_every_lesson_in_two_groups(qtbot):
    panel = LessonsPanel()
    qtbot.addWidget(panel)
    assert panel.lesson_ids() == list(lessons.ids())
    groups = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert groups == ["Autograd, idea by idea", "Training models"]
    assert panel.tree.topLevelItem(0).child(0).text(0) == "1. The forward pass runs line by line"
    assert panel.current_lesson().id == "forward-runs-now"


def test_lessons_panel_page_shows_explanation_watch_points_and_expected_results(qtbot):
    panel = LessonsPanel()
    qtbot.addWidget(panel)
    assert panel.select("custom-function")
    text = panel.page.toPlainText()
    assert "Your own autograd.Function: a ReLU" in text
    assert "What to watch while stepping" in text
    assert "w.grad → [[3.33333, 1.33333]]" in text
    assert "Y_hat.grad_fn.name() → 'MyReLUBackward'" in text
    assert not panel.select("no-such-lesson")
    html = lesson_html(lessons.get("graph-freed"))
    assert "<code>retain_graph=True</code>" in html  # `backticks` become code spans
    assert "stops at line 16 with RuntimeError" in html


def test_lessons_panel_open_button_and_double_click_emit_code_and_id(qtbot):
    panel = LessonsPanel()
    qtbot.addWidget(panel)
    panel.select("leaf-nodes")
    with qtbot.waitSignal(panel.open_requested) as blocker:
        qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [lessons.get("leaf-nodes").code, "leaf-nodes"]
    item = panel._items["inplace-error"]
    with qtbot.waitSignal(panel.open_requested) as blocker:
        panel.tree.itemActivated.emit(item, 0)
    assert blocker.args[1] == "inplace-error"


def test_lessons_panel_group_headers_open_nothing(qtbot):
    panel = LessonsPanel()
    qtbot.addWidget(panel)
    seen = []
    panel.open_requested.connect(lambda code, lid: seen.append(lid))
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    assert not panel.open_button.isEnabled()
    panel.tree.itemActivated.emit(panel.tree.topLevelItem(1), 0)
    assert seen == []


def test_lessons_panel_gives_the_page_the_room_the_list_does_not_need(qtbot):
    from desktop.ui.lessons_panel import LIST_MAX, LIST_MIN

    panel = LessonsPanel()
    qtbot.addWidget(panel)
    panel.resize(620, 450)  # the start page beside the editor
    panel.show()
    qtbot.waitExposed(panel)
    tree, page = panel.split.sizes()
    assert LIST_MIN <= tree < page
    panel.resize(1600, 450)
    qtbot.wait(10)
    tree, page = panel.split.sizes()
    assert tree <= LIST_MAX and page > 3 * tree
    panel.split.splitterMoved.emit(500, 1)  # the user's own split is kept
    panel.split.setSizes([500, 1100])
    panel.resize(1500, 450)
    qtbot.wait(10)
    assert panel.split.sizes()[0] == 500
