"""Softplus as one op: ln(1 + e^{beta x}) / beta, stable for any x.

Composed from exp and log it would overflow (e^{1e4} = inf) for large x and
lose everything to rounding for very negative x; log-sigmoid
(-softplus(-x)) and mish are built on it, so it is a primitive.
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import value, where
from .elementwise import Sigmoid, stable_sigmoid


def softplus_array(z):
    """ln(1 + e^z) = max(z, 0) + ln(1 + e^{-|z|}): no overflow, no warning."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


class Softplus(Function):
    """y = ln(1 + e^{beta x}) / beta, and y = x where beta x > threshold
    (PyTorch's linear regime, also exact in floating point there).
    dy/dx = sigma(beta x), or 1 in the linear regime."""

    beta = 1.0
    threshold = 20.0

    def forward(self, x):
        z = x * self.beta
        out = softplus_array(z) / self.beta
        return np.where(z > self.threshold, x, out).astype(x.dtype, copy=False)

    def backward(self, g, out, x):
        z = x * self.beta
        s = Sigmoid.apply(z) if isinstance(z, Tensor) else stable_sigmoid(z)
        return (g * where(value(z) > self.threshold, 1.0, s),)
