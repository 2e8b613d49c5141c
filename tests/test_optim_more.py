"""AdamW, RMSprop, Adagrad and the schedules ExponentialLR, CosineAnnealingLR,
LambdaLR, MultiStepLR: closed forms, and PyTorch as the oracle (trajectories,
learning rates and state dicts in PyTorch's layout)."""
import math

import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR,
                                              MultiStepLR, StepLR)


def _param(values):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _step(opt, p, grad):
    p.grad = tg.tensor(np.asarray(grad, dtype=np.float64))
    opt.step()


def test_adamw_decays_the_weights_apart_from_the_gradient():
    p = _param([1.0, -2.0])
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    _step(opt, p, [0.0, 0.0])   # a zero gradient: only the decay acts
    np.testing.assert_allclose(p.data, [0.95, -1.9])
    q = _param([3.0])
    _step(optim.AdamW([q], lr=0.1, weight_decay=0.0), q, [2.0])
    np.testing.assert_allclose(q.data, [3.0 - 0.1 * 1 / (1 + 1e-8 / 2)], rtol=1e-12)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_rmsprop_first_step_closed_form():
    p = _param([1.0])
    _step(optim.RMSprop([p], lr=0.01, alpha=0.9), p, [2.0])
    np.testing.assert_allclose(p.data, [1.0 - 0.01 * 2 / (math.sqrt(0.1 * 4) + 1e-8)])


def test_adagrad_closed_form_with_lr_decay():
    p = _param([0.0])
    opt = optim.Adagrad([p], lr=1.0, lr_decay=0.5, initial_accumulator_value=1.0)
    assert opt.state[p]["sum"].tolist() == [1.0]   # the state exists before any step
    _step(opt, p, [1.0])
    _step(opt, p, [1.0])
    want = -1 / (math.sqrt(2) + 1e-10) - (1 / 1.5) / (math.sqrt(3) + 1e-10)
    np.testing.assert_allclose(p.data, [want], rtol=1e-12)


def test_schedules_closed_forms():
    opt = optim.SGD([_param([0.0])], lr=1.0)
    sched = ExponentialLR(opt, gamma=0.5)
    lrs = []
    for _ in range(4):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    assert lrs == [1.0, 0.5, 0.25, 0.125]
    opt = optim.SGD([_param([0.0])], lr=2.0)
    sched = CosineAnnealingLR(opt, T_max=10, eta_min=0.1)
    for t in range(1, 25):
        sched.step()
        np.testing.assert_allclose(opt.param_groups[0]["lr"],
                                   0.1 + 1.9 * (1 + math.cos(math.pi * t / 10)) / 2, atol=1e-12)
    opt = optim.SGD([_param([0.0])], lr=1.0)
    sched = MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.1)
    got = []
    for _ in range(7):
        got.append(opt.param_groups[0]["lr"])
        sched.step()
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 0.1, 0.001, 0.001])
    opt = optim.SGD([{"params": [_param([0.0])]}, {"params": [_param([0.0])], "lr": 3.0}],
                    lr=1.0)
    sched = LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: e + 1])
    sched.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.25, 9.0]
    assert sched.state_dict()["lr_lambdas"] == [None, None]


# ----- PyTorch as the oracle ------------------------------------------------------------
def _torch_pair(torch, our_cls, torch_cls, kwargs, steps=12, seed=0):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((3, 4))
    ours = tg.tensor(w0, requires_grad=True)
    theirs = torch.tensor(w0, requires_grad=True)
    a, b = our_cls([ours], **kwargs), torch_cls([theirs], **kwargs)
    for _ in range(steps):
        g = rng.standard_normal((3, 4))
        ours.grad = tg.tensor(g)
        theirs.grad = torch.tensor(g)
        a.step()
        b.step()
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    return a, b, ours, theirs


OPTIMIZERS = [
    ("AdamW", {}), ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(betas=(0.5, 0.9), maximize=True)),
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RMSprop", {}), ("RMSprop", dict(lr=0.05, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(momentum=0.9, centered=True)),
    ("RMSprop", dict(momentum=0.5, centered=False, maximize=True)),
    ("Adagrad", {}), ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.2,
                                      initial_accumulator_value=0.3, eps=1e-6)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_optimizers_follow_pytorch_and_swap_state_dicts(name, kwargs):
    torch = pytest.importorskip("torch")
    a, b, ours, theirs = _torch_pair(torch, getattr(optim, name), getattr(torch.optim, name),
                                     kwargs)
    mine, reference = a.state_dict(), b.state_dict()
    assert mine["state"].keys() == reference["state"].keys()
    for k, entry in reference["state"].items():
        assert set(mine["state"][k]) == set(entry)
        for key, v in entry.items():
            np.testing.assert_allclose(np.asarray(mine["state"][k][key].data
                                                  if key != "step" else mine["state"][k][key]),
                                       v.numpy(), rtol=1e-12)
    for key, v in mine["param_groups"][0].items():
        assert reference["param_groups"][0][key] == v, key
    # PyTorch's state dict loads into ours, ours into PyTorch's: both continue alike
    fresh = getattr(optim, name)([ours], **kwargs)
    fresh.load_state_dict({"state": {k: {kk: (vv if kk == "step" else tg.tensor(vv.numpy()))
                                         for kk, vv in e.items()}
                                     for k, e in reference["state"].items()},
                           "param_groups": reference["param_groups"]})
    other = getattr(torch.optim, name)([theirs], **kwargs)
    other.load_state_dict({"state": {k: {kk: torch.tensor(np.asarray(
        vv if kk == "step" else vv.data), dtype=torch.float64) for kk, vv in e.items()}
        for k, e in mine["state"].items()}, "param_groups": mine["param_groups"]})
    g = np.ones((3, 4))
    ours.grad, theirs.grad = tg.tensor(g), torch.tensor(g)
    fresh.step()
    other.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


SCHEDULES = [
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)), ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("MultiStepLR", dict(milestones=[3, 8, 8], gamma=0.5)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e))),
    ("StepLR", dict(step_size=4, gamma=0.3)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_schedules_follow_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours_p, theirs_p = tg.tensor([1.0], requires_grad=True), torch.tensor([1.0],
                                                                          requires_grad=True)
    a = optim.SGD([{"params": [ours_p]}, {"params": [_param([0.0])], "lr": 0.3}], lr=0.1)
    b = torch.optim.SGD([{"params": [theirs_p]},
                         {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
    sa = getattr(optim.lr_scheduler, name)(a, **kwargs)
    sb = getattr(torch.optim.lr_scheduler, name)(b, **kwargs)
    for epoch in range(20):
        np.testing.assert_allclose(sa.get_last_lr(), sb.get_last_lr(), rtol=1e-12,
                                   err_msg=f"epoch {epoch}")
        b.step()     # PyTorch warns if the scheduler steps before the optimizer
        sa.step()
        sb.step()
    assert sa.last_epoch == sb.last_epoch


def test_state_dict_of_a_model_and_its_adamw_roundtrip(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.AdamW(model.parameters(), lr=0.01)
    model(tg.ones(1, 3)).sum().backward()
    opt.step()
    tg.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "ck.npz")
    back = tg.load(tmp_path / "ck.npz")
    opt2 = optim.AdamW(model.parameters(), lr=0.01)
    opt2.load_state_dict(back["opt"])
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
