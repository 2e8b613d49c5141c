"""Factories: zeros, ones, full, randn, rand, arange, eye and friends (torch names)."""
import numpy as np

from .dtypes import as_dtype, float32, to_array
from .errors import OpError
from .random import generator
from .tensor import Tensor, _shape_arg


def _size(name, size):
    """The shape ``size`` gives (sizes as varargs or one sequence), refused
    when a size is negative (numpy's message does not name the factory)."""
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise OpError(f"{name}: trying to create a tensor with negative dimension: "
                      f"{list(shape)}")
    return shape


def _number(name, argument, value):
    """A factory's number argument: a Python or numpy number, or a 0-d
    tensor (PyTorch's TypeError for anything else)."""
    if isinstance(value, Tensor):
        if value.data.ndim:
            raise TypeError(f"{name}: argument '{argument}' must be a number, not a Tensor "
                            f"of shape {value.shape}")
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value):
        raise TypeError(f"{name}: argument '{argument}' must be a number, not "
                        f"{type(value).__name__}")
    return value


def _make(data, requires_grad):
    t = Tensor._make(data, None)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, requires_grad=False):
    """Copy ``data`` into a new leaf Tensor (torch.tensor's dtype rules)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array):
    """A Tensor sharing memory with ``array`` (torch.from_numpy)."""
    return Tensor._make(np.asarray(array), None)


def zeros(*size, dtype=None, requires_grad=False):
    return _make(np.zeros(_size("zeros", size), dtype=as_dtype(dtype) or float32), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _make(np.ones(_size("ones", size), dtype=as_dtype(dtype) or float32), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    fill_value = _number("full", "fill_value", fill_value)
    if dtype is None:   # a numpy scalar counts as a Python number, as in PyTorch
        dtype = to_array(fill_value.item() if isinstance(fill_value, np.generic)
                         else fill_value).dtype
    return _make(np.full(_size("full", (size,)), fill_value, dtype=as_dtype(dtype)),
                 requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return _make(np.zeros(_size("empty", size), dtype=as_dtype(dtype) or float32), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples from the library's seeded generator."""
    data = generator().standard_normal(_size("randn", size)).astype(as_dtype(dtype) or float32)
    return _make(data, requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform samples in [0, 1) from the library's seeded generator."""
    data = generator().random(_size("rand", size)).astype(as_dtype(dtype) or float32)
    return _make(data, requires_grad)


def randint(low, high=None, size=(), dtype=None):
    """Integers in [low, high); ``randint(high, size)`` as PyTorch reads it."""
    if isinstance(high, (tuple, list)):   # randint(10, (3,)): high and size
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _make(generator().integers(low, high, _size("randint", (size,)))
                 .astype(as_dtype(dtype) or np.int64), False)


def randperm(n):
    return _make(generator().permutation(n).astype(np.int64), False)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """[start, end) in steps; int64 for integer arguments, float32 otherwise."""
    start, end, step = (_number("arange", name, v) for name, v in
                        (("start", start), ("end", end), ("step", step)))
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:   # PyTorch refuses both; numpy gives empty
        raise OpError(f"arange: the step {step} cannot go from {start} to {end}")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else float32
    return _make(np.arange(start, end, step, dtype=as_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _make(np.linspace(start, end, steps, dtype=as_dtype(dtype) or float32), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _make(np.eye(n, m, dtype=as_dtype(dtype) or float32), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros(t.shape, dtype=as_dtype(dtype) or t.dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad=False):
    """zeros_like: zeros where PyTorch leaves the memory uninitialized."""
    return zeros_like(t, dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones(t.shape, dtype=as_dtype(dtype) or t.dtype), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _make(np.full(t.shape, fill_value, dtype=as_dtype(dtype) or t.dtype), requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
