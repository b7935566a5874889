"""``torch.optim.LBFGS``: limited-memory BFGS with PyTorch's steps, stopping rules and state.

Each ``step(closure)`` runs up to ``max_iter`` iterations: the two-loop recursion turns the
gradient into a direction from the last ``history_size`` (s, y) pairs, and the parameters move
along it by a fixed step (``lr``; the first iteration ever scales it by 1 / |g|_1) or by a step a
strong-Wolfe line search finds (``line_search_fn='strong_wolfe'``, cubic interpolation as in
minFunc). Vectors are the parameters' grads flattened into one float array, in the parameters'
dtype; ``p += t * d`` is one fused multiply-add per element, as ATen's ``add_(alpha=)``. The
line search's scalars are float32 numbers where PyTorch's are 0-d float32 tensors (dot products,
steps derived from them) and Python floats where PyTorch's are (losses), so numpy's promotion
rounds them as PyTorch does.
"""

from __future__ import annotations

import math

import numpy as np

from ..fused import fma
from ..grad_mode import enable_grad
from ..tensor import _wrap
from .optimizer import Optimizer


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    sq = d1 * d1 - g1 * g2
    if sq < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(sq) if isinstance(sq, np.floating) else math.sqrt(sq)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions: bracket, then zoom.
    ``evaluate(t)`` gives (loss, flat grad) at x + t d. Returns (loss, grad, t, evaluations)."""
    d_norm = np.abs(d).max()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = np.dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    it = 0
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], \
                [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], \
                [gtd_prev, gtd_new]
            break
        # extrapolate between 1.01 t and 10 t
        lo, hi = t + 0.01 * (t - t_prev), t * 10
        nxt = _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = nxt
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = np.dot(g_new, d)
        it += 1
    else:
        bracket, bf, bg, bgtd = [0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insuf = False
    lo_pos, hi_pos = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_min(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        # keep away from the bracket's ends (minFunc's safeguard)
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insuf = False
            else:
                insuf = True
        else:
            insuf = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = np.dot(g_new, d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[lo_pos]:
            bracket[hi_pos], bf[hi_pos], bg[hi_pos], bgtd[hi_pos] = t, f_new, g_new.copy(), \
                gtd_new
            lo_pos, hi_pos = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[hi_pos] - bracket[lo_pos]) >= 0:
                bracket[hi_pos], bf[hi_pos], bg[hi_pos], bgtd[hi_pos] = (
                    bracket[lo_pos], bf[lo_pos], bg[lo_pos], bgtd[lo_pos])
            bracket[lo_pos], bf[lo_pos], bg[lo_pos], bgtd[lo_pos] = t, f_new, g_new.copy(), \
                gtd_new
    return bf[lo_pos], bg[lo_pos], bracket[lo_pos], evals


class LBFGS(Optimizer):
    """L-BFGS (one parameter group). ``step`` needs a closure that clears the grads, computes
    the loss, calls ``backward()`` and returns the loss; it returns the first loss."""

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        if isinstance(lr, float | int) and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- flat views of the parameters --------------------------------------------------------
    def _flat_grad(self):
        parts = [np.zeros(p._data.size, p._data.dtype) if p._grad is None
                 else p._grad._data.reshape(-1) for p in self._params]
        return np.concatenate(parts)

    def _add(self, t, d):
        offset = 0
        for p in self._params:
            n = p._data.size
            step = p._data.dtype.type(t)  # ATen's kernel takes alpha in the tensor's type
            p._data[...] = fma(d[offset: offset + n].reshape(p._data.shape), step, p._data,
                               p._data.dtype)
            p._vc[0] += 1
            offset += n

    def _evaluate(self, closure, t, d):
        saved = [p._data.copy() for p in self._params]
        self._add(t, d)
        with enable_grad():
            loss = float(closure())
        g = self._flat_grad()
        for p, x in zip(self._params, saved, strict=True):
            p._data[...] = x
            p._vc[0] += 1
        return loss, g

    def step(self, closure):
        """Up to ``max_iter`` iterations of L-BFGS; returns the loss the first closure call gave."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure")  # PyTorch asserts the same
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history, line_search = group["history_size"], group["line_search_fn"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        dt = g.dtype
        if np.abs(g).max() <= tol_grad:
            return orig_loss
        d, t = _arr(state.get("d")), _arr(state.get("t"))
        t = t[()] if isinstance(t, np.ndarray) else t  # a float32 number, as it was stored
        old_dirs = [_arr(v) for v in state.get("old_dirs", [])]
        old_stps = [_arr(v) for v in state.get("old_stps", [])]
        ro = [_arr(v) for v in state.get("ro", [])]
        h_diag = _arr(state.get("H_diag"))
        prev_g, prev_loss = _arr(state.get("prev_flat_grad")), state.get("prev_loss")
        al = [None] * history
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = g - prev_g
                s = d * np.asarray(t, dt)
                ys = np.dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(np.asarray(1.0 / ys, dt))
                    h_diag = np.asarray(ys / np.dot(y, y), dt)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = np.asarray(np.dot(old_stps[i], q) * ro[i], dt)
                    q = fma(old_dirs[i], -float(al[i]), q, dt)
                d = r = (q * np.asarray(h_diag, dt)).astype(dt)
                for i in range(len(old_dirs)):
                    be = np.asarray(np.dot(old_dirs[i], r) * ro[i], dt)
                    r = fma(old_stps[i], float(al[i] - be), r, dt)
                d = r
            prev_g = g.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                inv = np.asarray(1.0, dt) / np.abs(g).sum(dtype=dt)  # a float32 tensor in PyTorch
                t = lr if inv >= 1.0 else inv * lr
            else:
                t = lr
            gtd = np.dot(g, d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            if line_search is not None:
                if line_search != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda step: self._evaluate(closure, step, d), t, d, loss, g, gtd,
                    tolerance_change=tol_change)
                self._add(t, d)
                opt_cond = np.abs(g).max() <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    g = self._flat_grad()
                    opt_cond = np.abs(g).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if np.abs(d * np.asarray(t, dt)).max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break
        state.update({"d": _t(d), "t": _t(t), "old_dirs": [_t(v) for v in old_dirs],
                      "old_stps": [_t(v) for v in old_stps], "ro": [_t(v) for v in ro],
                      "H_diag": _t(h_diag), "prev_flat_grad": _t(prev_g),
                      "prev_loss": prev_loss, "al": [None if v is None else _t(v) for v in al]})
        return orig_loss


def _t(v):
    return _wrap(np.asarray(v)) if isinstance(v, np.ndarray | np.generic) else v


def _arr(v):
    return v._data if hasattr(v, "_data") else v
