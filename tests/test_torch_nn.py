"""PyTorch as the oracle for losses, Linear, the optimizers, the schedules and
state dicts (float64, to 1e-6 or better)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn, optim  # noqa: E402
from tinygrad_nndl.nn import functional as F  # noqa: E402
from tinygrad_nndl.optim.lr_scheduler import ReduceLROnPlateau, StepLR  # noqa: E402

pytestmark = pytest.mark.torch
TOL = dict(rtol=1e-9, atol=1e-10)


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def _compare(ours, theirs, inputs, tinputs, tol=TOL):
    """Values, then gradients of a fixed random projection of the outputs."""
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **tol)
    w = np.random.default_rng(0).standard_normal(ours.shape)
    (ours * w).sum().backward()
    (theirs * torch.from_numpy(w)).sum().backward()
    for a, b in zip(inputs, tinputs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **tol)


@pytest.fixture
def data():
    rng = np.random.default_rng(42)
    return dict(z=rng.standard_normal((6, 4)) * 3, p=rng.uniform(0.01, 0.99, (6, 4)),
                y=rng.uniform(0, 1, (6, 4)), idx=rng.integers(0, 4, 6),
                w=rng.uniform(0.5, 2, 4), probs=rng.dirichlet(np.ones(4), 6),
                z4=rng.standard_normal((2, 4, 3, 2)), idx4=rng.integers(0, 4, (2, 3, 2)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_equal_pytorch(data, reduction):
    d = data
    r = dict(reduction=reduction)
    cases = [
        (lambda a, t: F.mse_loss(a, t, **r), lambda a, t: TF.mse_loss(a, t, **r), "z", "y"),
        (lambda a, t: F.binary_cross_entropy(a, t, **r),
         lambda a, t: TF.binary_cross_entropy(a, t, **r), "p", "y"),
        (lambda a, t: F.binary_cross_entropy(a, t, d["w"], **r),
         lambda a, t: TF.binary_cross_entropy(a, t, _t(d["w"]), **r), "p", "y"),
        (lambda a, t: F.binary_cross_entropy_with_logits(a, t, **r),
         lambda a, t: TF.binary_cross_entropy_with_logits(a, t, **r), "z", "y"),
        (lambda a, t: F.binary_cross_entropy_with_logits(a, t, d["w"], pos_weight=d["w"][::-1],
                                                         **r),
         lambda a, t: TF.binary_cross_entropy_with_logits(
             a, t, _t(d["w"]), pos_weight=_t(d["w"][::-1].copy()), **r), "z", "y"),
        (lambda a, t: F.cross_entropy(a, t, **r), lambda a, t: TF.cross_entropy(a, t, **r),
         "z", "probs"),
        (lambda a, t: F.cross_entropy(a, t, d["w"], **r),
         lambda a, t: TF.cross_entropy(a, t, _t(d["w"]), **r), "z", "probs"),
    ]
    for ours_fn, torch_fn, x, t in cases:
        a, ta = tg.tensor(d[x], requires_grad=True), _t(d[x], True)
        b, tb = tg.tensor(d[t], requires_grad=True), _t(d[t], True)
        _compare(ours_fn(a, b), torch_fn(ta, tb), [a, b], [ta, tb])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"ignore_index": 2},
                                     {"weight": True, "ignore_index": 1}])
def test_index_target_losses_equal_pytorch(data, reduction, options):
    d = data
    kw = dict(reduction=reduction)
    if "ignore_index" in options:
        kw["ignore_index"] = options["ignore_index"]
    ours_w = d["w"] if options.get("weight") else None
    torch_w = _t(d["w"]) if options.get("weight") else None
    for x, idx in (("z", "idx"), ("z4", "idx4")):
        for ours_fn, torch_fn, prep, tprep in (
                (F.cross_entropy, TF.cross_entropy, lambda a: a, lambda a: a),
                (F.nll_loss, TF.nll_loss, lambda a: a.log_softmax(1),
                 lambda a: a.log_softmax(1))):
            a, ta = tg.tensor(d[x], requires_grad=True), _t(d[x], True)
            _compare(ours_fn(prep(a), d[idx], ours_w, **kw),
                     torch_fn(tprep(ta), torch.from_numpy(d[idx]), torch_w, **kw), [a], [ta])
    # Unbatched: logits (C,) and a 0-d target.
    a, ta = tg.tensor(d["z"][0], requires_grad=True), _t(d["z"][0], True)
    _compare(F.cross_entropy(a, np.int64(3), ours_w, **kw),
             TF.cross_entropy(ta, torch.tensor(3), torch_w, **kw), [a], [ta])


def test_binary_cross_entropy_at_saturation_equals_pytorch():
    """Both clamp the logs at -100 and floor a(1 - a) at 1e-12 in the gradient
    (PyTorch's floor is 1e-12 rounded to float32, 4e-9 away: hence rtol 1e-6)."""
    a_np = np.array([0.0, 1.0, 0.0, 1.0, 1e-50, 0.5])
    y_np = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.5])
    a, ta = tg.tensor(a_np, requires_grad=True), _t(a_np, True)
    ours = F.binary_cross_entropy(a, y_np, reduction="none")
    theirs = TF.binary_cross_entropy(ta, _t(y_np), reduction="none")
    _compare(ours, theirs, [a], [ta], tol=dict(rtol=1e-6, atol=1e-10))


def test_second_derivatives_equal_pytorch(data):
    """Hessian-vector products through the fused losses (create_graph)."""
    d = data
    v = np.random.default_rng(1).standard_normal(d["z"].shape)
    for ours_fn, torch_fn in (
            (lambda a: F.cross_entropy(a, d["idx"]),
             lambda a: TF.cross_entropy(a, torch.from_numpy(d["idx"]))),
            (lambda a: F.cross_entropy(a, d["probs"]),
             lambda a: TF.cross_entropy(a, _t(d["probs"]))),
            (lambda a: F.binary_cross_entropy_with_logits(a, d["y"]),
             lambda a: TF.binary_cross_entropy_with_logits(a, _t(d["y"]))),
            (lambda a: F.binary_cross_entropy(a.sigmoid(), d["y"], reduction="sum"),
             lambda a: TF.binary_cross_entropy(a.sigmoid(), _t(d["y"]), reduction="sum")),
            (lambda a: F.quadratic_cost(a.sigmoid(), d["y"]),
             lambda a: 0.5 * ((a.sigmoid() - _t(d["y"])) ** 2).sum() / a.shape[0])):
        a, ta = tg.tensor(d["z"], requires_grad=True), _t(d["z"], True)
        (g,) = tg.autograd.grad(ours_fn(a), a, create_graph=True)
        (hv,) = tg.autograd.grad((g * v).sum(), a)
        (tgrad,) = torch.autograd.grad(torch_fn(ta), ta, create_graph=True)
        (thv,) = torch.autograd.grad((tgrad * torch.from_numpy(v)).sum(), ta)
        np.testing.assert_allclose(g.data, tgrad.detach().numpy(), **TOL)
        np.testing.assert_allclose(hv.data, thv.numpy(), rtol=1e-6, atol=1e-9)


# ----- Linear and whole networks ----------------------------------------------
def _pair(sizes, seed=0):
    """Our Sequential and torch's, with the same float64 weights."""
    tg.manual_seed(seed)
    layers, tlayers = [], []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        tlayers.append(torch.nn.Linear(a, b, dtype=torch.float64))
        if i < len(sizes) - 2:
            layers.append(nn.Sigmoid())
            tlayers.append(torch.nn.Sigmoid())
    ours = nn.Sequential(*layers).double()
    theirs = torch.nn.Sequential(*tlayers)
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy())
                            for k, v in ours.state_dict().items()})
    return ours, theirs


def test_linear_equals_pytorch():
    ours, theirs = _pair([5, 3])
    x_np = np.random.default_rng(0).standard_normal((4, 5))
    x, tx = tg.tensor(x_np, requires_grad=True), _t(x_np, True)
    _compare(ours(x), theirs(tx), [x, ours[0].weight, ours[0].bias],
             [tx, theirs[0].weight, theirs[0].bias])


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [
    ((3, 2, 5), (4, 5), (4,)),        # rows of any batch shape: one matmul for all
    ((2, 1, 3, 5), (4, 5), None),
    ((3, 2, 0), (4, 0), (4,)),        # no input features
    ((3, 2, 5), (5,), ()),            # a 1-D weight: one output, dropped
    ((5,), (4, 5), (4,))])
def test_functional_linear_equals_pytorch_for_every_shape(x_shape, w_shape, b_shape):
    rng = np.random.default_rng(1)
    shapes = (x_shape, w_shape) if b_shape is None else (x_shape, w_shape, b_shape)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [_t(a, True) for a in arrays]
    _compare(F.linear(*ours), TF.linear(*theirs), ours, theirs)


def test_state_dict_moves_to_pytorch_and_back():
    ours, _ = _pair([4, 6, 3])
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Sigmoid(),
                                 torch.nn.Linear(6, 3)).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((5, 4))
    np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(_t(x)).detach().numpy(), **TOL)
    # And back: torch's tensors as numpy arrays.
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(-2.0)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(_t(x)).detach().numpy(), **TOL)


def test_checkpoint_file_moves_to_pytorch(tmp_path):
    ours, _ = _pair([3, 2])
    path = tmp_path / "m.npz"
    tg.save(ours.state_dict(), path)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2)).double()
    with np.load(path, allow_pickle=False) as raw:
        theirs.load_state_dict({k: torch.from_numpy(raw[k]) for k in raw.files
                                if k != "__structure__"})
    np.testing.assert_array_equal(theirs[0].weight.detach().numpy(), ours[0].weight.data)


# ----- optimizers ------------------------------------------------------------------
OPTIMIZERS = [
    (lambda ps: optim.SGD(ps, lr=0.3), lambda ps: torch.optim.SGD(ps, lr=0.3)),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.2, weight_decay=0.1),
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.2, weight_decay=0.1)),
    (lambda ps: optim.Adam(ps, lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    (lambda ps: optim.Adam(ps, lr=0.02, betas=(0.8, 0.95), weight_decay=0.05),
     lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.95), weight_decay=0.05)),
    (lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True, eps=1e-6),
     lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True, eps=1e-6)),
]


@pytest.mark.parametrize("make,make_torch", OPTIMIZERS)
def test_optimizer_steps_equal_pytorch(make, make_torch):
    """Ten steps of training a [4, 6, 3] network with cross-entropy: every
    parameter and every piece of optimizer state equal PyTorch's to 1e-6."""
    ours, theirs = _pair([4, 6, 3], seed=3)
    opt, topt = make(ours.parameters()), make_torch(theirs.parameters())
    rng = np.random.default_rng(7)
    for _ in range(10):
        x = rng.standard_normal((8, 4))
        idx = rng.integers(0, 3, 8)
        opt.zero_grad()
        topt.zero_grad()
        F.cross_entropy(ours(tg.tensor(x)), idx).backward()
        TF.cross_entropy(theirs(_t(x)), torch.from_numpy(idx)).backward()
        opt.step()
        topt.step()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for i, entry in sd["state"].items():
        for key, value in entry.items():
            want = tsd["state"][i][key]
            got = value.data if isinstance(value, tg.Tensor) else value
            np.testing.assert_allclose(got, want.numpy() if torch.is_tensor(want) else want,
                                       rtol=1e-6, atol=1e-9, err_msg=f"state[{i}].{key}")


def test_book_l2_weight_decay_on_weights_only_equals_pytorch_param_groups():
    ours, theirs = _pair([4, 5, 2], seed=4)

    def groups(model):
        named = list(model.named_parameters())
        return [{"params": [p for n, p in named if n.endswith("weight")],
                 "weight_decay": 5.0 / 1000},
                {"params": [p for n, p in named if n.endswith("bias")]}]
    opt = optim.SGD(groups(ours), lr=0.5)
    topt = torch.optim.SGD(groups(theirs), lr=0.5)
    rng = np.random.default_rng(8)
    for _ in range(5):
        x, y = rng.standard_normal((10, 4)), rng.uniform(0, 1, (10, 2))
        opt.zero_grad()
        topt.zero_grad()
        F.binary_cross_entropy(ours(tg.tensor(x)).sigmoid(), y).backward()
        TF.binary_cross_entropy(theirs(_t(x)).sigmoid(), _t(y)).backward()
        opt.step()
        topt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)


# ----- schedules ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(mode="max", factor=0.5, patience=2),
    dict(mode="min", factor=0.1, patience=0, threshold=0.1, cooldown=1, min_lr=0.005),
    dict(mode="min", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs",
         cooldown=2)])
def test_reduce_lr_on_plateau_equals_pytorch(kwargs):
    metrics = [0.9, 0.92, 0.92, 0.91, 0.95, 0.95, 0.94, 0.96, 0.96, 0.96, 0.97, 0.5, 0.5,
               0.4, 0.41, 0.42, 0.43, 0.38, 0.38, 0.38]
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    topt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
    sched = ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for m in metrics:
        sched.step(m)
        tsched.step(m)
        assert opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]
        assert sched.num_bad_epochs == tsched.num_bad_epochs


def test_step_lr_equals_pytorch():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=0.8)
    topt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.8)
    sched, tsched = StepLR(opt, 3, gamma=0.3), torch.optim.lr_scheduler.StepLR(topt, 3, 0.3)
    for _ in range(10):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
