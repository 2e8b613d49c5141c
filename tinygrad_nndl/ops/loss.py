"""Fused loss ops: each cost and its gradient in one graph node.

The losses could be composed from elementwise ops, but a training step on a
mini-batch of 10 is dominated by per-node overhead: composed, the quadratic
cost alone costs 4 nodes (about 40% of a [784, 30, 10] network's whole step),
cross-entropy 5 and binary cross-entropy about 10. Fused, each is one node.

Every op returns the elementwise loss ``l`` when ``scale`` is None
(``reduction='none'``) and ``scale * sum(l)`` otherwise (``1/count`` for a
mean, 1 for a sum). Backward rules use only operators, ``ops.dual`` helpers
and Tensor methods, so gradients of gradients work as for every other op.
"""
import math

import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import BLAS_DTYPES, flat_indices, log, ones_vector, reshape, value, where
from .elementwise import Sigmoid, stable_sigmoid

_sum, _max = np.add.reduce, np.maximum.reduce   # the ufuncs, without ndarray.sum's wrapper
_LOG_FLOOR = -100.0           # PyTorch clamps log(a) and log(1 - a) here in BCE
_EXP_FLOOR = float(np.exp(_LOG_FLOOR))
_BCE_EPSILON = 1e-12          # PyTorch's floor of a(1 - a) in BCE's gradient


class _Loss(Function):
    """An elementwise loss, returned whole or as ``scale * sum``."""

    scale = None

    def reduce(self, loss):
        return loss if self.scale is None else self.scale * _sum(loss, axis=None)

    def upstream(self, g):
        """The gradient reaching each element of the elementwise loss."""
        return g if self.scale is None else g * self.scale


def clamped_log(x):
    """max(log x, -100) without evaluating log(0): finite for x in [0, 1]."""
    positive = value(x) > _EXP_FLOOR
    return where(positive, log(where(positive, x, 1)), _LOG_FLOOR)


class SquaredError(_Loss):
    """l = (a - y)^2. With scale 1/(2n) this is the book's quadratic cost
    (eq. 6), whose gradient a - y (over n) gives BP1: delta^L = (a - y) * sigma'(z^L)."""

    saved_attrs = ("diff",)

    def forward(self, a, y):
        d = self.diff = a - y
        if self.scale is None:
            return d * d
        flat = d.reshape(-1)
        return self.scale * (flat @ flat)

    def backward(self, g, out, a, y):
        # The recorded backward recomputes a - y from Tensors, so that it is
        # differentiable; the fast one reuses the forward's difference and,
        # for a reduced loss, takes its 0-d gradient as one number.
        if isinstance(g, Tensor):
            ga = (a - y) * (2 * self.upstream(g))
        elif self.scale is not None:
            ga = self.diff * (2.0 * self.scale * float(g))
        else:
            ga = self.diff * (2 * g)
        return ga if self.needs[0] else None, -ga if self.needs[1] else None


class BinaryCrossEntropy(_Loss):
    """l = -[y ln a + (1 - y) ln(1 - a)] on probabilities a: the book's
    cross-entropy cost (eq. 57). Logs are clamped at -100 as in PyTorch, so the
    cost stays finite when a saturates at exactly 0 or 1.

    dl/da = (a - y) / (a (1 - a)): on a sigmoid output the a(1 - a) cancels
    sigma'(z), leaving delta^L = a - y (eq. 66, no learning slowdown).
    """

    def forward(self, a, y):
        return self.reduce(-(y * clamped_log(a) + (1 - y) * clamped_log(1 - a)))

    def backward(self, g, out, a, y):
        gs = self.upstream(g)
        ga = gy = None
        if self.needs[0]:
            var = a * (1 - a)
            ga = (a - y) / where(value(var) < _BCE_EPSILON, _BCE_EPSILON, var) * gs
        if self.needs[1]:
            gy = (clamped_log(1 - a) - clamped_log(a)) * gs
        return ga, gy


def _sigmoid(z):
    return Sigmoid.apply(z) if isinstance(z, Tensor) else stable_sigmoid(z)


class BinaryCrossEntropyWithLogits(_Loss):
    """Binary cross-entropy of sigma(z), computed from the logit z as
    max(z, 0) - z y + ln(1 + e^{-|z|}): finite for any z (no e^z overflows).
    dl/dz = sigma(z) - y, the output error of eq. 66."""

    def forward(self, z, y):
        return self.reduce(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))

    def backward(self, g, out, z, y):
        gs = self.upstream(g)
        return ((_sigmoid(z) - y) * gs if self.needs[0] else None,
                -z * gs if self.needs[1] else None)


_FEW_CLASSES = 32   # up to here a maximum over the classes is faster along rows of a copy


def _class_max(z, axis):
    """The maximum over the class axis, kept as a size-1 axis. numpy reduces
    each short row of an (N, C) array apart; with C up to 32 the maximum of
    the classes laid out as rows of a contiguous copy is 2-5x faster."""
    if z.ndim == 2 and axis == 1 and z.shape[1] <= _FEW_CLASSES:
        return _max(np.ascontiguousarray(z.T), axis=0)[:, None]
    return _max(z, axis=axis, keepdims=True)


def _class_sum(e, axis):
    """The sum over the class axis, kept as a size-1 axis: for (N, C) floats one
    matrix-vector product with ones, 2-7x faster than numpy's reduction."""
    if e.ndim == 2 and axis == 1 and e.dtype in BLAS_DTYPES:
        return (e @ ones_vector(e.shape[1], e.dtype))[:, None]
    return _sum(e, axis=axis, keepdims=True)


def _finite(m):
    """The rows' max with inf and NaN entries (rows of inf, -inf or NaN) made
    0, so that the shift leaves such rows as they are."""
    if np.isfinite(_sum(m, axis=None)):   # no such row (nor a sum that overflows)
        return m
    return np.where(np.isfinite(m), m, 0)


def _class_grid(target, num_classes, axis, dtype):
    """one_hot(target) laid out with the classes along ``axis``."""
    if target.ndim == 1:   # (N, C), the common case: a scatter is cheapest
        grid = np.zeros((target.shape[0], num_classes), dtype)
        grid[np.arange(target.shape[0]), target] = 1
        return grid
    shape = [1] * (target.ndim + 1)
    shape[axis] = num_classes
    return (np.arange(num_classes).reshape(shape)
            == np.expand_dims(target, axis)).astype(dtype)


class _IndexedLoss(_Loss):
    """A loss on class scores (classes along ``axis``) and integer targets
    (attribute ``target``, every entry a valid class). ``weight``, when not
    None, multiplies each element's loss (class weights, 0 where ignored)."""

    target = None
    axis = 1
    weight = None
    flat = None   # the picks' flat indices, for (N, C) scores (see ``picked``)

    def picked(self, x):
        """x at each target class: x[n, target[n], ...]. For (N, C) scores the
        flat indices of the picks are kept (``flat``) for backward."""
        if self.target.ndim == 1:   # (N, C): 2-5x faster than indexing or take_along_axis
            self.flat = flat_indices(self.target, x.shape[1])
            return x.take(self.flat)
        return np.take_along_axis(x, np.expand_dims(self.target, self.axis),
                                  self.axis).squeeze(self.axis)

    def upstream(self, g):
        """dC/dl of each element, with a size-1 class axis so that it
        broadcasts against the scores."""
        gs = super().upstream(g)
        if self.weight is not None:   # an ignored (weight 0) element gets exactly 0, as in
            gs = where(self.weight != 0, gs * self.weight, 0)   # PyTorch: not NaN * 0 when
        if gs.ndim:                                             # all are ignored (a mean of 0/0)
            gs = reshape(gs, np.expand_dims(self.target, self.axis).shape)
        return gs

    def weighted(self, loss):
        """The elements' losses times their weights, reduced; an ignored
        (weight 0) element adds exactly 0, as in PyTorch, not NaN * 0 when its
        scores are infinite."""
        if self.weight is not None:
            loss = np.where(self.weight != 0, loss * self.weight, 0)
        return self.reduce(loss)


class SoftmaxCrossEntropy(_IndexedLoss):
    """l = -ln softmax(z)_y = logsumexp(z) - z_y: softmax output layer with
    the log-likelihood cost (eq. 80), fused so that no log is taken of a
    probability that underflowed to 0 (finite for logits of +-1e4).

    dl/dz = softmax(z) - one_hot(y): eq. 81-82, dC/db^L_j = a^L_j - y_j.
    """

    saved_attrs = ("probs",)

    def forward(self, z):
        m = _class_max(z, self.axis)
        if self.scale is None:   # per-element losses
            return self._shifted_by(z, _finite(m))
        loss = self._shifted_by(z, m)
        if math.isfinite(loss):   # then every row's max was finite: _finite changes nothing
            return loss
        return self._shifted_by(z, _finite(m))   # an inf or NaN row: the max made finite

    def _shifted_by(self, z, m):
        """The loss, from logsumexp and softmax computed with one exponential
        of z - m (m the rows' max, as in reduce.LogSumExp); the softmax is
        kept for backward."""
        axis = self.axis
        shifted = z - m
        picked = self.picked(shifted)
        e = np.exp(shifted, out=shifted)
        total = _class_sum(e, axis)
        self.probs = np.divide(e, total, out=e)
        return self.weighted(np.log(total).squeeze(axis) - picked)

    def backward(self, g, out, z):
        if isinstance(z, Tensor):   # recorded backward: softmax must be differentiable
            probs = z.softmax(self.axis)
        else:
            probs = self.probs
            gs = self.upstream(g)
            if self.target.ndim == 1 and gs.ndim == 0:   # (N, C), a mean or sum: the common case
                grad = np.multiply(probs, gs, order="C")   # (softmax - one_hot) g, in two
                grad.reshape(-1)[self.flat] -= gs          # passes (C order: reshape is a view)
                return (grad,)
        grad = ((probs - _class_grid(self.target, z.shape[self.axis], self.axis, z.dtype))
                * self.upstream(g))
        if self.weight is not None:   # an ignored element's softmax may be NaN (inf scores)
            grad = where(np.expand_dims(self.weight != 0, self.axis), grad, 0)
        return (grad,)


class NegativeLogLikelihood(_IndexedLoss):
    """l = -x_y for log-probabilities x (the log-likelihood cost, eq. 80,
    after a LogSoftmax layer). dl/dx = -one_hot(y)."""

    def forward(self, x):
        return self.weighted(-self.picked(x))

    def backward(self, g, out, x):
        return (-_class_grid(self.target, x.shape[self.axis], self.axis, x.dtype)
                * self.upstream(g),)
