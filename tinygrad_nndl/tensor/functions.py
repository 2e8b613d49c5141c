"""torch-style free functions: ``cat``, ``stack``, ``where`` and the ops of
Tensor as functions (``tinygrad_nndl.exp(x)`` is ``x.exp()``)."""
from ..ops import elementwise as E
from ..ops import movement as M
from .tensor import Tensor, _operand, _value


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def cat(tensors, dim=0):
    """Concatenate along ``dim``; all other dimensions must match."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ndim = tensors[0].ndim
    for i, t in enumerate(tensors):
        if t.ndim != ndim:
            raise ValueError(f"cat: tensor 0 has {ndim} dimensions but tensor {i} has "
                             f"{t.ndim} (shapes {tensors[0].shape} and {t.shape})")
    if ndim and not -ndim <= dim < ndim:
        raise IndexError(f"cat: dim {dim} out of range for {ndim}-dimensional tensors")
    return M.Cat.apply(*tensors, axis=dim)


def stack(tensors, dim=0):
    """Join equal-shaped tensors along a new dimension ``dim``."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise ValueError(f"stack: all tensors must have the same shape, tensor 0 has "
                             f"{shape} and tensor {i} has {t.shape}")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


def where(condition, input, other):
    """``condition ? input : other`` elementwise, broadcasting all three."""
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


def sum(x, dim=None, keepdim=False):  # noqa: A001 - torch.sum
    return _as_tensor(x).sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return _as_tensor(x).mean(dim, keepdim)


def logsumexp(x, dim, keepdim=False):
    return _as_tensor(x).logsumexp(dim, keepdim)


def softmax(x, dim):
    return _as_tensor(x).softmax(dim)


def log_softmax(x, dim):
    return _as_tensor(x).log_softmax(dim)


def argmax(x, dim=None, keepdim=False):
    return _as_tensor(x).argmax(dim, keepdim)


def abs(x):  # noqa: A001 - torch.abs
    return _as_tensor(x).abs()


def pow(x, exponent):  # noqa: A001 - torch.pow
    return _as_tensor(x) ** exponent


def max(x, dim=None, keepdim=False):  # noqa: A001 - torch.max
    return _as_tensor(x).max(dim, keepdim)


def min(x, dim=None, keepdim=False):  # noqa: A001 - torch.min
    return _as_tensor(x).min(dim, keepdim)


def amax(x, dim=None, keepdim=False):
    return _as_tensor(x).amax(dim, keepdim)


def amin(x, dim=None, keepdim=False):
    return _as_tensor(x).amin(dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return _as_tensor(x).argmin(dim, keepdim)


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
