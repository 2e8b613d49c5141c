"""The error function and its complement as ops: GELU's Phi(x) = (1 +
erf(x / sqrt 2)) / 2, torch.erf and torch.erfc.

erfc is its own op, not 1 - erf: past x ~ 6 erf(x) rounds to 1 and 1 - erf(x)
to 0, while erfc(x), about e^{-x^2} / (x sqrt pi), is still a number there
(erfc(10) = 2.1e-45).
numpy has neither; scipy's are used when scipy is installed (it comes with
the examples extra), else Python's math.erf and math.erfc element by element
(exact, slower).
"""
import math

import numpy as np

from ..autograd.function import Function
from .dual import exp

try:
    from scipy.special import erf as _erf, erfc as _erfc
except ImportError:   # numpy only: the core's one dependency
    def _elementwise(f):
        scalar = np.frompyfunc(f, 1, 1)
        return lambda x: np.asarray(scalar(x), dtype=np.result_type(x, np.float32))

    _erf, _erfc = _elementwise(math.erf), _elementwise(math.erfc)

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Function):
    """erf(x); d erf/dx = (2 / sqrt(pi)) e^{-x^2}."""

    fn = staticmethod(_erf)
    sign = 1

    def forward(self, x):
        out = np.asarray(self.fn(x))
        # scipy computes float16 in float64: back to the input's float dtype (an
        # integer input's result stays float, made float32 by apply)
        return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out

    def backward(self, g, out, x):
        return (g * (self.sign * _TWO_OVER_SQRT_PI * exp(-(x * x))),)


class Erfc(Erf):
    """erfc(x) = 1 - erf(x), exact where that difference rounds to 0;
    d erfc/dx = -(2 / sqrt(pi)) e^{-x^2}."""

    fn = staticmethod(_erfc)
    sign = -1
