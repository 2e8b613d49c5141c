"""DataLoader: mini-batches of a map-style dataset (torch.utils.data.DataLoader).

Stochastic gradient descent (the book's chapter 1) walks the training set in
random mini-batches each epoch: ``DataLoader(ds, batch_size=10, shuffle=True)``.
For a dataset with ``get_batch`` (TensorDataset, MNIST, their Subsets) one
mini-batch is a slice of the epoch's order used as a fancy index: no
per-sample Python work.
"""
import numpy as np

from ..tensor.dtypes import to_array
from ..tensor.random import generator as _library_generator
from ..tensor.tensor import Tensor
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _check_generator


def default_collate(samples):
    """Stack a list of samples into one batch: a sample that is a tuple or list
    gives a tuple of stacked fields, a dict a dict. Numbers follow
    torch.tensor's dtype rules (Python ints become int64, floats float32);
    arrays and Tensors keep their dtype. Returns numpy arrays (the DataLoader
    wraps them as Tensors)."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    arrays = [s.data if isinstance(s, Tensor) else s for s in samples]
    if isinstance(arrays[0], np.ndarray):
        try:
            return np.stack(arrays)
        except ValueError as e:
            raise ValueError(f"default_collate: cannot stack samples of shapes "
                             f"{sorted({a.shape for a in arrays})}: {e}") from None
    return to_array(arrays)


def get_worker_info():
    """None: the DataLoader never starts worker processes (see DataLoader)."""
    return None


def _as_tensors(fields):
    """Arrays to Tensors, through tuples and dicts (what a batch holds)."""
    if isinstance(fields, np.ndarray):
        return Tensor._make(fields, None)
    if isinstance(fields, tuple):
        return tuple([_as_tensors(f) for f in fields])
    if isinstance(fields, dict):
        return {k: _as_tensors(v) for k, v in fields.items()}
    return fields


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"DataLoader: {what} must be a positive integer, got {value!r}")
    return int(value)


class DataLoader:
    """Iterate over ``dataset`` in mini-batches, with torch.utils.data.DataLoader's
    arguments and defaults.

    - ``batch_size`` (1), ``shuffle`` (False, as in PyTorch: pass
      ``shuffle=True`` for SGD's random mini-batches, a fresh permutation each
      epoch), ``drop_last`` (drop a final short batch).
    - ``sampler`` (the order of indices; excludes ``shuffle``) or
      ``batch_sampler`` (lists of indices; excludes batch_size, shuffle,
      sampler and drop_last). ``batch_size=None`` turns batching off: each
      item is one sample, its arrays as Tensors.
    - ``collate_fn(samples)`` builds a batch from a list of samples; the
      default stacks them into a tuple of Tensors (one per field).
    - ``generator``: a ``tinygrad_nndl.Generator`` (or a
      ``numpy.random.Generator``) for shuffling, drawn from when each epoch
      starts, so restoring its state replays an epoch's order. Without it
      (and without ``seed``, this library's extra) the loader seeds its own
      generator from the library's at construction, so ``manual_seed`` makes
      a run reproducible.
    - ``num_workers``: accepted, but the samples are always loaded in the main
      process (numpy fancy indexing is the loader's work; there are no worker
      processes). With ``num_workers > 0`` a ``worker_init_fn`` is called as
      ``worker_init_fn(0)`` at the start of each epoch, as for a lone worker.
      ``timeout``, ``prefetch_factor``, ``persistent_workers``, ``pin_memory``,
      ``pin_memory_device``, ``multiprocessing_context`` and ``in_order`` are
      checked as PyTorch checks them and otherwise have no effect.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must have __len__ and __getitem__ "
                            f"(a map-style dataset), got {type(dataset).__name__}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"DataLoader: seed must be an int or None, got {seed!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got "
                             f"{num_workers!r}; use num_workers=0 to load in the main process")
        if not timeout >= 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout!r}")
        if num_workers == 0 and persistent_workers:
            raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor can only be given with "
                             "num_workers > 0; leave it None otherwise")
        for name, fn in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be callable, got {type(fn).__name__}")
        _check_generator(generator, "DataLoader")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give a seed or a generator, not both")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle (the "
                             "sampler decides the order)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler is mutually exclusive with "
                                 "batch_size, shuffle, sampler and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None turns batching off and is "
                                 "mutually exclusive with drop_last")
        else:
            batch_size = _positive_int(batch_size, "batch_size")
        if sampler is None:
            if shuffle:
                if generator is None:
                    generator = np.random.default_rng(
                        seed if seed is not None else int(_library_generator().integers(2 ** 63)))
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context, self.generator = multiprocessing_context, generator
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.in_order, self.seed = in_order, seed
        # A custom collate_fn sees the samples themselves, so it rules out batching by index.
        self._batched = collate_fn is None and hasattr(dataset, "get_batch")

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __len__(self):
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if self.num_workers and self.worker_init_fn is not None:
            self.worker_init_fn(0)
        if not self._auto_collation:
            # Batching off: collate_fn (default: arrays to Tensors) sees one sample.
            for i in self.sampler:
                sample = self.dataset[i]
                yield (self.collate_fn(sample) if self.collate_fn is not None
                       else _as_tensors(_numpy_fields(sample)))
            return
        bs = self.batch_sampler
        if self._batched and type(bs) is BatchSampler:
            # the hot path of SGD (a step on a batch of 10 costs ~90 us): one
            # take per field per batch, nothing else
            get, make = self.dataset.get_batch, Tensor._make
            for indices in bs._arrays():
                fields = get(indices)   # get_batch gives arrays
                yield (tuple([make(f, None) for f in fields]) if type(fields) is tuple
                       else _as_tensors(fields))
            return
        batches = bs._arrays() if isinstance(bs, BatchSampler) else bs
        for indices in batches:
            yield self._fetch(indices)

    def _fetch(self, indices):
        if self._batched:
            return _as_tensors(self.dataset.get_batch(np.asarray(indices)))
        samples = [self.dataset[int(i)] for i in indices]
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        return _as_tensors(default_collate(samples))

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, sampler={type(self.sampler).__name__})")


def _numpy_fields(sample):
    """One sample with its Tensors as arrays (batching off): tuples stay tuples."""
    if isinstance(sample, Tensor):
        return sample.data
    if isinstance(sample, (tuple, list)):
        return tuple(_numpy_fields(s) for s in sample)
    if isinstance(sample, dict):
        return {k: _numpy_fields(v) for k, v in sample.items()}
    return sample


