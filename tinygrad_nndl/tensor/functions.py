"""torch-style free functions: ``cat``, ``stack``, ``where`` and the ops of
Tensor as functions (``tinygrad_nndl.exp(x)`` is ``x.exp()``)."""
import builtins
import math
import sys
import warnings

import numpy as np

from ..ops import elementwise as E
from ..ops import movement as M
from ..ops.einsum import Einsum, parse
from ..ops.norm import VectorNorm
from ..ops.reduce import normalize_dims
from .device import as_device
from .dtypes import promoted, torch_name
from .errors import OpError
from .tensor import PRINT_OPTIONS, Tensor, _operand, _value


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def cat(tensors, dim=0):
    """Concatenate along ``dim``; all other dimensions must match."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise OpError("cat: expected a non-empty sequence of tensors")
    ndim = tensors[0].ndim
    for i, t in enumerate(tensors):
        if t.ndim != ndim:
            raise OpError(f"cat: tensor 0 has {ndim} dimensions but tensor {i} has "
                          f"{t.ndim} (shapes {tensors[0].shape} and {t.shape})")
    if ndim and not -ndim <= dim < ndim:
        raise IndexError(f"cat: dim {dim} out of range for {ndim}-dimensional tensors")
    return M.Cat.apply(*tensors, axis=dim)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - torch's names
    return _as_tensor(input).prod(dim, keepdim, dtype=dtype)


def cumprod(input, dim, *, dtype=None):  # noqa: A002
    return _as_tensor(input).cumprod(dim, dtype=dtype)


def hstack(tensors):
    """Concatenated along dim 1, or dim 0 when they are 1-D (torch.hstack)."""
    tensors = [_as_tensor(t) for t in tensors]
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Stacked as rows: 0-d and 1-D tensors become rows, then concatenated
    along dim 0 (torch.vstack)."""
    tensors = [_as_tensor(t) for t in tensors]
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def masked_select(input, mask):  # noqa: A002 - torch's argument name
    return _as_tensor(input).masked_select(mask)


def repeat_interleave(input, repeats, dim=None):  # noqa: A002
    return _as_tensor(input).repeat_interleave(repeats, dim)


def unflatten(input, dim, sizes):  # noqa: A002
    return _as_tensor(input).unflatten(dim, sizes)


def stack(tensors, dim=0):
    """Join equal-shaped tensors along a new dimension ``dim``."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise OpError("stack: expected a non-empty sequence of tensors")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise OpError(f"stack: all tensors must have the same shape, tensor 0 has "
                          f"{shape} and tensor {i} has {t.shape}")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


def where(condition, input=None, other=None):  # noqa: A002 - torch's name
    """``condition ? input : other`` elementwise, broadcasting all three; with
    the condition alone, the indices of its non-zero elements, one int64
    tensor per dimension (``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        return _as_tensor(condition).nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): give both input and other, or the condition alone")
    return E.Where.apply(_value(condition), _operand(input), _operand(other))


def maximum(a, b):
    return E.Maximum.apply(_operand(a), _operand(b))


def minimum(a, b):
    return E.Minimum.apply(_operand(a), _operand(b))


def matmul(a, b):
    return _as_tensor(a) @ b


def exp(x):
    return _as_tensor(x).exp()


def log(x):
    return _as_tensor(x).log()


def log1p(x):
    return _as_tensor(x).log1p()


def expm1(x):
    return _as_tensor(x).expm1()


def add(input, other, *, alpha=1):  # noqa: A002 - torch's argument names
    return _as_tensor(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    return _as_tensor(input).sub(other, alpha=alpha)


def mul(input, other):  # noqa: A002
    return _as_tensor(input) * other


def div(input, other, *, rounding_mode=None):  # noqa: A002
    return _as_tensor(input).div(other, rounding_mode=rounding_mode)


def neg(input):  # noqa: A002
    return -_as_tensor(input)


def floor_divide(input, other):  # noqa: A002
    return _as_tensor(input).floor_divide(other)


def remainder(input, other):  # noqa: A002
    return _as_tensor(input).remainder(other)


def fmod(input, other):  # noqa: A002
    return _as_tensor(input).fmod(other)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg


def _method(name):
    """torch.<name>(input, *args, **kwargs): the Tensor method of that name."""
    def function(input, *args, **kwargs):  # noqa: A002 - torch's argument name
        return getattr(_as_tensor(input), name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)``, as torch.{name}."
    return function


eq, ne, gt, lt, ge, le = map(_method, ("eq", "ne", "gt", "lt", "ge", "le"))
# torch.any and torch.all, exported under those names (here they would hide the builtins)
tensor_any, tensor_all = _method("any"), _method("all")
sign, square, clip = _method("sign"), _method("square"), _method("clip")
clamp_min, clamp_max = _method("clamp_min"), _method("clamp_max")
scatter, scatter_add, index_add, index_fill = map(
    _method, ("scatter", "scatter_add", "index_add", "index_fill"))
bincount, multinomial = _method("bincount"), _method("multinomial")
log2, log10, erf, erfc = map(_method, ("log2", "log10", "erf", "erfc"))
asin, acos, atan, atan2 = map(_method, ("asin", "acos", "atan", "atan2"))
sinh, cosh, asinh, acosh, atanh = map(_method, ("sinh", "cosh", "asinh", "acosh", "atanh"))
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh
nan_to_num, lerp, addmm = map(_method, ("nan_to_num", "lerp", "addmm"))
nansum, nanmean, diff = map(_method, ("nansum", "nanmean", "diff"))
inverse, det, logdet, slogdet = map(_method, ("inverse", "det", "logdet", "slogdet"))
cholesky, pinverse, matrix_power = map(_method, ("cholesky", "pinverse", "matrix_power"))
median, nanmedian, quantile, nanquantile = map(
    _method, ("median", "nanmedian", "quantile", "nanquantile"))
mode, kthvalue, unique, unique_consecutive, histc = map(
    _method, ("mode", "kthvalue", "unique", "unique_consecutive", "histc"))
scatter_reduce, index_copy, masked_scatter, take, take_along_dim = map(
    _method, ("scatter_reduce", "index_copy", "masked_scatter", "take", "take_along_dim"))
cummax, cummin, logcumsumexp, kron, baddbmm, addbmm = map(
    _method, ("cummax", "cummin", "logcumsumexp", "kron", "baddbmm", "addbmm"))
fliplr, flipud, rot90, diag_embed = map(_method, ("fliplr", "flipud", "rot90", "diag_embed"))

_CDIST_MODES = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 (..., P, M) and each of x2
    (..., R, M): (..., P, R), batch dims broadcast (torch.cdist). Always
    from the differences (PyTorch takes p = 2 through a matrix product for
    more than 25 rows unless told not to: ``compute_mode`` is checked, then
    has no effect). PyTorch's gradients: 0 at zero distance; for p = inf
    every coordinate of the largest gap gets it whole."""
    x1, x2 = _as_tensor(x1), _as_tensor(x2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: {compute_mode} is not a valid value for compute_mode")
    for label, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise OpError(f"cdist only supports at least 2D tensors, {label} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise OpError(f"cdist: X1 and X2 must have the same number of columns. X1: "
                      f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    for label, x in (("X1", x1), ("X2", x2)):
        if x.dtype == np.float16:   # PyTorch's CPU kernel is not built for it either
            raise NotImplementedError(f"cdist: not implemented for Half ({label})")
        if x.dtype not in (np.float32, np.float64):
            raise OpError(f"cdist only supports floating-point dtypes (float32, float64), "
                          f"{label} got: {torch_name(x.dtype)}")
    if x1.dtype != x2.dtype:
        raise OpError(f"cdist: expected X1 and X2 of one dtype, got {torch_name(x1.dtype)} "
                      f"and {torch_name(x2.dtype)}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not p >= 0:
        raise OpError(f"cdist only supports non-negative p values, got {p!r}")
    try:
        np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise OpError(f"cdist: the batch dims of X1 {x1.shape} and X2 {x2.shape} do not "
                      f"broadcast") from None
    gaps = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return VectorNorm.apply(gaps, ord=float(p), axes=(gaps.ndim - 1,), keepdims=False,
                            share_ties=False)


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-D; a vector as a row) as blocks down the
    diagonal of one matrix, zeros elsewhere, in their promoted dtype."""
    tensors = [_as_tensor(t) for t in tensors]
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise OpError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                          f"Input {i} has {t.ndim} dimensions (shape {t.shape})")
    dtype = promoted([t.dtype for t in tensors]) if tensors else np.dtype(np.float32)
    blocks = [(t.reshape(1, -1) if t.ndim < 2 else t).to(dtype) for t in tensors]
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        (n, m), right = b.shape, width - left - b.shape[1]
        rows.append(cat([Tensor._make(np.zeros((n, left), dtype), None), b,
                         Tensor._make(np.zeros((n, right), dtype), None)], 1))
        left += m
    return cat(rows, 0) if rows else Tensor._make(np.zeros((1, 0), dtype), None)


def cartesian_prod(*tensors):
    """Every combination of one entry of each 1-D tensor, as rows (the last
    tensor varying fastest); of one tensor, that tensor."""
    tensors = [_as_tensor(t) for t in tensors]
    for t in tensors:
        if t.ndim != 1:
            raise OpError(f"cartesian_prod: expect a 1D vector, but got shape {t.shape}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def tensordot(a, b, dims=2):
    """Sum over the last ``dims`` dims of a and the first of b (an int), or
    over the dims in a pair of lists, as one matrix product (torch.tensordot);
    the result has a's free dims, then b's."""
    a, b = _as_tensor(a), _as_tensor(b)
    if a.dtype != b.dtype:
        raise OpError(f"tensordot: both inputs should have same dtype, got "
                      f"{torch_name(a.dtype)} and {torch_name(b.dtype)}")
    dims_a, dims_b = _contracted(a, b, dims.tolist() if isinstance(dims, Tensor) else dims)
    for x, y in zip(dims_a, dims_b):
        if a.shape[x] != b.shape[y]:
            raise OpError(f"tensordot: contracted dimensions need to match, but first has "
                          f"size {a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                          f"dim {y}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    inner = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(free_a + dims_a).reshape(math.prod(a.shape[d] for d in free_a), inner)
    right = b.permute(dims_b + free_b).reshape(inner, math.prod(b.shape[d] for d in free_b))
    return (left @ right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def _contracted(a, b, dims):
    """tensordot's dims as two lists of axes, checked."""
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if dims < 0:
            raise OpError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise OpError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims} "
                          f"(shapes {a.shape} and {b.shape})")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if not (isinstance(dims, (list, tuple)) and len(dims) == 2
            and all(isinstance(d, (list, tuple)) for d in dims)):
        raise TypeError(f"tensordot(): dims must be an int or a pair of lists of dims, got "
                        f"{dims!r}")
    if len(dims[0]) != len(dims[1]):
        raise OpError(f"tensordot: both dimension lists should have same length, got {dims}")
    lists = []
    for x, ds in ((a, dims[0]), (b, dims[1])):
        axes = [normalize_dims(d, x.ndim)[0] for d in ds]
        if len(set(axes)) != len(axes):
            raise OpError(f"tensordot: a dim appears more than once in {list(ds)}")
        lists.append(axes)
    return lists


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views, whose
    gradients sum back), as torch.broadcast_tensors."""
    tensors = [_as_tensor(t) for t in tensors]
    shape = ()
    for i, t in enumerate(tensors):
        try:
            shape = np.broadcast_shapes(shape, t.shape)
        except ValueError:
            raise OpError(f"broadcast_tensors: tensor {i} of shape {t.shape} does not "
                          f"broadcast with the shape {shape} of the tensors before it "
                          f"(shapes {[x.shape for x in tensors]})") from None
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-d and 1-D tensors (torch.meshgrid), as expanded
    views: with indexing 'ij' output i varies along dim i; with 'xy' the first
    two dims are swapped (Cartesian, as numpy's default). Without
    ``indexing``, 'ij' and a warning, as PyTorch's."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                      "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise OpError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                      f'{indexing}')
    if not tensors:
        raise OpError("meshgrid expects a non-empty TensorList")
    tensors = [_as_tensor(t) for t in tensors]
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise OpError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                          f"got tensor {i} of shape {t.shape}")
        if t.dtype != tensors[0].dtype:
            raise OpError(f"meshgrid expects all tensors to have the same dtype, got "
                          f"{tensors[0].dtype} and {t.dtype} (tensors 0 and {i})")
    dims = list(range(len(tensors)))
    if indexing == "xy" and len(dims) > 1:
        dims[0], dims[1] = 1, 0
    shape = [0] * len(dims)
    for t, d in zip(tensors, dims):
        shape[d] = t.numel()
    return tuple(t.reshape([-1 if k == d else 1 for k in range(len(dims))]).expand(shape)
                 for t, d in zip(tensors, dims))


def sqrt(x):
    return _as_tensor(x).sqrt()


def tanh(x):
    return _as_tensor(x).tanh()


def sigmoid(x):
    return _as_tensor(x).sigmoid()


def relu(x):
    return _as_tensor(x).relu()


def clamp(x, min=None, max=None):
    return _as_tensor(x).clamp(min, max)


def sum(x, dim=None, keepdim=False, **kwargs):  # noqa: A001 - torch.sum
    return _as_tensor(x).sum(dim, keepdim, **kwargs)


def mean(x, dim=None, keepdim=False, **kwargs):
    return _as_tensor(x).mean(dim, keepdim, **kwargs)


def logsumexp(x, dim=None, keepdim=False, **kwargs):
    return _as_tensor(x).logsumexp(dim, keepdim, **kwargs)


def softmax(x, dim=None, **kwargs):
    return _as_tensor(x).softmax(dim, **kwargs)


def log_softmax(x, dim=None, **kwargs):
    return _as_tensor(x).log_softmax(dim, **kwargs)


def argmax(x, dim=None, keepdim=False, **kwargs):
    return _as_tensor(x).argmax(dim, keepdim, **kwargs)


def abs(x):  # noqa: A001 - torch.abs
    return _as_tensor(x).abs()


def pow(x, exponent):  # noqa: A001 - torch.pow
    return _as_tensor(x) ** exponent


def max(x, dim=None, keepdim=False, **kwargs):  # noqa: A001 - torch.max
    return _as_tensor(x).max(dim, keepdim, **kwargs)


def min(x, dim=None, keepdim=False, **kwargs):  # noqa: A001 - torch.min
    return _as_tensor(x).min(dim, keepdim, **kwargs)


def amax(x, dim=None, keepdim=False, **kwargs):
    return _as_tensor(x).amax(dim, keepdim, **kwargs)


def amin(x, dim=None, keepdim=False, **kwargs):
    return _as_tensor(x).amin(dim, keepdim, **kwargs)


def argmin(x, dim=None, keepdim=False, **kwargs):
    return _as_tensor(x).argmin(dim, keepdim, **kwargs)


def reshape(x, *shape):
    return _as_tensor(x).reshape(*shape)


def flatten(x, start_dim=0, end_dim=-1):
    return _as_tensor(x).flatten(start_dim, end_dim)


def squeeze(x, dim=None):
    return _as_tensor(x).squeeze(dim)


def unsqueeze(x, dim):
    return _as_tensor(x).unsqueeze(dim)


def transpose(x, dim0, dim1):
    return _as_tensor(x).transpose(dim0, dim1)


def permute(x, *dims):
    return _as_tensor(x).permute(*dims)


def var(x, dim=None, unbiased=True, keepdim=False, **kwargs):
    return _as_tensor(x).var(dim, unbiased, keepdim, **kwargs)


def std(x, dim=None, unbiased=True, keepdim=False, **kwargs):
    return _as_tensor(x).std(dim, unbiased, keepdim, **kwargs)


def sin(x):
    return _as_tensor(x).sin()


def cos(x):
    return _as_tensor(x).cos()


def clone(x, *, memory_format=None):
    return _as_tensor(x).clone()


def t(x):
    return _as_tensor(x).t()


def masked_fill(x, mask, value):
    return _as_tensor(x).masked_fill(mask, value)


def flip(x, dims):
    return _as_tensor(x).flip(dims)


def chunk(x, chunks, dim=0):
    return _as_tensor(x).chunk(chunks, dim)


def split(x, split_size_or_sections, dim=0):
    return _as_tensor(x).split(split_size_or_sections, dim)


def unbind(x, dim=0):
    return _as_tensor(x).unbind(dim)


def mm(x, mat2):
    return _as_tensor(x).mm(mat2)


def bmm(x, mat2):
    return _as_tensor(x).bmm(mat2)


def dot(x, other):
    return _as_tensor(x).dot(other)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    return _as_tensor(x).norm(p, dim, keepdim, dtype)


def nonzero(x, *, as_tuple=False):
    return _as_tensor(x).nonzero(as_tuple=as_tuple)


def isnan(x):
    return _as_tensor(x).isnan()


def isinf(x):
    return _as_tensor(x).isinf()


def isfinite(x):
    return _as_tensor(x).isfinite()


def isclose(x, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _as_tensor(x).isclose(other, rtol, atol, equal_nan)


def allclose(x, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _as_tensor(x).allclose(other, rtol, atol, equal_nan)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(x):
    return x.is_floating_point()


def numel(x):
    return x.numel()


def einsum(equation, *operands):
    """Einstein summation as torch.einsum: ``einsum('ij,jk->ik', a, b)`` (or
    the operands as one list), with '...' and the implicit output of an
    equation without '->'. Size-1 dimensions broadcast against their letter's
    size (expanded first, so the gradient sums them back)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = [_as_tensor(x) for x in operands]
    terms, out = parse(equation, [x.ndim for x in operands])
    sizes = {}
    for term, x in zip(terms, operands):
        for c, n in zip(term, x.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise OpError(f"einsum: subscript {c!r} has size {n} for an operand of "
                              f"shape {x.shape}, which does not match the size "
                              f"{sizes[c]} it has elsewhere (equation {equation!r})")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    used = "".join(terms)
    if len(set(out)) != len(out) or any(c not in used for c in out):
        raise OpError(f"einsum: the output subscripts of {equation!r} must be distinct "
                      f"and each appear in an operand")
    operands = [x.expand(tuple(sizes[c] for c in term)) if len(set(term)) == len(term)
                else x for term, x in zip(terms, operands)]
    return Einsum.apply(*operands, equation=",".join(terms) + "->" + out)


_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=sys.maxsize, edgeitems=3, linewidth=80)}
_print_state = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How Tensor reprs print (torch.set_printoptions): digits after the point,
    the size from which the middle is summarized with '...', the elements
    kept at each end, the line width; ``profile`` 'default', 'short' or
    'full'; ``sci_mode`` True/False forces or forbids scientific notation
    (None: numpy decides). Only Tensor reprs change, not numpy's own printing."""
    state = _print_state
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r} "
                             f"(expected one of {sorted(_PROFILES)})")
        state.update(_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                 linewidth=linewidth)
    state.update({k: v for k, v in given.items() if v is not None})
    state["sci_mode"] = sci_mode
    threshold = state["threshold"]
    opts = {"precision": int(state["precision"]),
            "threshold": sys.maxsize if threshold == float("inf") else int(threshold),
            "edgeitems": int(state["edgeitems"]), "max_line_width": int(state["linewidth"])}
    if sci_mode is False:
        opts["suppress_small"] = True
    elif sci_mode:
        digits = opts["precision"]
        opts["formatter"] = {"float_kind": lambda v: np.format_float_scientific(
            v, precision=digits, unique=False)}
    PRINT_OPTIONS.clear()
    PRINT_OPTIONS.update(opts)


# thin torch-level spellings of Tensor methods
def tile(x, dims):
    return _as_tensor(x).tile(dims)


def narrow(x, dim, start, length):
    return _as_tensor(x).narrow(dim, start, length)


def select(x, dim, index):
    return _as_tensor(x).select(dim, index)


def index_select(x, dim, index):
    return _as_tensor(x).index_select(dim, index)


def gather(x, dim, index):
    return _as_tensor(x).gather(dim, index)


def sort(x, dim=-1, descending=False, stable=False):
    return _as_tensor(x).sort(dim, descending, stable)


def argsort(x, dim=-1, descending=False, stable=False):
    return _as_tensor(x).argsort(dim, descending, stable)


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
    return _as_tensor(x).topk(k, dim, largest, sorted)


def cumsum(x, dim, *, dtype=None):
    return _as_tensor(x).cumsum(dim, dtype=dtype)


def roll(x, shifts, dims=None):
    return _as_tensor(x).roll(shifts, dims)


def tril(x, diagonal=0):
    return _as_tensor(x).tril(diagonal)


def triu(x, diagonal=0):
    return _as_tensor(x).triu(diagonal)


def outer(x, vec2):
    return _as_tensor(x).outer(vec2)


def trace(x):
    return _as_tensor(x).trace()


def diag(x, diagonal=0):
    return _as_tensor(x).diag(diagonal)


def diagonal(x, offset=0, dim1=0, dim2=1):
    return _as_tensor(x).diagonal(offset, dim1, dim2)


def swapaxes(x, axis0, axis1):
    return _as_tensor(x).swapaxes(axis0, axis1)


def movedim(x, source, destination):
    return _as_tensor(x).movedim(source, destination)


def broadcast_to(x, size):
    return _as_tensor(x).expand(size)


def tan(x):
    return _as_tensor(x).tan()


def reciprocal(x):
    return _as_tensor(x).reciprocal()


def rsqrt(x):
    return _as_tensor(x).rsqrt()


def floor(x):
    return _as_tensor(x).floor()


def ceil(x):
    return _as_tensor(x).ceil()


def round(x, *, decimals=0):  # noqa: A001 - torch.round
    return _as_tensor(x).round(decimals=decimals)


def trunc(x):
    return _as_tensor(x).trunc()


def logical_and(x, other):
    return _as_tensor(x).logical_and(other)


def logical_or(x, other):
    return _as_tensor(x).logical_or(other)


def logical_xor(x, other):
    return _as_tensor(x).logical_xor(other)


def logical_not(x):
    return _as_tensor(x).logical_not()


def count_nonzero(x, dim=None):
    return _as_tensor(x).count_nonzero(dim)


concat = concatenate = cat


def as_tensor(data, dtype=None, device=None):
    """``data`` as a Tensor, without a copy when it already is one of that
    dtype: a Tensor as itself, a numpy array shared (torch.as_tensor). A
    Tensor of another dtype is cast by ``to``, which keeps its graph."""
    as_device(device)
    same = dtype is None or np.dtype(dtype) == getattr(data, "dtype", None)
    if isinstance(data, Tensor):
        return data if same else data.to(dtype)
    if same and isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._make(data, None)
    return Tensor(data, dtype=dtype)


def get_default_dtype():
    """float32: the dtype of Python floats and of factories without a dtype."""
    return np.dtype(np.float32)
