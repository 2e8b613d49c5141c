"""Running sums and products, and piecewise-constant roundings."""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import accumulated, value, where
from .movement import Cat
from .select import flip


def cumsum(x, axis):
    return Cumsum.apply(x, axis=axis) if isinstance(x, Tensor) else np.cumsum(x, axis)


def cumprod(x, axis):
    return Cumprod.apply(x, axis=axis) if isinstance(x, Tensor) else np.cumprod(x, axis)


def _from_the_end(x, axis):
    """sum_{k >= i} x_k along ``axis``: the running sum taken from the other end."""
    return flip(cumsum(flip(x, (axis,)), axis), (axis,))


class Cumsum(Function):
    """y_i = sum_{j <= i} x_j along ``axis``; x_j reaches every y_i with i >= j,
    so its gradient is the running sum of g taken from the other end."""

    axis = 0
    as_dtype = None   # cumsum(dtype=...): summed in that dtype (numpy widens small integers)
    save_inputs = False

    def forward(self, a):
        return accumulated(np.cumsum, a, self.as_dtype, axis=self.axis)

    def backward(self, g, out, a):
        return (_from_the_end(g, self.axis),)


class Cumprod(Function):
    """y_k = prod_{j <= k} a_j along ``axis``.

    Backward, exact where entries are 0: dL/da_i = sum_{k >= i} g_k y_k / a_i
    before a slice's first zero; 0 after it (every y_k there holds that 0
    and a_i's factor); at the first zero z, sum_{k >= z} g_k c_k with c the
    running product of a with that zero read as 1 (PyTorch's rule). Those
    masks are exact for the first derivative only (after the first zero, a
    later entry's gradient is 0 but varies with that zero): a recorded
    backward takes the products of the others by recurrence instead.
    """

    axis = 0
    as_dtype = None   # cumprod(dtype=...): multiplied in that dtype
    save_output = True

    def forward(self, a):
        return accumulated(np.cumprod, a, self.as_dtype, axis=self.axis)

    def backward(self, g, out, a):
        axis, av = self.axis, value(a)
        zero = av == 0
        if not zero.any():
            return (_from_the_end(g * out, axis) / a,)
        if isinstance(g, Tensor):
            return (_cumprod_vjp_by_recurrence(g, a, axis),)
        first = zero & (np.cumsum(zero, axis) == 1)
        before = _from_the_end(g * out, axis) / where(zero, 1, a)
        at_first = _from_the_end(g * cumprod(where(first, 1, a), axis), axis)
        return (where(first, at_first, before),)


def _cumprod_vjp_by_recurrence(g, a, axis):
    """Cumprod's vector-Jacobian product as Tensor ops, exact to every order
    at zeros: dL/da_i = (prod_{j < i} a_j) h_i with h_i = sum_{k >= i} g_k
    prod_{i < j <= k} a_j, so h_i = g_i + a_{i+1} h_{i+1}. A Python loop over
    the axis: only recorded backwards (create_graph) with zeros come here."""
    gs, parts = g.unbind(axis), a.unbind(axis)
    n = len(parts)
    h = [gs[n - 1]]
    for i in range(n - 2, -1, -1):
        h.append(gs[i] + parts[i + 1] * h[-1])
    h.reverse()
    grads, left = [h[0]], None
    for i in range(1, n):
        left = parts[0] if left is None else left * parts[i - 1]
        grads.append(left * h[i])
    return Cat.apply(*[t.unsqueeze(axis) for t in grads], axis=axis)


class Rounding(Function):
    """floor, ceil, round or trunc: piecewise constant, so the gradient is zero
    (as PyTorch's), with the graph kept whole."""

    fn = None
    save_inputs = False

    def forward(self, a):
        return self.fn(a)

    def backward(self, g, out, a):
        return (g * 0,)
