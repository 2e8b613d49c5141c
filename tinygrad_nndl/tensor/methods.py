"""The Tensor's differentiable methods and operators, attached to ``Tensor``
(early tinygrad's registration): ``tensor.tensor`` is the data type alone and
imports no op, so the layers stay one-way (tensor <- autograd <- ops <- this).
Each method is a thin call of a primitive op; names, arguments and semantics
are PyTorch's.
"""
from collections import namedtuple

import math
import warnings
import weakref

import numpy as np

from ..autograd import api
from ..autograd.function import HOOKED, accumulator
from ..autograd.grad_mode import GRAD, mode
from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import movement as M
from ..ops import norm as NormOp
from ..ops import scan as C
from ..ops import reduce as R
from ..ops import scatter as SC
from ..ops import select as S
from ..ops import counting as CT
from ..ops import order as OR
from ..ops import trig as T
from ..ops import hyperbolic as H
from ..ops.decompositions import Cholesky, factors
from ..ops.determinants import Det, Slogdet
from ..ops.erf import Erf, Erfc
from ..ops.inverses import Inv, Pinv
from ..ops.lerp import Lerp
from ..ops.logarithms import Log10, Log2
from ..ops.matrix_checks import check_matrices, check_shape
from .device import as_device, device
from .dtypes import is_floating, torch_name
from .errors import OpError
from .random import generator
from .rng_state import numpy_generator
from .sampling import draw_categories
from .tensor import MaxResult, Tensor, _numpy_index, _operand, _shape_arg, _value
from .version import mark_modified


# The commonest calls, bound once: every arithmetic operator pays for the lookups.
_add, _sub, _mul, _div = E.Add.apply, E.Sub.apply, E.Mul.apply, E.Div.apply
_PLAIN = {Tensor, float, int}   # operands that need no conversion


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._key = hooks, object()
        hooks[self._key] = hook

    def remove(self):
        self._hooks.pop(self._key, None)


_TRIG = T   # (inside the class, T is the transpose property)


def _unary(name, op):
    """``name`` (log2, asin, ...): the op of that name applied to the tensor."""
    def method(self):
        return op.apply(self)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = op.__doc__   # the formula and its derivative
    return method


def _unary_inplace(name, op):
    """``name`` (exp_, relu_, ...): ``op`` written into the tensor's memory,
    recorded as PyTorch records in-place ops."""
    def method(self):
        return self._inplace(name, op)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{name[:-1]}, in place."
    return method


class _Methods:
    """Written as a class so that the methods read as Tensor's own; ``attach``
    copies them onto Tensor."""

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is
        computed; a returned Tensor replaces the gradient. Returns a handle with
        ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self._ctx is not None:   # on the node, as PyTorch: it runs on the node's gradient
            self._ctx.dtype = self.data.dtype
            return _HookHandle(self._ctx.pre_hooks_dict(), hook)
        acc = accumulator(self)   # a leaf's hooks run where its gradient lands
        if acc.hooks is None:
            acc.hooks = {}
        return _HookHandle(acc.hooks, hook)


    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (accumulating,
        as a leaf's does)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has "
                               "requires_grad=False")
        if self._ctx is not None:
            _retain_on(self._ctx, self)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse mode)."""
        api.backward(self, gradient, retain_graph, create_graph, inputs)

    # ----- dtype ----------------------------------------------------------
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``
        (its dtype), as PyTorch's; the device is always the CPU."""
        dtype = kwargs.pop("dtype", None)
        for a in args + tuple(kwargs.values()):
            if isinstance(a, Tensor):
                dtype = a.data.dtype
            elif isinstance(a, (str, device)) or a is None:
                as_device(a)   # checked: only the CPU exists here
            else:
                dtype = a
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if is_floating(dtype) and is_floating(self.data.dtype):
            return E.Cast.apply(self, dtype=dtype)
        return Tensor._make(self.data.astype(dtype), None)

    def type(self, dtype=None):
        if dtype is None:
            return f"tinygrad_nndl.{self.data.dtype}"
        return self.to(dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    # ----- arithmetic -----------------------------------------------------
    def __add__(self, other):
        return _add(self, other if type(other) in _PLAIN else _operand(other))

    def __radd__(self, other):
        return _add(other if type(other) in _PLAIN else _operand(other), self)

    def __sub__(self, other):
        return _sub(self, other if type(other) in _PLAIN else _operand(other))

    def __rsub__(self, other):
        return _sub(other if type(other) in _PLAIN else _operand(other), self)

    def __mul__(self, other):
        return _mul(self, other if type(other) in _PLAIN else _operand(other))

    def __rmul__(self, other):
        return _mul(other if type(other) in _PLAIN else _operand(other), self)

    def __truediv__(self, other):
        return _div(self, other if type(other) in _PLAIN else _operand(other))

    def __rtruediv__(self, other):
        return _div(other if type(other) in _PLAIN else _operand(other), self)

    def __pow__(self, exponent):
        if self.data.dtype.kind == "b":   # PyTorch's bool ** n is int64 (numpy's int8)
            return self.to(np.int64) ** exponent
        return E.Pow.apply(self, _operand(exponent))

    def __rpow__(self, base):
        return E.Pow.apply(_operand(base), self)

    def __matmul__(self, other):
        return L.MatMul.apply(self, _operand(other))

    def __rmatmul__(self, other):
        return L.MatMul.apply(_operand(other), self)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return E.RoundedDiv.apply(_operand(other), self)

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return E.Remainder.apply(_operand(other), self)

    def add(self, other, *, alpha=1):
        """self + alpha * other (torch.add)."""
        return self + (other if alpha == 1 else _scaled(other, alpha))

    def sub(self, other, *, alpha=1):
        """self - alpha * other (torch.sub)."""
        return self - (other if alpha == 1 else _scaled(other, alpha))

    def div(self, other, *, rounding_mode=None):
        """self / other, or its quotient rounded: rounding_mode 'floor' or
        'trunc' (toward zero), integers for integers, a zero gradient."""
        if rounding_mode is None:
            return self / other
        return E.RoundedDiv.apply(self, _operand(other), mode=_rounding(rounding_mode))

    def floor_divide(self, other):
        """self // other, rounded down as Python's (torch.floor_divide)."""
        return E.RoundedDiv.apply(self, _operand(other))

    def remainder(self, other):
        """self % other, with other's sign as Python's (torch.remainder)."""
        return E.Remainder.apply(self, _operand(other))

    def fmod(self, other):
        """The remainder with self's sign, as C's fmod (torch.fmod)."""
        return E.Remainder.apply(self, _operand(other), truncated=True)

    mul = multiply = __mul__
    subtract = sub
    divide = div
    true_divide = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__
    abs = __abs__

    def exp(self):
        return E.Exp.apply(self)

    def log(self):
        return E.Log.apply(self)

    def log1p(self):
        return E.Log1p.apply(self)

    def expm1(self):
        return E.Expm1.apply(self)

    def sqrt(self):
        return E.Sqrt.apply(self)

    def tanh(self):
        return E.Tanh.apply(self)

    def sigmoid(self):
        return E.Sigmoid.apply(self)

    def relu(self):
        return E.Relu.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise OpError("clamp: at least one of min and max must be given")
        return E.Clamp.apply(self, _bound(min), _bound(max))

    clip = clamp

    def maximum(self, other):
        return E.Maximum.apply(self, _operand(other))

    def minimum(self, other):
        return E.Minimum.apply(self, _operand(other))

    def where(self, condition, other):
        """``condition ? self : other`` (torch.Tensor.where)."""
        return E.Where.apply(_value(condition), self, _operand(other))

    def sign(self):
        """Piecewise constant: its gradient is zero (PyTorch's), not a cut graph."""
        if self.data.dtype.kind == "b":   # a bool is its own sign, as in PyTorch
            return self.clone()
        return E.Sign.apply(self)

    def square(self):
        if self.data.dtype.kind == "b":   # PyTorch's square of bool is int64
            return self.to(np.int64).square()
        return E.Mul.apply(self, self)

    # ----- comparisons and logic: bool tensors, no gradient ---------------
    def __lt__(self, other):
        return Tensor._make(np.asarray(self.data < _value(other)), None)

    def __le__(self, other):
        return Tensor._make(np.asarray(self.data <= _value(other)), None)

    def __gt__(self, other):
        return Tensor._make(np.asarray(self.data > _value(other)), None)

    def __ge__(self, other):
        return Tensor._make(np.asarray(self.data >= _value(other)), None)

    def __eq__(self, other):
        if other is None:   # PyTorch: a plain False, not a tensor of them
            return False
        return Tensor._make(np.asarray(self.data == _value(other)), None)

    def __ne__(self, other):
        if other is None:
            return True
        return Tensor._make(np.asarray(self.data != _value(other)), None)

    def __and__(self, other):
        return Tensor._make(np.asarray(self.data & _value(other)), None)

    def __or__(self, other):
        return Tensor._make(np.asarray(self.data | _value(other)), None)

    def __xor__(self, other):
        return Tensor._make(np.asarray(self.data ^ _value(other)), None)

    def __invert__(self):
        return Tensor._make(np.asarray(~self.data), None)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def isnan(self):
        return Tensor._make(np.isnan(self.data), None)

    def isfinite(self):
        return Tensor._make(np.isfinite(self.data), None)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias("all", dim, keepdim, axis, keepdims)
        axes = R.normalize_dims(dim, self.data.ndim)
        return Tensor._make(np.asarray(self.data.all(axis=axes, keepdims=keepdim)), None)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias("any", dim, keepdim, axis, keepdims)
        axes = R.normalize_dims(dim, self.data.ndim)
        return Tensor._make(np.asarray(self.data.any(axis=axes, keepdims=keepdim)), None)

    # ----- reductions -----------------------------------------------------
    # numpy's names ``axis`` and ``keepdims`` are accepted as aliases of
    # ``dim`` and ``keepdim``, as PyTorch accepts them
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = _alias("sum", dim, keepdim, axis, keepdims)
        if dtype is not None:   # summed in that dtype, as PyTorch
            return R.Sum.apply(self.to(dtype), axes=R.normalize_dims(dim, self.data.ndim),
                               keepdims=keepdim, as_dtype=np.dtype(dtype))
        if self.data.dtype.kind == "u":   # PyTorch sums every integer type as int64
            return self.to(np.int64).sum(dim, keepdim)
        return R.Sum.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dim, keepdim = _alias("mean", dim, keepdim, axis, keepdims)
        if dtype is not None:
            return self.to(dtype).mean(dim, keepdim)
        if self.data.dtype.kind not in "fc":   # PyTorch's error; numpy would give a float
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be "
                               f"either a floating point or complex dtype. Got: "
                               f"{torch_name(self.data.dtype)}")
        return R.Mean.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Variance over ``dim``, dividing by n - correction (torch.var): by
        default correction = 1 (Bessel's), 0 with ``unbiased=False``. When
        n <= correction the divisor is 0, as in PyTorch: inf, or NaN for a
        constant sample."""
        dim, keepdim = _alias("var", dim, keepdim, axis, keepdims)
        if self.data.dtype.kind not in "fc":   # PyTorch's error (for std too)
            raise RuntimeError("std and var only support floating point and complex dtypes")
        if correction is None:
            correction = 1 if unbiased else 0
        axes = R.normalize_dims(dim, self.data.ndim)
        count = 1
        for a in axes:
            count *= self.data.shape[a]
        centered = self - self.mean(dim, keepdim=True)
        scale = 1.0 / (count - correction) if count > correction else float("inf")
        return (centered * centered).sum(dim, keepdim) * scale

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        dim, keepdim = _alias("std", dim, keepdim, axis, keepdims)
        return E.Std.apply(self.var(dim, unbiased, keepdim, correction=correction))

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias("amax", dim, keepdim, axis, keepdims)
        return R.Amax.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias("amin", dim, keepdim, axis, keepdims)
        return R.Amin.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def _extreme(self, dim, keepdim, reduce, arg):
        if dim is None:   # a NaN's gradient goes to the NaNs, as PyTorch's max()
            return reduce.apply(self, axes=R.normalize_dims(None, self.data.ndim), nan_hits=True)
        if isinstance(dim, Tensor):   # x.max(other) is torch's elementwise maximum
            return (E.Maximum if arg is np.argmax else E.Minimum).apply(self, dim)
        axis = R.normalize_dims(dim, self.data.ndim)[0] if self.data.ndim else 0
        if self.data.ndim == 0:
            return MaxResult(self, Tensor._make(np.asarray(0), None))
        indices = arg(self.data, axis=axis)
        grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
        values = self[tuple(grid[:axis] + [indices] + grid[axis:])]
        if keepdim:
            values = values.unsqueeze(axis)
            indices = np.expand_dims(indices, axis)
        return MaxResult(values, Tensor._make(np.asarray(indices, dtype=np.int64), None))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """No dim: the largest element. With dim: ``(values, indices)``; the
        gradient goes to the returned index, as in PyTorch."""
        dim, keepdim = _alias("max", dim, keepdim, axis, keepdims)
        return self._extreme(dim, keepdim, R.Amax, np.argmax)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias("min", dim, keepdim, axis, keepdims)
        return self._extreme(dim, keepdim, R.Amin, np.argmin)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The flat index for dim=None (keepdim: shape all ones, as PyTorch)."""
        dim, keepdim = _alias("argmax", dim, keepdim, axis, keepdims)
        axis = None if dim is None else self._one_axis(dim)
        return Tensor._make(np.asarray(np.argmax(self.data, axis=axis, keepdims=keepdim),
                                       dtype=np.int64), None)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The flat index for dim=None (keepdim: shape all ones, as PyTorch)."""
        dim, keepdim = _alias("argmin", dim, keepdim, axis, keepdims)
        axis = None if dim is None else self._one_axis(dim)
        return Tensor._make(np.asarray(np.argmin(self.data, axis=axis, keepdims=keepdim),
                                       dtype=np.int64), None)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias("logsumexp", dim, keepdim, axis, keepdims)
        if dim is None:
            raise TypeError("logsumexp() missing required argument 'dim'")
        return R.LogSumExp.apply(self, axes=R.normalize_dims(dim, self.data.ndim),
                                 keepdims=keepdim)

    def _one_axis(self, dim):
        """The axis ``dim`` names; None for a 0-d tensor (where dim 0 and -1 are allowed)."""
        axes = R.normalize_dims(dim, self.data.ndim)
        return axes[0] if axes else None

    def softmax(self, dim=None, *, axis=None):
        dim, _ = _alias("softmax", dim, False, axis, None)
        if dim is None:
            raise TypeError("softmax() missing required argument 'dim'")
        axis = self._one_axis(dim)
        if axis is None:   # 0-d: the softmax of a single element, as PyTorch allows
            return self.reshape(1).softmax(0).reshape(())
        return R.Softmax.apply(self, axis=axis)

    def log_softmax(self, dim=None, *, axis=None):
        dim, _ = _alias("log_softmax", dim, False, axis, None)
        if dim is None:
            raise TypeError("log_softmax() missing required argument 'dim'")
        axis = self._one_axis(dim)
        if axis is None:
            return self.reshape(1).log_softmax(0).reshape(())
        return R.LogSoftmax.apply(self, axis=axis)

    # ----- shape ----------------------------------------------------------
    def reshape(self, *shape):
        return M.Reshape.apply(self, shape=_shape_arg(shape))

    def view(self, *shape):
        """The same memory in another shape: refused where it would need a copy
        (a transposed tensor's rows, say), as PyTorch's; reshape copies there."""
        return M.Reshape.apply(self, shape=_shape_arg(shape), must_view=True)

    def view_as(self, other):
        return self.view(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Dims start_dim..end_dim as one; a 0-d tensor becomes 1-D, as PyTorch's."""
        s = self.data.shape
        (start,) = R.normalize_dims(start_dim, max(len(s), 1))   # IndexError when out of range
        (end,) = R.normalize_dims(end_dim, max(len(s), 1))
        if start > end:
            raise OpError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                          f"({end_dim}) (shape {s})")
        if self.data.ndim == 0:
            return self.reshape(1)
        return self.reshape(s[:start] + (-1,) + s[end + 1:])

    def unflatten(self, dim, sizes):
        """Dimension ``dim`` split into ``sizes`` (one of them may be -1)."""
        s = self.data.shape
        axis = self._dim_of(dim, "unflatten")
        return self.reshape(s[:axis] + tuple(sizes) + s[axis + 1:])

    def masked_select(self, mask):
        """The entries where the bool ``mask`` (broadcast with self) is True, in
        C order, as a 1-D tensor."""
        mask = np.asarray(_value(mask))
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_select: mask must be a bool tensor, got {mask.dtype}")
        try:
            shape = np.broadcast_shapes(self.data.shape, mask.shape)
        except ValueError:
            raise OpError(f"masked_select: the mask's shape {mask.shape} does not broadcast "
                          f"with the tensor's {self.shape}") from None
        return self.expand(shape)[np.broadcast_to(mask, shape)]

    def repeat_interleave(self, repeats, dim=None):
        """Each entry repeated ``repeats`` times (a number, or one per entry)
        along ``dim`` (None: of the flattened tensor); repeats' gradients add."""
        x = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else x._dim_of(dim, "repeat_interleave")
        counts = np.asarray(_value(repeats))
        n = x.data.shape[axis]
        if counts.ndim > 1 or counts.ndim == 1 and counts.shape[0] not in (1, n):
            raise OpError(f"repeat_interleave: repeats must be a number or one per entry "
                          f"along the dim ({n}), got shape {counts.shape}")
        if counts.dtype.kind not in "iu" or (counts < 0).any():
            raise OpError(f"repeat_interleave: repeats must be non-negative integers, got "
                          f"{counts.tolist()}")
        return x.index_select(axis, np.repeat(np.arange(x.data.shape[axis]), counts))

    def squeeze(self, dim=None):
        s = self.data.shape
        if isinstance(dim, (tuple, list)) and not dim:
            return self.reshape(s)   # squeeze(()) squeezes nothing in PyTorch
        axes = R.normalize_dims(dim, len(s))
        return self.reshape(tuple(n for i, n in enumerate(s) if not (i in axes and n == 1)))

    def unsqueeze(self, dim):
        s = self.data.shape
        dim = dim % (len(s) + 1) if -len(s) - 1 <= dim <= len(s) else None
        if dim is None:
            raise IndexError(f"unsqueeze: dimension out of range for a tensor of shape {s}")
        return self.reshape(s[:dim] + (1,) + s[dim:])

    def permute(self, *dims):
        dims = _shape_arg(dims)
        n = self.data.ndim
        if not (len(dims) == n and all(-n <= d < n for d in dims)
                and len({d % n for d in dims}) == n):
            raise OpError(f"permute: dims {dims} are not a permutation of the "
                          f"{n} dimensions of shape {self.shape}")
        return M.Permute.apply(self, axes=tuple(d % n for d in dims))

    def transpose(self, dim0, dim1):
        n = self.data.ndim
        a, b = (R.normalize_dims(d, n) for d in (dim0, dim1))   # checked; () when 0-d
        axes = list(range(n))
        if axes:
            axes[a[0]], axes[b[0]] = axes[b[0]], axes[a[0]]
        return self.permute(tuple(axes))

    @property
    def T(self):
        return self if self.data.ndim < 2 else self.permute(tuple(range(self.data.ndim))[::-1])

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.data.ndim
        if lead < 0:
            raise OpError(f"expand: the target shape {sizes} has fewer dimensions than "
                          f"the tensor's shape {self.shape}")
        shape = tuple(self.data.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(sizes))
        if shape == self.data.shape:
            return self
        return M.Expand.apply(self, shape=shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def __getitem__(self, index):
        return M.GetItem.apply(self, index=_numpy_index(index))

    # ----- in-place updates ---------------------------------------------
    def _inplace(self, name, op, *operands, **attrs):
        """self <- op(self, *operands), written into self's memory.

        Recorded as PyTorch records it when self or an operand requires grad:
        self's ``grad_fn`` becomes the op's node, whose input is self's old
        node (an op whose backward reads its input gets a copy of the old
        values). A leaf that requires grad refuses, outside no_grad. Every
        check comes before the write: a failed call changes nothing."""
        grad_on = mode.state & GRAD
        recorded = grad_on and (self._requires_grad or any(
            isinstance(o, Tensor) and o._requires_grad for o in operands))
        if grad_on and not self._requires_grad:
            _refuse_unrecorded_view(self, name)
        if recorded:
            if self._ctx is None and self._requires_grad:
                raise RuntimeError(f"{name}: a leaf tensor that requires grad (shape "
                                   f"{self.shape}) cannot be changed in place while grad is "
                                   f"recorded; wrap the change in no_grad()")
            _refuse_shared_views(self, name)
        src = Tensor._make(self.data.copy(), self._ctx) if recorded and op.save_inputs else self
        try:
            result = op.apply(src, *operands, **attrs)
        except (ValueError, IndexError, TypeError) as e:
            raise type(e)(f"{name}: {e} (tensor shape {self.shape}, dtype {self.dtype})") \
                from None
        if result.data.shape != self.data.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the "
                               f"broadcast shape {result.shape}")
        if not np.can_cast(result.data.dtype, self.data.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        if not self.data.flags.writeable:
            raise RuntimeError(f"{name}: the tensor's memory is read-only (an expanded "
                               f"view?); change a .clone()")
        old = self._ctx
        retained = old.retained if old is not None else None
        np.copyto(self.data, result.data, casting="unsafe")
        mark_modified(self.data)
        if recorded:
            self._ctx = result._ctx
            self._requires_grad = True
            if retained is not None and retained() is self:   # retain_grad moves with the tensor
                old.retained = None
                if not old.pre_hooks:
                    old.special &= ~HOOKED
                _retain_on(self._ctx, self)
        return self

    def add_(self, other, alpha=1):
        return self._inplace("add_", E.Add, _operand(other) if alpha == 1 else alpha * _operand(other))

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", E.Sub, _operand(other) if alpha == 1 else alpha * _operand(other))

    def mul_(self, other):
        return self._inplace("mul_", E.Mul, _operand(other))

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return self._inplace("div_", E.Div, _operand(other))
        return self._inplace("div_", E.RoundedDiv, _operand(other),
                             mode=_rounding(rounding_mode))

    def floor_divide_(self, other):
        return self._inplace("floor_divide_", E.RoundedDiv, _operand(other))

    def remainder_(self, other):
        return self._inplace("remainder_", E.Remainder, _operand(other))

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise OpError("clamp_: at least one of min and max must be given")
        return self._inplace("clamp_", E.Clamp, _bound(min), _bound(max))

    clip_ = clamp_

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __setitem__(self, index, value):
        """``self[index] = value``; recorded as PyTorch does: the gradient of
        the overwritten elements goes to ``value``, not to the old ones."""
        self._inplace("__setitem__", M.SetItem, _operand(value), index=_numpy_index(index))

    def zero_(self):
        return self.fill_(0)

    exp_, log_, sqrt_ = (_unary_inplace(n, op) for n, op in
                         (("exp_", E.Exp), ("log_", E.Log), ("sqrt_", E.Sqrt)))
    tanh_, sigmoid_, relu_ = (_unary_inplace(n, op) for n, op in
                              (("tanh_", E.Tanh), ("sigmoid_", E.Sigmoid), ("relu_", E.Relu)))
    neg_, abs_, log1p_, expm1_ = (_unary_inplace(n, op) for n, op in
                                  (("neg_", E.Neg), ("abs_", E.Abs), ("log1p_", E.Log1p),
                                   ("expm1_", E.Expm1)))
    sin_, cos_ = _unary_inplace("sin_", _TRIG.Sin), _unary_inplace("cos_", _TRIG.Cos)

    def pow_(self, exponent):
        return self._inplace("pow_", E.Pow, _operand(exponent))

    def fill_(self, value):
        return self._inplace("fill_", M.SetItem, _operand(value), index=Ellipsis)

    def copy_(self, src):
        return self._inplace("copy_", M.SetItem, _operand(src), index=Ellipsis)

    def normal_(self, mean=0.0, std=1.0):
        return self.copy_(generator().normal(mean, std, self.data.shape))

    def uniform_(self, a=0.0, b=1.0):
        return self.copy_(generator().uniform(a, b, self.data.shape))

    # ----- the everyday PyTorch API (issue 16) ------------------------------
    def clone(self, *, memory_format=None):
        """A copy with its own memory, still in the graph (gradient passes through)."""
        return S.Clone.apply(self)

    def detach_(self):
        """Cut this tensor from the graph in place: it becomes a leaf that does
        not require grad. A view cannot be (PyTorch's rule): ``detach()`` it."""
        if getattr(self, "_base", None) is not None:
            raise RuntimeError(f"detach_: can't detach a view (shape {self.shape}) in place; "
                               f"use detach() instead")
        node = self._ctx
        if node is not None and node.pre_hooks:   # hooks belong to the tensor (PyTorch's):
            self._ctx = None                       # they move to where a leaf's run, handles
            accumulator(self).hooks = node.pre_hooks   # and all
            node.pre_hooks = None
            if node.retained is None:
                node.special &= ~HOOKED
        self._ctx = None
        self._requires_grad = False
        return self

    def t(self):
        """The transpose of a matrix; a 0-D or 1-D tensor as it is."""
        if self.data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.data.ndim}D (shape {self.shape})")
        return self.transpose(0, 1) if self.data.ndim == 2 else self

    def sin(self):
        return T.Sin.apply(self)

    def cos(self):
        return T.Cos.apply(self)

    def atan2(self, other):
        """The angle of the point (other, self) in (-pi, pi], elementwise (torch.atan2)."""
        return T.Atan2.apply(self, _operand(other))

    def atan2_(self, other):
        return self._inplace("atan2_", T.Atan2, _operand(other))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf``
        (None: the dtype's largest and lowest finite values, and 0 for NaN);
        gradient 0 there."""
        return S.NanToNum.apply(self, nan=0.0 if nan is None else nan, posinf=posinf,
                                neginf=neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace("nan_to_num_", S.NanToNum, nan=0.0 if nan is None else nan,
                             posinf=posinf, neginf=neginf)

    def lerp(self, end, weight):
        """self + weight (end - self) (torch.lerp): exactly end at weight 1;
        ``weight`` a number or a tensor, all three broadcast."""
        return Lerp.apply(self, *_lerp_operands("lerp", self, end, weight))

    def lerp_(self, end, weight):
        return self._inplace("lerp_", Lerp, *_lerp_operands("lerp_", self, end, weight))

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta self + alpha (mat1 @ mat2) (torch.addmm), self broadcast to the
        product's shape. With beta 0 self is not read (its NaNs do not reach
        the result) yet gets a zero gradient, as in PyTorch; integer tensors
        take beta and alpha truncated to integers, as PyTorch does."""
        _check_ranks("addmm", (mat1, "mat1"), (mat2, "mat2"), ndim=2, kind="a matrix")
        _fits_product("addmm", self, mat1, mat2, (mat1.data.shape[0], mat2.data.shape[1]))
        return _add_scaled(self, L.MatMul.apply(mat1, mat2), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta self + alpha (batch1 @ batch2) (torch.baddbmm) for (b, n, m)
        and (b, m, p) batches, self broadcast to (b, n, p); beta and alpha as
        in addmm."""
        shape = _batch_shape("baddbmm", batch1, batch2)
        _fits_product("baddbmm", self, batch1, batch2, shape)
        return _add_scaled(self, L.MatMul.apply(batch1, batch2), beta, alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta self + alpha sum_i batch1[i] @ batch2[i] (torch.addbmm), self
        broadcast to (n, p); beta and alpha as in addmm."""
        shape = _batch_shape("addbmm", batch1, batch2)[1:]
        _fits_product("addbmm", self, batch1, batch2, shape)
        return _add_scaled(self, L.MatMul.apply(batch1, batch2).sum(0), beta, alpha)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum over ``dim`` with NaNs counted as 0 (torch.nansum); their gradient is 0."""
        nan = np.isnan(self.data) if self.data.dtype.kind == "f" else None
        x = S.MaskedFill.apply(self, 0, mask=nan) if nan is not None and nan.any() else self
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the entries that are not NaN over ``dim`` (torch.nanmean),
        NaN where all are. Gradient: 1/count to each number, 0 to each NaN, also
        where all are NaN (PyTorch's is NaN throughout such a slice)."""
        if dtype is not None:
            return self.to(dtype).nanmean(dim, keepdim)
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                               f"dtype but got {torch_name(self.data.dtype)}")
        axes = R.normalize_dims(dim, self.data.ndim)
        count = np.sum(~np.isnan(self.data), axis=axes, keepdims=keepdim)
        if self.data.dtype == np.float16:   # a count past 65504 is inf in float16
            return (self.to(np.float32).nansum(dim, keepdim) / count).to(np.float16)
        return self.nansum(dim, keepdim) / count.astype(self.data.dtype)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along ``dim`` (torch.diff), of the tensor
        with ``prepend`` and ``append`` joined on along that dim; bools give
        their xor, as PyTorch's."""
        if self.data.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"diff: order must be non-negative but got {n}")
        axis = self._dim_of(dim, "diff")
        parts = [self]
        if prepend is not None:
            parts.insert(0, _diff_extra(self, prepend, axis))
        if append is not None:
            parts.append(_diff_extra(self, append, axis))
        if n == 0:   # prepend and append checked, then left out, as in PyTorch (and numpy)
            return self.clone()
        x = M.Cat.apply(*parts, axis=axis) if len(parts) > 1 else self
        lead = (slice(None),) * axis
        for _ in range(min(n, x.data.shape[axis])):   # then it is empty
            later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
            x = later.logical_xor(earlier) if x.data.dtype == np.bool_ else later - earlier
        return x

    def masked_fill(self, mask, value):
        """``value`` where the bool ``mask`` (broadcast) is True, self elsewhere;
        the dtype stays self's. A 0-d Tensor value receives the gradient of the
        filled elements."""
        return S.MaskedFill.apply(self, _fill_value(self, value, "masked_fill"),
                                  mask=_bool_mask(mask, "masked_fill"))

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", S.MaskedFill,
                             _fill_value(self, value, "masked_fill_"),
                             mask=_bool_mask(mask, "masked_fill_"))

    # ----- writes through an index --------------------------------------
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """self with ``src``'s entries (or ``value``) written where ``index``
        says along ``dim``: out[index[i][j]][j] = src[i][j] for dim 0, and so
        on; ``reduce`` 'add' or 'multiply' combines them with self's entries
        instead. The gradient goes to self where nothing was written over, to
        src gathered at index (with 'add' scatter_add's; 'multiply' has none,
        as in PyTorch)."""
        src, attrs = _scatter_args(self, "scatter", dim, index, src, value, reduce)
        return SC.Scatter.apply(self, src, **attrs)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        src, attrs = _scatter_args(self, "scatter_", dim, index, src, value, reduce)
        return self._inplace("scatter_", SC.Scatter, src, **attrs)

    def scatter_add(self, dim, index, src):
        """self with ``src``'s entries added where ``index`` says along
        ``dim`` (repeats add up); the gradient is g to self, g gathered at
        index to src."""
        src, attrs = _scatter_args(self, "scatter_add", dim, index, src, None, "add", False)
        return SC.Scatter.apply(self, src, **attrs)

    def scatter_add_(self, dim, index, src):
        src, attrs = _scatter_args(self, "scatter_add_", dim, index, src, None, "add", False)
        return self._inplace("scatter_add_", SC.Scatter, src, **attrs)

    def index_add(self, dim, index, source, *, alpha=1):
        """self with ``alpha`` times the slices of ``source`` along ``dim``
        added to the slices ``index`` (a vector) names; repeats add up. The
        gradient is g to self, alpha times g's slices at index to source."""
        source, where = _index_add_args(self, "index_add", dim, index, source, alpha)
        return SC.Scatter.apply(self, source, where=where, reduce="add")

    def index_add_(self, dim, index, source, *, alpha=1):
        source, where = _index_add_args(self, "index_add_", dim, index, source, alpha)
        return self._inplace("index_add_", SC.Scatter, source, where=where, reduce="add")

    def index_fill(self, dim, index, value):
        """self with ``value`` (a number, or a 0-d tensor that receives the
        gradient of the filled entries) on the slices ``index`` names along
        ``dim``."""
        return S.MaskedFill.apply(self, _fill_value(self, value, "index_fill"),
                                  mask=SC.index_fill_mask("index_fill", self.data.shape, dim,
                                                          index))

    def index_fill_(self, dim, index, value):
        return self._inplace("index_fill_", S.MaskedFill, _fill_value(self, value, "index_fill_"),
                             mask=SC.index_fill_mask("index_fill_", self.data.shape, dim, index))

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, ... occurs in this 1-D tensor of
        non-negative integers (int64), or the sum of ``weights`` over each
        value's places (float32 weights give float32, any others float64); at
        least ``minlength`` long. No gradient."""
        x = self.data
        if x.dtype.kind not in "iu":   # NotImplementedError is a RuntimeError, as PyTorch's
            raise NotImplementedError(f"bincount: not implemented for {x.dtype} input, only "
                                      f"for integers")
        if isinstance(minlength, bool) or not isinstance(minlength, (int, np.integer)):
            raise TypeError(f"bincount: minlength must be an int, got "
                            f"{type(minlength).__name__}")
        if minlength < 0:
            raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
        if x.ndim != 1 or (x.size and x.min() < 0):
            raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got "
                               f"shape {self.shape}" + (f" holding {x.min()}" if x.size else ""))
        w = None if weights is None else np.asarray(_value(weights))
        if w is not None and w.shape != x.shape:
            raise RuntimeError(f"bincount: weights should be 1-d and have the same length as "
                               f"input, got shapes {w.shape} and {x.shape}")
        if w is None or not x.size:   # PyTorch counts an empty input in int64, weights or not
            return Tensor._make(np.bincount(x.astype(np.intp), minlength=minlength)
                                .astype(np.int64, copy=False), None)
        sums = np.bincount(x.astype(np.intp), w.astype(np.float64), minlength)
        return Tensor._make(sums.astype(np.float32 if w.dtype == np.float32 else np.float64,
                                        copy=False), None)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """``num_samples`` category indices (int64) drawn from each row of
        this 1-D or 2-D tensor of non-negative weights (normalized by their
        sum), from the library's generator or ``generator``. Without
        replacement a drawn category is not drawn again in its row."""
        rng = numpy_generator(generator, "multinomial")
        return Tensor._make(draw_categories(self.data, num_samples, replacement, rng), None)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dim i (np.tile); sizes may
        add leading dims. Written as unsqueeze, expand, reshape: the gradient
        sums the copies."""
        sizes = _shape_arg(sizes)
        shape = self.data.shape
        if len(sizes) < len(shape):
            raise RuntimeError(f"repeat: number of dimensions of repeat dims ({len(sizes)}) "
                               f"can not be smaller than number of dimensions of tensor "
                               f"(shape {shape})")
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"repeat: repeat dims must be non-negative, got {sizes}")
        shape = (1,) * (len(sizes) - len(shape)) + shape
        spread = self.reshape(tuple(d for n in shape for d in (1, n)))
        tiled = spread.expand(tuple(d for r, n in zip(sizes, shape) for d in (r, n)))
        out = tiled.reshape(tuple(r * n for r, n in zip(sizes, shape)))
        # numpy's reshape leaves a view where it can (no repetition, or a broadcast
        # axis merged with stride 0); PyTorch's repeat always copies
        return out.clone() if np.may_share_memory(out.data, self.data) else out

    def flip(self, *dims):
        dims = _shape_arg(dims)
        return S.Flip.apply(self, axes=R.normalize_dims(dims, self.data.ndim)
                            if dims else ())

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` views of equal size along ``dim`` (the last smaller),
        as torch.chunk: ceil(n / chunks) elements each."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self.data.shape[self._dim_of(dim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    def split(self, split_size_or_sections, dim=0):
        """Views along ``dim``: of ``split_size`` elements each (the last may be
        smaller), or of the sizes in a list, which must add up to the dim's size."""
        axis = self._dim_of(dim, "split")
        n = self.data.shape[axis]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                                   f"{n} (input tensor's size at dimension {dim}), but got "
                                   f"split_sizes={sizes}")
        else:
            step = int(split_size_or_sections)
            if step <= 0 and n:
                raise RuntimeError(f"split expects split_size be non-negative and non-zero "
                                   f"for a non-empty dimension, but got split_size={step}")
            sizes = [min(step, n - start) for start in range(0, n, step)] if n else [0]
        lead = (slice(None),) * axis
        out, start = [], 0
        for s in sizes:
            out.append(self[lead + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def unbind(self, dim=0):
        """The slices along ``dim``, each without that dimension."""
        axis = self._dim_of(dim, "unbind")
        lead = (slice(None),) * axis
        return tuple(self[lead + (i,)] for i in range(self.data.shape[axis]))

    def _dim_of(self, dim, name):
        if self.data.ndim == 0:
            raise IndexError(f"{name}: a 0-d tensor has no dimension {dim}")
        return R.normalize_dims(dim, self.data.ndim)[0]

    def mm(self, mat2):
        """Matrix product of two 2-D tensors (no broadcasting, as torch.mm)."""
        _check_ranks("mm", (self, "self"), (mat2, "mat2"), ndim=2, kind="a matrix")
        return L.MatMul.apply(self, mat2)

    def bmm(self, mat2):
        """Batched matrix product of (b, n, m) and (b, m, p) tensors."""
        _check_ranks("bmm", (self, "batch1"), (mat2, "batch2"), ndim=3, kind="a 3D tensor")
        if self.data.shape[0] != mat2.data.shape[0]:
            raise RuntimeError(f"bmm: batch1 and batch2 must have the same batch size, got "
                               f"shapes {self.shape} and {mat2.shape}")
        return L.MatMul.apply(self, mat2)

    def dot(self, other):
        """The inner product of two 1-D tensors of equal length."""
        if not isinstance(other, Tensor) or self.data.ndim != 1 or other.data.ndim != 1:
            raise RuntimeError(f"dot: 1D tensors expected, but got {self.data.ndim}D and "
                               f"{np.ndim(_value(other))}D tensors")
        if self.data.shape != other.data.shape:
            raise RuntimeError(f"dot: inconsistent tensor size, expected tensor "
                               f"{list(self.shape)} and src {list(other.shape)} to have the "
                               f"same number of elements")
        return L.MatMul.apply(self, other)

    inner = dot

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """torch.norm: the vector p-norm over ``dim`` (all elements for None);
        'fro' is p = 2 over at most two dims; 'nuc' the nuclear norm over two
        dims (all of a 2-D tensor's for None). PyTorch's gradient: 0 at a zero
        vector for p = 2."""
        if isinstance(p, str):
            if p == "fro" and (dim is None or isinstance(dim, (int, np.integer))
                               or len(dim) <= 2):
                p = 2
            else:   # PyTorch's: a matrix norm over ``dim``, all the dims for None
                dims = tuple(range(self.data.ndim)) if dim is None else dim
                if p != "nuc" or isinstance(dims, (int, np.integer)) or len(dims) != 2:
                    raise RuntimeError(f"linalg.matrix_norm: only ord 'nuc' over two dims is a "
                                       f"string ord torch.norm takes here, got {p!r} over "
                                       f"dims {dims} (shape {self.shape})")
                return NormOp.singular_value_norm(self, p, dims, keepdim, dtype)
        return NormOp.norm(self, 2.0 if p is None else p, dim, keepdim, dtype, "norm")

    def isinf(self):
        return Tensor._make(np.isinf(self.data), None)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol |other|, elementwise (bool, no gradient)."""
        return Tensor._make(np.asarray(np.isclose(self.data, _value(other), rtol=rtol,
                                                  atol=atol, equal_nan=equal_nan)), None)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """True when every element is close (see isclose): a Python bool."""
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    def nonzero(self, *, as_tuple=False):
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or
        with ``as_tuple`` one 1-D tensor per dimension (no gradient)."""
        index = np.nonzero(np.atleast_1d(self.data))
        if as_tuple:
            return tuple(Tensor._make(i.astype(np.int64), None) for i in index)
        return Tensor._make(np.stack(index, axis=1).astype(np.int64)
                            if self.data.ndim else np.zeros((len(index[0]), 0), np.int64), None)

    def is_floating_point(self):
        return is_floating(self.data.dtype)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """A new leaf from ``data``, in self's dtype unless ``dtype`` is given."""
        return Tensor(data, requires_grad=requires_grad, dtype=dtype or self.data.dtype)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        as_device(device)
        data = np.full(_shape_arg((size,)), fill_value, dtype=dtype or self.data.dtype)
        return Tensor(data, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    # ----- more of PyTorch's everyday Tensor API ----------------------------
    def half(self):
        return self.to(np.float16)

    def short(self):
        return self.to(np.int16)

    def char(self):
        return self.to(np.int8)

    def byte(self):
        return self.to(np.uint8)

    def type_as(self, other):
        return self.to(other.data.dtype)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def nelement(self):
        return self.data.size

    def ndimension(self):
        return self.data.ndim

    def element_size(self):
        return self.data.itemsize

    def contiguous(self, memory_format=None):
        """Self if laid out in C order, else a C-ordered copy in the graph (so
        that ``x.t().contiguous().view(-1)`` works, as in PyTorch)."""
        return self if self.data.flags.c_contiguous else S.Clone.apply(self)

    def is_contiguous(self, memory_format=None):
        return bool(self.data.flags.c_contiguous)

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def movedim(self, source, destination):
        n = self.data.ndim
        src = [source] if isinstance(source, (int, np.integer)) else list(source)
        dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} "
                               f"dims) should contain the same number of dims as destination "
                               f"({dst} dims)")
        for d in src + dst:
            R.normalize_dims(d, n)   # raises for a dim out of range
        if len({d % n for d in src}) != len(src) or len({d % n for d in dst}) != len(dst):
            raise RuntimeError(f"movedim: repeated dim in source {src} or destination {dst}")
        return self.permute(_moved_axes(n, src, dst)) if n else self

    moveaxis = movedim

    def narrow(self, dim, start, length):
        axis = self._dim_of(dim, "narrow")
        n = self.data.shape[axis]
        start = int(start) + n if int(start) < 0 else int(start)
        if not (0 <= start <= n and 0 <= length and start + length <= n):
            raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                             f"size ({n}) of dim {dim} (shape {self.shape})")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def select(self, dim, index):
        axis = self._dim_of(dim, "select")
        return self[(slice(None),) * axis + (index,)]

    def index_select(self, dim, index):
        """The entries ``index`` (a 1-D integer tensor) along ``dim``; repeated
        indices add their gradients."""
        index = np.asarray(_value(index))
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise RuntimeError(f"index_select: index must be a 1-D integer tensor, got shape "
                               f"{index.shape} of dtype {index.dtype}")
        axis = self._dim_of(dim, "index_select") if self.data.ndim else 0
        if not self.data.ndim:
            return self.reshape(1)[index.reshape(-1)]
        return self[(slice(None),) * axis + (index.reshape(-1),)]

    def gather(self, dim, index):
        """out[i][j][k] = self[index[i][j][k]][j][k] for dim 0 (and so on):
        np.take_along_axis, with index smaller than self allowed, as PyTorch."""
        index = np.asarray(_value(index))
        if index.ndim != self.data.ndim or index.dtype.kind not in "iu":
            raise RuntimeError(f"gather: index must be an integer tensor with as many "
                               f"dimensions as the input ({self.data.ndim}), got shape "
                               f"{index.shape} of dtype {index.dtype}")
        if not self.data.ndim:
            return self.reshape(1)[index.reshape(1)].reshape(())
        axis = self._dim_of(dim, "gather")
        for d, (m, n) in enumerate(zip(index.shape, self.data.shape)):
            if d != axis and m > n:
                raise RuntimeError(f"gather: Size does not match at dimension {d} expected "
                                   f"index {index.shape} to be smaller than self {self.shape} "
                                   f"apart from dimension {axis}")
        grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
        grid[axis] = index
        return self[tuple(grid)]

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim`` (stably); the values are
        gathered, so the gradient goes back to where each came from."""
        if not self.data.ndim:
            return SortResult(self, Tensor._make(np.zeros((), np.int64), None))
        axis = self._dim_of(dim, "sort")
        if descending:
            # the stable ascending order of the entries reversed, read backwards: stable
            # too, NaN first (the largest, as in PyTorch), and no negated keys (which wrapped
            # unsigned integers around)
            n = self.data.shape[axis]
            order = np.argsort(np.flip(self.data, axis), axis=axis, kind="stable")
            order = n - 1 - np.flip(order, axis)
        else:
            order = np.argsort(self.data, axis=axis, kind="stable")
        order = order.astype(np.int64)
        return SortResult(self.gather(axis, order), Tensor._make(order, None))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
        values, indices = self.sort(dim, descending=largest)
        if not self.data.ndim:
            return SortResult(values, indices)
        axis = self._dim_of(dim, "topk")
        if not 0 <= k <= self.data.shape[axis]:
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size "
                               f"{self.data.shape[axis]}")
        keep = (slice(None),) * axis + (slice(0, k),)
        return SortResult(values[keep], indices[keep])

    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``: in ``dtype`` if given, else integers and
        bools as int64, as PyTorch."""
        return self._running(C.Cumsum, "cumsum", dim, dtype)

    def cumprod(self, dim, *, dtype=None):
        """Running products along ``dim``, in ``dtype`` or as cumsum's. Exact
        gradients where entries are 0 (see ops.scan.Cumprod)."""
        return self._running(C.Cumprod, "cumprod", dim, dtype)

    def _running(self, op, name, dim, dtype):
        x = self.to(dtype) if dtype is not None else self
        if dtype is None and x.data.dtype.kind in "biu":
            x = x.to(np.int64)
        if not x.data.ndim:
            if dim not in (0, -1):   # a 0-d tensor has the dims of a 1-D one here, as in PyTorch
                raise IndexError(f"{name}: dimension out of range (expected to be in range "
                                 f"of [-1, 0], but got {dim})")
            return x.clone()
        return op.apply(x, axis=x._dim_of(dim, name),
                        as_dtype=None if dtype is None else x.data.dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product over ``dim`` (all entries for None): the last running
        product, so its gradient (the product of the others, exact at zeros)
        is cumprod's. Integers and bools multiply as int64; an empty product is 1."""
        if dim is None:
            p = self.reshape(-1).prod(0, dtype=dtype)
            return p.reshape((1,) * self.data.ndim) if keepdim else p
        if not self.data.ndim:
            return self._running(C.Cumprod, "prod", dim, dtype)
        axis = self._dim_of(dim, "prod")
        running = self.cumprod(axis, dtype=dtype)
        if self.data.shape[axis] == 0:   # 1, with the graph kept whole (a zero gradient)
            p = (running.sum(axis, keepdim) + 1).to(running.dtype)
        else:
            p = running.select(axis, -1)
            p = p.unsqueeze(axis) if keepdim else p
        return p

    def roll(self, shifts, dims=None):
        """Shift elements circularly along ``dims`` (the flattened tensor for None)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: "
                               f"{len(shifts)}, dims: {len(dims)}")
        out = self
        for shift, dim in zip(shifts, dims):
            axis = self._dim_of(dim, "roll")
            n = self.data.shape[axis]
            if n:
                out = out[(slice(None),) * axis + ((np.arange(n) - shift) % n,)]
        return out

    def tile(self, *dims):
        dims = _shape_arg(dims)
        return self.repeat((1,) * (self.data.ndim - len(dims)) + dims)

    def tril(self, diagonal=0):
        return self._triangle(np.tril, diagonal, "tril")

    def triu(self, diagonal=0):
        return self._triangle(np.triu, diagonal, "triu")

    def _triangle(self, part, diagonal, name):
        if self.data.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got "
                               f"shape {self.shape}")
        keep = part(np.ones(self.data.shape[-2:], dtype=bool), diagonal)
        # the mask is the op's argument, not a saved value: a second backward runs through
        return S.MaskedFill.apply(self, 0.0, mask=~keep)

    def outer(self, vec2):
        if self.data.ndim != 1 or np.ndim(_value(vec2)) != 1:
            raise RuntimeError(f"outer: expected 1-D tensors, got shapes {self.shape} and "
                               f"{np.shape(_value(vec2))}")
        return self.reshape(-1, 1) * _operand(vec2).reshape(1, -1)

    ger = outer

    def trace(self):
        if self.data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                               f"{self.data.ndim}")
        n = min(self.data.shape)
        return self[np.arange(n), np.arange(n)].sum()

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of dims dim1 and dim2 as the last dim: a view, as PyTorch's."""
        a, b = (self._dim_of(d, "diagonal") for d in (dim1, dim2))
        if a == b:
            raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dimension ({a})")
        return M.Diagonal.apply(self, offset=int(offset), dims=(a, b))

    def diag(self, diagonal=0):
        """A 1-D tensor's diagonal matrix, or a matrix's ``diagonal``-th diagonal."""
        if self.data.ndim == 2:   # a copy, as PyTorch's (diagonal is the view)
            return self.diagonal(diagonal).clone()
        if self.data.ndim != 1:
            raise RuntimeError(f"diag: matrix or a vector expected, got shape {self.shape}")
        n = self.data.shape[0] + abs(diagonal)
        i = np.arange(self.data.shape[0])
        index = (i, i + diagonal) if diagonal >= 0 else (i - diagonal, i)
        return M.IndexAdd.apply(self, shape=(n, n), index=index, accumulate=False)

    # ----- linear algebra of a batch of matrices (torch.linalg has the rest) ------------
    def inverse(self):
        """A^-1 of each matrix (torch.inverse, torch.linalg.inv): LinAlgError
        where one is singular."""
        return Inv.apply(self)

    def det(self):
        """det A of each matrix (torch.det, torch.linalg.det)."""
        return Det.apply(self)

    def slogdet(self):
        """(sign, logabsdet) of det A, a named tuple (torch.slogdet): sign 0
        and logabsdet -inf where A is singular."""
        return SlogdetResult(*factors(Slogdet, self))

    def logdet(self):
        """log det A (torch.logdet): NaN where det A < 0, -inf where it is 0."""
        sign, logabsdet = factors(Slogdet, self, api="logdet")
        return logabsdet.where(sign.data >= 0, math.nan)

    def cholesky(self, upper=False):
        """torch.cholesky, deprecated by PyTorch (with this warning) for
        torch.linalg.cholesky: L with A = L L^T, or U = L^T."""
        warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will "
                      "be removed in a future PyTorch release: use linalg.cholesky(A), and "
                      "linalg.cholesky(A).mH for upper=True.", UserWarning, stacklevel=2)
        # its kernel refuses every other dtype, integers too (linalg.cholesky's check does not)
        check_matrices("cholesky", self.data, kernel="cholesky_cpu", any_dtype_kernel=True)
        return Cholesky.apply(self, upper=upper, api="cholesky")

    def pinverse(self, rcond=1e-15):
        """The pseudo-inverse A^+ (torch.pinverse): singular values up to rcond
        times the largest count as zero."""
        return Pinv.apply(self, atol=0.0, rtol=rcond)

    def matrix_power(self, n):
        """A^n for an integer n (torch.linalg.matrix_power): products of
        squares, of A^-1 for n < 0; n = 0 gives the identity (a zero gradient)."""
        if isinstance(n, Tensor) and n.data.ndim == 0 and n.data.dtype.kind in "iu":
            n = int(n.data)   # a 0-d integer tensor is a number here, as in PyTorch
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"linalg.matrix_power(): argument 'n' (position 2) must be int, not "
                            f"{type(n).__name__}")
        check_shape("linalg.matrix_power", self.data.shape)
        if n == 0:
            identity = np.eye(self.data.shape[-1], dtype=self.data.dtype)
            return E.Where.apply(np.array(True), identity, self)
        # PyTorch's order of products (n's binary digits, lowest first): the same roundings
        base, n = (Inv.apply(self) if n < 0 else self), abs(n)
        if n <= 3:
            return base.clone() if n == 1 else base @ base if n == 2 else base @ base @ base
        square = result = None
        while n:
            n, bit = divmod(n, 2)
            square = base if square is None else square @ square
            if bit:
                result = square if result is None else result @ square
        return result

    def tan(self):
        return self.sin() / self.cos()

    def reciprocal(self):
        return 1 / self if is_floating(self.data.dtype) else 1 / self.float()

    def rsqrt(self):
        return self.sqrt().reciprocal()

    def floor(self):
        return self._rounded(np.floor)

    def ceil(self):
        return self._rounded(np.ceil)

    def trunc(self):
        return self._rounded(np.trunc)

    fix = trunc

    def round(self, *, decimals=0):
        return self._rounded(np.round if not decimals else
                             (lambda a: np.round(a, decimals)))

    def _rounded(self, fn):
        if not is_floating(self.data.dtype):
            return self.clone()
        return C.Rounding.apply(self, fn=fn)

    def clamp_min(self, min):  # noqa: A002 - torch's name
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002 - torch's name
        return self.clamp(max=max)

    def logical_and(self, other):
        return Tensor._make(np.logical_and(self.data, _value(other)), None)

    def logical_or(self, other):
        return Tensor._make(np.logical_or(self.data, _value(other)), None)

    def logical_xor(self, other):
        return Tensor._make(np.logical_xor(self.data, _value(other)), None)

    def logical_not(self):
        return Tensor._make(np.logical_not(self.data), None)

    def count_nonzero(self, dim=None):
        axes = R.normalize_dims(dim, self.data.ndim)
        return Tensor._make(np.asarray(np.count_nonzero(self.data, axis=axes) if axes else
                                       np.count_nonzero(self.data), dtype=np.int64), None)

    # ----- order statistics -------------------------------------------------
    def median(self, dim=None, keepdim=False):
        """No dim: the lower median of every entry (NaN if one is), its
        gradient shared evenly among the entries equal to it, as PyTorch's.
        With dim: ``(values, indices)`` of each slice's lower median, the
        index PyTorch's (a slice's first NaN; among ties the entry of rank
        (n - 1) // 2 in stable order); the gradient goes to that entry."""
        return self._median("median", dim, keepdim, False)

    def nanmedian(self, dim=None, keepdim=False):
        """median of the entries that are not NaN (NaN where all are)."""
        return self._median("nanmedian", dim, keepdim, True)

    def _median(self, name, dim, keepdim, ignore_nan):
        _refuse_bool(self, name)
        if dim is None:
            op = OR.NanMedian if ignore_nan else OR.Median
            return op.apply(self, axes=R.normalize_dims(None, self.data.ndim))
        return self._pick(name, dim, keepdim,
                          lambda a, axis: OR.median_index(a, axis, ignore_nan))

    def kthvalue(self, k, dim=-1, keepdim=False):
        """``(values, indices)`` of the k-th smallest entry (k from 1) of each
        slice along ``dim``, NaN the largest; among ties the index PyTorch's
        selection leaves there. The gradient goes to that entry."""
        _refuse_bool(self, "kthvalue")
        axis = self._dim_of(dim, "kthvalue") if self.data.ndim else R.normalize_dims(dim, 0)
        n = self.data.shape[axis] if self.data.ndim else 1
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k ({k!r}) out of range for "
                               f"dimension {dim} of size {n}")
        return self._pick("kthvalue", dim, keepdim, lambda a, axis: OR.kth_index(a, k - 1, axis))

    def mode(self, dim=-1, keepdim=False):
        """``(values, indices)`` of the most frequent entry of each slice along
        ``dim`` (the smallest of those tied), at its last occurrence; the
        gradient goes there. PyTorch names the same occurrence in slices of
        up to 16 entries (see ops.order.mode_index)."""
        return self._pick("mode", dim, keepdim, OR.mode_index)

    def _pick(self, name, dim, keepdim, index_of):
        """``(values, indices)`` of the entry ``index_of(array, axis)`` names in
        each slice along ``dim`` (keepdims, int64). The values are gathered,
        so the gradient goes to that entry; a 0-d tensor is one slice of one."""
        if not self.data.ndim:
            R.normalize_dims(dim, 0)   # only 0 and -1 name its one dim
            return self.reshape(1)._pick(name, 0, False, index_of)
        axis = self._dim_of(dim, name)
        if not self.data.shape[axis]:
            raise IndexError(f"{name}(): expected reduction dim {axis} to have non-zero size "
                             f"(shape {self.shape})")
        if not self.data.size:   # other dims are empty: so is the result
            index = np.zeros(R.keepdim_shape(self.data.shape, (axis,)), np.int64)
        else:
            index = index_of(self.data, axis)
        values = self.gather(axis, index)
        if not keepdim:
            values, index = values.squeeze(axis), index.squeeze(axis)
        return _RESULTS[name](values, Tensor._make(index, None))

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The q-th quantiles (q a number or a 1-D tensor in [0, 1]; a tensor
        puts them along a new first dim) over ``dim`` (None: all entries),
        between the sorted entries of rank q (n - 1) by ``interpolation``:
        'linear', 'lower', 'higher', 'midpoint' or 'nearest' (half to even).
        A slice with NaN gives NaN. The gradient goes through the sort and
        the interpolation to the one or two entries used."""
        return self._quantile("quantile", q, dim, keepdim, interpolation, False)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """quantile of the entries that are not NaN (NaN where all are)."""
        return self._quantile("nanquantile", q, dim, keepdim, interpolation, True)

    def _quantile(self, name, q, dim, keepdim, interpolation, ignore_nan):
        dtype, ndim = self.data.dtype, self.data.ndim
        qs = _quantile_q(name, q, dtype)
        if dtype not in (np.float32, np.float64):
            raise RuntimeError(f"{name}() input tensor must be either float or double dtype, "
                               f"got {torch_name(dtype)}")
        if not self.data.size:
            raise RuntimeError(f"{name}() input tensor must be non-empty (shape {self.shape})")
        if interpolation not in OR.INTERPOLATIONS:
            raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                               f"midpoint or nearest, but got {interpolation!r}")
        axes = R.normalize_dims(dim, ndim) if dim is not None else None
        x = self.reshape(-1) if dim is None or not ndim else self.movedim(axes[0], -1)
        ranked = x.sort(-1).values
        below, above, weight = OR.quantile_points(ranked.data, qs.reshape(-1), interpolation,
                                                  ignore_nan)
        spread = ranked.expand((below.shape[0],) + ranked.shape)
        out = spread.gather(-1, below)
        if interpolation in ("linear", "midpoint"):
            out = Lerp.apply(out, spread.gather(-1, above), weight)
        out = out.squeeze(-1)
        if keepdim and dim is None:
            out = out.reshape((out.shape[0],) + (1,) * ndim)
        elif keepdim and ndim:
            out = out.unsqueeze(axes[0] + 1)
        return out.squeeze(0) if qs.ndim == 0 else out

    # ----- distinct values and counts (no gradient) --------------------------
    def unique(self, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
               dim=None):
        """The distinct entries in increasing order (slices along ``dim``,
        compared lexicographically); with ``return_inverse`` also where each
        entry went, with ``return_counts`` how often each occurs (int64).
        Sorted for ``sorted=False`` too, as PyTorch's CPU kernel; NaNs are
        each distinct. No gradient."""
        axis = None if dim is None else self._dim_of(dim, "unique")
        return _counted(CT.unique(self.data, axis), return_inverse, return_counts)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """One entry (or slice along ``dim``) per run of equal neighbours, with
        the run of each entry and the runs' lengths if asked. No gradient."""
        axis = None if dim is None else self._dim_of(dim, "unique_consecutive")
        return _counted(CT.unique_consecutive(self.data, axis), return_inverse, return_counts)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002 - torch's names
        """Counts of the entries in ``bins`` equal bins over [min, max] (both 0
        or equal: the data's range), in the tensor's float dtype; entries
        outside and NaN are left out. No gradient."""
        if not is_floating(self.data.dtype):
            raise NotImplementedError(f"histc: not implemented for {torch_name(self.data.dtype)} "
                                      f"tensors (it bins floating point values)")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins <= 0:
            raise RuntimeError(f"histc: bins must be an int > 0, but got {bins!r}")
        return Tensor._make(CT.histogram(self.data, int(bins), float(min), float(max)), None)

    # ----- more writes and reads through an index ----------------------------
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """self with ``src``'s entries reduced where ``index`` says along
        ``dim`` (out[index[i][j]][j] for dim 0, as scatter) by ``reduce``:
        'sum', 'prod', 'mean' (of integers rounded down), 'amax' or 'amin';
        self's own value is counted unless ``include_self`` is False.
        PyTorch's gradients (see ops.scatter.ScatterReduce)."""
        src, attrs = _scatter_reduce_args(self, "scatter_reduce", dim, index, src, reduce,
                                          include_self)
        return SC.ScatterReduce.apply(self, src, **attrs)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        src, attrs = _scatter_reduce_args(self, "scatter_reduce_", dim, index, src, reduce,
                                          include_self)
        return self._inplace("scatter_reduce_", SC.ScatterReduce, src, **attrs)

    def index_copy(self, dim, index, source):
        """self with the slices of ``source`` along ``dim`` copied to the slices
        ``index`` (int64) names; of a repeated index the last copy stays. The
        gradient goes to self where nothing was copied over, to source as g's
        slices at index."""
        source, where = _index_copy_args(self, "index_copy", dim, index, source)
        return SC.Scatter.apply(self, source, where=where)

    def index_copy_(self, dim, index, source):
        source, where = _index_copy_args(self, "index_copy_", dim, index, source)
        return self._inplace("index_copy_", SC.Scatter, source, where=where)

    def masked_scatter(self, mask, source):
        """self (broadcast with the bool ``mask``) with the first entries of
        ``source``, in order, where mask is True; source needs at least as
        many entries as mask has True. The gradient goes to self where mask
        is False, to those first entries of source where it is True."""
        mask = _scatter_mask(self, "masked_scatter", mask, source, None)
        return S.MaskedScatter.apply(self.expand(mask.shape), source, mask=mask)

    def masked_scatter_(self, mask, source):
        mask = _scatter_mask(self, "masked_scatter_", mask, source, self.data.shape)
        return self._inplace("masked_scatter_", S.MaskedScatter, source, mask=mask)

    def take(self, index):
        """The entries of the flattened tensor at ``index`` (int64, any shape,
        negative ones from the end), in index's shape; repeats add their
        gradients."""
        index = _long_index("take", index)
        n = self.data.size
        bad = index[(index < -n) | (index >= n)]
        if bad.size:
            raise IndexError(f"take: out of range: tried to access index {bad.flat[0]} on a "
                             f"tensor of {n} elements")
        return M.GetItem.apply(self.reshape(-1), index=index)

    def take_along_dim(self, indices, dim=None):
        """gather along ``dim`` with self and ``indices`` broadcast against each
        other but along dim (torch.take_along_dim); dim None: of the flattened
        tensor. Indices must lie in [0, size) (PyTorch reads out of range ones
        wrapped around when a dim is given)."""
        index = _long_index("take_along_dim", indices)
        if dim is None:
            x, index, axis = self.reshape(-1), index.reshape(-1), 0
        else:
            x, index, axis = _along_dim(self, index, dim)
        size = x.data.shape[axis]
        bad = index[(index < 0) | (index >= size)]
        if bad.size:
            raise RuntimeError(f"take_along_dim: index {bad.flat[0]} is out of bounds for "
                               f"dimension {axis} with size {size}")
        return x.gather(axis, index)

    # ----- running extremes and log-sum-exps ---------------------------------
    def cummax(self, dim):
        """``(values, indices)``: the running maximum along ``dim`` and where it
        was taken (the latest of ties; NaN, once met, wins); the gradient of
        each value goes to that entry."""
        return self._running_extreme("cummax", dim, True)

    def cummin(self, dim):
        """``(values, indices)``: the running minimum, as cummax."""
        return self._running_extreme("cummin", dim, False)

    def _running_extreme(self, name, dim, largest):
        if not self.data.ndim:
            R.normalize_dims(dim, 0)
            return _RESULTS[name](self.clone(), Tensor._make(np.zeros((), np.int64), None))
        axis = self._dim_of(dim, name)
        index = C.running_extreme_index(self.data, axis, largest)
        return _RESULTS[name](self.gather(axis, index), Tensor._make(index, None))

    def logcumsumexp(self, dim):
        """log of the running sum of exp along ``dim``, exact without overflow
        (see ops.scan.LogCumsumExp); floating point tensors only."""
        if not is_floating(self.data.dtype):
            raise NotImplementedError(f"logcumsumexp: not implemented for "
                                      f"{torch_name(self.data.dtype)} tensors")
        if not self.data.ndim:
            R.normalize_dims(dim, 0)
            return self.clone()
        return C.LogCumsumExp.apply(self, axis=self._dim_of(dim, "logcumsumexp"))

    # ----- flips, rotations, diagonals, windows and products ------------------
    def fliplr(self):
        """Columns (dim 1) in reverse order; at least 2-D."""
        if self.data.ndim < 2:
            raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {self.shape}")
        return self.flip(1)

    def flipud(self):
        """Rows (dim 0) in reverse order; at least 1-D."""
        if self.data.ndim < 1:
            raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
        return self.flip(0)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotated by k quarter turns in the plane of ``dims``, from the first
        dim's direction toward the second's (torch.rot90); a flip and a
        transpose."""
        dims = tuple(dims)
        if len(dims) != 2:
            raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = "
                               f"{len(dims)}")
        if self.data.ndim < 2:
            raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = "
                               f"{self.data.ndim}")
        a, b = (self._dim_of(d, "rot90") for d in dims)
        if a == b:
            raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                               f"{dims[0]} and dim1 = {dims[1]}")
        k %= 4
        if k == 1:
            return self.flip(b).transpose(a, b)
        if k == 2:
            return self.flip(a, b)
        return self.flip(a).transpose(a, b) if k == 3 else self.clone()

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """The last dim's entries on the ``offset``-th diagonal of new dims
        ``dim1`` and ``dim2`` (of the result), zeros elsewhere; the gradient
        is that diagonal of g."""
        nd = self.data.ndim + 1
        (a,), (b,) = R.normalize_dims(dim1, nd), R.normalize_dims(dim2, nd)
        if a == b:
            raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, "
                               f"{dim2}")
        rest = list(self.data.shape[:-1])
        n = self.data.shape[-1] + abs(int(offset))
        shape = tuple(n if i in (a, b) else rest.pop(0) for i in range(nd))
        return M.DiagonalScatter.apply(self, shape=shape, offset=int(offset), dims=(a, b))

    def unfold(self, dimension, size, step):
        """Every window of ``size`` entries along ``dimension``, ``step`` apart,
        as a new last dim: a copy (PyTorch's is a view); overlapping windows
        add their gradients."""
        if self.data.ndim:
            axis, x = self._dim_of(dimension, "unfold"), self
        else:
            axis, x = R.normalize_dims(dimension, 0) or 0, self.reshape(1)
        n = x.data.shape[axis]
        if size < 0:
            raise RuntimeError(f"unfold: size is {size} but must be >= 0")
        if size > n:
            raise RuntimeError(f"unfold: maximum size for tensor at dimension {axis} is {n} "
                               f"but size is {size}")
        if step <= 0:
            raise RuntimeError(f"unfold: step is {step} but must be > 0")
        windows = np.arange(0, n - size + 1, step)[:, None] + np.arange(size)
        out = x[(slice(None),) * axis + (windows,)].movedim(axis + 1, -1)
        return out if self.data.ndim else out.reshape(size)

    def kron(self, other):
        """The Kronecker product: block (i, j, ...) is self[i, j, ...] * other,
        the shapes padded with leading 1s to one rank."""
        if not isinstance(other, Tensor):
            raise TypeError(f"kron: other must be a Tensor, got {type(other).__name__}")
        nd = max(self.data.ndim, other.data.ndim)
        sa = (1,) * (nd - self.data.ndim) + self.data.shape
        sb = (1,) * (nd - other.data.ndim) + other.data.shape
        a = self.reshape(tuple(d for n in sa for d in (n, 1)))
        b = other.reshape(tuple(d for n in sb for d in (1, n)))
        return (a * b).reshape(tuple(m * n for m, n in zip(sa, sb)))


SortResult = namedtuple("SortResult", ["values", "indices"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
# torch.return_types.<name>: (values, indices) named after the op that returns them
_RESULTS = {name: namedtuple(name, ["values", "indices"]) for name in
            ("median", "nanmedian", "kthvalue", "mode", "cummax", "cummin")}
_NUMBERS = (bool, int, float, np.generic)


def _refuse_bool(t, name):
    if t.data.dtype == np.bool_:   # PyTorch's kernels are not built for bool
        raise NotImplementedError(f"{name}: not implemented for Bool tensors")


def _quantile_q(name, q, dtype):
    """quantile's q as an array of the input's dtype, checked (PyTorch's
    rules: a number or a 0-d or 1-D tensor of that dtype, in [0, 1])."""
    if isinstance(q, Tensor):
        qs = q.data
        if qs.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor, got shape {q.shape}")
        if qs.dtype != dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor, got "
                               f"{torch_name(qs.dtype)} and {torch_name(dtype)}")
    elif isinstance(q, _NUMBERS) and not isinstance(q, bool):
        qs = np.asarray(q, dtype=dtype if is_floating(dtype) else np.float64)
    else:
        raise TypeError(f"{name}(): q must be a number or a tensor, got {type(q).__name__}")
    if not ((qs >= 0) & (qs <= 1)).all():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1], got "
                           f"{qs.tolist()}")
    return qs


def _counted(result, return_inverse, return_counts):
    """unique's result: the values, then the inverse and counts asked for."""
    values, inverse, counts = (Tensor._make(a, None) for a in result)
    if not (return_inverse or return_counts):
        return values
    return (values,) + (inverse,) * bool(return_inverse) + (counts,) * bool(return_counts)


def _scatter_reduce_args(t, name, dim, index, src, reduce, include_self):
    """(src, attrs) of ``ScatterReduce`` for t.scatter_reduce(...), checked;
    'max' and 'min' are taken for 'amax' and 'amin', as PyTorch's forward
    takes them (its backward then raises)."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in SC.SCATTER_REDUCES:
        raise RuntimeError(f"{name}: reduce argument must be either sum, prod, mean, amax or "
                           f"amin, got {reduce!r}")
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}: src must be a Tensor, got {type(src).__name__}")
    if reduce == "mean" and t.data.dtype == np.bool_:
        raise NotImplementedError(f"{name}: reduce 'mean' is not implemented for Bool tensors")
    where, crop = SC.scatter_target(name, t.data, dim, index, src.data)
    if not src.data.ndim:   # as a vector of one, as PyTorch reads it
        src = src.reshape(1)
    return src, {"where": where, "crop": crop, "reduce": reduce,
                 "include_self": bool(include_self)}


def _index_copy_args(t, name, dim, index, source):
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}: source must be a Tensor, got {type(source).__name__}")
    where = SC.index_copy_target(name, t.data, dim, index, source.data)
    return (source.reshape(1) if not source.data.ndim else source), where


def _scatter_mask(t, name, mask, source, shape):
    """masked_scatter's mask, broadcast to the result's shape (``shape``, in
    place: t's own, which the mask must broadcast to), after every check."""
    mask = np.asarray(_bool_mask(mask, name))
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}: source must be a Tensor, got {type(source).__name__}")
    if source.data.dtype != t.data.dtype:
        raise RuntimeError(f"{name}: expected self and source to have same dtypes but got "
                           f"{torch_name(t.data.dtype)} and {torch_name(source.data.dtype)}")
    out = _broadcast_shape((t.data.shape, mask.shape))
    if out is None or shape is not None and out != shape:
        raise RuntimeError(f"{name}: mask of shape {mask.shape} does not broadcast to the "
                           f"shape {t.shape if shape is None else shape} of self")
    mask = np.broadcast_to(mask, out)
    if np.count_nonzero(mask) > source.data.size:
        raise RuntimeError(f"{name}: number of elements of source ({source.data.size}) < "
                           f"number of ones in mask ({np.count_nonzero(mask)})")
    return mask


def _long_index(name, index):
    index = np.asarray(_value(index))
    if index.dtype != np.int64:
        raise RuntimeError(f"{name}(): expected a long tensor for index, but got "
                           f"{torch_name(index.dtype)}")
    return index


def _along_dim(t, index, dim):
    """(t, index, axis) broadcast against each other but along ``dim``, as
    take_along_dim reads them."""
    if index.ndim != t.data.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {t.data.ndim} dimensions for input, and "
                           f"{index.ndim} dimensions for indices")
    axis = t._dim_of(dim, "take_along_dim")
    wanted = [list(t.data.shape), list(index.shape)]
    wanted[0][axis], wanted[1][axis] = index.shape[axis], t.data.shape[axis]
    index_shape = _broadcast_shape((wanted[0], index.shape))
    t_shape = _broadcast_shape((wanted[1], t.data.shape))
    if index_shape is None or t_shape is None:
        raise RuntimeError(f"take_along_dim: input of shape {t.shape} and indices of shape "
                           f"{index.shape} do not broadcast but along dim {axis}")
    return t.expand(t_shape), np.broadcast_to(index, index_shape), axis


def _moved_axes(n, source, destination):
    """The permutation that moves dims ``source`` to ``destination`` (torch.movedim)."""
    src = [s % n for s in source]
    dst = [d % n for d in destination]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return tuple(order)


def _alias(name, dim, keepdim, axis, keepdims):
    """``dim``/``keepdim`` from either PyTorch's names or numpy's (``axis``,
    ``keepdims``), which PyTorch accepts as aliases; both at once is an error."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}(): got both 'dim' and its alias 'axis'")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, keepdim


def _bool_mask(mask, name):
    mask = _value(mask)
    if np.asarray(mask).dtype != np.bool_:
        raise RuntimeError(f"{name}: only supports boolean masks, but got mask with dtype "
                           f"{np.asarray(mask).dtype}")
    return mask


def _fill_value(t, value, name):
    """The fill value in t's dtype: a number, or a 0-d Tensor (kept in the graph)."""
    if isinstance(value, Tensor):
        if value.data.ndim:
            raise RuntimeError(f"{name}: only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.data.ndim} dimension(s)")
        return value if value.data.dtype == t.data.dtype else value.to(t.data.dtype)
    return np.asarray(value).astype(t.data.dtype)


def _scatter_args(t, name, dim, index, src, value, reduce, values=True):
    """(src, attrs) of ``Scatter`` for t.scatter(dim, index, src or value,
    reduce=reduce), every argument checked; ``values``: a number may stand
    for src (not in scatter_add)."""
    if reduce not in SC.REDUCES:
        raise RuntimeError(f"{name}: reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    if values and value is None and isinstance(src, _NUMBERS):
        src, value = None, src
    if value is not None:
        if src is not None or not isinstance(value, _NUMBERS):
            raise TypeError(f"{name}: expected a Tensor src or a number value, got src of "
                            f"type {type(src).__name__} and value of type "
                            f"{type(value).__name__}")
    elif not isinstance(src, Tensor):
        raise TypeError(f"{name}: src must be a Tensor{' (or value a number)' * values}, got "
                        f"{type(src).__name__}")
    where, crop = SC.scatter_target(name, t.data, dim, index,
                                    None if value is not None else src.data)
    if value is not None:
        src = np.asarray(value).astype(t.data.dtype)
    elif not src.data.ndim:   # as a vector of one, as PyTorch reads it
        src = src.reshape(1)
    return src, {"where": where, "crop": crop, "reduce": reduce}


def _index_add_args(t, name, dim, index, source, alpha):
    """(source scaled by alpha, where) of ``Scatter`` for t.index_add(...)."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}: source must be a Tensor, got {type(source).__name__}")
    where = SC.index_add_target(name, t.data, dim, index, source.data)
    if not source.data.ndim:
        source = source.reshape(1)
    if alpha != 1:   # PyTorch casts alpha to an integer tensor's type first: 2.5 adds twice
        source = source * (alpha if is_floating(t.data.dtype) else int(alpha))
    return source, where


def _check_ranks(name, *operands, ndim, kind):
    for x, label in operands:
        if not isinstance(x, Tensor) or x.data.ndim != ndim:
            raise RuntimeError(f"{name}: {label} must be {kind}, got shape "
                               f"{tuple(np.shape(_value(x)))}")
    (a, _), (b, _) = operands
    if a.data.shape[-1] != b.data.shape[-2]:
        raise RuntimeError(f"{name}: shapes cannot be multiplied ({'x'.join(map(str, a.shape))} "
                           f"and {'x'.join(map(str, b.shape))})")


def _batch_shape(name, batch1, batch2):
    """(b, n, p) of the product of a (b, n, m) and a (b, m, p) batch, checked."""
    for x, label in ((batch1, "batch1"), (batch2, "batch2")):
        if not isinstance(x, Tensor) or x.data.ndim != 3:
            # PyTorch's IndexError for fewer dims: it asks for dim 2 before checking
            kind = IndexError if np.ndim(_value(x)) < 3 else RuntimeError
            raise kind(f"{name}: {label} must be a 3D tensor, got shape "
                       f"{tuple(np.shape(_value(x)))}")
    b, _, m = batch1.data.shape
    if batch2.data.shape[:2] != (b, m):
        raise RuntimeError(f"{name}: expected size for first two dimensions of batch2 tensor "
                           f"to be: [{b}, {m}] but got: {list(batch2.data.shape[:2])} (batch1 "
                           f"{batch1.shape}, batch2 {batch2.shape})")
    return b, batch1.data.shape[1], batch2.data.shape[2]


def _fits_product(name, t, a, b, shape):
    """Raise unless t, a and b share a dtype and t broadcasts to ``shape``."""
    dtypes = [t.data.dtype, a.data.dtype, b.data.dtype]
    if len(set(dtypes)) > 1:
        raise RuntimeError(f"{name}: input and the factors must have the same dtype, got "
                           f"{', '.join(map(torch_name, dtypes))}")
    if _broadcast_shape((t.data.shape, shape)) != shape:
        raise RuntimeError(f"{name}: input of shape {t.shape} does not broadcast to "
                           f"the product's shape {shape}")


def _add_scaled(t, product, beta, alpha):
    """beta t + alpha product (addmm and the like). With beta 0 t is not read
    (its NaNs do not reach the result) yet gets a zero gradient, as in
    PyTorch; integer tensors take beta and alpha truncated to integers."""
    if not is_floating(t.data.dtype):
        beta, alpha = int(beta), int(alpha)
    if alpha == 0:   # the product is not read (BLAS's rule): its infs give no NaN
        product = product.where(False, 0)
    elif alpha != 1:
        product = product * alpha
    if beta == 0:   # the graph keeps t, with a zero gradient
        return (product + t.where(False, 0)) if t._requires_grad else product
    return product + (t if beta == 1 else t * beta)


def _lerp_operands(name, start, end, weight):
    """lerp's end and weight: of start's floating dtype, as PyTorch requires
    (weight may be a number)."""
    dtype = start.data.dtype
    if not is_floating(dtype):
        raise NotImplementedError(f"{name}: not implemented for {torch_name(dtype)} tensors "
                                  f"(it interpolates floating point values)")
    end, weight = _operand(end), _operand(weight)
    for label, x in (("end", end), ("weight", weight)):
        x = _value(x)
        if label == "weight" and isinstance(x, np.ndarray) and x.ndim == 0:
            continue   # a 0-d weight counts as a number, as in PyTorch (EMA's lerp_)
        if isinstance(x, np.ndarray) and x.dtype != dtype:
            raise RuntimeError(f"{name}: expected dtype {torch_name(dtype)} for `{label}` but "
                               f"got dtype {torch_name(x.dtype)}")
    return end, weight


def _diff_extra(t, extra, axis):
    """diff's prepend or append as a tensor: of t's rank, and of t's shape but
    along ``axis``."""
    extra = extra if isinstance(extra, Tensor) else Tensor(extra)
    if extra.data.ndim != t.data.ndim:
        raise RuntimeError(f"diff expects prepend or append to be the same dimension as "
                           f"input (shape {t.shape}), got shape {extra.shape}")
    for d, (m, k) in enumerate(zip(t.data.shape, extra.data.shape)):
        if d != axis and m != k:
            raise RuntimeError(f"diff expects the shape of tensor to prepend or append to "
                               f"match that of input except along the differencing "
                               f"dimension; input.size({d}) = {m}, but got tensor.size({d}) "
                               f"= {k}")
    return extra


def _broadcast_shape(shapes):
    """The shape that ``shapes`` broadcast to, or None when they do not."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def _rounding(mode):
    if mode not in ("floor", "trunc"):
        raise OpError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {mode!r}")
    return mode


def _scaled(other, alpha):
    """alpha * other for add's and sub's alpha (a Tensor or a number)."""
    return other * alpha if isinstance(other, Tensor) else _operand(other) * alpha


def _bound(x):
    """A clamp bound: None, a number, or a tensor that gets a gradient."""
    return None if x is None else _operand(x)


def _retain_on(node, t):
    """Keep t's gradient, which reaches ``node``, as t.grad (retain_grad)."""
    node.retained = weakref.ref(t)
    node.dtype = t.data.dtype
    node.special |= HOOKED


def _refuse_unrecorded_view(t, name):
    """A view that does not require grad of a tensor that does was made where
    its changes are not recorded (under no_grad, or before its base required
    grad): changing it in place with grad mode on would change the base
    behind its graph's back, which PyTorch forbids as ambiguous."""
    base = getattr(t, "_base", None)
    while base is not None:
        if base._requires_grad:
            raise RuntimeError(f"{name}: this tensor (shape {t.shape}) is a view, made under "
                               f"no_grad (or before its base required grad), of a tensor that "
                               f"requires grad (shape {base.shape}); changing it in place with "
                               f"grad mode on is ambiguous and forbidden, as in PyTorch: make "
                               f"both the view and the change inside no_grad, or both outside")
        base = getattr(base, "_base", None)


def _refuse_shared_views(t, name):
    """An in-place change recorded on a tensor that shares memory with another
    live tensor of the graph (a view of it, or its base) would leave the
    other's graph describing old values: refused, where PyTorch rewrites the
    other's graph."""
    base = getattr(t, "_base", None)
    live = [v for v in (r() for r in getattr(t, "_views", ())) if v is not None]
    if base is not None or live:
        what = "is a view of another tensor" if base is not None else "has live views"
        raise RuntimeError(f"{name}: the tensor (shape {t.shape}) {what} in the graph; an "
                           f"in-place change of it is not supported here: change a "
                           f".clone() instead")


_SKIP = {"__module__", "__dict__", "__weakref__", "__doc__", "__qualname__", "__hash__"}


# The elementwise functions that are one op each: methods, and in place as name_.
_ONE_OP = {"log2": Log2, "log10": Log10, "erf": Erf, "erfc": Erfc, "asin": T.Asin,
           "acos": T.Acos, "atan": T.Atan, "sinh": H.Sinh, "cosh": H.Cosh, "asinh": H.Asinh,
           "acosh": H.Acosh, "atanh": H.Atanh}
# PyTorch's numpy-style names of the inverse functions (in place too)
_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
            "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh"}


def attach():
    for name, value in vars(_Methods).items():
        if name not in _SKIP:
            setattr(Tensor, name, value)
    for name, op in _ONE_OP.items():
        setattr(Tensor, name, _unary(name, op))
        setattr(Tensor, name + "_", _unary_inplace(name + "_", op))
    for alias, name in _ALIASES.items():
        setattr(Tensor, alias, getattr(Tensor, name))
        setattr(Tensor, alias + "_", getattr(Tensor, name + "_"))


attach()
