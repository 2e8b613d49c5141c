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


@SETTINGS
@given(n=st.integers(2, 80), seed=seeds)
def test_4_2_bump_approximation_error_is_at_most_max_f_prime_over_n(n, seed):
    """On an interval of length 1/N, |f(x) - mean of f| <= (1/N) max |f'| <= 8.1 / N,
    since |f'(x)| = |0.8x + 0.3 sin 15x + 4.5x cos 15x - 2.5 sin 50x| <= 8.1 on [0, 1]."""
    edges = np.linspace(0, 1, n + 1)
    x, _ = interior_points(edges, np.random.default_rng(seed), 20, 1e-3)
    err = np.abs(run(ua.approximate_f(n), x)[:, 0] - f_np(x))
    assert err.max() <= 8.1 / n


def test_fig_4_5_error_falls_from_10_to_50_bumps_and_n_counts_bumps():
    """Fig. 4.5's '10 and 50 neurons' are 10 and 50 bumps (intervals): each bump
    takes 2 step neurons and 1 indicator neuron, 3N hidden neurons in all. The error
    over [0, 1] (a fine grid, edges included) falls from N = 10 to N = 50."""
    x = np.linspace(0, 1, 4001)
    rms = {}
    for n in (10, 50):
        net = ua.approximate_f(n)
        assert (net.steps.out_features, net.towers.out_features) == (2 * n, n)
        assert net.out.weight.shape == (1, n)
        rms[n] = math.sqrt(np.mean((run(net, x)[:, 0] - f_np(x)) ** 2))
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
