"""Graph layout cached per graph structure, for the debugger's stops and for Runs of a script
whose graph keeps its shape."""

from __future__ import annotations

from desktop.layout_memo import ShapeMemo, shape_of
from desktop.ui.graph_patch import structure


class CachedLayout:
    """Remembers the positions of the last ``KEEP`` drawing shapes. A backward step changes
    grads and styles but not the nodes and edges, so stepping through a 200-node pass lays it
    out once; a Run of the same script again gets the last Run's positions moved onto the new
    node ids, and so does each open group of a big graph, laid out one by one. Called from the
    GUI thread and from the view's layout thread."""

    KEEP = 8

    def __init__(self, layout_fn, accepts_sizes: bool):
        self.layout_fn = layout_fn
        self.accepts_sizes = accepts_sizes
        self._last = (None, None)  # (structure key, positions) of the last call
        self._shapes = ShapeMemo(self.KEEP)

    def __call__(self, snapshot, sizes=None):
        key = (structure(snapshot),
               None if sizes is None else tuple(sorted(sizes.items())))
        last_key, last = self._last  # one read: another thread may replace it meanwhile
        if key == last_key:
            return last
        shape = shape_of(snapshot, sizes)
        positions = self._shapes.get(shape, snapshot)
        if positions is None:
            if self.accepts_sizes:
                positions = self.layout_fn(snapshot, sizes=sizes)
            else:
                positions = self.layout_fn(snapshot)
        self._shapes.put(shape, snapshot, positions)
        self._last = (key, positions)
        return positions


def install_layout_cache(graph_view) -> None:
    """Wrap the view's layout function in a ``CachedLayout`` (once)."""
    from desktop.ui.graph_view import accepts_sizes

    if not isinstance(graph_view.layout_fn, CachedLayout):
        graph_view.layout_fn = CachedLayout(graph_view.layout_fn,
                                            accepts_sizes(graph_view.layout_fn))
