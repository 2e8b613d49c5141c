"""What the W1 target (<= 1.5x hand-written numpy) asks of a Python engine:
core.py's W1 step (the book's [784, 30, 10] sigmoid network, quadratic cost,
SGD, mini-batches of 10) on the barest reverse-mode engine I could write,
beside ours with its layers taken off one at a time, hand-written numpy and
PyTorch.

    python benchmarks/bare_w1.py [--rounds 40] [--runs 3] [--no-torch]

- bare: a Tensor is its array, its gradient and its node; a node is the
  closure of its backward, its parents and its creation number. Two ops, a
  layer (x W^T + b and its sigmoid in one node, as nn.Sequential fuses them
  in ours) and the quadratic cost; the walk pops nodes newest first from a
  heap and sums gradients in a dict, as ours does; numpy's warnings are off
  around forward and backward, as in ours; the update is ``w -= eta g``.
- ours, without: the user's code of core.py's W1 with one of our layers
  replaced by the bare equivalent, cumulatively: the optimizer (``zero_grad``
  and ``step``: the gradients' checks and the version counters' bumps) by
  the bare loop; then the loss's argument checks (``F.quadratic_cost``) by
  the op's ``apply``; then ``nn.Sequential`` and ``nn.Linear`` by the fused
  layer op's ``apply``; then ``loss.backward()`` by the engine's
  ``run_backward`` (the walk, with numpy's warnings off). What is left is
  ours' core: ``Function.apply``, the walk, the op bodies.

Ours and the bare engine compute the loss's value (a loss is what backward
starts from); the hand-written step does not need it (about 0.03x of its time).

Before timing, every contender takes two steps from the same weights and must
update them as the hand-written numpy step does.
"""
import argparse
import itertools
from heapq import heappop, heappush

# core first: it sets numpy's BLAS to one thread, which must precede numpy's import
from core import (W1_BATCH, W1_ETA, cycling, interleaved, mlp_data, optional_torch, sigmoid_,
                  torch_quadratic_cost, w1_by_hand, w1_model, w1_step)

import numpy as np  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402  (core put this checkout on the path)
from tinygrad_nndl.autograd.engine import run_backward  # noqa: E402
from tinygrad_nndl.autograd.function import hush, unhush  # noqa: E402
from tinygrad_nndl.nn import functional as F  # noqa: E402
from tinygrad_nndl.ops.linalg import LinearSigmoid  # noqa: E402
from tinygrad_nndl.ops.loss import SquaredError  # noqa: E402

ETA, BATCH = W1_ETA, W1_BATCH
_new = object.__new__


# ----- the bare engine ----------------------------------------------------------
class BareTensor:
    __slots__ = ("data", "grad", "node")


class BareNode:
    __slots__ = ("backward", "parents", "seq")


clock = itertools.count(1)


def bare_tensor(data, node=None):
    t = _new(BareTensor)
    t.data, t.grad, t.node = data, None, node
    return t


def bare_node(backward, parents):
    n = _new(BareNode)
    n.backward, n.parents, n.seq = backward, parents, next(clock)
    return n


def linear_sigmoid(x, w, b):
    """sigma(x W^T + b); backward: delta = g sigma'(z), then BP2, BP4, BP3."""
    xd, wd = x.data, w.data
    quiet = hush()
    z = xd @ wd.T
    z += b.data
    a = sigmoid_(z)
    unhush(quiet)

    def backward(g):
        d = g * (a * (1 - a))
        return (d @ wd if x.node is not None else None, d.T @ xd,
                np.ones(d.shape[0], d.dtype) @ d)
    return bare_tensor(a, bare_node(backward, (x, w, b)))


def quadratic_cost(a, y):
    """(1/2n) sum ||a - y||^2; backward: (a - y)/n."""
    d = a.data - y.data
    flat = d.reshape(-1)
    scale = 0.5 / len(d)

    def backward(g):
        return (d * (2 * scale * float(g)),)
    return bare_tensor(np.asarray(scale * (flat @ flat)), bare_node(backward, (a,)))


def bare_backward(root):
    pending = {id(root): np.ones((), root.data.dtype)}
    heap, leaves = [(-root.node.seq, id(root), root)], []
    quiet = hush()
    while heap:
        t = heappop(heap)[2]
        for p, gp in zip(t.node.parents, t.node.backward(pending.pop(id(t)))):
            if gp is None:
                continue
            key = id(p)
            prev = pending.get(key)
            if prev is not None:
                pending[key] = prev + gp
            elif p.node is None:
                pending[key] = gp
                leaves.append(p)
            else:
                pending[key] = gp
                heappush(heap, (-p.node.seq, key, p))
    for p in leaves:
        g = pending.pop(id(p))
        p.grad = g if p.grad is None else p.grad + g
    unhush(quiet)


# ----- the contenders, each a step over the same mini-batches --------------------
def bare(weights, X, Y):
    params = [bare_tensor(w.copy()) for w in weights]
    batch = cycling([(bare_tensor(X[i:i + BATCH]), bare_tensor(Y[i:i + BATCH]))
                     for i in range(0, len(X), BATCH)])

    def step():
        x, y = batch()
        w1, b1, w2, b2 = params
        loss = quadratic_cost(linear_sigmoid(linear_sigmoid(x, w1, b1), w2, b2), y)
        for p in params:
            p.grad = None
        bare_backward(loss)
        for p in params:
            p.data -= ETA * p.grad
    return step, lambda: [p.data for p in params]


def ours(weights, X, Y, without=0):
    """core.py's W1 step; ``without`` of our layers (0-4, see the docstring)
    replaced by the bare equivalent."""
    model = w1_model(tg)
    params = list(model.parameters())
    for p, w in zip(params, weights):
        p.data[...] = w
    batch = cycling([(tg.from_numpy(X[i:i + BATCH]), tg.from_numpy(Y[i:i + BATCH]))
                     for i in range(0, len(X), BATCH)])
    if not without:
        return w1_step(tg.optim, model, batch, F.quadratic_cost), lambda: [p.data for p in params]
    one = np.ones((), np.float32)

    def step():
        x, y = batch()
        if without >= 3:
            out = LinearSigmoid.apply(LinearSigmoid.apply(x, *params[:2]), *params[2:])
        else:
            out = model(x)
        if without >= 2:
            loss = SquaredError.apply(out, y, scale=0.5 / BATCH)
        else:
            loss = F.quadratic_cost(out, y)
        for p in params:
            p._grad = None
        if without >= 4:   # what loss.backward() comes to, less its checks
            run_backward([loss.grad_fn], [one.copy()], False, False)
        else:
            loss.backward()
        for p in params:
            p.data -= ETA * p._grad.data
    return step, lambda: [p.data for p in params]


def by_hand(weights, X, Y):
    params = [w.copy() for w in weights]
    return w1_by_hand(params, cycling([(X[i:i + BATCH], Y[i:i + BATCH])
                                       for i in range(0, len(X), BATCH)])), lambda: params


def with_torch(torch, weights, X, Y):
    model = w1_model(torch)
    params = list(model.parameters())
    with torch.no_grad():
        for p, w in zip(params, weights):
            p.copy_(torch.from_numpy(w))
    batch = cycling([(torch.from_numpy(X[i:i + BATCH]), torch.from_numpy(Y[i:i + BATCH]))
                     for i in range(0, len(X), BATCH)])
    return (w1_step(torch.optim, model, batch, torch_quadratic_cost),
            lambda: [p.detach().numpy() for p in params])


WITHOUT = ["ours", "... less the optimizer (its gradient checks, version bumps)",
           "... less the loss's argument checks", "... less nn.Sequential and nn.Linear",
           "... less loss.backward()'s API (run_backward called directly)"]


def contenders(weights, X, Y, torch):
    runs = {name: ours(weights, X, Y, without=i) for i, name in enumerate(WITHOUT)}
    runs["bare engine"] = bare(weights, X, Y)
    runs["hand-written numpy"] = by_hand(weights, X, Y)
    if torch is not None:
        runs["PyTorch"] = with_torch(torch, weights, X, Y)
    return runs


def setup():
    X, _, Y = mlp_data(np.random.default_rng(0), BATCH)
    tg.manual_seed(0)
    return [p.data.copy() for p in w1_model(tg).parameters()], X, Y


def check_steps(torch):
    """Two steps of every contender from the same weights, against numpy's."""
    weights, X, Y = setup()
    runs = contenders(weights, X, Y, torch)
    for step, _ in runs.values():
        step()
        step()
    want = runs["hand-written numpy"][1]()
    for expected, w in zip(want, weights):
        assert np.abs(expected - w).max() > 1e-4, "the check's steps must move the weights"
    for name, (_, params) in runs.items():
        for got, expected in zip(params(), want):
            assert got.dtype == expected.dtype, f"{name}: {got.dtype}, not {expected.dtype}"
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6, err_msg=name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--runs", type=int, default=3, help="runs, each on fresh contenders")
    p.add_argument("--no-torch", action="store_true")
    args = p.parse_args()
    torch = optional_torch(not args.no_torch)
    check_steps(torch)
    medians = []
    for _ in range(args.runs):
        runs = contenders(*setup(), torch)
        medians.append(interleaved({name: (step, 50) for name, (step, _) in runs.items()},
                                   args.rounds, apart=("PyTorch",)))
    print("| contender | " + " | ".join(f"run {i + 1}: us / step (/ numpy)"
                                         for i in range(args.runs)) + " |")
    print("| --- |" + " ---: |" * args.runs)
    for name in medians[0]:
        cells = [f"{m[name] * 1e6:.1f} ({m[name] / m['hand-written numpy']:.2f}x)" for m in medians]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
