"""multinomial's draws, on numpy: category indices from rows of
non-negative weights (normalized by their sum), checked as PyTorch checks
them.

With replacement each draw inverts the row's cumulative weights at a
uniform number. Without, the row's ``num_samples`` largest keys w / E, E
exponential, are taken (Efraimidis and Spirakis): the same law as drawing
one at a time and taking the drawn weight out, in one pass. Once the
positive weights are used up, zero-weight categories follow in index order
(PyTorch draws them too, in an order of its own). Rows are scaled by their
largest weight first: the law is the same, and weights near float64's
largest cannot overflow their sum.
"""
import numpy as np


_TINY = np.finfo(np.float64).tiny


def draw_categories(weights, num_samples, replacement, rng):
    """An int64 array of shape weights.shape[:-1] + (num_samples,): indices
    into the last axis of ``weights`` (1-D or 2-D), drawn from numpy
    Generator ``rng``."""
    _check(weights, num_samples, replacement)
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    if rows.size:
        rows /= rows.max(axis=1, keepdims=True)   # _check made every row's largest positive
    out = np.zeros((rows.shape[0], num_samples), dtype=np.int64)
    if rows.size:
        out[...] = _with_replacement(rows, num_samples, rng) if replacement else \
            _without_replacement(rows, num_samples, rng)
    return out.reshape(weights.shape[:-1] + (num_samples,))


def _check(weights, num_samples, replacement):
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got "
                           f"{weights.dtype}")
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape "
                           f"{weights.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, got "
                        f"{type(num_samples).__name__}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples "
                           f"(num_samples={num_samples})")
    n = weights.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({num_samples} > {n})")
    if not weights.size:
        if weights.ndim == 1 or weights.shape[0]:   # rows to fill, none to fill them from
            raise RuntimeError(f"multinomial: no categories to draw from (shape "
                               f"{weights.shape})")
        return
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    empty = weights.reshape(-1, n).max(axis=1) <= 0   # all zero: the sum is 0 (and the
    if empty.any():                                  # max cannot overflow, as a sum may)
        raise RuntimeError(f"multinomial: invalid multinomial distribution (sum of "
                           f"probabilities <= 0) in row {int(np.argmax(empty))}")


def _with_replacement(rows, k, rng):
    cumulative = np.cumsum(rows, axis=1)
    targets = rng.random((rows.shape[0], k)) * cumulative[:, -1:]
    # the first category whose running total passes the target: never one of
    # zero weight, whose total equals the one before it
    drawn = np.stack([np.searchsorted(c, t, side="right") for c, t in zip(cumulative, targets)])
    # a target rounded up to the row's total must still land on a positive weight
    last = rows.shape[1] - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)
    return np.minimum(drawn, last[:, None])


def _without_replacement(rows, k, rng):
    keys = rows / np.maximum(rng.standard_exponential(rows.shape), _TINY)
    # the stable order keeps ties (zero weights) in index order
    return np.argsort(-keys, axis=1, kind="stable")[:, :k]
