"""The least that any eager reverse-mode autograd written in Python can cost.

A node is a closure and its inputs; a Tensor is an array, a gradient and a
node. There is nothing else: no checks of shapes or dtypes, no dtype rules,
no hooks, no retain_grad, no detection of in-place changes, no anomaly mode,
no gradients of gradients, no freeing of the graph during backward, no
modules and no optimizer objects. It backpropagates chains, which is all
the benchmarks ask of it.

It is not part of the library. ``epoch_speed.py`` and ``ops.py`` time it
beside ours, so that a speed target can be read against what Python itself
allows: what a step costs above this floor is the price of the features,
and a target below the floor cannot be met by an eager engine in Python.
"""
import numpy as np


class FloorTensor:
    __slots__ = ("data", "grad", "node")

    def __init__(self, data, node=None):
        self.data, self.grad, self.node = data, None, node


def backward(root, g):
    """Walk a chain back from ``root`` (every tensor that an op made feeds one
    op; leaves may feed many), summing what reaches each leaf into ``.grad``."""
    grads, stack, leaves = {id(root): g}, [root], []
    while stack:
        t = stack.pop()
        if t.node is None:
            leaves.append(t)
            continue
        vjp, inputs = t.node
        for x, gx in zip(inputs, vjp(grads.pop(id(t)))):
            if gx is None:
                continue
            key = id(x)
            if key in grads:
                grads[key] = grads[key] + gx
            else:
                grads[key] = gx
                stack.append(x)
    for t in leaves:
        t.grad = grads.pop(id(t))


def op(forward, vjp, *inputs):
    """out = forward(*arrays), with vjp(g, *arrays, out) -> one gradient per input."""
    arrays = [x.data for x in inputs]
    out = forward(*arrays)
    return FloorTensor(out, (lambda g: vjp(g, *arrays, out), inputs))


# ----- the book's [784, 30, 10] network, for epoch_speed.py -----------------
def linear(x, w, b):
    z = x.data @ w.data.T
    z += b.data

    def vjp(g):
        return (g @ w.data if x.node is not None else None, g.T @ x.data, g.sum(0))
    return FloorTensor(z, (vjp, (x, w, b)))


def sigmoid(z, stable_sigmoid):
    out = stable_sigmoid(z.data)
    return FloorTensor(out, (lambda g: (g * out * (1 - out),), (z,)))


def quadratic_cost(a, y):
    d = a.data - y
    flat = d.reshape(-1)
    scale = 0.5 / len(y)
    return FloorTensor(np.asarray(scale * np.dot(flat, flat)),
                       (lambda g: (d * (2 * scale * g),), (a,)))
