"""The main window's status bar (cursor position, run state, the engine note) and its Help
menu (the keyboard shortcuts, grouped by menu, and About). A mixin of ``MainWindow``."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox

ENGINE_NOTE = "import torch → stepgrad engine (numpy), not PyTorch"


def _menu_actions(menu) -> list[QAction]:
    out = []
    for act in menu.actions():
        if act.menu() is not None:
            out += _menu_actions(act.menu())
        elif not act.isSeparator():
            out.append(act)
    return out


def _text(act: QAction) -> str:
    return act.text().replace("&", "").rstrip("…")


def _keys(act: QAction) -> str:
    return act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


class StatusAndHelp:
    """Needs ``self.editor``."""

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.cursor_label = QLabel()
        self.run_label = QLabel("ready")
        self.engine_label = QLabel(ENGINE_NOTE)
        self.engine_label.setToolTip(
            "Scripts' `import torch` (and torch.nn, torch.nn.functional, torch.optim, "
            "torch.autograd) is served by stepgrad's own engine, which follows PyTorch's "
            "semantics on numpy. Real PyTorch is never imported.")
        for w in (self.cursor_label, self.run_label, self.engine_label):
            sb.addPermanentWidget(w)
        self._update_cursor_label()

    def _update_cursor_label(self) -> None:
        c = self.editor.textCursor()
        self.cursor_label.setText(f"Ln {c.blockNumber() + 1}, Col {c.positionInBlock() + 1}")

    def shortcut_table(self) -> list[tuple[str, str]]:
        acts = [a for a in self.findChildren(QAction) if a.shortcut().toString()]
        return sorted({(_text(a), _keys(a)) for a in acts})

    def shortcut_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The shortcuts grouped by menu, in menu order (File, Edit, Run, Debug, …); actions
        in no menu come last."""
        groups, seen = [], set()
        for top in self.menuBar().actions():
            menu = top.menu()
            if menu is None:
                continue
            rows = []
            for act in _menu_actions(menu):
                keys = _keys(act)
                if keys and id(act) not in seen:
                    seen.add(id(act))
                    rows.append((_text(act), keys))
            if rows:
                groups.append((top.text().replace("&", ""), rows))
        rest = sorted({(_text(a), _keys(a)) for a in self.findChildren(QAction)
                       if a.shortcut().toString() and id(a) not in seen and a.isVisible()})
        if rest:
            groups.append(("Other", rest))
        return groups

    def show_shortcuts(self) -> None:
        parts = []
        for title, rows in self.shortcut_groups():
            parts.append(f"<tr><td colspan='2'><br><b>{title}</b></td></tr>")
            parts += [f"<tr><td>{name}&nbsp;&nbsp;</td><td><b>{keys}</b></td></tr>"
                      for name, keys in rows]
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{''.join(parts)}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About stepgrad",
                          "<b>stepgrad</b><br>Step through PyTorch-style autograd and watch "
                          "the graph being built and consumed.<br><br>" + ENGINE_NOTE)
