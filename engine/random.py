"""Random numbers that are PyTorch's, number for number: after ``manual_seed(s)``, ``rand``,
``randn``, ``randint``, ``randperm``, ``uniform_``/``normal_`` (so ``nn.Linear``'s initial weights)
and DataLoader shuffling give what PyTorch's CPU generator gives, so a tutorial's printed values
reproduce in stepgrad.

PyTorch's CPU generator is a 32-bit Mersenne Twister seeded with ``init_genrand`` (numpy's MT19937
runs the same recurrence; only the seeding is done here); each distribution below follows ATen's
(``DistributionsHelper.h``, ``TransformationHelper.h``, ``cpu/DistributionTemplates.h``):
uniform floats from the low 24 (float) or 53 (double, from two draws) bits; normals by
Box-Muller, element by element with a cached second value below 16 elements, and in blocks of 16
(8 pairs) from 16 uniforms above; for float32 the blocks use the AVX2 kernel's own log and
sincos (``normal_avx2``), as PyTorch does on any x86-64 machine with AVX2. Known difference:
float16 normals of 16 or more elements follow a path of PyTorch's not reproduced here (other
numbers, and the stream after them differs).
"""

from __future__ import annotations

import builtins
import functools
import math
import struct

import numpy as np

from . import normal_avx2
from .fused import fma, fma32, fma64
from .tensor_data import Tensor, _wrap

DEFAULT_SEED = 67280421310721  # PyTorch's default_rng_seed_val
# CPUGeneratorImplState: seed, left, seeded, next, 624 words (as uint64), three doubles of which
# the second is the cached Box-Muller value, its valid flag, then a float cache and its flag
_STATE = struct.Struct("<QiiQ624Qdddi4xf?3x")
_STATE_BYTES = _STATE.size  # 5056, as torch.get_rng_state()
_TWO_PI = 2.0 * math.pi


def _init_genrand(seed: int) -> np.ndarray:
    key = np.empty(624, dtype=np.uint32)
    x = seed & 0xFFFFFFFF
    key[0] = x
    for i in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        key[i] = x
    return key


class Generator:
    """``torch.Generator``: a Mersenne Twister stream with PyTorch's distributions."""

    def __init__(self, device="cpu"):
        from .device import device as _device

        self.device = _device(device)
        if self.device.type != "cpu":
            raise RuntimeError(f"Device type {self.device.type.upper()} is not supported for "
                               "torch.Generator() api.")
        self._bits = np.random.MT19937()
        self.manual_seed(DEFAULT_SEED)

    def __repr__(self):
        return f"<torch._C.Generator object at {id(self):#x}>"

    # ---- seeding and state ---------------------------------------------------------------------
    def manual_seed(self, seed):
        if not isinstance(seed, (builtins.int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = builtins.int(seed) & 0xFFFFFFFFFFFFFFFF
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": _init_genrand(self._seed), "pos": 624}}
        self._cached_normal = None  # Box-Muller's second value, as PyTorch keeps it
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as PyTorch lays it out: a uint8 tensor of 5056 bytes."""
        st = self._bits.state["state"]
        key, pos = st["key"], builtins.int(st["pos"])
        if pos == 624:  # the next draw regenerates the key; a fresh seed has drawn nothing
            fresh = np.array_equal(key, _init_genrand(self._seed))
            left, nxt = 1, 0 if fresh else 624
        else:
            left, nxt = 625 - pos, pos
        cached = self._cached_normal
        raw = _STATE.pack(self._seed, left, 1, nxt, *key.tolist(), 0.0,
                          0.0 if cached is None else cached, 0.0, cached is not None, 0.0, False)
        return _wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            got = (new_state.type() if isinstance(new_state, Tensor)
                   else type(new_state).__name__)
            raise TypeError(f"expected a torch.ByteTensor, but got {got}")
        raw = new_state._data.tobytes()
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {len(raw)}")
        fields = _STATE.unpack(raw)
        seed, left, _seeded, nxt = fields[:4]
        key = np.array(fields[4:628], dtype=np.uint64).astype(np.uint32)
        _x, normal_y, _rho, normal_valid = fields[628:632]
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": key, "pos": 624 if left == 1 else 625 - left}}
        self._seed = seed
        self._cached_normal = normal_y if normal_valid else None
        return self

    # ---- raw draws -----------------------------------------------------------------------------
    def _u32(self, n: int) -> np.ndarray:
        return self._bits.random_raw(n)  # uint64 holding the 32-bit outputs

    def _u64(self, n: int) -> np.ndarray:
        w = self._u32(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]  # first draw is the high word

    def _unit(self, n: int, dtype) -> np.ndarray:
        """n uniforms in [0, 1) as PyTorch's uniform_real_distribution makes them."""
        dtype = np.dtype(dtype)
        if dtype == np.float64:
            return (self._u64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53
        # float16 too takes float's 24 bits (then rounds), as PyTorch's Half kernels do
        return ((self._u32(n) & np.uint64((1 << 24) - 1)).astype(np.float32)
                * np.float32(2.0**-24))

    # ---- distributions (shape, dtype) -> ndarray -------------------------------------------------
    def uniform(self, low, high, shape, dtype=np.float32) -> np.ndarray:
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        x = self._unit(n, dtype)
        # x * (to - from) + from with one rounding: ATen's kernel is built with FMA
        if dtype == np.float64:
            out = fma64(x, high - low, low)
        else:
            lo, hi = np.float32(low), np.float32(high)
            out = fma32(x, hi - lo, lo)
        return out.astype(dtype, copy=False).reshape(shape)

    def normal(self, mean, std, shape, dtype=np.float32) -> np.ndarray:
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if n >= 16:
            out = self._normal_blocks(n, dtype, mean, std)
        else:
            out = np.array([self._normal_one(mean, std) for _ in range(n)], dtype=np.float64)
        return out.astype(dtype, copy=False).reshape(shape)

    def _normal_one(self, mean, std) -> float:
        cached = self._cached_normal
        if cached is not None:
            self._cached_normal = None
            return float(fma64(cached, std, mean))
        u1, u2 = self._unit(2, np.float64)
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = _TWO_PI * u1
        self._cached_normal = r * math.sin(theta)
        return float(fma64(r * math.cos(theta), std, mean))

    def _normal_blocks(self, n, dtype, mean, std) -> np.ndarray:
        if dtype == np.float32:
            transform = functools.partial(normal_avx2.box_muller_16, mean=mean, std=std)
            work = np.float32
        else:  # ATen's scalar kernel, in the tensor's own dtype (Half rounds after every step)
            work = np.float64 if dtype == np.float64 else np.float16
            transform = functools.partial(_box_muller_16, work=work, mean=mean, std=std)
        data = self._unit(n, work).astype(work)
        full = n - n % 16
        transform(data[:full].reshape(-1, 16))
        if n % 16:  # PyTorch redraws the last 16 and transforms them as one more block
            tail = self._unit(16, work).astype(work)
            transform(tail.reshape(1, 16))
            data[n - 16:] = tail
        return data

    def integers(self, low, high, shape) -> np.ndarray:
        """randint: (draw % range) + low, with a 64-bit draw when the range needs it."""
        span = int(high) - int(low)
        if span <= 0:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={high}")
        n = math.prod(shape)
        draws = self._u64(n) if span >= 1 << 32 else self._u32(n)
        return ((draws % np.uint64(span)).astype(np.int64) + int(low)).reshape(shape)

    def permutation(self, n: int) -> np.ndarray:
        """randperm: PyTorch's swap loop, one 32-bit draw per position."""
        out = np.arange(n, dtype=np.int64)
        if n < 2:
            return out
        draws = self._u32(n - 1)
        for i, d in enumerate(draws.tolist()):
            z = i + d % (n - i)
            out[i], out[z] = out[z], out[i]
        return out

    def random_int64(self) -> int:
        """``torch.empty((), dtype=torch.int64).random_()``: what a sampler seeds itself with."""
        return int(self._u64(1)[0] % np.uint64(2**63))


def _log(x: np.ndarray) -> np.ndarray:
    """The C library's log for doubles: numpy's AVX-512 log differs from it in the last bit
    (about 1 in 300 values), and ATen's scalar kernel calls the C library."""
    if x.dtype != np.float64:
        return np.log(x)
    log = math.log
    return np.array([log(v) for v in x.ravel().tolist()], np.float64).reshape(x.shape)


def _box_muller_16(blocks: np.ndarray, work, mean, std) -> None:
    """In place on rows of 16 uniforms: pairs (j, j + 8) become two normals."""
    u1 = work(1) - blocks[:, :8]
    u2 = blocks[:, 8:]
    radius = np.sqrt(work(-2) * _log(u1))
    theta = work(_TWO_PI) * u2
    blocks[:, :8] = radius * np.cos(theta)
    blocks[:, 8:] = radius * np.sin(theta)
    if std != 1 or mean != 0:
        blocks[...] = fma(blocks, work(std), work(mean), work)


default_generator = Generator()


def manual_seed(seed):
    return default_generator.manual_seed(builtins.int(seed))


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _rng(generator=None) -> Generator:
    return generator if generator is not None else default_generator


def bernoulli_mask(shape, p, generator=None) -> np.ndarray:
    """``torch.empty(shape).bernoulli_(p)`` as a bool array (dropout's keep mask, p = 1 - drop).

    ATen's serial CPU kernel: per element one double uniform (53 bits of a 64-bit draw, as
    ``_unit``), kept when it is below ``p``. That is the kernel PyTorch runs on AMD and other
    non-Intel x86 CPUs (checked bit for bit against torch 2.13 here). Builds with MKL may, on
    Intel CPUs, draw ``bernoulli_(p)`` from an MKL VSL stream instead (``bernoulli_scalar_kernel``);
    those masks are not reproduced.
    """
    n = math.prod(shape)
    return (_rng(generator)._unit(n, np.float64) < p).reshape(shape)
