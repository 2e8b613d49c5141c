"""Map-style datasets (torch.utils.data names): Dataset, TensorDataset, Subset,
random_split.

A dataset is anything with ``__len__`` and ``__getitem__(i)``. A dataset whose
samples live in numpy arrays also defines ``get_batch(indices)``: given an
integer index array it returns one array per field, taken by fancy indexing.
``DataLoader`` uses it to build a whole mini-batch in a few numpy calls instead
of a Python loop over samples.
"""
import math

import numpy as np

from ..tensor.dtypes import to_array
from ..tensor.random import generator as _library_generator
from ..tensor.tensor import Tensor


class Dataset:
    """Base class of map-style datasets: override ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __len__")


def _as_array(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return x
    return to_array(x)   # lists and scalars: torch.tensor's dtype rules


def _check_index(index, n, what):
    """Reject an index array out of [-n, n), naming the dataset (numpy's error does not)."""
    index = np.asarray(index)
    if index.size and (index.min() < -n or index.max() >= n):
        bad = index[(index < -n) | (index >= n)][0]
        raise IndexError(f"{what}: index {int(bad)} is out of range for a dataset of "
                         f"{n} samples")


def take_rows(arrays, indices, what):
    """``tuple(a[indices] for a in arrays)``; the range is checked only when
    numpy refuses, so the hot path of DataLoader pays nothing for it."""
    try:
        if type(indices) is np.ndarray and indices.dtype.kind in "iu":
            return tuple([a.take(indices, axis=0) for a in arrays])   # 1.5x faster than a[i]
        return tuple([a[indices] for a in arrays])
    except IndexError:
        _check_index(indices, len(arrays[0]), what)
        raise


class TensorDataset(Dataset):
    """Samples are rows of arrays or Tensors of equal first dimension
    (torch.utils.data.TensorDataset). Item i is ``tuple(t[i] for t in arrays)``
    as Tensors; the arrays are kept as given (no copy, dtypes unchanged)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one array")
        arrays = tuple(_as_array(t) for t in tensors)
        sizes = [a.shape[0] if a.ndim else None for a in arrays]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"TensorDataset: all arrays must have the same first dimension "
                             f"(number of samples), got shapes {shapes}")
        self.tensors = arrays

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor._make(np.asarray(a[index]), None) for a in self.tensors)

    def get_batch(self, indices):
        return take_rows(self.tensors, indices, "TensorDataset")


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (torch's Subset)."""

    def __init__(self, dataset, indices):
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        _check_index(indices, len(dataset), "Subset")
        self.dataset = dataset
        self.indices = indices

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[int(i)] for i in self.indices[index]]
        return self.dataset[int(self.indices[index])]

    def __getattr__(self, name):
        # Batched access only when the wrapped dataset has it, so that
        # DataLoader's fast path is taken exactly when it can be.
        if name == "get_batch" and hasattr(self.dataset, "get_batch"):
            return self._get_batch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _get_batch(self, indices):
        return self.dataset.get_batch(take_rows((self.indices,), indices, "Subset")[0])


class ConcatDataset(Dataset):
    """The samples of several datasets one after another (torch's ConcatDataset)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for a dataset of "
                             f"{n} samples")
        index %= n
        k = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


def random_split(dataset, lengths, generator=None, *, seed=None):
    """Split ``dataset`` into non-overlapping random Subsets (torch.utils.data.random_split).

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1
    (the remainder of the rounding is dealt one by one, as PyTorch does). The
    permutation comes from ``generator`` (a ``numpy.random.Generator``), from
    ``np.random.default_rng(seed)``, or from the library's generator
    (``manual_seed``) when both are None.
    """
    if generator is not None and not isinstance(generator, np.random.Generator):
        if seed is None and isinstance(generator, (int, np.integer)) \
                and not isinstance(generator, bool):
            generator, seed = None, generator   # random_split(ds, lengths, 0): a seed
        else:
            raise TypeError(f"random_split: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1):
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(int(x) != x or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} must be non-negative integers "
                         f"summing to the dataset's length {n}, or fractions summing to 1")
    rng = (generator if generator is not None
           else np.random.default_rng(seed) if seed is not None else _library_generator())
    perm = rng.permutation(n)
    bounds = np.cumsum([0] + [int(x) for x in lengths])
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
