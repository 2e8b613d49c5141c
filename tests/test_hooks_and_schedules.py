"""Module hooks, the schedules LinearLR ... SequentialLR and the optimizers
Adamax, NAdam, RAdam and Adadelta: call order and arguments of hooks, the
gradients backward hooks see against closed forms, Sequential's fusion with
hooks, closed-form learning rates, and updates against their equations
written out in numpy."""
import math

import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.nn.modules import module as module_globals
from tinygrad_nndl.optim import lr_scheduler as L


def _t(values, grad=False):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


class Product(nn.Module):
    """y = a * b (two inputs, one output): grad_input = (g b, g a)."""

    def forward(self, a, b, scale=1.0):
        return a * b * scale


# ----- forward hooks --------------------------------------------------------------------
def test_forward_hooks_run_in_order_with_their_arguments_and_replace_values():
    m, log = Product(), []
    x, y = _t([1.0, 2.0]), _t([3.0, 4.0])
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre", mod, len(args))))
    m.register_forward_pre_hook(lambda mod, args: log.append(("first",)), prepend=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("post", out.tolist())))
    out = m(x, y, scale=2.0)
    assert log == [("first",), ("pre", m, 2), ("post", [6.0, 16.0])]
    # a pre-hook's non-tuple result is wrapped: it becomes the only positional arg
    single = nn.Identity()
    single.register_forward_pre_hook(lambda mod, args: args[0] * 10)
    assert single(x).tolist() == [10.0, 20.0]
    # a forward hook's result replaces the output
    m.register_forward_hook(lambda mod, args, out: out + 1)
    assert m(x, y).tolist() == [4.0, 9.0]
    assert out.tolist() == [6.0, 16.0]


def test_with_kwargs_hooks_see_and_replace_the_keyword_arguments():
    m, seen = Product(), []
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1, args[1]), {"scale": 3.0}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append((kwargs, out.tolist())),
                            with_kwargs=True)
    assert m(_t([1.0]), _t([2.0]), scale=5.0).tolist() == [12.0]
    assert seen == [({"scale": 3.0}, [12.0])]
    bad = Product()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"\(new_args, new_kwargs\)"):
        bad(_t([1.0]), _t([2.0]))


def test_handles_remove_once_and_work_as_context_managers():
    m, log = nn.Identity(), []
    handle = m.register_forward_hook(lambda mod, args, out: log.append(1))
    with m.register_forward_hook(lambda mod, args, out: log.append(2)):
        m(_t([0.0]))
    m(_t([0.0]))
    handle.remove()
    handle.remove()   # twice is harmless
    m(_t([0.0]))
    assert log == [1, 2, 1]
    assert "_hooked" not in vars(m) and not m._forward_hooks   # the fast path again
    with pytest.raises(TypeError, match="callable"):
        m.register_forward_hook(3)
    assert not m._forward_hooks and "_hooked" not in vars(m)


class Failing(nn.Module):
    def forward(self, x):
        raise ValueError("boom")


def test_always_call_hooks_run_when_forward_raises():
    m, log = Failing(), []
    m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: log.append("never"))

    def broken(mod, args, out):
        raise KeyError("hook")
    m.register_forward_hook(broken, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True"):
        with pytest.raises(ValueError, match="boom"):
            m(_t([1.0]))
    assert log == [("always", None)]
    ok = nn.Identity()
    ok.register_forward_hook(lambda mod, args, out: log.append("once"), always_call=True)
    ok(_t([1.0]))
    assert log[1:] == ["once"]


def test_global_forward_hooks_run_for_every_module_before_its_own():
    model, log = nn.Sequential(nn.Linear(2, 2), nn.Tanh()), []
    model[0].register_forward_hook(lambda mod, args, out: log.append("own"))
    handle = module_globals.register_module_forward_hook(
        lambda mod, args, out: log.append(type(mod).__name__))
    pre = module_globals.register_module_forward_pre_hook(lambda mod, args: log.append("pre"))
    try:
        model(_t([[1.0, 2.0]]).float())
    finally:
        handle.remove()
        pre.remove()
    assert log == ["pre", "pre", "Linear", "own", "pre", "Tanh", "Sequential"]
    assert nn.Module._hooked is False
    model(_t([[1.0, 2.0]]).float())
    assert log[-1] == "own"


# ----- hooks and Sequential's fusion ----------------------------------------------------
def test_hooks_see_the_linear_layer_of_a_fused_pair_and_values_do_not_change():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2), nn.ReLU()).double()
    x = _t(np.random.default_rng(0).standard_normal((5, 3)))
    before = model(x).data.copy()
    assert [fused is not None for _, fused in model._plan[1]] == [True, True]
    seen = []
    handle = model[0].register_forward_hook(lambda mod, args, out: seen.append(out.data.copy()))
    after = model(x).data
    w, b = model[0].weight.data, model[0].bias.data
    np.testing.assert_allclose(seen[0], x.data @ w.T + b, rtol=1e-14)   # z, not sigmoid(z)
    assert np.array_equal(before, after)
    assert [fused is not None for _, fused in model._plan[1]] == [False, False, True]
    handle.remove()
    model(x)
    assert [fused is not None for _, fused in model._plan[1]] == [True, True]
    with model[3].register_forward_pre_hook(lambda mod, args: None):   # the activation's side
        assert np.array_equal(model(x).data, before)
        assert [fused is not None for _, fused in model._plan[1]] == [True, False, False]


# ----- full backward hooks ---------------------------------------------------------------
def test_full_backward_hook_gets_the_gradients_of_inputs_and_outputs():
    m, log = Product(), []
    m.register_full_backward_hook(lambda mod, gi, go: log.append((mod, gi, go)))
    a, b = _t([1.0, 2.0], True), _t([3.0, 5.0], True)
    g = np.array([0.5, -2.0])
    (m(a, b) * _t(g)).sum().backward()
    (mod, gi, go), = log
    assert mod is m and len(gi) == 2 and len(go) == 1
    np.testing.assert_allclose(gi[0].data, g * b.data)
    np.testing.assert_allclose(gi[1].data, g * a.data)
    np.testing.assert_allclose(go[0].data, g)
    np.testing.assert_allclose(a.grad.data, g * b.data)


def test_backward_hooks_replace_gradients():
    m = Product()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10, None))
    a, b = _t([1.0, 2.0], True), _t([3.0, 5.0], True)
    m(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, 10 * b.data)
    assert b.grad is None
    lin = nn.Linear(2, 1).double()
    lin.register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
    x = _t([[1.0, -2.0]], True)
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.data, 3 * x.data)
    np.testing.assert_allclose(lin.bias.grad.data, [3.0])
    np.testing.assert_allclose(x.grad.data, 3 * lin.weight.data)


class Three(nn.Module):
    """Outputs (2a, b.detach(), 5a); b is unused by what requires grad."""

    def forward(self, a, b, flag):
        return a * 2, b.detach() * 3, a * 5


def test_missing_gradients_are_zeros_for_inputs_and_none_for_outputs():
    m, log = Three(), []
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", go)))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("full", gi, go)))
    a, b = _t([1.0, 2.0], True), _t([3.0], True)
    o1, o2, o3 = m(a, b, 7)
    assert not o2.requires_grad
    o1.sum().backward()
    (_, pre_go), (_, gi, go) = log
    assert pre_go[1] is None and pre_go[2] is None and go is pre_go
    assert gi[0].tolist() == [2.0, 2.0] and gi[1].tolist() == [0.0] and gi[2] is None


def test_backward_hook_of_a_module_whose_inputs_need_no_gradient():
    lin, log = nn.Linear(2, 1), []
    lin.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        lin(tg.ones(1, 2)).sum().backward()
    assert log[0][0] == (None,) and log[0][1][0].tolist() == [[1.0]]
    lin2 = nn.Linear(2, 1)
    lin2.register_full_backward_hook(lambda mod, gi, go: (go[0],))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="no input requires"):
        lin2(tg.ones(1, 2)).sum().backward()


def test_bad_backward_hook_results_raise():
    x = _t([[1.0, 2.0]], True)
    for hook, message in [(lambda mod, gi, go: (gi[0], gi[0]), "invalid number of grad_input"),
                          (lambda mod, gi, go: (gi[0][:, :1],), "shape"),
                          (lambda mod, gi, go: ([1.0, 2.0],), "Tensor or None")]:
        lin = nn.Linear(2, 1).double()
        lin.register_full_backward_hook(hook)
        with pytest.raises((RuntimeError, TypeError), match=message):
            lin(x).sum().backward()
    lin = nn.Linear(2, 1).double()
    lin.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_output"):
        lin(x).sum().backward()


def test_a_hooked_module_stays_twice_differentiable():
    class Cube(nn.Module):
        def forward(self, x):
            return x * x * x
    m, log = Cube(), []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(gi[0].tolist()))
    x = _t([1.0, 2.0], True)
    g, = tg.autograd.grad(m(x).sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0] and log == [[3.0, 12.0]]
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]   # d/dx 3x^2


# ----- schedules: closed forms ---------------------------------------------------------------
def _sgd(lr=1.0, **kwargs):
    return optim.SGD([_t([0.0], True)], lr=lr, **kwargs)


def _lrs(sched, n):
    out = []
    for _ in range(n):
        out.append(sched.get_last_lr()[0])
        sched.step()
    return out


def test_linear_constant_polynomial_and_multiplicative_closed_forms():
    s, e, T = 0.2, 0.9, 10
    want = [2.0 * (s + (e - s) * min(t, T) / T) for t in range(25)]
    np.testing.assert_allclose(_lrs(L.LinearLR(_sgd(2.0), s, e, T), 25), want, rtol=1e-12)
    assert _lrs(L.ConstantLR(_sgd(2.0), factor=0.25, total_iters=3), 6) == [0.5] * 3 + [2.0] * 3
    want = [2.0 * (1 - min(t, 7) / 7) ** 1.5 for t in range(12)]
    np.testing.assert_allclose(_lrs(L.PolynomialLR(_sgd(2.0), 7, 1.5), 12), want,
                               rtol=1e-12, atol=1e-15)
    got = _lrs(L.MultiplicativeLR(_sgd(2.0), lambda t: 1 / (t + 1)), 6)
    np.testing.assert_allclose(got, [2.0 / math.factorial(t + 1) * 1 for t in range(6)],
                               rtol=1e-12)


def test_cosine_warm_restarts_closed_form_and_fractional_epochs():
    def closed(t, T_0=3, T_mult=2, lo=0.1, top=1.0):
        period, start = T_0, 0
        while t >= start + period:
            start, period = start + period, period * T_mult
        return lo + (top - lo) * (1 + math.cos(math.pi * (t - start) / period)) / 2
    sched = L.CosineAnnealingWarmRestarts(_sgd(), T_0=3, T_mult=2, eta_min=0.1)
    np.testing.assert_allclose(_lrs(sched, 30), [closed(t) for t in range(30)], rtol=1e-12)
    sched = L.CosineAnnealingWarmRestarts(_sgd(), T_0=3, T_mult=2, eta_min=0.1)
    for epoch in (0.5, 2.25, 4.0, 9.5, 20.75):
        sched.step(epoch)
        assert sched.get_last_lr()[0] == pytest.approx(closed(epoch), rel=1e-12)
    with pytest.raises(ValueError, match="non-negative"):
        sched.step(-1)
    with pytest.raises(ValueError, match="T_0"):
        L.CosineAnnealingWarmRestarts(_sgd(), T_0=0)


def test_cyclic_lr_triangles_and_momentum():
    opt = _sgd(momentum=0.5)
    sched = L.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=3, step_size_down=2,
                       mode="triangular2", base_momentum=0.8, max_momentum=0.9)
    lrs, momenta = [], []
    for _ in range(11):
        lrs.append(sched.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        sched.step()
    cycle1 = [0.1, 0.4, 0.7, 1.0, 0.55]   # up in 3 steps, down in 2
    np.testing.assert_allclose(lrs[:5], cycle1, rtol=1e-12)
    np.testing.assert_allclose(lrs[5:10], [0.1 + (v - 0.1) / 2 for v in cycle1], rtol=1e-12)
    height = [(v - 0.1) / 0.9 for v in lrs[:5]]
    np.testing.assert_allclose(momenta[:5], [0.9 - 0.1 * h for h in height], rtol=1e-12)
    opt = _sgd()
    sched = L.CyclicLR(opt, 0.1, 1.0, step_size_up=2, mode="exp_range", gamma=0.5,
                       cycle_momentum=False)
    np.testing.assert_allclose(_lrs(sched, 5), [0.1, 0.1 + 0.9 * 0.5 * 0.5,
                                                0.1 + 0.9 * 0.25, 0.1 + 0.9 * 0.5 * 0.125,
                                                0.1], rtol=1e-12)
    with pytest.raises(ValueError, match="mode is invalid"):
        L.CyclicLR(_sgd(), 0.1, 1.0, mode="square")


def test_one_cycle_phases_and_its_end():
    opt = optim.Adam([_t([0.0], True)], lr=1.0)
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.3, div_factor=10.0,
                         final_div_factor=100.0, anneal_strategy="linear")
    lrs, beta1 = [], []
    for _ in range(11):
        lrs.append(sched.get_last_lr()[0])
        beta1.append(opt.param_groups[0]["betas"][0])
        if sched.last_epoch < 10:
            sched.step()
    up_end = 0.3 * 11 - 1   # 2.3 steps to the top, then down to 0.1 / 100 at step 10
    want = [0.1 + 0.9 * t / up_end if t <= up_end else
            1.0 + (0.001 - 1.0) * (t - up_end) / (10 - up_end) for t in range(11)]
    np.testing.assert_allclose(lrs, want, rtol=1e-12)
    want = [0.95 - 0.1 * t / up_end if t <= up_end else
            0.85 + 0.1 * (t - up_end) / (10 - up_end) for t in range(11)]
    np.testing.assert_allclose(beta1, want, rtol=1e-12)
    state = sched.state_dict()
    sched.step()   # step 11 of 11: the last one allowed
    with pytest.raises(ValueError, match="Tried to step 12 times"):
        sched.step()
    assert sched.last_epoch == 11 and sched._step_count == state["_step_count"] + 1
    cos = L.OneCycleLR(_sgd(momentum=0.9), max_lr=2.0, total_steps=20, three_phase=True)
    got = _lrs(cos, 20)   # up until step 5, back down symmetrically until 10, then to the end
    assert got[0] == pytest.approx(2.0 / 25) and got[5] == pytest.approx(2.0)
    np.testing.assert_allclose(got[0:6], got[10:4:-1], rtol=1e-12)
    assert got[19] == pytest.approx(2.0 / 25 / 1e4)


def test_one_cycle_refuses_bad_arguments_before_changing_the_optimizer():
    opt = optim.Adagrad([_t([0.0], True)], lr=0.5)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="momentum or beta1"):
        L.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="total_steps OR"):
        L.OneCycleLR(opt, max_lr=1.0, cycle_momentum=False)
    with pytest.raises(ValueError, match="pct_start"):
        L.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=1, cycle_momentum=False)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        L.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=10, cycle_momentum=False)
    assert [dict(g) for g in opt.param_groups] == before


def test_sequential_and_chained_schedules():
    opt = _sgd(1.0)
    warm = L.LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = L.ExponentialLR(opt, gamma=0.5)
    sched = L.SequentialLR(opt, [warm, decay], milestones=[4])
    np.testing.assert_allclose(_lrs(sched, 8), [0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.25, 0.125],
                               rtol=1e-12)
    opt = _sgd(1.0)
    chain = L.ChainedScheduler([L.ConstantLR(opt, factor=0.1, total_iters=2),
                                L.ExponentialLR(opt, gamma=0.9)])
    np.testing.assert_allclose(_lrs(chain, 5), [0.1 * 0.9 ** t if t < 2 else 0.9 ** t
                                                for t in range(5)], rtol=1e-12)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        L.SequentialLR(opt, [L.ExponentialLR(opt, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.ChainedScheduler([L.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="same optimizer"):
        L.ChainedScheduler([L.ExponentialLR(opt, 0.9), L.ExponentialLR(_sgd(), 0.9)])


@pytest.mark.parametrize("make", [
    lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=30),
    lambda o: L.CyclicLR(o, 0.1, 1.0, step_size_up=4, mode="triangular2"),
    lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2),
    lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.5, total_iters=3), L.PolynomialLR(o, 9)],
                             milestones=[5]),
    lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5), L.ExponentialLR(o, 0.9)]),
])
def test_a_schedule_resumes_from_its_state_dict(make):
    opt_a = _sgd(0.5, momentum=0.9)
    a = make(opt_a)
    for _ in range(7):
        a.step()
    opt_b = _sgd(0.5, momentum=0.9)
    b = make(opt_b)
    b.load_state_dict(a.state_dict())
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(12):
        a.step()
        b.step()
        assert b.get_last_lr() == a.get_last_lr()
        assert opt_b.param_groups[0]["momentum"] == opt_a.param_groups[0]["momentum"]


# ----- optimizers against their update equations ----------------------------------------
def _run(opt_cls, kwargs, steps=6, seed=1):
    """The parameter after each step of ``opt_cls`` and the gradients used."""
    rng = np.random.default_rng(seed)
    w = _t(rng.standard_normal(4), True)
    opt = opt_cls([w], **kwargs)
    grads, path = [], []
    for _ in range(steps):
        g = rng.standard_normal(4)
        grads.append(g)
        w.grad = _t(g)
        opt.step()
        path.append(w.data.copy())
    return np.array(path), grads, w, opt


def test_adamax_follows_its_equations():
    path, grads, w, opt = _run(optim.Adamax, dict(lr=0.1, betas=(0.8, 0.9), weight_decay=0.1))
    x = np.random.default_rng(1).standard_normal(4)
    m, u = np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, 1):
        g = g + 0.1 * x
        m = 0.8 * m + 0.2 * g
        u = np.maximum(0.9 * u, np.abs(g) + 1e-8)
        x = x - 0.1 / (1 - 0.8 ** t) * m / u
        np.testing.assert_allclose(path[t - 1], x, rtol=1e-12)
    assert list(opt.state[w]) == ["step", "exp_avg", "exp_inf"]


def test_nadam_follows_its_equations():
    path, grads, w, opt = _run(optim.NAdam, dict(lr=0.1, momentum_decay=0.05))
    x = np.random.default_rng(1).standard_normal(4)
    m, v, product = np.zeros(4), np.zeros(4), 1.0
    for t, g in enumerate(grads, 1):
        mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 0.05))
        mu_next = 0.9 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.05))
        product = float(np.float32(product * mu))   # PyTorch keeps it in float32
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        d = np.sqrt(v / (1 - 0.999 ** t)) + 1e-8
        x = x - 0.1 * (1 - mu) / (1 - product) * g / d \
              - 0.1 * mu_next / (1 - product * mu_next) * m / d
        np.testing.assert_allclose(path[t - 1], x, rtol=1e-12)
    assert list(opt.state[w]) == ["step", "mu_product", "exp_avg", "exp_avg_sq"]
    assert opt.state[w]["mu_product"] == product


def test_radam_follows_its_equations_in_both_regimes():
    path, grads, w, opt = _run(optim.RAdam, dict(lr=0.1, betas=(0.9, 0.9)), steps=8)
    x = np.random.default_rng(1).standard_normal(4)
    m, v, rho_inf = np.zeros(4), np.zeros(4), 2 / 0.1 - 1
    regimes = []
    for t, g in enumerate(grads, 1):
        m = 0.9 * m + 0.1 * g
        v = 0.9 * v + 0.1 * g * g
        rho = rho_inf - 2 * t * 0.9 ** t / (1 - 0.9 ** t)
        regimes.append(rho > 5)
        step = 0.1 * m / (1 - 0.9 ** t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            step = step * math.sqrt(1 - 0.9 ** t) / (np.sqrt(v) + 1e-8) * r
        x = x - step
        np.testing.assert_allclose(path[t - 1], x, rtol=1e-12)
    assert regimes[0] is False and regimes[-1] is True


def test_adadelta_follows_its_equations():
    path, grads, w, opt = _run(optim.Adadelta, dict(lr=0.5, rho=0.8, eps=1e-3))
    x = np.random.default_rng(1).standard_normal(4)
    s, a = np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, 1):
        s = 0.8 * s + 0.2 * g * g
        d = np.sqrt(a + 1e-3) / np.sqrt(s + 1e-3) * g
        a = 0.8 * a + 0.2 * d * d
        x = x - 0.5 * d
        np.testing.assert_allclose(path[t - 1], x, rtol=1e-12)
    assert list(opt.state[w]) == ["step", "square_avg", "acc_delta"]


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.Adamax, dict(betas=(0.9, 1.0)), "betas"), (optim.NAdam, dict(momentum_decay=-1),
                                                      "momentum_decay"),
    (optim.RAdam, dict(eps=-1), "epsilon"), (optim.Adadelta, dict(rho=1.5), "rho"),
    (optim.Adadelta, dict(lr=-1), "learning rate")])
def test_new_optimizers_refuse_bad_options(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([_t([0.0], True)], **kwargs)


def test_new_optimizers_leave_everything_alone_when_a_gradient_is_wrong():
    for cls in (optim.Adamax, optim.NAdam, optim.RAdam, optim.Adadelta):
        w = _t([1.0, 2.0], True)
        opt = cls([w])
        w.grad = _t([1.0, 1.0])
        opt.step()
        state = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                 for k, v in opt.state[w].items()}
        before = w.data.copy()
        w.grad.data = np.ones(1)   # (the setter refuses it: behind its back)
        with pytest.raises(ValueError, match="shape"):
            opt.step()
        assert np.array_equal(w.data, before)
        assert all(np.array_equal(opt.state[w][k], v) for k, v in state.items())


def test_hooks_run_on_a_deepcopy_of_a_sequential_that_already_ran():
    import copy
    seq = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    x = tg.ones(4, 3)
    seq(x)   # fused: Linear and ReLU as one node, a plan the copy takes along
    twin = copy.deepcopy(seq)
    calls = []
    twin[0].register_forward_hook(lambda m, args, out: calls.append("forward"))
    twin[1].register_full_backward_hook(lambda m, gi, go: calls.append("backward"))
    twin(x).sum().backward()
    assert calls == ["forward", "backward"]
