"""The inspector's Variables tab: every variable of the shown frame, grouped by scope with the
paused function's locals first (``desktop.variables``)."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

EMPTY = "(no variables yet: run the script, or stop in it with the debugger)"


class VariablesView(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(("name", "type", "value"))
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.variables: tuple = ()
        self.set_variables(())

    def set_variables(self, variables) -> None:
        self.variables = tuple(variables)
        self.clear()
        if not self.variables:
            QTreeWidgetItem(self, ["", "", EMPTY])
            return
        groups: dict[str, QTreeWidgetItem] = {}
        for v in self.variables:
            group = groups.get(v.scope)
            if group is None:
                group = groups[v.scope] = QTreeWidgetItem(self, [v.scope])
                group.setFirstColumnSpanned(True)
            item = QTreeWidgetItem(group, [v.name, v.type_name, v.text])
            item.setToolTip(2, v.text)
        for group in groups.values():
            group.setExpanded(True)
        for col in (0, 1):
            self.resizeColumnToContents(col)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(scope, name, type, value) in display order."""
        out = []
        for i in range(self.topLevelItemCount()):
            group = self.topLevelItem(i)
            for k in range(group.childCount()):
                c = group.child(k)
                out.append((group.text(0), c.text(0), c.text(1), c.text(2)))
        return out
