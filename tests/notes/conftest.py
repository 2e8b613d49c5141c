"""Shared helpers for the tests of the exercise notes (tests/notes/test_ch*.py).

The reference functions here are plain numpy written straight from the notes'
formulas: they never call tinygrad_nndl, so a test that compares the library
with them compares two independent computations. The builders at the bottom
put given numbers into the library's modules (nn.Linear) so that both sides
use the same weights.
"""
import numpy as np
from hypothesis import strategies as st

from tinygrad_nndl import Tensor, nn

# ----- numpy references ------------------------------------------------------


def sigmoid_np(z):
    """sigma(z) = 1 / (1 + e^-z), without overflow: e^-|z| never exceeds 1."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime_np(z):
    s = sigmoid_np(z)
    return s * (1.0 - s)


def step_np(z):
    """The perceptron of chapter 1: output 1 if w.x + b > 0, else 0."""
    return (np.asarray(z) > 0).astype(np.float64)


def feedforward_np(weights, biases, x, activation=sigmoid_np):
    """Section 2.2 (a): z^l = w^l a^{l-1} + b^l, a^l = activation(z^l), for one
    example x (a vector). Returns the lists zs (layers 2..L) and activations
    (layers 1..L)."""
    a, zs, activations = np.asarray(x, dtype=np.float64), [], [np.asarray(x, np.float64)]
    for w, b in zip(weights, biases):
        z = w @ a + b
        a = activation(z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def backprop_np(weights, biases, x, y):
    """BP1-BP4 for the quadratic cost C = 1/2 ||y - a^L||^2 of one example,
    written as the matrix equations (2.2), (2.3), (2.7), (2.8) of the notes.
    Returns (deltas, dC/dw, dC/db), one entry per layer 2..L."""
    zs, acts = feedforward_np(weights, biases, x)
    L = len(weights)
    deltas = [None] * L
    # (2.2): delta^L = diag(sigma'(z^L)) grad_a C, with grad_a C = a^L - y
    deltas[-1] = np.diag(sigmoid_prime_np(zs[-1])) @ (acts[-1] - y)
    for l in range(L - 2, -1, -1):
        # (2.3): delta^l = diag(sigma'(z^l)) (w^{l+1})^T delta^{l+1}
        deltas[l] = np.diag(sigmoid_prime_np(zs[l])) @ weights[l + 1].T @ deltas[l + 1]
    grad_b = [d.copy() for d in deltas]                                   # (2.7)
    grad_w = [np.outer(d, a) for d, a in zip(deltas, acts[:-1])]          # (2.8)
    return deltas, grad_w, grad_b


def cost_along_z_np(weights, biases, x, y, l, j):
    """C = 1/2 ||a^L - y||^2 and its first and second derivatives with respect to the
    weighted input z_j of layer l (0 = the first layer of weights), by the chain rule
    to second order carried forward: a = sigma(z) moves by a' = sigma'(z) z' and
    a'' = sigma''(z) z'^2 + sigma'(z) z'', with sigma'' = sigma'(1 - 2 sigma); a layer
    maps (a', a'') to (w a', w a''); C' = (a - y).a', C'' = a'.a' + (a - y).a''."""
    zs, acts = feedforward_np(weights, biases, x)
    dz = np.zeros_like(zs[l])
    dz[j] = 1.0
    ddz = np.zeros_like(zs[l])
    for k in range(l, len(weights)):
        if k > l:
            dz, ddz = weights[k] @ da, weights[k] @ dda
        s, sp = sigmoid_np(zs[k]), sigmoid_prime_np(zs[k])
        da, dda = sp * dz, sp * (1 - 2 * s) * dz ** 2 + sp * ddz
    r = acts[-1] - y
    return 0.5 * r @ r, r @ da, da @ da + r @ dda


# ----- hypothesis strategies --------------------------------------------------

FINITE = dict(allow_nan=False, allow_infinity=False)


def floats(lo, hi):
    return st.floats(lo, hi, **FINITE)


@st.composite
def networks(draw, min_layers=1, max_layers=4, max_width=5, max_in=5, weight=3.0,
             min_width=1):
    """(weights, biases) of a fully connected network with ``min_layers`` to
    ``max_layers`` layers of weights; weights[l] has shape (out, in) like the
    book's w^l."""
    n_layers = draw(st.integers(min_layers, max_layers))
    sizes = [draw(st.integers(min_width, max_in))] + [
        draw(st.integers(min_width, max_width)) for _ in range(n_layers)]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-weight, weight, (o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    biases = [rng.uniform(-weight, weight, o) for o in sizes[1:]]
    return weights, biases


# ----- library builders ------------------------------------------------------


def linear_layers(weights, biases=None, dtype=np.float64):
    """nn.Linear layers holding exactly the given (out, in) weights and biases."""
    layers = []
    for i, w in enumerate(weights):
        b = None if biases is None else biases[i]
        layer = nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=dtype)
        layer.weight.data[...] = w
        if b is not None:
            layer.bias.data[...] = b
        layers.append(layer)
    return layers


def as_tensor(x, requires_grad=False):
    return Tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def lstm_step_np(x, wm, ltm, W, U, b):
    """Eqs. 5.1-5.6 of the notes in numpy, for one example. W, U, b are dicts of
    the per-gate W_* (d x p), U_* (d x d) and b_* (d,), keyed r, l, s, f."""
    rem = sigmoid_np(W["r"] @ x + U["r"] @ wm + b["r"])            # (5.1)
    ltm_prime = np.tanh(W["l"] @ x + U["l"] @ wm + b["l"])         # (5.2)
    save = sigmoid_np(W["s"] @ x + U["s"] @ wm + b["s"])           # (5.3)
    ltm_new = rem * ltm + save * ltm_prime                          # (5.4)
    focus = sigmoid_np(W["f"] @ x + U["f"] @ wm + b["f"])          # (5.5)
    wm_new = focus * np.tanh(ltm_new)                               # (5.6)
    return wm_new, ltm_new, dict(rem=rem, save=save, ltm_prime=ltm_prime, focus=focus)
