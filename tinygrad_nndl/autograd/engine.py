"""Reverse mode: walk the graph from the output back to the leaves once, in
topological order, handing each node the gradient of its output and summing
what it returns into its inputs' gradients (the chain rule, which is all that
BP1-BP4 are).

The walk is a loop over a heap, so a graph 100,000 ops deep needs no recursion. Unless
``retain_graph``, each node lets go of its inputs once used, which frees the
graph's buffers as the walk goes.
"""
from heapq import heappop, heappush

import numpy as np

from ..tensor.tensor import Tensor
from ..ops.dual import DEFERRED, ProductSum, SliceGrad
from .function import _check_finite
from .grad_mode import buffer_id, mode, modified_at, set_grad_enabled

FREED_GRAPH = ("backward: trying to backward through the graph a second time: its "
               "buffers were freed by the first backward. Pass retain_graph=True to "
               "the first backward (or autograd.grad) to keep them.")


def _run_hooks(t, g, create_graph, given):
    gt = g if isinstance(g, Tensor) else Tensor._make(g, None)
    given.add(id(gt))   # a hook may keep what it saw: .grad must not share it
    for hook in list(t._hooks.values()):
        new = hook(gt)
        if new is not None:
            if not isinstance(new, Tensor) or new.shape != t.shape:
                got = new.shape if isinstance(new, Tensor) else type(new).__name__
                raise ValueError(f"register_hook: hook {hook!r} returned {got}; it must "
                                 f"return None or a Tensor of shape {t.shape}")
            gt = new
            given.add(id(gt))
    if create_graph:
        return gt
    given.add(id(gt.data))
    return gt.data


def _receive(grads, heap, leaves, x, g):
    """Add g to x's gradient; the first time, schedule x (leaves go last)."""
    key = id(x)
    prev = grads.get(key)
    if prev is not None:
        grads[key] = prev + g
        return
    grads[key] = g
    node = x._ctx
    if node is None:
        leaves.append(x)
    else:
        heappush(heap, (-node.seq, key, x))


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None):
    """Backpropagate ``root_grads`` from ``roots``.

    Tensors are visited newest node first (a max-heap on creation order), which
    is a topological order: every consumer of a tensor was created after it, so
    its gradient is complete when it is popped. Leaves are finished last.

    With ``capture`` (a sequence of tensors) the gradients of those tensors are
    returned and no ``.grad`` is touched (autograd.grad): only the part of the
    graph that leads to them is walked, and nodes compute only the gradients
    it needs. Otherwise leaves accumulate into ``.grad``.
    """
    if create_graph and not mode.grad_enabled:
        with set_grad_enabled(True):   # the backward pass itself must be recorded
            return run_backward(roots, root_grads, retain_graph, create_graph, capture)
    grads, heap, leaves = {}, [], []
    wanted = needed = None
    saw_freed = False
    if capture is not None:
        wanted = {}
        for i, t in enumerate(capture):
            wanted.setdefault(id(t), []).append(i)
        needed, saw_freed = _leading_to(roots, wanted)
    for t, g in zip(roots, root_grads):
        if needed is None or id(t) in needed:
            _receive(grads, heap, leaves, t, g)
    captured = [None] * len(capture) if capture is not None else None
    given = set(map(id, root_grads))   # arrays the user holds: never handed out as .grad
    owned = set()   # buffers this walk made: a gradient can be summed into them in place
    anomaly, last_inplace = mode.anomaly, mode.last_inplace

    while heap:
        t = heappop(heap)[2]
        node = t._ctx
        needs = node.needs
        if needed is not None:   # autograd.grad: only the gradients that lead to its inputs
            if node.inputs is not None:
                needs = [n and id(x) in needed for x, n in zip(node.inputs, needs)]
            if node.inputs is None or True not in needs:   # wanted, and nothing below it
                g = grads.pop(id(t))
                _arrived(t, g.dense() if type(g) in DEFERRED else g, create_graph, wanted,
                         captured, given)
                continue
        if node.inputs is None:
            raise RuntimeError(FREED_GRAPH)
        g = _take_grad(grads, t, node, last_inplace, owned)
        if t._hooks or t._retains_grad or wanted is not None:
            g = _arrived(t, g, create_graph, wanted, captured, given)
        in_grads = _vjp(node if needed is None else _masked(node, needs), g, t, create_graph,
                        anomaly)
        for x, need, xg in zip(node.inputs, needs, in_grads):
            if not need or xg is None:
                continue
            dtype = x.data.dtype
            if xg.dtype is not dtype and xg.dtype != dtype:
                xg = xg.to(dtype) if create_graph else xg.astype(dtype)
            if anomaly:
                if type(xg) in DEFERRED:
                    xg = xg.dense()
                _check_finite(xg.data if create_graph else np.asarray(xg),
                              f"{node.name()} (backward)", node.created_at
                              or "<unknown: not created under detect_anomaly>")
            if id(x) in grads:
                grads[id(x)] = (grads[id(x)] + xg if create_graph
                                else _accumulate(grads[id(x)], xg, owned))
            else:
                _receive(grads, heap, leaves, x, xg)
        if not retain_graph:
            node.inputs = node.arrays = None

    for t in leaves:
        g = grads.pop(id(t))
        _arrived(t, g.dense() if type(g) in DEFERRED else g, create_graph, wanted, captured,
                 given)
    if saw_freed and any(c is None for c in captured):
        raise RuntimeError(FREED_GRAPH)   # what may have led to them is gone
    return captured


def _walk_plain(root, g, retain_graph):
    """``run_backward`` for the case every training step takes (one root, no
    ``autograd.grad``, no ``create_graph``, no anomaly checks): the same walk
    with only the work that case needs, since its Python overhead is most of a
    small network's backward. Every other case goes through the general walk."""
    leaves = []
    if root._ctx is None:
        leaves.append(root)
        grads, heap = {id(root): g}, []
    else:
        grads, heap = {id(root): g}, [(-root._ctx.seq, id(root), root)]
    given = {id(g)}   # arrays the user holds: never handed out as .grad
    owned = set()   # buffers this walk made: a gradient can be summed into them in place
    last_inplace = mode.last_inplace
    while heap:
        t = heappop(heap)[2]
        node = t._ctx
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError(FREED_GRAPH)
        g = _take_grad(grads, t, node, last_inplace, owned)
        if t._hooks or t._retains_grad:
            g = _arrived(t, g, False, None, None, given)
        for x, need, xg in zip(inputs, node.needs, node.backward(g, t.data, *node.arrays)):
            if not need or xg is None:
                continue
            dtype = x.data.dtype
            if xg.dtype is not dtype and xg.dtype != dtype:
                xg = xg.astype(dtype)
            key = id(x)
            prev = grads.get(key)
            if prev is not None:
                grads[key] = _accumulate(prev, xg, owned)
            else:
                grads[key] = xg
                ctx = x._ctx
                if ctx is None:
                    leaves.append(x)
                else:
                    heappush(heap, (-ctx.seq, key, x))
        if not retain_graph:
            node.inputs = node.arrays = None
    for t in leaves:
        g = grads.pop(id(t))
        if type(g) is not np.ndarray:
            g = g.dense() if type(g) in DEFERRED else np.asarray(g)   # numpy's 0-d scalars
        if t.grad is None and t._hooks is None:   # _arrived's common case, inlined
            if g.base is not None or id(g) in given:
                g = g.copy()
            given.add(id(g))
            t.grad = Tensor._make(g, None)
        else:
            _arrived(t, g, False, None, None, given)


def _take_grad(grads, t, node, last_inplace, owned):
    """t's complete gradient, dense, once it is known that nothing node saved
    was changed in place since."""
    if node.seq < last_inplace:
        _check_not_modified(t, node)
    g = grads.pop(id(t))
    if type(g) in DEFERRED:
        return g.dense()
    if owned:
        owned.discard(id(g))   # backward may hand g itself on to several inputs
    return g


def _vjp(node, g, t, create_graph, anomaly):
    """The node's input gradients for g, its output's gradient: recorded as
    Tensor ops with ``create_graph``, else on numpy arrays."""
    if create_graph:
        return node.backward(g, t, *node.inputs)
    if anomaly:   # NaN/inf become one clear error in the caller, not numpy warnings
        with np.errstate(all="ignore"):
            return node.backward(g, t.data, *node.arrays)
    return node.backward(g, t.data, *node.arrays)


def _leading_to(roots, wanted):
    """(ids, freed): the ids of the tensors whose gradient leads to a wanted
    one (the wanted tensors and every tensor some of whose node's inputs are
    such; nodes are taken in creation order, so a node's inputs are decided
    before it is), and whether a freed node was met (what it led to is unknown)."""
    tensors, seen, stack, freed = [], set(), list(roots), False
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = t._ctx
        if node is not None:
            if node.inputs is None:
                freed = True
                continue
            tensors.append(t)
            stack.extend(x for x in node.inputs if isinstance(x, Tensor))
    needed = set(wanted)
    for t in sorted(tensors, key=lambda t: t._ctx.seq):
        if any(id(x) in needed for x in t._ctx.inputs if isinstance(x, Tensor)):
            needed.add(id(t))
    return needed, freed


def _masked(node, needs):
    """A copy of node whose backward computes only the gradients ``needs``
    marks; the graph's node is left as it is (another walk may be using it)."""
    copy = object.__new__(type(node))
    copy.__dict__.update(node.__dict__)
    copy.needs = needs
    return copy


def _accumulate(prev, g, owned):
    """prev + g for the fast mode. The first sum makes a buffer that only this
    walk holds; later gradients are added into it in place (a slice's
    gradient only where the slice is), saving an allocation each time. The
    deferred products of a weight shared by many steps are merged, to be
    evaluated in one matmul when the weight's gradient is needed."""
    if type(g) is ProductSum and type(prev) is not SliceGrad:   # keep the steps batched
        if type(prev) is ProductSum:
            return prev.merge(g)
        return g.absorb(prev, id(prev) in owned)
    if type(prev) is ProductSum and type(g) is not SliceGrad:
        return prev.absorb(g, False)
    if id(prev) in owned:
        if type(g) in DEFERRED:
            return g.add_to(prev)
        prev += g
        return prev
    if type(prev) in DEFERRED:
        prev = prev.dense()
    elif type(g) in DEFERRED:
        prev = prev.copy()
    else:
        out = np.asarray(prev + g)   # numpy gives a scalar for 0-d
        owned.add(id(out))
        return out
    owned.add(id(prev))
    return _accumulate(prev, g, owned)


def _check_not_modified(t, node):
    arrays = (t.data,) + tuple(a for a in node.arrays if isinstance(a, np.ndarray))
    for a in arrays:
        if modified_at.get(buffer_id(a), 0) > node.seq:
            role = "output" if a is t.data else "an input"
            raise RuntimeError(
                f"backward: {role} of {node.name()} (shape {a.shape}) was modified by an "
                f"in-place operation after the graph saved it, so its old values are gone; "
                f"change it after backward, or change a copy (.detach() then a new tensor)")


def _arrived(t, g, create_graph, wanted, captured, given):
    """t's gradient is complete: run its hooks, then capture it (autograd.grad),
    accumulate it into a leaf's ``.grad``, or keep it for ``retain_grad``."""
    if t._hooks:
        g = _run_hooks(t, g, create_graph, given)
    if wanted is not None:
        for i in wanted.get(id(t), ()):
            captured[i] = g
    elif t._ctx is None and t.grad is not None:
        if create_graph:
            t.grad = t.grad + g
        else:   # same .grad object, as PyTorch accumulates in place
            t.grad.data = np.asarray(t.grad.data + g)
    elif t._ctx is None or t._retains_grad:
        t.grad = _own(g, given, create_graph)
    return g


def _own(g, given, create_graph):
    """A gradient handed to the user as ``.grad``. It must not be the same
    object (or, in the fast mode, memory) as another ``.grad`` or as something
    the user passed in or a hook kept: those are copied, fresh ones kept."""
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor._make(g, None)
        if id(g) in given:   # a new node: the same values, still differentiable
            g = g.reshape(g.shape) if g.requires_grad else Tensor._make(g.data.copy(), None)
        given.add(id(g))
        return g
    if type(g) is not np.ndarray:   # numpy gives scalars for 0-d results
        g = np.asarray(g)
    elif g.base is not None or id(g) in given:
        g = g.copy()
    given.add(id(g))
    return Tensor._make(g, None)


_ONES = {}   # dtype -> a 0-d one


def _root_grad(t, gradient, create_graph, what):
    data = t.data
    if (type(gradient) is np.ndarray and gradient.dtype is data.dtype
            and gradient.shape == data.shape and t._requires_grad and not create_graph):
        return gradient   # the checks below would pass it through unchanged
    if not t.requires_grad:
        raise RuntimeError(f"{what}: the tensor does not require grad and has no grad_fn "
                           f"(shape {t.shape}); nothing to differentiate")
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(f"{what}: grad can be implicitly created only for scalar "
                               f"outputs; this output has shape {t.shape}, pass gradient=")
        if t.data.ndim:
            one = np.ones_like(t.data)
        else:   # a 0-d loss: copying a kept one is 8x faster than np.ones_like
            one = _ONES.get(t.data.dtype)
            if one is None:
                one = _ONES[t.data.dtype] = np.ones((), t.data.dtype)
            one = one.copy()
        return Tensor._make(one, None) if create_graph else one
    if isinstance(gradient, Tensor):
        gradient = gradient if create_graph else gradient.data
    else:
        gradient = np.asarray(gradient, dtype=t.data.dtype)
        if create_graph:
            gradient = Tensor._make(gradient, None)
    if gradient.shape != t.data.shape:
        raise ValueError(f"{what}: gradient has shape {gradient.shape} but the output has "
                         f"shape {t.shape}")
    if gradient.dtype != t.data.dtype:
        gradient = gradient.to(t.dtype) if create_graph else gradient.astype(t.data.dtype)
    return gradient


def backward(tensor, gradient=None, retain_graph=None, create_graph=False):
    """``tensor.backward(...)``: accumulate gradients into the leaves' ``.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    g = _root_grad(tensor, gradient, create_graph, "backward")
    if create_graph or mode.anomaly:
        run_backward([tensor], [g], retain_graph, create_graph)
    else:
        _walk_plain(tensor, g, retain_graph)


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """d(outputs)/d(inputs) as a tuple, one entry per input (torch.autograd.grad).

    ``.grad`` fields are left alone. With ``create_graph=True`` the result is
    itself differentiable (gradients of gradients, Hessians).
    """
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs) if isinstance(grad_outputs, (Tensor, list, tuple)) \
            else (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = [_root_grad(o, g, create_graph, "grad") for o, g in zip(outputs, grad_outputs)]
    result = run_backward(list(outputs), root_grads, retain_graph, create_graph, capture=inputs)
    out = []
    for i, (x, g) in enumerate(zip(inputs, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used in the "
                                   f"graph of the outputs; pass allow_unused=True")
            out.append(None)
        else:
            out.append(_own(g, set(), create_graph))
    return tuple(out)
