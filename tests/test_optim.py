"""Optimizers and schedules (optim/): SGD and Adam against PyTorch's update
rules written out in numpy, the book's L2 rescaling three ways, parameter
groups, state dicts, and ReduceLROnPlateau's halving."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.nn import functional as F
from tinygrad_nndl.optim.lr_scheduler import ReduceLROnPlateau, StepLR


# ----- a problem whose gradient is known in closed form ------------------------
class Quadratic:
    """f(w) = 1/2 ||A w - b||^2 summed over two parameters w1 (3, 2) and w2 (2,),
    with gradient A^T (A w - b) computed in numpy, independently of autograd."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.A1, self.b1 = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
        self.A2, self.b2 = rng.standard_normal((3, 2)), rng.standard_normal(3)
        self.w0 = [rng.standard_normal((3, 2)), rng.standard_normal(2)]

    def loss(self, w1, w2):
        r1 = tg.tensor(self.A1) @ w1 - tg.tensor(self.b1)
        r2 = tg.tensor(self.A2) @ w2 - tg.tensor(self.b2)
        return 0.5 * ((r1 * r1).sum() + (r2 * r2).sum())

    def grads(self, w1, w2):
        return [self.A1.T @ (self.A1 @ w1 - self.b1), self.A2.T @ (self.A2 @ w2 - self.b2)]


def reference_sgd(problem, steps, lr, momentum=0.0, dampening=0.0, nesterov=False,
                  weight_decay=0.0, maximize=False):
    """torch.optim.SGD's documented algorithm, step by step."""
    w = [x.copy() for x in problem.w0]
    bufs = [None, None]
    for _ in range(steps):
        for i, g in enumerate(problem.grads(*w)):
            g = -g if maximize else g
            if weight_decay:
                g = g + weight_decay * w[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            w[i] = w[i] - lr * g
    return w


def reference_adam(problem, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False):
    """torch.optim.Adam's documented algorithm (bias-corrected moments)."""
    b1, b2 = betas
    w = [x.copy() for x in problem.w0]
    m = [np.zeros_like(x) for x in w]
    v = [np.zeros_like(x) for x in w]
    vmax = [np.zeros_like(x) for x in w]
    for t in range(1, steps + 1):
        for i, g in enumerate(problem.grads(*w)):
            if weight_decay:
                g = g + weight_decay * w[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vmax[i] = np.maximum(vmax[i], v[i])
            v_hat = (vmax[i] if amsgrad else v[i]) / (1 - b2 ** t)
            w[i] = w[i] - lr * (m[i] / (1 - b1 ** t)) / (np.sqrt(v_hat) + eps)
    return w


def run(problem, make_optimizer, steps):
    params = [tg.tensor(x, requires_grad=True) for x in problem.w0]
    opt = make_optimizer(params)
    for _ in range(steps):
        opt.zero_grad()
        problem.loss(*params).backward()
        opt.step()
    return [p.data for p in params], opt


SGD_OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.02, momentum=0.9),
    dict(lr=0.02, momentum=0.9, dampening=0.3, weight_decay=0.01),
    dict(lr=0.02, momentum=0.8, nesterov=True),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.05),
    dict(lr=0.01, maximize=True),
]


@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_sgd_equals_pytorch_rule(options):
    problem = Quadratic(0)
    got, _ = run(problem, lambda ps: optim.SGD(ps, **options), 7)
    want = reference_sgd(problem, 7, **options)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [dict(lr=0.01), dict(lr=0.05, betas=(0.8, 0.99)),
                                     dict(lr=0.01, weight_decay=0.1, eps=1e-6),
                                     dict(lr=0.02, amsgrad=True)])
def test_adam_equals_pytorch_rule(options):
    problem = Quadratic(1)
    got, opt = run(problem, lambda ps: optim.Adam(ps, **options), 9)
    want = reference_adam(problem, 9, **options)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    assert all(s["step"] == 9 for s in opt.state.values())


@settings(max_examples=20, deadline=None)
@given(st.floats(1e-3, 0.5), st.floats(0, 0.95), st.floats(0, 0.5), st.booleans(),
       st.floats(0, 0.2), st.integers(0, 2**31 - 1))
def test_sgd_equals_pytorch_rule_for_any_options(lr, momentum, dampening, nesterov, wd, seed):
    if nesterov and (momentum == 0 or dampening):
        nesterov = False
    options = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=wd)
    problem = Quadratic(seed)
    got, _ = run(problem, lambda ps: optim.SGD(ps, **options), 4)
    for g, w in zip(got, reference_sgd(problem, 4, **options)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)


def test_float32_parameters_stay_float32():
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
                 lambda ps: optim.Adam(ps, lr=0.1)):
        p = tg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        opt = make([p])
        (p * p).sum().backward()
        opt.step()
        assert p.dtype == np.float32


def test_step_updates_in_place_and_skips_parameters_without_grad():
    a = nn.Parameter(np.ones(2))
    b = nn.Parameter(np.ones(2))
    buffer = a.data
    opt = optim.SGD([a, b], lr=0.5)
    (a * 3).sum().backward()
    opt.step()
    assert a.data is buffer
    np.testing.assert_array_equal(a.data, [-0.5, -0.5])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])


def test_closure_is_evaluated_with_grad_enabled():
    w = tg.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_array_equal(w.data, [1.0])   # 2 - 0.25 * 4


# ----- the book's L2 regularization, three ways --------------------------------
def _book_network(seed):
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.Sigmoid(), nn.Linear(5, 3), nn.Sigmoid()).double()


def _batches(seed, steps, m):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((m, 4)), rng.uniform(0, 1, (m, 3))) for _ in range(steps)]


@pytest.mark.parametrize("lr, wd", [(1e-3, 1e-5), (1e-2, 1e-5), (0.1, 5e-4)])
def test_small_weight_decay_survives_float32_rounding(lr, wd):
    """Over 2000 float32 steps SGD with weight decay stays within rounding of
    w -= lr (g + wd w) computed in float64: the decay is applied together with
    the gradient, not as a factor 1 - lr wd rounded to float32 on its own
    (which loses a small decay, or scales it by 1.19)."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(1000).astype(np.float32)
    p = tg.tensor(w0.copy(), requires_grad=True)
    opt = optim.SGD([p], lr=lr, weight_decay=wd)
    ref = w0.astype(np.float64)
    for _ in range(2000):
        g = (rng.standard_normal(1000) * 1e-3).astype(np.float32)
        p.grad = tg.tensor(g)
        opt.step()
        ref -= lr * (g + wd * ref)
    assert np.abs(p.data - ref).max() < 1e-5


@pytest.mark.parametrize("steps", [1, 5])
def test_book_l2_rescaling_is_weight_decay_is_l2_penalty(steps):
    """Eq. 93: w -> (1 - eta lambda/n) w - (eta/m) sum_x dC_x/dw, biases
    unregularized (eq. 94). Computed three ways: by hand from the unregularized
    gradient; as SGD with weight_decay=lambda/n on the weights; as plain SGD on
    the cost plus l2_penalty(weights, lambda/n)."""
    eta, lam, n, m = 0.5, 5.0, 1000, 10
    batches = _batches(7, steps, m)

    def weights(net):
        return [p for name, p in net.named_parameters() if name.endswith("weight")]

    def biases(net):
        return [p for name, p in net.named_parameters() if name.endswith("bias")]

    # 1. The book's formula, applied by hand with numpy.
    by_hand = _book_network(3)
    for x, y in batches:
        by_hand.zero_grad()
        # quadratic_cost = (1/m) sum_x C_x, so its gradient is (1/m) sum_x dC_x/dw.
        F.quadratic_cost(by_hand(tg.tensor(x)), y).backward()
        with tg.no_grad():
            for w in weights(by_hand):
                w.data[...] = (1 - eta * lam / n) * w.data - eta * w.grad.data
            for b in biases(by_hand):
                b.data[...] = b.data - eta * b.grad.data

    # 2. Weight decay lambda/n on a group of the weights only.
    decayed = _book_network(3)
    opt = optim.SGD([{"params": weights(decayed), "weight_decay": lam / n},
                     {"params": biases(decayed)}], lr=eta)
    for x, y in batches:
        opt.zero_grad()
        F.quadratic_cost(decayed(tg.tensor(x)), y).backward()
        opt.step()

    # 3. The penalty in the cost.
    penalized = _book_network(3)
    opt = optim.SGD(penalized.parameters(), lr=eta)
    for x, y in batches:
        opt.zero_grad()
        cost = F.quadratic_cost(penalized(tg.tensor(x)), y) + F.l2_penalty(weights(penalized),
                                                                          lam / n)
        cost.backward()
        opt.step()

    for (name, a), b, c in zip(by_hand.named_parameters(), decayed.parameters(),
                               penalized.parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(c.data, a.data, rtol=1e-12, atol=1e-14, err_msg=name)
    # And regularization really changed the weights (the test can fail).
    plain = _book_network(3)
    opt = optim.SGD(plain.parameters(), lr=eta)
    for x, y in batches:
        opt.zero_grad()
        F.quadratic_cost(plain(tg.tensor(x)), y).backward()
        opt.step()
    assert not np.allclose(plain[0].weight.data, by_hand[0].weight.data, rtol=0, atol=1e-6)


# ----- parameter groups and argument checks --------------------------------------
def test_param_groups_take_their_own_options():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 0.9])
    np.testing.assert_allclose(b.data, [0.5, 0.5])
    c = nn.Parameter(np.ones(1))
    opt.add_param_group({"params": [c], "lr": 1.0})
    assert opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_are_accepted_and_recorded():
    net = nn.Linear(2, 3)
    opt = optim.SGD(net.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == [net.weight, net.bias]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_parameter_errors():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor.*shape \\(2,\\)"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(TypeError, match="floating-point.*int64"):
        optim.Adam([tg.tensor([1, 2])])
    with pytest.raises(TypeError, match="can only optimize Tensors.*ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(x, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="same parameter more than once"):
        optim.SGD([x, x], lr=0.1)
    with pytest.raises(TypeError, match="ordered collection"):
        optim.SGD({x}, lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate -1"):
        optim.SGD([x], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([x], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([x], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="invalid learning rate"):
        optim.SGD([{"params": [x], "lr": -0.5}], lr=0.1)


def test_zero_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad   # zeroed in place, as in PyTorch
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])
    opt.zero_grad()
    assert w.grad is None
    # A gradient recorded with create_graph is detached before zeroing.
    (g,) = tg.autograd.grad((w * w * w).sum(), w, create_graph=True)
    w.grad = g
    opt.zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and np.all(w.grad.data == 0)


# ----- state dicts --------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.02, amsgrad=True)])
def test_state_dict_round_trip_resumes_training_exactly(make):
    problem = Quadratic(5)
    uninterrupted, _ = run(problem, make, 6)

    params = [tg.tensor(x, requires_grad=True) for x in problem.w0]
    opt = make(params)
    for _ in range(3):
        opt.zero_grad()
        problem.loss(*params).backward()
        opt.step()
    saved_params = [p.data.copy() for p in params]
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    assert saved["param_groups"][0]["params"] == [0, 1]
    assert all(isinstance(v, tg.Tensor) for s in saved["state"].values() for k, v in s.items()
               if k != "step")

    resumed = [tg.tensor(x, requires_grad=True) for x in saved_params]
    opt2 = make(resumed)
    opt2.load_state_dict(saved)
    for _ in range(3):
        opt2.zero_grad()
        problem.loss(*resumed).backward()
        opt2.step()
    for a, b in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(a.data, b)


def test_load_state_dict_restores_options_and_copies_state():
    w = nn.Parameter(np.ones(3))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    saved = opt.state_dict()
    w2 = nn.Parameter(np.ones(3))
    opt2 = optim.SGD([w2], lr=0.7)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["momentum"] == 0.9
    assert opt2.param_groups[0]["params"][0] is w2
    buf = opt2.state[w2]["momentum_buffer"]
    assert buf is not saved["state"][0]["momentum_buffer"].data
    np.testing.assert_array_equal(buf, saved["state"][0]["momentum_buffer"].data)


def test_load_state_dict_mismatches_raise_before_changing_anything():
    a, b = nn.Parameter(np.ones((2, 3))), nn.Parameter(np.ones(3))
    opt = optim.Adam([a, b], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    saved = opt.state_dict()

    other = optim.Adam([nn.Parameter(np.ones((3, 2))), nn.Parameter(np.ones(3))], lr=0.5)
    with pytest.raises(ValueError, match=r"state\[0\]\.exp_avg.*\(2, 3\).*\(3, 2\)"):
        other.load_state_dict(saved)
    assert other.state == {} and other.param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match="holds 2 parameters in the state dict and 1"):
        optim.Adam([nn.Parameter(np.ones(3))]).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"1 parameter group\(s\), the optimizer has 2"):
        optim.Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_repr_lists_groups():
    text = repr(optim.SGD([nn.Parameter(np.ones(1))], lr=0.1))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


# ----- learning-rate schedules ------------------------------------------------
def _optimizer(lr=1.0):
    return optim.SGD([nn.Parameter(np.ones(1))], lr=lr)


def test_reduce_lr_on_plateau_halves_when_accuracy_stops_improving():
    """The book's schedule: mode='max' on validation accuracy, factor 0.5. With
    patience p the (p+1)-th epoch in a row without a new best halves eta."""
    opt = _optimizer(0.5)
    sched = ReduceLROnPlateau(opt, mode="max", patience=2, threshold=0.0)
    accuracy = [0.90, 0.92, 0.92, 0.91, 0.92, 0.95, 0.94, 0.94, 0.93, 0.93, 0.93, 0.93]
    lrs = []
    for acc in accuracy:
        sched.step(acc)
        lrs.append(opt.param_groups[0]["lr"])
    # Bad epochs: 0.92 (=best), 0.91, 0.92 -> 3rd bad at index 4 halves;
    # 0.95 new best; 0.94, 0.94, 0.93 -> halves at index 8; then 3 more -> index 11.
    assert lrs == [0.5] * 4 + [0.25] * 4 + [0.125] * 3 + [0.0625]
    assert sched.get_last_lr() == [0.0625]
    assert sched.best == 0.95


def test_reduce_lr_on_plateau_min_mode_threshold_cooldown_and_min_lr():
    opt = _optimizer(1.0)
    sched = ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=0, threshold=0.1,
                              cooldown=1, min_lr=0.005)
    lrs = []
    # 0.95 does not beat 1.0 by the relative threshold 0.1: a bad epoch, and
    # with patience 0 the first bad epoch reduces. The epoch after a reduction
    # is cooldown (its bad epoch does not count); 0.5 is a new best; the
    # reduction from 0.01 stops at min_lr.
    for loss in [1.0, 0.95, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5]:
        sched.step(loss)
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [1.0, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005, 0.005])


def test_reduce_lr_on_plateau_state_dict_and_errors():
    opt = _optimizer()
    sched = ReduceLROnPlateau(opt, mode="max", patience=1)
    sched.step(0.5)
    sched.step(0.4)
    state = sched.state_dict()
    assert "optimizer" not in state and state["num_bad_epochs"] == 1
    fresh = ReduceLROnPlateau(_optimizer(), mode="max", patience=1)
    fresh.load_state_dict(state)
    assert fresh.best == 0.5 and fresh.num_bad_epochs == 1
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(TypeError, match="not an Optimizer"):
        ReduceLROnPlateau(object())


def test_step_lr():
    opt = _optimizer(1.0)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(7):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert opt.param_groups[0]["initial_lr"] == 1.0
    assert math.isclose(sched.get_last_lr()[0], 0.25)
