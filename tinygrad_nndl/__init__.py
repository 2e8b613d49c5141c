"""tinygrad_nndl: a small reverse-mode autograd on numpy, imported like a
mini-PyTorch, in which the backpropagation equations of Nielsen's *Neural
Networks and Deep Learning* fall out of the chain rule."""
import importlib

from .tensor.tensor import MaxResult, Tensor
from .tensor.dtypes import (bool_, double, float16, float32, float64, int32, int64,  # noqa: F401
                            long)
from .tensor.random import manual_seed
from .tensor.rng_state import Generator, get_rng_state, set_rng_state
from .tensor.creation import (arange, empty, eye, from_numpy, full, full_like, linspace,
                              ones, ones_like, rand, rand_like, randint, randn, randn_like,
                              randperm, tensor, zeros, zeros_like)
from .tensor.functions import (abs, amax, amin, argmax, argmin, cat, clamp, exp, flatten, log,  # noqa: A004
                               log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum,
                               permute, pow, relu, reshape, sigmoid, softmax, sqrt, squeeze, stack,
                               sum, tanh, transpose, unsqueeze, where)
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import autograd
from . import memory

# Freed graph buffers stay in the process for the next step instead of
# returning to the kernel and page-faulting back in (see memory.py).
memory.keep_freed_memory_by_default()

__version__ = "0.1.0"

# Subpackages loaded on first use: viz needs the optional graphviz package,
# testing needs hypothesis.
_LAZY = {"nn", "optim", "data", "utils", "viz", "testing", "checkpoint", "training"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".checkpoint", __name__), name)
    raise AttributeError(f"module 'tinygrad_nndl' has no attribute {name!r}")
