"""Jacobians, Hessians and Hessian-vector products (torch.autograd.functional)."""
import numpy as np

from ..tensor.tensor import Tensor
from .engine import grad


def _fresh(x):
    """A leaf copy of x that requires grad, so f is differentiated at x itself."""
    return Tensor(x.data, requires_grad=True)


def _jacobian_rows(y, x, create_graph):
    rows = []
    flat = y.reshape(-1)
    for k in range(flat.shape[0]):
        (g,) = grad(flat[k], x, retain_graph=True, create_graph=create_graph, allow_unused=True)
        rows.append(np.zeros(x.shape, x.dtype) if g is None else g.data)
    return np.stack(rows).reshape(y.shape + x.shape) if rows else np.zeros(y.shape + x.shape)


def jacobian(f, x, create_graph=False):
    """J[i..., j...] = d f(x)[i...] / d x[j...], shape f(x).shape + x.shape."""
    x = _fresh(x)
    y = f(x)
    return Tensor._make(_jacobian_rows(y, x, create_graph), None)


def hessian(f, x):
    """The matrix of second derivatives of a scalar f, shape x.shape + x.shape."""
    x = _fresh(x)
    y = f(x)
    if y.data.size != 1:
        raise ValueError(f"hessian: f must return a scalar, got shape {y.shape}")
    (g,) = grad(y, x, create_graph=True)
    return Tensor._make(_jacobian_rows(g, x, create_graph=False), None)


def hvp(f, x, v):
    """``(f(x), H v)`` for scalar f, without forming H: the gradient of
    grad f(x) . v (two reverse passes)."""
    x = _fresh(x)
    v = v if isinstance(v, Tensor) else Tensor(v)
    if v.shape != x.shape:
        raise ValueError(f"hvp: v has shape {v.shape} but x has shape {x.shape}")
    y = f(x)
    (g,) = grad(y, x, create_graph=True)
    (hv,) = grad((g * v.detach()).sum(), x, allow_unused=True)
    hv = hv if hv is not None else Tensor(np.zeros(x.shape, x.dtype))
    return y.detach(), hv.detach()


def vjp(f, x, v=None):
    """``(f(x), v^T J)``."""
    x = _fresh(x)
    y = f(x)
    (g,) = grad(y, x, grad_outputs=v, allow_unused=True)
    return y.detach(), g
