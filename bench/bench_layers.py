"""Layer benchmark: forward + backward of (1) a small CNN — conv2d(1->8, 3x3) + relu +
max_pool2d(2) + linear(8*13*13 -> 10) + cross-entropy, batch 32 of 1x28x28, float32 — and (2) an
LSTM (input 32, hidden 64, batch 16, 8 steps) with a sum-of-squares loss, and (3) single layers
(conv3d, conv_transpose1d/2d, avg_pool3d, max_unpool2d); the engine against
hand-written numpy doing the same math in its cheapest form (im2col through a strided view and
one matmul, the 2x2 pool as a reshape, the hand-derived backward and BPTT) and, when
importable, real PyTorch. Run by hand: ``python bench/bench_layers.py [--quick]``.

Reports the best of several interleaved rounds, ms per forward+backward, and engine / numpy.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _threads import describe, pin_from_argv, pin_torch

THREADS = pin_from_argv()  # before numpy: BLAS reads its thread count when it loads

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402

try:
    import torch
except ImportError:  # the oracle is optional
    torch = None
pin_torch(torch, THREADS)

N, C_OUT, K, CLS = 32, 8, 3, 10
T, B, I, H = 8, 16, 32, 64


# ---- CNN ---------------------------------------------------------------------------------------
def _cnn_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, CLS, N)
    w = (rng.standard_normal((C_OUT, 1, K, K)) * 0.3).astype(np.float32)
    b = np.zeros(C_OUT, np.float32)
    fw = (rng.standard_normal((CLS, C_OUT * 13 * 13)) * 0.02).astype(np.float32)
    fb = np.zeros(CLS, np.float32)
    return x, y, [w, b, fw, fb]


def cnn_library(lib):
    x, y, (w, b, fw, fb) = _cnn_data()
    F = lib.nn.functional
    params = [lib.tensor(a, requires_grad=True) for a in (w, b, fw, fb)]
    X, Y = lib.tensor(x), lib.tensor(y)

    def step():
        cw, cb, lw, lb = params
        for p in params:
            p.grad = None
        h = F.max_pool2d(F.relu(F.conv2d(X, cw, cb)), 2)
        loss = F.cross_entropy(F.linear(h.flatten(1), lw, lb), Y)
        loss.backward()
        return loss, [p.grad for p in params]

    return step


def cnn_numpy():
    x, y, (w, b, fw, fb) = _cnn_data()
    rows = np.arange(N)
    wm = w.reshape(C_OUT, K * K)

    def step():
        cols = sliding_window_view(x[:, 0], (K, K), axis=(1, 2)).reshape(N * 26 * 26, K * K)
        a = (cols @ wm.T + b).reshape(N, 676, C_OUT)
        r = np.maximum(a, 0).reshape(N, 13, 2, 13, 2, C_OUT)
        p = r.max((2, 4))  # (N, 13, 13, 8)
        feat = p.transpose(0, 3, 1, 2).reshape(N, -1)
        z = feat @ fw.T + fb
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        loss = -logp[rows, y].mean()
        g = np.exp(logp)
        g[rows, y] -= 1
        g /= N
        gfw, gfb = g.T @ feat, g.sum(0)
        gp = (g @ fw).reshape(N, C_OUT, 13, 13).transpose(0, 2, 3, 1)
        mask = r == p[:, :, None, :, None, :]  # ties are measure-zero on random data
        gr = (mask * gp[:, :, None, :, None, :]).reshape(N, 676, C_OUT)
        ga = gr * (a > 0)
        gw = (ga.reshape(-1, C_OUT).T @ cols).reshape(w.shape)
        gb = ga.sum((0, 1))
        return loss, [gw, gb, gfw, gfb]

    return step


# ---- LSTM --------------------------------------------------------------------------------------
def _lstm_data():
    rng = np.random.default_rng(1)
    s = 1 / np.sqrt(H)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    ws = [rng.uniform(-s, s, shape).astype(np.float32)
          for shape in ((4 * H, I), (4 * H, H), (4 * H,), (4 * H,))]
    return x, ws


def lstm_library(lib):
    x, ws = _lstm_data()
    m = lib.nn.LSTM(I, H)
    with lib.no_grad():
        for p, w in zip(m.parameters(), ws, strict=True):
            p.copy_(lib.tensor(w))
    X = lib.tensor(x)

    def step():
        m.zero_grad()
        out, (h, c) = m(X)
        loss = (out * out).sum()
        loss.backward()
        return loss, [p.grad for p in m.parameters()]

    return step


def _sig(v):
    return 1 / (1 + np.exp(-v))


def lstm_numpy():
    x, (wih, whh, bih, bhh) = _lstm_data()

    def step():
        proj = x.reshape(T * B, I) @ wih.T + (bih + bhh)
        proj = proj.reshape(T, B, 4 * H)
        h = np.zeros((B, H), np.float32)
        c = np.zeros((B, H), np.float32)
        saved, outs = [], []
        for t in range(T):
            gates = proj[t] + h @ whh.T
            i, f = _sig(gates[:, :H]), _sig(gates[:, H:2 * H])
            g, o = np.tanh(gates[:, 2 * H:3 * H]), _sig(gates[:, 3 * H:])
            c_prev, h_prev = c, h
            c = f * c + i * g
            tc = np.tanh(c)
            h = o * tc
            saved.append((i, f, g, o, c_prev, tc, h_prev))
            outs.append(h)
        out = np.stack(outs)
        loss = (out * out).sum()
        gout = 2 * out
        dh = np.zeros((B, H), np.float32)
        dc = np.zeros((B, H), np.float32)
        dgates = np.empty((T, B, 4 * H), np.float32)
        gwhh = np.zeros_like(whh)
        for t in reversed(range(T)):
            i, f, g, o, c_prev, tc, h_prev = saved[t]
            dh = dh + gout[t]
            do = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            di, df, dg = dc * g, dc * c_prev, dc * i
            dc = dc * f
            dg_all = dgates[t]
            dg_all[:, :H] = di * i * (1 - i)
            dg_all[:, H:2 * H] = df * f * (1 - f)
            dg_all[:, 2 * H:3 * H] = dg * (1 - g * g)
            dg_all[:, 3 * H:] = do * o * (1 - o)
            gwhh += dg_all.T @ h_prev
            dh = dg_all @ whh
        flat = dgates.reshape(T * B, 4 * H)
        gwih = flat.T @ x.reshape(T * B, I)
        gb = flat.sum(0)
        return loss, [gwih, gwhh, gb, gb]

    return step


# ---- single layers (conv3d, conv_transpose1d/2d, avg_pool3d, max_unpool2d) ---------------------
# each: forward + backward of sum(out**2)/2 with respect to every input, float32
def _layer_data():
    rng = np.random.default_rng(2)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    return {"conv3d": (f(4, 4, 8, 8, 8), f(8, 4, 3, 3, 3)),
            "conv_transpose1d": (f(16, 8, 64), f(8, 4, 3)),
            "conv_transpose2d": (f(8, 8, 16, 16), f(8, 4, 3, 3)),
            "avg_pool3d": (f(4, 8, 8, 8, 8),),
            "max_unpool2d": (f(16, 8, 16, 16),)}


def layer_library(name):
    def build(lib):
        arrs = _layer_data()[name]
        F = lib.nn.functional
        ts = [lib.tensor(a, requires_grad=True) for a in arrs]
        if name == "max_unpool2d":
            with lib.no_grad():
                _, idx = F.max_pool2d(lib.tensor(arrs[0]), 2, return_indices=True)
            ts = [lib.tensor(arrs[0][:, :, ::2, ::2].copy(), requires_grad=True)]
        call = {"conv3d": lambda x, w: F.conv3d(x, w),
                "conv_transpose1d": lambda x, w: F.conv_transpose1d(x, w, stride=2),
                "conv_transpose2d": lambda x, w: F.conv_transpose2d(x, w, stride=2),
                "avg_pool3d": lambda x: F.avg_pool3d(x, 2),
                "max_unpool2d": lambda x: F.max_unpool2d(x, idx, 2)}[name]

        def step():
            for t in ts:
                t.grad = None
            out = call(*ts)
            loss = (out * out).sum() / 2
            loss.backward()
            return loss, [t.grad for t in ts]

        return step

    return build


def _col2im_1d(vals, n_out, stride):
    """vals (N, C, L, K) added at output positions l * stride + k."""
    n, c, L, K = vals.shape
    out = np.zeros((n, c, n_out), vals.dtype)
    for k in range(K):
        out[:, :, k: k + (L - 1) * stride + 1: stride] += vals[:, :, :, k]
    return out


def layer_numpy(name):
    arrs = _layer_data()[name]

    if name == "conv3d":
        x, w = arrs
        oc, c, k = w.shape[0], w.shape[1], w.shape[2]
        wm = w.reshape(oc, -1)

        def step():
            win = sliding_window_view(x, (k, k, k), axis=(2, 3, 4))  # N C D H W k k k
            n, _, d, h, ww = win.shape[:5]
            cols = win.transpose(0, 2, 3, 4, 1, 5, 6, 7).reshape(n * d * h * ww, -1)
            out = cols @ wm.T
            loss = (out * out).sum() / 2
            gw = (out.T @ cols).reshape(w.shape)
            dcols = (out @ wm).reshape(n, d, h, ww, c, k, k, k)
            gx = np.zeros_like(x)
            for a in range(k):
                for b in range(k):
                    for e in range(k):
                        gx[:, :, a: a + d, b: b + h, e: e + ww] += \
                            dcols[..., a, b, e].transpose(0, 4, 1, 2, 3)
            return loss, [gx, gw]

        return step
    if name in ("conv_transpose1d", "conv_transpose2d"):
        x, w = arrs
        two = name.endswith("2d")

        def step():
            cin, oc = w.shape[:2]
            k = w.shape[2]
            n = x.shape[0]
            if not two:
                vals = np.einsum("ncl,cok->nolk", x, w, optimize=True)
                out = _col2im_1d(vals, (x.shape[2] - 1) * 2 + k, 2)
                cols = sliding_window_view(out, k, axis=2)[:, :, ::2]  # N O L k
                gx = np.einsum("nolk,cok->ncl", cols, w, optimize=True)
                gw = np.einsum("ncl,nolk->cok", x, cols, optimize=True)
            else:
                hh, ww = x.shape[2:]
                vals = np.einsum("nchw,coab->nohwab", x, w, optimize=True)
                oh, ow = (hh - 1) * 2 + k, (ww - 1) * 2 + k
                out = np.zeros((n, oc, oh, ow), x.dtype)
                for a in range(k):
                    for b in range(k):
                        out[:, :, a: a + (hh - 1) * 2 + 1: 2, b: b + (ww - 1) * 2 + 1: 2] += \
                            vals[..., a, b]
                cols = sliding_window_view(out, (k, k), axis=(2, 3))[:, :, ::2, ::2]
                gx = np.einsum("nohwab,coab->nchw", cols, w, optimize=True)
                gw = np.einsum("nchw,nohwab->coab", x, cols, optimize=True)
            loss = (out * out).sum() / 2
            return loss, [gx, gw]

        return step
    if name == "avg_pool3d":
        (x,) = arrs

        def step():
            n, c, d, h, w = x.shape
            out = x.reshape(n, c, d // 2, 2, h // 2, 2, w // 2, 2).mean((3, 5, 7))
            loss = (out * out).sum() / 2
            g = np.repeat(np.repeat(np.repeat(out / 8, 2, 2), 2, 3), 2, 4)
            return loss, [g]

        return step
    (x,) = arrs
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    arg = win.reshape(n, c, h // 2, w // 2, 4).argmax(-1)
    rows = (np.arange(h // 2)[:, None] * 2 + arg // 2)
    cols = (np.arange(w // 2)[None, :] * 2 + arg % 2)
    flat = (rows * w + cols).reshape(n * c, -1)
    src = x[:, :, ::2, ::2].copy()

    def step():
        out = np.zeros((n * c, h * w), np.float32)
        np.put_along_axis(out, flat, src.reshape(n * c, -1), 1)
        loss = (out * out).sum() / 2
        g = np.take_along_axis(out, flat, 1).reshape(src.shape)
        return loss, [g]

    return step


LAYERS = {"conv3d": "conv3d 4x4x8^3 -> 8, 3x3x3", "conv_transpose1d":
          "conv_transpose1d 16x8x64 -> 4, k3, stride 2", "conv_transpose2d":
          "conv_transpose2d 8x8x16x16 -> 4, 3x3, stride 2", "avg_pool3d":
          "avg_pool3d(2) 4x8x8^3", "max_unpool2d": "max_unpool2d(2) 16x8x8x8 -> 16x16"}


# ---- harness -----------------------------------------------------------------------------------
CLOCK = time.perf_counter


def best_ms(fn, number):
    t0 = CLOCK()
    for _ in range(number):
        fn()
    return (CLOCK() - t0) / number * 1e3


def _arr(v):
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def check_same_math(lib_step, np_step, what):
    """Engine and numpy compute the same loss and grads (else the timing means nothing)."""
    le, ge = lib_step()
    ln, gn = np_step()
    if not np.allclose(_arr(le), ln, rtol=1e-4):
        raise SystemExit(f"{what}: engine and numpy disagree: loss {_arr(le)} vs {ln}")
    for a, b in zip(ge, gn, strict=True):
        if not np.allclose(_arr(a), b, rtol=1e-3, atol=1e-5):
            raise SystemExit(f"{what}: engine and numpy grads disagree")


def run(what, lib_fn, np_fn, rounds, number):
    check_same_math(lib_fn(engine), np_fn(), what)
    contenders = [("numpy", np_fn()), ("engine", lib_fn(engine))]
    best = {name: float("inf") for name, _ in contenders}
    for _, fn in contenders:
        fn()
    for _ in range(rounds):
        gc.collect()
        for name, fn in contenders:
            best[name] = min(best[name], best_ms(fn, number))
    if torch is not None:  # last and on its own (its OpenMP workers keep spinning)
        fn = lib_fn(torch)
        fn()
        contenders.append(("torch", fn))
        best["torch"] = min(best_ms(fn, number) for _ in range(rounds))
    print(what)
    for name, _ in contenders:
        print(f"  {name:7s} {best[name]:8.3f} ms   x{best[name] / best['numpy']:.2f} of numpy")
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads for all three libraries (0: their defaults)")
    args = ap.parse_args(argv)
    rounds, number = (8, 3) if args.quick else (30, 5)
    print(f"float32, forward + backward, best of {rounds} x {number}, {describe(THREADS)}")
    run(f"CNN conv2d(1->{C_OUT},3x3)+relu+max_pool2d(2)+linear+cross_entropy, batch {N}, "
        "1x28x28", cnn_library, cnn_numpy, rounds, number)
    run(f"LSTM input {I}, hidden {H}, batch {B}, {T} steps, sum(out^2)", lstm_library,
        lstm_numpy, rounds, number)
    for name, what in LAYERS.items():
        run(f"{what}, sum(out^2)/2", layer_library(name), lambda name=name: layer_numpy(name),
            max(rounds // 3, 2), number)


if __name__ == "__main__":
    main()
