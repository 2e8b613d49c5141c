"""PyTorch as the oracle for the normalizations (layer, group, instance, local
response) and the losses beyond the book's (L1 to multi-margin), with
cosine_similarity and pairwise_distance: values, first and second
derivatives in float64 (inputs and float targets both differentiated), on
grids where kinks and ties happen; state dicts and running statistics of the
modules."""
import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_torch_ops import check, compare  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn  # noqa: E402
from tinygrad_nndl.nn import functional as F  # noqa: E402
from tinygrad_nndl.testing import arrays, shapes  # noqa: E402

pytestmark = pytest.mark.torch

FEW = settings(max_examples=8)
REDUCTIONS = ["mean", "sum", "none"]
SMOOTH = st.floats(-3, 3, allow_nan=False, allow_subnormal=False)


def _grid(shape, seed, lo=-4, hi=4, step=0.5):
    """Multiples of ``step`` in [lo, hi]: zeros, ties and kinks are frequent."""
    rng = np.random.default_rng(seed)
    return rng.integers(int(lo / step), int(hi / step) + 1, shape) * step


def _signs(shape, seed, values=(-1.0, 1.0)):
    return np.random.default_rng(seed).choice(values, shape)


# ----- normalizations --------------------------------------------------------------------
@FEW
@given(lead=shapes(min_dims=0, max_dims=2, max_side=3),
       normalized=shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
       affine=st.sampled_from(["none", "weight", "both"]), data=st.data())
def test_layer_norm(lead, normalized, affine, data):
    x = data.draw(arrays(lead + normalized, elements=SMOOTH))
    params = [data.draw(arrays(normalized, elements=SMOOTH))
              for _ in range({"none": 0, "weight": 1, "both": 2}[affine])]
    check(lambda x, *p: F.layer_norm(x, normalized, *p),
          lambda x, *p: TF.layer_norm(x, normalized, *p), x, *params)


@FEW
@given(n=st.integers(1, 3), groups=st.integers(1, 3), per=st.integers(1, 2),
       spatial=shapes(min_dims=0, max_dims=2, max_side=3), data=st.data())
def test_group_norm(n, groups, per, spatial, data):
    c = groups * per
    x = data.draw(arrays((n, c) + spatial, elements=SMOOTH))
    w, b = data.draw(arrays((c,), elements=SMOOTH)), data.draw(arrays((c,), elements=SMOOTH))
    if n * per * int(np.prod(spatial)) == 1:   # one value per group: both refuse it
        return
    check(lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3),
          lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-3), x, w, b)


@FEW
@given(shape=st.sampled_from([(2, 3, 4), (1, 2, 3, 2), (3, 1, 2)]), data=st.data())
def test_instance_norm(shape, data):
    x = data.draw(arrays(shape, elements=SMOOTH))
    w, b = (data.draw(arrays((shape[1],), elements=SMOOTH)) for _ in range(2))
    check(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
          lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), x, w, b)
    check(F.instance_norm, TF.instance_norm, x)


def test_instance_norm_with_running_statistics():
    x = _grid((3, 2, 4), 0) + np.arange(2)[:, None]
    rm, rv = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    check(lambda x: F.instance_norm(x, tg.tensor(rm), tg.tensor(rv), use_input_stats=False),
          lambda x: TF.instance_norm(x, torch.tensor(rm), torch.tensor(rv),
                                     use_input_stats=False), x)
    ours = [tg.tensor(rm.copy()), tg.tensor(rv.copy())]
    theirs = [torch.tensor(rm.copy()), torch.tensor(rv.copy())]
    compare(F.instance_norm(tg.tensor(x), *ours, momentum=0.3),
            TF.instance_norm(torch.tensor(x), *theirs, momentum=0.3))
    for a, b in zip(ours, theirs):
        compare(a, b)


@pytest.mark.parametrize("size", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(2, 5, 3), (1, 4, 2, 3)])
def test_local_response_norm(size, shape):
    x = _grid(shape, size)
    check(lambda x: F.local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5),
          lambda x: TF.local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5), x)


def _load_from_torch(ours, theirs):
    """Load the torch module's state dict into ours, keys and all."""
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)


@pytest.mark.parametrize("make", [
    lambda m: m.LayerNorm((3, 4)), lambda m: m.LayerNorm(4, bias=False),
    lambda m: m.LayerNorm(4, elementwise_affine=False),
    lambda m: m.GroupNorm(2, 6), lambda m: m.GroupNorm(3, 6, affine=False),
    lambda m: m.GroupNorm(3, 6, bias=False),
    lambda m: m.InstanceNorm1d(3), lambda m: m.InstanceNorm1d(3, affine=True),
    lambda m: m.InstanceNorm1d(3, affine=True, bias=False, track_running_stats=True),
    lambda m: m.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.2),
    lambda m: m.InstanceNorm2d(3, track_running_stats=True, momentum=None),
    lambda m: m.LocalResponseNorm(2)])
def test_modules_load_pytorch_state_and_agree_in_train_and_eval(make):
    theirs = make(torch.nn).double()
    with torch.no_grad():   # parameters away from their initial ones and zeros
        for i, p in enumerate(theirs.parameters()):
            p.copy_(torch.from_numpy(_grid(tuple(p.shape), i, 0.5, 2, 0.25)))
    ours = make(nn).double()
    _load_from_torch(ours, theirs)
    assert repr(ours) == repr(theirs)
    shape = {"LayerNorm": (2, 3, 4), "GroupNorm": (2, 6, 3), "InstanceNorm1d": (2, 3, 5),
             "InstanceNorm2d": (2, 3, 2, 3), "LocalResponseNorm": (2, 4, 3)}
    for step in range(3):
        x = _grid(shape[type(ours).__name__], step) + step
        a, ta = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(a), theirs(ta)
        compare(y, ty)
        g = np.random.default_rng(step).standard_normal(y.shape)
        (y * tg.tensor(g)).sum().backward()
        (ty * torch.tensor(g)).sum().backward()
        compare(a.grad, ta.grad)
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            compare(p.grad, tp.grad)
    ours_state = ours.state_dict()   # the running statistics, after three steps
    for key, value in theirs.state_dict().items():
        compare(ours_state[key], value)
    ours.eval(), theirs.eval()
    x = _grid(shape[type(ours).__name__], 9)
    compare(ours(tg.tensor(x)), theirs(torch.tensor(x)))


def test_unbatched_instance_norm_equals_pytorch():
    for ours, theirs, shape in ((nn.InstanceNorm1d(2, affine=True), torch.nn.InstanceNorm1d(
            2, affine=True), (2, 5)), (nn.InstanceNorm2d(2), torch.nn.InstanceNorm2d(2),
                                        (2, 3, 2))):
        x = _grid(shape, 1)
        check(lambda t: ours.double()(t), lambda t: theirs.double()(t), x)


# ----- pointwise losses ------------------------------------------------------------------
X, Y = _grid((4, 3), 1), _grid((4, 3), 2)
P, Q = _grid((4, 3), 3, 0.5, 3), _grid((4, 3), 4, 0.5, 3)   # positive
W = _grid((4, 3), 5, 0.5, 2)


def _pair(fn, tfn, **kw):
    return (lambda a, t, **r: fn(a, t, **kw, **r)), (lambda a, t, **r: tfn(a, t, **kw, **r))


POINTWISE = {
    "l1": (*_pair(F.l1_loss, TF.l1_loss), X, Y),
    "smooth_l1": (*_pair(F.smooth_l1_loss, TF.smooth_l1_loss), X, Y),
    "smooth_l1_beta": (*_pair(F.smooth_l1_loss, TF.smooth_l1_loss, beta=1.5), X, Y),
    "smooth_l1_beta0": (*_pair(F.smooth_l1_loss, TF.smooth_l1_loss, beta=0.0), X, Y),
    "huber": (*_pair(F.huber_loss, TF.huber_loss), X, Y),
    "huber_delta": (*_pair(F.huber_loss, TF.huber_loss, delta=0.5), X, Y),
    "kl_div": (*_pair(F.kl_div, TF.kl_div), X, P),
    "kl_div_log_target": (*_pair(F.kl_div, TF.kl_div, log_target=True), X, Y),
    "poisson": (*_pair(F.poisson_nll_loss, TF.poisson_nll_loss), X, Y),
    "poisson_full": (*_pair(F.poisson_nll_loss, TF.poisson_nll_loss, full=True), X, P),
    "poisson_rates": (*_pair(F.poisson_nll_loss, TF.poisson_nll_loss, log_input=False), P, Y),
    "poisson_rates_full": (*_pair(F.poisson_nll_loss, TF.poisson_nll_loss, log_input=False,
                                  full=True, eps=0.1), P, Q),
    "multilabel_soft_margin": (*_pair(F.multilabel_soft_margin_loss,
                                      TF.multilabel_soft_margin_loss), X, Y),
    "hinge_embedding": (*_pair(F.hinge_embedding_loss, TF.hinge_embedding_loss),
                        X, _signs((4, 3), 6, (-1.0, 1.0, 0.5))),
    "hinge_embedding_margin": (*_pair(F.hinge_embedding_loss, TF.hinge_embedding_loss,
                                      margin=2.0), P, _signs((4, 3), 7)),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_losses(name, reduction):
    ours, theirs, x, t = POINTWISE[name]
    if name.startswith("kl_div") and reduction == "mean":   # (mean warns: see below)
        reduction = "batchmean"
    check(lambda a, b: ours(a, b, reduction=reduction),
          lambda a, b: theirs(a, b, reduction=reduction), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    """PyTorch has no gradient of soft_margin_loss for the target."""
    check(lambda a: F.soft_margin_loss(a, Y, reduction=reduction),
          lambda a: TF.soft_margin_loss(a, torch.tensor(Y), reduction=reduction), X)


def test_kl_div_mean_warns_as_pytorch_does():
    with pytest.warns(UserWarning, match="batchmean"):
        ours = F.kl_div(tg.tensor(X), tg.tensor(P))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(ours, TF.kl_div(torch.tensor(X), torch.tensor(P)))
    with pytest.warns(UserWarning, match="batchmean"):
        nn.KLDivLoss()(tg.tensor(X), tg.tensor(P))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_l1_and_huber(reduction):
    for ours, theirs in ((F.l1_loss, TF.l1_loss), (F.huber_loss, TF.huber_loss)):
        check(lambda a, t, w: ours(a, t, reduction=reduction, weight=w),
              lambda a, t, w: theirs(a, t, reduction=reduction, weight=w), X, Y, W)
    check(lambda a, t, w: F.multilabel_soft_margin_loss(a, t, w, reduction=reduction),
          lambda a, t, w: TF.multilabel_soft_margin_loss(a, t, w, reduction=reduction),
          X, Y, W[0])


def test_losses_at_zero_targets_without_target_gradients():
    """Targets of 0 (probability 0, count 0) and log targets of -inf: the
    same values and input gradients as PyTorch (its target gradients are NaN
    there; see test_norms_and_losses for ours)."""
    t = np.array([[0.0, 0.5, 2.0], [0.0, 0.0, 1.0]])
    x = _grid((2, 3), 8)
    for ours, theirs in ((lambda a: F.kl_div(a, t, reduction="sum"),
                          lambda a: TF.kl_div(a, torch.tensor(t), reduction="sum")),
                         (lambda a: F.poisson_nll_loss(a, t, full=True, reduction="none"),
                          lambda a: TF.poisson_nll_loss(a, torch.tensor(t), full=True,
                                                        reduction="none"))):
        check(ours, theirs, x)
    log_t = np.array([[0.5, -1.0, 2.0], [-3.0, -np.inf, 0.0]])
    y = F.kl_div(tg.tensor(x, requires_grad=True), log_t, reduction="none", log_target=True)
    ty = TF.kl_div(torch.tensor(x), torch.tensor(log_t), reduction="none", log_target=True)
    assert np.isnan(ty[1, 1].item()) and y.data[1, 1] == 0   # PyTorch: 0 * -inf
    keep = ~np.isinf(log_t)
    compare(y.data[keep], ty.numpy()[keep])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full):
    """var below eps is clamped in value only, its gradient passing (PyTorch's no_grad clamp)."""
    var = _grid(var_shape, 9, 0, 2, 0.25) + 1e-7
    check(lambda a, t, v: F.gaussian_nll_loss(a, t, v, full=full, eps=1e-3, reduction=reduction),
          lambda a, t, v: TF.gaussian_nll_loss(a, t, v, full=full, eps=1e-3,
                                               reduction=reduction), X, Y, var)


def test_gaussian_nll_loss_with_a_number_as_var():
    check(lambda a, t: F.gaussian_nll_loss(a, t, 0.5, full=True),
          lambda a, t: TF.gaussian_nll_loss(a, t, 0.5, full=True), X, Y)


# ----- margin and embedding losses --------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    check(lambda a, b, t: F.margin_ranking_loss(a, b, t, margin, reduction=reduction),
          lambda a, b, t: TF.margin_ranking_loss(a, b, t, margin, reduction=reduction),
          X[0], Y[0], _signs(3, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5, -0.5])
@pytest.mark.parametrize("batched", [True, False])
def test_cosine_embedding_loss(reduction, margin, batched):
    t = _signs(4, 2, (-1.0, 1.0, 0.0))
    x1, x2 = _grid((4, 3), 11, -2, 2), _grid((4, 3), 12, -2, 2)
    x2[1] = 2 * x1[1]   # cos 1: a kink of max(0, cos - margin) when margin is 1
    if not batched:
        x1, x2, t = x1[0], x2[0], t[1]
    check(lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
          lambda a, b, t: TF.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
          x1, x2, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(reduction, p, swap):
    a, pos, neg = _grid((4, 3), 13), _grid((4, 3), 14), _grid((4, 3), 15)
    check(lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=0.5, p=p, swap=swap,
                                                reduction=reduction),
          lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin=0.5, p=p, swap=swap,
                                                 reduction=reduction), a, pos, neg)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_first_derivatives(reduction, p, weighted):
    """PyTorch has no second derivative of multi_margin_loss (ours is in
    test_norms_and_losses); scores on a grid put terms at exactly 0."""
    target = np.array([0, 2, 1, 2])
    w = W[0] if weighted else None
    tw = torch.tensor(w) if weighted else None
    check(lambda a: F.multi_margin_loss(a, target, p, 0.5, w, reduction=reduction),
          lambda a: TF.multi_margin_loss(a, torch.tensor(target), p, 0.5, tw,
                                         reduction=reduction), X, second=False)
    check(lambda a: F.multi_margin_loss(a, np.int64(1), p, reduction=reduction),
          lambda a: TF.multi_margin_loss(a, torch.tensor(1), p, reduction=reduction),
          X[0], second=False)


def test_integer_label_targets_as_pytorch():
    t = np.array([1, -1, 1])
    for ours, theirs in ((F.hinge_embedding_loss, TF.hinge_embedding_loss),
                         (F.soft_margin_loss, TF.soft_margin_loss)):
        check(lambda a: ours(a, tg.tensor(t)), lambda a: theirs(a, torch.tensor(t)), X[0])
    check(lambda a, b: F.margin_ranking_loss(a, b, tg.tensor(t)),
          lambda a, b: TF.margin_ranking_loss(a, b, torch.tensor(t)), X[0], Y[0])
    m = (Y > 0).astype(np.int64)
    check(lambda a: F.multilabel_soft_margin_loss(a, tg.tensor(m)),
          lambda a: TF.multilabel_soft_margin_loss(a, torch.tensor(m)), X)


# ----- distances -------------------------------------------------------------------------
@pytest.mark.parametrize("shapes_, dim", [(((4, 3), (4, 3)), 1), (((4, 3), (3,)), -1),
                                          (((2, 1, 3), (4, 3)), 0), (((3,), (3,)), 0)])
def test_cosine_similarity(shapes_, dim):
    x1, x2 = _grid(shapes_[0], 16, -2, 2), _grid(shapes_[1], 17, -2, 2)
    zeros = x1.copy()
    zeros[...] = 0
    check(lambda a, b: F.cosine_similarity(a, b, dim),   # zero vectors: no second derivatives
          lambda a, b: TF.cosine_similarity(a, b, dim), zeros, x2, second=False)
    x1[x1 == 0], x2[x2 == 0] = 0.25, -0.5   # (PyTorch's are NaN at a norm of 0)
    x1.reshape(-1)[:3] = 1e-9   # a norm below eps: clamped, its gradient passing
    check(lambda a, b: F.cosine_similarity(a, b, dim),
          lambda a, b: TF.cosine_similarity(a, b, dim), x1, x2)
    check(lambda a, b: F.cosine_similarity(a, b, dim, eps=0.5),
          lambda a, b: TF.cosine_similarity(a, b, dim, eps=0.5), x1, x2)


@pytest.mark.parametrize("p", [1, 2, 3, float("inf"), 0.5])
@pytest.mark.parametrize("shapes_", [((4, 3), (4, 3)), ((4, 3), (3,)), ((3,), (3,)), ((), ())])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, shapes_, keepdim):
    x1, x2 = _grid(shapes_[0], 18), _grid(shapes_[1], 19)
    check(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
          lambda a, b: TF.pairwise_distance(a, b, p, keepdim=keepdim), x1, x2)


# ----- loss modules ----------------------------------------------------------------------
@pytest.mark.parametrize("make, args, fixed", [
    (lambda m: m.L1Loss(), "xy", ""), (lambda m: m.SmoothL1Loss(beta=0.5), "xy", ""),
    (lambda m: m.HuberLoss(reduction="sum", delta=2.0), "xy", ""),
    (lambda m: m.KLDivLoss(reduction="batchmean", log_target=True), "xy", ""),
    (lambda m: m.PoissonNLLLoss(full=True), "xp", ""),
    (lambda m: m.GaussianNLLLoss(full=True), "xyp", ""),
    (lambda m: m.MarginRankingLoss(margin=0.5), "xys", ""),
    (lambda m: m.HingeEmbeddingLoss(margin=0.5), "xs", ""),
    (lambda m: m.SoftMarginLoss(reduction="none"), "x", "s"),
    (lambda m: m.MultiLabelSoftMarginLoss(reduction="sum"), "xy", ""),
    (lambda m: m.CosineEmbeddingLoss(margin=0.2), "xy", "r"),
    (lambda m: m.TripletMarginLoss(margin=0.5, p=1, swap=True), "xyp", ""),
    (lambda m: m.MultiMarginLoss(margin=2.0), "x", "c"),
    (lambda m: m.CosineSimilarity(dim=0), "xy", ""),
    (lambda m: m.PairwiseDistance(keepdim=True), "xy", "")])
def test_loss_modules(make, args, fixed):
    """Differentiated inputs ``args``, then constant ones ``fixed``."""
    values = {"x": X, "y": Y, "p": P, "s": _signs((4, 3), 3), "r": _signs(4, 4),
              "c": np.array([2, 0, 1, 1])}
    consts = [values[k] for k in fixed]
    ours, theirs = make(nn), make(torch.nn)
    check(lambda *a: ours(*a, *consts), lambda *a: theirs(*a, *map(torch.tensor, consts)),
          *(values[k] for k in args), second="c" not in fixed)


@pytest.mark.parametrize("make", [lambda m, w: m.MultiLabelSoftMarginLoss(w),
                                  lambda m, w: m.MultiMarginLoss(p=2, weight=w)])
def test_weighted_loss_modules_keep_the_weight_in_their_state(make):
    theirs = make(torch.nn, torch.tensor(W[0]))
    ours = make(nn, None)
    ours.register_buffer("weight", tg.tensor(np.zeros(3)))
    _load_from_torch(ours, theirs)
    target = np.array([0, 2, 1, 2]) if isinstance(ours, nn.MultiMarginLoss) else (Y > 0) * 1.0
    compare(ours(tg.tensor(X), target), theirs(torch.tensor(X), torch.tensor(target)))
