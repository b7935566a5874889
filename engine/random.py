"""Random numbers: one seeded numpy Generator, like torch's global default generator."""

from __future__ import annotations

import numpy as np

_state = {"rng": np.random.default_rng(0), "seed": 0}


class Generator:
    """``torch.Generator``: its own stream, seeded with ``manual_seed``."""

    def __init__(self, device="cpu"):
        self._rng = np.random.default_rng()
        self._seed = None

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state


def manual_seed(seed):
    _state["seed"] = int(seed)
    _state["rng"] = np.random.default_rng(int(seed))
    return _state["rng"]


def seed():
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed():
    return _state["seed"]


def get_rng_state():
    return _state["rng"].bit_generator.state


def set_rng_state(state):
    _state["rng"].bit_generator.state = state


def _rng(generator=None):
    return generator._rng if generator is not None else _state["rng"]
