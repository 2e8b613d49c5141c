"""Chapter 5 of the notes: vanishing and exploding gradients in a deep diagonal
linear network (section 5.1), tanh as the activation (Ex 5.1) and the LSTM
equations 5.1-5.6 (section 5.2).

Gradients come from autograd; expected values are the notes' products of
weights, tanh' = 1 - tanh^2, and the LSTM equations written out in numpy.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nndl import autograd, nn

from .conftest import (as_tensor, floats, linear_layers, lstm_step_np, sigmoid_np,
                       sigmoid_prime_np)

SETTINGS = settings(deadline=None)
seeds = st.integers(0, 2**32 - 1)


# ----- 5.1: the deep diagonal linear network --------------------------------------


@st.composite
def diagonal_networks(draw, max_layers=40):
    """L layers: W^(1..L-1) = diag(w11^(i), w22^(i)), W^(L) = (w11^(L), w12^(L)),
    no biases, no activations; an example ((x1, x2), y)."""
    L = draw(st.integers(2, max_layers))
    rng = np.random.default_rng(draw(seeds))
    d11, d22 = rng.uniform(0.5, 1.5, L - 1), rng.uniform(0.5, 1.5, L - 1)
    last = rng.uniform(-1.5, 1.5, 2)
    x, y = rng.uniform(-2, 2, 2), rng.uniform(-2, 2)
    return d11, d22, last, x, y


def diagonal_network(d11, d22, last):
    weights = [np.diag([a, b]) for a, b in zip(d11, d22)] + [last[None, :]]
    return linear_layers(weights)


def forward(layers, x):
    a = as_tensor(x)
    for layer in layers:
        a = layer(a)
    return a


def y_hat_corrected(d11, d22, last, x):
    """y^ = w11^(L) w11^(L-1)...w11^(1) x1 + w12^(L) w22^(L-1)...w22^(2) w22^(1) x2."""
    return last[0] * np.prod(d11) * x[0] + last[1] * np.prod(d22) * x[1]


@SETTINGS
@given(diagonal_networks())
def test_5_1_deep_linear_network_output_is_a_product_of_weights(net):
    """The network's output is W^(L) ... W^(1) x, i.e. the corrected y^ of the notes."""
    d11, d22, last, x, _ = net
    y_hat = forward(diagonal_network(d11, d22, last), x).item()
    assert np.isclose(y_hat, y_hat_corrected(d11, d22, last, x), rtol=1e-12, atol=1e-14)


@SETTINGS
@given(diagonal_networks(), floats(0.1, 1.0))
def test_5_1_erratum_second_product_uses_w22_of_layer_2(net, step):
    """The notes' y^ has w11^(2) inside the x2 product; it must be w22^(2). Whenever
    w11^(2) != w22^(2) (and w12^(L) x2 != 0) the notes' expression differs from the
    network's output by w12^(L) x2 (w11^(2) - w22^(2)) prod_{i != 2} w22^(i)."""
    d11, d22, last, x, _ = net
    if len(d11) < 2:
        d11, d22 = np.append(d11, 1.0), np.append(d22, 1.0)
    d22 = d22.copy()
    d22[1] = d11[1] + step                      # w22^(2) != w11^(2)
    as_printed = d22.copy()
    as_printed[1] = d11[1]                      # the notes' w11^(2) in the x2 product
    notes = last[0] * np.prod(d11) * x[0] + last[1] * np.prod(as_printed) * x[1]
    y_hat = forward(diagonal_network(d11, d22, last), x).item()
    assert np.isclose(y_hat, y_hat_corrected(d11, d22, last, x), rtol=1e-12, atol=1e-14)
    expected_gap = last[1] * x[1] * (d11[1] - d22[1]) * np.prod(np.delete(d22, 1))
    assert np.isclose(notes - y_hat, expected_gap, rtol=1e-9, atol=1e-14)


@SETTINGS
@given(diagonal_networks())
def test_5_1_gradient_of_a_weight_is_the_product_of_the_other_layers_weights(net):
    """With L = (y - y^)^2 / 2: dL/dw11^(1) = (y^ - y) w11^(L) w11^(L-1) ... w11^(2) x1, and
    in general dL/dw11^(k) = (y^ - y) w11^(L) prod_{i != k} w11^(i) x1 (likewise w22, x2)."""
    d11, d22, last, x, y = net
    layers = diagonal_network(d11, d22, last)
    loss = 0.5 * (as_tensor(y) - forward(layers, x)) ** 2
    grads = autograd.grad(loss.sum(), [layer.weight for layer in layers[:-1]])
    r = y_hat_corrected(d11, d22, last, x) - y
    for k, g in enumerate(grads):
        w11 = r * last[0] * np.prod(np.delete(d11, k)) * x[0]
        w22 = r * last[1] * np.prod(np.delete(d22, k)) * x[1]
        np.testing.assert_allclose(np.diag(g.data), [w11, w22], rtol=1e-10, atol=1e-14)
        # the whole matrix, off-diagonal entries (weights fixed at 0) included, is
        # BP4's delta^(k) a^(k-1)^T with delta^(k) = r (w11^(L) prod_{i>k} w11^(i), ...)
        delta = r * np.array([last[0] * np.prod(d11[k + 1:]), last[1] * np.prod(d22[k + 1:])])
        a = np.array([np.prod(d11[:k]) * x[0], np.prod(d22[:k]) * x[1]])
        np.testing.assert_allclose(g.data, np.outer(delta, a), rtol=1e-10, atol=1e-14)
    assert np.isclose(grads[0].data[0, 0], r * last[0] * np.prod(d11[1:]) * x[0], rtol=1e-10,
                      atol=1e-14)


@SETTINGS
@given(x=st.tuples(floats(0.1, 2), floats(0.1, 2)), y=floats(-1, 1))
def test_5_1_gradient_vanishes_with_weights_0_9_and_explodes_with_1_1(x, y):
    """All weights c: y^ = c^L (x1 + x2), dL/dw11^(1) = (c^L (x1 + x2) - y) c^(L-1) x1.
    For y = 0 it is c^(2L-1) x1 (x1 + x2): depth L + 1 multiplies it by exactly c^2,
    so c = 0.9 vanishes (0.81 per layer) and c = 1.1 explodes (1.21 per layer)."""
    x = np.array(x)
    for c in (0.9, 1.1):
        previous = None
        for L in (2, 5, 10, 20, 40, 60):
            layers = diagonal_network(np.full(L - 1, c), np.full(L - 1, c), np.full(2, c))
            for target in (y, 0.0):
                loss = 0.5 * (as_tensor(target) - forward(layers, x)) ** 2
                (g,) = autograd.grad(loss.sum(), layers[0].weight)
                want = (c ** L * x.sum() - target) * c ** (L - 1) * x[0]
                assert np.isclose(g.data[0, 0], want, rtol=1e-10)
            if previous is not None:
                assert np.isclose(g.data[0, 0] / previous[1], c ** (2 * (L - previous[0])),
                                  rtol=1e-9)
            previous = (L, g.data[0, 0])
        if c < 1:
            assert previous[1] < 1e-5 * x[0] * x.sum()      # 0.9^119 = 3.6e-6
        else:
            assert previous[1] > 8e4 * x[0] * x.sum()       # 1.1^119 = 8.4e4


# ----- Exercise 5.1: tanh instead of the sigmoid -------------------------------------


@SETTINGS
@given(st.lists(floats(-20, 20), min_size=1, max_size=50))
def test_ex5_1_tanh_prime_is_one_minus_tanh_squared_at_most_one(values):
    """tanh(x) = (e^x - e^-x)/(e^x + e^-x) and tanh'(x) = 1 - tanh(x)^2 <= 1, equal to 1 only
    at x = 0; sigma' <= 1/4. Also
    tanh(x) = 2 sigma(2x) - 1, so tanh'(0) = 4 sigma'(0) = 1 (not 'less than 1')."""
    x = as_tensor(values, requires_grad=True)
    (g,) = autograd.grad(x.tanh().sum(), x)
    v = np.array(values)
    np.testing.assert_allclose(g.data, 1 - np.tanh(v) ** 2, rtol=1e-12, atol=1e-300)
    assert np.all(g.data <= 1.0)
    assert np.all((g.data == 1.0) <= (np.abs(v) < 1e-7))
    np.testing.assert_allclose(x.tanh().data, 2 * sigmoid_np(2 * v) - 1, atol=1e-15)
    np.testing.assert_allclose(x.tanh().data, (np.exp(v) - np.exp(-v)) / (np.exp(v) + np.exp(-v)),
                               rtol=1e-14, atol=1e-15)   # the notes' definition
    (gs,) = autograd.grad(x.sigmoid().sum(), x)
    assert np.all(gs.data <= 0.25)
    z = as_tensor([0.0], requires_grad=True)
    assert autograd.grad(z.tanh().sum(), z)[0].item() == 1.0
    assert autograd.grad(z.sigmoid().sum(), z)[0].item() == 0.25


@SETTINGS
@given(depth=st.integers(1, 30), w=floats(-3, 3), b=floats(-2, 2), x=floats(-2, 2))
def test_ex5_1_chain_gradient_sigmoid_below_quarter_w_to_the_L_tanh_below_w_to_the_L(
        depth, w, b, x):
    """A chain of one-neuron layers a -> act(w a + b): d(output)/dx = prod_i w act'(z_i),
    so at most (|w|/4)^L for the sigmoid and |w|^L for tanh: tanh softens the
    vanishing gradient but, with |w| < 1, does not remove it (the notes' answer)."""
    for act, act_prime, cap in (("sigmoid", sigmoid_prime_np, 0.25),
                                ("tanh", lambda z: 1 - np.tanh(z) ** 2, 1.0)):
        layers = linear_layers([np.array([[w]])] * depth, [np.array([b])] * depth)
        xt = as_tensor([x], requires_grad=True)
        a, z_np, a_np = xt, [], x
        for layer in layers:
            a = getattr(layer(a), act)()
            z_np.append(w * a_np + b)
            a_np = sigmoid_np(z_np[-1]) if act == "sigmoid" else np.tanh(z_np[-1])
        (g,) = autograd.grad(a.sum(), xt)
        want = np.prod([w * act_prime(z) for z in z_np])
        np.testing.assert_allclose(g.item(), want, rtol=1e-9, atol=1e-300)
        assert abs(g.item()) <= (abs(w) * cap) ** depth * (1 + 1e-12)


@settings(deadline=None, max_examples=10)
@given(k=floats(1.05, 2.0), w=floats(0.8, 1.2), x=floats(-2, 2))
def test_ex5_1_other_half_f_prime_0_above_one_explodes(k, w, x):
    """The notes' other half of Ex 5.1: 'if f'(0) > 1, we might end up with the exploding
    gradient problem'. The chain of one-neuron layers a -> f(w a) with f(z) = k z (the deep
    linear chain of 5.1, f'(0) = k) has d(output)/dx = (w k)^L exactly, for every x; with
    f = k tanh (f'(0) = k) and x = 0 every z stays 0, so it is (w k)^L too. Whenever
    w k > 1 one more layer multiplies the gradient by w k: geometric growth with depth.
    From x = 1e-12 the k tanh chain's gradient is prod_i w k (1 - tanh(z_i)^2) (numpy), which
    stays within 1e-6 of (w k)^L while the z_i are small (depth 20: |z| < 2.4^20 1e-12 < 1e-4)."""
    activations = {"linear": (lambda z: z * k), "k tanh": (lambda z: z.tanh() * k)}
    for name, act in activations.items():
        start = x if name == "linear" else 0.0
        grads = {}
        for depth in (1, 2, 10, 40, 60):
            xt = as_tensor([start], requires_grad=True)
            a = xt
            for layer in linear_layers([np.array([[w]])] * depth):
                a = act(layer(a))
            (g,) = autograd.grad(a.sum(), xt)
            np.testing.assert_allclose(g.item(), (w * k) ** depth, rtol=1e-12)
            grads[depth] = g.item()
        np.testing.assert_allclose(grads[60] / grads[40], (w * k) ** 20, rtol=1e-12)
        if w * k > 1.1:
            assert grads[60] > 1.1 ** 60 > 300
    xt = as_tensor([1e-12], requires_grad=True)
    a, a_np, want = xt, 1e-12, 1.0
    for layer in linear_layers([np.array([[w]])] * 20):
        a = layer(a).tanh() * k
        z = w * a_np
        want *= w * k * (1 - np.tanh(z) ** 2)
        a_np = k * np.tanh(z)
    (g,) = autograd.grad(a.sum(), xt)
    np.testing.assert_allclose(g.item(), want, rtol=1e-12)
    np.testing.assert_allclose(g.item(), (w * k) ** 20, rtol=1e-6)


# ----- 5.2: the LSTM equations ------------------------------------------------------


# PyTorch's gate blocks (i, f, g, o) in the notes' names
GATE_BLOCKS = {"s": 0, "r": 1, "l": 2, "f": 3}


def notes_parameters(weight_ih, weight_hh, bias_ih, bias_hh):
    """Cut the library's stacked (4d, p) / (4d, d) weights into the notes' W_*, U_*, b_*
    under the mapping save = input, rem = forget, ltm' = candidate, focus = output."""
    d = weight_hh.shape[1]
    blk = {k: slice(i * d, (i + 1) * d) for k, i in GATE_BLOCKS.items()}
    W = {k: weight_ih[s] for k, s in blk.items()}
    U = {k: weight_hh[s] for k, s in blk.items()}
    b = {k: bias_ih[s] + bias_hh[s] for k, s in blk.items()}
    return W, U, b


@st.composite
def lstm_sizes(draw):
    return (draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 3)),
            draw(st.integers(1, 6)), draw(seeds))


@SETTINGS
@given(lstm_sizes())
def test_5_2_lstm_cell_equals_equations_5_1_to_5_6(sizes):
    """One step of nn.LSTMCell equals the notes' equations under rem = forget,
    save = input, ltm' = candidate, focus = output, ltm = cell, wm = hidden; the
    notes' W_r (and W_l, W_s, W_f) are d x p, as W_r x_t with x_t in R^p needs
    (erratum: the notes say p x d)."""
    p, d, batch, _, seed = sizes
    rng = np.random.default_rng(seed)
    cell = nn.LSTMCell(p, d, dtype=np.float64)
    params = [rng.uniform(-1, 1, q.shape) for q in
              (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    for q, v in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), params):
        q.data[...] = v
    W, U, b = notes_parameters(*params)
    assert all(W[k].shape == (d, p) and U[k].shape == (d, d) for k in W)
    x, wm, ltm = (rng.uniform(-2, 2, (batch, n)) for n in (p, d, d))
    h, c, gates = cell(as_tensor(x), (as_tensor(wm), as_tensor(ltm)), return_gates=True)
    for i in range(batch):
        wm_new, ltm_new, g = lstm_step_np(x[i], wm[i], ltm[i], W, U, b)
        np.testing.assert_allclose(h.data[i], wm_new, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c.data[i], ltm_new, rtol=1e-12, atol=1e-14)
        for name in ("rem", "save", "ltm_prime", "focus"):
            np.testing.assert_allclose(getattr(gates, name).data[i], g[name], rtol=1e-12,
                                       atol=1e-14)


@SETTINGS
@given(lstm_sizes())
def test_5_2_erratum_printed_w_r_shape_p_by_d_cannot_multiply_x_t(sizes):
    """The notes print W_r (and W_l) in R^{p x d}. Evaluated as printed, (5.1)'s W_r x_t
    with x_t in R^p is not defined when p != d: the library's matmul refuses the shapes
    (p, d) and (p,). The corrected W_r in R^{d x p} gives rem_t in R^d, the forget gate
    of nn.LSTMCell (whose weight_ih stacks four d x p blocks, as PyTorch's does)."""
    p, d, _, _, seed = sizes
    if p == d:
        d = p + 1
    rng = np.random.default_rng(seed)
    x, wm = rng.uniform(-2, 2, p), rng.uniform(-1, 1, d)
    U_r, b_r = rng.uniform(-1, 1, (d, d)), rng.uniform(-1, 1, d)
    printed = rng.uniform(-1, 1, (p, d))
    with pytest.raises(ValueError, match="matmul"):
        as_tensor(printed) @ as_tensor(x)
    cell = nn.LSTMCell(p, d, dtype=np.float64)
    assert cell.weight_ih.shape == (4 * d, p)
    W_r = printed.T                                    # in R^{d x p}
    with pytest.raises(ValueError):                    # the printed block does not fit either
        cell.weight_ih.data[d:2 * d] = printed
    cell.weight_ih.data[d:2 * d] = W_r
    cell.weight_hh.data[d:2 * d] = U_r
    cell.bias_ih.data[d:2 * d] = b_r
    cell.bias_hh.data[d:2 * d] = 0.0
    _, _, gates = cell(as_tensor(x[None]), (as_tensor(wm[None]), as_tensor(np.zeros((1, d)))),
                       return_gates=True)
    np.testing.assert_allclose(gates.rem.data[0], sigmoid_np(W_r @ x + U_r @ wm + b_r),
                               rtol=1e-12, atol=1e-14)


@SETTINGS
@given(lstm_sizes())
def test_5_2_lstm_sequence_unrolls_the_equations(sizes):
    """nn.LSTM over T steps from wm_0 = ltm_0 = 0 equals iterating eqs. 5.1-5.6: the
    output is wm_1..wm_T and (h_n, c_n) = (wm_T, ltm_T)."""
    p, d, batch, T, seed = sizes
    rng = np.random.default_rng(seed)
    lstm = nn.LSTM(p, d, dtype=np.float64)
    W, U, b = notes_parameters(lstm.weight_ih_l0.data, lstm.weight_hh_l0.data,
                               lstm.bias_ih_l0.data, lstm.bias_hh_l0.data)
    xs = rng.uniform(-2, 2, (T, batch, p))
    output, (h_n, c_n) = lstm(as_tensor(xs))
    for i in range(batch):
        wm, ltm = np.zeros(d), np.zeros(d)
        for t in range(T):
            wm, ltm, _ = lstm_step_np(xs[t, i], wm, ltm, W, U, b)
            np.testing.assert_allclose(output.data[t, i], wm, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h_n.data[0, i], wm, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c_n.data[0, i], ltm, rtol=1e-12, atol=1e-14)


@settings(deadline=None, max_examples=10)
@given(lstm_sizes())
def test_5_2_lstm_gradients_are_those_of_equations_5_1_to_5_6(sizes):
    """Autograd's gradient of sum(wm_T) after T steps with respect to the stacked input
    weights equals central differences of the notes' equations iterated in numpy."""
    p, d, _, T, seed = sizes
    T = min(T, 3)
    rng = np.random.default_rng(seed)
    lstm = nn.LSTM(p, d, dtype=np.float64)
    xs = rng.uniform(-2, 2, (T, 1, p))
    output, _ = lstm(as_tensor(xs))
    (g,) = autograd.grad(output[-1].sum(), lstm.weight_ih_l0)
    w_ih = lstm.weight_ih_l0.data.copy()
    rest = (lstm.weight_hh_l0.data, lstm.bias_ih_l0.data, lstm.bias_hh_l0.data)

    def final_wm_sum(w):
        W, U, b = notes_parameters(w, *rest)
        wm, ltm = np.zeros(d), np.zeros(d)
        for t in range(T):
            wm, ltm, _ = lstm_step_np(xs[t, 0], wm, ltm, W, U, b)
        return wm.sum()

    numeric = np.zeros_like(w_ih)
    for idx in np.ndindex(*w_ih.shape):
        e = np.zeros_like(w_ih)
        e[idx] = 1e-6
        numeric[idx] = (final_wm_sum(w_ih + e) - final_wm_sum(w_ih - e)) / 2e-6
    np.testing.assert_allclose(g.data, numeric, rtol=1e-6, atol=1e-8)
