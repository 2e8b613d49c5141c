"""Running sums, products, log-sum-exps and extremes, and piecewise-constant
roundings."""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import accumulated, exp, log, value, where
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


def logcumsumexp(x, axis):
    return LogCumsumExp.apply(x, axis=axis) if isinstance(x, Tensor) else \
        np.logaddexp.accumulate(x, axis=axis)


class LogCumsumExp(Function):
    """y_i = log sum_{j <= i} e^{x_j} along ``axis``, one log-add-exp a step
    (exact where a shifted sum of exponentials would underflow).

    dL/dx_j = sum_{i >= j} g_i e^{x_j - y_i}, summed as PyTorch sums it: the
    positive and negative parts of g apart, each as a log-cum-sum-exp from
    the other end of log|g_i| - y_i, so nothing overflows; being written in
    this op, the backward is differentiable again. (Where some g_i is 0 that
    sum has no derivative in g_i: a recorded backward takes a recurrence
    there.)"""

    axis = 0
    save_output = True

    def forward(self, a):
        if a.dtype == np.float16:   # as PyTorch: accumulated in float32
            return np.logaddexp.accumulate(a.astype(np.float32), axis=self.axis).astype(a.dtype)
        return np.logaddexp.accumulate(a, axis=self.axis)

    def backward(self, g, out, a):
        axis, gv = self.axis, value(g)
        if isinstance(g, Tensor) and not gv.all():
            return (_logcumsumexp_vjp_by_recurrence(g, a, out, axis),)
        lowest = np.finfo(gv.dtype).min   # log 0, kept finite so that differences stay numbers
        log_g = log(abs(g))
        parts = [logcumsumexp(flip(where(sign, log_g, lowest) - out, (axis,)), axis)
                 for sign in (gv > 0, gv < 0)]
        return (exp(flip(parts[0], (axis,)) + a) - exp(flip(parts[1], (axis,)) + a),)


def _logcumsumexp_vjp_by_recurrence(g, a, out, axis):
    """LogCumsumExp's vector-Jacobian product as Tensor ops, linear in g (so
    exact to every order where g is 0): dL/dx_j = e^{x_j - y_j} h_j with
    h_j = g_j + e^{y_j - y_{j+1}} h_{j+1}, every factor at most 1 as y only
    grows. A Python loop over the axis: only recorded backwards with a zero
    in g come here."""
    gs, xs, ys = g.unbind(axis), a.unbind(axis), out.unbind(axis)
    h = [gs[-1]]
    for j in range(len(gs) - 2, -1, -1):
        h.append(gs[j] + (ys[j] - ys[j + 1]).exp() * h[-1])
    h.reverse()
    return Cat.apply(*[((x - y).exp() * hj).unsqueeze(axis) for x, y, hj in zip(xs, ys, h)],
                     axis=axis)


def running_extreme_index(a, axis, largest):
    """Where the running maximum (``largest``) or minimum of ``a`` along
    ``axis`` was taken, int64: the latest of tied entries and, once a NaN
    has come, the latest NaN (PyTorch's cummax and cummin). An entry equal
    to the running extreme at its place is where that extreme was last
    taken, so the answer is the running maximum of those places."""
    running = (np.maximum if largest else np.minimum).accumulate(a, axis=axis)
    hits = running == a
    if a.dtype.kind == "f":
        hits |= np.isnan(a)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    places = np.where(hits, np.arange(a.shape[axis]).reshape(shape), 0)
    return np.maximum.accumulate(places, axis=axis).astype(np.int64)


class Rounding(Function):
    """floor, ceil, round or trunc: piecewise constant, so the gradient is zero
    (as PyTorch's), with the graph kept whole."""

    fn = None
    save_inputs = False

    def forward(self, a):
        return self.fn(a)

    def backward(self, g, out, a):
        return (g * 0,)
