"""Helpers shared by the layer tests: run one program on the engine and on real PyTorch and
compare what it prints; compare arrays from both."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
import warnings

import numpy as np

import engine


def run_program(src: str, lib) -> str:
    """``src`` run with ``torch``/``nn``/``F`` bound to ``lib``; its printed output (errors
    printed as ``ErrorClass: message``)."""
    out = io.StringIO()
    env = {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "optim": lib.optim}
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(textwrap.dedent(src), env)
        except Exception as e:  # the error is part of the behaviour compared
            print(f"{type(e).__name__}: {e}")
    return re.sub(r" object at 0x[0-9a-f]+", "", out.getvalue())


def same_output(src: str, real) -> tuple[str, str]:
    return run_program(src, engine), run_program(src, real)


def close(a, b, rtol=1e-5, atol=1e-6) -> None:
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
