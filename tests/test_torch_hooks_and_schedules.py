"""PyTorch as the oracle for module hooks (what forward and full backward
hooks see, and what their results change), the schedules LinearLR ...
ChainedScheduler (lr and momentum sequences, state dicts both ways) and the
optimizers Adamax, NAdam, RAdam and Adadelta (float64 trajectories, state
dicts both ways)."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn, optim  # noqa: E402

pytestmark = pytest.mark.torch


def _both(values, grad=False):
    values = np.asarray(values, dtype=np.float64)
    return (tg.tensor(values, requires_grad=grad),
            torch.tensor(values, dtype=torch.float64, requires_grad=grad))


def _arrays(items):
    """Tensors of either library (or None) as numpy arrays, in a list."""
    return [None if t is None else np.asarray(t.detach().numpy() if hasattr(t, "detach")
                                              and not isinstance(t, tg.Tensor) else t.data)
            for t in items]


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2),
                             lib.nn.Sigmoid())


def _hooked_run(lib, model, x, log):
    """Forward and full backward hooks on every layer, one of each replacing
    what it is given; backward of a weighted sum."""
    for i, layer in enumerate(model):
        layer.register_forward_hook(lambda m, args, out, i=i: log.append(("fwd", i, out)))
        layer.register_full_backward_hook(
            lambda m, gi, go, i=i: log.append(("bwd", i, gi, go)))
    model[1].register_forward_hook(lambda m, args, out: out * 2)   # changes what follows
    model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
    model[0].register_full_backward_hook(lambda m, gi, go: (gi[0] - 1,))
    out = model(x)
    (out * lib.tensor(np.array([[1.0, -2.0]]))).sum().backward()
    return out


def test_hooks_see_what_pytorchs_see_on_an_mlp():
    ours, theirs = _mlp(tg).double(), _mlp(torch).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x_ours, x_theirs = _both(np.random.default_rng(0).standard_normal((5, 3)), grad=True)
    log_ours, log_theirs = [], []
    out_ours = _hooked_run(tg, ours, x_ours, log_ours)
    out_theirs = _hooked_run(torch, theirs, x_theirs, log_theirs)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-12)
    assert [e[:2] for e in log_ours] == [e[:2] for e in log_theirs]
    for a, b in zip(log_ours, log_theirs):
        for mine, ref in zip(a[2:], b[2:]):
            mine, ref = ([mine], [ref]) if not isinstance(mine, tuple) else (mine, ref)
            for m, r in zip(_arrays(mine), _arrays(ref)):
                assert (m is None) == (r is None)
                if m is not None:
                    np.testing.assert_allclose(m, r, rtol=1e-12, atol=1e-15)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(x_ours.grad.data, x_theirs.grad.numpy(), rtol=1e-12)


class _Mixed:
    """A module of two Tensor inputs and a flag, three outputs (one detached)."""

    @staticmethod
    def make(lib):
        class Mixed(lib.nn.Module):
            def forward(self, a, b, flag):
                return a * b, b.detach() * 2, a * a
        return Mixed()


def test_backward_hook_entries_of_mixed_inputs_and_outputs_match_pytorch():
    logs = []
    for lib in (tg, torch):
        m, log = _Mixed.make(lib), []
        m.register_full_backward_pre_hook(lambda mod, go, log=log: log.append(("pre", go)))
        m.register_full_backward_hook(lambda mod, gi, go, log=log: log.append(("full", gi, go)))
        a = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
        b = lib.tensor(np.array([3.0, 4.0]))   # needs no gradient: zeros in grad_input
        y1, y2, y3 = m(a, b, True)
        y1.sum().backward(retain_graph=True)   # y3 unused: None in grad_output
        (y1.sum() + 2 * y3.sum()).backward()
        logs.append(log)
    ours, theirs = logs
    assert [e[0] for e in ours] == [e[0] for e in theirs] == ["pre", "full"] * 2
    for a, b in zip(ours, theirs):
        for mine, ref in zip(a[1:], b[1:]):
            assert len(mine) == len(ref)
            for m, r in zip(_arrays(mine), _arrays(ref)):
                assert (m is None) == (r is None)
                if m is not None:
                    np.testing.assert_array_equal(m, r)


# ----- schedules --------------------------------------------------------------------------
def _pair(opt_name="SGD", **kwargs):
    def make(lib):
        return getattr(lib.optim, opt_name)(
            [{"params": [lib.tensor(np.zeros(1), requires_grad=True)]},
             {"params": [lib.tensor(np.zeros(1), requires_grad=True)], "lr": 0.3}],
            lr=0.1, **kwargs)
    return make(tg), make(torch)


SCHEDULES = [
    ("LinearLR", "SGD", lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=0.9,
                                                total_iters=13)),
    ("ConstantLR", "SGD", lambda L, o: L.ConstantLR(o, factor=0.4, total_iters=7)),
    ("PolynomialLR", "SGD", lambda L, o: L.PolynomialLR(o, total_iters=17, power=2.5)),
    ("MultiplicativeLR", "SGD", lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95 ** (e % 3))),
    ("WarmRestarts", "SGD", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                       eta_min=0.01)),
    ("CyclicLR triangular", "SGD", lambda L, o: L.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, step_size_down=7)),
    ("CyclicLR triangular2 Adam", "Adam", lambda L, o: L.CyclicLR(
        o, 0.01, [0.1, 0.2], step_size_up=5, mode="triangular2", base_momentum=0.7,
        max_momentum=0.95)),
    ("CyclicLR exp_range", "SGD", lambda L, o: L.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.97)),
    ("OneCycleLR cos", "SGD", lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=80,
                                                        pct_start=0.25)),
    ("OneCycleLR linear three_phase Adam", "Adam", lambda L, o: L.OneCycleLR(
        o, max_lr=0.5, epochs=8, steps_per_epoch=10, anneal_strategy="linear",
        three_phase=True)),
    ("SequentialLR", "SGD", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=5), L.ExponentialLR(o, 0.9),
            L.CosineAnnealingLR(o, 10)], milestones=[5, 20])),
    ("SequentialLR closed forms", "SGD", lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, 0.5, total_iters=3), L.StepLR(o, 4, 0.5),
            L.MultiStepLR(o, [2, 5], 0.5), L.PolynomialLR(o, 8)], milestones=[4, 15, 30])),
    ("ChainedScheduler", "SGD", lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, 0.1, total_iters=4), L.ExponentialLR(o, 0.9)])),
]


@pytest.mark.parametrize("name, opt_name, make", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_follow_pytorch(name, opt_name, make):
    a, b = _pair(opt_name, **({"momentum": 0.5} if opt_name == "SGD" else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PyTorch's: its optimizer never steps here
        sa, sb = make(tg.optim.lr_scheduler, a), make(torch.optim.lr_scheduler, b)
        for step in range(80):
            assert sa.get_last_lr() == pytest.approx(sb.get_last_lr(), rel=1e-12, abs=0)
            for ga, gb in zip(a.param_groups, b.param_groups):
                for key in {"lr", "momentum", "betas"} & set(gb):
                    assert ga[key] == pytest.approx(gb[key], rel=1e-12, abs=0), (step, key)
            if step == 40:   # each loads the other's state and both carry on alike
                mine, reference = sa.state_dict(), sb.state_dict()
                assert set(mine) == set(reference) - {"_get_lr_called_within_step",
                                                      "_is_initial"}
                sa.load_state_dict(reference)
                sb.load_state_dict(mine)
            sa.step()
            sb.step()


def test_warm_restarts_fractional_epochs_follow_pytorch():
    a, b = _pair()
    sa = tg.optim.lr_scheduler.CosineAnnealingWarmRestarts(a, T_0=3, T_mult=3, eta_min=0.01)
    sb = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(b, T_0=3, T_mult=3, eta_min=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(60):
            sa.step(i * 0.37)
            sb.step(i * 0.37)
            assert sa.get_last_lr() == pytest.approx(sb.get_last_lr(), rel=1e-12, abs=0)
            assert (sa.T_cur, sa.T_i, sa.last_epoch) == (sb.T_cur, sb.T_i, sb.last_epoch)


# ----- optimizers --------------------------------------------------------------------------
OPTIMIZERS = [
    ("Adamax", {}), ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(maximize=True)),
    ("NAdam", {}), ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True,
                   momentum_decay=0.01)),
    ("NAdam", dict(maximize=True, betas=(0.5, 0.9))),
    ("RAdam", {}), ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))),
    ("RAdam", dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True)),
    ("RAdam", dict(weight_decay=0.2, betas=(0.8, 0.8), maximize=True)),
    ("Adadelta", {}), ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
]


def _to_torch_state(state_dict):
    return {"state": {k: {kk: torch.tensor(np.asarray(vv.data if isinstance(vv, tg.Tensor)
                                                        else vv))
                          for kk, vv in entry.items()}
                      for k, entry in state_dict["state"].items()},
            "param_groups": state_dict["param_groups"]}


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_optimizers_follow_pytorch_and_swap_state_dicts(name, kwargs):
    rng = np.random.default_rng(0)
    ours, theirs = _both(rng.standard_normal((3, 4)), grad=True)
    a, b = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)

    def step(opt_a, opt_b):
        # the gradient of sum((w - 1/2)^2), and some noise
        g = 2 * (ours.data - 0.5) + 0.1 * rng.standard_normal((3, 4))
        ours.grad, theirs.grad = tg.tensor(g), torch.tensor(g)
        opt_a.step()
        opt_b.step()
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for _ in range(20):
        step(a, b)
    mine, reference = a.state_dict(), b.state_dict()
    assert list(mine["state"][0]) == list(reference["state"][0])
    for key, value in reference["state"][0].items():
        np.testing.assert_allclose(np.asarray(getattr(mine["state"][0][key], "data",
                                                      mine["state"][0][key])),
                                   value.numpy(), rtol=1e-10)
    for key, value in mine["param_groups"][0].items():
        assert reference["param_groups"][0][key] == value, key
    fresh = getattr(optim, name)([ours], **kwargs)
    fresh.load_state_dict(reference)   # torch.Tensors as they come
    other = getattr(torch.optim, name)([theirs], **kwargs)
    other.load_state_dict(_to_torch_state(mine))
    for _ in range(3):
        step(fresh, other)
