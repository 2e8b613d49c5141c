"""Order statistics: the median, the k-th smallest entry, the most frequent
one and the quantiles' neighbours, found along an axis of a numpy array,
with the entry picked among ties where PyTorch's CPU kernels pick it (the
gradient goes to that entry); and ``Median``, the median of all entries as
one op, whose gradient is shared among the entries equal to it.

NaN counts as larger than every number, as in PyTorch's sorts."""
import numpy as np

from .reduce import Amax


def _nan_mask(a):
    return np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, dtype=bool)


def lower_median(a, axis=None, keepdims=False, ignore_nan=False):
    """The lower median of all of ``a`` (the ((n - 1) // 2)-th smallest, NaN
    when an entry is NaN or there is none; with ``ignore_nan`` of the other
    entries, NaN when all are): Median's forward. ``axis`` and ``keepdims`` are Amax's
    arguments; the median is always of every entry."""
    flat = a.reshape(-1)
    nan = _nan_mask(flat)
    count = flat.size - int(nan.sum()) if ignore_nan else flat.size
    if nan.any() and (not ignore_nan or not count):
        value = flat[np.argmax(nan)]
    elif not count:   # PyTorch's NaN, or for integers that NaN cast (the lowest value)
        value = np.nan if a.dtype.kind == "f" else np.iinfo(a.dtype).min
    else:
        value = np.partition(flat[~nan] if ignore_nan else flat, (count - 1) // 2)[
            (count - 1) // 2]
    return np.full((1,) * a.ndim if keepdims else (), value, dtype=a.dtype)


class Median(Amax):
    """The lower median of every entry (torch.median() without a dim):
    PyTorch's gradient is g shared evenly among the entries equal to it
    (among the NaNs when it is NaN), Amax's rule."""

    nan_hits = True
    reduce = staticmethod(lower_median)


def _lower_nanmedian(a, axis=None, keepdims=False):
    return lower_median(a, axis, keepdims, ignore_nan=True)


class NanMedian(Median):
    """The lower median of the entries that are not NaN (torch.nanmedian())."""

    reduce = staticmethod(_lower_nanmedian)


def median_index(a, axis, ignore_nan=False):
    """Where each slice's lower median lies (keepdims, int64): the entry of
    rank (n - 1) // 2 in the stable order, PyTorch's index among ties
    (its nth_element breaks ties by position). A slice with NaN gives its
    first NaN; with ``ignore_nan`` the rank counts the other entries only
    (an all-NaN slice gives its first entry)."""
    order = np.argsort(a, axis=axis, kind="stable")   # NaN last, as PyTorch orders them
    nan = _nan_mask(a)
    n = a.shape[axis]
    if ignore_nan:
        rank = np.maximum(n - nan.sum(axis=axis, keepdims=True) - 1, 0) // 2
        return np.take_along_axis(order, rank, axis).astype(np.int64)
    picked = np.take_along_axis(order, np.full(order.shape[:axis] + (1,) + order.shape[axis + 1:],
                                               (n - 1) // 2), axis)
    has_nan = nan.any(axis=axis, keepdims=True)
    first_nan = np.argmax(nan, axis=axis, keepdims=True)
    return np.where(has_nan, first_nan, picked).astype(np.int64)


def _greater(x, y):
    """x > y, NaN above every number: PyTorch's comparison in its selection."""
    return (x != x and y == y) or x > y


def _quickselect(values, k):
    """The position that PyTorch's kthvalue reports for the k-th smallest
    (0-based) of ``values``: its quickselect (Sedgewick's, median of three
    pivots) run step by step, for the ties it leaves in some order."""
    arr, where = list(values), list(range(len(values)))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        where[i], where[j] = where[j], where[i]

    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if _greater(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap((lo + hi) // 2, lo + 1)
        if _greater(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _greater(arr[lo], arr[hi]):
            swap(lo, hi)
        if _greater(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _greater(pivot, arr[i]):
                i += 1
            j -= 1
            while _greater(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return where[k]


def _same(a, b):
    """a == b elementwise, NaN equal to NaN."""
    return (a == b) | (_nan_mask(a) & _nan_mask(b))


def kth_index(a, k, axis):
    """Where each slice's k-th smallest entry (0-based ``k``) lies, keepdims
    int64. Unique values need no search; a slice whose k-th value is tied
    takes the position PyTorch's quickselect leaves there (not the first)."""
    rows = np.moveaxis(a, axis, -1)
    shape = rows.shape
    rows = rows.reshape(-1, shape[-1])
    order = np.argsort(rows, axis=-1, kind="stable")
    picked = order[:, k]
    value = rows[np.arange(len(rows)), picked]
    tied = _same(rows, value[:, None]).sum(axis=-1) > 1
    for r in np.flatnonzero(tied):   # a Python loop only where ties leave the choice open
        picked[r] = _quickselect(rows[r].tolist(), k)
    return np.moveaxis(picked.reshape(shape[:-1] + (1,)), -1, axis).astype(np.int64)


def mode_index(a, axis):
    """Where each slice's mode lies (keepdims, int64): of the values that
    occur most often the smallest, at its last occurrence. PyTorch sorts
    the slice with std::sort, stable up to 16 entries, and reports the last
    of the run; longer slices may name another occurrence there. Each NaN
    counts as a value of its own, sorted last."""
    rows = np.moveaxis(a, axis, -1)
    shape = rows.shape
    rows = rows.reshape(-1, shape[-1])
    order = np.argsort(rows, axis=-1, kind="stable")
    ranked = np.take_along_axis(rows, order, axis=-1)
    n = shape[-1]
    positions = np.arange(n)
    starts = np.ones(ranked.shape, dtype=bool)
    starts[:, 1:] = ~_same(ranked[:, 1:], ranked[:, :-1])
    ends = np.ones(ranked.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    run_start = np.maximum.accumulate(np.where(starts, positions, 0), axis=-1)
    runs = np.where(ends, positions - run_start + 1, 0)
    picked = order[np.arange(len(rows)), np.argmax(runs, axis=-1)]
    return np.moveaxis(picked.reshape(shape[:-1] + (1,)), -1, axis).astype(np.int64)


INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile_points(ranked, q, interpolation, ignore_nan):
    """(below, above, weight) for quantiles ``q`` (1-D) of the sorted slices
    along the last axis of ``ranked``: the positions to interpolate between
    and the weight of the upper one, each of shape (len(q), ..., 1), as
    PyTorch computes them (ranks q (n - 1) in the input's dtype; NaN-free
    counts with ``ignore_nan``, else the last position for a slice with
    NaN; 'nearest' rounds half to even)."""
    dtype = ranked.dtype
    nan = np.isnan(ranked)
    q = q.reshape((-1,) + (1,) * ranked.ndim)
    if ignore_nan:
        last = (ranked.shape[-1] - nan.sum(axis=-1, keepdims=True) - 1).astype(dtype)
        ranks = np.maximum(q * last, 0)
    else:
        last = ranked.shape[-1] - 1
        ranks = np.where(nan.any(axis=-1, keepdims=True), dtype.type(last),
                         q * dtype.type(last))
    ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}.get(
        interpolation, np.asarray)(ranks)
    below = ranks.astype(np.int64)
    weight = np.full(ranks.shape, 0.5, dtype) if interpolation == "midpoint" else \
        (ranks - below).astype(dtype)
    return below, np.ceil(ranks).astype(np.int64), weight
