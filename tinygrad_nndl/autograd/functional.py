"""Jacobians, Hessians and Hessian-vector products (torch.autograd.functional).

As in PyTorch, a function that does not depend on (part of) its input has a
zero derivative there, and ``create_graph=True`` returns results that are
themselves differentiable with respect to the input.
"""
import numpy as np

from ..tensor.functions import stack
from ..tensor.tensor import Tensor
from .engine import grad


def _variable(x, create_graph):
    """The point to differentiate at: a fresh leaf, or with ``create_graph`` a
    copy still connected to x's graph, so results can be differentiated again."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if create_graph and x.requires_grad:
        return x.reshape(x.shape)
    return Tensor(x.data, requires_grad=True)


def _grad_or_zeros(y, x, **kwargs):
    """dy/dx, zeros where y does not depend on x."""
    if y.requires_grad:
        (g,) = grad(y, x, allow_unused=True, **kwargs)
        if g is not None:
            return g
    return Tensor._make(np.zeros(x.shape, x.dtype), None)


def _jacobian(y, x, create_graph):
    """One reverse pass per element of y: row k is the gradient of y[k]."""
    flat = y.reshape(-1)
    rows = [_grad_or_zeros(flat[k], x, retain_graph=True, create_graph=create_graph)
            for k in range(flat.shape[0])]
    if not rows:
        return Tensor._make(np.zeros(y.shape + x.shape, x.dtype), None)
    if create_graph:
        return stack(rows).reshape(y.shape + x.shape)
    return Tensor._make(np.stack([r.data for r in rows]).reshape(y.shape + x.shape), None)


def _scalar(y, what):
    if y.data.size != 1:
        raise ValueError(f"{what}: f must return a single-element tensor, got shape {y.shape}")


def jacobian(f, x, create_graph=False):
    """J[i..., j...] = d f(x)[i...] / d x[j...], shape f(x).shape + x.shape."""
    x = _variable(x, create_graph)
    return _jacobian(f(x), x, create_graph)


def hessian(f, x, create_graph=False):
    """The matrix of second derivatives of a scalar f, shape x.shape + x.shape:
    the Jacobian of the gradient (the gradient recorded with create_graph)."""
    x = _variable(x, create_graph)
    y = f(x)
    _scalar(y, "hessian")
    return _jacobian(_grad_or_zeros(y, x, create_graph=True), x, create_graph)


def hvp(f, x, v, create_graph=False):
    """``(f(x), H v)`` for scalar f, without forming H: the gradient of
    grad f(x) . v (two reverse passes)."""
    x = _variable(x, create_graph)
    v = v if isinstance(v, Tensor) else Tensor(v)
    if v.shape != x.shape:
        raise ValueError(f"hvp: v has shape {v.shape} but x has shape {x.shape}")
    y = f(x)
    _scalar(y, "hvp")
    g = _grad_or_zeros(y, x, create_graph=True)
    hv = _grad_or_zeros((g * v.detach()).sum(), x, create_graph=create_graph)
    return (y, hv) if create_graph else (y.detach(), hv.detach())


def vjp(f, x, v=None, create_graph=False):
    """``(f(x), v^T J)``; v may be omitted when f returns a single element."""
    x = _variable(x, create_graph)
    y = f(x)
    if v is None:
        _scalar(y, "vjp without v")
    g = _grad_or_zeros(y, x, grad_outputs=v, create_graph=create_graph)
    return (y, g) if create_graph else (y.detach(), g.detach())
