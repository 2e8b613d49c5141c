"""Counting entries, with no gradient: the distinct values (or slices) of
an array with where each entry went and how often each occurs, runs of
equal neighbours, and histograms, as PyTorch's unique, unique_consecutive
and histc compute them on numpy arrays."""
import numpy as np

from ..tensor.errors import OpError


def _slices(a, axis):
    """a as rows, one per slice along ``axis`` (None: one per entry)."""
    if axis is None:
        return a.reshape(-1, 1)
    return np.moveaxis(a, axis, 0).reshape(a.shape[axis], a.size // max(a.shape[axis], 1))


def _checked_slices(name, a, axis):
    """_slices, refusing empty slices of a dim that is not: PyTorch cannot
    tell them apart."""
    rows = _slices(a, axis)
    if axis is not None and not rows.size and rows.shape[0]:
        raise OpError(f"{name}: there are 0 sized dimensions, and they aren't selected, so "
                      f"unique cannot be applied (shape {a.shape}, dim {axis})")
    return rows


def _different(rows):
    """Whether each row differs from the one before it (NaN from everything,
    NaN included, as PyTorch compares): the first row counts as different."""
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    return new


def _result(a, axis, rows, keep, inverse, counts):
    """(values, inverse, counts): the rows at ``keep`` shaped back as
    slices of ``a``; ``inverse`` maps each row to its group."""
    values = rows[keep]
    if axis is None:
        values = values.reshape(-1)
        inverse = inverse.reshape(a.shape)
    else:
        values = np.moveaxis(values.reshape((len(values),) + tuple(np.delete(a.shape, axis))),
                             0, axis)
    return values, inverse.astype(np.int64), counts.astype(np.int64)


def unique(a, axis=None):
    """The sorted distinct entries (or slices along ``axis``, compared
    lexicographically) of ``a``, where each went (of a's shape without
    axis, else of its length) and how often each occurs. NaNs are each
    distinct, as in PyTorch (numpy would merge them)."""
    rows = _checked_slices("unique", a, axis)
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(len(rows))
    ranked = rows[order]
    new = _different(ranked)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = group
    counts = np.bincount(group, minlength=int(new.sum())) if len(rows) else \
        np.zeros(0, np.int64)
    return _result(a, axis, ranked, new, inverse, counts)


def unique_consecutive(a, axis=None):
    """unique of each run of equal neighbours (entries, or slices along
    ``axis``): the runs' values in order, the run of each entry, and the
    runs' lengths."""
    rows = _checked_slices("unique_consecutive", a, axis)
    new = _different(rows) if len(rows) else np.zeros(0, dtype=bool)
    inverse = np.cumsum(new) - 1
    counts = np.diff(np.append(np.flatnonzero(new), len(rows)))
    return _result(a, axis, rows, new, inverse, counts)


def histogram(a, bins, low, high):
    """Counts of ``a``'s entries in ``bins`` equal bins over [low, high]
    (low == high: the data's range, widened by 1 each way when that is one
    point too), in a's float dtype, as torch.histc: computed in that dtype
    as PyTorch bins, the top edge in the last bin, entries outside and NaN
    left out."""
    if low == high and a.size:
        low, high = float(np.min(a)), float(np.max(a))
    if low == high:
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise OpError(f"histc: range of [{low}, {high}] is not finite")
    if low > high:
        raise OpError(f"histc: max must be larger than min, got min {low} and max {high}")
    dtype = a.dtype.type
    flat = a.reshape(-1)
    lo, hi = dtype(low), dtype(high)
    inside = flat[(flat >= lo) & (flat <= hi)]
    with np.errstate(all="ignore"):   # a range near the dtype's largest overflows, as PyTorch's
        where = ((inside - lo) * dtype(bins) / (hi - lo)).astype(np.int64)
    return np.bincount(np.clip(where, 0, bins - 1), minlength=bins).astype(a.dtype)
