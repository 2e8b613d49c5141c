"""Copies and selections that keep every value as it is: clone, flip and
masked_fill. Their gradients route g back; none reads the input's values."""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import sum_to, where


class Clone(Function):
    """A copy with its own memory; the gradient passes through unchanged."""

    save_inputs = False

    def forward(self, a):
        return a.copy()

    def backward(self, g, out, a):
        return (g,)


def flip(x, axes):
    return Flip.apply(x, axes=axes) if isinstance(x, Tensor) else np.flip(x, axes)


class Flip(Function):
    """Reverse the order along ``axes`` (a copy, as torch.flip); the gradient
    is flipped back."""

    axes = ()
    save_inputs = False

    def forward(self, a):
        return np.flip(a, self.axes).copy()

    def backward(self, g, out, a):
        return (flip(g, self.axes),)


class MaskedFill(Function):
    """``a`` with ``value`` where ``mask`` (a constant bool array) is True, in
    a's dtype. The gradient goes to ``value`` where the mask is set (summed),
    to ``a`` elsewhere."""

    mask = None
    save_inputs = False

    def forward(self, a, value):
        self.shapes = a.shape, np.shape(value)
        out = np.where(self.mask, value, a)
        return out if out.dtype == a.dtype else out.astype(a.dtype)

    def backward(self, g, out, a, value):
        shape_a, shape_v = self.shapes
        ga = gv = None
        if self.needs[0]:
            ga = sum_to(where(self.mask, 0, g), shape_a)
        if self.needs[1]:
            gv = sum_to(where(self.mask, g, 0), shape_v)
        return ga, gv
