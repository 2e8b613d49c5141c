"""torch.nn.functional: layers and activations as functions.

Every activation of torch.nn.functional is here with PyTorch's arguments,
written from the primitive ops (where, clamp, exp, tanh, sigmoid...) so
their gradients, and gradients of gradients, come from those ops' rules.
softplus (and log-sigmoid and mish, built on it) and gelu's erf are their own
ops (``ops/softplus.py``, ``ops/erf.py``): composed, softplus overflows. The
piecewise-linear ones (hardtanh, relu6, leaky_relu, rrelu, threshold, the
shrinks) are one ``PiecewiseLinear`` op each (``ops/piecewise.py``), so under
create_graph their gradient stays in the graph.

``inplace=True`` is accepted where PyTorch has it, but the result is always
a new Tensor: the input is not changed (use the returned value, as
``nn.Sequential`` does).
"""
import math

import numpy as np

from ..ops.erf import Erf as _Erf
from ..ops.linalg import Linear as _LinearOp
from ..ops.piecewise import PiecewiseLinear as _PiecewiseLinear
from ..ops.softplus import Softplus as _Softplus
from ..tensor.random import generator
from ..tensor.tensor import Tensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def linear(x, weight, bias=None):
    """x @ weight.T + bias as one op (BP2, BP3 and BP4 in its backward)."""
    if weight.ndim == 1:   # torch's one-output form (x @ w): the general matmul's rules
        out = x @ weight
        return out if bias is None else out + bias
    return _LinearOp.apply(x, weight, bias)


def _tensor(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}")
    return x


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def relu(input, inplace=False):
    return input.relu()


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


def softmax(input, dim, _stacklevel=3, dtype=None):
    """e^{x_i} / sum_j e^{x_j} along ``dim`` (the book's softmax layer, eq. 78);
    ``dtype`` casts the input first."""
    return _cast(input, dtype).softmax(dim)


def log_softmax(input, dim, _stacklevel=3, dtype=None):
    return _cast(input, dtype).log_softmax(dim)


def softmin(input, dim, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    return (-_cast(input, dtype)).softmax(dim)


def _strictly_inside(x, lo, hi):
    return (x.data > lo) & (x.data < hi)


def _piecewise(x, values, slope):
    """The piecewise-linear function of x with these values and slope
    (ops.piecewise: under create_graph its gradient stays in x's graph, as
    PyTorch's hardtanh_backward and the like)."""
    if x.data.dtype.kind in "iu" and values.dtype != x.data.dtype:
        values = values.astype(x.data.dtype)   # integers stay integers, as in PyTorch
    if slope.dtype != values.dtype and slope.dtype.kind == "f":
        slope = slope.astype(values.dtype)   # the gradient keeps its dtype
    return _PiecewiseLinear.apply(x, values=values, slope=slope)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped into [min_val, max_val]; the gradient passes strictly inside,
    as PyTorch's (at the corners it is 0, unlike clamp's)."""
    x = _tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    return _piecewise(x, np.clip(x.data, min_val, max_val),
                      _strictly_inside(x, min_val, max_val))


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    x = _tensor(input, "hardsigmoid")
    return x.where(_strictly_inside(x, -3.0, 3.0), np.clip(x.data, -3.0, 3.0)) / 6 + 0.5


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3)."""
    return input * hardsigmoid(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    x = _tensor(input, "leaky_relu")
    positive = x.data > 0
    return _piecewise(x, np.where(positive, x.data, x.data * negative_slope),
                      np.where(positive, 1.0, negative_slope))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: while training each negative element gets its own
    slope drawn from U(lower, upper) (the library's generator); otherwise the
    mean slope (lower + upper) / 2."""
    x = _tensor(input, "rrelu")
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    slopes = generator().uniform(lower, upper, x.shape).astype(x.dtype)
    positive = x.data >= 0
    return _piecewise(x, np.where(positive, x.data, x.data * slopes),
                      np.where(positive, 1.0, slopes))


def _elu_negative(x, alpha, inner=1.0):
    """alpha (e^{x inner} - 1) on the non-positive part; the exponential sees
    min(x, 0) so that it never overflows where the other branch is taken."""
    return (x.clamp(max=0) * inner).exp() * alpha - alpha


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha (e^x - 1) otherwise."""
    x = _tensor(input, "elu")
    return x.where(x.data > 0, _elu_negative(x, alpha))


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha (e^{x / alpha} - 1) otherwise."""
    x = _tensor(input, "celu")
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return x.where(x.data > 0, _elu_negative(x, alpha, 1.0 / alpha))


def softplus(input, beta=1.0, threshold=20.0):
    """ln(1 + e^{beta x}) / beta, and x where beta x > threshold; stable for any x."""
    return _Softplus.apply(_tensor(input, "softplus"), beta=float(beta),
                           threshold=float(threshold))


def logsigmoid(input):
    """ln sigma(x) = -softplus(-x): finite and exact for x = +-1e4."""
    return -softplus(-_tensor(input, "logsigmoid"))


def softsign(input):
    """x / (1 + |x|)."""
    return input / (abs(input) + 1)


def silu(input, inplace=False):
    """x sigma(x) (also called swish)."""
    return input * input.sigmoid()


def mish(input, inplace=False):
    """x tanh(softplus(x))."""
    return input * softplus(input).tanh()


def gelu(input, approximate="none"):
    """x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2; with
    ``approximate='tanh'``, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = _tensor(input, "gelu")
    if approximate == "none":
        return x * ((_Erf.apply(x * (1 / math.sqrt(2))) + 1) * 0.5)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * ((inner.tanh() + 1) * 0.5)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    x = _tensor(input, "threshold")
    above = x.data > threshold
    return _piecewise(x, np.where(above, x.data, value), above)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    x = _tensor(input, "hardshrink")
    outside = np.abs(x.data) > lambd
    return _piecewise(x, np.where(outside, x.data, 0), outside)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    x = _tensor(input, "softshrink")
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    outside = np.abs(x.data) > lambd
    return _piecewise(x, np.where(outside, x.data - x.data.clip(-lambd, lambd), 0), outside)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    x = _tensor(input, "glu")
    if x.ndim == 0:
        raise ValueError("glu: does not support 0-d tensors")
    d = dim % x.ndim
    n = x.shape[d]
    if n % 2:
        raise ValueError(f"glu: halving dimension {dim} needs an even size, got {n} "
                         f"(input shape {tuple(x.shape)})")
    lead = (slice(None),) * d
    return x[lead + (slice(0, n // 2),)] * x[lead + (slice(n // 2, n),)].sigmoid()


def prelu(input, weight):
    """x for x > 0, a x otherwise, with a learned ``weight`` a: one value, or
    one per channel (dimension 1 of the input)."""
    x = _tensor(input, "prelu")
    if weight.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D, got shape {tuple(weight.shape)}")
    c = weight.shape[0]
    if c != 1:
        channels = x.shape[1] if x.ndim >= 2 else (x.shape[0] if x.ndim == 1 else 1)
        if c != channels:
            raise ValueError(f"prelu: weight has {c} values but the input (shape "
                             f"{tuple(x.shape)}) has {channels} channels")
        if x.ndim >= 2:
            weight = weight.reshape((c,) + (1,) * (x.ndim - 2))
    return x.where(x.data > 0, x * weight)


# Losses, penalties, distances, dropout and embeddings (nn/losses.py, nn/pointwise_losses.py,
# nn/margin_losses.py, nn/distance.py, nn/dropout.py, nn/sparse.py).
from .dropout import dropout  # noqa: E402,F401
from .sparse import embedding  # noqa: E402,F401
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: E402,F401
                     cross_entropy, l1_penalty, l2_penalty, mse_loss, nll_loss, one_hot,
                     quadratic_cost)
from .pointwise_losses import (gaussian_nll_loss, huber_loss, kl_div,  # noqa: E402,F401
                               l1_loss, poisson_nll_loss, smooth_l1_loss)
from .margin_losses import (cosine_embedding_loss, hinge_embedding_loss,  # noqa: E402,F401
                            margin_ranking_loss, multi_margin_loss,
                            multilabel_soft_margin_loss, soft_margin_loss,
                            triplet_margin_loss)
from .distance import cosine_similarity, pairwise_distance  # noqa: E402,F401

# Convolution, pooling and padding (nn/conv.py, nn/pooling.py).
from .conv import conv1d, conv2d  # noqa: E402,F401
from .padding import pad  # noqa: E402,F401
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: E402,F401

# Normalization (nn/normalization.py).
from .normalization import (group_norm, instance_norm, layer_norm,  # noqa: E402,F401
                            local_response_norm)
