"""Recurrent layers (nn/rnn.py, ops/recurrent.py): finite-difference gradients
of the cell, of the fused step op (first and second order) and of unrolled
sequences; the notes' LSTM equations 5.1-5.6 written by hand in numpy; long
sequences (no recursion, memory linear in length); shapes and shape errors."""
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.ops import recurrent
from tinygrad_nndl.testing import arrays

from notes.conftest import lstm_step_np, sigmoid_np as sigma   # tests/ is on sys.path


def leaf(*shape, scale=0.5, dtype=np.float64, rng=None):
    rng = rng or np.random.default_rng(sum(shape))
    return tg.Tensor(rng.standard_normal(shape) * scale, requires_grad=True, dtype=dtype)


def notes_lstm_step(cell, x, wm, ltm):
    """Eqs. 5.1-5.6 for one example (the notes' numpy reference, shared with
    tests/notes), with W_* in R^{d x p} (the erratum's shape; the notes print
    p x d) cut from PyTorch's layout: save = i, rem = f, ltm' = g, focus = o; the
    notes' single bias b_* = b_ih + b_hh."""
    d = cell.hidden_size
    W = {k: cell.weight_ih.data[j * d:(j + 1) * d] for j, k in enumerate("srlf")}
    U = {k: cell.weight_hh.data[j * d:(j + 1) * d] for j, k in enumerate("srlf")}
    bias = cell.bias_ih.data + cell.bias_hh.data
    b = {k: bias[j * d:(j + 1) * d] for j, k in enumerate("srlf")}
    assert W["r"].shape == (d, x.shape[0])
    wm, ltm, gates = lstm_step_np(x, wm, ltm, W, U, b)
    return wm, ltm, gates["rem"], gates["save"], gates["focus"], gates["ltm_prime"]


# ----- the notes' equations -------------------------------------------------------
@settings(max_examples=15)
@given(p=st.integers(1, 5), d=st.integers(1, 5), batch=st.integers(1, 3),
       seed=st.integers(0, 2 ** 16))
def test_cell_is_the_notes_equations(p, d, batch, seed):
    tg.manual_seed(seed)
    cell = nn.LSTMCell(p, d, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x, wm, ltm = (rng.standard_normal((batch, n)) for n in (p, d, d))
    h, c, gates = cell(tg.Tensor(x), (tg.Tensor(wm), tg.Tensor(ltm)), return_gates=True)
    for k in range(batch):
        wm1, ltm1, rem, save, focus, ltm_prime = notes_lstm_step(cell, x[k], wm[k], ltm[k])
        np.testing.assert_allclose(h.data[k], wm1, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c.data[k], ltm1, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gates.rem.data[k], rem, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gates.save.data[k], save, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gates.focus.data[k], focus, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gates.ltm_prime.data[k], ltm_prime, rtol=1e-12, atol=1e-12)


def test_lstm_is_the_notes_equations_iterated_over_time():
    """nn.LSTM = the notes' cell applied step after step, layer after layer."""
    lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3))
    h0, c0 = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))
    out, (h_n, c_n), gates = lstm(tg.Tensor(x), (tg.Tensor(h0), tg.Tensor(c0)),
                                  return_gates=True)
    cells = [nn.LSTMCell(3, 4, dtype=np.float64), nn.LSTMCell(4, 4, dtype=np.float64)]
    for k, cell in enumerate(cells):
        cell.load_state_dict({name: getattr(lstm, f"{name}_l{k}") for name in
                              ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    for b in range(2):
        seq = x[b]
        for k, cell in enumerate(cells):
            wm, ltm, outs = h0[k, b], c0[k, b], []
            for t in range(6):
                wm, ltm, rem, save, focus, _ = notes_lstm_step(cell, seq[t], wm, ltm)
                np.testing.assert_allclose(gates.rem.data[k, b, t], rem, rtol=1e-12)
                np.testing.assert_allclose(gates.focus.data[k, b, t], focus, rtol=1e-12)
                outs.append(wm)
            np.testing.assert_allclose(h_n.data[k, b], wm, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(c_n.data[k, b], ltm, rtol=1e-12, atol=1e-12)
            seq = np.array(outs)
        np.testing.assert_allclose(out.data[b], seq, rtol=1e-12, atol=1e-12)


# ----- finite differences ----------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
def test_step_op_gradcheck_and_gradgradcheck(bias):
    """The fused step op with respect to x_t, the packed state, [W_ih | W_hh]
    and b, first and second derivatives (the second through the gates
    recomputed as recorded ops), and the gates function on its own."""
    B, D, H = 2, 3, 2
    inputs = [leaf(B, D), leaf(B, 2 * H), leaf(4 * H, D + H), leaf(4 * H) if bias else None]
    assert gradcheck(recurrent.LSTMStep.apply, inputs)
    assert gradgradcheck(recurrent.LSTMStep.apply, inputs)
    assert gradcheck(recurrent.lstm_gates, inputs)


def test_projected_step_op_gradcheck_and_gradgradcheck():
    """nn.LSTM's step op, reading step t of the input projection P, with
    respect to P, the packed state and W_hh, first and second derivatives."""
    T, B, H = 3, 2, 2
    inputs = [leaf(T, B, 4 * H), leaf(B, 2 * H), leaf(4 * H, H)]
    for t in (0, 2, -1):
        def step(P, state, w_hh):
            return recurrent.LSTMProjectedStep.apply(P, state, w_hh, t=t)
        assert gradcheck(step, inputs)
        assert gradgradcheck(step, inputs)
    assert gradcheck(recurrent.lstm_projected_gates, [leaf(B, 4 * H)] + inputs[1:])


@pytest.mark.parametrize("block", [recurrent.WM, recurrent.LTM])
def test_stacked_blocks_op_is_the_blocks_stacked_with_their_gradients(block):
    """nn.LSTM's output op: block k of each packed state, stacked (T, B, H); each
    state gets back its own rows of the gradient in that block and zero in the
    other, first and second derivatives."""
    B, H = 2, 3
    states = [leaf(B, 2 * H, rng=np.random.default_rng(t)) for t in range(4)]

    def stacked(*s):
        return recurrent.StackedBlocks.apply(*s, block=block, hidden=H)
    np.testing.assert_array_equal(stacked(*states).data,
                                  np.stack([s.data[:, block * H:(block + 1) * H] for s in states]))
    g = np.random.default_rng(9).standard_normal((4, B, H))
    stacked(*states).backward(tg.tensor(g))
    for t, s in enumerate(states):
        want = np.zeros((B, 2 * H))
        want[:, block * H:(block + 1) * H] = g[t]
        np.testing.assert_array_equal(s.grad.data, want)
    assert gradcheck(stacked, states)
    assert gradgradcheck(stacked, states)


def test_step_op_backward_is_delta_and_bp2_to_bp4():
    """The step's gradients in closed form, with delta = dC/dz the error of the
    gates' pre-activations z = [x, wm_{t-1}] w^T + b (the notes' equations
    differentiated by hand): dC/dw = delta^T [x, wm_{t-1}] (BP4), dC/db = sum
    of delta (BP3), dC/d[x, wm_{t-1}] = delta w (BP2), dC/dltm_{t-1} through rem."""
    B, D, H = 3, 4, 2
    x, state, w, b = leaf(B, D), leaf(B, 2 * H), leaf(4 * H, D + H), leaf(4 * H)
    # delta by hand for C = sum(wm_t) + sum(ltm_t), from the gates of eqs. 5.1-5.5.
    xh = np.concatenate([x.data, state.data[:, :H]], axis=1)
    z = xh @ w.data.T + b.data
    save, rem, cand, focus = sigma(z[:, :H]), sigma(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), \
        sigma(z[:, 3 * H:])
    ltm = rem * state.data[:, H:] + save * cand
    g_ltm = 1 + focus * (1 - np.tanh(ltm) ** 2)
    delta = np.concatenate([g_ltm * cand * save * (1 - save),
                            g_ltm * state.data[:, H:] * rem * (1 - rem),
                            g_ltm * save * (1 - cand ** 2),
                            np.tanh(ltm) * focus * (1 - focus)], axis=1)
    recurrent.LSTMStep.apply(x, state, w, b).sum().backward()
    np.testing.assert_allclose(w.grad.data, delta.T @ xh, rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, delta.sum(0), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, delta @ w.data[:, :D], rtol=1e-12)
    np.testing.assert_allclose(state.grad.data, np.concatenate(
        [delta @ w.data[:, D:], g_ltm * rem], axis=1), rtol=1e-12)


@pytest.mark.parametrize("dense_use", ["before", "between", "after", "none"])
def test_a_weight_shared_by_steps_sums_its_deferred_gradients(dense_use):
    """dC/dW_hh of the steps is left as a ProductSum that the engine merges over
    the steps and evaluates in one matmul; mixed with an ordinary (dense)
    gradient of the same weight, arriving before, between or after the steps'."""
    T, B, H = 3, 2, 2
    def f(P, state, w_hh):
        extra = (w_hh * w_hh).sum() if dense_use != "none" else 0
        out = (w_hh.sum() * 0.5) if dense_use == "before" else 0
        for t in range(T):
            state = recurrent.LSTMProjectedStep.apply(P, state, w_hh, t=t)
            if dense_use == "between" and t == 1:
                state = state + w_hh[:1, :1]
        return (state * state).sum() + out + extra
    inputs = [leaf(T, B, 4 * H), leaf(B, 2 * H), leaf(4 * H, H)]
    assert gradcheck(f, inputs)
    with tg.autograd.detect_anomaly():    # anomaly mode evaluates deferred gradients early
        f(*inputs).backward()
    expected = tg.autograd.grad(f(*inputs), inputs[2])[0]
    np.testing.assert_allclose(inputs[2].grad.data, expected.data, rtol=1e-12)


def test_a_float32_weight_gets_a_float32_gradient_from_float64_steps():
    T, B, H = 2, 2, 2
    P, state = leaf(T, B, 4 * H), leaf(B, 2 * H)
    w_hh = tg.Tensor(np.random.default_rng(0).standard_normal((4 * H, H)).astype(np.float32),
                     requires_grad=True)
    w64 = tg.Tensor(w_hh.data.astype(np.float64), requires_grad=True)
    for w in (w_hh, w64):
        out = state
        for t in range(T):
            out = recurrent.LSTMProjectedStep.apply(P, out, w, t=t)
        out.sum().backward()
    assert w_hh.grad.dtype == np.float32
    np.testing.assert_allclose(w_hh.grad.data, w64.grad.data, rtol=1e-6)


def test_projected_step_equals_the_full_step_and_its_input_gradient_is_delta():
    """With P[t] = x W_ih^T + b, the projected step t gives the full step's
    state and gradients; dC/dP is the full step's delta at step t and zero at
    the other steps, so dC/db is its sum over the batch (BP3) and dC/dx =
    delta W_ih (BP2)."""
    T, t, B, D, H = 4, 2, 3, 4, 2
    x, state, w_ih, w_hh, b = leaf(B, D), leaf(B, 2 * H), leaf(4 * H, D), leaf(4 * H, H), \
        leaf(4 * H)
    out = recurrent.LSTMStep.apply(x, state, tg.cat([w_ih, w_hh], dim=1), b)
    P = np.random.default_rng(2).standard_normal((T, B, 4 * H))
    P[t] = x.data @ w_ih.data.T + b.data
    P = tg.Tensor(P, requires_grad=True)
    s2, w2 = tg.Tensor(state.data, requires_grad=True), tg.Tensor(w_hh.data, requires_grad=True)
    out2 = recurrent.LSTMProjectedStep.apply(P, s2, w2, t=t)
    np.testing.assert_allclose(out2.data, out.data, rtol=1e-12)
    g = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(tg.Tensor(g))
    out2.backward(tg.Tensor(g))
    np.testing.assert_allclose(s2.grad.data, state.grad.data, rtol=1e-12)
    np.testing.assert_allclose(w2.grad.data, w_hh.grad.data, rtol=1e-12)
    delta = P.grad.data[t]
    np.testing.assert_allclose(delta.sum(0), b.grad.data, rtol=1e-12)
    np.testing.assert_allclose(delta @ w_ih.data, x.grad.data, rtol=1e-12)
    assert not np.delete(P.grad.data, t, axis=0).any()


def test_projected_step_rejects_mismatched_shapes_naming_them():
    T, B, H = 5, 2, 3
    P, state, w_hh = tg.zeros(T, B, 4 * H), tg.zeros(B, 2 * H), tg.zeros(4 * H, H)
    for bad, shape in [((tg.zeros(T, B, 4 * H + 1), state, w_hh), "(5, 2, 13)"),
                       ((tg.zeros(T, B + 1, 4 * H), state, w_hh), "(5, 3, 12)"),
                       ((tg.zeros(B, 4 * H), state, w_hh), "(2, 12)"),
                       ((P, tg.zeros(B, 2 * H + 2), w_hh), "(2, 8)"),
                       ((P, state, tg.zeros(4 * H, H + 1)), "(12, 4)"),
                       ((P, state, tg.zeros(4 * H)), "(12,)")]:
        with pytest.raises(ValueError, match=r"lstmprojectedstep: expected a projection") as e:
            recurrent.LSTMProjectedStep.apply(*bad, t=0)
        assert shape in str(e.value)
    with pytest.raises(IndexError, match=r"lstmprojectedstep: step t=5 is outside P's 5 steps"):
        recurrent.LSTMProjectedStep.apply(P, state, w_hh, t=5)
    for t in ({}, {"t": 1.0}, {"t": slice(0, 1)}):
        with pytest.raises(ValueError, match=r"lstmprojectedstep: expected the step as an integer"):
            recurrent.LSTMProjectedStep.apply(P, state, w_hh, **t)


def test_step_op_rejects_mismatched_shapes_naming_them():
    B, D, H = 2, 5, 3
    x, state, w = tg.zeros(B, D), tg.zeros(B, 2 * H), tg.zeros(4 * H, D + H)
    for bad, shape in [((tg.zeros(B, D + 1), state, w, None), "(2, 6)"),
                       ((x, tg.zeros(B + 1, 2 * H), w, None), "(3, 6)"),
                       ((x, state, tg.zeros(4 * H + 1, D + H), None), "(13, 8)"),
                       ((x, state, w, tg.zeros(1)), "(1,)")]:
        with pytest.raises(ValueError, match=r"lstmstep: expected x \(batch, D\)") as e:
            recurrent.LSTMStep.apply(*bad)
        assert shape in str(e.value)


@pytest.mark.parametrize("batched", [True, False])
def test_lstm_cell_gradcheck(batched):
    cell = nn.LSTMCell(3, 4, dtype=np.float64)
    lead = (2,) if batched else ()
    x, h, c = leaf(*lead, 3), leaf(*lead, 4), leaf(*lead, 4)
    assert gradcheck(lambda x, h, c, *ps: cell(x, (h, c)), [x, h, c, *cell.parameters()])


@pytest.mark.parametrize("batch_first", [False, True])
def test_unrolled_lstm_gradcheck(batch_first):
    """Five steps, two layers: BPTT by the engine equals finite differences for
    the inputs, the initial state and every parameter."""
    lstm = nn.LSTM(3, 3, num_layers=2, batch_first=batch_first, dtype=np.float64)
    x = leaf(2, 5, 3) if batch_first else leaf(5, 2, 3)
    h0, c0 = leaf(2, 2, 3), leaf(2, 2, 3, scale=1.0)

    def run(x, h0, c0, *params):
        out, (h_n, c_n) = lstm(x, (h0, c0))
        return out, h_n, c_n
    assert gradcheck(run, [x, h0, c0, *lstm.parameters()])


@pytest.mark.parametrize("use", ["c_n", "h_n", "one output step"])
def test_lstm_gradient_from_one_block_of_the_state(use):
    """A loss on c_n alone (or h_n, or one step's output) reaches the steps as
    one block of the packed state's gradient, the other block absent (zero):
    BPTT by the engine still equals finite differences, for the initial state
    too (its gradient passes through the concatenation that packs it)."""
    lstm = nn.LSTM(3, 2, dtype=np.float64)
    x, h0, c0 = leaf(4, 2, 3), leaf(1, 2, 2), leaf(1, 2, 2)

    def run(x, h0, c0, *params):
        out, (h_n, c_n) = lstm(x, (h0, c0))
        return {"c_n": c_n, "h_n": h_n, "one output step": out[1]}[use]
    assert gradcheck(run, [x, h0, c0, *lstm.parameters()])


@pytest.mark.parametrize("make", [nn.LSTM, nn.GRU])
def test_a_recurrent_weight_used_twice_gets_each_use_once(make):
    """The steps' lazy sum for weight_hh passes unchanged through an addition
    to both of its inputs; a gradient that reaches one of them later (a penalty
    computed before the forward) must not leak into the other."""
    rnn = make(3, 2, dtype=np.float64)
    base = rnn.weight_hh_l0
    delta = tg.tensor(np.zeros(base.shape), requires_grad=True)
    x = tg.tensor(np.random.default_rng(1).standard_normal((5, 2, 3)))
    penalty = (base * base).sum()
    rnn.weight_hh_l0 = base + delta
    out, _ = rnn(x)
    (out.sum() + penalty).backward()
    np.testing.assert_allclose(base.grad.data, delta.grad.data + 2 * base.data, atol=1e-12)


def test_unrolled_lstm_gradgradcheck():
    """Second derivatives through three steps (the op's backward recorded under
    create_graph, then differentiated again)."""
    lstm = nn.LSTM(2, 2, dtype=np.float64)
    x, h0, c0 = leaf(3, 1, 2), leaf(1, 1, 2), leaf(1, 1, 2)

    def run(x, h0, c0, *params):
        out, (h_n, c_n) = lstm(x, (h0, c0))
        return out, c_n
    assert gradgradcheck(run, [x, h0, c0, *lstm.parameters()])


def test_rnn_and_rnn_cell_gradcheck():
    rnn = nn.RNN(2, 3, num_layers=2, dtype=np.float64)
    x, h0 = leaf(5, 2, 2), leaf(2, 2, 3)
    assert gradcheck(lambda x, h0, *ps: rnn(x, h0), [x, h0, *rnn.parameters()])
    cell = nn.RNNCell(2, 3, nonlinearity="relu", dtype=np.float64)
    x, h = leaf(2, 2), leaf(2, 3)
    assert gradcheck(lambda x, h, *ps: cell(x, h), [x, h, *cell.parameters()])


def test_lstm_without_bias_gradcheck():
    lstm = nn.LSTM(2, 2, bias=False, dtype=np.float64)
    assert [n for n, _ in lstm.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    x = leaf(4, 1, 2)
    assert gradcheck(lambda x, *ps: lstm(x)[0], [x, *lstm.parameters()])


def op_counts(*roots):
    """How many nodes of each op type the graph of ``roots`` holds."""
    counts, seen, stack = {}, set(), [t.grad_fn for t in roots]
    while stack:
        node = stack.pop()
        if node is None or node in seen or not hasattr(node, "needs"):   # AccumulateGrad
            continue
        seen.add(node)
        name = type(node).__name__
        counts[name] = counts.get(name, 0) + 1
        stack.extend(n for n, _ in node.next_functions)
    return counts


@pytest.mark.parametrize("batch_first", [False, True])
def test_one_step_op_per_step_and_layer(batch_first):
    """The input projection is one SequenceProjection node per layer, before the loop, a
    step is one node (T * layers LSTMProjectedStep nodes, no matmul or per-gate
    ops), and a layer's outputs are one more; LSTMCell runs the full step op once,
    its projection included."""
    T, layers = 7, 3
    x = tg.randn(*((2, T, 3) if batch_first else (T, 2, 3)), requires_grad=True)
    out, (h, c) = nn.LSTM(3, 4, num_layers=layers, batch_first=batch_first)(x)
    counts = op_counts(out, h, c)
    assert counts["LSTMProjectedStep"] == T * layers and counts["SequenceProjection"] == layers
    # each layer's outputs in one node, not a view a step; h_n and c_n: each layer's
    # last wm and ltm (a view each), concatenated over the layers
    assert counts["StackedBlocks"] == layers and counts["StateBlock"] == 2 * layers
    assert counts["Cat"] == 2
    assert not {"LSTMStep", "Linear", "MatMul", "Sigmoid", "Tanh", "Mul"} & counts.keys()
    counts = op_counts(*nn.LSTMCell(3, 4)(tg.randn(2, 3, requires_grad=True)))
    assert counts["LSTMStep"] == 1 and "Linear" not in counts


def test_a_step_keeps_its_gates_as_views_of_one_array():
    """What an LSTM step keeps for backward besides tanh(ltm_t): the four gates as
    blocks of its one (B, 4H) pre-activation array, computed in place (the
    memory a training step holds until backward)."""
    T, B, H = 3, 2, 4
    out, _ = nn.LSTM(3, H)(tg.randn(T, B, 3))
    steps, seen, stack = [], set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, recurrent.LSTMProjectedStep):
            steps.append(node)
        stack.extend(n for n, _ in node.next_functions if n is not None)
    assert len(steps) == T
    for step in steps:
        *gates, tanh_ltm = step.saved
        z = gates[0].base
        assert z.shape == (B, 4 * H) and z.base is None
        assert all(g.base is z for g in gates) and tanh_ltm.shape == (B, H)
        for k, g in enumerate(gates):
            np.testing.assert_array_equal(g, z[:, k * H:(k + 1) * H])


def test_a_step_sends_back_a_wider_gradient_in_its_own_dtype():
    """A float64 gradient reaching a float32 step keeps float64 through the step's
    backward (numpy's promotion, as in every op): its error delta is not rounded
    to the gates' dtype on the way."""
    T, B, H = 2, 3, 4
    rng = np.random.default_rng(0)
    P, state, w_hh = (tg.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
                      for s in ((T, B, 4 * H), (B, 2 * H), (4 * H, H)))
    out = recurrent.LSTMProjectedStep.apply(P, state, w_hh, t=1)
    g = rng.standard_normal((B, 2 * H))
    node = out.grad_fn
    wide = node.backward(g, node.out, *node.arrays)
    narrow = node.backward(g.astype(np.float32), node.out, *node.arrays)
    for a, b in zip(wide, narrow):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == np.float64 and b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_an_in_place_op_on_the_lstm_output_is_recorded_as_in_pytorch():
    """nn.LSTM's output is its own op's result (as PyTorch's is), not a view of
    another tensor of the graph: an in-place op on it is recorded, with the
    gradients of the same op out of place."""
    lstm = nn.LSTM(3, 4, dtype=np.float64)
    x = leaf(5, 2, 3)
    out, _ = lstm(x)
    out.mul_(2)
    (out * out).sum().backward()
    in_place = [x.grad.data.copy()] + [p.grad.data.copy() for p in lstm.parameters()]
    x.grad = None
    lstm.zero_grad()
    out, _ = lstm(x)
    ((out * 2) * (out * 2)).sum().backward()
    for a, b in zip(in_place, [x.grad.data] + [p.grad.data for p in lstm.parameters()]):
        np.testing.assert_array_equal(a, b)


# ----- long sequences ------------------------------------------------------------
def test_thousand_steps_backward_needs_no_recursion():
    """A 1,000-step, 2-layer LSTM: forward, backward and freeing an unused
    graph all run under a recursion limit of 100."""
    lstm = nn.LSTM(3, 8, num_layers=2)
    x = tg.Tensor(np.random.default_rng(0).standard_normal((1000, 2, 3)).astype(np.float32),
                  requires_grad=True)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100)
    try:
        out, (h_n, c_n) = lstm(x)
        (out.sum() + c_n.sum()).backward()
        unused, _ = lstm(x)
        del unused
    finally:
        sys.setrecursionlimit(limit)
    assert out.shape == (1000, 2, 8)
    assert np.isfinite(x.grad.data).all() and x.grad.data.any()
    for p in lstm.parameters():
        assert p.grad is not None and np.isfinite(p.grad.data).all()


def _peak_bytes(steps):
    lstm = nn.LSTM(4, 16)
    x = tg.Tensor(np.random.default_rng(0).standard_normal((steps, 4, 4)).astype(np.float32))
    tracemalloc.start()
    try:
        out, _ = lstm(x)
        out.sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_grows_linearly_with_length():
    """BPTT keeps one packed state per step: 4x the steps, about 4x the memory."""
    ratio = _peak_bytes(400) / _peak_bytes(100)
    assert 3.0 < ratio < 5.0, ratio


# ----- shapes ----------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_shapes(batch_first):
    lstm = nn.LSTM(3, 5, num_layers=2, batch_first=batch_first)
    x = tg.randn(4, 7, 3)              # (T, B) = (4, 7), or (B, T) = (4, 7)
    out, (h, c) = lstm(x)
    assert out.shape == (4, 7, 5) and out.dtype == np.float32
    batch = 4 if batch_first else 7
    assert h.shape == c.shape == (2, batch, 5)
    # the last output is the top layer's final hidden state
    last = out.data[:, -1] if batch_first else out.data[-1]
    np.testing.assert_array_equal(last, h.data[-1])


def test_unbatched_input_equals_a_batch_of_one():
    lstm = nn.LSTM(3, 4, num_layers=2)
    x, h0, c0 = tg.randn(6, 3), tg.randn(2, 4), tg.randn(2, 4)
    out, (h, c), gates = lstm(x, (h0, c0), return_gates=True)
    assert out.shape == (6, 4) and h.shape == c.shape == (2, 4)
    assert gates.rem.shape == (2, 6, 4)
    out1, (h1, c1) = lstm(x.reshape(6, 1, 3), (h0.reshape(2, 1, 4), c0.reshape(2, 1, 4)))
    np.testing.assert_allclose(out.data, out1.data[:, 0], rtol=1e-6)
    np.testing.assert_allclose(c.data, c1.data[:, 0], rtol=1e-6)
    cell = nn.LSTMCell(3, 4)
    h, c = cell(x[0])
    hb, cb = cell(x[0].reshape(1, 3))
    assert h.shape == (4,)
    np.testing.assert_allclose(h.data, hb.data[0], rtol=1e-6)
    rnn = nn.RNN(3, 4)
    out, h = rnn(x)
    assert out.shape == (6, 4) and h.shape == (1, 4)


def test_gates_layout_follows_batch_first():
    lstm = nn.LSTM(2, 3, num_layers=2, batch_first=True)
    out, _, gates = lstm(tg.randn(5, 4, 2), return_gates=True)
    for g in gates:
        assert g.shape == (2, 5, 4, 3) and not g.requires_grad
    assert (gates.rem.data > 0).all() and (gates.rem.data < 1).all()
    assert (np.abs(gates.ltm_prime.data) < 1).all()


def test_empty_sequence_returns_the_initial_state():
    lstm = nn.LSTM(2, 3)
    h0, c0 = tg.randn(1, 4, 3), tg.randn(1, 4, 3)
    out, (h, c) = lstm(tg.zeros(0, 4, 2), (h0, c0))
    assert out.shape == (0, 4, 3)
    np.testing.assert_array_equal(h.data, h0.data)
    np.testing.assert_array_equal(c.data, c0.data)


def test_pytorch_parameter_names_shapes_and_init():
    lstm = nn.LSTM(3, 5, num_layers=2)
    shapes = {"weight_ih_l0": (20, 3), "weight_hh_l0": (20, 5), "bias_ih_l0": (20,),
              "bias_hh_l0": (20,), "weight_ih_l1": (20, 5), "weight_hh_l1": (20, 5),
              "bias_ih_l1": (20,), "bias_hh_l1": (20,)}
    assert [(n, p.shape) for n, p in lstm.state_dict().items()] == list(shapes.items())
    rnn = nn.RNN(3, 5, num_layers=2)
    assert {n: p.shape for n, p in rnn.state_dict().items()} == {
        n: (s[0] // 4,) + s[1:] for n, s in shapes.items()}
    cell = nn.LSTMCell(3, 5)
    assert [(n, p.shape) for n, p in cell.state_dict().items()] == [
        ("weight_ih", (20, 3)), ("weight_hh", (20, 5)), ("bias_ih", (20,)), ("bias_hh", (20,))]


@pytest.mark.parametrize("make", [lambda: nn.LSTM(3, 64, num_layers=2), lambda: nn.RNN(3, 64),
                                  lambda: nn.LSTMCell(3, 64), lambda: nn.RNNCell(3, 64)])
def test_init_is_uniform_within_one_over_sqrt_hidden(make):
    """PyTorch's init, U(-1/sqrt(H), 1/sqrt(H)) for all: mean 0, std bound/sqrt(3)."""
    values = np.concatenate([p.data.ravel() for p in make().parameters()])
    bound = 1 / np.sqrt(64)
    assert np.abs(values).max() <= bound
    assert abs(values.mean()) < 0.05 * bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.05 * bound


def test_saturating_inputs_stay_finite_without_warnings():
    """Pre-activations of +-1e4 saturate the gates; nothing overflows (warnings are errors)."""
    lstm = nn.LSTM(2, 3)
    x = tg.Tensor(np.array([[[1e4, -1e4]], [[-1e4, 1e4]], [[1e4, 1e4]]], dtype=np.float32),
                  requires_grad=True)
    out, (h, c) = lstm(x)
    (out.sum() + c.sum()).backward()
    assert np.isfinite(out.data).all() and (np.abs(out.data) <= 1).all()
    assert np.isfinite(x.grad.data).all()


@settings(max_examples=10)
@given(arrays(shape=(3, 2, 2), min_value=-3, max_value=3))
def test_lstm_float32_matches_float64(x):
    """float32 by default; the same model in float64 agrees to float32 precision."""
    tg.manual_seed(0)
    lstm = nn.LSTM(2, 3)
    lstm64 = nn.LSTM(2, 3, dtype=np.float64)
    lstm64.load_state_dict(lstm.state_dict())
    out32, _ = lstm(tg.Tensor(x.astype(np.float32)))
    out64, _ = lstm64(tg.Tensor(x))
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    np.testing.assert_allclose(out32.data, out64.data, atol=1e-5)


# ----- shape errors ----------------------------------------------------------------
@pytest.fixture
def no_step(monkeypatch):
    """Fails the test if the step op runs: shape errors must come before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the LSTM step ran before the shapes were checked")
    monkeypatch.setattr(recurrent.LSTMStep, "apply", refuse)
    monkeypatch.setattr(recurrent.LSTMProjectedStep, "apply", refuse)


@pytest.mark.parametrize("make_args, expected, got", [
    (lambda: (tg.randn(5, 2, 4),), "3 features", "(5, 2, 4)"),                 # feature size
    (lambda: (tg.randn(5, 2, 3), (tg.zeros(2, 3, 6), tg.zeros(2, 2, 6))),
     "(2, 2, 6)", "(2, 3, 6)"),                                                 # batch of h0
    (lambda: (tg.randn(5, 2, 3), (tg.zeros(2, 2, 6), tg.zeros(2, 3, 6))),
     "(2, 2, 6)", "(2, 3, 6)"),                                                 # batch of c0
    (lambda: (tg.randn(5, 2, 3), (tg.zeros(1, 2, 6), tg.zeros(1, 2, 6))),
     "(2, 2, 6)", "(1, 2, 6)"),                                                 # layers of h0
    (lambda: (tg.randn(5, 2, 3), (tg.zeros(2, 2, 5), tg.zeros(2, 2, 5))),
     "(2, 2, 6)", "(2, 2, 5)"),                                                 # hidden of h0
    (lambda: (tg.randn(5, 3), (tg.zeros(2, 1, 6), tg.zeros(2, 1, 6))),
     "(2, 6)", "(2, 1, 6)"),                                                    # unbatched
    (lambda: (tg.randn(3),), "(seq, batch, features)", "(3,)"),               # ndim
])
def test_lstm_shape_errors_name_expected_and_actual(no_step, make_args, expected, got):
    lstm = nn.LSTM(3, 6, num_layers=2)
    with pytest.raises(ValueError) as e:
        lstm(*make_args())
    assert "LSTM" in str(e.value) and expected in str(e.value) and got in str(e.value)


def test_batch_first_batch_mismatch_names_both_shapes(no_step):
    lstm = nn.LSTM(3, 6, batch_first=True)
    with pytest.raises(ValueError, match=r"\(1, 4, 6\).*\(4, 5, 3\).*\(1, 5, 6\)"):
        lstm(tg.randn(4, 5, 3), (tg.zeros(1, 5, 6), tg.zeros(1, 5, 6)))


def test_cell_and_rnn_shape_errors(no_step):
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"\(batch, 3\).*\(2, 5\)"):
        cell(tg.randn(2, 5))
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(3, 4\)"):
        cell(tg.randn(2, 3), (tg.zeros(3, 4), tg.zeros(2, 4)))
    with pytest.raises(TypeError, match="pair"):
        cell(tg.randn(2, 3), tg.zeros(2, 4))
    rnn = nn.RNN(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"\(2, 2, 4\).*\(1, 2, 4\)"):
        rnn(tg.randn(5, 2, 3), tg.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"3 features.*\(5, 2, 2\)"):
        rnn(tg.randn(5, 2, 2))
    with pytest.raises(TypeError, match="floating"):
        rnn(tg.zeros(5, 2, 3, dtype=np.int64))
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\]"):
        nn.LSTM(3, 4, 2, dropout=1.5)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
