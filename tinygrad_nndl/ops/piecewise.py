"""Piecewise-linear functions (ReLU, |x|, hardtanh, leaky ReLU, the
shrinks): their derivative is constant on each piece, so backward multiplies
the gradient by a constant ``factor`` read off the values ([a > 0] for ReLU).

A recorded backward (create_graph) must still depend on those values, as
PyTorch's threshold_backward does: the gradient then stays in the graph of
the input, and differentiating it again gives zeros (a Hessian through ReLU
layers) instead of an error that nothing requires grad. ``gate`` does that.
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import value


class Gate(Function):
    """g * factor (a constant array), with ``source``, the value the factor
    was read off, as a second input whose derivative is zero."""

    save_inputs = False
    factor = None

    def forward(self, g, source):
        self.source_shape = source.shape
        return g * self.factor

    def backward(self, gg, out, g, source):
        zeros = None
        if self.needs[1]:   # zeros, not gg * 0: an inf in gg must not make NaN
            zeros = np.zeros(self.source_shape, value(gg).dtype)
            zeros = Tensor._make(zeros, None) if isinstance(gg, Tensor) else zeros
        return (gg * self.factor if self.needs[0] else None, zeros)


def gate(g, factor, source):
    """g * factor; recorded as a ``Gate`` of ``source`` when the backward
    itself is (g or source a Tensor, under create_graph)."""
    if isinstance(g, Tensor) or isinstance(source, Tensor):
        return Gate.apply(g, source, factor=factor)
    return g * factor


class PiecewiseLinear(Function):
    """A piecewise-linear function of x whose pieces the caller evaluated on
    x's values: ``values``, the output, and ``slope``, d out / dx on each
    piece (hardtanh's [lo < x < hi], leaky ReLU's 1 or its negative slope).
    Backward: g * slope, gated by x."""

    values = slope = None
    saved_attrs = ("values", "slope")   # released with the node's saved values

    def forward(self, x):
        return self.values

    def backward(self, g, out, x):
        return (gate(g, self.slope, x),)


def clamped_below(t, eps):
    """max(t, eps) in value, with t's gradient passing as if unclamped:
    PyTorch clamps under no_grad there (cosine_similarity's norms,
    gaussian_nll_loss's variance), an identity for autograd."""
    return PiecewiseLinear.apply(t, values=np.maximum(t.data, eps).astype(t.data.dtype),
                                 slope=1.0)
