"""Chapter 3 of the notes: the cross-entropy cost (Ex 3.1, 3.2, section 3.1.1),
softmax with the log-likelihood (section 3.2, Ex 3.3), L2 regularization as a
rescaling along the Hessian's eigenvectors (section 3.3.1), Gaussian input
noise as L2 (eq. 3.22), mixup (3.14-3.15) and the two early-stopping criteria.

Gradients come from autograd, Hessians from ``autograd.functional.hessian``;
every expected value is the notes' closed form evaluated in numpy.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import autograd, data, optim, training
from tinygrad_nndl.autograd.functional import hessian
from tinygrad_nndl.nn import functional as F

from .conftest import as_tensor, floats, linear_layers, networks, sigmoid_np

SETTINGS = settings(deadline=None)
TOL = dict(rtol=1e-10, atol=1e-13)
seeds = st.integers(0, 2**32 - 1)


def softmax_np(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----- Exercise 3.1: cross-entropy is minimized at a = y ----------------------------


@SETTINGS
@given(m=st.integers(1, 8), seed=seeds)
def test_ex3_1_binary_cross_entropy_minimized_at_a_equals_y(m, seed):
    """C(a) = -(1/m) sum_i [y_i ln a_i + (1 - y_i) ln(1 - a_i)]: dC/da_i =
    (1/m)(a_i - y_i)/(a_i (1 - a_i)), zero exactly at a = y. The notes stop at 'an
    extremum'; the Hessian (by autograd) is diagonal with (1/m)(y/a^2 + (1-y)/(1-a)^2) > 0,
    so it is the minimum, of value the mean binary entropy H(y)."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(0.02, 0.98, m)
    a = rng.uniform(0.01, 0.99, m)

    def C(a):
        return F.binary_cross_entropy(a, as_tensor(y))

    a_t = as_tensor(a, requires_grad=True)
    (g,) = autograd.grad(C(a_t), a_t)
    np.testing.assert_allclose(g.data, (a - y) / (a * (1 - a)) / m, **TOL)
    y_t = as_tensor(y, requires_grad=True)
    (g_at_y,) = autograd.grad(C(y_t), y_t)
    np.testing.assert_allclose(g_at_y.data, 0.0, atol=1e-12)
    H = hessian(C, as_tensor(y)).data
    np.testing.assert_allclose(H, np.diag((y / y ** 2 + (1 - y) / (1 - y) ** 2) / m), **TOL)
    entropy = -np.mean(y * np.log(y) + (1 - y) * np.log(1 - y))
    assert C(as_tensor(y)).item() == pytest.approx(entropy, rel=1e-12)
    for _ in range(20):
        assert C(as_tensor(rng.uniform(0.001, 0.999, m))).item() >= entropy - 1e-12


@SETTINGS
@given(label=st.sampled_from([0.0, 1.0]), m=st.integers(1, 4), seed=seeds)
def test_ex3_1_erratum_labels_0_or_1_have_no_minimum(label, m, seed):
    """The solution's 'the gradient is zero when a_i = y_i' needs y_i in (0, 1). For the
    classification labels y_i in {0, 1} the printed zero, (a - y)/(a (1 - a)) at a = y, is
    0/0, and on the whole domain (0, 1) the gradient is -1/(m a) <= -1/m (y = 1) or
    1/(m (1 - a)) >= 1/m (y = 0): never zero. Through the sigmoid, dC/dz_i = (a_i - y_i)/m
    != 0 for every finite z, and C decreases towards its infimum 0 = H(0) = H(1) without
    reaching it: no sigma(z) equals y, so 'minimized when sigma(z) = y' holds only for
    y in (0, 1)."""
    at_y = np.float64(label)
    with np.errstate(invalid="ignore"):
        assert np.isnan((at_y - label) / (at_y * (1 - at_y)))    # the printed zero: 0/0
    rng = np.random.default_rng(seed)
    y = np.full(m, label)
    a = rng.uniform(1e-3, 1 - 1e-3, m)
    a_t = as_tensor(a, requires_grad=True)
    (g,) = autograd.grad(F.binary_cross_entropy(a_t, as_tensor(y)), a_t)
    want = -1 / (m * a) if label == 1 else 1 / (m * (1 - a))
    np.testing.assert_allclose(g.data, want, **TOL)
    assert np.all(np.abs(g.data) >= 1 / m)
    sign = 1.0 if label == 1 else -1.0        # the direction in z that lowers C
    z = sign * np.linspace(-20, 20, 81)
    Z = as_tensor(np.repeat(z[:, None], m, axis=1), requires_grad=True)   # row k: every z_i = z_k
    rows = F.binary_cross_entropy(Z.sigmoid(), as_tensor(np.broadcast_to(y, (len(z), m))),
                                  reduction="none").mean(1)                # C at each row
    (gz,) = autograd.grad(rows.sum(), Z)
    np.testing.assert_allclose(gz.data, np.repeat((sigmoid_np(z)[:, None] - label) / m, m, 1),
                               rtol=1e-6)
    assert np.all(gz.data != 0)
    costs = rows.data
    np.testing.assert_allclose(costs, np.log1p(np.exp(-np.abs(z))) * (z * sign > 0) + (
        np.abs(z) + np.log1p(np.exp(-np.abs(z)))) * (z * sign <= 0), rtol=1e-6)
    assert np.all(np.diff(costs) < 0) and np.all(costs > 0)


# ----- Exercise 3.2: cross-entropy in a multi-layer network -----------------------


@SETTINGS
@given(net=networks(max_layers=4, weight=2.0), n=st.integers(1, 6), seed=seeds)
def test_ex3_2_cross_entropy_output_error_has_no_sigma_prime(net, n, seed):
    """C = (1/n) sum_x -sum_j [y_j ln a_j^L + (1 - y_j) ln(1 - a_j^L)] on a sigmoid output
    layer: delta^L = dC/dz^L = (a^L - y)/n per example (no sigma'(z^L) factor) and
    dC/dw_jk^L = (1/n) sum_x a_k^{L-1} (a_j^L - y_j); with the quadratic cost the same
    derivative carries the factor sigma'(z_j^L)."""
    weights, biases = net
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, weights[0].shape[1]))
    Y = rng.uniform(0, 1, (n, weights[-1].shape[0]))
    for cost in ("cross-entropy", "quadratic"):
        layers = linear_layers(weights, biases)
        a = as_tensor(X)
        for layer in layers[:-1]:
            a = layer(a).sigmoid()
        a_prev = a.data
        z = layers[-1](a)
        seen = {}
        z.register_hook(lambda g: seen.update(delta=g.data.copy()))
        out = z.sigmoid()
        # the notes' recap a^L = sum_k w_jk^L a_k^{L-1} + b_j^L drops the sigma: that is z^L
        assert not np.allclose(out.data, z.data)
        if cost == "cross-entropy":
            C = F.binary_cross_entropy(out, as_tensor(Y), reduction="sum") / n
        else:
            C = F.quadratic_cost(out, as_tensor(Y))
        C.backward()
        aL = sigmoid_np(z.data)
        factor = 1.0 if cost == "cross-entropy" else aL * (1 - aL)
        delta = (aL - Y) * factor / n
        np.testing.assert_allclose(seen["delta"], delta, **TOL)
        np.testing.assert_allclose(layers[-1].weight.grad.data, delta.T @ a_prev, **TOL)
        np.testing.assert_allclose(layers[-1].bias.grad.data, delta.sum(0), **TOL)
        if cost == "cross-entropy":   # the same from the logits, without forming a^L
            z_leaf = as_tensor(z.data, requires_grad=True)
            (g,) = autograd.grad(F.binary_cross_entropy_with_logits(
                z_leaf, as_tensor(Y), reduction="sum") / n, z_leaf)
            np.testing.assert_allclose(g.data, delta, **TOL)


# ----- Section 3.1.1: deriving the cross-entropy ------------------------------------


def cross_entropy_np(a, y):
    return -(y * np.log(a) + (1 - y) * np.log(1 - a))


@SETTINGS
@given(r=st.integers(1, 6), y=floats(0, 1), a0=floats(0.01, 0.99), a1=floats(0.01, 0.99),
       seed=seeds)
def test_3_1_1_cost_with_gradient_x_times_a_minus_y_is_cross_entropy(r, y, a0, a1, seed):
    """One sigmoid neuron with r inputs: the cross-entropy has dC/dw_j = x_j (a - y)
    (eq. 3.1, with the index j on both sides) and dC/db = a - y (3.2); dC/da =
    (a - y)/(a(1 - a)) = 1/(1 - a) - y (1/(1 - a) + 1/a); and integrating that from a0 to
    a1 (Gauss-Legendre) gives C(a1) - C(a0): the cost is fixed up to a constant."""
    rng = np.random.default_rng(seed)
    w, b, x = rng.uniform(-2, 2, r), rng.uniform(-2, 2), rng.uniform(-2, 2, r)
    w_t, b_t = as_tensor(w, requires_grad=True), as_tensor(b, requires_grad=True)
    a_t = ((w_t * as_tensor(x)).sum() + b_t).sigmoid()
    gw, gb = autograd.grad(F.binary_cross_entropy(a_t, as_tensor(y)), [w_t, b_t])
    a = sigmoid_np(w @ x + b)
    np.testing.assert_allclose(gw.data, x * (a - y), **TOL)
    assert gb.item() == pytest.approx(a - y, rel=1e-10, abs=1e-13)
    a_leaf = as_tensor([a0, a1], requires_grad=True)
    (ga,) = autograd.grad(F.binary_cross_entropy(a_leaf, as_tensor([y, y]), reduction="sum"),
                          a_leaf)
    av = np.array([a0, a1])
    np.testing.assert_allclose(ga.data, (av - y) / (av * (1 - av)), **TOL)
    np.testing.assert_allclose(ga.data, 1 / (1 - av) - y * (1 / (1 - av) + 1 / av), **TOL)
    t, wts = np.polynomial.legendre.leggauss(80)
    s = (a0 + a1) / 2 + (a1 - a0) / 2 * t
    integral = (a1 - a0) / 2 * np.sum(wts * (s - y) / (s * (1 - s)))
    C = [F.binary_cross_entropy(as_tensor(v), as_tensor(y)).item() for v in (a0, a1)]
    assert C[1] - C[0] == pytest.approx(integral, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(C, cross_entropy_np(av, y), **TOL)


# ----- Section 3.2: softmax and the log-likelihood ----------------------------------


@SETTINGS
@given(n_in=st.integers(1, 6), J=st.integers(2, 8), seed=seeds)
def test_3_2_softmax_log_likelihood_gradients(n_in, J, seed):
    """C = -ln a_r^L with a^L = softmax(z^L), z^L = w^L a^{L-1} + b^L: dC/db_j = a_j - y_j
    (3.6; -1 + a_r for j = r (3.4), a_j otherwise (3.5)) and dC/dw_jk = a_k^{L-1}(a_j - y_j)
    (3.7). Three routes must agree with that: the fused cross_entropy on logits,
    nll_loss after log_softmax, and the notes' literal -ln(softmax(z)[r])."""
    rng = np.random.default_rng(seed)
    w, b = rng.uniform(-2, 2, (J, n_in)), rng.uniform(-2, 2, J)
    a_prev = rng.uniform(0, 1, n_in)
    r = int(rng.integers(J))
    a = softmax_np(w @ a_prev + b)
    y = np.eye(J)[r]
    routes = {
        "cross_entropy": lambda z: F.cross_entropy(z, np.array(r)),
        "nll_loss": lambda z: F.nll_loss(z.log_softmax(0), np.array(r)),
        "-ln a_r": lambda z: -(z.softmax(0)[r].log()),
    }
    for route in routes.values():
        (layer,) = linear_layers([w], [b])
        route(layer(as_tensor(a_prev))).backward()
        np.testing.assert_allclose(layer.bias.grad.data, a - y, **TOL)
        assert layer.bias.grad.data[r] == pytest.approx(-1 + a[r], rel=1e-10, abs=1e-13)
        np.testing.assert_allclose(np.delete(layer.bias.grad.data, r), np.delete(a, r), **TOL)
        np.testing.assert_allclose(layer.weight.grad.data, np.outer(a - y, a_prev), **TOL)


# ----- Exercise 3.3: where the name "softmax" comes from -----------------------


@st.composite
def logits_with_unique_max(draw):
    J = draw(st.integers(2, 8))
    z = np.array([draw(floats(-5, 5)) for _ in range(J)])
    r = int(np.argmax(z))
    gap = z[r] - np.max(np.delete(z, r))
    assume(gap > 1e-2)
    return z, r, gap


@SETTINGS
@given(logits_with_unique_max())
def test_ex3_3_softmax_of_cz_tends_to_one_hot_of_argmax(case):
    """a_j = e^{c(z_j - z_r)} / (1 + sum_{i != r} e^{c(z_i - z_r)}) (the notes' form);
    every a_j (j != r) is at most e^{-c gap}, so a_r >= 1 - (J - 1) e^{-c gap};
    a_r grows with c (d a_r / dc = a_r (z_r - sum_i a_i z_i) >= 0)."""
    z, r, gap = case
    J = len(z)
    previous = 0.0
    for c in (0.5, 1.0, 10.0, 100.0, 1e3, 1e4, 1e6):
        a = (c * as_tensor(z)).softmax(dim=0).data
        shifted = np.exp(c * (z - z[r]))
        notes = shifted / (1 + np.delete(shifted, r).sum())
        # e^{c z_j - c z_r} is known to the rounding of c z: a relative ~ulp(c max|z|)
        rtol = max(1e-12, 1e-14 * c * np.abs(z).max())
        np.testing.assert_allclose(a, notes, rtol=rtol, atol=1e-300)
        assert np.all(np.delete(a, r) <= math.exp(-c * gap) * (1 + rtol))
        assert a[r] >= 1 - (J - 1) * math.exp(-c * gap) - 1e-15
        assert a[r] >= previous - 1e-15
        previous = a[r]
    assert a[r] == 1.0 and np.all(np.delete(a, r) == 0.0)   # c = 1e6: the limit, exactly


@SETTINGS
@given(J=st.integers(2, 8), k=st.integers(2, 8), top=floats(-3, 3), gap=floats(0.05, 3),
       seed=seeds)
def test_ex3_3_erratum_tied_maxima_share_the_limit(J, k, top, gap, seed):
    """The notes assume one maximum. With k tied maxima the limit of softmax(c z)
    is 1/k on each of them (the notes' 'a_r -> 1' holds only for k = 1)."""
    k = min(k, J)
    rng = np.random.default_rng(seed)
    z = top - gap - rng.uniform(0, 3, J)
    tied = rng.choice(J, k, replace=False)
    z[tied] = top
    a = (1e4 * as_tensor(z)).softmax(dim=0).data
    np.testing.assert_allclose(a[tied], 1.0 / k, rtol=1e-12)
    np.testing.assert_allclose(np.delete(a, tied), 0.0, atol=math.exp(-1e4 * gap) + 1e-300)


# ----- Section 3.3.1: L2 regularization along the Hessian's eigenvectors --------


@st.composite
def least_squares_problems(draw):
    """L(w) = 1/(2n) ||X w - y||^2 with d in 1..6 and X^T X / n having its
    eigenvalues in [0.05, 4] (drawn), so gradient descent converges in a few
    hundred steps; alpha in [0.05, 2]."""
    d = draw(st.integers(1, 6))
    n = d + draw(st.integers(0, 4))
    rng = np.random.default_rng(draw(seeds))
    lam = np.array([draw(floats(0.05, 4.0)) for _ in range(d)])
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    P, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = math.sqrt(n) * P @ np.diag(np.sqrt(lam)) @ Q.T
    y = rng.standard_normal(n) * 2
    alpha = draw(floats(0.05, 2.0))
    return X, y, alpha


def squared_loss(X, y):
    Xt, yt = as_tensor(X), as_tensor(y)
    return lambda w: 0.5 * ((Xt @ w - yt) ** 2).mean()


def shrunk_optimum(H, w_star, alpha):
    """(3.13): w~ = Q diag(lambda_i / (lambda_i + alpha)) Q^T w*, with Q, lambda the
    eigen-decomposition of the (autograd) Hessian."""
    lam, Q = np.linalg.eigh(H)
    return Q @ np.diag(lam / (lam + alpha)) @ Q.T @ w_star, lam


@settings(deadline=None, max_examples=10)
@given(least_squares_problems())
def test_eq3_13_l2_optimum_shrinks_along_hessian_eigenvectors(problem):
    """Gradient descent on L(w) + l2_penalty (alpha/2 ||w||^2) converges to
    Q diag(lambda/(lambda + alpha)) Q^T w*, where H = Q Lambda Q^T is the Hessian of L
    computed by autograd and w* the unregularized least-squares optimum. With the
    step 2 / (lambda_max + lambda_min + 2 alpha) the distance to the optimum shrinks
    by at least (kappa - 1)/(kappa + 1) per step, where
    kappa = (lambda_max + alpha)/(lambda_min + alpha)."""
    X, y, alpha = problem
    n, d = X.shape
    loss = squared_loss(X, y)
    H = hessian(loss, tg.zeros(d, dtype=np.float64)).data
    np.testing.assert_allclose(H, X.T @ X / n, rtol=1e-10, atol=1e-12)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    w_tilde, lam = shrunk_optimum(H, w_star, alpha)
    # (3.12) is the same point
    np.testing.assert_allclose(w_tilde, np.linalg.solve(H + alpha * np.eye(d), H @ w_star),
                               rtol=1e-9, atol=1e-12)
    lo, hi = lam.min() + alpha, lam.max() + alpha
    steps, rate = 400, (hi - lo) / (hi + lo)
    w = tg.zeros(d, dtype=np.float64, requires_grad=True)
    opt = optim.SGD([w], lr=2 / (hi + lo))
    for _ in range(steps):
        opt.zero_grad()
        (loss(w) + F.l2_penalty([w], alpha)).backward()
        opt.step()
    err = np.linalg.norm(w.data - w_tilde)
    assert err <= rate ** steps * np.linalg.norm(w_tilde) * (1 + 1e-6) + 1e-12
    # SGD's weight_decay=alpha adds alpha w to the gradient: the same optimum
    v = tg.zeros(d, dtype=np.float64, requires_grad=True)
    opt = optim.SGD([v], lr=2 / (hi + lo), weight_decay=alpha)
    for _ in range(steps):
        opt.zero_grad()
        loss(v).backward()
        opt.step()
    assert np.linalg.norm(v.data - w_tilde) <= rate ** steps * np.linalg.norm(w_tilde) * (
        1 + 1e-6) + 1e-12
    # componentwise along the eigenvectors: q_i . w~ = lambda_i / (lambda_i + alpha) q_i . w*
    _, Q = np.linalg.eigh(H)
    np.testing.assert_allclose(Q.T @ w.data, lam / (lam + alpha) * (Q.T @ w_star),
                               rtol=1e-6, atol=1e-8)


@SETTINGS
@given(least_squares_problems())
def test_eq3_11_regularized_gradient_vanishes_at_the_formula(problem):
    """(3.10): for a quadratic loss the autograd gradient is H (w - w*) at any w; (3.11):
    grad L(w~) + alpha w~ = 0 at the point given by (3.13), by autograd."""
    X, y, alpha = problem
    H = X.T @ X / X.shape[0]
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    w_any = np.random.default_rng(X.shape[0]).uniform(-3, 3, X.shape[1])
    w = as_tensor(w_any, requires_grad=True)
    (g,) = autograd.grad(squared_loss(X, y)(w), w)
    np.testing.assert_allclose(g.data, H @ (w_any - w_star), rtol=1e-9, atol=1e-10)
    w_tilde, _ = shrunk_optimum(H, w_star, alpha)
    w = as_tensor(w_tilde, requires_grad=True)
    (g,) = autograd.grad(squared_loss(X, y)(w) + F.l2_penalty([w], alpha), w)
    np.testing.assert_allclose(g.data, 0.0, atol=1e-10)


@SETTINGS
@given(d=st.integers(2, 6), rank=st.integers(1, 5), alpha=floats(0.05, 2.0), seed=seeds)
def test_3_3_1_erratum_no_positive_definite_hessian_needed(d, rank, alpha, seed):
    """The notes assume H + alpha I invertible and then, 'stronger', H positive definite.
    Neither is needed: at a minimum H is positive semi-definite, so H + alpha I has
    eigenvalues >= alpha > 0 for every alpha > 0. A least-squares loss of rank < d has a
    singular H (the printed assumption is false) and many minimizers w*, yet (3.12) gives
    one w~ for all of them (H w* = X^T y / n), the regularized gradient vanishes there
    (3.11, by autograd), and along the null directions (lambda_i = 0, the extreme case of
    'lambda_i << alpha') w~ has exactly no component."""
    rank = min(rank, d - 1)
    rng = np.random.default_rng(seed)
    n = rank + 3
    X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))   # rank < d
    y = rng.standard_normal(n)
    loss = squared_loss(X, y)
    H = hessian(loss, tg.zeros(d, dtype=np.float64)).data
    np.testing.assert_allclose(H, X.T @ X / n, rtol=1e-10, atol=1e-12)
    lam, Q = np.linalg.eigh(X.T @ X / n)
    assert lam[0] < 1e-10 * lam[-1]                    # H is not positive definite
    assert np.all(np.linalg.eigvalsh(H + alpha * np.eye(d)) >= alpha * (1 - 1e-9))
    w_min_norm = np.linalg.lstsq(X, y, rcond=None)[0]
    null = Q[:, lam < 1e-10 * lam[-1]]
    w_other = w_min_norm + null @ rng.uniform(-3, 3, null.shape[1])    # another minimizer
    w_tildes = [np.linalg.solve(H + alpha * np.eye(d), H @ w) for w in (w_min_norm, w_other)]
    np.testing.assert_allclose(w_tildes[0], w_tildes[1], rtol=1e-9, atol=1e-10)
    w = as_tensor(w_tildes[1], requires_grad=True)
    (g,) = autograd.grad(loss(w) + F.l2_penalty([w], alpha), w)
    np.testing.assert_allclose(g.data, 0.0, atol=1e-9)
    np.testing.assert_allclose(null.T @ w_tildes[1], 0.0, atol=1e-9)


@SETTINGS
@given(least_squares_problems())
def test_3_3_1_erratum_q_transpose_is_a_rotation_only_if_det_q_is_1(problem):
    """'applies an orthogonal transformation Q^T to it which has the effect of rotating it':
    an orthogonal Q^T is a rotation only when det Q = +1. Negating one eigenvector of the
    (autograd) Hessian gives another valid Q of the opposite determinant, so the spectral
    decomposition always admits a Q^T that reflects (det -1, which no rotation has) and
    one that rotates; (3.13) gives the same w~ with either."""
    X, y, alpha = problem
    d = X.shape[1]
    H = hessian(squared_loss(X, y), tg.zeros(d, dtype=np.float64)).data
    lam, Q = np.linalg.eigh(H)
    flipped = Q * np.r_[-1.0, np.ones(d - 1)]
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    results = {}
    for q in (Q, flipped):
        np.testing.assert_allclose(q @ np.diag(lam) @ q.T, H, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(q.T @ q, np.eye(d), atol=1e-12)
        results[round(np.linalg.det(q.T))] = q @ np.diag(lam / (lam + alpha)) @ q.T @ w_star
    assert sorted(results) == [-1, 1]                  # one reflects, one rotates
    np.testing.assert_allclose(results[-1], results[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(results[1], np.linalg.solve(H + alpha * np.eye(d), H @ w_star),
                               rtol=1e-9, atol=1e-12)


def kink_loss(w):
    """L(w) = w1 w2 (w1^2 - w2^2) / (w1^2 + w2^2) + ||w||^2 (and L(0) = 0): >= ||w||^2 / 2, so
    w* = 0 is its minimum, with L continuous, even differentiable, everywhere."""
    w1, w2 = w[0], w[1]
    return w1 * w2 * (w1 ** 2 - w2 ** 2) / (w1 ** 2 + w2 ** 2) + (w ** 2).sum()


@SETTINGS
@given(h=floats(1e-6, 1e-1), theta=floats(0, 2 * math.pi), r=floats(1e-3, 1.0))
def test_3_3_1_erratum_continuity_does_not_make_the_hessian_symmetric(h, theta, r):
    """'We assume that the loss function is continuous at w* so that the order of partial
    derivatives does not matter' is false. kink_loss is continuous (and C^1) with its
    minimum at w* = 0, and by autograd dL/dw1 (0, h) = -h, dL/dw2 (h, 0) = h, while
    dL/dw (0) = 0 (L(t, 0) = L(0, t) = t^2): so d/dw2 dL/dw1 = -1 and d/dw1 dL/dw2 = +1 at w*,
    for every h. What Schwarz's theorem needs, continuous second partials, fails at w*:
    the autograd Hessian's off-diagonal entry at r (cos theta, sin theta) is
    cos 2 theta (1 + 2 sin^2 2 theta), whatever r. Where L is C^2 (any w != 0) the autograd
    Hessian is symmetric, the corrected statement."""
    w = as_tensor([0.0, h], requires_grad=True)
    (g_up,) = autograd.grad(kink_loss(w), w)
    w = as_tensor([h, 0.0], requires_grad=True)
    (g_right,) = autograd.grad(kink_loss(w), w)
    assert g_up.data[0] / h == pytest.approx(-1.0, rel=1e-12)     # (d/dw2)(dL/dw1) at 0
    assert g_right.data[1] / h == pytest.approx(1.0, rel=1e-12)   # (d/dw1)(dL/dw2) at 0
    point = r * np.array([math.cos(theta), math.sin(theta)])
    H = hessian(kink_loss, as_tensor(point)).data
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    c, s2 = math.cos(2 * theta), math.sin(2 * theta)
    assert H[0, 1] == pytest.approx(c * (1 + 2 * s2 ** 2), abs=1e-9)


def newton_minimum(loss, w, alpha, iters=30):
    """The minimizer of loss(w) + alpha/2 ||w||^2 by Newton's method, with the gradient
    and Hessian from autograd; None if it does not converge."""
    for _ in range(iters):
        wt = as_tensor(w, requires_grad=True)
        (g,) = autograd.grad(loss(wt), wt)
        g = g.data + alpha * w
        H = hessian(loss, as_tensor(w)).data + alpha * np.eye(len(w))
        w = w - np.linalg.solve(H, g)
        if np.linalg.norm(g) < 1e-13:
            return w
    return None


@settings(deadline=None, max_examples=10)
@given(d=st.integers(1, 4), seed=seeds)
def test_eq3_9_erratum_taylor_formula_is_second_order_for_a_non_quadratic_loss(d, seed):
    """(3.9) is written with '=', but a second-order Taylor expansion is exact only for
    a quadratic loss. For logistic regression the formula (3.13), built from the Hessian
    at w*, misses the true regularized optimum by O(alpha^2): halving alpha divides the
    gap by about 4, while the shift of the optimum itself is only O(alpha)."""
    rng = np.random.default_rng(seed)
    n = 80
    X = rng.standard_normal((n, d))
    y = (rng.uniform(size=n) < sigmoid_np(X @ rng.uniform(-1, 1, d))).astype(np.float64)

    def loss(w):
        return F.binary_cross_entropy_with_logits(as_tensor(X) @ w, as_tensor(y))

    w_star = newton_minimum(loss, np.zeros(d), 0.0)
    assume(w_star is not None and np.abs(w_star).max() < 10)   # data not separable
    H = hessian(loss, as_tensor(w_star)).data
    gaps, shifts = [], []
    for alpha in (2e-3, 1e-3, 5e-4):
        true = newton_minimum(loss, w_star, alpha)
        formula, _ = shrunk_optimum(H, w_star, alpha)
        gaps.append(np.linalg.norm(formula - true))
        shifts.append(np.linalg.norm(true - w_star))
    assert gaps[0] / gaps[1] == pytest.approx(4, rel=0.15)
    assert gaps[1] / gaps[2] == pytest.approx(4, rel=0.1)
    assert shifts[0] / shifts[1] == pytest.approx(2, rel=0.1)
    assert gaps[0] < 0.1 * shifts[0]


def lp_norm(w, p):
    """(3.8), ||w||_p = (|w_1|^p + ... + |w_d|^p)^(1/p), with the library's operations."""
    return (abs(w) ** p).sum() ** (1.0 / p)


@SETTINGS
@given(d=st.integers(1, 8), seed=seeds)
def test_eq3_8_lp_norm_p_1_2_and_infinity(d, seed):
    """(3.8) at p = 1 is sum |w_i| (= l1_penalty with alpha = 1), at p = 2 the Euclidean
    norm (= sqrt(2 l2_penalty) with alpha = 1); ||w||_p does not increase with p and
    max|w_i| <= ||w||_p <= d^(1/p) max|w_i|, so p -> inf gives the max norm. Its autograd
    gradient is sign(w_i) |w_i|^(p-1) / ||w||_p^(p-1), which tends to sign(w_i*) at the
    largest |w_i*| and 0 elsewhere, the gradient of max|w_i|."""
    rng = np.random.default_rng(seed)
    # |w_i| in [0.1, 3]: |w_i|^256 stays within float64 (0.1^256 = 1e-256, 3^256 = 1e122)
    w = rng.uniform(0.1, 3, d) * rng.choice([-1.0, 1.0], d)
    top = np.abs(w).max()
    i = int(np.argmax(np.abs(w)))
    assume(d == 1 or np.sort(np.abs(w))[-2] < 0.9 * top)     # a unique largest entry
    wt = as_tensor(w, requires_grad=True)
    assert lp_norm(wt, 1).item() == pytest.approx(np.abs(w).sum(), rel=1e-13)
    assert lp_norm(wt, 1).item() == pytest.approx(F.l1_penalty([wt], 1.0).item(), rel=1e-13)
    assert lp_norm(wt, 2).item() == pytest.approx(math.sqrt(w @ w), rel=1e-13)
    assert lp_norm(wt, 2).item() == pytest.approx(
        math.sqrt(2 * F.l2_penalty([wt], 1.0).item()), rel=1e-13)
    previous = math.inf
    for p in (1, 1.5, 2, 3, 4, 8, 16, 64, 256):
        norm = lp_norm(wt, p)
        value = norm.item()
        assert value == pytest.approx((np.abs(w) ** p).sum() ** (1 / p), rel=1e-12)
        assert top * (1 - 1e-12) <= value <= d ** (1 / p) * top * (1 + 1e-12)
        assert value <= previous * (1 + 1e-12)
        previous = value
        (g,) = autograd.grad(norm, wt)
        np.testing.assert_allclose(
            g.data, np.sign(w) * (np.abs(w) / value) ** (p - 1), rtol=1e-10, atol=1e-300)
    assert previous == pytest.approx(top, rel=d ** (1 / 256) - 1 + 1e-12)
    assert abs(wt).amax().item() == top
    (g_max,) = autograd.grad(abs(wt).amax(), wt)
    np.testing.assert_array_equal(g_max.data, np.sign(w) * (np.arange(d) == i))
    np.testing.assert_allclose(g.data, g_max.data, atol=0.9 ** 255 + 1e-12)


@SETTINGS
@given(net=networks(max_layers=3), alpha=floats(0.0, 5.0))
def test_l2_penalty_is_half_alpha_squared_norm_with_gradient_alpha_w(net, alpha):
    """alpha/2 sum_w w^2 over all parameters passed; its gradient is alpha w."""
    weights, _ = net
    params = [as_tensor(w, requires_grad=True) for w in weights]
    penalty = F.l2_penalty(params, alpha)
    assert penalty.item() == pytest.approx(alpha / 2 * sum((w ** 2).sum() for w in weights),
                                           rel=1e-12, abs=1e-300)
    for p, g in zip(params, autograd.grad(penalty, params)):
        np.testing.assert_allclose(g.data, alpha * p.data, **TOL)


# ----- Noise injection: (3.16)-(3.22) -------------------------------------------


@settings(deadline=None, max_examples=10)
@given(d=st.integers(1, 5), sigma=floats(0.05, 2.0), seed=seeds)
def test_eq3_22_gaussian_input_noise_adds_sigma2_squared_norm(d, sigma, seed):
    """For linear regression, E_eps[(w^T (x + eps) - y)^2] = (w^T x - y)^2 + sigma^2 ||w||^2
    with eps ~ N(0, sigma^2 I). Monte Carlo over K noise draws for each of n points:
    with r = w^T x - y and v = sigma^2 ||w||^2, one sample (r + w^T eps)^2 has mean
    r^2 + v and variance 4 r^2 v + 2 v^2, so the estimate must fall within 5 standard
    errors (a false alarm has probability < 1e-6). The cross term (3.20) and the
    quadratic term (3.21) are checked the same way, and the noise itself must have
    mean 0 and variance sigma^2 per coordinate (3.16)."""
    rng = np.random.default_rng(seed)
    n, K = 16, 4000
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), rng.uniform(-2, 2, d)
    Xt, wt = as_tensor(X), as_tensor(w)
    X_noisy = data.add_input_noise(Xt.reshape(1, n, d).expand(K, n, d), sigma)
    eps = X_noisy - Xt                           # the noise that was added, (K, n, d)
    noisy = ((X_noisy @ wt - as_tensor(y)) ** 2).mean().item()
    r, v = X @ w - y, sigma ** 2 * (w @ w)
    clean = np.mean(r ** 2)
    se = math.sqrt(np.sum(4 * r ** 2 * v + 2 * v ** 2)) / (n * math.sqrt(K))
    assert abs(noisy - (clean + v)) <= 5 * se
    w_eps = (eps @ wt).data                      # w^T eps, shape (K, n)
    assert abs(np.mean(2 * r * w_eps)) <= 5 * math.sqrt(4 * np.mean(r ** 2) * v / (n * K))
    assert abs(np.mean(w_eps ** 2) - v) <= 5 * math.sqrt(2 * v ** 2 / (n * K))
    e = eps.data.reshape(-1, d)
    assert np.all(np.abs(e.mean(0)) <= 5 * sigma / math.sqrt(len(e)))
    cov = e.T @ e / len(e)                       # E[eps_i eps_j] = sigma^2 [i == j] (3.16)
    assert np.all(np.abs(cov - sigma ** 2 * np.eye(d)) <= 5 * sigma ** 2 * math.sqrt(2 / len(e)))


@settings(deadline=None, max_examples=10)
@given(d=st.integers(1, 3), sigma=floats(0.05, 1.0), seed=seeds)
def test_eq3_22_erratum_joint_density_exceeds_one(d, sigma, seed):
    """The notes give the joint density f_{X,Y}: R^d x R -> [0, 1]. Data with x ~ N(0, s^2 I),
    y = beta^T x + N(0, t^2), s = t = 0.1, have f_{X,Y}(0, 0) = (2 pi)^(-(d+1)/2) / (s^d t)
    (15.9 for d = 1): the printed codomain is false, in the closed form and in the sample
    (the share of points in a small box around the mode over the box's volume). (3.22)
    holds all the same: the library's noisy loss E[(w^T (x + eps) - y)^2] is
    s^2 ||w - beta||^2 + t^2 + sigma^2 ||w||^2 within 5 standard errors (one sample is
    v_total chi^2_1, of variance 2 v_total^2)."""
    rng = np.random.default_rng(seed)
    s_x = t = 0.1
    K = 20000
    beta, w = rng.uniform(-2, 2, d), rng.uniform(-2, 2, d)
    X = rng.normal(0, s_x, (K, d))
    y = X @ beta + rng.normal(0, t, K)
    peak = (2 * math.pi) ** (-(d + 1) / 2) / (s_x ** d * t)
    assert peak > 1                                          # the printed [0, 1] is false
    half = 0.02
    box = np.all(np.abs(np.column_stack([X, y - X @ beta])) < half, axis=1)
    # the share in the box estimates the density of (x, y - beta^T x), which equals
    # f_{X,Y} (the shear has determinant 1) and is at least e^(-0.08) peak = 0.92 peak in the box
    assert box.mean() / (2 * half) ** (d + 1) > 1
    noisy = data.add_input_noise(as_tensor(X), sigma)
    loss = ((noisy @ as_tensor(w) - as_tensor(y)) ** 2).mean().item()
    clean = s_x ** 2 * (w - beta) @ (w - beta) + t ** 2
    v_total = clean + sigma ** 2 * (w @ w)
    assert abs(loss - v_total) <= 5 * math.sqrt(2) * v_total / math.sqrt(K)


# ----- 3.3.2: mixup and early stopping -------------------------------------------------


@SETTINGS
@given(n=st.integers(1, 12), d=st.integers(1, 6), J=st.integers(2, 5),
       alpha=floats(0.1, 4.0), seed=seeds)
def test_eq3_14_3_15_mixup_makes_convex_combinations(n, d, J, alpha, seed):
    """x~ = lambda x^(i) + (1 - lambda) x^(j), y~ = lambda y^(i) + (1 - lambda) y^(j) with one
    lambda in [0, 1] and partners j forming a permutation of the batch; so every mixed
    label is again a probability vector."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = np.eye(J)[rng.integers(0, J, n)]
    X_mix, Y_mix, lam = data.mixup(as_tensor(X), as_tensor(Y), alpha=alpha)
    assert 0.0 <= lam <= 1.0
    X_mix, Y_mix = X_mix.data, Y_mix.data
    partners = []
    for i in range(n):
        # the partner j solves x~_i - lambda x_i = (1 - lambda) x_j for both x and y
        res = (np.abs(X_mix[i] - lam * X[i] - (1 - lam) * X).max(1)
               + np.abs(Y_mix[i] - lam * Y[i] - (1 - lam) * Y).max(1))
        assert res.min() <= 1e-12
        partners.append(np.flatnonzero(res <= 1e-12))
    if lam < 1 - 1e-6:   # then each partner is unique (distinct random rows) ...
        assert all(len(p) == 1 for p in partners)
        # ... and every example is some row's partner exactly once
        assert sorted(int(p[0]) for p in partners) == list(range(n))
    np.testing.assert_allclose(Y_mix.sum(1), 1.0, rtol=1e-12)
    assert np.all((Y_mix >= 0) & (Y_mix <= 1))


@SETTINGS
@given(best=st.integers(0, 15), patience=st.integers(1, 12), extra=st.integers(0, 5),
       comeback=st.booleans(), seed=seeds)
def test_early_stopping_error_change_criterion_on_a_scripted_history(
        best, patience, extra, comeback, seed):
    """The validation error falls until epoch `best`, then does not drop for `patience`
    epochs: the criterion is met at epoch best + patience, and training stops
    `extra` epochs later (the notes' 'continue for a fixed number of epochs'). If the
    error drops again one epoch before the window closes (comeback), the count restarts
    from that new best."""
    rng = np.random.default_rng(seed)
    falling = list(10.0 - np.arange(best + 1))
    low = falling[-1]
    flat = list(low + rng.uniform(0, 5, 60))               # never below the best
    new_best = best + patience                            # its index in the history
    if comeback:
        flat[patience - 1] = low - 0.5
        best_epoch = new_best
    else:
        best_epoch = best
    history = falling + flat
    stopper = training.EarlyStopping(patience=patience, extra_epochs=extra)
    stopped = next(t for t, v in enumerate(history) if stopper.step(v))
    assert stopped == best_epoch + patience + extra
    assert stopper.best_epoch == best_epoch


@SETTINGS
@given(window=st.integers(1, 12), q=floats(0.3, 0.95), rho=floats(1e-4, 1e-1), seed=seeds)
def test_early_stopping_weight_change_criterion_on_scripted_weights(window, q, rho, seed):
    """Weights w^(t) = w^(0) + A (1 - q^t) (every coordinate converging geometrically):
    max_i |w_i^(t - window) - w_i^(t)| = max|A| q^(t - window) (1 - q^window), so the
    criterion (<= rho) first holds at t* = window + ceil(log(rho / (max|A| (1 - q^window)))
    / log q), or at t = window if that is already small enough."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (4,)]
    w0 = [rng.standard_normal(s) for s in shapes]
    A = [rng.uniform(-2, 2, s) for s in shapes]
    top = max(np.abs(a).max() for a in A)
    k = math.log(rho / (top * (1 - q ** window))) / math.log(q)
    assume(abs(k - round(k)) > 1e-6)                     # not on the boundary
    expected = window + max(0, math.ceil(k))
    stopper = training.WeightChangeStopping(window=window, threshold=rho)
    for t in range(expected + 1):
        params = [as_tensor(w + a * (1 - q ** t)) for w, a in zip(w0, A)]
        stop = stopper.step(params)
        assert stop == (t == expected)


@SETTINGS
@given(window=st.integers(1, 12), q=floats(0.3, 0.95), rho=floats(1e-4, 1e-1), seed=seeds)
def test_early_stopping_weight_change_criterion_as_a_percentage(window, q, rho, seed):
    """The notes' variant: a threshold on the change as a fraction of the weight w_i^(t).
    With w^(t) = B (2 - q^t) (no weight crosses 0) every coordinate has
    |w_i^(t - window) - w_i^(t)| / |w_i^(t)| = q^(t - window) (1 - q^window) / (2 - q^t), so
    training.WeightChangeStopping(relative=True) first stops at the first t >= window where
    that is <= rho (found by scanning t in numpy)."""
    rng = np.random.default_rng(seed)
    B = [rng.uniform(0.5, 4, s) * rng.choice([-1, 1], s) for s in [(3, 2), (4,)]]
    t = np.arange(window, 2000)
    ratio = q ** (t - window) * (1 - q ** window) / (2 - q ** t)
    assume(np.all(np.abs(ratio - rho) > 1e-9 * rho))     # not on the boundary
    expected = int(t[np.argmax(ratio <= rho)])
    stopper = training.WeightChangeStopping(window=window, threshold=rho, relative=True)
    for epoch in range(expected + 1):
        stop = stopper.step([as_tensor(b * (2 - q ** epoch)) for b in B])
        assert stop == (epoch == expected)
