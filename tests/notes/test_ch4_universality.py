"""Chapter 4 of the notes: sigmoid networks built by hand compute any function.

The networks are the builders of examples/universal_approximation.py (so the
figures it draws are the networks tested here). Every expected value is a
closed-form bound: a step neuron sigma(w (x - s)) differs from the step at s by
exactly sigma(-w |x - s|), and the bounds of the bump and the towers follow
from that one fact by adding up the weighted inputs.
"""
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn

from .conftest import as_tensor, floats, sigmoid_np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "universal_approximation.py"
if str(EXAMPLE.parent) not in sys.path:   # the example imports examples/_cli.py
    sys.path.append(str(EXAMPLE.parent))
_spec = importlib.util.spec_from_file_location("universal_approximation", EXAMPLE)
ua = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ua)

SETTINGS = settings(deadline=None)
SLACK = 1 + 1e-9     # rounding of w x + b moves sigma(-t) by a relative 1e-11 at most
ULP = 1e-15          # and an output near 1 is only known to within a few ulp(1)
seeds = st.integers(0, 2**32 - 1)


def f_np(x):
    return 0.2 + 0.4 * x ** 2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


GAUSS_200 = np.polynomial.legendre.leggauss(200)
GAUSS_60 = np.polynomial.legendre.leggauss(60)


def mean_by_quadrature(a, b):
    """(1/(b-a)) int_a^b f, by 200-node Gauss-Legendre (exact for polynomials of
    degree < 400; f's cos 50x needs about 60 nodes on [0, 1])."""
    t, wts = GAUSS_200
    x = (a + b) / 2 + (b - a) / 2 * t
    return (wts * f_np(x)).sum() / 2


def run(net, x, indicators=False):
    with tg.no_grad():
        xt = as_tensor(np.asarray(x, dtype=np.float64).reshape(len(x), -1))
        return (net.indicators(xt) if indicators else net(xt)).data


# ----- 4.1: the step neuron and the bump ------------------------------------------


@SETTINGS
@given(s=floats(-3, 3), x=floats(-4, 4), log_w=floats(0, 4))
def test_4_1_sigmoid_neuron_with_bias_minus_s_w_is_a_step_at_s(s, x, log_w):
    """|sigma(w x - s w) - step(x - s)| = sigma(-w |x - s|), which falls to 0 as w
    grows for every x != s; at x = s the output is exactly 1/2 for every w."""
    previous = 1.0
    for w in (10 ** log_w, 10 ** (log_w + 1), 10 ** (log_w + 2)):
        neuron = nn.Linear(1, 1, dtype=np.float64)
        with tg.no_grad():
            neuron.weight.fill_(w)
            neuron.bias.fill_(-s * w)
        out, at_s = neuron(as_tensor([[x], [s]])).sigmoid().data[:, 0]
        assert at_s == 0.5
        err = abs(out - (1.0 if x > s else 0.0))
        if x != s:
            assert err <= sigmoid_np(-w * abs(x - s)) * SLACK + ULP
            assert err <= previous + ULP
        previous = err


@st.composite
def intervals_and_points(draw):
    s1 = draw(floats(-2, 2))
    s2 = s1 + draw(floats(0.01, 2))
    x = draw(floats(-3, 4))
    w = 10 ** draw(floats(3, 5))
    delta = min(abs(x - s1), abs(x - s2))
    assume(w * delta >= 5)          # e = sigma(-w delta) <= 0.007
    return s1, s2, x, w, delta


@SETTINGS
@given(case=intervals_and_points(), log_h=floats(1, 4))
def test_4_1_bump_is_the_indicator_of_s1_s2(case, log_h):
    """sigma(h a1 - h a2 - h/2) with a_i = sigma(w (x - s_i)): with e = sigma(-w delta),
    delta the distance of x to s1 and s2, the weighted input is >= h (1/2 - 2e) inside
    (s1, s2) and <= -h (1/2 - e) outside."""
    s1, s2, x, w, delta = case
    h = 10 ** log_h
    net = ua.bump_network([s1, s2], [1.0], w=w, h=h)
    # the parameters are the notes': steps weight w, bias -s w; +h, -h, bias -h/2
    np.testing.assert_array_equal(net.steps.weight.data[:, 0], [w, w])
    np.testing.assert_allclose(net.steps.bias.data, [-s1 * w, -s2 * w], rtol=1e-15)
    np.testing.assert_array_equal(net.towers.weight.data, [[h, -h]])
    np.testing.assert_array_equal(net.towers.bias.data, [-h / 2])
    out = run(net, [x], indicators=True)[0, 0]
    e = sigmoid_np(-w * delta) * SLACK
    if s1 < x < s2:
        assert out >= sigmoid_np(h * (0.5 - 2 * e) - 1e-9) - ULP
    else:
        assert out <= sigmoid_np(-h * (0.5 - e) + 1e-9)


@SETTINGS
@given(s1=floats(-2, 2), gap=floats(0.05, 2), log_h=floats(0, 4), s=floats(-3, 3))
def test_4_1_step_and_bump_at_their_own_boundaries(s1, gap, log_h, s):
    """The notes: 'at the boundary points s1 and s2 the output is a number between 0
    and 1'. Exactly: a step neuron of any finite weight w gives sigma(0) = 1/2 at s, and
    at s + 1/w it gives sigma(1) for every w (it tends to the step pointwise, never
    uniformly). The bump gives the same value at both ends, sigma(-h sigma(-w (s2 - s1))),
    since a1 - a2 = 1/2 - sigma(-w gap) at s1 and sigma(w gap) - 1/2 at s2. As the weight
    w grows (h fixed) that tends to 1/2, within h sigma(-w gap) / 4; for a fixed w it tends
    to 0 as h grows."""
    h = 10 ** log_h
    s2 = s1 + gap
    previous = None
    for w in (1.0, 10.0, 100.0, 1e3, 1e4, 1e5):
        step = nn.Linear(1, 1, dtype=np.float64)
        with tg.no_grad():
            step.weight.fill_(w)
            step.bias.fill_(-s * w)
        at_s, past_s = step(as_tensor([[s], [s + 1 / w]])).sigmoid().data[:, 0]
        assert at_s == 0.5
        assert abs(past_s - sigmoid_np(1.0)) <= 1e-15 * (1 + w * abs(s))
        ends = run(ua.bump_network([s1, s2], [1.0], w=w, h=h), [s1, s2], indicators=True)[:, 0]
        e = sigmoid_np(-w * gap)
        # the rounding of w s1 - w s2 moves e by a relative 1e-15 w |s|, and h/2 - h/2
        # leaves an absolute ulp(h)
        tol = 1e-15 * h * (1 + e * w * (abs(s1) + abs(s2)))
        np.testing.assert_allclose(ends, sigmoid_np(-h * e), rtol=0, atol=tol)
        assert abs(ends - 0.5).max() <= h * e / 4 + tol
        if previous is not None:
            assert abs(ends - 0.5).max() <= previous + tol
        previous = abs(ends - 0.5).max()
    assert previous <= h * sigmoid_np(-1e5 * 0.05) + 1e-11      # w = 1e5: 1/2 up to rounding
    fixed_w = [run(ua.bump_network([s1, s2], [1.0], w=1 / gap, h=hh), [s1], indicators=True)
               [0, 0] for hh in (1.0, 10.0, 100.0, 1e3)]
    np.testing.assert_allclose(fixed_w, sigmoid_np(-np.array([1.0, 10, 100, 1e3]) *
                                                   sigmoid_np(-1.0)), rtol=1e-9, atol=1e-300)
    assert fixed_w[-1] < 1e-100


# ----- 4.2: functions of one variable ------------------------------------------------


def interior_points(edges, rng, per_interval, delta):
    """Points at least delta from every edge, with the index of their interval."""
    a, b = edges[:-1], edges[1:]
    u = rng.uniform(0, 1, (per_interval, len(a)))
    x = a + delta + u * (b - a - 2 * delta)
    return x.T.ravel(), np.repeat(np.arange(len(a)), per_interval)


@SETTINGS
@given(n=st.integers(1, 60), seed=seeds)
def test_4_2_bump_network_outputs_the_mean_of_f_on_each_interval(n, seed):
    """The network of Fig. 4.4 with N bumps: heights = the mean of f on each of the N
    intervals of [0, 1] (closed-form antiderivative in the example; Gauss-Legendre
    here), and away from the edges the output is that mean: with w = h = 1e4 and
    delta = 1e-3 every indicator is within sigma(-h (1/2 - 2 sigma(-10))) of 0 or 1."""
    edges = np.linspace(0, 1, n + 1)
    heights = ua.interval_means(edges)
    np.testing.assert_allclose(heights, [mean_by_quadrature(a, b) for a, b in
                                         zip(edges[:-1], edges[1:])], rtol=1e-12, atol=1e-14)
    net = ua.approximate_f(n)
    x, which = interior_points(edges, np.random.default_rng(seed), 3, 1e-3)
    e = sigmoid_np(-1e4 * 1e-3) * SLACK
    leak = np.abs(heights).sum() * sigmoid_np(-1e4 * (0.5 - 2 * e))
    np.testing.assert_allclose(run(net, x)[:, 0], heights[which], rtol=1e-12, atol=leak + 1e-15)
    # erratum: with the printed sub-networks I[s_1, s_{i+1}] the output on interval i is
    # the sum of the heights of intervals i..N, not the mean on interval i
    printed = ua.TowerNetwork(np.full((n, 1), edges[0]), edges[1:, None], heights[:, None])
    cumulative = np.cumsum(heights[::-1])[::-1]
    np.testing.assert_allclose(run(printed, x)[:, 0], cumulative[which], rtol=1e-12,
                               atol=n * leak + 1e-15)


def f_prime_np(x):
    return 0.8 * x + 0.3 * np.sin(15 * x) + 4.5 * x * np.cos(15 * x) - 2.5 * np.sin(50 * x)


# |f''| <= 0.8 + 9 + 67.5 + 125 on [0, 1]: bounds max |f'| between the points of a grid
F_SECOND_MAX = 202.3
DELTA = 1e-3         # the margin kept from every edge, where the steps are not yet 0 or 1


def max_f_prime_on(a, b, points=400):
    x = np.linspace(a, b, points)
    return np.abs(f_prime_np(x)).max() + F_SECOND_MAX * (b - a) / (points - 1) / 2


def interior_quadrature(edges):
    """60-node Gauss-Legendre nodes and weights on every J_i = [s_i + DELTA, s_{i+1} - DELTA]
    (shape (N, 60) each; exact to 1e-13 for f even on J = [0, 1/2]): inside J_i the
    network is its height to within 1e-12."""
    t, wts = GAUSS_60
    a, b = edges[:-1, None] + DELTA, edges[1:, None] - DELTA
    return (a + b) / 2 + (b - a) / 2 * t, (b - a) / 2 * wts


@SETTINGS
@given(n=st.integers(2, 80), seed=seeds)
def test_4_2_bump_approximation_error_is_at_most_max_f_prime_over_n(n, seed):
    """On an interval I = [a, b] of length 1/N the network outputs the mean of f, and
    f(x) - mean = (1/|I|) int_I (f(x) - f(t)) dt, so |network - f| <= M_I ((x - a)^2 +
    (b - x)^2) / (2 |I|) <= M_I / N, with M_I = max_I |f'| <= 8.1. The pointwise bound is
    what a left-edge value f(a) breaks (its error at b is ~ M_I |I|, twice the bound);
    and the error has mean zero on every interval, which a midpoint value breaks too:
    (1/|J|) int_J (network - f) = mean_I f - mean_J f on J = I less its margins."""
    edges = np.linspace(0, 1, n + 1)
    x, which = interior_points(edges, np.random.default_rng(seed), 20, DELTA)
    nodes, wts = interior_quadrature(edges)
    out = run(ua.approximate_f(n), np.concatenate([x, nodes.ravel()]))[:, 0]
    err = np.abs(out[:len(x)] - f_np(x))
    assert err.max() <= 8.1 / n
    a, b = edges[which], edges[which + 1]
    M = np.array([max_f_prime_on(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])])
    assert np.all(err <= M[which] * ((x - a) ** 2 + (b - x) ** 2) / (2 * (b - a)) + 1e-12)
    out = out[len(x):].reshape(nodes.shape)
    mean_error = ((out - f_np(nodes)) * wts).sum(1) / wts.sum(1)
    want = [mean_by_quadrature(lo, hi) - mean_by_quadrature(lo + DELTA, hi - DELTA)
            for lo, hi in zip(edges[:-1], edges[1:])]
    np.testing.assert_allclose(mean_error, want, rtol=0, atol=1e-10)


def test_fig_4_5_error_falls_from_10_to_50_bumps_and_n_counts_bumps():
    """Fig. 4.5 with 10 and 50 bumps (10 and 50 indicator neurons, each fed by 2 step
    neurons): away from the edges the squared error is the least any piecewise constant
    on those intervals can have, int_J (f - mean_I f)^2 summed (the mean is the
    L2-best constant), computed in numpy; midpoint or left-edge heights add
    |J| (height - mean_I f)^2 per interval. The RMS error falls from N = 10 to N = 50."""
    rms = {}
    for n in (10, 50):
        net = ua.approximate_f(n)
        assert (net.steps.out_features, net.towers.out_features) == (2 * n, n)
        assert net.out.weight.shape == (1, n)
        edges = np.linspace(0, 1, n + 1)
        nodes, wts = interior_quadrature(edges)
        out = run(net, nodes.ravel())[:, 0].reshape(nodes.shape)
        means = np.array([mean_by_quadrature(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])])
        least = (wts * (f_np(nodes) - means[:, None]) ** 2).sum()
        got = (wts * (out - f_np(nodes)) ** 2).sum()
        assert got == pytest.approx(least, rel=1e-9)
        rms[n] = math.sqrt(got / wts.sum())
    assert rms[50] < rms[10] / 3


# ----- 4.3: functions of several variables -------------------------------------------


@st.composite
def boxes_and_points(draw, min_m=1, max_m=5):
    """A box in R^m, a point at least delta = 1e-3 from every face's plane, and
    whether it is inside; half the points have m - 1 coordinates inside (the
    hardest outside points: the tower's weighted input is then about (m-1) h)."""
    m = draw(st.integers(min_m, max_m))
    rng = np.random.default_rng(draw(seeds))
    lo = rng.uniform(-3, 2, m)
    hi = lo + rng.uniform(0.05, 2, m)
    x = rng.uniform(lo + 1e-3, hi - 1e-3)
    mode = draw(st.sampled_from(["inside", "one out", "anywhere"]))
    if mode == "one out":
        i = rng.integers(m)
        x[i] = rng.choice([lo[i] - rng.uniform(1e-3, 1), hi[i] + rng.uniform(1e-3, 1)])
    elif mode == "anywhere":
        x = rng.uniform(lo - 1, hi + 1)
    delta = np.min(np.abs(np.concatenate([x - lo, x - hi])))
    assume(delta >= 1e-3)
    return lo, hi, x, bool(np.all((lo < x) & (x < hi))), delta


@SETTINGS
@given(boxes_and_points(min_m=2, max_m=2))
def test_4_3_two_dimensional_tower_output_bias_minus_3h_over_2(case):
    """Fig. 4.6: four step neurons, weights h, -h, h, -h and bias -3h/2: the weighted
    input is about 2h - 3h/2 = h/2 inside the rectangle and at most about
    h - 3h/2 = -h/2 outside; with e = sigma(-w delta) the bounds are
    >= h (1/2 - 4e) inside and <= -h (1/2 - 2e) outside."""
    lo, hi, x, inside, delta = case
    w = h = 1e4
    net = ua.TowerNetwork(lo[None], hi[None], [[1.0]], w=w, h=h)
    np.testing.assert_array_equal(net.towers.bias.data, [-3 * h / 2])
    out = run(net, [x], indicators=True)[0, 0]
    e = sigmoid_np(-w * delta) * SLACK
    if inside:
        assert out >= sigmoid_np(h * (0.5 - 4 * e) - 1e-8) - ULP
    else:
        assert out <= sigmoid_np(-h * (0.5 - 2 * e) + 1e-8)


@SETTINGS
@given(case=boxes_and_points(), t=floats(0.1, 0.9))
def test_4_3_m_variable_tower_bias_between_minus_m_h_and_minus_m_minus_1_h(case, t):
    """m variables: the tower neuron's weighted input before the bias is about m h
    inside the box and at most about (m - 1) h outside, so any bias -(m - 1 + t) h,
    0 < t < 1, works: >= h (1 - t - 2 m e) inside, <= h (m e - t) outside. The notes'
    -3h/2 (m = 2) and -5h/2 (m = 3) are t = 1/2, i.e. -(2m - 1) h / 2, the builder's default."""
    lo, hi, x, inside, delta = case
    m, w, h = len(lo), 1e4, 1e3
    e = sigmoid_np(-w * delta) * SLACK
    default = ua.TowerNetwork(lo[None], hi[None], [[1.0]], w=w, h=h)
    assert default.towers.bias.data[0] == -(2 * m - 1) * h / 2
    for bias, tt in ((-(m - 1 + t) * h, t), (default.towers.bias.data[0], 0.5)):
        net = ua.TowerNetwork(lo[None], hi[None], [[1.0]], w=w, h=h, indicator_bias=bias)
        out = run(net, [x], indicators=True)[0, 0]
        if inside:
            assert out >= sigmoid_np(h * (1 - tt - 2 * m * e) - 1e-8) - ULP
        else:
            assert out <= sigmoid_np(h * (m * e - tt) + 1e-8)


@SETTINGS
@given(boxes_and_points(min_m=1, max_m=5))
def test_4_3_erratum_garbled_bias_minus_2h_minus_1_over_2_fails(case):
    """The notes' m-variable bias '-(h+h-1)/2 = -(2h-1)/2' is about -h for every m:
    for m = 1 the inside gives sigma(1/2) ~ 0.62 instead of ~1, for m = 2 a point with
    one coordinate inside gives ~0.62 instead of ~0, for m >= 3 a point with m - 1
    coordinates inside gives ~1. The corrected -(2m - 1) h / 2 gives ~0 there."""
    lo, hi, x, inside, delta = case
    m, w, h = len(lo), 1e4, 1e3
    n_inside = int(np.sum((lo < x) & (x < hi)))
    assume(inside if m == 1 else n_inside == m - 1)
    garbled = ua.TowerNetwork(lo[None], hi[None], [[1.0]], w=w, h=h,
                              indicator_bias=-(2 * h - 1) / 2)
    corrected = ua.TowerNetwork(lo[None], hi[None], [[1.0]], w=w, h=h)
    bad = run(garbled, [x], indicators=True)[0, 0]
    good = run(corrected, [x], indicators=True)[0, 0]
    # Each step neuron is off by at most e = sigma(-w delta), so the weighted input
    # by at most m h e, and the output (sigma' <= 1/4) by a quarter of that.
    tol = 1e-6 + m * h * sigmoid_np(-w * delta) / 4
    if m == 1:
        assert abs(bad - sigmoid_np(0.5)) < tol and good > 1 - tol
    else:
        assert bad >= sigmoid_np(0.5) - tol and good < tol
        assert not abs(bad - good) < 0.5


@settings(deadline=None, max_examples=15)
@given(m=st.integers(1, 3), n=st.integers(1, 3), cells=st.integers(1, 5), seed=seeds)
def test_4_3_functions_from_rm_to_rn(m, n, cells, seed):
    """R^m -> R^n: one output neuron per coordinate f_k over the same towers (the notes'
    'n networks, one for each f_k'). With towers of a grid of cells^m boxes on [0, 1]^m
    at heights f(box centre), a point delta from every cell face gets f(its cell's
    centre); for f_k = sum_i a_ki x_i^2 + b_ki x_i that is within
    sum_i (2|a_ki| + |b_ki|) / (2 cells) of f_k(x)."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-1, 1, (n, m)), rng.uniform(-1, 1, (n, m))

    def f(X):
        return X ** 2 @ a.T + X @ b.T

    net = ua.grid_towers(f, np.zeros(m), np.ones(m), cells)
    cell = rng.integers(0, cells, (20, m))
    X = (cell + rng.uniform(0.01, 0.99, (20, m))) / cells     # delta >= 0.01 / cells
    centre = (cell + 0.5) / cells
    out = run(net, X)
    np.testing.assert_allclose(out, f(centre), rtol=1e-12, atol=1e-12)
    bound = (2 * np.abs(a) + np.abs(b)).sum(axis=1) / (2 * cells)
    assert np.all(np.abs(out - f(X)) <= bound * (1 + 1e-9))
    for k in range(n):   # column k is the R^m -> R network of f_k alone
        single = ua.grid_towers(lambda X, k=k: f(X)[:, k:k + 1], np.zeros(m), np.ones(m), cells)
        np.testing.assert_array_equal(run(single, X)[:, 0], out[:, k])
