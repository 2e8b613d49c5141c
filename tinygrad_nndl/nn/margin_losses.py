"""Margin and embedding losses (torch.nn.functional names and arguments; the
module forms at the end): margin ranking, hinge embedding, soft margin,
multi-label soft margin, cosine embedding, triplet margin and multi-class
margin.

Their targets are labels (+-1, or 0/1 for multi-label, class indices for
multi-margin), so integer targets are taken as PyTorch takes them. Hinges
are ``clamp(min=0)``, whose gradient at the kink is PyTorch's clamp_min's
(the piece above passes); the soft margins use the stable softplus of the
binary cross-entropy op (ops/loss.py). Shapes must agree as in nn/losses.py:
losses do not broadcast.
"""
import numpy as np

from ..ops import loss as L
from ..ops.dual import value
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from .distance import pairwise_distance
from .losses import (_input, _legacy_reduction, _LossModule, _reduce, _same_shape, _scale,
                     _weight, _WeightedLoss)

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "multi_margin_loss", "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
           "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
           "MultiMarginLoss"]

_COSINE_EPSILON = 1e-12   # PyTorch's, added to each squared norm in cosine_embedding_loss


def _label_target(target, input, fn):
    """A label target: a float Tensor as given (it may require grad), else
    its values in the input's dtype (integer labels are common here)."""
    if isinstance(target, Tensor) and target.data.dtype.kind == "f":
        return target
    t = np.asarray(value(target))
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: target must hold numbers, got dtype {t.dtype}")
    return t.astype(input.dtype)


def _begin(input, target, fn, reduction, size_average=None, reduce=None):
    """The checked input, label target and reduction, before anything is computed."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _scale(reduction, 1, fn)
    input = _input(input, fn)
    target = _label_target(target, input, fn)
    return input, target, reduction


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target (input1 - input2) + margin): input1 should rank above
    input2 by ``margin`` where target is 1, below where it is -1."""
    fn = "margin_ranking_loss"
    input1, target, reduction = _begin(input1, target, fn, reduction, size_average, reduce)
    input2 = _input(input2, fn)
    _same_shape(input1, input2, fn, "input2")
    _same_shape(input1, target, fn)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction, fn)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input (a distance) where target is 1, max(0, margin - input) where it
    is -1; other target values get both terms, as in PyTorch."""
    fn = "hinge_embedding_loss"
    input, target, reduction = _begin(input, target, fn, reduction, size_average, reduce)
    _same_shape(input, target, fn)
    t = value(target)
    loss = (margin - input).clamp(min=0).where(t != 1, 0.0) + input.where(t != -1, 0.0)
    return _reduce(loss, reduction, fn)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """ln(1 + e^{-target input}), the logistic loss of +-1 labels, computed as
    a softplus: finite where PyTorch's e^{-target input} overflows to inf."""
    fn = "soft_margin_loss"
    input, target, reduction = _begin(input, target, fn, reduction, size_average, reduce)
    _same_shape(input, target, fn)
    z = -target * input
    return L.BinaryCrossEntropyWithLogits.apply(z, np.zeros(z.shape, z.dtype),
                                                scale=_scale(reduction, input.numel(), fn))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-[y ln sigma(x) + (1 - y) ln sigma(-x)] per class (binary cross-entropy
    of the logits), times ``weight``, averaged over the classes (the last
    dimension), then reduced over the examples."""
    fn = "multilabel_soft_margin_loss"
    input, target, reduction = _begin(input, target, fn, reduction, size_average, reduce)
    _same_shape(input, target, fn)
    if input.ndim == 0:
        raise OpError(f"{fn}: input must have a class dimension, got a 0-d tensor")
    w = None if weight is None else _weight(weight, input, fn)
    loss = L.BinaryCrossEntropyWithLogits.apply(input, target)
    if w is not None:
        loss = loss * w
    return _reduce(loss.sum(-1) / input.shape[-1], reduction, fn)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where
    it is -1 (0 for other values); cos along the last dimension of (N, D)
    inputs with (N,) targets, or of (D,) inputs with a 0-d target. Each
    squared norm gets 1e-12 added, as in PyTorch."""
    fn = "cosine_embedding_loss"
    input1, target, reduction = _begin(input1, target, fn, reduction, size_average, reduce)
    input2 = _input(input2, fn)
    _same_shape(input1, input2, fn, "input2")
    k = np.ndim(value(target))
    if k > 1:
        raise OpError(f"{fn}: 0D or 1D target tensor expected, multi-target not supported; "
                      f"got target of shape {tuple(target.shape)}")
    if input1.ndim != k + 1 or tuple(input1.shape[:k]) != tuple(target.shape):
        raise OpError(f"{fn}: a target of shape {tuple(target.shape)} needs inputs of shape "
                      f"{'(D,)' if k == 0 else f'({target.shape[0]}, D)'}, got "
                      f"{tuple(input1.shape)}")
    dot = (input1 * input2).sum(k)
    squares = ((input1 * input1).sum(k) + _COSINE_EPSILON) \
        * ((input2 * input2).sum(k) + _COSINE_EPSILON)
    cos = dot / squares.sqrt()
    t = value(target)
    loss = (1 - cos).where(t == 1, 0.0) + (cos - margin).clamp(min=0).where(t == -1, 0.0)
    return _reduce(loss, reduction, fn)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the
    pairwise p-norm distance along the last dimension; with ``swap`` the
    negative's distance is the smaller of its distances to the anchor and
    to the positive."""
    fn = "triplet_margin_loss"
    if margin <= 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _scale(reduction, 1, fn)
    anchor, positive, negative = (_input(x, fn) for x in (anchor, positive, negative))
    _same_shape(anchor, positive, fn, "positive")
    _same_shape(anchor, negative, fn, "negative")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction, fn)


def _class_targets(target, input, fn):
    """multi_margin_loss's targets: one class index per example, in range."""
    t = np.asarray(value(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices (convert them with "
                        f"target.long()), got dtype {t.dtype}")
    n = input.shape[0] if input.ndim == 2 else 1
    if t.ndim > 1 or t.size != n:
        raise OpError(f"{fn}: target should be 1-D with one class index per example: expected "
                      f"{n}, got target of shape {t.shape} for input of shape "
                      f"{tuple(input.shape)}")
    c = input.shape[-1]
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"{fn}: target {int(t[(t < 0) | (t >= c)][0])} is out of range for "
                         f"{c} classes")
    return t.reshape(n)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """The multi-class hinge loss of class scores x (N, C) or (C,) and target
    classes y: sum over i != y of max(0, margin - x_y + x_i)^p, times
    weight[y], over C. A term at exactly 0 has gradient 0 (PyTorch's test
    is z > 0)."""
    fn = "multi_margin_loss"
    if p not in (1, 2):
        raise ValueError(f"{fn}: only p == 1 and p == 2 supported, got p={p}")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _scale(reduction, 1, fn)
    input = _input(input, fn)
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise OpError(f"{fn}: expected non-empty vector or matrix with optional 0-dim batch "
                      f"size, but got input of shape {tuple(input.shape)}")
    t = _class_targets(target, input, fn)
    c = input.shape[-1]
    w = None
    if weight is not None:
        w = np.asarray(value(weight), dtype=input.dtype)
        if w.ndim != 1:
            raise ValueError(f"{fn}: weight must be one-dimensional, got shape {w.shape}")
        if w.shape != (c,):
            raise OpError(f"{fn}: weight must have one value per class ({c}), got shape "
                          f"{w.shape}")
    x = input.reshape((-1, c))
    z = margin - x.gather(1, t[:, None]) + x
    active = (z.data > 0) & (np.arange(c) != t[:, None])
    terms = (z if p == 1 else z * z).where(active, 0.0)
    if w is not None:
        terms = terms * w[t][:, None]
    loss = terms.sum(1) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction, fn)


# ----- modules ----------------------------------------------------------------
class MarginRankingLoss(_LossModule):
    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, self.margin,
                                   reduction=self.reduction)


class HingeEmbeddingLoss(_LossModule):
    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_LossModule):
    def forward(self, input, target):
        return soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    def forward(self, input, target):
        return multilabel_soft_margin_loss(input, target, self.weight,
                                           reduction=self.reduction)


class CosineEmbeddingLoss(_LossModule):
    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return cosine_embedding_loss(input1, input2, target, self.margin,
                                     reduction=self.reduction)


class TripletMarginLoss(_LossModule):
    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                   self.swap, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got p={p}")
        if weight is not None and np.ndim(value(weight)) != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{np.ndim(value(weight))}D instead")
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                 reduction=self.reduction)
