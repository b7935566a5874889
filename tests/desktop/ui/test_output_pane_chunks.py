"""A finished run's output shown in the Output pane: left as it is when the pane streamed
exactly that while the script ran (no clearing, re-inserting and repainting), replaced
otherwise."""

from __future__ import annotations

from PySide6.QtGui import QColor

from desktop.model import ErrorInfo, OutputChunk
from desktop.ui.output_pane import MAX_LINES, OutputPane


def make_pane(qtbot):
    pane = OutputPane()
    qtbot.addWidget(pane)
    return pane


def colour_at(pane, pos: int) -> str:
    cursor = pane.text.textCursor()
    cursor.setPosition(pos + 1)
    return cursor.charFormat().foreground().color().name()


def test_the_streamed_output_is_left_in_place(qtbot):
    pane = make_pane(qtbot)
    pane.append("epoch 0\n")
    pane.append("epoch 1\n")
    pane.show_error(ErrorInfo("ValueError", "old", 3, ()))
    revision = pane.text.document().revision()
    pane.show_chunks([OutputChunk("epoch 0\nepoch 1\n")])
    assert pane.text.document().revision() == revision  # nothing inserted again
    assert pane.text.toPlainText() == "epoch 0\nepoch 1\n"
    assert pane.error is None and pane.error_box.isHidden()


def test_other_output_replaces_what_the_pane_shows(qtbot):
    pane = make_pane(qtbot)
    pane.append("partial\n")
    pane.show_chunks([OutputChunk("partial\n[… 5 characters not shown …]\n")])
    assert pane.text.toPlainText() == "partial\n[… 5 characters not shown …]\n"
    pane.show_chunks([OutputChunk("")])
    assert pane.text.toPlainText() == ""


def test_streams_and_their_colours_are_compared_too(qtbot):
    pane = make_pane(qtbot)
    pane.append("out\n")
    pane.append("err\n", "stderr")
    revision = pane.text.document().revision()
    pane.show_chunks([OutputChunk("out\n"), OutputChunk("err\n", "stderr")])
    assert pane.text.document().revision() == revision
    pane.show_chunks([OutputChunk("out\nerr\n")])  # the same text, all of it stdout now
    assert pane.text.document().revision() != revision
    assert pane.text.toPlainText() == "out\nerr\n"
    stdout = QColor(pane.theme.stdout).name()
    assert colour_at(pane, 0) == colour_at(pane, 4) == stdout


def test_a_pane_emptied_directly_gets_the_output_again(qtbot):
    pane = make_pane(qtbot)
    pane.append("a\n")
    pane.text.clear()
    pane.show_chunks([OutputChunk("a\n")])
    assert pane.text.toPlainText() == "a\n"


def test_past_the_kept_lines_the_output_is_inserted_anew(qtbot):
    pane = make_pane(qtbot)
    lines = "".join(f"{i}\n" for i in range(MAX_LINES + 10))
    pane.append(lines[: len(lines) // 2])
    pane.append(lines[len(lines) // 2:])
    pane.show_chunks([OutputChunk(lines)])
    shown = pane.text.toPlainText()
    assert shown.startswith("11\n") and shown.endswith(f"{MAX_LINES + 9}\n")
