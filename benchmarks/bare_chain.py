"""What the chain target (<= 0.45x PyTorch's time per op) asks of a Python
engine: core.py's chain (1000 elementwise ops on (10, 10), forward and
backward) run by the barest reverse-mode engines I could write, each step
adding one thing ours does, beside ours and PyTorch.

    python benchmarks/bare_chain.py [--rounds 40] [--no-torch]

- bare: a Tensor is its array and its node; each op's forward and backward
  written out in the Tensor method; the walk pops nodes newest first from a
  heap and sums gradients in a dict (ours does the same).
- + hush: numpy's floating-point warnings off around each op's forward, as
  ours does (inf * 0 is NaN without a RuntimeWarning, as in PyTorch).
- + generic apply: ops as small Function classes (forward and backward side
  by side, early tinygrad's layout) run through one ``apply`` that finds the
  inputs' arrays and nodes, as ours does; the walk calls ``backward(g, *saved)``.

None of them has what ours has besides: grad mode, hooks, retain_grad,
version counters, create_graph, autograd.grad, dtype rules, errors naming the
op. Before timing, every engine (PyTorch too) must give the gradients of a
6-block chain, where none vanishes, written out by hand in float64 (the timed
chain's tanh saturates: its gradients reach only its last blocks).
"""
import argparse
import itertools
import time
from heapq import heappop, heappush

# core first: it sets numpy's BLAS to one thread, which must precede numpy's import
from core import optional_torch

import numpy as np  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402  (core put this checkout on the path)
from tinygrad_nndl.autograd.function import hush, unhush  # noqa: E402

BLOCKS = 250   # (y * b + b).tanh() * 1.0001: four ops a block
_new = object.__new__


class Node:
    __slots__ = ("backward", "parents", "saved", "seq")


class Leaf:
    __slots__ = ("tensor", "seq")


def make_node(backward, parents, saved, clock):
    n = _new(Node)
    n.backward, n.parents, n.saved, n.seq = backward, parents, saved, next(clock)
    return n


def mul_bw(g, saved):
    a, b = saved
    return g * b, g * a


def scale_bw(g, c):
    return (g * c,)


def add_bw(g, saved):
    return g, g


def tanh_bw(g, out):
    return (g * (1 - out * out),)


def engine(quiet):
    """A Tensor class with the four ops, per-op warnings off when ``quiet``."""
    clock = itertools.count(1)

    class Tensor:
        __slots__ = ("data", "node", "grad")

        def __mul__(self, other):
            t = _new(Tensor)
            if type(other) is Tensor:
                if quiet:
                    token = hush()
                    t.data = self.data * other.data
                    unhush(token)
                else:
                    t.data = self.data * other.data
                t.node = make_node(mul_bw, (self.node, other.node), (self.data, other.data),
                                   clock)
            else:
                if quiet:
                    token = hush()
                    t.data = self.data * other
                    unhush(token)
                else:
                    t.data = self.data * other
                t.node = make_node(scale_bw, (self.node,), other, clock)
            return t

        def __add__(self, other):
            t = _new(Tensor)
            if quiet:
                token = hush()
                t.data = self.data + other.data
                unhush(token)
            else:
                t.data = self.data + other.data
            t.node = make_node(add_bw, (self.node, other.node), None, clock)
            return t

        def tanh(self):
            t = _new(Tensor)
            if quiet:
                token = hush()
                out = t.data = np.tanh(self.data)
                unhush(token)
            else:
                out = t.data = np.tanh(self.data)
            t.node = make_node(tanh_bw, (self.node,), out, clock)
            return t

    return Tensor


# ----- + generic apply: op classes run through one apply --------------------
class Function:
    __slots__ = ("parents", "saved", "seq")
    clock = itertools.count(1)

    @classmethod
    def apply(cls, *inputs):
        fn = _new(cls)
        arrays, parents = [], []
        for x in inputs:
            if isinstance(x, ApplyTensor):
                arrays.append(x.data)
                parents.append(x.node)
            else:
                arrays.append(x)
                parents.append(None)
        token = hush()
        try:
            out = fn.forward(*arrays)
        finally:
            unhush(token)
        t = _new(ApplyTensor)
        t.data = out
        fn.parents, fn.seq = parents, next(Function.clock)
        t.node = fn
        return t

    def backward_saved(self, g):
        return self.backward(g, *self.saved)


class Mul(Function):
    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, g, a, b):
        return g * b, g * a


class Add(Function):
    __slots__ = ()

    def forward(self, a, b):
        self.saved = ()
        return a + b

    def backward(self, g):
        return g, g


class Tanh(Function):
    __slots__ = ()

    def forward(self, a):
        out = np.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, g, out):
        return (g * (1 - out * out),)


class ApplyTensor:
    __slots__ = ("data", "node", "grad")

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __add__(self, other):
        return Add.apply(self, other)

    def tanh(self):
        return Tanh.apply(self)


def walk(root, g, backward_of):
    """The heap-and-dict walk of ours, without its checks: newest node first,
    gradients summed in place when the walk made the sum."""
    pending, heap, leaves, owned = {root: g}, [(-root.seq, root)], [], set()
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        for parent, pg in zip(node.parents, backward_of(node, g)):
            if parent is None:
                continue
            prev = pending.get(parent)
            if prev is None:
                pending[parent] = pg
                if parent.seq:
                    heappush(heap, (-parent.seq, parent))
                else:
                    leaves.append(parent)
            elif id(prev) in owned:
                prev += pg
            else:
                pending[parent] = total = prev + pg
                owned.add(id(total))
        node.saved = None   # released, as ours releases what backward read
    for leaf in leaves:
        leaf.tensor.grad = pending.pop(leaf)


def closures_backward(node, g):
    return node.backward(g, node.saved)


def apply_backward(node, g):
    return node.backward_saved(g)


def leaf_of(cls, array):
    t = _new(cls)
    t.data, t.grad = array, None
    t.node = node = _new(Leaf)
    node.tensor, node.seq = t, 0
    return t


def contender(cls, backward_of, a, g, blocks):
    x, b = leaf_of(cls, a.copy()), leaf_of(cls, a.copy())

    def run():
        y = x
        for _ in range(blocks):
            y = (y * b + b).tanh() * 1.0001
        walk(y.node, g, backward_of)
        return x.grad, b.grad
    return run


def eager(lib, a, g, blocks):
    """Ours or PyTorch: the same code, the import changed."""
    x, b = lib.tensor(a, requires_grad=True), lib.tensor(a, requires_grad=True)
    g = lib.from_numpy(g)

    def run():
        x.grad = b.grad = None
        y = x
        for _ in range(blocks):
            y = (y * b + b).tanh() * 1.0001
        y.backward(g)
        return x.grad.numpy(), b.grad.numpy()
    return run


def contenders(a, g, blocks, torch):
    runs = {"bare": contender(engine(False), closures_backward, a, g, blocks),
            "bare + hush": contender(engine(True), closures_backward, a, g, blocks),
            "bare + hush + generic apply": contender(ApplyTensor, apply_backward, a, g, blocks),
            "ours": eager(tg, a, g, blocks)}
    if torch is not None:   # last in each round: its threads slow what follows
        runs["PyTorch"] = eager(torch, a, g, blocks)
    return runs


def by_hand(a, g, blocks):
    """The chain's gradients written out in float64: the reference every engine must meet."""
    a, g = a.astype(np.float64), g.astype(np.float64)
    y, kept = a, []
    for _ in range(blocks):
        t = np.tanh(y * a + a)
        kept.append((y, t))
        y = t * 1.0001
    gy, gb = g, np.zeros_like(a)
    for y, t in reversed(kept):
        gz = gy * 1.0001 * (1 - t * t)
        gb += gz * y + gz
        gy = gz * a
    return gy, gb


def check_gradients(torch):
    """Every engine's gradients of a chain short enough (and inputs small enough)
    that none vanishes, against the float64 ones by hand."""
    rng = np.random.default_rng(0)
    a = rng.uniform(0.3, 1.0, (10, 10)).astype(np.float32)
    g = rng.standard_normal((10, 10)).astype(np.float32)
    want = by_hand(a, g, 6)
    assert np.abs(want[0]).min() > 1e-12, "the check's chain must not saturate"
    for name, run in contenders(a, g, 6, torch).items():
        for got, expected in zip(run(), want):   # relative: x's gradient is small
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=0, err_msg=name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--no-torch", action="store_true")
    args = p.parse_args()
    torch = optional_torch(not args.no_torch)
    check_gradients(torch)
    a = np.random.default_rng(2).random((10, 10), dtype=np.float32) + 0.5   # core.py's chain
    g = np.ones((10, 10), np.float32)
    runs = contenders(a, g, BLOCKS, torch)
    for run in runs.values():   # warm up
        run()
    times = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) / (4 * BLOCKS))
    med = {name: float(np.median(t)) for name, t in times.items()}
    torch_time = med.get("PyTorch")
    print("| engine | us per op | / ours | / PyTorch |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in med.items():
        vs_torch = "-" if torch_time is None else f"{t / torch_time:.2f}x"
        print(f"| {name} | {t * 1e6:.2f} | {t / med['ours']:.2f}x | {vs_torch} |")


if __name__ == "__main__":
    main()
