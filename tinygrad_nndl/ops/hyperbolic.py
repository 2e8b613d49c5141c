"""The hyperbolic functions and their inverses: sinh, cosh, asinh, acosh,
atanh. sinh and cosh are each other's derivative, so each backward calls the
other op (``trig.Partnered``); past |x| ~ 710 (float64) both overflow to
+-inf, as PyTorch's."""
import numpy as np

from ..autograd.function import Function
from .dual import sqrt
from .trig import Partnered


class Sinh(Partnered):
    """sinh(x); d/dx = cosh(x)."""

    fn = staticmethod(np.sinh)


class Cosh(Partnered):
    """cosh(x); d/dx = sinh(x)."""

    fn = staticmethod(np.cosh)


Sinh.partner, Cosh.partner = Cosh, Sinh


class Asinh(Function):
    """asinh(x), numpy's (exact for tiny and huge x, where ln(x + sqrt(x^2 +
    1)) is not); d/dx = 1 / sqrt(x^2 + 1), PyTorch's form."""

    def forward(self, a):
        return np.arcsinh(a)

    def backward(self, g, out, a):
        return (g / sqrt(a * a + 1),)


class Acosh(Function):
    """acosh(x) for x >= 1 (NaN below); d/dx = 1 / sqrt(x^2 - 1), inf at 1,
    with x^2 - 1 taken as (x - 1)(x + 1): exact near 1."""

    def forward(self, a):
        return np.arccosh(a)

    def backward(self, g, out, a):
        return (g / sqrt((a - 1) * (a + 1)),)


class Atanh(Function):
    """atanh(x), +-inf at +-1 and NaN beyond, as PyTorch's; d/dx = 1 / (1 -
    x^2), with 1 - x^2 taken as (1 - x)(1 + x): exact near +-1."""

    def forward(self, a):
        return np.arctanh(a)

    def backward(self, g, out, a):
        return (g / ((1 - a) * (1 + a)),)
