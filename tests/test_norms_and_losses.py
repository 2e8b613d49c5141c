"""Layer, group, instance and local response normalization
(nn/normalization.py, ops/normalization.py), the losses beyond the book's
(nn/pointwise_losses.py, nn/margin_losses.py) and the distances
(nn/distance.py): values against closed forms in numpy, finite differences
of first and second derivatives in float64, properties over hypothesis
shapes, the limits where naive formulas fail, errors and state dicts."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import grad, gradcheck, gradgradcheck
from tinygrad_nndl.nn import functional as F
from tinygrad_nndl.tensor.errors import OpError
from tinygrad_nndl.testing import arrays, shapes, tensors

REDUCTIONS = ("mean", "sum", "none")
FEW = settings(max_examples=10)


def leaf(a):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def standardized(x, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)


# ----- normalization: closed forms -------------------------------------------------------
def test_layer_group_instance_norm_values_against_numpy(rng):
    x = rng.standard_normal((2, 6, 3, 2))
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    wl, bl = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(F.layer_norm(leaf(x), (3, 2), leaf(wl), leaf(bl)).data,
                               standardized(x, (2, 3)) * wl + bl, rtol=1e-12, atol=1e-12)
    grouped = standardized(x.reshape(2, 3, 12), (2,)).reshape(x.shape)
    np.testing.assert_allclose(F.group_norm(leaf(x), 3, leaf(w), leaf(b)).data,
                               grouped * w[:, None, None] + b[:, None, None], atol=1e-12)
    np.testing.assert_allclose(F.instance_norm(leaf(x), weight=leaf(w), bias=leaf(b)).data,
                               standardized(x, (2, 3)) * w[:, None, None] + b[:, None, None],
                               atol=1e-12)
    np.testing.assert_allclose(F.group_norm(leaf(x), 1).data,   # one group: the layer norm
                               F.layer_norm(leaf(x), (6, 3, 2)).data, atol=1e-12)
    np.testing.assert_allclose(F.group_norm(leaf(x), 6).data,   # a group per channel
                               F.instance_norm(leaf(x)).data, atol=1e-12)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_against_numpy(size, rng):
    x = rng.standard_normal((2, 4, 3))
    c = x.shape[1]
    sq = np.concatenate([np.zeros((2, size // 2, 3)), x ** 2,
                         np.zeros((2, (size - 1) // 2, 3))], axis=1)
    window = sum(sq[:, j:j + c] for j in range(size)) / size
    want = x / (2.0 + 0.1 * window) ** 0.75
    got = F.local_response_norm(leaf(x), size, alpha=0.1, beta=0.75, k=2.0)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    assert F.local_response_norm(leaf(x[None]), size).shape == (1, 2, 4, 3)


@pytest.mark.parametrize("fn", [
    lambda x, w, b: F.layer_norm(x, (3, 2), w.reshape(3, 2), b.reshape(3, 2)),
    lambda x, w, b: F.group_norm(x.reshape(2, 6, 1), 3, w, b),
    lambda x, w, b: F.instance_norm(x.reshape(1, 6, 2), weight=w, bias=b, eps=0.1),
    lambda x, w, b: F.local_response_norm(x.reshape(2, 2, 3), 3, alpha=0.5) * w[0] + b[0]])
def test_normalization_gradients_first_and_second_order(fn, rng):
    x = leaf(rng.standard_normal((2, 3, 2)))
    w, b = leaf(rng.uniform(0.5, 2, 6)), leaf(rng.standard_normal(6))
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@FEW
@given(x=tensors(shapes(min_dims=1, max_dims=3, max_side=4), min_value=-100, max_value=100),
       scale=st.floats(0.5, 20), shift=st.floats(-50, 50))
def test_layer_norm_standardizes_and_ignores_shift_and_scale(x, scale, shift):
    """With eps = 0, over rows that are not constant (those are 0/0)."""
    k = min(x.ndim, 2)
    normalized = tuple(x.shape[x.ndim - k:])
    axes = tuple(range(x.ndim - k, x.ndim))
    rows = np.broadcast_to(x.data.std(axis=axes, keepdims=True) > 1e-3, x.shape)
    y = F.layer_norm(x, normalized, eps=0.0).data
    assert np.isfinite(y[rows]).all()
    np.testing.assert_allclose(np.where(rows, y, 0).mean(axis=axes), 0, atol=1e-9)
    np.testing.assert_allclose(np.where(rows, y * y, 1).mean(axis=axes), 1, rtol=1e-9)
    moved = F.layer_norm(x * scale + shift, normalized, eps=0.0).data
    np.testing.assert_allclose(moved[rows], y[rows], rtol=1e-6, atol=1e-6)


@FEW
@given(x=tensors(shapes(min_dims=2, max_dims=2, min_side=2, max_side=5)))
def test_layer_norm_gradient_is_orthogonal_to_shift_and_scale(x):
    """y does not change along 1 or (with eps = 0) along x - mean: the
    gradient is orthogonal to both (rows that are not constant)."""
    rows = x.data.std(axis=-1) > 1e-3
    x = tg.tensor(x.data[rows], requires_grad=True)
    g = np.random.default_rng(0).standard_normal(x.shape)
    (dx,) = grad((F.layer_norm(x, x.shape[-1], eps=0.0) * tg.tensor(g)).sum(), x)
    np.testing.assert_allclose(dx.data.sum(-1), 0, atol=1e-8)
    centered = x.data - x.data.mean(-1, keepdims=True)
    np.testing.assert_allclose((dx.data * centered).sum(-1), 0, atol=1e-8)


def test_float_dtypes_are_kept_and_float16_is_computed_in_float32(rng):
    x = rng.standard_normal((4, 64)) * 30 + 200
    for dtype in (np.float32, np.float16):
        y = F.layer_norm(tg.tensor(x.astype(dtype), requires_grad=True), 64)
        assert y.dtype == dtype
        y.sum().backward()
    half = F.layer_norm(tg.tensor(x.astype(np.float16)), 64).data.astype(np.float64)
    exact = standardized(x.astype(np.float16).astype(np.float64), (1,))
    assert np.abs(half - exact).max() < 4e-3   # float16 rounding of y, not of its statistics
    assert nn.GroupNorm(2, 4)(tg.tensor(x[:, :8].reshape(4, 4, 2).astype(np.float32))).dtype \
        == np.float32


# ----- normalization modules -------------------------------------------------------------
@pytest.mark.parametrize("module, keys", [
    (nn.LayerNorm((3, 4)), ["weight", "bias"]), (nn.LayerNorm(4, bias=False), ["weight"]),
    (nn.LayerNorm(4, elementwise_affine=False), []),
    (nn.GroupNorm(2, 4), ["weight", "bias"]), (nn.GroupNorm(2, 4, affine=False), []),
    (nn.GroupNorm(2, 4, bias=False), ["weight"]),
    (nn.InstanceNorm1d(3), []), (nn.InstanceNorm2d(3, affine=True), ["weight", "bias"]),
    (nn.InstanceNorm1d(3, track_running_stats=True),
     ["running_mean", "running_var", "num_batches_tracked"]),
    (nn.InstanceNorm2d(3, affine=True, bias=False, track_running_stats=True),
     ["weight", "running_mean", "running_var", "num_batches_tracked"]),
    (nn.LocalResponseNorm(3), [])])
def test_state_dict_keys_are_pytorchs(module, keys):
    assert list(module.state_dict()) == keys
    for name, p in module.named_parameters():
        want = 1.0 if name == "weight" else 0.0
        assert p.dtype == np.float32 and (p.data == want).all()


def test_layer_norm_module_trains_its_parameters(rng):
    m = nn.LayerNorm(3).double()
    x = rng.standard_normal((5, 3))
    (m(tg.tensor(x)) * tg.tensor(x)).sum().backward()
    y = standardized(x, (1,))
    np.testing.assert_allclose(m.weight.grad.data, (y * x).sum(0), rtol=1e-10)
    np.testing.assert_allclose(m.bias.grad.data, x.sum(0), rtol=1e-10)


def test_instance_norm_running_statistics(rng):
    m = nn.InstanceNorm1d(2, momentum=0.25, track_running_stats=True).double()
    x = rng.standard_normal((3, 2, 5)) * 2 + 1
    m(tg.tensor(x))
    np.testing.assert_allclose(m.running_mean.data, 0.25 * x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(m.running_var.data,
                               0.75 + 0.25 * x.var(axis=2, ddof=1).mean(0), rtol=1e-12)
    assert int(m.num_batches_tracked.data) == 0   # PyTorch's instance norm never counts
    m.eval()
    y = m(tg.tensor(x)).data
    want = (x - m.running_mean.data[:, None]) / np.sqrt(m.running_var.data[:, None] + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-12)
    frozen = nn.InstanceNorm1d(2, momentum=None, track_running_stats=True)
    frozen(tg.tensor(x.astype(np.float32)))   # momentum None: PyTorch's module passes 0
    assert (frozen.running_mean.data == 0).all() and (frozen.running_var.data == 1).all()


def test_instance_norm_unbatched_input_and_feature_count(rng):
    m = nn.InstanceNorm2d(3, affine=True).double()
    x = rng.standard_normal((3, 2, 2))
    np.testing.assert_allclose(m(tg.tensor(x)).data, m(tg.tensor(x[None])).data[0])
    with pytest.raises(ValueError, match=r"InstanceNorm2d.*num_features \(3\).*got: 4"):
        m(tg.tensor(rng.standard_normal((1, 4, 2, 2))))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(tg.tensor(rng.standard_normal((2, 4, 5))))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D"):
        nn.InstanceNorm1d(3)(tg.tensor(rng.standard_normal((1, 3, 2, 2))))


def test_normalization_errors_name_the_op_and_shapes():
    x = tg.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(OpError, match=r"layer_norm.*\(4,\).*\(2, 3\)"):
        F.layer_norm(x, (4,))
    with pytest.raises(OpError, match=r"layer_norm.*at least 1-dimensional"):
        F.layer_norm(x, ())
    with pytest.raises(OpError, match=r"layer_norm: expected weight.*\(4,\)"):
        F.layer_norm(x, 3, tg.tensor(np.ones(4, np.float32)))
    with pytest.raises(OpError, match="mixed dtypes"):
        F.layer_norm(x, 3, tg.tensor(np.ones(3)))
    with pytest.raises(NotImplementedError, match="layer_norm.*Long"):
        F.layer_norm(tg.tensor([[1, 2]]), 2)
    with pytest.raises(TypeError, match=r"layer_norm\(\): argument 'input'"):
        F.layer_norm([[1.0, 2.0]], 2)
    with pytest.raises(OpError, match=r"group_norm.*divisible.*\(2, 3\).*num_groups=2"):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.group_norm(tg.tensor(np.zeros((1, 2))), 2)
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"more than 1 spatial element.*\(2, 3, 1\)"):
        F.instance_norm(tg.tensor(np.zeros((2, 3, 1))))
    with pytest.raises(OpError, match="running_mean and running_var to be defined"):
        F.instance_norm(tg.tensor(np.zeros((2, 3, 2))), use_input_stats=False)
    with pytest.raises(ValueError, match=r"3D or higher.*\(2, 3\)"):
        F.local_response_norm(x, 2)
    with pytest.raises(RuntimeError, match="device"):
        nn.LayerNorm(3, device="cuda")


def test_bad_instance_norm_arguments_leave_the_running_statistics_alone():
    mean, var = tg.tensor(np.zeros(3)), tg.tensor(np.ones(3))
    x = tg.tensor(np.arange(12.0).reshape(2, 3, 2))
    with pytest.raises(OpError, match=r"instance_norm: expected weight.*\(3\).*\(4,\)"):
        F.instance_norm(x, mean, var, weight=tg.tensor(np.ones(4)))
    assert (mean.data == 0).all() and (var.data == 1).all()


# ----- losses: closed forms --------------------------------------------------------------
def _softplus(z):
    return np.logaddexp(0, z)


D = np.array([[-2.0, -1.0, -0.5, 0.0], [0.25, 1.0, 1.5, 3.0]])   # input - target


def _pointwise_cases():
    """(name, fn(input, target, reduction), input, target, numpy elementwise loss)."""
    t = np.array([[0.5, 1.0, -1.0, 2.0], [0.0, 3.0, 1.0, 0.5]])
    sign = np.where(t >= 0, 1.0, -1.0)
    x = t + D
    p = np.array([[0.1, 0.5, 1.0, 2.0], [3.0, 0.25, 4.0, 1.0]])
    gauss_var = np.array([[0.5], [2.0]])
    lgamma_free = np.where(p > 1, p * np.log(p) - p + 0.5 * np.log(2 * np.pi * p), 0)
    return [
        ("l1", lambda a, b, r: F.l1_loss(a, b, reduction=r), x, t, np.abs(D)),
        ("smooth_l1", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=1.0), x, t,
         np.where(np.abs(D) < 1, 0.5 * D ** 2, np.abs(D) - 0.5)),
        ("smooth_l1_beta", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5), x, t,
         np.where(np.abs(D) < 0.5, D ** 2, np.abs(D) - 0.25)),
        ("huber", lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=1.5), x, t,
         np.where(np.abs(D) < 1.5, 0.5 * D ** 2, 1.5 * (np.abs(D) - 0.75))),
        ("kl_div", lambda a, b, r: F.kl_div(a, b, reduction=r), x, p, p * (np.log(p) - x)),
        ("kl_div_log_target", lambda a, b, r: F.kl_div(a, b, reduction=r, log_target=True),
         x, t, np.exp(t) * (t - x)),
        ("poisson", lambda a, b, r: F.poisson_nll_loss(a, b, reduction=r), x, p,
         np.exp(x) - p * x),
        ("poisson_full", lambda a, b, r: F.poisson_nll_loss(a, b, full=True, reduction=r),
         x, p, np.exp(x) - p * x + lgamma_free),
        ("poisson_rates", lambda a, b, r: F.poisson_nll_loss(a, b, log_input=False,
                                                             reduction=r), p, t,
         p - t * np.log(p + 1e-8)),
        ("gaussian", lambda a, b, r: F.gaussian_nll_loss(a, b, gauss_var[:, 0], full=True,
                                                         reduction=r), x, t,
         0.5 * (np.log(gauss_var) + D ** 2 / gauss_var + np.log(2 * np.pi))),
        ("soft_margin", lambda a, b, r: F.soft_margin_loss(a, b, reduction=r), x, sign,
         _softplus(-sign * x)),
        ("hinge_embedding", lambda a, b, r: F.hinge_embedding_loss(a, b, 1.5, reduction=r),
         p, sign, np.where(sign > 0, p, np.maximum(0, 1.5 - p))),
    ]


POINTWISE = [c[0] for c in _pointwise_cases()]


@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_losses_against_numpy(name):
    _, fn, x, t, want = next(c for c in _pointwise_cases() if c[0] == name)
    np.testing.assert_allclose(fn(leaf(x), t, "none").data, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fn(leaf(x), t, "sum").data, want.sum(), rtol=1e-12)
    if name.startswith("kl_div"):
        with pytest.warns(UserWarning, match="batchmean"):
            mean = fn(leaf(x), t, "mean")
        batchmean = fn(leaf(x), t, "batchmean")
        np.testing.assert_allclose(batchmean.data, want.sum() / x.shape[0], rtol=1e-12)
    else:
        mean = fn(leaf(x), t, "mean")
    np.testing.assert_allclose(mean.data, want.mean(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ("sum", "none"))
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_loss_gradients_first_and_second_order(name, reduction):
    """With respect to the input and a float target (off the kinks: finite
    differences straddle them)."""
    _, fn, x, t, _ = next(c for c in _pointwise_cases() if c[0] == name)
    off = 0.01 * np.arange(x.size).reshape(x.shape) / x.size   # off |d| = 0, 1, beta and
    labels = name in ("soft_margin", "hinge_embedding")       # off Stirling's step at t = 1
    args = (leaf(x + off), t if labels else leaf(t + off / 3))
    assert gradcheck(lambda a, b: fn(a, b, reduction), args)
    assert gradgradcheck(lambda a, b: fn(a, b, reduction), args)


def test_gradients_at_the_kinks():
    """l1's at d = 0 is 0; smooth L1 and Huber take the linear piece at
    |d| = beta, so their second derivative is 0 there, 1/beta (1) inside."""
    t = np.zeros(5)
    d = leaf([-1.0, -0.5, 0.0, 0.5, 1.0])
    (g,) = grad(F.l1_loss(d, t, reduction="sum"), d)
    np.testing.assert_array_equal(g.data, [-1, -1, 0, 1, 1])
    smooth_l1 = F.smooth_l1_loss(d, t, reduction="sum", beta=0.5)
    huber = F.huber_loss(d, t, reduction="sum", delta=0.5)
    for loss, slope, curvature in ((smooth_l1, [-1, -1, 0, 1, 1], 2.0),
                                   (huber, [-0.5, -0.5, 0, 0.5, 0.5], 1.0)):
        (g,) = grad(loss, d, create_graph=True)
        (h,) = grad(g.sum(), d)
        np.testing.assert_array_equal(g.data, slope)
        np.testing.assert_array_equal(h.data, [0, 0, curvature, 0, 0])


def test_huber_is_delta_times_smooth_l1(rng):
    x, t = leaf(rng.standard_normal(20) * 3), rng.standard_normal(20)
    for delta in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(F.huber_loss(x, t, delta=delta).data,
                                   delta * F.smooth_l1_loss(x, t, beta=delta).data, rtol=1e-12)


def test_weighted_l1_mean_divides_by_the_weights_and_huber_by_the_count(rng):
    x, t, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(1, 2, (3, 4))
    np.testing.assert_allclose(F.l1_loss(leaf(x), t, weight=w).data,
                               (w * np.abs(x - t)).sum() / w.sum(), rtol=1e-12)
    np.testing.assert_allclose(F.huber_loss(leaf(x), t, weight=w, delta=10).data,
                               (w * 0.5 * (x - t) ** 2).mean(), rtol=1e-12)
    wl = leaf(w)
    assert gradcheck(lambda a, w: F.l1_loss(a, t + 0.5, weight=w), (leaf(x), wl))
    assert gradgradcheck(lambda a, w: F.huber_loss(a, t, weight=w), (leaf(x), wl))


def test_limits_where_naive_formulas_fail():
    """Finite where PyTorch's formulas give NaN or inf: ours take the limits
    (README, Differences), and no numpy warning is raised on the way."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = leaf([0.5, -1.0, 2.0])
        # a probability of 0 adds 0, and its gradient is finite (-input)
        t = leaf([0.0, 0.5, 0.0])
        loss = F.kl_div(x, t, reduction="sum")
        np.testing.assert_allclose(loss.data, 0.5 * (np.log(0.5) + 1))
        gx, gt = grad(loss, (x, t))
        np.testing.assert_allclose(gt.data, [-0.5, np.log(0.5) + 1 + 1.0, -2.0])
        np.testing.assert_allclose(gx.data, [0, -0.5, 0])
        # a log-probability of -inf: 0 and zero gradients
        lt = leaf([-np.inf, 0.0, -np.inf])
        loss = F.kl_div(x, lt, reduction="none", log_target=True)
        np.testing.assert_array_equal(loss.data, [0.0, 1.0, 0.0])
        gx, gt = grad(loss.sum(), (x, lt))
        np.testing.assert_array_equal(gx.data, [0, -1, 0])
        np.testing.assert_array_equal(gt.data, [0, 2, 0])
        # e^{-target input} overflows in PyTorch's soft margin: here the loss is -target input
        z = leaf([1000.0, -1000.0])
        loss = F.soft_margin_loss(z, np.array([-1.0, 1.0]), reduction="none")
        np.testing.assert_allclose(loss.data, [1000.0, 1000.0])
        (g,) = grad(loss.sum(), z)
        np.testing.assert_allclose(g.data, [1.0, -1.0])
        # Poisson: counts of 0 and 1 have no Stirling term, and a 0 count's gradient is finite
        c = leaf([0.0, 1.0, 4.0])
        loss = F.poisson_nll_loss(x, c, full=True, reduction="none")
        stirling = 4 * np.log(4) - 4 + 0.5 * np.log(8 * np.pi)
        np.testing.assert_allclose(loss.data, np.exp(x.data) - c.data * x.data
                                   + [0, 0, stirling])
        (gc,) = grad(loss.sum(), c)
        np.testing.assert_allclose(gc.data, [-0.5, 1.0, -2.0 + np.log(4) + 0.125])
        # e^input beyond float range is inf, as the true value, quietly
        assert F.poisson_nll_loss(leaf([1000.0]), np.array([1.0])).data == np.inf


def test_gaussian_nll_clamps_var_in_value_only(rng):
    x, t = leaf(rng.standard_normal(4)), rng.standard_normal(4)
    var = leaf([1e-9, 0.0, 0.5, 2.0])
    loss = F.gaussian_nll_loss(x, t, var, eps=1e-3, reduction="sum")
    v = np.maximum(var.data, 1e-3)
    d = x.data - t
    np.testing.assert_allclose(loss.data, (0.5 * (np.log(v) + d ** 2 / v)).sum(), rtol=1e-12)
    (gv,) = grad(loss, var)   # the gradient at the clamped value, passed straight through
    np.testing.assert_allclose(gv.data, 0.5 * (1 / v - d ** 2 / v ** 2), rtol=1e-12)
    homoscedastic = F.gaussian_nll_loss(leaf(np.ones((3, 2))), np.zeros((3, 2)), leaf([1., 2, 4]),
                                        reduction="none")
    np.testing.assert_allclose(homoscedastic.data[:, 1],
                               0.5 * (np.log([1, 2, 4]) + 1 / np.array([1, 2, 4])))


@FEW
@given(shape=shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_reductions_relate_for_every_shape(shape, data):
    x = leaf(data.draw(arrays(shape)))
    t = data.draw(arrays(shape))
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.soft_margin_loss,
               F.poisson_nll_loss, lambda a, b, reduction: F.margin_ranking_loss(
                   a, leaf(b), np.sign(b), 0.5, reduction=reduction)):
        none = fn(x, t, reduction="none")
        assert none.shape == shape
        np.testing.assert_allclose(fn(x, t, reduction="sum").data, none.data.sum(), rtol=1e-12)
        np.testing.assert_allclose(fn(x, t, reduction="mean").data, none.data.mean(),
                                   rtol=1e-12)


# ----- margin losses ---------------------------------------------------------------------
def test_margin_losses_against_numpy(rng):
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    np.testing.assert_allclose(
        F.margin_ranking_loss(leaf(x1[:, 0]), leaf(x2[:, 0]), y, 0.3, reduction="none").data,
        np.maximum(0, -y * (x1[:, 0] - x2[:, 0]) + 0.3), rtol=1e-12)
    cos = (x1 * x2).sum(1) / np.sqrt(((x1 ** 2).sum(1) + 1e-12) * ((x2 ** 2).sum(1) + 1e-12))
    np.testing.assert_allclose(
        F.cosine_embedding_loss(leaf(x1), leaf(x2), y, 0.1, reduction="none").data,
        np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1)), rtol=1e-12)
    labels = (x2 > 0).astype(np.float64)
    w = rng.uniform(0.5, 2, 3)
    bce = labels * _softplus(-x1) + (1 - labels) * _softplus(x1)
    np.testing.assert_allclose(
        F.multilabel_soft_margin_loss(leaf(x1), labels, w, reduction="none").data,
        (bce * w).mean(1), rtol=1e-12)
    neg = rng.standard_normal((5, 3))
    d_pos = np.linalg.norm(x1 - x2 + 1e-6, axis=1)
    d_neg = np.minimum(np.linalg.norm(x1 - neg + 1e-6, axis=1),
                       np.linalg.norm(x2 - neg + 1e-6, axis=1))
    np.testing.assert_allclose(
        F.triplet_margin_loss(leaf(x1), leaf(x2), leaf(neg), 2.0, swap=True,
                              reduction="none").data,
        np.maximum(0, 2.0 + d_pos - d_neg), rtol=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_against_numpy(p, rng):
    x = rng.standard_normal((4, 5))
    t = np.array([0, 4, 2, 2])
    w = rng.uniform(0.5, 2, 5)
    z = 0.7 - x[np.arange(4), t][:, None] + x
    z[np.arange(4), t] = 0
    want = (np.maximum(z, 0) ** p * w[t][:, None]).sum(1) / 5
    got = F.multi_margin_loss(leaf(x), t, p, 0.7, w, reduction="none")
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    assert gradcheck(lambda a: F.multi_margin_loss(a, t, p, 0.7, w), (leaf(x),))
    assert gradgradcheck(lambda a: F.multi_margin_loss(a, t, p, 0.7, w, reduction="sum"),
                         (leaf(x),))
    one = F.multi_margin_loss(leaf(x[1]), np.int64(4), p, 0.7, w, reduction="none")
    assert one.shape == () and np.isclose(one.data, want[1])


def test_multi_margin_term_at_exactly_zero_has_no_gradient():
    x = leaf([[1.0, 0.0, 0.5]])   # z = 1 - 1 + 0 = 0 for class 1: left out, as PyTorch's z > 0
    (g,) = grad(F.multi_margin_loss(x, np.array([0]), reduction="sum"), x)
    np.testing.assert_allclose(g.data, [[-1 / 3, 0, 1 / 3]])


@pytest.mark.parametrize("fn, args", [
    (F.margin_ranking_loss, "aab"), (F.cosine_embedding_loss, "AAb"),
    (F.triplet_margin_loss, "AAA"), (F.hinge_embedding_loss, "ab"),
    (F.multilabel_soft_margin_loss, "AB"), (F.cosine_similarity, "AA"),
    (F.pairwise_distance, "AA")])
def test_margin_losses_and_distances_gradients(fn, args, rng):
    values = {"a": lambda: leaf(rng.standard_normal(4)),
              "b": lambda: np.sign(rng.standard_normal(4)),
              "A": lambda: leaf(rng.standard_normal((4, 3))),
              "B": lambda: leaf(rng.uniform(0, 1, (4, 3)))}
    inputs = tuple(values[k]() for k in args)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_cosine_similarity_and_pairwise_distance_against_numpy(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1), 1e-8) / np.linalg.norm(b)
    np.testing.assert_allclose(F.cosine_similarity(leaf(a), leaf(b), dim=-1).data, cos,
                               rtol=1e-12)
    np.testing.assert_allclose(F.pairwise_distance(leaf(a), leaf(b), p=3, keepdim=True).data,
                               (np.abs(a - b + 1e-6) ** 3).sum(1, keepdims=True) ** (1 / 3),
                               rtol=1e-12)
    assert nn.PairwiseDistance(p=1)(leaf(a), leaf(b)).shape == (4,)


# ----- loss modules and errors -----------------------------------------------------------
def test_loss_modules_equal_the_functions(rng):
    x, t = leaf(rng.standard_normal((3, 4))), rng.standard_normal((3, 4))
    idx, s = np.array([1, 0, 3]), np.sign(t)
    pairs = [(nn.L1Loss(reduction="sum"), F.l1_loss(x, t, reduction="sum"), (x, t)),
             (nn.SmoothL1Loss(beta=0.3), F.smooth_l1_loss(x, t, beta=0.3), (x, t)),
             (nn.HuberLoss(delta=0.3), F.huber_loss(x, t, delta=0.3), (x, t)),
             (nn.KLDivLoss(reduction="batchmean"), F.kl_div(x, abs(t), reduction="batchmean"),
              (x, abs(t))),
             (nn.PoissonNLLLoss(log_input=False, eps=0.5), F.poisson_nll_loss(
                 abs(x), abs(t), log_input=False, eps=0.5), (abs(x), abs(t))),
             (nn.GaussianNLLLoss(eps=0.1), F.gaussian_nll_loss(x, t, abs(t), eps=0.1),
              (x, t, abs(t))),
             (nn.MarginRankingLoss(0.2), F.margin_ranking_loss(x, leaf(t), s, 0.2),
              (x, leaf(t), s)),
             (nn.HingeEmbeddingLoss(0.5), F.hinge_embedding_loss(x, s, 0.5), (x, s)),
             (nn.SoftMarginLoss(), F.soft_margin_loss(x, s), (x, s)),
             (nn.MultiLabelSoftMarginLoss(weight=np.arange(4.0)),
              F.multilabel_soft_margin_loss(x, s > 0, np.arange(4.0)), (x, s > 0)),
             (nn.CosineEmbeddingLoss(0.1), F.cosine_embedding_loss(x, leaf(t), s[:, 0], 0.1),
              (x, leaf(t), s[:, 0])),
             (nn.TripletMarginLoss(p=1), F.triplet_margin_loss(x, leaf(t), leaf(-t), p=1),
              (x, leaf(t), leaf(-t))),
             (nn.MultiMarginLoss(p=2), F.multi_margin_loss(x, idx, p=2), (x, idx)),
             (nn.CosineSimilarity(0), F.cosine_similarity(x, leaf(t), 0), (x, leaf(t)))]
    for module, want, args in pairs:
        np.testing.assert_allclose(module(*args).data, want.data, rtol=1e-12)
    assert list(nn.MultiMarginLoss(weight=np.ones(4)).state_dict()) == ["weight"]
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"


@pytest.mark.parametrize("fn", [F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div,
                                F.poisson_nll_loss, F.soft_margin_loss, F.hinge_embedding_loss,
                                F.multilabel_soft_margin_loss,
                                lambda a, b: F.gaussian_nll_loss(a, b, 1.0)])
def test_shape_mismatch_raises_instead_of_broadcasting(fn):
    with pytest.raises(OpError, match=r"input shape \(4, 1\) and target shape \(4,\) differ"):
        fn(tg.tensor(np.zeros((4, 1))), np.zeros(4))


def test_loss_argument_errors():
    x = tg.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reduction must be"):
        F.l1_loss(x, np.zeros((2, 3)), reduction="average")
    with pytest.raises(ValueError, match="reduction must be"):
        nn.SmoothL1Loss(reduction="batchmean")
    with pytest.raises(OpError, match="smooth_l1_loss does not support negative values"):
        F.smooth_l1_loss(x, np.zeros((2, 3)), beta=-1)
    with pytest.raises(OpError, match="huber_loss does not support non-positive values"):
        F.huber_loss(x, np.zeros((2, 3)), delta=0)
    with pytest.raises(TypeError, match="delta must be a float or int"):
        nn.HuberLoss(delta="1")
    with pytest.raises(ValueError, match=r"l1_loss: weight of shape \(3,\).*same size"):
        F.l1_loss(x, np.zeros((2, 3)), weight=np.ones(3))
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(x, np.zeros((2, 3)), np.full((2, 3), -1.0))
    with pytest.raises(ValueError, match=r"var is of incorrect size: got shape \(3,\)"):
        F.gaussian_nll_loss(x, np.zeros((2, 3)), tg.tensor(np.ones(3)))
    with pytest.raises(OpError, match=r"margin_ranking_loss.*\(2, 3\).*input2 shape \(3,\)"):
        F.margin_ranking_loss(x, tg.tensor(np.zeros(3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=-1)
    with pytest.raises(OpError, match="0D or 1D target tensor expected"):
        F.cosine_embedding_loss(x, x, np.ones((2, 3)))
    with pytest.raises(OpError, match=r"target of shape \(3,\) needs inputs of shape \(3, D\)"):
        F.cosine_embedding_loss(x, x, np.ones(3))
    with pytest.raises(IndexError, match="target 3 is out of range for 3 classes"):
        F.multi_margin_loss(x, np.array([0, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.multi_margin_loss(x, np.array([0.0, 1.0]))
    with pytest.raises(OpError, match=r"one class index per example: expected 2"):
        F.multi_margin_loss(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(x, np.array([0, 1]), weight=np.ones((1, 3)))
    with pytest.raises(OpError, match=r"multi_margin_loss: expected non-empty.*\(2, 3, 1\)"):
        F.multi_margin_loss(tg.tensor(np.zeros((2, 3, 1))), np.array([0, 1]))
    with pytest.raises(TypeError, match="must be a floating-point Tensor"):
        F.l1_loss(tg.tensor([1, 2]), np.zeros(2))
    with pytest.raises(OpError, match="cosine_similarity.*do not broadcast"):
        F.cosine_similarity(x, tg.tensor(np.zeros((3, 2))))


def test_float32_losses_stay_float32(rng):
    x = tg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    t = rng.standard_normal((3, 4))   # a float64 array takes the input's dtype
    for y in (F.l1_loss(x, t), F.smooth_l1_loss(x, t), F.huber_loss(x, t),
              F.kl_div(x, abs(t), reduction="batchmean"), F.poisson_nll_loss(x, t),
              F.gaussian_nll_loss(x, t, abs(t)), F.soft_margin_loss(x, np.sign(t)),
              F.multilabel_soft_margin_loss(x, t > 0), F.hinge_embedding_loss(x, np.sign(t)),
              F.cosine_embedding_loss(x, x, np.ones(3)), F.triplet_margin_loss(x, x, -x),
              F.multi_margin_loss(x, np.array([0, 1, 2]))):
        assert y.dtype == np.float32
        (g,) = grad(y, x)
        assert g.dtype == np.float32 and math.isfinite(float(y.data))


def test_an_inplace_change_of_a_normalization_output_leaves_its_gradient_right():
    """The output is not what backward reads (it makes y again from x): changing
    it in place gives the out-of-place form's gradient."""
    values = np.random.default_rng(3).standard_normal((2, 3, 4, 4))
    grads = []
    for inplace in (False, True):
        x = tg.tensor(values, requires_grad=True)
        for norm in (lambda t: tg.nn.InstanceNorm2d(3)(t),
                     lambda t: tg.nn.functional.layer_norm(t, (4,))):
            h = norm(x)
            if inplace:
                h += x
            else:
                h = h + x
            (h * h).sum().backward()
        grads.append(x.grad.data)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-12)


def test_huber_and_smooth_l1_gradients_stay_finite_at_an_infinite_difference():
    for loss in (tg.nn.functional.huber_loss, tg.nn.functional.smooth_l1_loss):
        x = tg.tensor([0.5, 0.0], requires_grad=True)
        loss(x, tg.tensor([0.0, np.inf])).backward()
        assert x.grad.data.tolist() == [0.25, -0.5]   # the linear piece's slope, not NaN


def test_float16_layer_norm_recorded_backward_is_computed_in_float32():
    values = (100 + np.random.default_rng(0).standard_normal((2, 1000))).astype(np.float16)
    grads = []
    for create_graph in (False, True):
        x = tg.tensor(values, requires_grad=True)
        (g,) = tg.autograd.grad((tg.nn.functional.layer_norm(x, (1000,)) ** 3).sum(), x,
                                create_graph=create_graph)
        grads.append(g.data)
    assert np.isfinite(grads[1]).all() and grads[1].dtype == np.float16
    np.testing.assert_allclose(grads[1].astype(np.float32), grads[0].astype(np.float32),
                               rtol=1e-2, atol=1e-2)
