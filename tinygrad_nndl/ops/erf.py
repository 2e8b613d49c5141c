"""The error function as an op: GELU's Phi(x) = (1 + erf(x / sqrt 2)) / 2.

numpy has no erf; scipy's is used when scipy is installed (it comes with the
examples extra), else Python's math.erf element by element (exact, slower).
"""
import math

import numpy as np

from ..autograd.function import Function
from .dual import exp

try:
    from scipy.special import erf as _erf
except ImportError:   # numpy only: the core's one dependency
    _math_erf = np.frompyfunc(math.erf, 1, 1)

    def _erf(x):
        return np.asarray(_math_erf(x), dtype=np.result_type(x, np.float32))

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Function):
    """erf(x); d erf/dx = (2 / sqrt(pi)) e^{-x^2}."""

    def forward(self, x):
        return np.asarray(_erf(x)).astype(x.dtype, copy=False)

    def backward(self, g, out, x):
        return (g * (_TWO_OVER_SQRT_PI * exp(-(x * x))),)
