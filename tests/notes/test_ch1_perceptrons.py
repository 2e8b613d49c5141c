"""Chapter 1 of the notes: perceptrons, sigmoid neurons, the binary output
layer (Ex 1.1-1.3) and the steepest-descent step of gradient descent (Ex 1.4).

Every expected value is a closed form or the notes' formula computed in numpy
(tests/notes/conftest.py); the library only supplies the networks' outputs and
autograd's gradients.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_nndl import Tensor, autograd

from .conftest import (as_tensor, feedforward_np, floats, linear_layers, networks, sigmoid_np,
                       step_np)

SETTINGS = settings(deadline=None)   # max_examples from the suite profile (tests/conftest.py)


def perceptron_net(layers, x):
    """The library's perceptron network: step(w . x + b) at every neuron."""
    a = x
    for layer in layers:
        a = (layer(a) > 0).double()
    return a


def sigmoid_net_activations(layers, x):
    acts, a = [], x
    for layer in layers:
        a = layer(a).sigmoid()
        acts.append(a.data)
    return acts


def scaled(weights, biases, c):
    return [c * w for w in weights], [c * b for b in biases]


inputs_for = st.integers(0, 2**32 - 1).map(lambda s: np.random.default_rng(s))

# ----- Exercise 1.1 ------------------------------------------------------------


@SETTINGS
@given(net=networks(max_layers=4), rng=inputs_for, k=st.integers(-30, 30),
       ties=st.booleans())
def test_ex1_1_perceptron_network_invariant_under_power_of_two_scaling(net, rng, k, ties):
    """c = 2^k multiplies every floating-point product and sum exactly, so the
    invariance must hold bit for bit, even at neurons whose w . x + b is exactly 0."""
    weights, biases = net
    if ties:   # integer weights and inputs: many neurons sit exactly at w . x + b = 0
        weights = [np.round(w) for w in weights]
        biases = [np.round(b) for b in biases]
        x = rng.integers(-2, 3, weights[0].shape[1]).astype(np.float64)
    else:
        x = rng.uniform(-3, 3, weights[0].shape[1])
    c = 2.0 ** k
    plain = perceptron_net(linear_layers(weights, biases), as_tensor(x))
    times_c = perceptron_net(linear_layers(*scaled(weights, biases, c)), as_tensor(x))
    np.testing.assert_array_equal(times_c.data, plain.data)
    # and both are the perceptron network of the notes, computed in numpy
    _, acts = feedforward_np(weights, biases, x, activation=step_np)
    np.testing.assert_array_equal(plain.data, acts[-1])


@SETTINGS
@given(net=networks(max_layers=4), rng=inputs_for, c=floats(1e-3, 1e3))
def test_ex1_1_perceptron_network_invariant_under_any_positive_scaling(net, rng, c):
    """Any c > 0: sign(c (w . x + b)) = sign(w . x + b). Rounding can only flip
    a neuron whose w . x + b is within rounding error of 0, so those are excluded."""
    weights, biases = net
    x = rng.uniform(-3, 3, weights[0].shape[1])
    zs, acts = feedforward_np(weights, biases, x, activation=step_np)
    assume(min(np.abs(z).min() for z in zs) > 1e-9)
    times_c = perceptron_net(linear_layers(*scaled(weights, biases, c)), as_tensor(x))
    np.testing.assert_array_equal(times_c.data, acts[-1])


# ----- Exercise 1.2 ------------------------------------------------------------


@SETTINGS
@given(net=networks(max_layers=4), rng=inputs_for)
def test_ex1_2_sigmoid_network_tends_to_perceptron_network(net, rng):
    """With m = min |w . x + b| over all neurons of the perceptron network and
    R = the largest sum of |w| over a row, every activation of the sigmoid
    network with parameters times c is within sigma(-c m / 2) of the perceptron's,
    once R sigma(-c m / 2) <= m / 2 (induction over the layers: the errors of
    the previous layer move c (w . a + b) by at most c R sigma(-c m / 2) <= c m / 2)."""
    weights, biases = net
    x = rng.uniform(-3, 3, weights[0].shape[1])
    zs, perceptron = feedforward_np(weights, biases, x, activation=step_np)
    m = min(np.abs(z).min() for z in zs)
    assume(m > 1e-3)
    R = max(np.abs(w).sum(axis=1).max() for w in weights)
    errors = []
    for t in (20.0, 40.0, 80.0):            # t = c m
        bound = sigmoid_np(-t / 2)
        if R * bound > m / 2:   # the induction needs this; it holds at t = 80
            continue
        acts = sigmoid_net_activations(linear_layers(*scaled(weights, biases, t / m)),
                                       as_tensor(x))
        err = max(np.abs(a - p).max() for a, p in zip(acts, perceptron[1:]))
        assert err <= bound * (1 + 1e-9) + 1e-300
        errors.append(err)
    assert errors and errors[-1] <= sigmoid_np(-40.0)


@SETTINGS
@given(rng=inputs_for, n_in=st.integers(1, 5), k=st.integers(0, 40))
def test_ex1_2_neuron_with_zero_weighted_input_stuck_at_half(rng, n_in, k):
    """Where w . x + b = 0 exactly, sigma(c (w . x + b)) = 1/2 for every c, while
    the perceptron outputs 0; a next neuron with weight 1 and bias -1/4 then
    tends to 1 in the sigmoid network but is 0 in the perceptron network."""
    w = rng.integers(-3, 4, (1, n_in)).astype(np.float64)
    x = rng.integers(-3, 4, n_in).astype(np.float64)
    b = -(w @ x)                                      # exact: small integers
    w2, b2 = np.array([[1.0]]), np.array([-0.25])
    c = 2.0 ** k                                      # exact scaling, so z stays 0
    layers = linear_layers([c * w, c * w2], [c * b, c * b2])
    a1, a2 = sigmoid_net_activations(layers, as_tensor(x))
    assert a1[0] == 0.5
    _, perceptron = feedforward_np([w, w2], [b, b2], x, activation=step_np)
    assert perceptron[1][0] == 0.0 and perceptron[2][0] == 0.0
    # sigma(c (1/2 - 1/4)) = sigma(c / 4): the sigmoid network disagrees with the
    # perceptron network by that much, which tends to 1, not 0.
    assert a2[0] == pytest.approx(sigmoid_np(c / 4), rel=1e-12)


# ----- Exercise 1.3 ------------------------------------------------------------


def binary_layer_weights(bit_sets=None):
    """Row j (output neuron j', bit j) has +1 for the digits whose bit j is set,
    -1 for the others: the notes' w_{ij} transposed into nn.Linear's (out, in)."""
    if bit_sets is None:
        bit_sets = [{d for d in range(10) if d >> j & 1} for j in range(4)]
    return np.array([[1.0 if d in s else -1.0 for d in range(10)] for s in bit_sets])


@st.composite
def third_layer_outputs(draw):
    """A digit k and an old-output-layer activation with x_k >= 0.99 and the
    other nine < 0.01 (the exercise's assumption)."""
    k = draw(st.integers(0, 9))
    low = st.floats(0.0, 0.01, exclude_max=True)
    x = np.array([draw(floats(0.99, 1.0)) if d == k else draw(low) for d in range(10)])
    return k, x


@SETTINGS
@given(kx=third_layer_outputs(), c=floats(5.2, 1e3))
def test_ex1_3_binary_output_layer_gives_the_bits(kx, c):
    """z_j > 0.99 - 9 (0.01) = 0.90 when bit j of k is set and < -0.90 when it
    is not (the notes' bounds), so with the weights times c every output is within
    sigma(-0.9 c) of its bit; for c >= ln(99)/0.9 that is 'bit set' >= 0.99."""
    k, x = kx
    (layer,) = linear_layers([c * binary_layer_weights()], [np.zeros(4)])
    z = layer(as_tensor(x))
    bits = np.array([k >> j & 1 for j in range(4)], dtype=np.float64)
    assert np.all(np.where(bits == 1, z.data / c > 0.90, z.data / c < -0.90))
    out = z.sigmoid().data
    assert np.all(np.abs(out - bits) <= sigmoid_np(-0.9 * c) * (1 + 1e-12))
    assert int(sum(int(round(o)) << j for j, o in enumerate(out))) == k
    if c >= math.log(99) / 0.9:
        assert np.all(np.where(bits == 1, out >= 0.99, out <= 0.01))


def test_ex1_3_erratum_bit_one_is_set_for_2_3_6_7_not_9():
    """The notes list 2, 3, 6, 7, 9 for neuron 1' (and call it the second most
    significant bit, which would read a 2 as 4): 9 = 1001b has bit 1 clear. With that set the layer outputs
    1011b = 11 for a clean 9; with the corrected set {2, 3, 6, 7} it outputs 9."""
    notes_sets = [{1, 3, 5, 7, 9}, {2, 3, 6, 7, 9}, {4, 5, 6, 7}, {8, 9}]
    assert notes_sets[1] != {d for d in range(10) if d >> 1 & 1}
    x = np.full(10, 0.005)
    x[9] = 0.995
    decoded = []
    for w in (binary_layer_weights(notes_sets), binary_layer_weights()):
        (layer,) = linear_layers([50.0 * w], [np.zeros(4)])
        out = layer(as_tensor(x)).sigmoid().data
        decoded.append(sum(int(round(o)) << j for j, o in enumerate(out)))
    assert decoded == [11, 9]
    # read as printed, 1' the second *most* significant bit (value 4, with 3' = 8, 2' = 2,
    # 0' = 1), the corrected layer's output for a clean 2 = 0010b would mean 4
    x = np.full(10, 0.005)
    x[2] = 0.995
    (layer,) = linear_layers([50.0 * binary_layer_weights()], [np.zeros(4)])
    bits = [int(round(o)) for o in layer(as_tensor(x)).sigmoid().data]
    assert sum(b << j for j, b in enumerate(bits)) == 2
    assert sum(b * v for b, v in zip(bits, (1, 4, 2, 8))) == 4


# ----- Exercise 1.4 ------------------------------------------------------------


@st.composite
def smooth_costs(draw):
    """C(v) = 1/2 v^T A v + b . v + sum tanh(v_i), a point v, and M = ||A||_2 + 1,
    a bound on the Hessian's norm (|tanh''| <= 4 / (3 sqrt 3) < 1)."""
    m = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = rng.standard_normal((m, m))
    A = (A + A.T) / 2
    b = rng.standard_normal(m)
    v = rng.uniform(-2, 2, m)
    return A, b, v, np.linalg.norm(A, 2) + 1.0


def cost(A, b):
    At, bt = as_tensor(A), as_tensor(b)
    return lambda v: 0.5 * (v @ (At @ v)) + bt @ v + v.tanh().sum()


def unit_vectors(rng, m, n):
    u = rng.standard_normal((n, m))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


@SETTINGS
@given(problem=smooth_costs(), eps=floats(1e-4, 1e-1), seed=st.integers(0, 2**32 - 1))
def test_ex1_4_steepest_descent_minimizes_first_order_change(problem, eps, seed):
    """For ||dv|| = eps: grad C . dv >= -eps ||grad C|| (Cauchy-Schwarz), reached by
    dv* = -eps grad C / ||grad C||. Exactly, for a unit u,
    grad C . (eps u) - grad C . dv* = eps ||grad C|| ||u - u*||^2 / 2."""
    A, b, v, _ = problem
    v_t = as_tensor(v, requires_grad=True)
    (g,) = autograd.grad(cost(A, b)(v_t), v_t)
    g = g.data
    np.testing.assert_allclose(g, A @ v + b + 1 - np.tanh(v) ** 2, rtol=1e-12, atol=1e-12)
    norm = np.linalg.norm(g)
    assume(norm > 1e-6)
    best = -eps * g / norm
    assert np.linalg.norm(best) == pytest.approx(eps)
    assert g @ best == pytest.approx(-eps * norm)
    u = unit_vectors(np.random.default_rng(seed), len(v), 200)
    first_order = eps * (u @ g)
    gap = first_order - g @ best
    assert np.all(gap >= -1e-12 * eps * norm)
    np.testing.assert_allclose(gap, eps * norm * np.sum((u - best / eps) ** 2, axis=1) / 2,
                               rtol=1e-9, atol=1e-12 * eps * norm)


@SETTINGS
@given(problem=smooth_costs(), eps=floats(1e-4, 1e-2), seed=st.integers(0, 2**32 - 1))
def test_ex1_4_gradient_step_decreases_cost_most_to_first_order(problem, eps, seed):
    """The actual change of C: Taylor's remainder is at most M eps^2 / 2 for every
    step of length eps, so no step of length eps beats dv* by more than M eps^2."""
    A, b, v, M = problem
    C = cost(A, b)
    v_t = as_tensor(v, requires_grad=True)
    (g,) = autograd.grad(C(v_t), v_t)
    norm = np.linalg.norm(g.data)
    assume(norm > 1e-6)
    best = C(as_tensor(v - eps * g.data / norm)).item()
    for u in unit_vectors(np.random.default_rng(seed), len(v), 50):
        assert best <= C(as_tensor(v + eps * u)).item() + M * eps ** 2
    assert best < C(Tensor(v)).item()
