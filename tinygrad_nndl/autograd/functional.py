"""Jacobians, Hessians and Hessian-vector products (torch.autograd.functional).

As in PyTorch, ``x`` is a Tensor or a tuple of Tensors (and ``f`` may return a
tuple for ``jacobian`` and ``vjp``); results follow the same nesting: a tuple
over the inputs, inside a tuple over the outputs. A function that does not
depend on (part of) its input has a zero derivative there, and
``create_graph=True`` returns results that are themselves differentiable with
respect to the input.
"""
import numpy as np

from ..tensor.functions import stack
from ..tensor.tensor import Tensor
from .api import grad
from .grad_mode import enable_grad


def _variables(x, create_graph):
    """The points to differentiate at, as a tuple, and whether x was one.
    Each is a fresh leaf, or with ``create_graph`` a copy still connected to
    x's graph, so that results can be differentiated again."""
    def variable(x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        if create_graph and x.requires_grad:
            return x.reshape(x.shape)
        return Tensor(x.data, requires_grad=True)
    if isinstance(x, (tuple, list)):
        return tuple(variable(xi) for xi in x), True
    return (variable(x),), False


def _outputs(y, what):
    """f's result as a tuple of Tensors, and whether it was one."""
    ys, is_tuple = (tuple(y), True) if isinstance(y, (tuple, list)) else ((y,), False)
    for k, yk in enumerate(ys):
        if not isinstance(yk, Tensor):
            raise TypeError(f"{what}: f must return a Tensor or a tuple of Tensors, got "
                            f"{type(yk).__name__} at position {k}")
    return ys, is_tuple


def _untuple(values, is_tuple):
    return tuple(values) if is_tuple else values[0]


def _grads_or_zeros(ys, xs, grad_outputs=None, **kwargs):
    """d ys / d x for each x of xs (ys a Tensor or a sequence, weighted by
    grad_outputs as in ``grad``), zeros where they do not depend on x."""
    ys = [ys] if isinstance(ys, Tensor) else list(ys)
    vs = [None] * len(ys) if grad_outputs is None else list(grad_outputs)
    used = [k for k, y in enumerate(ys) if y.requires_grad]
    gs = grad([ys[k] for k in used], xs, [vs[k] for k in used], allow_unused=True,
              **kwargs) if used else (None,) * len(xs)
    return tuple(Tensor._make(np.zeros(x.shape, x.dtype), None) if g is None else g
                 for g, x in zip(gs, xs))


def _jacobian(y, xs, create_graph):
    """d y / d x for each x of xs, shape y.shape + x.shape: one reverse pass per
    element of y (row k is the gradient of y[k])."""
    flat = y.reshape(-1)
    rows = [_grads_or_zeros(flat[k], xs, retain_graph=True, create_graph=create_graph)
            for k in range(flat.shape[0])]
    out = []
    for j, x in enumerate(xs):
        shape = y.shape + x.shape
        if not rows:
            out.append(Tensor._make(np.zeros(shape, x.dtype), None))
        elif create_graph:
            out.append(stack([r[j] for r in rows]).reshape(shape))
        else:
            out.append(Tensor._make(np.stack([r[j].data for r in rows]).reshape(shape), None))
    return out


def _scalar(y, what):
    if not isinstance(y, Tensor) or y.data.size != 1:
        got = y.shape if isinstance(y, Tensor) else type(y).__name__
        raise ValueError(f"{what}: f must return a single-element tensor, got {got}")


@enable_grad()   # as PyTorch's: the derivatives are taken under no_grad too
def jacobian(f, x, create_graph=False):
    """J[i..., j...] = d f(x)[i...] / d x[j...], shape f(x).shape + x.shape;
    for tuples, J[a][b] = d f(x)[a] / d x[b]."""
    xs, in_tuple = _variables(x, create_graph)
    ys, out_tuple = _outputs(f(*xs), "jacobian")
    rows = [_untuple(_jacobian(y, xs, create_graph), in_tuple) for y in ys]
    return _untuple(rows, out_tuple)


@enable_grad()   # as PyTorch's: the derivatives are taken under no_grad too
def hessian(f, x, create_graph=False):
    """The matrix of second derivatives of a scalar f, shape x.shape + x.shape:
    the Jacobian of the gradient (the gradient recorded with create_graph).
    For a tuple x, H[a][b] = d^2 f / dx[a] dx[b]."""
    xs, in_tuple = _variables(x, create_graph)
    y = f(*xs)
    _scalar(y, "hessian")
    gs = _grads_or_zeros(y, xs, create_graph=True)
    return _untuple([_untuple(_jacobian(g, xs, create_graph), in_tuple) for g in gs],
                    in_tuple)


def _like_inputs(v, xs, in_tuple, what):
    vs = tuple(v) if in_tuple and isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(xs):
        raise ValueError(f"{what}: v has {len(vs)} parts but x has {len(xs)}")
    vs = tuple(vk if isinstance(vk, Tensor) else Tensor(vk) for vk in vs)
    for vk, xk in zip(vs, xs):
        if vk.shape != xk.shape:
            raise ValueError(f"{what}: v has shape {vk.shape} but x has shape {xk.shape}")
    return vs


@enable_grad()   # as PyTorch's: the derivatives are taken under no_grad too
def hvp(f, x, v, create_graph=False):
    """``(f(x), H v)`` for scalar f, without forming H: the gradient of
    grad f(x) . v (two reverse passes). For a tuple x, v and H v are tuples."""
    xs, in_tuple = _variables(x, create_graph)
    vs = _like_inputs(v, xs, in_tuple, "hvp")
    y = f(*xs)
    _scalar(y, "hvp")
    gs = _grads_or_zeros(y, xs, create_graph=True)
    dot = sum((g * vk.detach()).sum() for g, vk in zip(gs, vs))
    hv = _grads_or_zeros(dot, xs, create_graph=create_graph)
    if not create_graph:
        y, hv = y.detach(), tuple(h.detach() for h in hv)
    return y, _untuple(hv, in_tuple)


@enable_grad()   # as PyTorch's: the derivatives are taken under no_grad too
def vjp(f, x, v=None, create_graph=False):
    """``(f(x), v^T J)``; v may be omitted when f returns a single element. For a
    tuple f(x), v is a tuple like it; for a tuple x, v^T J is a tuple like x."""
    xs, in_tuple = _variables(x, create_graph)
    y = f(*xs)
    ys, out_tuple = _outputs(y, "vjp")
    if v is None:
        for yk in ys:
            _scalar(yk, "vjp without v")
        vs = None
    else:
        vs = tuple(v) if out_tuple else (v,)
        if len(vs) != len(ys):
            raise ValueError(f"vjp: v has {len(vs)} parts but f returned {len(ys)}")
    g = _grads_or_zeros(ys, xs, vs, create_graph=create_graph)
    if not create_graph:
        ys, g = tuple(yk.detach() for yk in ys), tuple(gk.detach() for gk in g)
    return _untuple(ys, out_tuple), _untuple(g, in_tuple)
