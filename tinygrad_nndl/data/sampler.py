"""Samplers (torch.utils.data names): the order in which a DataLoader visits
a dataset's indices, and how it groups them into mini-batches.

A sampler is any iterable of indices with ``__len__``. The built-in ones also
have ``_order()``, the indices of one epoch as a numpy array, so that the
DataLoader can cut mini-batches as slices of one array instead of building a
Python list per batch.

Random samplers draw from a numpy ``Generator``: the one passed as
``generator``, or else the library's generator (``manual_seed``), read at each
epoch as PyTorch reads its global generator.
"""
import numpy as np

from ..tensor.random import generator as _library_generator
from ..tensor.rng_state import numpy_generator
from ..tensor.tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _check_generator(gen, who):
    """The numpy Generator to draw from: the one behind a
    ``tinygrad_nndl.Generator``, a numpy Generator itself, or None."""
    return None if gen is None else numpy_generator(gen, who)


def _non_negative_int(value, what, who, positive=False):
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or value < (1 if positive else 0)):
        kind = "a positive" if positive else "a non-negative"
        raise ValueError(f"{who}: {what} must be {kind} integer, got {value!r}")
    return int(value)


class Sampler:
    """Base class: override ``__iter__`` (indices) and ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __iter__")

    def _order(self):
        return None


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _order(self):
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch, or ``num_samples`` indices drawn with
    ``replacement`` (torch.utils.data.RandomSampler)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if num_samples is not None:
            _non_negative_int(num_samples, "num_samples", "RandomSampler", positive=True)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _check_generator(generator, "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _rng(self):
        return self.generator if self.generator is not None else _library_generator()

    def _order(self):
        n, rng = len(self.data_source), self._rng()
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples)
        # Without replacement, more samples than the dataset holds take whole
        # permutations one after another, as PyTorch does.
        whole, rest = divmod(self.num_samples, n) if n else (0, 0)
        parts = [rng.permutation(n) for _ in range(whole)] + [rng.permutation(n)[:rest]]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def _order(self):
        rng = self.generator if self.generator is not None else _library_generator()
        return self.indices[rng.permutation(len(self.indices))]

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to
    ``weights`` (which need not sum to 1), with or without replacement."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _non_negative_int(num_samples, "num_samples", "WeightedRandomSampler", positive=True)
        if not isinstance(replacement, bool):
            raise TypeError(f"WeightedRandomSampler: replacement must be a bool, got "
                            f"{replacement!r}")
        w = np.asarray(weights.data if isinstance(weights, Tensor) else weights,
                       dtype=np.float64)
        if w.ndim != 1 or not len(w) or (w < 0).any() or not np.isfinite(w).all() \
                or w.sum() <= 0:
            raise ValueError(f"WeightedRandomSampler: weights must be a non-empty 1-D "
                             f"sequence of finite non-negative numbers with a positive sum, "
                             f"got shape {w.shape}")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples "
                             f"without replacement from {np.count_nonzero(w)} non-zero "
                             f"weights")
        self.weights, self.num_samples, self.replacement = w, int(num_samples), replacement
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def _order(self):
        rng = self.generator if self.generator is not None else _library_generator()
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                          p=self.weights / self.weights.sum())

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``; with
    ``drop_last`` a final short batch is dropped."""

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _non_negative_int(batch_size, "batch_size", "BatchSampler",
                                            positive=True)
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def _arrays(self):
        """The epoch's batches as index arrays: slices of one order when the
        sampler can give it at once."""
        order = self.sampler._order() if hasattr(self.sampler, "_order") else None
        if order is None:
            yield from (np.asarray(b, dtype=np.int64) for b in self)
            return
        size = self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
