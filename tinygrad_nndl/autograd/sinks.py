"""How gradients are summed and where they land: a leaf's ``.grad``
(PyTorch's AccumulateGrad), a retained non-leaf's ``.grad``, and the tensor
hooks that may replace a gradient on its way. A ``.grad`` never shares memory
with something the user passed in, a hook kept, or another ``.grad``."""
import threading
from sys import getrefcount

import numpy as np

from ..tensor.tensor import Tensor
from ..tensor.version import mark_modified, mark_unsaved_modified
from .grad_mode import set_grad_enabled


# One thread at a time adds into a .grad (PyTorch's AccumulateGrad mutex). Only the
# read-modify-write of .grad runs under it: hooks run outside, as one may wait on
# another thread (a data-parallel all-reduce).
LANDING = threading.Lock()
_new = object.__new__


def cast(g, dtype, create_graph):
    """g in the dtype of the value it is the gradient of (mixed-dtype ops)."""
    if dtype is None or g.dtype is dtype or g.dtype == dtype:
        return g
    return g.to(dtype) if create_graph else np.asarray(g).astype(dtype)


def run_hooks(hooks, shape, g, create_graph, handed):
    # a hook sees an array, never an op's lazy sum (an LSTM's weight_hh gradient)
    gt = g if isinstance(g, Tensor) else Tensor._make(np.asarray(g), None)
    handed.add(id(gt))   # a hook may keep what it saw: .grad must not share it
    for hook in list(hooks.values()):
        with set_grad_enabled(create_graph):   # user code: recorded only under create_graph
            new = hook(gt)                     # (PyTorch runs backward with grad mode off)
        if new is not None:
            if not isinstance(new, Tensor):   # PyTorch's exception types, each case
                raise TypeError(f"register_hook: hook {hook!r} returned "
                                f"{type(new).__name__}; it must return None or a Tensor")
            if new.shape != shape or new.dtype != gt.dtype:
                raise RuntimeError(f"register_hook: hook {hook!r} returned a Tensor of shape "
                                   f"{new.shape} and dtype {new.dtype}; it must keep the "
                                   f"gradient's, {shape} and {gt.dtype}")
            gt = new
            handed.add(id(gt))
    if create_graph:
        return gt
    handed.add(id(gt.data))
    return gt.data


def tensor_hooks(node, g, create_graph, handed):
    """A non-leaf's hooks, then its retained .grad (retain_grad runs last, as
    in PyTorch), given the gradient in the tensor's dtype."""
    if node.dtype is not None:
        g = cast(g, node.dtype, create_graph)
    if node.pre_hooks:
        g = run_hooks(node.pre_hooks, tuple(np.shape(g)), g, create_graph, handed)
    t = node.retained() if node.retained else None
    if t is not None:
        with LANDING:
            old = t._grad
            if old is not None and not create_graph:
                # PyTorch's retain_grad sums out of place (a .grad the user kept, or a
                # graph saved, stays as it was), with grad mode off: the sum has no graph
                t._grad = Tensor._make(np.asarray(old.data + np.asarray(g)), None)
            else:
                accumulate(t, g, create_graph, handed)
    return g


def land(accumulators, pending, create_graph, handed, capture, captured):
    """The leaves' gradients (``pending``, by accumulator), each in its leaf's
    dtype and through its hooks, added to its .grad, or captured for
    autograd.grad."""
    for acc in accumulators:
        leaf, g = acc._leaf(), pending.pop(acc)
        if leaf is None or leaf._ctx is not None:
            stale_leaf(leaf)   # gone, or made an op's output since the graph was made
            continue
        if g.dtype is not leaf.data.dtype:
            g = cast(g, leaf.data.dtype, create_graph)
        if acc.hooks:
            g = run_hooks(acc.hooks, leaf.shape, g, create_graph, handed)
        if not leaf._requires_grad:   # stopped requiring it: its hooks ran, no .grad (PyTorch)
            continue
        if capture is not None:
            if acc in capture:
                captured[acc] = g
            continue
        with LANDING:
            if (leaf._grad is None and type(g) is np.ndarray and g.base is None
                    and id(g) not in handed and not create_graph):
                handed.add(id(g))   # accumulate's commonest case, inline: a first gradient
                grad = leaf._grad = _new(Tensor)   # (Tensor._make, inline)
                grad.data, grad._grad, grad._requires_grad, grad._ctx = g, None, False, None
            else:
                accumulate(leaf, g, create_graph, handed)


def stale_leaf(leaf):
    """A leaf gone gets nothing (nobody can read its gradient); one that an
    in-place op has since made an op's output cannot take a .grad."""
    if leaf is not None:
        raise RuntimeError(f"backward: a leaf of this graph (shape {leaf.shape}) has been moved "
                           f"into the graph interior since: an in-place op "
                           f"({leaf._ctx.name()}) made it an op's output; its .grad cannot be "
                           f"set")


def accumulate(t, g, create_graph, handed):
    """Add g to ``t.grad``: the first gradient is kept (copied if the user,
    a hook or another .grad may hold it), later ones are added in place, as
    PyTorch's AccumulateGrad does."""
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor._make(g, None)
        if t._grad is not None:
            t._grad = t._grad + g
            return
        if id(g) in handed or g.data.base is not None:   # held elsewhere, or a view of what
            # may be (the caller's gradient): a copy, still differentiable, as PyTorch's clone
            g = g.clone() if g.requires_grad else Tensor._make(g.data.copy(), None)
        handed.add(id(g))
        t._grad = g
        return
    if type(g) is not np.ndarray:   # numpy gives scalars for 0-d results
        g = np.asarray(g)
    old = t._grad
    if old is None:
        if (g.base is not None and not (_sole_view(g) and g.strides == t.data.strides)
                or id(g) in handed):
            g = g.copy()   # (a read-only array is a view too)
        handed.add(id(g))
        t._grad = Tensor._make(g, None)
    elif old.data.flags.writeable and old.data.shape == g.shape:
        data = old.data
        np.add(data, g, out=data, casting="unsafe")
        # .grad changed in place: a graph that read it must know; when nothing but the
        # tensor (and this name) refers to the buffer, no graph did, and older nodes
        # keep the walk's fast path (a view's buffer may be held through another view)
        if data.base is None and getrefcount(data) <= _UNSHARED:
            mark_unsaved_modified(data)
        else:
            mark_modified(data)
    else:
        old.data = np.asarray(old.data + g)


def add_into(prev, g):
    """prev + g, into prev itself when nothing but the walk's table holds it
    (it is then a sum the walk made): PyTorch's in-place accumulation, which
    spares an allocation per extra use of a value. A gradient type of an op's
    own (an LSTM's lazy sums) extends itself through its ``add_in_place``."""
    if getrefcount(prev) <= _OWNED:
        if type(prev) is np.ndarray:
            if (prev.base is None and type(g) is np.ndarray and g.dtype is prev.dtype
                    and g.shape == prev.shape):
                prev += g
                return prev
        else:
            extend = getattr(type(prev), "add_in_place", None)   # the class's: a lazy value
            if extend is not None:                                # computes nothing when asked
                return extend(prev, g)
    return prev + g


def _sole_view(g):
    """Whether g is a writeable view of memory that nothing else refers to (an
    op's own buffer, cropped or transposed: a convolution's input gradient):
    laid out as its tensor (PyTorch's layout contract for .grad), it becomes
    the .grad as it is, without a copy."""
    return g.flags.writeable and _base_refs(g) <= _SOLE


def _base_refs(g):
    return getrefcount(g.base)


def _count_refs(prev, g):
    return getrefcount(prev)


def _owned_refs():
    """The reference count add_into sees for an array held by the walk's table
    alone, measured through the same path (a table, a local, a call) so that
    it holds on any interpreter."""
    table = {0: np.empty(1)}
    prev = table.get(0)
    return _count_refs(prev, None)


def _unshared_refs():
    """The reference count accumulate sees for a .grad's buffer that only its
    tensor refers to (its slot, a local, the call), measured the same way."""
    old = Tensor._make(np.empty(1), None)
    data = old.data
    return getrefcount(data)


_OWNED = _owned_refs()
_UNSHARED = _unshared_refs()
_SOLE = _base_refs(np.empty(2)[1:])   # measured: the view's own reference and the call's
