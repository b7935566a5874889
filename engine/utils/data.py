"""``torch.utils.data``: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._dtype import float64 as _float64
from ..functions import stack, tensor
from ..random import Generator, _rng
from ..tensor import Tensor


class Dataset:
    """Map-style dataset: ``__getitem__(i)`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset):
    """Sample i is ``tuple(t[i] for t in tensors)``; all tensors share their first dimension."""

    def __init__(self, *tensors: Tensor):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions)."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _rng(generator).permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + length]))
        start += length
    return out


def default_collate(batch):
    """Stack a list of samples: tensors along a new first dim, numbers into a tensor, tuples and
    dicts element-wise."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch, 0)
    if isinstance(first, np.ndarray):
        return tensor(np.stack(batch))
    if isinstance(first, float):  # Python floats collate to float64, as in PyTorch
        return tensor(batch, dtype=_float64)
    if isinstance(first, int | np.number):
        return tensor(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple keeps its type
        return type(first)(*(default_collate(list(s)) for s in zip(*batch, strict=False)))
    if isinstance(first, tuple | list):
        return [default_collate(list(s)) for s in zip(*batch, strict=False)]
    return batch


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size``, optionally shuffled each epoch with
    ``generator`` (or the global RNG). A ``TensorDataset`` is batched by fancy indexing, one
    gather per tensor, instead of stacking samples one by one."""

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, generator=None, **kwargs):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers

    def _order(self):
        n = len(self.dataset)
        if self.sampler is not None:
            return list(self.sampler)
        if self.shuffle:
            # as torch's RandomSampler: without a generator, a fresh one seeded from the global
            # stream; the second randperm is the one it draws for num_samples % n (here 0)
            gen = self.generator
            if gen is None:
                gen = Generator().manual_seed(_rng().random_int64())
            order = gen.permutation(n).tolist()
            gen.permutation(n)
            return order
        return list(range(n))

    def __iter__(self):
        # torch's loader iterator draws a 64-bit base seed (for workers) on every pass, shuffled
        # or not, from the loader's generator or the global one: drawn here too, so the random
        # numbers a training loop takes after an epoch stay PyTorch's
        _rng(self.generator).random_int64()
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[i]
            return
        bs = self.batch_size
        stop = len(order) - (len(order) % bs if self.drop_last else 0)
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for start in range(0, stop, bs):
            idx = order[start:start + bs]
            if fast:
                rows = np.asarray(idx, dtype=np.int64)
                yield [t[rows] for t in self.dataset.tensors]
            else:
                samples = [self.dataset[i] for i in idx]
                yield (self.collate_fn or default_collate)(samples)

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
