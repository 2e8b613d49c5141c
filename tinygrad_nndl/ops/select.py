"""Copies and selections that keep every value as it is: clone, flip,
masked_fill, masked_scatter, and nan_to_num (which keeps the finite ones).
Their gradients route g back; none reads the input's values."""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import reshape, sum_to, where
from .movement import slice_grad


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


class MaskedScatter(Function):
    """``a`` with the first entries of ``src`` (flattened, in order) written
    where ``mask`` (a constant bool array of a's shape) is True, in C order.
    The gradient goes to ``a`` where the mask is not set; src's first
    entries get g at the places they went to, the rest 0."""

    mask = None
    save_inputs = False

    def forward(self, a, src):
        self.src_shape = src.shape
        out = a.copy()
        out[self.mask] = src.reshape(-1)[:int(self.mask.sum())]
        return out

    def backward(self, g, out, a, src):
        ga = gsrc = None
        if self.needs[0]:
            ga = where(self.mask, 0, g)
        if self.needs[1]:
            size = int(np.prod(self.src_shape))
            placed = g[self.mask]
            gsrc = reshape(slice_grad(placed, (size,), slice(0, placed.shape[0]), False),
                           self.src_shape)
        return ga, gsrc


class NanToNum(Function):
    """``a`` with NaN, +inf and -inf replaced by ``nan``, ``posinf`` and
    ``neginf`` (None: the dtype's largest and lowest finite values), in a's
    dtype (np.nan_to_num). The gradient passes where a is finite and is 0
    elsewhere, as PyTorch's; the finite mask is kept, not a."""

    nan, posinf, neginf = 0.0, None, None
    save_inputs = False
    saved_attrs = ("finite",)

    def forward(self, a):
        self.finite = np.isfinite(a)
        return np.nan_to_num(a, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, g, out, a):
        return (where(self.finite, g, 0),)
