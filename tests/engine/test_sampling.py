"""multinomial, bernoulli, normal's overloads, exponential_/random_, generator= everywhere and
the Generator's state bytes: the algorithms ATen runs on the CPU, checked by hand from the same
generator's uniforms, by statistics of a fixed seed, and against PyTorch where importable."""

import math

import numpy as np
import pytest

import engine


def _uniforms(seed, n, dtype=np.float64):
    return engine.Generator().manual_seed(seed)._unit(n, dtype)


# ---- multinomial, by hand from the generator's uniforms ------------------------------------
def test_multinomial_with_replacement_inverts_the_cumulative_distribution():
    p = engine.tensor([1.0, 0.0, 3.0])  # unnormalised; cumulative 0.25, 0.25, 1
    got = engine.multinomial(p, 12, replacement=True,
                             generator=engine.Generator().manual_seed(7))
    # one double uniform per sample; the leftmost slot whose cumulative value reaches it
    want = [0 if u <= 0.25 else 2 for u in _uniforms(7, 12)]
    assert got.tolist() == want
    assert got.dtype == engine.int64 and 1 not in want and 0 in want and 2 in want


def test_one_sample_is_the_argmax_of_p_over_exponentials():
    p = np.float32([0.1, 0.6, 0.3])
    q = np.float32([-math.log1p(-u) for u in _uniforms(3, 3)])  # Exp(1) draws
    got = engine.multinomial(engine.tensor(p), 1, generator=engine.Generator().manual_seed(3))
    assert got.tolist() == [int(np.argmax(p / q))]


def test_without_replacement_orders_by_p_over_exponentials_and_never_repeats():
    p = np.float32([0.1, 0.0, 0.5, 0.2, 0.2])
    q = np.float32([-math.log1p(-u) for u in _uniforms(5, 5)])
    got = engine.multinomial(engine.tensor(p), 4, generator=engine.Generator().manual_seed(5))
    assert got.tolist() == list(np.argsort(-(p / q), kind="stable")[:4])
    every = engine.multinomial(engine.tensor(p), 5).tolist()
    assert sorted(every) == [0, 1, 2, 3, 4] and every[-1] == 1  # zero probability comes last


def test_frequencies_follow_the_probabilities():
    p = engine.tensor([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    draws = engine.multinomial(p, 20000, replacement=True,
                               generator=engine.Generator().manual_seed(1)).numpy()
    assert draws.shape == (2, 20000)
    freq = np.stack([np.bincount(row, minlength=3) / 20000 for row in draws])
    np.testing.assert_allclose(freq, p.numpy(), atol=0.01)  # 4 sigma is 0.0143 at p=0.5


def test_multinomial_errors_name_the_problem():
    cases = [
        ((engine.tensor([1, 2]), 1), "multinomial only supports floating-point dtypes for "
                                     "input, got: Long"),
        ((engine.tensor(1.0), 1), "prob_dist must be 1 or 2 dim"),
        ((engine.tensor([1.0, 1.0]), 0), "cannot sample n_sample <= 0 samples"),
        ((engine.tensor([1.0, 1.0]), 3), "cannot sample n_sample > prob_dist.size(-1) samples "
                                         "without replacement"),
        ((engine.tensor([-1.0, 2.0]), 1), "probability tensor contains either `inf`, `nan` or "
                                          "element < 0"),
        ((engine.tensor([-1.0, 2.0]), 2, True), "invalid multinomial distribution "
                                                "(encountering probability entry < 0)"),
        ((engine.tensor([math.inf, 2.0]), 2, True), "invalid multinomial distribution "
                                                    "(encountering probability entry = infinity "
                                                    "or NaN)"),
        ((engine.tensor([0.0, 0.0]), 2, True), "invalid multinomial distribution (sum of "
                                               "probabilities <= 0)"),
    ]
    for args, message in cases:
        with pytest.raises(RuntimeError) as info:
            engine.multinomial(*args)
        assert str(info.value) == message
    with pytest.raises(TypeError, match="'generator' must be torch.Generator, not int"):
        engine.multinomial(engine.ones(3), 1, generator=1)


# ---- the other samplers ------------------------------------------------------------------------
def test_exponential_is_minus_log1p_of_a_double_uniform():
    got = engine.empty(5, dtype=engine.float64).exponential_(
        2.0, generator=engine.Generator().manual_seed(9))
    assert got.tolist() == [-0.5 * math.log1p(-u) for u in _uniforms(9, 5)]
    with pytest.raises(RuntimeError, match=r"exponential_ expects lambda > 0.0, but found "
                                           r"lambda=-1$"):
        engine.zeros(2).exponential_(-1)


def test_bernoulli_compares_a_uniform_of_the_probabilities_precision():
    p32 = np.float32([0.1, 0.5, 0.9, 0.0, 1.0, 0.3])
    got = engine.bernoulli(engine.tensor(p32), generator=engine.Generator().manual_seed(4))
    assert got.tolist() == (_uniforms(4, 6, np.float32) < p32).astype(np.float32).tolist()
    p64 = engine.tensor(p32.astype(np.float64))
    got = engine.bernoulli(p64, generator=engine.Generator().manual_seed(4))
    assert got.dtype == engine.float64
    assert got.tolist() == (_uniforms(4, 6) < p64.numpy()).astype(float).tolist()
    scalar = engine.zeros(6, dtype=engine.int64).bernoulli_(
        0.3, generator=engine.Generator().manual_seed(4))
    assert scalar.tolist() == (_uniforms(4, 6) < 0.3).astype(int).tolist()
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got "
                                           r"p=1.5"):
        engine.zeros(2).bernoulli_(1.5)


def test_normal_overloads_scale_standard_normals():
    g = engine.Generator().manual_seed(2)
    z = engine.randn(3, generator=g).numpy()
    mean, std = engine.tensor([0.0, 1.0, 2.0]), engine.tensor([1.0, 2.0, 3.0])
    g.manual_seed(2)
    assert engine.normal(mean, std, generator=g).tolist() == (z * std.numpy() + mean.numpy()
                                                              ).tolist()
    g.manual_seed(2)
    assert engine.normal(1.5, std, generator=g).tolist() == (z * std.numpy()
                                                             + np.float32(1.5)).tolist()
    assert engine.normal(0.0, 1.0, size=(2, 3)).shape == (2, 3)
    assert engine.normal(0.0, 1.0, (4,), dtype=engine.float64).dtype == engine.float64
    assert engine.normal(engine.zeros(2, 1), engine.ones(3)).shape == (2, 3)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        engine.normal(mean, -std)
    with pytest.raises(TypeError, match="invalid combination of arguments - got "
                                        r"\(float, float\)"):
        engine.normal(1.0, 2.0)


def test_size_keyword_and_randint_forms():
    g = engine.Generator()
    assert engine.rand(size=(2, 3), generator=g).shape == (2, 3)
    assert engine.randn(size=[4]).shape == (4,)
    g.manual_seed(0)
    a = engine.randint(high=5, size=(6,), generator=g).tolist()
    g.manual_seed(0)
    assert engine.randint(5, (6,), generator=g).tolist() == a
    g.manual_seed(0)
    assert engine.randint(0, 5, size=(6,), generator=g).tolist() == a
    assert all(0 <= v < 5 for v in a)
    with pytest.raises(TypeError, match=r"rand\(\) received an invalid combination"):
        engine.rand(2, size=(2,))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for "
                                                  "'Long'"):
        engine.randn(2, dtype=engine.long)


def test_every_sampler_draws_from_the_generator_it_is_given():
    calls = [lambda g: engine.rand(4, generator=g), lambda g: engine.randn(4, generator=g),
             lambda g: engine.randint(0, 9, (4,), generator=g),
             lambda g: engine.randperm(6, generator=g),
             lambda g: engine.multinomial(engine.ones(5), 2, generator=g),
             lambda g: engine.empty(4).normal_(generator=g),
             lambda g: engine.empty(4).uniform_(generator=g),
             lambda g: engine.bernoulli(engine.full((4,), 0.5), generator=g),
             lambda g: engine.empty(4).exponential_(generator=g),
             lambda g: engine.empty(4).random_(0, 9, generator=g),
             lambda g: engine.normal(engine.zeros(4), 1.0, generator=g),
             lambda g: engine.randn_like(engine.zeros(4), generator=g),
             lambda g: engine.randint_like(engine.zeros(4), 9, generator=g)]
    for call in calls:
        engine.manual_seed(123)
        before = engine.get_rng_state()
        first = call(engine.Generator().manual_seed(42)).tolist()
        assert call(engine.Generator().manual_seed(42)).tolist() == first
        assert engine.equal(engine.get_rng_state(), before)  # the global stream is untouched


def test_generator_state_is_pytorchs_byte_layout():
    g = engine.Generator().manual_seed(5)
    state = g.get_state()
    assert state.dtype == engine.uint8 and state.shape == (5056,)
    raw = state.numpy().tobytes()
    assert int.from_bytes(raw[:8], "little") == 5  # the initial seed comes first
    assert int.from_bytes(raw[24:28], "little") == 5  # then init_genrand's first word
    engine.randn(3, generator=g)  # leaves a cached Box-Muller value in the state
    saved = g.get_state()
    after = engine.randn(6, generator=g).tolist()
    g.set_state(saved)
    assert engine.randn(6, generator=g).tolist() == after
    assert g.initial_seed() == 5
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but "
                                           "found the input RNG state size to be 3"):
        g.set_state(engine.zeros(3, dtype=engine.uint8))
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        g.set_state([1])
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)
    assert engine.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    assert repr(engine.Generator()).startswith("<torch._C.Generator object at 0x")


# ---- against PyTorch ---------------------------------------------------------------------------
CASES = [
    lambda m, g: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 1, generator=g),
    lambda m, g: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 20, True, generator=g),
    lambda m, g: m.multinomial(m.tensor([0.2, 0.3, 0.5]), 3, generator=g),
    lambda m, g: m.multinomial(m.rand(5, 27, generator=g), 1, generator=g),
    lambda m, g: m.multinomial(m.rand(5, 27, generator=g), 10, True, generator=g),
    lambda m, g: m.multinomial(m.rand(5, 27, generator=g, dtype=m.float64), 10, True,
                               generator=g),
    lambda m, g: m.multinomial(m.rand(5, 27, generator=g, dtype=m.float64), 10, generator=g),
    lambda m, g: m.multinomial(m.rand(5, 27, generator=g, dtype=m.float16), 10, True,
                               generator=g),
    lambda m, g: m.rand(300, generator=g).multinomial(100, generator=g),
    lambda m, g: m.tensor([0.0, 1.0, 0, 2]).multinomial(50, True, generator=g),
    lambda m, g: m.normal(m.tensor([0.0, 1, 2]), m.tensor([1.0, 2, 3]), generator=g),
    lambda m, g: m.normal(m.zeros(40), m.ones(40) * 3, generator=g),
    lambda m, g: m.normal(m.zeros(4) + 1.7, 3.3, generator=g),
    lambda m, g: m.normal(m.zeros(40) + 1.7, 3.3, generator=g),
    lambda m, g: m.normal(1.7, m.ones(40) * 3.3, generator=g),
    lambda m, g: m.normal(m.zeros(2, 1) + 0.3, m.ones(3, dtype=m.float64) * 1.1, generator=g),
    lambda m, g: m.normal(1.5, 2.5, size=(50,), generator=g, dtype=m.float64),
    lambda m, g: m.bernoulli(m.rand(30, generator=g), generator=g),
    lambda m, g: m.bernoulli(m.rand(30, generator=g, dtype=m.float64), generator=g),
    lambda m, g: m.bernoulli(m.rand(30, generator=g), 0.3, generator=g),
    lambda m, g: m.zeros(30, dtype=m.int64).bernoulli_(m.rand(30, generator=g), generator=g),
    lambda m, g: m.zeros(30).exponential_(2.5, generator=g),
    lambda m, g: m.zeros(30, dtype=m.float64).exponential_(generator=g),
    lambda m, g: m.zeros(30).random_(3, 10, generator=g),
    lambda m, g: m.zeros(30).random_(generator=g),
    lambda m, g: m.zeros(30, dtype=m.int64).random_(generator=g),
    lambda m, g: m.zeros(30, dtype=m.uint8).random_(generator=g),
    lambda m, g: m.randint(high=5, size=(20,), generator=g),
    lambda m, g: m.randint_like(m.zeros(20), 2, 9, generator=g),
    lambda m, g: m.randn(size=(3, 4), generator=g),
    lambda m, g: m.randn_like(m.zeros(3, 40), generator=g),
    lambda m, g: m.randn(3000, dtype=m.float64, generator=g),  # the C library's log
    lambda m, g: m.randperm(10, generator=g),
    lambda m, g: m.zeros(3, 4).uniform_(-1, 1, generator=g),
    lambda m, g: m.Generator().manual_seed(3).get_state(),
    lambda m, g: (m.randn(3, generator=g), g.get_state())[1],
    lambda m, g: m.multinomial(m.tensor([1, 2]), 1),
    lambda m, g: m.multinomial(m.tensor([float("nan"), 2]), 2, True),
    lambda m, g: m.normal(m.zeros(3), -1.0),
    lambda m, g: m.normal(m.tensor([1, 2]), 1.0),
    lambda m, g: m.normal(m.zeros(3), m.ones(2)),
    lambda m, g: m.normal(1.0, 2.0),
    lambda m, g: m.bernoulli(m.tensor([0.5, 1.5])),
    lambda m, g: m.bernoulli(m.tensor([1, 0])),
    lambda m, g: m.zeros(2, dtype=m.long).exponential_(),
    lambda m, g: m.rand(2, size=(2,)),
    lambda m, g: m.randint(5),
    lambda m, g: m.zeros(2).uniform_(2, 1),
]


def _outcome(lib, case, seed):
    try:
        return case(lib, lib.Generator().manual_seed(seed)).numpy()
    except Exception as exc:  # noqa: BLE001 -- the error itself is compared
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 2147483647])
def test_samplers_match_pytorch(seed):
    torch = pytest.importorskip("torch")
    for i, case in enumerate(CASES):
        ours, theirs = _outcome(engine, case, seed), _outcome(torch, case, seed)
        if isinstance(theirs, str):
            assert ours == theirs, i
        else:
            assert not isinstance(ours, str), (i, ours)
            assert ours.dtype == theirs.dtype, i
            np.testing.assert_array_equal(ours, theirs, err_msg=str(i))
