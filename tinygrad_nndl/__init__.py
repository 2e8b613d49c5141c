"""tinygrad_nndl: a small reverse-mode autograd on numpy, imported like a
mini-PyTorch, in which the backpropagation equations of Nielsen's *Neural
Networks and Deep Learning* fall out of the chain rule."""
import importlib
import math

from .tensor.tensor import MaxResult, Tensor
from .tensor.dtypes import (  # noqa: F401,A004 - torch's aliases shadow builtins here
    bool, bool_, double, float, float16, float32, float64, half, int, int8, int16, int32, int64,
    long, short, uint8)
from .tensor.device import device  # noqa: F401
from .tensor.random import manual_seed
from .tensor.rng_state import Generator, get_rng_state, set_rng_state
from .tensor.creation import (arange, empty, empty_like, eye, from_numpy, full, full_like,
                              linspace,
                              ones, ones_like, rand, rand_like, randint, randn, randn_like,
                              randperm, tensor, zeros, zeros_like)
from .tensor.functions import (  # noqa: A004 - torch's names shadow builtins here
                               abs, add, allclose, amax, amin, argmax, argmin, argsort, as_tensor,
                               bmm, broadcast_to, cat, ceil, chunk, clamp, clone, concat,
                               concatenate, cos, count_nonzero, cumprod, cumsum, diag, diagonal, div, divide,
                               dot, einsum, exp, expm1, flatten, flip, floor, floor_divide, fmod,
                               gather, get_default_dtype, hstack, index_select, is_floating_point,
                               is_tensor, isclose, isfinite, isinf, isnan, log, log1p,
                               log_softmax, logical_and, logical_not, logical_or, logical_xor,
                               logsumexp, masked_fill, masked_select, matmul, max, maximum, mean,
                               min, minimum, mm,
                               movedim, mul, multiply, narrow, neg, negative, nonzero, norm, numel,
                               outer, permute, pow, prod, reciprocal, relu, remainder, repeat_interleave,
                               reshape, roll,
                               round, rsqrt, select, set_printoptions, sigmoid, sin, softmax, sort,
                               split, sqrt, squeeze, stack, std, sub, subtract, sum, swapaxes, t,
                               tan, tanh, tile, topk, trace, transpose, tril, triu, true_divide,
                               trunc, unbind, unflatten, unsqueeze, var, vstack, where,
                               eq, ne, gt, lt, ge, le, sign, square, clip, clamp_min, clamp_max,
                               scatter, scatter_add, index_add, index_fill, bincount, multinomial,
                               log2, log10, erf, erfc, asin, acos, atan, atan2, sinh, cosh,
                               asinh, acosh, atanh, arcsin, arccos, arctan, arctan2, arcsinh,
                               arccosh, arctanh, nan_to_num, lerp, addmm, nansum, nanmean, diff,
                               broadcast_tensors, meshgrid, inverse, det, logdet, slogdet,
                               cholesky, pinverse, matrix_power,
                               median, nanmedian, quantile,
                               nanquantile, mode, kthvalue, unique, unique_consecutive, histc,
                               scatter_reduce, index_copy, masked_scatter, take, take_along_dim,
                               cummax, cummin, logcumsumexp, kron, baddbmm, addbmm, fliplr,
                               flipud, rot90, diag_embed, cdist, block_diag, cartesian_prod,
                               tensordot)
from .tensor.functions import tensor_all as all, tensor_any as any  # noqa: A004 - torch's names
from .autograd import (enable_grad, inference_mode, is_anomaly_check_nan_enabled,
                       is_anomaly_enabled, is_grad_enabled, no_grad, set_grad_enabled)
from . import autograd
from . import linalg
from . import memory

# Freed graph buffers stay in the process for the next step instead of
# returning to the kernel and page-faulting back in (see memory.py).
memory.keep_freed_memory_by_default()

__version__ = "0.1.0"

inf, nan, pi, e = math.inf, math.nan, math.pi, math.e   # torch.inf, ...

# Subpackages loaded on first use: viz needs the optional graphviz package,
# testing needs hypothesis.
_LAZY = {"nn", "optim", "data", "utils", "viz", "testing", "checkpoint", "training", "cuda"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".checkpoint", __name__), name)
    raise AttributeError(f"module 'tinygrad_nndl' has no attribute {name!r}")
