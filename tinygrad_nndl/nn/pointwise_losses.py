"""Losses computed element by element of an input and a target, then
reduced: L1, smooth L1, Huber, Kullback-Leibler divergence and the Poisson
and Gaussian negative log-likelihoods (torch.nn.functional names and
arguments; the module forms at the end).

They are compositions of Tensor ops, which give PyTorch's gradients, kinks
included (|x|'s is 0 at 0; smooth L1 and Huber take the linear piece at
|x| = beta or delta). Where a naive formula is not finite, a ``where`` picks
the limit: 0 ln 0 = 0 in the KL divergence, e^{-inf} (-inf - x) = 0 for a
log target of -inf, and the Stirling term of the Poisson loss only above
target 1. As for nn/losses.py, input and target shapes must agree: losses do
not broadcast.
"""
import math
import warnings

import numpy as np

from ..ops.dual import log, value, where
from ..ops.piecewise import clamped_below
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from .losses import (_float_target, _input, _legacy_reduction, _LossModule, _reduce, _same_shape,
                     _scale, _weight)

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
           "gaussian_nll_loss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
           "PoissonNLLLoss", "GaussianNLLLoss"]


def _pair(input, target, fn, reduction):
    """The checked input Tensor and target (a Tensor, or an array in the
    input's dtype), the reduction valid, before anything is computed."""
    input = _input(input, fn)
    target = _float_target(target, input, fn)
    _same_shape(input, target, fn)
    _scale(reduction, 1, fn)
    return input, target


def _same_size_weight(weight, input, fn):
    """The weight of l1_loss and huber_loss: exactly the input's shape."""
    if weight is None:
        return None
    if tuple(np.shape(weight.data if isinstance(weight, Tensor) else weight)) \
            != tuple(input.shape):
        raise ValueError(f"{fn}: weight of shape {tuple(np.shape(value(weight)))} and input of "
                         f"shape {tuple(input.shape)} must have the same size")
    return _weight(weight, input, fn)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|; its gradient sign(input - target) is 0 where they are
    equal. With ``weight`` (the input's shape) a mean divides by the summed
    weights, as in PyTorch."""
    fn = "l1_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, fn, reduction)
    weight = _same_size_weight(weight, input, fn)
    loss = abs(input - target)
    if weight is None:
        return _reduce(loss, reduction, fn)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction, fn)


def _piecewise_quadratic(input, target, width):
    """0.5 d^2 for |d| < width, else width (|d| - 0.5 width), d = input -
    target: Huber's loss, and smooth L1's times width. At |d| = width the
    linear piece holds, so a second derivative there is 0, as in PyTorch."""
    d = input - target
    size = abs(d)
    inside = size.data < width
    near = d.where(inside, 0)   # the square sees no infinite d: its 0 gradient stays 0
    return (near * near * 0.5).where(inside, (size - 0.5 * width) * width)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta for |d| < beta, else |d| - 0.5 beta (d = input - target):
    quadratic near 0, linear beyond. beta = 0 is the L1 loss."""
    fn = "smooth_l1_loss"
    if beta < 0:
        raise OpError(f"{fn} does not support negative values for beta, got {beta}")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, fn, reduction)
    if beta == 0:   # no quadratic piece: L1, its errors still named smooth_l1_loss
        return _reduce(abs(input - target), reduction, fn)
    return _reduce(_piecewise_quadratic(input, target, beta) * (1.0 / beta), reduction, fn)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 for |d| < delta, else delta (|d| - 0.5 delta): smooth L1 times
    delta. With ``weight`` (the input's shape) a mean is over the elements,
    not the weights (PyTorch's, unlike l1_loss)."""
    fn = "huber_loss"
    if delta <= 0:
        raise OpError(f"{fn} does not support non-positive values for delta, got {delta}")
    input, target = _pair(input, target, fn, reduction)
    weight = _same_size_weight(weight, input, fn)
    loss = _piecewise_quadratic(input, target, delta)
    return _reduce(loss if weight is None else loss * weight, reduction, fn)


_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the "
                    "support size.'batchmean' divides only by the batch size, and aligns with "
                    "the KL div math definition.'mean' will be changed to behave the same as "
                    "'batchmean' in the next major release.")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence of the log-probabilities ``input``
    from ``target`` (probabilities, or log-probabilities with
    ``log_target``): target (ln target - input) elementwise, 0 where target
    is 0 (or its log -inf).

    'batchmean' divides the sum by the batch size (the divergence per
    example); 'mean' divides by the number of elements and warns, as PyTorch
    does.
    """
    fn = "kl_div"
    legacy = size_average is not None or reduce is not None
    reduction = _legacy_reduction(size_average, reduce, reduction)
    batchmean = reduction == "batchmean"
    input, target = _pair(input, target, fn, "sum" if batchmean else reduction)
    if reduction == "mean" and not legacy:
        warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    if not isinstance(target, Tensor):   # so that its logs are ops: quiet about 0 and below
        target = Tensor._make(target, None)
    t = value(target)
    if log_target:
        empty = t == -np.inf
        safe = where(empty, 0.0, target) if empty.any() else target
        loss = safe.exp() * (safe - input)
        if empty.any():
            loss = loss.where(~empty, 0.0)
    else:
        # x ln x with x = 0 taken as 1 inside the log: 0, and a gradient that
        # stays finite (0 * ln 0 would be NaN in both)
        zero = t == 0
        entropy = target * (where(zero, 1.0, target) if zero.any() else target).log()
        loss = entropy - target * input
    if batchmean:
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction, fn)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """The negative log-likelihood of ``target`` counts under Poisson rates:
    e^input - target input for log rates (``log_input``), else
    input - target ln(input + eps). ``full`` adds Stirling's approximation of
    ln(target!), target ln target - target + ln(2 pi target) / 2, where
    target > 1 (PyTorch's)."""
    fn = "poisson_nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _pair(input, target, fn, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        above = value(target) > 1
        if above.any():
            t = where(above, target, 1.0)   # log(t) only where it is used: no log of 0
            stirling = t * log(t) - t + log(t * (2 * math.pi)) * 0.5
            loss = loss + where(above, stirling, 0.0)
    return _reduce(loss, reduction, fn)


def _variance(var, input, eps, fn):
    """var as PyTorch takes it: a number, the input's shape, that shape
    without its last dimension, or with one dimension of size 1; clamped to
    eps in value only (PyTorch clamps under no_grad, so the gradient passes
    through the clamp as if it were not there)."""
    if isinstance(var, (int, float, np.number)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{fn}: var has negative entry/entries, got {var}")
        return np.full(input.shape, max(var, eps), dtype=input.dtype)
    var = _float_target(var, input, fn, "var")
    v = value(var)
    if (v < 0).any():
        raise ValueError(f"{fn}: var has negative entry/entries")
    vs, xs = tuple(var.shape), tuple(input.shape)
    if vs != xs:
        if xs[:-1] == vs:   # one variance per example: broadcast along the last dimension
            var, v = var.reshape(vs + (1,)), v.reshape(vs + (1,))
        elif len(vs) != len(xs) or sum(m for n, m in zip(xs, vs) if n != m) != 1:
            raise ValueError(f"{fn}: var is of incorrect size: got shape {vs} for input of "
                             f"shape {xs} (expected the input's shape, that shape without its "
                             f"last dimension, or with one dimension of size 1)")
    if isinstance(var, Tensor) and var.requires_grad:
        return clamped_below(var, eps)
    return np.maximum(v, eps).astype(v.dtype, copy=False)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """The negative log-likelihood of ``target`` under normal distributions of
    mean ``input`` and variance ``var``: (ln var + (input - target)^2 / var) / 2,
    plus ln(2 pi) / 2 with ``full``; var clamped below at eps."""
    fn = "gaussian_nll_loss"
    input, target = _pair(input, target, fn, reduction)
    v = _variance(var, input, eps, fn)
    loss = (log(v) + (input - target) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, fn)


# ----- modules ----------------------------------------------------------------
class L1Loss(_LossModule):
    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_LossModule):
    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_LossModule):
    def __init__(self, reduction="mean", delta=1.0):
        if isinstance(delta, bool) or not isinstance(delta, (int, float)):
            raise TypeError(f"HuberLoss: delta must be a float or int, got {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_LossModule):
    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        batchmean = reduction == "batchmean" and size_average is None and reduce is None
        super().__init__(size_average, reduce, "sum" if batchmean else reduction)
        self.reduction = "batchmean" if batchmean else self.reduction
        self.log_target = log_target

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_LossModule):
    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_LossModule):
    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                 reduction=self.reduction)
