"""Logarithms to bases 2 and 10 as ops of their own: numpy's log2 and log10
are exact at powers of their base (log2(8) = 3), where ln(x) / ln(b) is
not always (ln(1000) / ln(10) = 2.9999999999999996)."""
import math

import numpy as np

from ..autograd.function import Function

_LN2, _LN10 = math.log(2), math.log(10)


class Log2(Function):
    """log2(x); d/dx = 1 / (x ln 2): inf at 0, as PyTorch's."""

    def forward(self, a):
        return np.log2(a)

    def backward(self, g, out, a):
        return (g / (a * _LN2),)


class Log10(Function):
    """log10(x); d/dx = 1 / (x ln 10)."""

    def forward(self, a):
        return np.log10(a)

    def backward(self, g, out, a):
        return (g / (a * _LN10),)
