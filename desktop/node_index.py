"""A GraphSnapshot's nodes by id and their display names, built once per snapshot however many
panels of one debugger stop ask (no Qt). Each panel building its own index was an O(nodes)
pass apiece per stop: most of a backward step's time on a 10,000-node graph."""

from __future__ import annotations

from desktop.model import GraphNode, GraphSnapshot

_last: tuple = (None, {})  # (snapshot, index): replaced whole, so any thread may read it


def node_index(snapshot: GraphSnapshot) -> dict[int, GraphNode]:
    """``{id: node}`` of ``snapshot`` (the same dict for repeated calls on one snapshot)."""
    snap, index = _last
    if snap is not snapshot:
        index = {n.id: n for n in snapshot.nodes}
        globals()["_last"] = (snapshot, index)
    return index


def op_name(n: GraphNode) -> str:
    """"MulBackward0 (loss)": the op, and the variable it is bound to."""
    return f"{n.op} ({n.label})" if n.label and n.op != "const" else n.op


class NodeNames:
    """``get(id, default)`` of the names a panel shows for the nodes it mentions, looked up
    when asked (a step mentions a handful of a graph's nodes). ``name(node)`` names one."""

    def __init__(self, snapshot: GraphSnapshot, name=op_name):
        self._index = node_index(snapshot)
        self._name = name

    def get(self, node_id, default=None):
        n = self._index.get(node_id)
        return default if n is None else self._name(n)

    def __getitem__(self, node_id) -> str:
        return self._name(self._index[node_id])

    def __contains__(self, node_id) -> bool:
        return node_id in self._index
