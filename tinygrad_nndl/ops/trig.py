"""The trigonometric functions and their inverses: sin, cos, asin, acos,
atan and atan2. sin's and cos's derivatives are each other (up to a sign),
so each backward calls the other op (``Partnered``)."""
import numpy as np

from ..autograd.function import Function
from .dual import run_op, sqrt, sum_to, value, where
from .elementwise import shape_of


class Partnered(Function):
    """An op whose derivative is another op, its ``partner`` (negated with
    ``sign`` -1): sin and cos, sinh and cosh. Backward calls the partner, so
    second derivatives come for free."""

    fn = partner = None
    sign = 1

    def forward(self, a):
        return self.fn(a)

    def backward(self, g, out, a):
        d = g * run_op(self.partner, a)
        return (d if self.sign > 0 else -d,)


class Sin(Partnered):
    """sin(x); d/dx = cos(x)."""

    fn = staticmethod(np.sin)


class Cos(Partnered):
    """cos(x); d/dx = -sin(x)."""

    fn = staticmethod(np.cos)
    sign = -1


Sin.partner, Cos.partner = Cos, Sin


class Asin(Function):
    """asin(x); d/dx = 1 / sqrt(1 - x^2), inf at +-1 as PyTorch's. 1 - x^2
    is taken as (1 - x)(1 + x), exact where x^2 rounds near 1."""

    def forward(self, a):
        return np.arcsin(a)

    def backward(self, g, out, a):
        return (g / sqrt((1 - a) * (1 + a)),)


class Acos(Function):
    """acos(x) = pi/2 - asin(x); d/dx = -1 / sqrt(1 - x^2)."""

    def forward(self, a):
        return np.arccos(a)

    def backward(self, g, out, a):
        return (-g / sqrt((1 - a) * (1 + a)),)


class Atan(Function):
    """atan(x); d/dx = 1 / (1 + x^2) (0 where x^2 overflows, its limit)."""

    def forward(self, a):
        return np.arctan(a)

    def backward(self, g, out, a):
        return (g / (a * a + 1),)


class Atan2(Function):
    """atan2(a, b), the angle of the point (b, a) in (-pi, pi]; broadcasts.
    d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2), both 0 where a^2 + b^2
    is 0 (the origin, or both squares underflowing), as PyTorch's."""

    def forward(self, a, b):
        return np.arctan2(a, b)

    def backward(self, g, out, a, b):
        av, bv = value(a), value(b)
        r2 = a * a + b * b
        inv = where(value(r2) == 0, 0, 1 / r2)
        return (sum_to(g * b * inv, shape_of(av)) if self.needs[0] else None,
                sum_to(g * -a * inv, shape_of(bv)) if self.needs[1] else None)
