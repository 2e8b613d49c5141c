"""Layer, group, instance and local response normalization (torch.nn names).

Not in the book: like batch normalization (nn/batchnorm.py) they keep the
activations of a deep network at zero mean and unit variance, but over other
axes, so that the statistics of one example do not depend on the others in
its mini-batch: layer norm over each example's features (transformers), group
norm over groups of channels, instance norm over each channel's positions.

Layer, group and instance norm standardize with the biased variance
(ops/normalization.py, one graph node) and, when affine, apply a learned
per-feature scale ``weight`` and shift ``bias``, named as in PyTorch so that
state dicts load from it; local response norm divides by a power of its
neighbouring channels' mean square and has no parameters.
"""
import math
import numbers
import warnings

import numpy as np

from ..ops.normalization import Standardize
from ..tensor.dtypes import float32, torch_name
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from . import init
from .batchnorm import _BatchNorm
from .module import Module, Parameter, _check_device
from .padding import pad

__all__ = ["layer_norm", "group_norm", "instance_norm", "local_response_norm", "LayerNorm",
           "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LocalResponseNorm"]


def _input(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x.data.dtype.kind != "f":   # PyTorch's type: its kernels exist for floats only
        raise NotImplementedError(f"{fn}: not implemented for {torch_name(x.data.dtype)} "
                                  f"input; convert it with .float()")
    return x


def _param(p, x, what, shape, fn, expected):
    """A weight or bias (Tensor or array) of ``shape``, in the input's dtype
    (refused otherwise; PyTorch's CPU kernels mix float16 input with float32
    parameters); None stays None."""
    if p is None:
        return None
    if not isinstance(p, Tensor):
        p = np.asarray(p, dtype=x.dtype)
    if tuple(p.shape) != tuple(shape):
        raise OpError(f"{fn}: expected {what} to be {expected}, but got {what} of shape "
                      f"{tuple(p.shape)} and input of shape {tuple(x.shape)}")
    if p.dtype != x.dtype:
        raise OpError(f"{fn}: mixed dtypes: {what} is {torch_name(p.dtype)} but the input is "
                      f"{torch_name(x.dtype)}; convert one of them")
    return p


def _affine(y, weight, bias, shape):
    """y * weight + bias, the parameters laid out as ``shape`` to broadcast."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


# ----- layer norm -------------------------------------------------------------
def _shape_tuple(normalized_shape, fn):
    if isinstance(normalized_shape, (numbers.Integral, np.integer)):
        return (int(normalized_shape),)
    shape = tuple(normalized_shape)
    for i, n in enumerate(shape):
        if not isinstance(n, (numbers.Integral, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{fn}: normalized_shape must be a tuple of ints, but found an "
                            f"element of type {type(n).__name__} at position {i}")
    return tuple(int(n) for n in shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Standardize over the last len(normalized_shape) dimensions of each
    example, then y * weight + bias (both of shape ``normalized_shape``)."""
    fn = "layer_norm"
    x = _input(input, fn)
    shape = _shape_tuple(normalized_shape, fn)
    if not shape:
        raise OpError(f"{fn}: expected normalized_shape to be at least 1-dimensional, i.e., "
                      f"containing at least one element, but got normalized_shape = ()")
    k = len(shape)
    if x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise OpError(f"{fn}: given normalized_shape={shape}, expected input with shape "
                      f"(*, {', '.join(map(str, shape))}), but got input of shape "
                      f"{tuple(x.shape)}")
    expected = f"of shape normalized_shape {shape}"
    weight = _param(weight, x, "weight", shape, fn, expected)
    bias = _param(bias, x, "bias", shape, fn, expected)
    y = Standardize.apply(x, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)
    return _affine(y, weight, bias, shape)


class LayerNorm(Module):
    """Layer normalization (Ba et al., 2016) over the trailing
    ``normalized_shape`` of every example, with an elementwise ``weight``
    (ones) and ``bias`` (zeros) of that shape when ``elementwise_affine``."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        _check_device(device, "LayerNorm")
        self.normalized_shape = _shape_tuple(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _make_affine(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


def _make_affine(module, shape, affine, bias, dtype):
    """``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None for those left out."""
    dtype = np.dtype(dtype or float32)
    module.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if affine
                              else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dtype=dtype))
                              if affine and bias else None)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


# ----- group norm -------------------------------------------------------------
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels of an (N, C, *) input into ``num_groups`` groups
    and standardize each example's group (its channels and positions), then
    y * weight + bias per channel (shape (C,))."""
    fn = "group_norm"
    x = _input(input, fn)
    if x.ndim < 2:
        raise OpError(f"{fn}: expected at least 2 dimensions for input tensor but received "
                      f"{x.ndim} (shape {tuple(x.shape)})")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise OpError(f"{fn}: expected the number of channels in input to be divisible by "
                      f"num_groups > 0, but got input of shape {tuple(x.shape)} and "
                      f"num_groups={num_groups}")
    spatial = math.prod(x.shape[2:])
    if n * c // num_groups * spatial == 1:   # PyTorch's check (as for batch norm)
        raise ValueError(f"{fn}: expected more than 1 value per channel when training, got "
                         f"input of shape {tuple(x.shape)} and num_groups={num_groups}")
    expected = f"a vector of size equal to the number of channels ({c})"
    weight = _param(weight, x, "weight", (c,), fn, expected)
    bias = _param(bias, x, "bias", (c,), fn, expected)
    grouped = x.reshape((n, num_groups, c // num_groups * spatial))
    y = Standardize.apply(grouped, axes=(2,), eps=eps).reshape(tuple(x.shape))
    return _affine(y, weight, bias, (c,) + (1,) * (x.ndim - 2))


class GroupNorm(Module):
    """Group normalization (Wu and He, 2018): ``num_channels`` channels in
    ``num_groups`` groups, each standardized per example; a per-channel
    ``weight`` and ``bias`` when ``affine``."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        _check_device(device, "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _make_affine(self, (num_channels,), affine, bias, dtype)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


# ----- instance norm ----------------------------------------------------------
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Standardize each channel of each example of an (N, C, *) input over its
    positions, then y * weight + bias per channel.

    With ``running_mean`` and ``running_var`` (shape (C,)) and
    ``use_input_stats``, these move towards the batch's per-instance
    statistics averaged over the examples, running = (1 - momentum) running +
    momentum stat, the variance unbiased (PyTorch's rule); without
    ``use_input_stats`` they normalize instead (evaluation).
    """
    fn = "instance_norm"
    x = _input(input, fn)
    if x.ndim < 2:
        raise OpError(f"{fn}: expected an input of shape (N, C, *), got {tuple(x.shape)}")
    c = x.shape[1]
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{fn}: running_mean and running_var must either both be None or "
                         f"neither be None")
    if not use_input_stats and running_mean is None:
        raise OpError(f"{fn}: expected running_mean and running_var to be defined when "
                      f"use_input_stats is false")
    expected = f"a vector of size equal to the number of channels ({c})"
    weight = _param(weight, x, "weight", (c,), fn, expected)
    bias = _param(bias, x, "bias", (c,), fn, expected)
    for what, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and not isinstance(t, Tensor):   # updated in place: a buffer
            raise TypeError(f"{fn}: {what} must be a Tensor, got {type(t).__name__}")
        if t is not None and tuple(t.shape) != (c,):
            raise OpError(f"{fn}: expected {what} to be {expected}, but got {what} of shape "
                          f"{tuple(t.shape)} and input of shape {tuple(x.shape)}")
    shape = (c,) + (1,) * (x.ndim - 2)
    if not use_input_stats:
        scale = (running_var + eps) ** -0.5
        y = (x - running_mean.reshape(shape)) * scale.reshape(shape)
        return _affine(y, weight, bias, shape)
    count = math.prod(x.shape[2:])
    if count <= 1:
        raise ValueError(f"{fn}: expected more than 1 spatial element when training, got "
                         f"input of shape {tuple(x.shape)}")
    axes = tuple(range(2, x.ndim))
    if running_mean is not None and x.shape[0]:
        _track(running_mean, running_var, x.data, axes, momentum)
    return _affine(Standardize.apply(x, axes=axes, eps=eps), weight, bias, shape)


def _track(running_mean, running_var, x, axes, momentum):
    """running = (1 - m) running + m stat, stat each instance's mean and
    unbiased variance averaged over the batch (PyTorch's update)."""
    mean = x.mean(axis=axes)
    var = x.var(axis=axes, ddof=1)
    for t, stat in ((running_mean, mean.mean(axis=0)), (running_var, var.mean(axis=0))):
        t.data *= 1 - momentum
        t.data += (momentum * stat).astype(t.data.dtype, copy=False)
        t._mark_modified()


class _InstanceNorm(_BatchNorm):
    """Parameters and buffers as batch norm's (PyTorch's common _NormBase),
    other defaults: no affine part and no running statistics."""

    _no_batch_ndim = 0   # the rank of an unbatched input

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        _check_device(device, type(self).__name__)
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         dtype=dtype)
        if not bias:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input):
        name, nd = type(self).__name__, self._no_batch_ndim
        x = _input(input, name)
        if x.ndim not in (nd, nd + 1):
            raise ValueError(f"{name}: expected {nd}D or {nd + 1}D input (got {x.ndim}D input "
                             f"of shape {tuple(x.shape)})")
        feature_dim = x.ndim - nd
        if x.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{name}: expected input's size at dim={feature_dim} to "
                                 f"match num_features ({self.num_features}), but got: "
                                 f"{x.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          f"You can silence this warning by not passing in num_features, "
                          f"which is not used because affine=False", stacklevel=2)
        if x.ndim == nd:
            return self._normalize(x.unsqueeze(0)).squeeze(0)
        return self._normalize(x)

    def _normalize(self, x):
        # PyTorch's module passes momentum None as 0 (the statistics stay put)
        # and never counts num_batches_tracked for instance norm.
        return instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             0.0 if self.momentum is None else self.momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Over (N, C, L) or unbatched (C, L) inputs: each channel of each example over L."""
    _no_batch_ndim = 2


class InstanceNorm2d(_InstanceNorm):
    """Over (N, C, H, W) or unbatched (C, H, W) inputs: each feature map of each example."""
    _no_batch_ndim = 3


# ----- local response norm ----------------------------------------------------
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha/size sum of x^2 over ``size`` neighbouring channels)^beta
    (AlexNet's normalization), channels along dimension 1, the window
    zero-padded at the ends (PyTorch's: size // 2 before, (size - 1) // 2 after)."""
    fn = "local_response_norm"
    x = _input(input, fn)
    if x.ndim < 3:
        raise ValueError(f"{fn}: expected 3D or higher dimensionality input (got {x.ndim} "
                         f"dimensions, shape {tuple(x.shape)})")
    if size <= 0:
        raise OpError(f"{fn}: size must be greater than zero, got {size}")
    if x.numel() == 0:
        return x
    c = x.shape[1]
    padded = pad(x * x, (0, 0) * (x.ndim - 2) + (size // 2, (size - 1) // 2))
    window = padded[:, :c]
    for j in range(1, size):
        window = window + padded[:, j:j + c]
    return x / ((window / size) * alpha + k) ** beta


class LocalResponseNorm(Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
