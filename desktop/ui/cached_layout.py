"""Graph layout cached per graph structure, for the debugger's stops."""

from __future__ import annotations

from desktop.ui.graph_patch import structure


class CachedLayout:
    """Remembers positions per graph structure: a backward step changes grads and styles but
    not the nodes and edges, so stepping through a 200-node pass lays it out once."""

    def __init__(self, layout_fn, accepts_sizes: bool):
        self.layout_fn = layout_fn
        self.accepts_sizes = accepts_sizes
        self._key = None
        self._positions = None

    def __call__(self, snapshot, sizes=None):
        key = (structure(snapshot),
               None if sizes is None else tuple(sorted(sizes.items())))
        if key != self._key:
            if self.accepts_sizes:
                positions = self.layout_fn(snapshot, sizes=sizes)
            else:
                positions = self.layout_fn(snapshot)
            self._key, self._positions = key, positions
        return self._positions


def install_layout_cache(graph_view) -> None:
    """Wrap the view's layout function in a ``CachedLayout`` (once)."""
    from desktop.ui.graph_view import accepts_sizes

    if not isinstance(graph_view.layout_fn, CachedLayout):
        graph_view.layout_fn = CachedLayout(graph_view.layout_fn,
                                            accepts_sizes(graph_view.layout_fn))
