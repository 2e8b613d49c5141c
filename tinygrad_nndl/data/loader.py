"""DataLoader: mini-batches of a map-style dataset (torch.utils.data.DataLoader).

Stochastic gradient descent (the book's chapter 1) walks the training set in
random mini-batches each epoch; this is that walk. For a dataset with
``get_batch`` (TensorDataset, MNIST, their Subsets) one mini-batch is a slice
of a permutation used as a fancy index: no per-sample Python work.
"""
import numpy as np

from ..tensor.dtypes import to_array
from ..tensor.random import generator as library_generator
from ..tensor.rng_state import numpy_generator
from ..tensor.tensor import Tensor


def default_collate(samples):
    """Stack a list of samples into one batch: a sample that is a tuple gives a
    tuple of stacked fields. Numbers follow torch.tensor's dtype rules (Python
    ints become int64, floats float32); arrays and Tensors keep their dtype."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    arrays = [s.data if isinstance(s, Tensor) else s for s in samples]
    if isinstance(arrays[0], np.ndarray):
        try:
            return np.stack(arrays)
        except ValueError as e:
            raise ValueError(f"default_collate: cannot stack samples of shapes "
                             f"{sorted({a.shape for a in arrays})}: {e}") from None
    return to_array(arrays)


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"DataLoader: {what} must be a positive integer, got {value!r}")
    return int(value)


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size``.

    Each batch is a tuple of Tensors (one per field of the samples, e.g.
    images float32 and labels int64 for MNIST). ``shuffle`` defaults to True,
    unlike PyTorch: the book's SGD draws random mini-batches (a fresh
    permutation each epoch); pass ``shuffle=False`` to evaluate in order. ``drop_last`` drops a final incomplete
    batch. The permutations come from a generator owned by this loader,
    seeded with ``seed``, or (seed None) from the library's generator at
    construction, so ``manual_seed`` makes a run reproducible. With
    ``generator`` (a ``tinygrad_nndl.Generator``, keyword only, as in PyTorch)
    each epoch's permutation is drawn from it when the epoch starts, so saving
    ``generator.get_state()`` before an epoch and restoring it replays that
    epoch's order exactly (a resumed run shuffles as the uninterrupted one).
    """

    def __init__(self, dataset, batch_size=1, shuffle=True, drop_last=False, seed=None,
                 collate_fn=None, *, generator=None):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must have __len__ and __getitem__, "
                            f"got {type(dataset).__name__}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"DataLoader: seed must be an int or None, got {seed!r}")
        if generator is not None:
            if seed is not None:
                raise ValueError("DataLoader: give a seed or a generator, not both")
            numpy_generator(generator, "DataLoader")
        self.generator = generator
        self.dataset = dataset
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.collate_fn = collate_fn
        if generator is not None:
            self._rng = None   # drawn from at each epoch's start, see __iter__
        else:
            seed = seed if seed is not None else int(library_generator().integers(2 ** 63))
            self._rng = np.random.default_rng(seed)
        # A custom collate_fn sees the samples themselves, so it rules out batching by index.
        self._batched = collate_fn is None and hasattr(dataset, "get_batch")

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        rng = self._rng if self.generator is None else numpy_generator(self.generator,
                                                                      "DataLoader")
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size
        for start in range(0, stop, self.batch_size):
            yield self._fetch(order[start:start + self.batch_size])

    def _fetch(self, indices):
        if self._batched:
            fields = self.dataset.get_batch(indices)
        else:
            samples = [self.dataset[int(i)] for i in indices]
            fields = (self.collate_fn or default_collate)(samples)
            if self.collate_fn is not None:
                return fields
        if isinstance(fields, tuple):
            return tuple([Tensor._make(f, None) for f in fields])
        return Tensor._make(fields, None)

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed})")
