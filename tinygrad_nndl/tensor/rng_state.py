"""The random generators' state as uint8 Tensors (``get_rng_state`` /
``set_rng_state``, as in PyTorch), so a checkpoint can hold it and a resumed
run draws exactly the numbers the uninterrupted one would have drawn.

``Generator`` is torch.Generator's counterpart: a generator of its own, for
the ``generator=`` argument of ``DataLoader`` and ``dropout``, so shuffling
and dropout masks can be replayed independently of each other.
"""
import numpy as np

from . import random
from .random import decode_state, encode_state
from .tensor import Tensor


def _state_tensor(rng):
    return Tensor._make(encode_state(rng), None)


def get_rng_state():
    """The library generator's state as a uint8 Tensor (torch.get_rng_state)."""
    return _state_tensor(random.generator())


def set_rng_state(new_state):
    """Restore a state returned by ``get_rng_state`` (torch.set_rng_state)."""
    state = decode_state(new_state, "set_rng_state")
    random.generator().bit_generator.state = state


class Generator:
    """A random generator of its own (torch.Generator): ``manual_seed``,
    ``get_state`` and ``set_state``. Give it as ``generator=`` to DataLoader or
    dropout; the library's generator is then left alone."""

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def manual_seed(self, seed):
        self._rng = np.random.default_rng(seed)
        return self

    def get_state(self):
        return _state_tensor(self._rng)

    def set_state(self, new_state):
        self._rng.bit_generator.state = decode_state(new_state, "Generator.set_state")
        return self

    def __repr__(self):
        return "<tinygrad_nndl.Generator>"


def numpy_generator(gen, fn):
    """The numpy Generator behind ``gen``: the library's for None, the one of a
    ``Generator``, or a numpy Generator itself."""
    if gen is None:
        return random.generator()
    if isinstance(gen, Generator):
        return gen._rng
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"{fn}: generator must be a tinygrad_nndl.Generator, a "
                    f"numpy.random.Generator or None, got {type(gen).__name__}")
