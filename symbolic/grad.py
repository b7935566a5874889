"""Reverse-mode differentiation of one sympy expression with respect to many symbols.

``sp.diff(L, s)`` walks the whole of ``L`` once per symbol (and recomputes free symbols on the
way), which for a small MLP's loss costs ~0.2 s per parameter. Here every distinct subexpression
is visited once, adjoints are accumulated from the root down using each node's own local
derivative (``Add``/``Mul``/``Pow`` by hand, functions through their sympy ``fdiff``, Piecewise
piecewise), and all the partials come out of one pass. Conditions of Piecewise are constant almost
everywhere and are not differentiated, as in ``sp.diff``.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from .rules import canonical

# derivatives written with the node itself or unevaluated functions: sympy's own fdiff builds
# e.g. tanh(x) again *with* evaluation, whose sign extraction on a long sum costs ~0.1 s a call
_FAST = {
    sp.tanh: lambda node, x: 1 - node**2,
    sp.exp: lambda node, x: node,
    sp.sin: lambda node, x: sp.cos(x, evaluate=False),
    sp.cos: lambda node, x: -sp.sin(x, evaluate=False),
    sp.log: lambda node, x: 1 / x,
}


def _children(node):
    if isinstance(node, sp.Piecewise):
        return [e for e, _ in node.args]
    if isinstance(node, sp.logic.boolalg.Boolean) or node.is_Relational:
        return []
    return list(node.args)


def gradient(expr, wrt, check=None) -> list:
    """``[d expr / d s for s in wrt]``; ``check()`` is called now and then (cancellation)."""
    targets = set(wrt)
    dep: dict = {}
    order = []
    stack = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if node in dep:
            continue
        if done:
            if node.is_Symbol:
                d = node in targets
            else:
                d = any(dep.get(a, False) for a in _children(node))
            dep[node] = d
            if d:
                order.append(node)
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in _children(node) if a not in dep)
    local = _local_derivatives(order, dep)
    adj = defaultdict(list)
    adj[expr].append(sp.Integer(1))
    result = {}
    for k, node in enumerate(reversed(order)):
        if check is not None and k % 256 == 0:
            check()
        terms = adj.pop(node, None)
        if not terms:
            continue
        a = sp.Add(*terms)
        if node.is_Symbol:
            result[node] = a
            continue
        args = node.args
        if node.is_Add:
            for arg in args:
                if dep.get(arg):
                    adj[arg].append(a)
        elif node.is_Mul:
            for i, arg in enumerate(args):
                if dep.get(arg):
                    adj[arg].append(sp.Mul(a, *args[:i], *args[i + 1:]))
        elif node.is_Pow:
            base, e = args
            if dep.get(base):
                adj[base].append(a * e * base ** (e - 1))
            if dep.get(e):
                adj[e].append(a * node * sp.log(base))
        elif isinstance(node, sp.Piecewise):
            for i, (e, _) in enumerate(node.args):
                if dep.get(e):
                    adj[e].append(a * local[(node, i)])
        else:
            fast = _FAST.get(node.func) if len(args) == 1 else None
            for i, arg in enumerate(args):
                if dep.get(arg):
                    adj[arg].append(a * (fast(node, arg) if fast else local[(node, i)]))
    return [result.get(s, sp.Integer(0)) for s in wrt]


def _local_derivatives(order, dep) -> dict:
    """{(node, i): ∂node/∂(its i-th argument)} for the Piecewise and function nodes without a
    hand-written derivative, built in one stretch with distribution on (see ``canonical``):
    switching sympy's parameter clears all of its caches, which per node cost 5 ms (half a
    CNN's derivation)."""
    wanted = []
    for node in order:
        if node.is_Symbol or node.is_Add or node.is_Mul or node.is_Pow:
            continue
        if isinstance(node, sp.Piecewise):
            wanted += [(node, i) for i, (e, _) in enumerate(node.args) if dep.get(e)]
        elif not (len(node.args) == 1 and node.func in _FAST):
            wanted += [(node, i) for i, arg in enumerate(node.args) if dep.get(arg)]
    return _build_local(wanted) if wanted else {}


@canonical
def _build_local(wanted):
    out = {}
    for node, i in wanted:
        if isinstance(node, sp.Piecewise):
            pieces = node.args
            out[(node, i)] = sp.Piecewise(*[(0, cc) for _, cc in pieces[:i]],
                                          (1, pieces[i][1]), (0, True))
        else:
            out[(node, i)] = node.fdiff(i + 1)
    return out
