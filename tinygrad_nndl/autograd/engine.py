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

import numpy as np

from ..tensor.tensor import Tensor
from ..tensor.version import check_unchanged, clock
from .function import FREED, HOOKED, RELEASED, _check_finite, hush, saved_inputs, unhush
from .grad_mode import CHECK_NAN, GRAD, enable_grad, mode
from .sinks import add_into, land, tensor_hooks


NOTHING_WANTED = object()   # _visit's answer for a node behind which nothing is asked for


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None):
    """Backpropagate ``root_grads`` from the nodes ``roots``. Leaves get their
    gradient added to ``.grad``; with ``capture`` (a set of nodes) the
    gradients reaching those nodes are returned instead, in a dict, and only
    the part of the graph that leads to them is walked (autograd.grad)."""
    create_graph = bool(create_graph)
    if create_graph and not mode.state & GRAD:
        with enable_grad():   # the backward pass itself must be recorded
            return run_backward(roots, root_grads, retain_graph, create_graph, capture)
    quiet = hush()   # as in forward: no numpy warnings for inf and NaN
    try:
        return _walk(roots, root_grads, retain_graph, create_graph, capture)
    finally:
        unhush(quiet)


def _walk(roots, root_grads, retain_graph, create_graph, capture):
    leads = None if capture is None else _leading_to(roots, capture)
    pending, heap, leaves, captured = {}, [], [], {}
    handed = set(map(id, root_grads))   # what the user holds: never made a .grad
    for node, g in zip(roots, root_grads):
        _send(pending, heap, leaves, node, g)
    anomaly, last_inplace = mode.state & CHECK_NAN, clock.last_inplace
    plain = not create_graph and capture is None
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        # A node with no hooks, nothing released and no input changed in place
        # since it was made (special is 0, its seq after the last in-place
        # change) needs only its backward: most nodes of a training step.
        if plain and not node.special and node.seq > last_inplace:
            in_grads = node.backward(g, node.out, *(node.arrays or (None,) * len(node.needs)))
        else:
            in_grads = _visit(node, g, create_graph, handed, capture, leads, captured,
                              last_inplace)
            last_inplace = clock.last_inplace   # a hook may have changed a saved value
            if in_grads is NOTHING_WANTED:
                continue
        for nxt, xg in zip(node.next_nodes, in_grads):
            if xg is not None and nxt is not None:
                if anomaly:
                    _check_finite(xg.data if create_graph else np.asarray(xg),
                                  f"{node.name()} (backward)", node.created_at or
                                  "<unknown: not created under detect_anomaly>")
                prev = pending.get(nxt)   # _send, inline
                if prev is not None:
                    pending[nxt] = add_into(prev, xg)
                else:
                    pending[nxt] = xg
                    if nxt.seq:
                        heappush(heap, (-nxt.seq, nxt))
                    else:
                        leaves.append(nxt)
        if not retain_graph:
            node.release()
    g = in_grads = xg = None   # the last node's: a leaf's gradient must be the walk's alone
    land(leaves, pending, create_graph, handed, capture, captured)
    return captured


def _visit(node, g, create_graph, handed, capture, leads, captured, last_inplace):
    """The node's input gradients for g when it needs more than its backward:
    its tensor's hooks and retained .grad, autograd.grad's capture
    (NOTHING_WANTED: nothing asked for lies behind it), a released node's
    error, the version check of what it saved, create_graph's recorded
    backward."""
    if node.special & HOOKED:
        g = tensor_hooks(node, g, create_graph, handed)
        last_inplace = clock.last_inplace
    needs = node.needs
    if leads is not None:
        if node in capture:
            captured[node] = g
        needs = [n in leads for n in node.next_nodes]
        if True not in needs:
            return NOTHING_WANTED
    if node.special & RELEASED and node.saves_anything:
        raise RuntimeError(FREED.format(node=node.name()))
    if node.seq < last_inplace:
        check_unchanged(*node.read_values(needs), node.seq, node.name())
    return _vjp(node, g, needs, create_graph)


def _send(pending, heap, leaves, node, g):
    """Add g to node's gradient; the first time, schedule node."""
    prev = pending.get(node)
    if prev is not None:
        pending[node] = add_into(prev, g)
        return
    pending[node] = g
    if node.seq:
        heappush(heap, (-node.seq, node))
    else:   # an AccumulateGrad
        leaves.append(node)


def _vjp(node, g, needs, create_graph):
    """The node's input gradients for g, its output's gradient: recorded as
    Tensor ops with ``create_graph``, else on numpy arrays."""
    out, inputs = node.out, node.arrays
    if create_graph:   # the output as a Tensor of this very node, so it is differentiable
        out, inputs = None if out is None else Tensor._make(out, node), saved_inputs(node)
    if needs is not node.needs:   # autograd.grad: ask only for the gradients needed
        node = node.masked(needs)
    return node.backward(g, out, *(inputs or (None,) * len(needs)))


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
