"""Linked selection: one thing selected in one view is selected in every view.

- a graph node (clicked, found, or named in the Backward step panel) selects its source line
  in the editor and, when a variable names it, that variable's inspector row;
- an inspector row selects the variable's node in the graph (brought into view) and its line.

Node ids are Python ``id()`` values, carried as objects (never a C int). One guard stops the
views from echoing a selection back and forth.
"""

from __future__ import annotations

import ast
import contextlib

from PySide6.QtCore import QObject

from desktop.model import GraphNode, NodeKind


def node_for_name(nodes, name: str) -> GraphNode | None:
    """The graph node a variable ``name`` stands for: its leaf, or the op that made it."""
    named = [n for n in nodes if n.label == name]
    if not named:
        return None
    leaf = next((n for n in named if n.kind in (NodeKind.LEAF_GRAD, NodeKind.LEAF_CONST)), None)
    return leaf or named[-1]


def definition_line(source: str, name: str) -> int | None:
    """The first line that assigns ``name`` at the top level or in a loop (a leaf's graph
    node has no line of its own: the tensor was made by a factory, not by an op)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for t in targets:
            names = [e for e in ast.walk(t) if isinstance(e, ast.Name)]
            if any(n.id == name for n in names):
                return node.lineno
    return None


class SelectionLink(QObject):
    def __init__(self, window, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self._busy = False
        window.graph_view.node_selected.connect(self.node_selected)
        window.inspector.tensor_selected.connect(self.tensor_selected)
        self.selected_node = None
        debugger = getattr(window, "debugger", None)
        if debugger is not None:
            self.attach_panel(debugger.panel)

    def attach_panel(self, panel) -> None:
        panel.node_clicked.connect(self.panel_node_clicked)

    @contextlib.contextmanager
    def _guard(self):
        self._busy = True
        try:
            yield
        finally:
            self._busy = False

    def node_selected(self, node_id) -> None:
        if self._busy:
            return
        gv = self.window.graph_view
        item = gv.node_items.get(node_id)
        if item is None:
            return
        self.selected_node = node_id
        node = item.node
        with self._guard():
            self._show_line(node)
            if node.label:
                self.window.inspector.select(node.label)

    def panel_node_clicked(self, node_id) -> None:
        gv = self.window.graph_view
        if node_id not in gv.node_items:
            return
        gv.select_node(node_id, center=False)
        gv.reveal(node_id, zoom=True)
        self.node_selected(node_id)

    def tensor_selected(self, name: str) -> None:
        if self._busy:
            return
        gv = self.window.graph_view
        node = node_for_name([it.node for it in gv.node_items.values()], name)
        if node is None:
            return
        self.selected_node = node.id
        with self._guard():
            gv.select_node(node.id, center=False)
            gv.reveal(node.id)
            self._show_line(node)

    def _show_line(self, node: GraphNode) -> None:
        line = node.line
        if line is None and node.label:
            line = definition_line(self.window.source(), node.label)
        if line is not None:
            self.window.editor.show_line(line)


def link_selection(window) -> SelectionLink:
    """Link ``window``'s graph, editor, inspector (and debugger panel, when attached)."""
    link = SelectionLink(window)
    window.selection_link = link
    return link
