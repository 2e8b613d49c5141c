"""Matrix products: the weighted input z = w a + b of every layer."""
import math

import numpy as np

from ..autograd.function import OUT, Function
from .dual import reshape, sum_rows, sum_to, swap_last
from .elementwise import relu_delta, sigmoid_delta, sigmoid_into, stable_sigmoid, tanh_delta


class MatMul(Function):
    """a @ b with numpy's rules (1-D operands, broadcast batch dimensions).

    Backward: dL/da = g b^T and dL/db = a^T g. For z = w a this is BP2's
    (w^{l+1})^T delta^{l+1} and BP4's delta^l (a^{l-1})^T.
    """

    reads = (1,), (0,)

    def forward(self, a, b):
        sa, sb = np.shape(a), np.shape(b)
        if not sa or not sb:
            raise ValueError(f"both arguments need at least 1 dimension, got shapes {sa} "
                             f"and {sb}")
        k = sb[0] if len(sb) == 1 else sb[-2]
        if sa[-1] != k:
            raise ValueError(f"shapes {sa} and {sb} cannot be multiplied: the first's last "
                             f"dimension ({sa[-1]}) must equal the second's "
                             f"{'only' if len(sb) == 1 else 'second-to-last'} one ({k})")
        try:
            return a @ b
        except ValueError:   # only the batch dimensions are left to disagree
            raise ValueError(f"the batch dimensions of shapes {sa} and {sb} do not "
                             f"broadcast: {sa[:-2]} and {sb[:-2]}") from None

    def backward(self, g, out, a, b):
        a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
        b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
        gshape = g.shape + (1,) if b.ndim == 1 else g.shape
        if a.ndim == 1:
            gshape = gshape[:-1] + (1,) + gshape[-1:]
        g2 = reshape(g, gshape) if gshape != g.shape else g
        ga = gb = None
        if self.needs[0]:
            ga = reshape(sum_to(g2 @ swap_last(b2), a2.shape), a.shape)
        if self.needs[1]:
            gb = reshape(sum_to(swap_last(a2) @ g2, b2.shape), b.shape)
        return ga, gb


class Linear(Function):
    """z = x W^T + b for a batch of rows x (W of shape (out, in), row j = neuron j).

    One node for a whole layer, so backward gives all three of the book's
    equations at once, with g = delta (rows = examples):
    dC/dx = delta W (BP2, before the sigma' factor), dC/dW = delta^T x
    (BP4 summed over the mini-batch), dC/db = sum of delta over the batch (BP3).
    """

    reads = (1,), (0,), ()

    def forward(self, x, w, b):
        if w.ndim != 2:
            raise ValueError(f"expected a weight of shape (out_features, in_features), got "
                             f"{w.shape}")
        if x.ndim > 2:   # all rows in one matmul (numpy's would loop over them)
            rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1])
            z = (rows @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            z = x @ w.T
        if b is None:
            return z
        if type(b) is np.ndarray and b.dtype is z.dtype and b.shape == z.shape[-1:]:
            z += b   # z is new: no second buffer
            return z
        return z + b

    def backward(self, g, out, x, w, b):
        shape = x.shape
        if g.ndim != 2:   # rows of any batch shape are examples
            rows = math.prod(shape[:-1])   # not -1: a size-0 x leaves -1 ambiguous
            g, x = reshape(g, (rows, g.shape[-1])), reshape(x, (rows, shape[-1]))
        gx = g @ w if self.needs[0] else None
        if gx is not None and len(shape) != 2:
            gx = reshape(gx, shape)
        gw = g.T @ x if self.needs[1] else None
        gb = sum_rows(g) if self.needs[2] else None
        return gx, gw, gb


def _sigmoid_in_place(z):
    # z is the layer's own new buffer; apply has turned numpy's warnings off
    return sigmoid_into(z, z) if z.dtype.kind == "f" and z.ndim else stable_sigmoid(z)


class LinearActivation(Linear):
    """a = act(x W^T + b): a whole layer of the book's network (z and a =
    sigma(z)) in one node. ``nn.Sequential`` uses it (as LinearSigmoid,
    LinearTanh or LinearReLU) for a Linear followed by a Sigmoid, Tanh or
    ReLU, so the user's model stays as written.

    Backward: delta = g * act'(z), read off the output (sigma' = a(1 - a), the
    Hadamard factor of BP1 and BP2; tanh' = 1 - a^2; relu' = [a > 0]); then
    Linear's dC/dx = delta W (BP2), dC/dW = delta^T x (BP4), dC/db = sum of
    delta (BP3).
    """

    save_output = True
    reads = (1, OUT), (0, OUT), (OUT,)   # delta = g * act'(z) is read off the output
    activation = None          # its name, for drawings
    act = delta = None         # a = act(z), and delta = g * act'(z) from (g, a)

    def forward(self, x, w, b):
        return self.act(Linear.forward(self, x, w, b))

    def backward(self, g, out, x, w, b):
        return Linear.backward(self, self.delta(g, out), out, x, w, b)


def _relu_in_place(z):
    return np.maximum(z, 0, out=z)


class LinearSigmoid(LinearActivation):
    activation = "sigmoid"
    act, delta = staticmethod(_sigmoid_in_place), staticmethod(sigmoid_delta)


class LinearTanh(LinearActivation):
    activation = "tanh"
    act, delta = staticmethod(np.tanh), staticmethod(tanh_delta)


class LinearReLU(LinearActivation):
    activation = "relu"
    act, delta = staticmethod(_relu_in_place), staticmethod(relu_delta)


# the activation a Linear layer can be fused with -> the op doing both
FUSED_LAYERS = {"sigmoid": LinearSigmoid, "tanh": LinearTanh, "relu": LinearReLU}
