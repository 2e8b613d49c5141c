"""Reverse mode: walk the graph from the output back to the leaves once, handing
each node the gradient of its output and summing what it returns into the
gradients of the nodes that made its inputs (the chain rule, which is all
that BP1-BP4 are). The walk knows no particular op.

Nodes are visited newest first (a heap on creation order), which is a
topological order: every consumer of a value was created after it, so a
node's gradient is complete when it is popped. Leaves' accumulators come
last. A loop, not recursion, so a graph a million ops deep is fine.
"""
from heapq import heappop, heappush
from sys import getrefcount

import numpy as np

from ..tensor.tensor import Tensor
from ..tensor.version import clock, version_at
from .function import FREED, _check_finite
from .grad_mode import enable_grad, mode


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None):
    """Backpropagate ``root_grads`` from the nodes ``roots``. Leaves get their
    gradient added to ``.grad``; with ``capture`` (a set of nodes) the
    gradients reaching those nodes are returned instead, in a dict, and only
    the part of the graph that leads to them is walked (autograd.grad)."""
    if create_graph and not mode.grad_enabled:
        with enable_grad():   # the backward pass itself must be recorded
            return run_backward(roots, root_grads, retain_graph, create_graph, capture)
    leads = None if capture is None else _leading_to(roots, capture)
    pending, heap, leaves, captured = {}, [], [], {}
    handed = set(map(id, root_grads))   # what the user holds: never made a .grad
    for node, g in zip(roots, root_grads):
        _send(pending, heap, leaves, node, g)
    anomaly, last_inplace = mode.anomaly, clock.last_inplace
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        if node.special:   # hooks, retain_grad, or saved values already released
            g = _tensor_hooks(node, g, create_graph, handed)
        needs = node.needs
        if leads is not None:
            if node in capture:
                captured[node] = g
            needs = [n in leads for n in node.next_nodes]
            if True not in needs:
                continue
        if node.special and node.released and node.saves_anything:
            raise RuntimeError(FREED.format(node=node.name()))
        if node.seq < last_inplace:
            _check_versions(node)
        if create_graph or anomaly or needs is not node.needs:
            in_grads = _vjp(node, g, needs, create_graph, anomaly)
        else:   # the plain case, inline: it is most of a small network's backward
            in_grads = node.backward(g, node.out, *(node.arrays or _none(len(needs))))
        for nxt, xg in zip(node.next_nodes, in_grads):
            if xg is not None and nxt is not None:
                if anomaly:
                    _check_finite(xg.data if create_graph else np.asarray(xg),
                                  f"{node.name()} (backward)", node.created_at or
                                  "<unknown: not created under detect_anomaly>")
                prev = pending.get(nxt)   # _send, inline
                if prev is not None:
                    pending[nxt] = _add(prev, xg)
                else:
                    pending[nxt] = xg
                    if nxt.seq:
                        heappush(heap, (-nxt.seq, nxt))
                    else:
                        leaves.append(nxt)
        if not retain_graph:
            node.release()
    for acc in leaves:
        leaf, g = acc.variable, pending.pop(acc)
        if leaf is None:   # the leaf is gone: nobody can read its gradient
            continue
        g = cast(g, leaf.data.dtype, create_graph)
        hooks = getattr(leaf, "_hooks", None)
        if hooks:
            g = _run_hooks(hooks, leaf.shape, g, create_graph, handed)
        if capture is None:
            accumulate(leaf, g, create_graph, handed)
        elif acc in capture:
            captured[acc] = g
    return captured


def _add(prev, g):
    """prev + g, into prev itself when nothing but the walk's table holds it
    (it is then a sum the walk made): PyTorch's in-place accumulation, which
    spares an allocation per extra use of a value."""
    if (type(prev) is np.ndarray and prev.base is None and getrefcount(prev) == 4
            and type(g) is np.ndarray and g.dtype is prev.dtype and g.shape == prev.shape):
        prev += g
        return prev
    return prev + g


def _send(pending, heap, leaves, node, g):
    """Add g to node's gradient; the first time, schedule node."""
    prev = pending.get(node)
    if prev is not None:
        pending[node] = _add(prev, g)
        return
    pending[node] = g
    if node.seq:
        heappush(heap, (-node.seq, node))
    else:   # an AccumulateGrad
        leaves.append(node)


def cast(g, dtype, create_graph):
    """g in the dtype of the value it is the gradient of (mixed-dtype ops)."""
    if dtype is None or g.dtype is dtype or g.dtype == dtype:
        return g
    return g.to(dtype) if create_graph else np.asarray(g).astype(dtype)


_NONES = {}


def _vjp(node, g, needs, create_graph, anomaly):
    """The node's input gradients for g, its output's gradient: recorded as
    Tensor ops with ``create_graph``, else on numpy arrays."""
    if create_graph:   # the output as a Tensor of this very node, so it is differentiable
        out = None if node.out is None else Tensor._make(node.out, node)
        inputs = node.inputs or _none(len(needs))
        if needs is not node.needs:   # autograd.grad: ask only for the gradients needed
            node = _masked(node, needs)
        return node.backward(g, out, *inputs)
    if needs is not node.needs:
        node = _masked(node, needs)
    inputs = node.arrays or _none(len(needs))
    if anomaly:   # NaN/inf become one clear error in the caller, not numpy warnings
        with np.errstate(all="ignore"):
            return node.backward(g, node.out, *inputs)
    return node.backward(g, node.out, *inputs)


def _none(n):
    nones = _NONES.get(n)
    if nones is None:
        nones = _NONES[n] = (None,) * n
    return nones


def _masked(node, needs):
    """A copy of node whose backward computes only the gradients ``needs``
    marks; the graph's node is left as it is (another walk may be using it)."""
    copy = object.__new__(type(node))
    copy.__dict__.update(node.__dict__)
    copy.needs = needs
    return copy


def _leading_to(roots, capture):
    """The nodes from which some captured node can be reached (captured ones included)."""
    nodes, seen, stack = [], set(), list(roots)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            nodes.append(node)
            stack.extend(n for n in node.next_nodes if n is not None)
    leads = set(capture)
    for node in sorted(nodes, key=lambda n: n.seq):   # inputs before their consumers
        if any(n in leads for n in node.next_nodes):
            leads.add(node)
    return leads


def _check_versions(node):
    """Raise if a value the node saved was changed in place after it was saved."""
    saved = [("an input", a) for a in (node.arrays or ()) if isinstance(a, np.ndarray)]
    if node.out is not None:
        saved.append(("the output", node.out))
    for role, a in saved:
        expected, now = version_at(a, node.seq), version_at(a, float("inf"))
        if now != expected:
            raise RuntimeError(
                f"backward: one of the values needed for gradient computation has been "
                f"modified by an in-place operation: {role} of {node.name()}, of shape "
                f"{list(a.shape)}, is at version {now}; expected version {expected}. Change "
                f"it after backward, or change a copy (.clone()).")


def _run_hooks(hooks, shape, g, create_graph, handed):
    gt = g if isinstance(g, Tensor) else Tensor._make(g, None)
    handed.add(id(gt))   # a hook may keep what it saw: .grad must not share it
    for hook in list(hooks.values()):
        new = hook(gt)
        if new is not None:
            if not isinstance(new, Tensor) or new.shape != shape:
                got = new.shape if isinstance(new, Tensor) else type(new).__name__
                raise RuntimeError(f"register_hook: hook {hook!r} returned {got}; it must "
                                   f"return None or a Tensor of shape {shape}")
            gt = new
            handed.add(id(gt))
    if create_graph:
        return gt
    handed.add(id(gt.data))
    return gt.data


def _tensor_hooks(node, g, create_graph, handed):
    """A non-leaf's hooks, then its retained .grad (retain_grad runs last, as
    in PyTorch), given the gradient in the tensor's dtype."""
    if node.dtype is not None:
        g = cast(g, node.dtype, create_graph)
    if node.pre_hooks:
        g = _run_hooks(node.pre_hooks, tuple(np.shape(g)), g, create_graph, handed)
    t = node.retained() if node.retained else None
    if t is not None:
        accumulate(t, g, create_graph, handed)
    return g


def accumulate(t, g, create_graph, handed):
    """Add g to ``t.grad``: the first gradient is kept (copied if the user,
    a hook or another .grad may hold it), later ones are added in place, as
    PyTorch's AccumulateGrad does."""
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor._make(g, None)
        if t._grad is not None:
            t._grad = t._grad + g
            return
        if id(g) in handed:   # a new node: the same values, still differentiable
            g = g.reshape(g.shape) if g.requires_grad else Tensor._make(g.data.copy(), None)
        handed.add(id(g))
        t._grad = g
        return
    if type(g) is not np.ndarray:   # numpy gives scalars for 0-d results
        g = np.asarray(g)
    old = t._grad
    if old is None:
        if g.base is not None or id(g) in handed or not g.flags.writeable:
            g = g.copy()
        handed.add(id(g))
        t._grad = Tensor._make(g, None)
    elif old.data.flags.writeable and old.data.shape == g.shape:
        np.add(old.data, g, out=old.data, casting="unsafe")
    else:
        old.data = np.asarray(old.data + g)
