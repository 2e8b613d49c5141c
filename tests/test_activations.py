"""Every activation of torch.nn.functional with its module: closed forms,
finite differences (first and second order), stability at +-1e4, and PyTorch
as the oracle in the torch group."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.nn import functional as F

# name -> (our function, kwargs, module factory, closed form on numpy)
SIG = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
SP = lambda x: np.log1p(np.exp(x))  # noqa: E731
ERF = np.vectorize(math.erf)
CASES = {
    "relu6": ({}, lambda: nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    "hardtanh": (dict(min_val=-0.5, max_val=2.0), lambda: nn.Hardtanh(-0.5, 2.0),
                 lambda x: np.clip(x, -0.5, 2.0)),
    "hardswish": ({}, lambda: nn.Hardswish(), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hardsigmoid": ({}, lambda: nn.Hardsigmoid(), lambda x: np.clip(x + 3, 0, 6) / 6),
    "mish": ({}, lambda: nn.Mish(), lambda x: x * np.tanh(SP(x))),
    "softsign": ({}, lambda: nn.Softsign(), lambda x: x / (1 + abs(x))),
    "logsigmoid": ({}, lambda: nn.LogSigmoid(), lambda x: np.log(SIG(x))),
    "leaky_relu": (dict(negative_slope=0.2), lambda: nn.LeakyReLU(0.2),
                   lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (dict(alpha=1.5), lambda: nn.ELU(1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    "selu": ({}, lambda: nn.SELU(),
             lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "celu": (dict(alpha=0.7), lambda: nn.CELU(0.7),
             lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7))),
    "softplus": (dict(beta=2.0, threshold=3.0), lambda: nn.Softplus(2.0, 3.0),
                 lambda x: np.where(2 * x > 3, x, SP(2 * x) / 2)),
    "gelu": ({}, lambda: nn.GELU(), lambda x: x * (1 + ERF(x / math.sqrt(2))) / 2),
    "gelu_tanh": (dict(approximate="tanh"), lambda: nn.GELU("tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x ** 3)))),
    "silu": ({}, lambda: nn.SiLU(), lambda x: x * SIG(x)),
    "tanhshrink": ({}, lambda: nn.Tanhshrink(), lambda x: x - np.tanh(x)),
    "threshold": (dict(threshold=0.3, value=-2.0), lambda: nn.Threshold(0.3, -2.0),
                  lambda x: np.where(x > 0.3, x, -2.0)),
    "hardshrink": (dict(lambd=0.4), lambda: nn.Hardshrink(0.4),
                   lambda x: np.where(abs(x) > 0.4, x, 0)),
    "softshrink": (dict(lambd=0.4), lambda: nn.Softshrink(0.4),
                   lambda x: np.where(x > 0.4, x - 0.4, np.where(x < -0.4, x + 0.4, 0))),
}


def _fn(name):
    return getattr(F, "gelu" if name == "gelu_tanh" else name)


def _points(seed=0, n=40):
    # away from the kinks (where one-sided slopes differ) so differences are smooth
    x = np.random.default_rng(seed).uniform(-6, 6, n)
    kinks = np.array([-3, -0.5, -0.4, 0, 0.3, 0.4, 1.5, 2, 3, 6])
    return x[np.min(np.abs(x[:, None] - kinks), axis=1) > 1e-3]


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_module_and_gradients(name):
    kwargs, module, closed = CASES[name]
    x = tg.tensor(_points(), dtype=tg.float64, requires_grad=True)
    np.testing.assert_allclose(_fn(name)(x, **kwargs).data, closed(x.data), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_array_equal(module()(x).data, _fn(name)(x, **kwargs).data)
    assert gradcheck(lambda t: _fn(name)(t, **kwargs), [x])
    assert gradgradcheck(lambda t: _fn(name)(t, **kwargs), [x])
    # float32 stays float32
    assert _fn(name)(tg.tensor(_points(), dtype=tg.float32), **kwargs).dtype == np.float32


def test_softmin_glu_prelu():
    x = tg.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    e = np.exp(-x.data)
    np.testing.assert_allclose(F.softmin(x, 1).data, e / e.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(nn.Softmin(1)(x).data, F.softmin(x, 1).data)
    a, b = x.data[:, :2], x.data[:, 2:]
    np.testing.assert_allclose(F.glu(x, 1).data, a / (1 + np.exp(-b)), rtol=1e-6)
    p = nn.PReLU(3)
    y = tg.tensor(np.random.default_rng(2).standard_normal((2, 3, 5)).astype(np.float32))
    np.testing.assert_allclose(p(y).data, np.where(y.data > 0, y.data, 0.25 * y.data))
    p(y).sum().backward()
    np.testing.assert_allclose(p.weight.grad.data,
                               np.where(y.data > 0, 0, y.data).sum(axis=(0, 2)), rtol=1e-5)
    with pytest.raises(ValueError, match="glu: halving dimension 1 needs an even size, got 3"):
        F.glu(tg.zeros(2, 3), 1)


@given(st.floats(-1e4, 1e4))
def test_softplus_and_logsigmoid_are_stable_everywhere(v):
    # pytest turns numpy's overflow warnings into errors: none may be raised
    x = tg.tensor([v, -v, 1e4, -1e4], dtype=tg.float64, requires_grad=True)
    y = F.logsigmoid(x)
    assert np.isfinite(y.data).all()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 - 1 / (1 + np.exp(-np.clip(x.data, -700, 700))),
                               atol=1e-12)
    assert F.logsigmoid(tg.tensor([-1e4])).item() == -1e4
    assert F.logsigmoid(tg.tensor([1e4])).item() == 0.0
    assert F.softplus(tg.tensor([1e4])).item() == 1e4
    assert F.softplus(tg.tensor([-1e4])).item() == 0.0
    assert np.isfinite(F.mish(tg.tensor([1e4, -1e4])).data).all()
    assert np.isfinite(F.elu(tg.tensor([1e4, -1e4], requires_grad=True)).data).all()


def test_elu_gradient_is_finite_for_huge_positive_inputs():
    x = tg.tensor([1e4, -1e4], requires_grad=True)
    (F.elu(x) + F.selu(x) + F.celu(x)).sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_errors_name_the_function():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(tg.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="Hardtanh: min_val"):
        nn.Hardtanh(2, 1)


def test_modules_accept_pytorchs_inplace_flag_and_leave_the_input_alone():
    x = tg.tensor([-1.0, 2.0, 7.0])
    for m in (nn.ReLU(inplace=True), nn.ReLU6(True), nn.LeakyReLU(0.1, True), nn.ELU(1.0, True),
              nn.SiLU(True), nn.Hardswish(True), nn.Mish(True), nn.SELU(True)):
        m(x)
    assert x.tolist() == [-1.0, 2.0, 7.0]
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


# ----- PyTorch as the oracle --------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES) + ["softmin", "glu", "prelu"])
def test_matches_pytorch_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    rng = np.random.default_rng(3)
    a = rng.uniform(-6, 6, (4, 6))
    a[0, :5] = [0.0, 3.0, -3.0, 6.0, 1e4]     # the kinks and a huge value, too
    x = tg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    if name in CASES:
        kwargs = CASES[name][0]
        ours, theirs = _fn(name)(x, **kwargs), getattr(TF, _fn(name).__name__)(t, **kwargs)
    elif name == "softmin":
        ours, theirs = F.softmin(x, 1), TF.softmin(t, 1)
    elif name == "glu":
        ours, theirs = F.glu(x, 1), TF.glu(t, 1)
    else:
        w = np.array([0.1, -0.3, 0.25, 2.0, 0.5, -1.0])
        ours, theirs = F.prelu(x, tg.tensor(w)), TF.prelu(t, torch.tensor(w))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(ours.shape)
    ours.backward(tg.tensor(g))
    theirs.backward(torch.tensor(g))
    grad_ours = x.grad.data
    grad_theirs = t.grad.numpy()
    # PyTorch's backward of these takes 1/6 and 1/alpha as float32 constants even in
    # float64; ours are exact, so they agree to float32's precision only.
    rtol = 1e-7 if name in ("hardsigmoid", "hardswish", "celu") else 1e-10
    np.testing.assert_allclose(grad_ours, grad_theirs, rtol=rtol, atol=1e-12)


@pytest.mark.torch
def test_logsigmoid_and_softplus_extremes_match_pytorch():
    torch = pytest.importorskip("torch")
    v = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4], dtype=np.float32)
    np.testing.assert_allclose(F.logsigmoid(tg.tensor(v)).data,
                               torch.nn.functional.logsigmoid(torch.tensor(v)).numpy(), rtol=1e-6)
    for beta, thr in ((1.0, 20.0), (0.5, 2.0), (3.0, 40.0)):
        np.testing.assert_allclose(F.softplus(tg.tensor(v), beta, thr).data,
                                   torch.nn.functional.softplus(torch.tensor(v), beta, thr).numpy(),
                                   rtol=1e-6)


def test_rrelu_uses_the_mean_slope_in_eval_and_random_slopes_in_training():
    x = tg.tensor(np.linspace(-3, 3, 101), requires_grad=True)
    m = nn.RReLU(0.1, 0.3)
    np.testing.assert_allclose(m.eval()(x).data, np.where(x.data >= 0, x.data, 0.2 * x.data))
    y = m.train()(x)
    ratio = y.data[x.data < 0] / x.data[x.data < 0]
    assert ((0.1 <= ratio) & (ratio <= 0.3)).all() and ratio.std() > 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data[x.data < 0], ratio)


def test_softmax2d_normalizes_over_channels():
    x = tg.randn(2, 3, 4, 5)
    np.testing.assert_allclose(nn.Softmax2d()(x).data.sum(1), np.ones((2, 4, 5)), rtol=1e-6)


# ----- piecewise-linear activations under create_graph --------------------------
PIECEWISE = {
    "relu": (tg.relu, lambda x: x > 0),
    "abs": (tg.abs, np.sign),
    "relu6": (F.relu6, lambda x: (x > 0) & (x < 6)),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: (x > -0.5) & (x < 2.0)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, 1, 0.2)),
    "threshold": (lambda x: F.threshold(x, 0.1, 20.0), lambda x: x > 0.1),
    "hardshrink": (F.hardshrink, lambda x: np.abs(x) > 0.5),
    "softshrink": (F.softshrink, lambda x: np.abs(x) > 0.5),
    "ReLU layer": (None, None),   # nn.Sequential's fused Linear + ReLU node, made below
}


def _relu_layer():
    tg.manual_seed(3)
    return nn.Sequential(nn.Linear(7, 7), nn.ReLU()).double()


@pytest.mark.parametrize("name", list(PIECEWISE))
def test_a_piecewise_linear_gradient_stays_in_the_graph_with_zero_second_derivative(name):
    """As PyTorch's threshold_backward and the like: the recorded gradient of
    a piecewise-linear function requires grad, and differentiating it again
    gives zeros (away from the kinks), not an error that nothing requires grad."""
    fn, slope = PIECEWISE[name]
    fn = fn or _relu_layer()
    values = np.array([-2.0, -0.3, 0.2, 0.7, 1.5, 3.0, 7.0])
    x = tg.tensor(values, requires_grad=True)
    (g,) = tg.autograd.grad(fn(x).sum(), x, create_graph=True)
    assert g.requires_grad
    if slope is not None:
        np.testing.assert_array_equal(g.data, slope(values))
    (h,) = tg.autograd.grad((g * g).sum(), x)
    np.testing.assert_array_equal(h.data, np.zeros(7))
    # a square of it: d/dx sum(f'(x) f(x)) = f'(x)^2, the gate passes gradients through
    (g2,) = tg.autograd.grad((fn(x) ** 2).sum() / 2, x, create_graph=True)
    (h2,) = tg.autograd.grad(g2.sum(), x)
    if slope is not None:
        np.testing.assert_allclose(h2.data, slope(values).astype(float) ** 2)
    assert gradgradcheck(fn, [tg.tensor(values, requires_grad=True)])


def test_the_gates_zero_derivative_stays_zero_beside_an_inf_and_integers_stay_integers():
    x = tg.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    (g,) = tg.autograd.grad(tg.relu(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad((g * tg.tensor([1.0, np.inf, 1.0])).sum(), x)
    assert h.data.tolist() == [0.0, 0.0, 0.0]   # not 0 * inf = NaN
    ints = tg.tensor([-2, 0, 3, 9])
    for fn, expected in ((F.hardtanh, [-1, 0, 1, 1]), (F.relu6, [0, 0, 3, 6]),
                         (lambda v: F.threshold(v, 1, 20), [20, 20, 3, 9])):
        out = fn(ints)
        assert out.dtype == np.int64 and out.data.tolist() == expected
