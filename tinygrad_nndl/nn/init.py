"""Weight initializers (torch.nn.init names), plus the two of Nielsen's book.

Each fills a tensor in place from the library's seeded generator and returns it.
"""
import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor.random import generator


def _fans(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"init: fan in and fan out need at least 2 dimensions, got shape "
                         f"{tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _no_elements(tensor):
    """True, with PyTorch's warning, for a tensor with no elements (the weight
    of ``Linear(0, n)``): the He initializers leave it as it is."""
    if tensor.data.size:
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return True


def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid", "identity") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fill(tensor, values):
    with no_grad():
        tensor.data[...] = values
    tensor._mark_modified()
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def constant_(tensor, val):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio)."""
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al.). With
    a = sqrt(5) this is PyTorch's default for Linear weights: U(+-1/sqrt(fan_in)).
    A tensor with no elements (``Linear(0, n)``) is left as is, with
    PyTorch's warning."""
    if _no_elements(tensor):
        return tensor
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    if _no_elements(tensor):
        return tensor
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def _linear_layers(module):
    """The fully connected layers: modules with ``in_features`` and a 2-D weight
    (read by what they have, so this module needs not import nn.linear)."""
    return [m for m in module.modules()
            if hasattr(m, "in_features") and getattr(m, "weight", None) is not None
            and m.weight.ndim == 2]


def book_large_init_(module):
    """Chapter 1's initializer for every Linear layer: weights and biases N(0, 1)."""
    for layer in _linear_layers(module):
        normal_(layer.weight)
        if layer.bias is not None:
            normal_(layer.bias)
    return module


def book_default_init_(module):
    """Chapter 3's improved initializer: weights N(0, 1/n_in), so that z = w.x + b
    does not saturate the neuron, biases N(0, 1)."""
    for layer in _linear_layers(module):
        normal_(layer.weight, 0.0, 1.0 / math.sqrt(layer.in_features))
        if layer.bias is not None:
            normal_(layer.bias)
    return module
