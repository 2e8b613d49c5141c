"""Dropout (book chapter 3): during training each unit is dropped with
probability p, so the network cannot rely on any one neuron.

This is *inverted* dropout, as in PyTorch: survivors are scaled by 1/(1 - p)
while training, so the expected activation is unchanged and evaluation uses
the full network as is. (The book instead halves the outgoing weights at test
time; the two are the same network up to where the factor is applied.)
"""
import numpy as np

from ..tensor.rng_state import numpy_generator
from ..tensor.tensor import Tensor
from .module import Module


def _check_p(p, fn):
    if not 0 <= p <= 1:
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False, *, generator=None):
    """Zero each element with probability p and scale the rest by 1/(1 - p);
    the identity when not training. The mask comes from ``generator`` (a
    ``tinygrad_nndl.Generator``), or from the library's seeded generator."""
    _check_p(p, "dropout")
    if not isinstance(input, Tensor):   # PyTorch's message; a list has no .shape
        raise TypeError(f"dropout(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    rng = numpy_generator(generator, "dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * np.zeros((), dtype=input.dtype)
    mask = rng.random(input.shape, dtype=np.float32) >= p
    return input * (mask * np.asarray(1.0 / (1.0 - p), dtype=input.dtype))


class Dropout(Module):
    """nn.Dropout(p): inverted dropout in ``train()`` mode, identity in ``eval()``.
    ``generator`` (keyword only) draws the masks instead of the library's generator."""

    def __init__(self, p=0.5, *, generator=None):
        super().__init__()
        _check_p(p, "Dropout")
        numpy_generator(generator, "Dropout")
        self.p = p
        self.generator = generator

    def forward(self, input):
        return dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}"
