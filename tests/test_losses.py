"""Losses and penalties (nn/losses.py, ops/loss.py): finite differences in
float64 for every loss and reduction (first and second derivatives), the
book's closed-form output errors, stability at logits of +-1e4, and the
errors for mismatched shapes and out-of-range classes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.nn import functional as F
from tinygrad_nndl.testing import assert_grad_matches, shapes, tensors

REDUCTIONS = ("mean", "sum", "none")


def leaf(a):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def sigmoid_np(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def softmax_np(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def one_hot_np(idx, c):
    return np.eye(c)[idx]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ----- finite differences: every loss, every reduction ------------------------
def _cases(rng):
    """(name, fn(input, target) -> loss, input array, target array or Tensor)."""
    z = rng.standard_normal((3, 4))
    p = rng.uniform(0.05, 0.95, (3, 4))
    y = rng.uniform(0, 1, (3, 4))
    idx = np.array([0, 3, 1])
    probs = softmax_np(rng.standard_normal((3, 4)))
    w = rng.uniform(0.5, 2, 4)
    return [
        ("mse", lambda a, t, r: F.mse_loss(a, t, reduction=r), z, y),
        ("bce", lambda a, t, r: F.binary_cross_entropy(a, t, reduction=r), p, y),
        ("bce_weight", lambda a, t, r: F.binary_cross_entropy(a, t, w, reduction=r), p, y),
        ("bce_logits", lambda a, t, r: F.binary_cross_entropy_with_logits(a, t, reduction=r),
         z, y),
        ("bce_logits_pos_weight", lambda a, t, r: F.binary_cross_entropy_with_logits(
            a, t, w, reduction=r, pos_weight=w[::-1].copy()), z, y),
        ("ce_index", lambda a, t, r: F.cross_entropy(a, t, reduction=r), z, idx),
        ("ce_index_weight", lambda a, t, r: F.cross_entropy(a, t, w, reduction=r), z, idx),
        ("ce_ignore", lambda a, t, r: F.cross_entropy(a, t, w, ignore_index=1, reduction=r),
         z, idx),
        ("ce_probs", lambda a, t, r: F.cross_entropy(a, t, reduction=r), z, probs),
        ("ce_probs_weight", lambda a, t, r: F.cross_entropy(a, t, w, reduction=r), z, probs),
        ("nll", lambda a, t, r: F.nll_loss(a.log_softmax(1), t, reduction=r), z, idx),
        ("nll_weight", lambda a, t, r: F.nll_loss(a.log_softmax(1), t, w, reduction=r), z, idx),
    ]


CASE_NAMES = [c[0] for c in _cases(np.random.default_rng(0))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASE_NAMES)
def test_gradcheck_every_loss_and_reduction(name, reduction, rng):
    _, fn, x, t = next(c for c in _cases(rng) if c[0] == name)
    assert gradcheck(lambda a: fn(a, t, reduction), (leaf(x),))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_gradgradcheck_every_loss(name, rng):
    """Second derivatives through the fused ops' recorded backward."""
    _, fn, x, t = next(c for c in _cases(rng) if c[0] == name)
    for reduction in ("mean", "none"):
        assert gradgradcheck(lambda a: fn(a, t, reduction), (leaf(x),))


@pytest.mark.parametrize("fn", [F.mse_loss, F.binary_cross_entropy,
                                F.binary_cross_entropy_with_logits, F.quadratic_cost])
def test_gradcheck_with_respect_to_the_target(fn, rng):
    """PyTorch differentiates these with respect to the target too."""
    a = leaf(rng.uniform(0.1, 0.9, (2, 3)))
    t = leaf(rng.uniform(0, 1, (2, 3)))
    assert gradcheck(fn, (a, t))
    assert gradgradcheck(fn, (a, t))


def test_gradcheck_higher_dimensional_and_unbatched_cross_entropy(rng):
    z = leaf(rng.standard_normal((2, 3, 2, 2)))
    idx = rng.integers(0, 3, (2, 2, 2))
    assert gradcheck(lambda a: F.cross_entropy(a, idx), (z,))
    assert gradcheck(lambda a: F.nll_loss(a.log_softmax(1), idx, reduction="none"), (z,))
    probs = softmax_np(rng.standard_normal((2, 3, 2, 2)))
    assert gradcheck(lambda a: F.cross_entropy(a, probs), (z,))
    v = leaf(rng.standard_normal(5))
    assert gradcheck(lambda a: F.cross_entropy(a, np.int64(3)), (v,))
    assert gradcheck(lambda a: F.cross_entropy(a, tg.tensor(2)), (v,))


@settings(max_examples=15, deadline=None)
@given(tensors(shape=shapes(min_dims=0, max_dims=3), min_value=-3, max_value=3),
       st.integers(0, 2**31 - 1))
def test_quadratic_and_mse_gradcheck_for_every_shape(a, seed):
    y = np.random.default_rng(seed).standard_normal(a.shape)
    assert gradcheck(lambda x: F.quadratic_cost(x, y), (a,))
    assert gradcheck(lambda x: F.mse_loss(x, y), (a,))


# ----- values against their definitions ----------------------------------------
@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_values_against_numpy_definitions(n, c, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, c)) * 3
    y = rng.uniform(0, 1, (n, c))
    idx = rng.integers(0, c, n)
    a = sigmoid_np(z)
    zt = tg.tensor(z)
    np.testing.assert_allclose(F.mse_loss(zt, y).item(), np.mean((z - y) ** 2))
    np.testing.assert_allclose(F.quadratic_cost(zt, y).item(),
                               np.sum((z - y) ** 2) / (2 * n))
    bce = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    np.testing.assert_allclose(F.binary_cross_entropy(tg.tensor(a), y, reduction="none").data,
                               bce, rtol=1e-10)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(zt, y, reduction="sum").item(),
                               bce.sum(), rtol=1e-10)
    logp = np.log(softmax_np(z))
    np.testing.assert_allclose(F.cross_entropy(zt, idx).item(),
                               -logp[np.arange(n), idx].mean(), rtol=1e-10)
    np.testing.assert_allclose(F.cross_entropy(zt, one_hot_np(idx, c), reduction="none").data,
                               -logp[np.arange(n), idx], rtol=1e-10)
    np.testing.assert_allclose(F.nll_loss(tg.tensor(logp), idx, reduction="sum").item(),
                               -logp[np.arange(n), idx].sum(), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 40), st.integers(1, 40), st.sampled_from([1.0, 1e4]),
       st.sampled_from(["mean", "sum", "none"]), st.integers(0, 2**31 - 1))
def test_cross_entropy_on_either_side_of_the_few_classes_fast_path(n, c, spread, reduction,
                                                                   seed):
    """Up to 32 classes the class max and sum take other numpy routes (a
    transposed copy, a product with ones): the same values and softmax - one_hot
    gradients as the definitions, for rows of any scale, in float32 and float64."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, c)) * spread
    idx = rng.integers(0, c, n)
    shifted = z - z.max(axis=1, keepdims=True) if n else z
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    per = -logp[np.arange(n), idx]
    want = {"mean": per.mean() if n else np.nan, "sum": per.sum(), "none": per}[reduction]
    grad = np.exp(logp) - one_hot_np(idx, c)
    if reduction == "mean":
        grad = grad / n
    for dtype, rtol in ((np.float64, 1e-10), (np.float32, 2e-5)):
        zt = tg.tensor(z.astype(dtype), requires_grad=True)
        loss = F.cross_entropy(zt, idx, reduction=reduction)
        assert loss.dtype == dtype
        np.testing.assert_allclose(loss.data, want, rtol=rtol, atol=rtol)
        if n:
            loss.sum().backward() if reduction == "none" else loss.backward()
            np.testing.assert_allclose(zt.grad.data, grad, rtol=rtol, atol=rtol)


def test_class_weights_and_ignore_index_follow_pytorch_definitions(rng):
    z = rng.standard_normal((5, 3))
    idx = np.array([0, 2, 1, 2, 0])
    w = np.array([0.5, 2.0, 1.5])
    logp = np.log(softmax_np(z))
    per = -logp[np.arange(5), idx] * w[idx]
    # A weighted mean divides by the targets' summed weights.
    np.testing.assert_allclose(F.cross_entropy(tg.tensor(z), idx, w).item(),
                               per.sum() / w[idx].sum())
    keep = idx != 2
    np.testing.assert_allclose(F.cross_entropy(tg.tensor(z), idx, w, ignore_index=2).item(),
                               per[keep].sum() / w[idx][keep].sum())
    np.testing.assert_allclose(
        F.cross_entropy(tg.tensor(z), idx, ignore_index=2, reduction="none").data,
        np.where(keep, -logp[np.arange(5), idx], 0))
    # ignore_index may lie outside the class range (PyTorch's default -100).
    idx2 = np.array([0, -100, 1, 2, -100])
    np.testing.assert_allclose(F.nll_loss(tg.tensor(logp), idx2).item(),
                               -logp[[0, 2, 3], [0, 1, 2]].mean())


def test_uint8_labels_as_in_idx_files(rng):
    """MNIST's IDX labels are uint8; they work as class indices, ignore_index included."""
    z = tg.tensor(rng.standard_normal((4, 10)))
    labels = np.array([1, 9, 0, 3], dtype=np.uint8)
    np.testing.assert_array_equal(F.cross_entropy(z, labels).data,
                                  F.cross_entropy(z, labels.astype(np.int64)).data)
    np.testing.assert_array_equal(
        F.cross_entropy(z, labels, ignore_index=3, reduction="none").data[3], 0.0)
    with pytest.raises(IndexError, match="target 10"):
        F.cross_entropy(z, np.full(4, 10, dtype=np.uint8))


def test_probability_targets_equal_index_targets_for_one_hot_rows(rng):
    z = leaf(rng.standard_normal((4, 5)))
    idx = np.array([4, 0, 2, 2])
    for r in REDUCTIONS:
        a = F.cross_entropy(z, idx, reduction=r)
        b = F.cross_entropy(z, one_hot_np(idx, 5), reduction=r)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_reductions_relate(rng):
    z, y = tg.tensor(rng.standard_normal((3, 4))), rng.standard_normal((3, 4))
    none = F.mse_loss(z, y, reduction="none").data
    assert none.shape == (3, 4)
    np.testing.assert_allclose(F.mse_loss(z, y, reduction="sum").item(), none.sum())
    np.testing.assert_allclose(F.mse_loss(z, y).item(), none.mean())
    np.testing.assert_allclose(F.quadratic_cost(z, y).item(), none.sum() / (2 * 3))


def test_float32_stays_float32(rng):
    z = tg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y64 = rng.uniform(0, 1, (3, 4))   # float64 targets must not promote the loss
    for loss in (F.mse_loss(z, y64), F.quadratic_cost(z, y64),
                 F.binary_cross_entropy(z.sigmoid(), y64),
                 F.binary_cross_entropy_with_logits(z, y64), F.cross_entropy(z, [0, 1, 2]),
                 F.cross_entropy(z, softmax_np(y64)), F.l2_penalty([z], 0.1)):
        assert loss.dtype == np.float32
        z.grad = None
        loss.backward()
        assert z.grad.dtype == np.float32


def test_binary_cross_entropy_is_finite_at_exactly_zero_and_one():
    """Logs are clamped at -100, as in PyTorch: a saturated output costs 100."""
    a = leaf([0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    with np.errstate(all="raise"):
        loss = F.binary_cross_entropy(a, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    assert np.all(np.isfinite(a.grad.data))


# ----- the book's closed forms -------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_softmax_log_likelihood_output_error_is_a_minus_y(n, c, seed):
    """Eq. 81-82: with a softmax output and the log-likelihood cost,
    dC/dz^L = (a^L - y)/n, so dC/db^L = mean(a^L - y) and
    dC/dw^L = (a^L - y)^T a^{L-1} / n (notes eq. 3.6-3.7)."""
    rng = np.random.default_rng(seed)
    z = leaf(rng.standard_normal((n, c)) * 2)
    idx = rng.integers(0, c, n)
    y = one_hot_np(idx, c)
    assert_grad_matches(lambda z: F.cross_entropy(z, idx), lambda z: (softmax_np(z) - y) / n, z)
    assert_grad_matches(lambda z: F.nll_loss(z.log_softmax(1), idx),
                        lambda z: (softmax_np(z) - y) / n, z)
    layer = nn.Linear(3, c).double()
    x = rng.standard_normal((n, 3))
    F.cross_entropy(layer(tg.tensor(x)), idx).backward()
    delta = softmax_np(x @ layer.weight.data.T + layer.bias.data) - y
    np.testing.assert_allclose(layer.bias.grad.data, delta.mean(0), atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, delta.T @ x / n, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(tensors(shape=shapes(min_dims=2, max_dims=2), min_value=-8, max_value=8),
       st.integers(0, 2**31 - 1))
def test_cross_entropy_on_sigmoid_output_error_is_a_minus_y(z, seed):
    """Eq. 66: the book's cross-entropy C = -(1/n) sum_x sum_j [y ln a + (1-y) ln(1-a)]
    on a = sigma(z) has delta^L = dC/dz = (a - y)/n: no sigma'(z) factor."""
    n = z.shape[0]
    y = np.random.default_rng(seed).uniform(0, 1, z.shape)
    assert_grad_matches(lambda z: F.binary_cross_entropy(z.sigmoid(), y, reduction="sum") / n,
                        lambda z: (sigmoid_np(z) - y) / n, z)
    assert_grad_matches(
        lambda z: F.binary_cross_entropy_with_logits(z, y, reduction="sum") / n,
        lambda z: (sigmoid_np(z) - y) / n, z)


@settings(max_examples=15, deadline=None)
@given(tensors(shape=shapes(min_dims=2, max_dims=2), min_value=-8, max_value=8),
       st.integers(0, 2**31 - 1))
def test_quadratic_cost_output_error_is_bp1(z, seed):
    """BP1 with the quadratic cost (eq. 6): delta^L = (a - y) * sigma'(z), over n."""
    n = z.shape[0]
    y = np.random.default_rng(seed).uniform(0, 1, z.shape)

    def delta(z):
        a = sigmoid_np(z)
        return (a - y) * a * (1 - a) / n
    assert_grad_matches(lambda z: F.quadratic_cost(z.sigmoid(), y), delta, z)


@settings(max_examples=15, deadline=None)
@given(tensors(shape=shapes(min_dims=1, max_dims=3), min_value=-3, max_value=3))
def test_penalty_gradients(w):
    """d/dw (alpha/2)||w||^2 = alpha w (the L2 term, eq. 87); d/dw alpha|w|_1 =
    alpha sgn(w) (eq. 96)."""
    alpha = 0.37
    assert_grad_matches(lambda w: F.l2_penalty([w], alpha), lambda w: alpha * w, w)
    assert_grad_matches(lambda w: F.l1_penalty([w], alpha), lambda w: alpha * np.sign(w), w)
    np.testing.assert_allclose(F.l2_penalty([w], alpha).item(),
                               alpha / 2 * np.sum(w.data ** 2), rtol=1e-12)
    np.testing.assert_allclose(F.l1_penalty([w], alpha).item(),
                               alpha * np.abs(w.data).sum(), rtol=1e-12)


def test_penalties_sum_over_tensors_and_accept_named_pairs(rng):
    net = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)).double()
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    expected = 0.5 * 0.1 * sum(np.sum(w.data ** 2) for w in weights)
    np.testing.assert_allclose(F.l2_penalty(weights, 0.1).item(), expected)
    named = [(n, p) for n, p in net.named_parameters() if n.endswith("weight")]
    np.testing.assert_allclose(F.l2_penalty(named, 0.1).item(), expected)
    F.l2_penalty(named, 0.1).backward()
    for w in weights:
        np.testing.assert_allclose(w.grad.data, 0.1 * w.data)
    assert net[0].bias.grad is None   # biases are not regularized unless passed
    assert gradcheck(lambda a, b: F.l1_penalty([a, b], 0.3) + F.l2_penalty([a, b], 0.7),
                     (leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(4))))
    assert F.l2_penalty([], 1.0).item() == 0.0


def test_penalty_argument_errors():
    net = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="l2_penalty.*iterable of tensors"):
        F.l2_penalty(net, 0.1)
    with pytest.raises(TypeError, match="l1_penalty.*iterable of tensors"):
        F.l1_penalty(net.weight, 0.1)
    with pytest.raises(TypeError, match="item 1"):
        F.l2_penalty([net.weight, np.ones(2)], 0.1)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        F.l2_penalty([net.weight], -1.0)


# ----- stability at logits of +-1e4 -------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_are_finite_for_logits_of_1e4(dtype):
    """No overflow, no NaN, no numpy warning (raised as errors here and by
    pytest's filterwarnings=error), in the loss and in its gradient."""
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    idx = np.array([1, 2, 0])
    y = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    losses = [
        lambda t: F.cross_entropy(t, idx),
        lambda t: F.cross_entropy(t, y),
        lambda t: F.nll_loss(t.log_softmax(1), idx),
        lambda t: F.binary_cross_entropy_with_logits(t, y),
        lambda t: F.binary_cross_entropy_with_logits(t, y, pos_weight=np.full(3, 2.0)),
        lambda t: F.binary_cross_entropy(t.sigmoid(), y),
        lambda t: F.quadratic_cost(t.sigmoid(), y),
        lambda t: F.mse_loss(t.softmax(1), y),
    ]
    for loss_fn in losses:
        t = tg.tensor(z, requires_grad=True)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss = loss_fn(t)
            loss.backward()
        assert np.isfinite(loss.item())
        assert np.all(np.isfinite(t.grad.data))
    # The values are right too: -ln softmax = logsumexp(z) - z_y.
    t = tg.tensor(z)
    np.testing.assert_allclose(F.cross_entropy(t, idx, reduction="none").data,
                               [2e4, 0.0, np.log(2)], atol=1e-3)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t, np.zeros_like(z), reduction="none").data,
        np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))), rtol=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_at_1e4():
    z = leaf([[1e4, -1e4, 0.0]])
    F.cross_entropy(z, np.array([1])).backward()
    np.testing.assert_allclose(z.grad.data, [[1.0, -1.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_rows_with_infinite_or_nan_logits(dtype):
    """A row's loss is logsumexp(z) - z_y with its limits: [inf, 0] picking 0
    gives inf (logsumexp inf, the pick finite), [-inf, 0] picking 0 gives 0,
    an all -inf row and a NaN row give NaN; finite rows are untouched. A mean
    or sum over the rows is the mean or sum of those values (inf, not the NaN
    that shifting [inf, 0] by its own max would make)."""
    inf = np.inf
    lse = np.log1p(np.e)   # logsumexp(1, 2) - 1
    cases = [([[inf, 0], [1, 2]], [1, 0], [inf, lse]),
             ([[-inf, 0], [1, 2]], [1, 0], [0.0, lse]),
             ([[inf, 0], [-inf, 0], [-inf, -inf], [np.nan, 0], [1, 2]], [1, 1, 0, 1, 0],
              [inf, 0.0, np.nan, np.nan, lse])]
    for z, y, want in cases:
        z, y = tg.tensor(np.array(z, dtype)), np.array(y)
        each = F.cross_entropy(z, y, reduction="none").data
        np.testing.assert_allclose(each, want, rtol=1e-6)
        mean, total = (F.cross_entropy(z, y, reduction=r).item() for r in ("mean", "sum"))
        np.testing.assert_allclose([mean, total], [np.mean(want), np.sum(want)], rtol=1e-6)
    # The gradient (softmax - one_hot)/n: [inf, 0]'s softmax is [NaN, 0] (inf/inf), the
    # finite row's is the usual one.
    z = tg.tensor(np.array([[inf, 0], [1, 2]], dtype), requires_grad=True)
    F.cross_entropy(z, np.array([1, 0])).backward()
    p = 1 / (1 + np.e)   # softmax(1, 2)[0]
    np.testing.assert_allclose(z.grad.data, [[np.nan, -0.5], [(p - 1) / 2, (1 - p) / 2]],
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_is_accurate_whatever_the_gap_below_the_rows_max(dtype, reduction):
    """Batches whose target logits lie 0.5 to 1e4 below their rows' max (on
    both sides of exp's overflow, ~88 in float32 and ~709 in float64),
    logits that are not integers: the loss, and the gradient's entries near
    the max, are within a few ulp of a reference with the max taken out in
    extended precision. (Shifting each row by its target's logit instead of
    its max rounds z_j - z_y at the size of the gap: hundreds of ulp.)"""
    rng = np.random.default_rng(3)
    eps = np.finfo(dtype).eps
    for gap in [0.5, 30.0, 87.0, 90.0, 700.0, 708.0, 720.0, 1e4]:
        z = np.concatenate([np.full((4, 1), -gap), rng.uniform(-1, 1, (4, 3))], axis=1)
        z = (z + rng.uniform(-1, 1, (4, 1))).astype(dtype)
        y = np.zeros(4, np.int64)
        scale = 1 / len(z) if reduction == "mean" else 1.0
        zz = z.astype(np.longdouble)
        shifted = zz - zz.max(1, keepdims=True)
        total = np.exp(shifted).sum(1, keepdims=True)
        want_loss = scale * (np.log(total)[:, 0] - shifted[:, 0]).sum()
        want_grad = np.exp(shifted) / total
        want_grad[:, 0] -= 1
        x = tg.tensor(z, requires_grad=True)
        loss = F.cross_entropy(x, y, reduction=reduction)
        loss.backward()
        np.testing.assert_allclose(loss.item(), float(want_loss), rtol=8 * eps, err_msg=gap)
        np.testing.assert_allclose(x.grad.data, (scale * want_grad).astype(np.float64),
                                   rtol=8 * eps, atol=8 * eps * scale * 1e-3, err_msg=gap)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ignored_rows_add_nothing_even_with_infinite_logits(dtype):
    """ignore_index: an ignored example contributes exactly 0 to the loss and
    gets a 0 gradient, whatever its scores (not NaN * 0 for inf logits); the
    mean is over the others."""
    inf = np.inf
    z = tg.tensor(np.array([[inf, 0], [1, 2], [-inf, -inf]], dtype), requires_grad=True)
    y = np.array([-100, 0, -100])   # PyTorch's default ignore_index
    for reduction in ("mean", "sum"):   # the same: one example counts
        z.grad = None
        loss = F.cross_entropy(z, y, reduction=reduction)
        np.testing.assert_allclose(loss.item(), np.log1p(np.e), rtol=1e-6)   # row 1 alone
        loss.backward()
        p = 1 / (1 + np.e)
        np.testing.assert_allclose(z.grad.data, [[0, 0], [p - 1, 1 - p], [0, 0]],
                                   rtol=1e-6, atol=0)
    logp = tg.tensor(np.array([[-inf, 0], [np.log(0.25), np.log(0.75)]], dtype))
    np.testing.assert_allclose(F.nll_loss(logp, np.array([0, 1]), ignore_index=0).item(),
                               -np.log(0.75), rtol=1e-6)


# ----- errors -------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.mse_loss, F.quadratic_cost, F.binary_cross_entropy,
                                F.binary_cross_entropy_with_logits])
def test_shape_mismatch_raises_instead_of_broadcasting(fn):
    a = tg.tensor(np.full((4, 1), 0.5))
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        fn(a, np.zeros(4))
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4, 2\)"):
        fn(a, tg.tensor(np.zeros((4, 2))))


def test_cross_entropy_target_shape_mismatch_raises():
    z = tg.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"targets of shape \(4,\), got \(4, 1\)"):
        F.cross_entropy(z, np.zeros((4, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        F.cross_entropy(z, np.full((4, 2), 0.5))
    with pytest.raises(ValueError, match=r"targets of shape \(4,\), got \(3,\)"):
        F.nll_loss(z, [0, 1, 2])
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(z, np.zeros((4, 3)))
    with pytest.raises(TypeError, match="class indices"):
        F.cross_entropy(z, np.zeros(4, dtype=bool))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_index_out_of_range_raises_index_error_naming_it(fn):
    z = tg.tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        fn(z, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        fn(z, tg.tensor([0, -1, 1]))
    with pytest.raises(IndexError, match="target 7"):
        fn(z, np.array([0, 7, -100]))   # -100 is ignored, 7 is not


def test_other_argument_errors():
    z = tg.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        F.mse_loss(z, np.zeros((2, 3)), reduction="avg")
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input values must lie in "
                                         r"\[0, 1\]"):
        F.binary_cross_entropy(tg.tensor([0.5, 1.5]), np.zeros(2))
    with pytest.raises(TypeError, match="mse_loss: input must be a Tensor"):
        F.mse_loss(np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.cross_entropy(z, [0, 1], weight=np.ones(2))
    with pytest.raises(ValueError, match="pos_weight of shape"):
        F.binary_cross_entropy_with_logits(z, np.zeros((2, 3)), pos_weight=np.ones(2))


# ----- one_hot ----------------------------------------------------------------------
def test_one_hot():
    out = F.one_hot(tg.tensor([2, 0, 1]), 4)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[[2, 0, 1]])
    np.testing.assert_array_equal(F.one_hot(np.array([[1], [3]])).data.shape, (2, 1, 4))
    with pytest.raises(IndexError, match="class value 5 is out of range for num_classes=4"):
        F.one_hot(np.array([0, 5]), 4)
    with pytest.raises(IndexError, match="class value -1"):
        F.one_hot(np.array([0, -1]))
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(np.array([0.5]))


# ----- modules ------------------------------------------------------------------
def test_loss_modules_equal_the_functions(rng):
    z = tg.tensor(rng.standard_normal((3, 4)))
    y = rng.uniform(0, 1, (3, 4))
    idx = np.array([1, 0, 3])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    pairs = [
        (nn.MSELoss(reduction="sum")(z, y), F.mse_loss(z, y, reduction="sum")),
        (nn.BCELoss(w)(z.sigmoid(), y), F.binary_cross_entropy(z.sigmoid(), y, w)),
        (nn.BCEWithLogitsLoss(pos_weight=w)(z, y),
         F.binary_cross_entropy_with_logits(z, y, pos_weight=w)),
        (nn.CrossEntropyLoss(w, ignore_index=0)(z, idx),
         F.cross_entropy(z, idx, w, ignore_index=0)),
        (nn.NLLLoss(reduction="none")(z.log_softmax(1), idx),
         F.nll_loss(z.log_softmax(1), idx, reduction="none")),
    ]
    for got, want in pairs:
        np.testing.assert_array_equal(got.data, want.data)
    # The class weights are a buffer, as in PyTorch.
    assert list(nn.CrossEntropyLoss(w).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="bad")


def test_class_indices_of_small_signed_types_are_bounds_checked_and_ignored():
    """int8 targets with more classes than int8's positive range: a negative
    index is an error and ignore_index is ignored (the fast unsigned check
    does not apply there)."""
    z = np.random.default_rng(0).standard_normal((2, 200))
    with_ignored = F.cross_entropy(tg.tensor(z), np.array([-100, 3], np.int8))
    alone = F.cross_entropy(tg.tensor(z[1:]), np.array([3], np.int8))
    np.testing.assert_allclose(with_ignored.data, alone.data, rtol=1e-12)
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        F.cross_entropy(tg.tensor(np.zeros((1, 300))), np.array([-1], np.int8))
    with pytest.raises(IndexError, match="target 300 is out of bounds"):
        F.cross_entropy(tg.tensor(np.zeros((1, 300))), np.array([300], ">i2"))


@pytest.mark.parametrize("shape, target", [((5,), 2), ((3, 5), [2, 2, 2])])
def test_cross_entropy_with_every_target_ignored_has_a_zero_gradient(shape, target):
    """A mean over no element is NaN (0/0), as in PyTorch, but nothing reaches
    the scores: their gradient is exactly 0, not NaN."""
    z = tg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    loss = F.cross_entropy(z, np.array(target), ignore_index=2)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(z.grad.data, np.zeros(shape))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_class_index_losses_in_any_memory_layout(fn, reduction):
    """Scores laid out column-first (a transpose, or the book's (W @ A).T of
    column vectors) or strided: the same loss and gradient as the C-ordered
    scores, and the gradient matches finite differences. (The target's -1 in
    the gradient was once written into a copy of a column-first array.)"""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3))
    target = np.array([0, 2, 1, 2])
    want = leaf(z)
    fn(want, target, reduction=reduction).backward()
    wide = np.zeros((4, 6))
    wide[:, ::2] = z
    for layout in (np.asfortranarray(z), wide[:, ::2]):
        x = leaf(z)
        x.data = layout
        loss = fn(x, target, reduction=reduction)
        loss.backward()
        np.testing.assert_allclose(x.grad.data, want.grad.data, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(x.grad.data.sum(), 0 if fn is F.cross_entropy else
                                   -(1 if reduction == "sum" else 0.25) * 4, atol=1e-12)
    assert gradcheck(lambda s: fn(s.T, target, reduction=reduction), [leaf(z.T.copy())])
    transposed = leaf(z.T.copy())
    loss = fn(transposed.T, target, reduction=reduction)
    loss.backward()
    np.testing.assert_allclose(transposed.grad.data, want.grad.data.T, rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("dtype", ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", ">i8",
                                   ">u8"])
@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_indices_of_every_integer_type_give_the_same_loss(dtype, fn):
    """Targets of any integer dtype (numpy arrays or Tensors) pick the same
    classes as int64 ones: the loss and gradient agree exactly."""
    z = np.random.default_rng(1).standard_normal((5, 4))
    target = np.array([3, 0, 2, 2, 1])
    want = leaf(z)
    wanted = fn(want, target)
    wanted.backward()
    for given in (target.astype(dtype), tg.tensor(target.astype(dtype))):
        x = leaf(z)
        loss = fn(x, given)
        loss.backward()
        assert loss.item() == wanted.item()
        np.testing.assert_array_equal(x.grad.data, want.grad.data)
