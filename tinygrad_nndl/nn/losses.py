"""Cost functions (torch.nn.functional names) and the book's regularization terms.

The book's costs are here under their PyTorch names: the quadratic cost
(``quadratic_cost``, eq. 6; ``mse_loss`` is the same up to the factor 1/2 and
the mean over outputs), the cross-entropy of a sigmoid output
(``binary_cross_entropy``, eq. 57, or ``binary_cross_entropy_with_logits`` on
z directly) and the softmax layer with the log-likelihood cost
(``cross_entropy`` on logits, or ``nll_loss`` after ``log_softmax``, eq. 80).

Unlike PyTorch, a loss whose input and target shapes differ raises instead of
broadcasting: an output of shape (N, 1) against targets of shape (N,) would
otherwise silently compare every output with every target.

The loss modules at the end (``MSELoss``, ``CrossEntropyLoss``, ...) are thin
wrappers with PyTorch's constructor arguments.
"""
import numpy as np

from ..ops import loss as L
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from .module import Module

__all__ = ["mse_loss", "quadratic_cost", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "one_hot",
           "l1_penalty", "l2_penalty", "MSELoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss"]


# ----- argument checks ------------------------------------------------------
def _input(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        raise TypeError(f"{fn}: input must be a floating-point Tensor, got {x.dtype}")
    return x


def _float_target(target, input, fn, what="target"):
    """A Tensor target is used as given; arrays and lists take the input's
    dtype (a float64 target must not turn a float32 loss into float64)."""
    if isinstance(target, Tensor):
        if target.data.dtype.kind != "f":
            raise TypeError(f"{fn}: {what} must be floating point, got {target.dtype}")
        return target
    return np.asarray(target, dtype=input.dtype)


def _same_shape(input, target, fn, what="target"):
    if input.shape != target.shape:
        raise OpError(f"{fn}: input shape {tuple(input.shape)} and {what} shape "
                      f"{tuple(target.shape)} differ; losses do not broadcast (reshape "
                      f"one of them, e.g. with .reshape({tuple(input.shape)}))")


def _scale(reduction, count, fn):
    """The factor of the summed loss: 1/count for 'mean', 1 for 'sum', None
    for 'none'. A mean over nothing is NaN, as in PyTorch."""
    if reduction == "mean":
        return 1.0 / count if count else float("nan")
    if reduction == "sum":
        return 1.0
    if reduction == "none":
        return None
    raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction, fn):
    """Reduce an elementwise loss built from Tensor ops."""
    scale = _scale(reduction, loss.numel(), fn)
    return loss if scale is None else loss.sum() * scale


# ----- regression and the book's quadratic cost ------------------------------
def mse_loss(input, target, reduction="mean"):
    """mean((input - target)^2) over all elements (torch.nn.functional.mse_loss)."""
    input = _input(input, "mse_loss")
    target = _float_target(target, input, "mse_loss")
    _same_shape(input, target, "mse_loss")
    return L.SquaredError.apply(input, target,
                                scale=_scale(reduction, input.numel(), "mse_loss"))


def quadratic_cost(input, target):
    """The book's quadratic cost C = (1/2n) sum_x ||y(x) - a^L(x)||^2 (eq. 6),
    n = the number of examples = the size of the first dimension.

    Its gradient dC/da^L = (a^L - y)/n; through a sigmoid output layer it gives
    BP1, delta^L = (a^L - y) * sigma'(z^L) (per example, over n).
    """
    input = _input(input, "quadratic_cost")
    target = _float_target(target, input, "quadratic_cost")
    _same_shape(input, target, "quadratic_cost")
    shape = input.data.shape
    n = shape[0] if shape else 1
    return L.SquaredError.apply(input, target, scale=0.5 / n if n else float("nan"))


# ----- binary cross-entropy ---------------------------------------------------
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-[y ln a + (1 - y) ln(1 - a)] on probabilities a in [0, 1]: the book's
    cross-entropy cost (eq. 57 per neuron, eq. 63 for a layer). Finite when a
    is exactly 0 or 1 (logs clamped at -100, as in PyTorch).

    On a sigmoid output its error is delta^L = a^L - y (eq. 66): the sigma'(z)
    of the quadratic cost cancels, so saturated neurons still learn.
    ``weight`` multiplies each element's loss (broadcast to the input's shape).
    """
    fn = "binary_cross_entropy"
    input = _input(input, fn)
    target = _float_target(target, input, fn)
    _same_shape(input, target, fn)
    a = input.data
    if a.size and (a.min() < 0 or a.max() > 1):
        raise OpError(f"{fn}: input values must lie in [0, 1] (probabilities), got "
                      f"values in [{a.min()}, {a.max()}]; for logits use "
                      f"binary_cross_entropy_with_logits")
    if weight is None:
        return L.BinaryCrossEntropy.apply(input, target, scale=_scale(reduction, a.size, fn))
    return _reduce(L.BinaryCrossEntropy.apply(input, target) * _weight(weight, input, fn),
                   reduction, fn)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of sigmoid(input), computed stably from the logits
    as max(z, 0) - z y + ln(1 + e^{-|z|}); its gradient is sigma(z) - y (eq. 66).

    ``pos_weight`` (broadcast along the last dimension, as in PyTorch) weights
    the positive term: l = (1 - y) z + (1 + (p - 1) y) ln(1 + e^{-z}).
    """
    fn = "binary_cross_entropy_with_logits"
    input = _input(input, fn)
    target = _float_target(target, input, fn)
    _same_shape(input, target, fn)
    if weight is None and pos_weight is None:
        return L.BinaryCrossEntropyWithLogits.apply(
            input, target, scale=_scale(reduction, input.numel(), fn))
    if pos_weight is None:
        loss = L.BinaryCrossEntropyWithLogits.apply(input, target)
    else:
        pw = _weight(pos_weight, input, fn, "pos_weight")
        # ln(1 + e^{-z}) is the op's loss at y = 0 evaluated at -z.
        softplus_neg = L.BinaryCrossEntropyWithLogits.apply(-input, np.zeros_like(input.data))
        loss = (1 - target) * input + (1 + (pw - 1) * target) * softplus_neg
    if weight is not None:
        loss = loss * _weight(weight, input, fn)
    return _reduce(loss, reduction, fn)


def _weight(weight, input, fn, what="weight"):
    """A weight broadcastable to the input's shape, in the input's dtype
    (kept as given if it is a Tensor that requires grad)."""
    if isinstance(weight, Tensor) and weight.requires_grad:
        w = weight
    else:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight,
                       dtype=input.dtype)
    try:
        fits = np.broadcast_shapes(tuple(w.shape), tuple(input.shape)) == tuple(input.shape)
    except ValueError:
        fits = False
    if not fits:
        raise OpError(f"{fn}: {what} of shape {tuple(w.shape)} does not broadcast to the "
                      f"input shape {tuple(input.shape)}")
    return w


# ----- softmax + log-likelihood ---------------------------------------------
def _class_axis(input, fn):
    ndim = input.data.ndim
    if ndim == 0:
        raise OpError(f"{fn}: input must have a class dimension, got a 0-d tensor")
    return 0 if ndim == 1 else 1


def _index_array(target):
    """The integer array of class-index targets, or None for a float
    (probability) target."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind in "iu":
        return t
    if t.dtype.kind == "f":
        return None
    raise TypeError(f"target must hold class indices (integers) or class probabilities "
                    f"(floats), got dtype {t.dtype}")


# signed integer dtype (native byte order) -> (the unsigned one of its size, its largest value)
_AS_UNSIGNED = {np.dtype(f"i{size}"): (np.dtype(f"u{size}"), np.iinfo(f"i{size}").max)
                for size in (1, 2, 4, 8)}


def _indices_below(t, n):
    """Whether every entry of the integer array t is in [0, n). One pass where a
    negative entry, read as unsigned, is surely >= n; two otherwise."""
    unsigned, largest = _AS_UNSIGNED.get(t.dtype, (None, -1))
    if n <= largest:
        return np.maximum.reduce(t.view(unsigned), axis=None) < n
    return t.min() >= 0 and t.max() < n


def _index_loss(op, input, t, weight, ignore_index, reduction, fn):
    """Validate integer targets (shape, range, ignore_index) and apply ``op``."""
    axis = _class_axis(input, fn)
    shape = input.data.shape
    n_classes = shape[axis]
    expected = shape[:axis] + shape[axis + 1:]
    if t.shape != expected:
        raise ValueError(f"{fn}: input of shape {tuple(input.shape)} (classes along dim "
                         f"{axis}) needs class-index targets of shape {expected}, got "
                         f"{t.shape}")
    ignored = None
    if t.size:
        if 0 <= ignore_index < n_classes or not _indices_below(t, n_classes):
            ignored = t == ignore_index
            bad = ~ignored & ((t < 0) | (t >= n_classes))
            if bad.any():
                raise IndexError(f"{fn}: target {int(t[bad][0])} is out of bounds for "
                                 f"{n_classes} classes (valid class indices are 0 to "
                                 f"{n_classes - 1}; ignore_index={ignore_index})")
            if not ignored.any():
                ignored = None
            else:
                t = np.where(ignored, 0, t)
    elem_weight = None
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight,
                       dtype=input.dtype)
        if w.shape != (n_classes,):
            raise OpError(f"{fn}: weight must have shape ({n_classes},), one per class, "
                          f"got {w.shape}")
        elem_weight = w[t]
    if ignored is not None:
        keep = ~ignored
        elem_weight = keep.astype(input.dtype) if elem_weight is None else elem_weight * keep
    count = t.size if elem_weight is None else float(elem_weight.sum())
    return op.apply(input, target=t, axis=axis, weight=elem_weight,
                    scale=_scale(reduction, count, fn))


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated size_average / reduce flags, turned into a reduction."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax output layer plus log-likelihood cost, fused:
    -ln softmax(z)_y (eq. 80) computed as logsumexp(z) - z_y, finite for logits
    of any size. Its gradient softmax(z) - one_hot(y) is eq. 81-82
    (dC/db^L_j = a^L_j - y_j).

    ``input``: logits of shape (N, C), (N, C, d1, ...) or (C,).
    ``target``: class indices (an int64 Tensor or integer array of shape
    (N,), (N, d1, ...) or ()), or class probabilities of the input's shape.
    A class index out of range raises IndexError naming it. With ``weight``
    (shape (C,)) a mean divides by the summed weights of the targets, as in
    PyTorch; ``ignore_index`` entries contribute nothing. ``label_smoothing``
    eps mixes the target with the uniform distribution: (1 - eps) times the
    loss above plus eps/C times the summed -ln softmax(z)_c over the classes
    (PyTorch's formula, weights and ignore_index included).
    """
    fn = "cross_entropy"
    input = _input(input, fn)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise OpError(f"{fn}: label_smoothing must be between 0.0 and 1.0, got "
                      f"{label_smoothing}")
    t = _index_array(target)
    axis = _class_axis(input, fn)
    n_classes = input.data.shape[axis]
    if t is not None:
        loss = _index_loss(L.SoftmaxCrossEntropy, input, t, weight, ignore_index,
                           reduction, fn)
        if not label_smoothing:
            return loss
        return (loss * (1 - label_smoothing)
                + _smoothing_term(input, t, weight, ignore_index, reduction, axis, fn)
                * (label_smoothing / n_classes))
    target = _float_target(target, input, fn)
    expected = tuple(input.shape[:axis] + input.shape[axis + 1:])
    if tuple(target.shape) == expected and tuple(target.shape) != tuple(input.shape):
        raise TypeError(f"{fn}: target of shape {tuple(target.shape)} holds floating-point "
                        f"values; class labels must be integer class indices (convert them "
                        f"with target.long()), or give class probabilities of the input's "
                        f"shape {tuple(input.shape)}")
    _same_shape(input, target, fn, "target (class probabilities)")
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = target * input.log_softmax(axis)
    if weight is not None:
        shape = [1] * input.ndim
        shape[axis] = input.shape[axis]
        terms = terms * _weight(weight, input, fn).reshape(shape)
    return _reduce(-terms.sum(axis), reduction, fn)


def _smoothing_term(input, t, weight, ignore_index, reduction, axis, fn):
    """-sum_c w_c ln softmax(z)_c per element, 0 where ignored, reduced as
    PyTorch reduces it (a mean divides by the targets' summed weights)."""
    logp = input.log_softmax(axis)
    shape = [1] * input.ndim
    shape[axis] = input.shape[axis]
    w = None
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight,
                       dtype=input.dtype)
        logp = logp * w.reshape(shape)
    keep = t != ignore_index
    smooth = -logp.sum(axis)
    if not keep.all():
        smooth = smooth * keep.astype(input.dtype)
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return smooth.sum()
    count = float(w[t[keep]].sum()) if w is not None else float(keep.sum())
    return smooth.sum() * (1.0 / count if count else float("nan"))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood -x_y of log-probabilities x (the cost of eq. 80
    after a LogSoftmax layer; ``cross_entropy`` fuses both). Shapes, weight and
    ignore_index as in ``cross_entropy`` with class-index targets."""
    fn = "nll_loss"
    input = _input(input, fn)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    t = _index_array(target)
    if t is None:
        raise TypeError(f"{fn}: target must hold integer class indices (convert them with "
                        f"target.long()), got floating values (for class probabilities use "
                        f"cross_entropy)")
    return _index_loss(L.NegativeLogLikelihood, input, t, weight, ignore_index, reduction, fn)


def one_hot(tensor, num_classes=-1):
    """int64 Tensor of shape (*tensor.shape, num_classes) with a 1 at each
    class index (torch.nn.functional.one_hot); num_classes=-1 uses max + 1."""
    t = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class values must be integers, got dtype {t.dtype}")
    if num_classes == -1:
        if t.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty "
                             "tensor; pass num_classes")
        num_classes = int(t.max()) + 1
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        bad = t[(t < 0) | (t >= num_classes)][0]
        raise IndexError(f"one_hot: class value {int(bad)} is out of range for "
                         f"num_classes={num_classes}")
    out = (np.expand_dims(t, -1) == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, None)


# ----- regularization terms ---------------------------------------------------
def _penalty_tensors(params, fn):
    """Tensors from an iterable of Tensors or of (name, Tensor) pairs."""
    if isinstance(params, (Tensor, Module)):
        raise TypeError(f"{fn}: pass an iterable of tensors, e.g. the weights "
                        f"[m.weight for m in layers] or model.named_parameters() filtered "
                        f"by name; got a {type(params).__name__}")
    out = []
    for i, p in enumerate(params):
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
            p = p[1]
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: item {i} is a {type(p).__name__}, expected a Tensor or "
                            f"a (name, Tensor) pair")
        out.append(p)
    return out


def _check_alpha(alpha, fn):
    if not alpha >= 0:
        raise ValueError(f"{fn}: alpha must be >= 0, got {alpha}")


def l2_penalty(params, alpha):
    """(alpha/2) sum_w ||w||^2 over the given tensors: the L2 term of the
    book's regularized cost (eq. 85-87, lambda/2n sum w^2 with alpha = lambda/n).

    Pass the weights only, as the book does not regularize biases, e.g.
    ``[p for name, p in model.named_parameters() if name.endswith("weight")]``.
    Its gradient alpha w turns the gradient step into the rescaling
    w -> (1 - eta alpha) w - eta dC0/dw (eq. 93), which is what
    ``optim.SGD(weight_decay=alpha)`` does.
    """
    fn = "l2_penalty"
    _check_alpha(alpha, fn)
    terms = [L.SquaredError.apply(p, 0.0, scale=0.5 * alpha)
             for p in _penalty_tensors(params, fn)]
    return _total(terms)


def l1_penalty(params, alpha):
    """alpha sum_w |w| over the given tensors: the L1 term of the book
    (eq. 95, lambda/n sum |w| with alpha = lambda/n); its gradient is
    alpha sgn(w) (eq. 96). Pass the weights only, as for ``l2_penalty``."""
    fn = "l1_penalty"
    _check_alpha(alpha, fn)
    return _total([abs(p).sum() * alpha for p in _penalty_tensors(params, fn)])


def _total(terms):
    if not terms:
        return Tensor(0.0)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


# ----- modules ----------------------------------------------------------------
class _LossModule(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        _scale(reduction, 1, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_LossModule):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(np.asarray(weight))
        # A buffer, as in PyTorch: it appears in the state dict when given.
        self.register_buffer("weight", weight)


class MSELoss(_LossModule):
    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(np.asarray(pos_weight))
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class CrossEntropyLoss(NLLLoss):
    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise OpError(f"CrossEntropyLoss: label_smoothing must be between 0.0 and "
                          f"1.0, got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)
