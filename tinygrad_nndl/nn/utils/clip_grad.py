"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

The exploding gradients of chapter 5 (an RNN's product of Jacobians can grow
as well as vanish) are tamed by rescaling the gradient before the step. Both
functions change ``p.grad`` in place, outside the graph, as PyTorch does.
"""
import math

import numpy as np

from ...tensor.tensor import Tensor
from ...tensor.version import mark_modified


def _grads(parameters, who):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    out = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: parameters must be Tensors, item {i} is a "
                            f"{type(p).__name__}")
        if p.grad is not None:
            out.append(p)
    return out


def _writable_grad(p):
    """p.grad's array, to be changed in place: a gradient recorded with
    create_graph (or one that numpy will not let us write) is replaced by a
    detached copy first."""
    g = p.grad
    if g.grad_fn is not None or not g.data.flags.writeable:
        p.grad = g = Tensor._make(g.data.copy(), None)
    return g.data


def _norm(a, norm_type):
    """The norm_type-norm of an array, in its dtype."""
    a = a.reshape(-1)
    if norm_type == math.inf:
        return np.abs(a).max(initial=0).astype(a.dtype)
    if norm_type == -math.inf:
        return np.abs(a).min(initial=np.inf).astype(a.dtype)
    if norm_type == 0:
        return np.asarray(np.count_nonzero(a), dtype=a.dtype)
    if norm_type == 2:
        return np.sqrt(np.dot(a, a)).astype(a.dtype)
    return (np.abs(a) ** norm_type).sum().astype(a.dtype) ** (1 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of ``parameters`` (a Tensor or an iterable) so that
    their joint ``norm_type``-norm (the norm of all gradients as one vector;
    ``float('inf')`` for the largest magnitude) is at most ``max_norm``.

    Every gradient is multiplied by min(1, max_norm / (total_norm + 1e-6)),
    exactly PyTorch's factor. Returns the total norm before clipping as a
    0-d Tensor. A non-finite total norm raises with ``error_if_nonfinite``,
    and otherwise (as in PyTorch) scales the gradients anyway, to NaN.
    ``foreach`` is accepted and ignored (there is one implementation).
    Parameters whose ``.grad`` is None are skipped.
    """
    who = "clip_grad_norm_"
    norm_type = float(norm_type)
    max_norm = float(max_norm)
    params = _grads(parameters, who)
    if not params:
        return Tensor(0.0)
    norms = [_norm(p.grad.data, norm_type) for p in params]
    dtype = np.result_type(*norms)
    total = _norm(np.array(norms, dtype=dtype), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"{who}: the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({float(total)}), so it cannot be clipped. To scale "
                           f"the gradients by the non-finite norm anyway, set "
                           f"error_if_nonfinite=False")
    coef = np.minimum(np.asarray(max_norm, dtype) / (total + np.asarray(1e-6, dtype)), 1)
    changed = []
    for p in params:
        g = _writable_grad(p)
        g *= coef.astype(g.dtype)
        changed.append(g)
    mark_modified(*changed)   # a graph that read a .grad must see it changed, as in PyTorch
    return Tensor._make(np.asarray(total, dtype=dtype), None)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clip every gradient of ``parameters`` into [-clip_value, clip_value],
    in place. Returns None, as PyTorch's does."""
    clip_value = float(clip_value)
    for p in _grads(parameters, "clip_grad_value_"):
        g = _writable_grad(p)
        np.clip(g, -clip_value, clip_value, out=g)
        mark_modified(g)
