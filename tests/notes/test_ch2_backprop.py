"""Chapter 2 of the notes: the four backpropagation equations (2.1-2.9) and
their use in mini-batch gradient descent (section 2.2).

Random sigmoid networks of random depth and widths with the quadratic cost:
the errors delta^l = dC/dz^l that autograd passes through each layer's z^l
(captured with ``register_hook``) and the gradients it leaves in ``.grad`` must
equal the notes' matrix formulas, evaluated in numpy by ``backprop_np``.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_nndl import no_grad, optim

from .conftest import (as_tensor, backprop_np, cost_along_z_np, feedforward_np, floats,
                       linear_layers, networks, sigmoid_np, sigmoid_prime_np)

SETTINGS = settings(deadline=None)
TOL = dict(rtol=1e-10, atol=1e-13)


@st.composite
def network_and_example(draw, min_layers=1, batch=None):
    """A random sigmoid MLP with 1-5 weight layers and one example (x, y), or a
    mini-batch of ``batch`` examples (rows) when batch is a strategy."""
    weights, biases = draw(networks(min_layers=min_layers, max_layers=5, max_width=6,
                                    max_in=6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = None if batch is None else draw(batch)
    shape_x = (weights[0].shape[1],) if m is None else (m, weights[0].shape[1])
    shape_y = (weights[-1].shape[0],) if m is None else (m, weights[-1].shape[0])
    return weights, biases, rng.uniform(-2, 2, shape_x), rng.uniform(0, 1, shape_y)


def run_backward(weights, biases, x, y):
    """Forward the library's network, C = 1/2 ||a^L - y||^2 averaged over the rows
    of a batch, backward; returns the layers, the hooked deltas and the hooked
    dC/da^l of every layer."""
    layers = linear_layers(weights, biases)
    deltas, grad_a = {}, {}
    a = as_tensor(x)
    for l, layer in enumerate(layers):
        if l > 0:   # dC/da^l for the hidden activations (eq. 2.5)
            a.register_hook(lambda g, l=l: grad_a.__setitem__(l - 1, g.data.copy()))
        z = layer(a)
        z.register_hook(lambda g, l=l: deltas.__setitem__(l, g.data.copy()))
        a = z.sigmoid()
    n = 1 if np.ndim(x) == 1 else x.shape[0]
    cost = 0.5 * ((a - as_tensor(y)) ** 2).sum() / n
    cost.backward()
    return layers, [deltas[l] for l in range(len(layers))], [grad_a[l] for l in
                                                              range(len(layers) - 1)]


@SETTINGS
@given(network_and_example(min_layers=2))
def test_section2_1_erratum_z_equals_w_sigma_z_holds_from_layer_3_only(case):
    """The notes write z^l = w^l a^{l-1} + b^l = w^l sigma(z^{l-1}) + b^l for 2 <= l <= L.
    Layer 1 is the input: a^1 = x, with no z^1, so the second form only holds for l >= 3.
    Reading the input as z^1 (the only reading that defines it), the printed form at l = 2
    gives w^2 sigma(x) + b^2, which differs from the network's z^2 = w^2 x + b^2 by
    w^2 (x - sigma(x)) (x = sigma(x) only at x = 0.659...)."""
    weights, biases, x, y = case
    layers = linear_layers(weights, biases)
    zs, a = [], as_tensor(x)
    for layer in layers:
        zs.append(layer(a).data)
        a = as_tensor(zs[-1]).sigmoid()
    np.testing.assert_allclose(zs[0], weights[0] @ x + biases[0], **TOL)
    printed_l2 = weights[0] @ sigmoid_np(x) + biases[0]
    np.testing.assert_allclose(printed_l2 - zs[0], weights[0] @ (sigmoid_np(x) - x), **TOL)
    if np.abs(weights[0] @ (sigmoid_np(x) - x)).max() > 1e-6:
        assert not np.allclose(printed_l2, zs[0], **TOL)
    for l in range(1, len(weights)):          # l + 1 >= 3 in the notes' numbering
        np.testing.assert_allclose(zs[l], weights[l] @ sigmoid_np(zs[l - 1]) + biases[l], **TOL)


def cost_with_dz(layers, x, y, l, j, dz):
    """The library's C = 1/2 ||a^L - y||^2 with dz added to the weighted input z_j^l."""
    with no_grad():
        a = as_tensor(x)
        for k, layer in enumerate(layers):
            z = layer(a)
            if k == l:
                z = z + as_tensor(np.eye(z.shape[0])[j] * dz)
            a = z.sigmoid()
        return 0.5 * ((a - as_tensor(y)) ** 2).sum().item()


@SETTINGS
@given(network_and_example(), st.data())
def test_section2_1_demon_change_of_cost_is_delta_dz_to_first_order(case, data):
    """Section 2.1's 'demon': a change dz of z_j^l changes the cost by delta_j^l dz. The
    notes write 'is'; it is true to first order only: on the library's network,
    C(z_j^l + dz) - C - delta_j^l dz = C''/2 dz^2 + O(dz^3), with C'' = d^2C/dz_j^2 from the
    second-order chain rule in numpy. The fitted order of the error over dz from s down to
    s/100 is 2, and a small dz of sign opposite to delta lowers the cost."""
    weights, biases, x, y = case
    l = data.draw(st.integers(0, len(weights) - 1))
    j = data.draw(st.integers(0, weights[l].shape[0] - 1))
    C0, first, second = cost_along_z_np(weights, biases, x, y, l, j)
    assume(abs(second) >= 1e-3)
    layers, deltas, _ = run_backward(weights, biases, x, y)
    delta = deltas[l][j]
    np.testing.assert_allclose(delta, first, **TOL)
    C = cost_with_dz(layers, x, y, l, j, 0.0)
    assert C == pytest.approx(C0, rel=1e-13, abs=1e-15)
    s = 1e-2      # the smallest error, |C''| s^2 / 2e4 >= 5e-12, is far above rounding
    steps = s * np.logspace(0, -2, 5)
    errors = np.array([cost_with_dz(layers, x, y, l, j, dz) - C - delta * dz for dz in steps])
    assert np.all(errors != 0)                # the printed 'is' (an equality) is false
    order = np.polyfit(np.log(steps), np.log(np.abs(errors)), 1)[0]
    assert order == pytest.approx(2, abs=0.1)
    assert errors[-1] / steps[-1] ** 2 == pytest.approx(second / 2, rel=0.02)
    if abs(delta) > 1e-6:
        dz = -np.sign(delta) * min(s, abs(delta) / abs(second))
        assert cost_with_dz(layers, x, y, l, j, dz) < C


@SETTINGS
@given(network_and_example())
def test_bp1_output_error(case):
    """(2.1)-(2.2), BP1: delta^L = (a^L - y) * sigma'(z^L) = diag(sigma'(z^L)) grad_a C."""
    weights, biases, x, y = case
    _, deltas, _ = run_backward(weights, biases, x, y)
    zs, acts = feedforward_np(weights, biases, x)
    np.testing.assert_allclose(deltas[-1], (acts[-1] - y) * sigmoid_prime_np(zs[-1]), **TOL)
    np.testing.assert_allclose(deltas[-1], backprop_np(weights, biases, x, y)[0][-1], **TOL)


@SETTINGS
@given(network_and_example(min_layers=2))
def test_bp2_error_of_a_hidden_layer(case):
    """(2.3), (2.6), BP2: delta^l = diag(sigma'(z^l)) (w^{l+1})^T delta^{l+1} for every
    hidden layer, i.e. delta_j^l = sigma'(z_j^l) sum_k delta_k^{l+1} w_kj^{l+1}."""
    weights, biases, x, y = case
    _, deltas, _ = run_backward(weights, biases, x, y)
    expected, _, _ = backprop_np(weights, biases, x, y)
    for got, want in zip(deltas, expected):
        np.testing.assert_allclose(got, want, **TOL)
    zs, _ = feedforward_np(weights, biases, x)
    for l in range(len(weights) - 1):   # the componentwise form (2.6), from the hooked delta^{l+1}
        want = np.array([sigmoid_prime_np(zs[l][j]) * sum(
            deltas[l + 1][k] * weights[l + 1][k, j] for k in range(len(deltas[l + 1])))
            for j in range(len(zs[l]))])
        np.testing.assert_allclose(deltas[l], want, **TOL)


@SETTINGS
@given(network_and_example(min_layers=2))
def test_eq2_5_cost_gradient_of_a_hidden_activation(case):
    """(2.4)-(2.5): dC/da_j^l = sum_k delta_k^{l+1} w_kj^{l+1}, i.e. (w^{l+1})^T delta^{l+1}."""
    weights, biases, x, y = case
    _, _, grad_a = run_backward(weights, biases, x, y)
    expected, _, _ = backprop_np(weights, biases, x, y)
    for l, got in enumerate(grad_a):
        np.testing.assert_allclose(got, weights[l + 1].T @ expected[l + 1], **TOL)


@SETTINGS
@given(network_and_example())
def test_bp3_bias_gradient_is_the_error(case):
    """(2.7), BP3: dC/db_j^l = delta_j^l."""
    weights, biases, x, y = case
    layers, _, _ = run_backward(weights, biases, x, y)
    _, _, grad_b = backprop_np(weights, biases, x, y)
    for layer, want in zip(layers, grad_b):
        np.testing.assert_allclose(layer.bias.grad.data, want, **TOL)


@SETTINGS
@given(network_and_example())
def test_bp4_weight_gradient(case):
    """(2.8), BP4: dC/dw_jk^l = a_k^{l-1} delta_j^l, the outer product delta^l (a^{l-1})^T."""
    weights, biases, x, y = case
    layers, _, _ = run_backward(weights, biases, x, y)
    _, grad_w, _ = backprop_np(weights, biases, x, y)
    for layer, want in zip(layers, grad_w):
        np.testing.assert_allclose(layer.weight.grad.data, want, **TOL)


def per_example_mean(weights, biases, X, Y):
    """Section 2.2 step 1 for each example, then the mean over the mini-batch."""
    per = [backprop_np(weights, biases, x, y) for x, y in zip(X, Y)]
    m = len(X)
    deltas = [np.stack([p[0][l] for p in per]) for l in range(len(weights))]
    gw = [sum(p[1][l] for p in per) / m for l in range(len(weights))]
    gb = [sum(p[2][l] for p in per) / m for l in range(len(weights))]
    return deltas, gw, gb


@SETTINGS
@given(network_and_example(batch=st.integers(1, 8)))
def test_section2_2_minibatch_gradient_is_mean_of_per_example_gradients(case):
    """C = (1/m) sum_x C_x: the batched backward gives each row's delta^l(x) / m
    and the gradients (1/m) sum_x delta^l(x) a^{l-1}(x)^T and (1/m) sum_x delta^l(x)."""
    weights, biases, X, Y = case
    layers, deltas, _ = run_backward(weights, biases, X, Y)
    want_deltas, gw, gb = per_example_mean(weights, biases, X, Y)
    for l, layer in enumerate(layers):
        np.testing.assert_allclose(deltas[l], want_deltas[l] / len(X), **TOL)
        np.testing.assert_allclose(layer.weight.grad.data, gw[l], **TOL)
        np.testing.assert_allclose(layer.bias.grad.data, gb[l], **TOL)


@SETTINGS
@given(network_and_example(batch=st.integers(1, 8)), floats(0.01, 5.0))
def test_section2_2_gradient_descent_step(case, eta):
    """Section 2.2 step 2 (with the minus sign the notes drop):
    w^l -> w^l - (eta/m) sum_x delta^l(x) a^{l-1}(x)^T, b^l -> b^l - (eta/m) sum_x delta^l(x);
    one optim.SGD step on the mean cost does exactly this."""
    weights, biases, X, Y = case
    layers, _, _ = run_backward(weights, biases, X, Y)
    opt = optim.SGD([p for layer in layers for p in layer.parameters()], lr=eta)
    opt.step()
    _, gw, gb = per_example_mean(weights, biases, X, Y)
    for layer, w, b, dw, db in zip(layers, weights, biases, gw, gb):
        np.testing.assert_allclose(layer.weight.data, w - eta * dw, **TOL)
        np.testing.assert_allclose(layer.bias.data, b - eta * db, **TOL)
