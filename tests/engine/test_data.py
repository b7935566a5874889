"""engine.utils.data: TensorDataset, DataLoader (batching, drop_last, seeded shuffling,
collation), random_split."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.utils.data import DataLoader, Dataset, TensorDataset, random_split


def make_ds(n=10):
    return TensorDataset(engine.arange(float(n)).reshape(n, 1), engine.arange(n))


def test_tensor_dataset_items_and_length():
    ds = make_ds()
    x, y = ds[3]
    assert len(ds) == 10 and x.tolist() == [3.0] and y.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(engine.zeros(3), engine.zeros(4))


def test_loader_batches_in_order_with_last_partial_batch():
    batches = list(DataLoader(make_ds(), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == engine.Size([4, 1])
    assert len(DataLoader(make_ds(), batch_size=4)) == 3
    dropped = DataLoader(make_ds(), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(b[1]) for b in dropped] == [4, 4]


def test_shuffle_is_a_permutation_reproducible_with_a_seeded_generator():
    def epoch(seed):
        g = engine.Generator().manual_seed(seed)
        loader = DataLoader(make_ds(), batch_size=3, shuffle=True, generator=g)
        return [i for _, y in loader for i in y.tolist()]

    a, b, c = epoch(0), epoch(0), epoch(1)
    assert sorted(a) == list(range(10)) and a == b and a != c and a != list(range(10))


def test_shuffle_draws_a_new_order_each_epoch():
    g = engine.Generator().manual_seed(5)
    loader = DataLoader(make_ds(), batch_size=10, shuffle=True, generator=g)
    first, second = (next(iter(loader))[1].tolist() for _ in range(2))
    assert first != second and sorted(first) == sorted(second)


def test_samples_stay_paired_after_shuffling():
    loader = DataLoader(make_ds(), batch_size=4, shuffle=True)
    for x, y in loader:
        assert x.squeeze(1).tolist() == [float(v) for v in y.tolist()]


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": engine.tensor([float(i)]), "y": i * i, "w": float(i)}


def test_default_collate_stacks_tensors_and_numbers_like_pytorch():
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert batch["x"].shape == engine.Size([3, 1])
    assert batch["y"].tolist() == [0, 1, 4] and batch["y"].dtype == engine.int64
    assert batch["w"].dtype == engine.float64  # Python floats collate to double, as PyTorch
    pairs = next(iter(DataLoader([(1.0, 2), (3.0, 4)], batch_size=2)))
    assert isinstance(pairs, list) and pairs[1].tolist() == [2, 4]


def test_custom_collate_and_no_batching():
    loader = DataLoader(make_ds(4), batch_size=2, collate_fn=lambda items: len(items))
    assert list(loader) == [2, 2]
    singles = list(DataLoader(make_ds(3), batch_size=None))
    assert [y.item() for _, y in singles] == [0, 1, 2]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(make_ds(), batch_size=0)


def test_random_split_partitions_the_dataset():
    g = engine.Generator().manual_seed(0)
    a, b = random_split(make_ds(), [7, 3], generator=g)
    ids = [a[i][1].item() for i in range(len(a))] + [b[i][1].item() for i in range(len(b))]
    assert len(a) == 7 and len(b) == 3 and sorted(ids) == list(range(10))
    c, d = random_split(make_ds(), [0.5, 0.5])
    assert len(c) == len(d) == 5
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(make_ds(), [4, 4])


@pytest.mark.torch
def test_unshuffled_batches_match_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    got = []
    for lib in (torch, engine):
        ds = lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(np.arange(7)))
        loader = lib.utils.data.DataLoader(ds, batch_size=3)
        got.append([(type(b).__name__, [t.tolist() for t in b]) for b in loader] + [len(loader)])
    assert got[0] == got[1]
