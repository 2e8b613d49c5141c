"""Hardening of what changes state (issue 17): load_state_dict and
Optimizer.step are all-or-nothing, no failing call changes a model, its
gradients or its optimizer, Module.to refuses integer dtypes, Linear(0, n)
and list inputs behave as in PyTorch, and the random generators' state can
be saved so that a resumed run is bit-identical to an uninterrupted one."""
import copy
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.data import DataLoader, TensorDataset
from tinygrad_nndl.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _net():
    return nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))


def _trained(make_opt):
    net = _net()
    opt = make_opt(net.parameters())
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(net(tg.randn(5, 3)), np.array([0, 1, 1, 0, 1])).backward()
        opt.step()
    opt.zero_grad()
    F.cross_entropy(net(tg.randn(5, 3)), np.array([0, 1, 1, 0, 1])).backward()
    return net, opt


def _snapshot(net, opt):
    """Everything a failing call must leave as it was."""
    params = {k: (p.data.copy(), None if p.grad is None else p.grad.data.copy())
              for k, p in net.named_parameters()}
    state = {i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
             for i, s in enumerate(opt.state.values())}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return params, state, copy.deepcopy(groups)


def _assert_same(a, b):
    (pa, sa, ga), (pb, sb, gb) = a, b
    assert pa.keys() == pb.keys() and sa.keys() == sb.keys() and ga == gb
    for k in pa:
        np.testing.assert_array_equal(pa[k][0], pb[k][0])
        assert (pa[k][1] is None) == (pb[k][1] is None)
        if pa[k][1] is not None:
            np.testing.assert_array_equal(pa[k][1], pb[k][1])
    for i in sa:
        assert sa[i].keys() == sb[i].keys()
        for k in sa[i]:
            np.testing.assert_array_equal(sa[i][k], sb[i][k])


# ----- item 5: load_state_dict validates everything, then writes ---------------------------
def _good_state(net):
    return {k: v.data.copy() + 1 for k, v in net.state_dict().items()}


@pytest.mark.parametrize("last, error, problem", [
    (lambda shape: np.full(shape, "1.0"), TypeError, "<U3"),        # strings of the right shape
    (lambda shape: None, TypeError, "NoneType"),
    (lambda shape: "0.5", TypeError, "str"),
    (lambda shape: [1.0, None], TypeError, "None"),                # numpy would make it NaN
    (lambda shape: np.array([{}] * shape[0], dtype=object), TypeError, "object"),
    (lambda shape: np.ones(shape, complex), TypeError, "complex"),
    (lambda shape: np.ones((7,)), ValueError, "size mismatch"),
    (lambda shape: [[1.0], [1.0, 2.0]], ValueError, "rectangular"),
])
def test_load_state_dict_writes_nothing_when_any_entry_is_bad(last, error, problem):
    net = _net()
    before = {k: v.data.copy() for k, v in net.state_dict().items()}
    state = _good_state(net)
    state["2.bias"] = last(net[2].bias.shape)   # the last entry: the others would be written first
    with pytest.raises(error, match=problem):
        net.load_state_dict(state)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k])


def test_load_state_dict_accepts_lists_ints_and_casts_to_the_parameter_dtype():
    net = nn.Linear(2, 1)
    net.load_state_dict({"weight": [[1, 2]], "bias": np.array([0.5], np.float64)})
    assert net.weight.dtype == np.float32 and net.weight.data.tolist() == [[1.0, 2.0]]
    assert net.bias.data.tolist() == [0.5]


def test_load_state_dict_keeps_integer_buffers_integer():
    net = nn.Linear(2, 1)
    net.register_buffer("count", tg.tensor([3]))
    net.load_state_dict({**net.state_dict(), "count": np.array([4])})
    assert net.count.data.tolist() == [4]
    with pytest.raises(TypeError, match="float64 values.*int64"):
        net.load_state_dict({**net.state_dict(), "count": np.array([4.5])})
    assert net.count.data.tolist() == [4]


# ----- item 5: Optimizer.step validates every gradient first --------------------------------
@pytest.mark.parametrize("make_opt", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True)], ids=["sgd", "adam"])
@pytest.mark.parametrize("bad_grad, error, problem", [
    (lambda p: np.ones(1, np.float32), ValueError, r"shape \(1,\)"),   # would broadcast silently
    (lambda p: np.ones(p.shape[0] + 1, np.float32), ValueError, "shape"),
    (lambda p: np.ones(p.shape), TypeError, "float64"),
    (lambda p: np.ones(p.shape, np.int64), TypeError, "int64"),
])
def test_step_updates_nothing_when_any_gradient_is_bad(make_opt, bad_grad, error, problem):
    net, opt = _trained(make_opt)
    last = net[2].bias
    # Through .data: assigning .grad itself may be checked (as in PyTorch),
    # but a gradient's array can still be replaced behind its back.
    last.grad.data = bad_grad(last)
    before = _snapshot(net, opt)
    with pytest.raises(error, match=problem):
        opt.step()
    _assert_same(before, _snapshot(net, opt))


def test_step_names_the_parameter_with_the_bad_gradient():
    net = _net()
    opt = optim.SGD(net.named_parameters(), lr=0.1)
    for p in net.parameters():
        p.grad = tg.zeros(*p.shape)
    net[0].weight.grad.data = np.zeros(1, np.float32)
    with pytest.raises(ValueError, match=r"'0\.weight' has shape \(1,\), the parameter \(4, 3\)"):
        opt.step()


# ----- no failing call changes the model, its gradients or its optimizer --------------------
def _failing_calls():
    def bad_state(net, opt):
        s = _good_state(net)
        s["0.weight"] = np.full(net[0].weight.shape, "x")
        net.load_state_dict(s)


    def bad_opt_state(net, opt):
        s = opt.state_dict()
        s["state"][0]["exp_avg"] = tg.ones(9)
        opt.load_state_dict(s)

    return {
        "load_state_dict with strings": bad_state,
        "load_state_dict missing keys": lambda net, opt: net.load_state_dict({"0.weight": 1}),
        "step with a (1,) gradient": (_one_grad, lambda net, opt: opt.step()),
        "optimizer load_state_dict bad shape": bad_opt_state,
        "forward with a list": lambda net, opt: net([[1.0, 2.0, 3.0]]),
        "forward with a wrong shape": lambda net, opt: net(tg.ones(2, 5)),
        "to(int64)": lambda net, opt: net.to(np.int64),
        "loss with a bad target": lambda net, opt: F.cross_entropy(net(tg.ones(2, 3)),
                                                                   np.array([0, 7])),
        "set_rng_state with garbage": lambda net, opt: tg.set_rng_state(tg.zeros(3)),
    }


def _one_grad(net, opt):
    net[0].bias.grad.data = np.ones(1, np.float32)


@pytest.mark.parametrize("name", list(_failing_calls()))
def test_no_failing_call_changes_parameters_grads_or_optimizer_state(name):
    net, opt = _trained(lambda ps: optim.Adam(ps, lr=0.01))
    call = _failing_calls()[name]
    if isinstance(call, tuple):   # (what sets the scene, the call that fails)
        call[0](net, opt)
        call = call[1]
    before = _snapshot(net, opt)
    with pytest.raises((TypeError, ValueError, RuntimeError, IndexError)):
        call(net, opt)
    _assert_same(before, _snapshot(net, opt))
    for p in net.parameters():
        assert p.dtype == np.float32 and p.requires_grad


# ----- item 6: Module.to, Linear(0, n), lists ---------------------------------------------
def test_module_to_an_integer_dtype_raises_as_in_pytorch():
    net = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="only accepts floating point dtypes.*int64"):
        net.to(np.int64)
    assert net.weight.dtype == np.float32 and net.weight.requires_grad


def test_module_to_leaves_integer_buffers_alone():
    net = nn.Linear(2, 2)
    net.register_buffer("count", tg.tensor([3]))
    net.double()
    assert net.weight.dtype == np.float64 and net.count.dtype == np.int64


@pytest.mark.torch
def test_linear_with_no_inputs_matches_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        ours = nn.Linear(0, 3)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        theirs = torch.nn.Linear(0, 3)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (3, 0)
    np.testing.assert_array_equal(ours.bias.data, theirs.bias.detach().numpy())   # zeros
    x = tg.zeros(4, 0, requires_grad=True)
    y = ours(x)
    y.sum().backward()
    assert y.shape == (4, 3) and np.all(y.data == 0)
    np.testing.assert_array_equal(ours.bias.grad.data, [4, 4, 4])
    assert ours.weight.grad.shape == (3, 0)


def test_a_list_given_to_a_model_raises_type_error_naming_tensor():
    net = _net()
    with pytest.raises(TypeError, match=r"linear\(\): argument 'input' \(position 1\) must be "
                                        r"Tensor, not list"):
        net([[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match=r"dropout\(\): .* must be Tensor, not list"):
        nn.Dropout(0.5)([1.0, 2.0])


# ----- item 6: random generator state --------------------------------------------------------
def test_rng_state_round_trips_every_draw():
    tg.rand(3)
    state = tg.get_rng_state()
    assert state.dtype == np.uint8 and state.ndim == 1
    a = [tg.randn(4).data, tg.rand(3, dtype=tg.float32).data, tg.randint(0, 9, (5,)).data]
    tg.set_rng_state(state)
    b = [tg.randn(4).data, tg.rand(3, dtype=tg.float32).data, tg.randint(0, 9, (5,)).data]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("bad, error", [(tg.zeros(48), TypeError), (np.zeros(48, np.uint8),
                                        ValueError), ("state", TypeError)])
def test_set_rng_state_refuses_anything_else_and_keeps_the_state(bad, error):
    state = tg.get_rng_state()
    with pytest.raises(error):
        tg.set_rng_state(bad)
    np.testing.assert_array_equal(tg.get_rng_state().data, state.data)


def test_generators_drive_dropout_and_shuffling_apart_from_the_library_generator():
    ds = TensorDataset(np.arange(20.0))
    x = tg.ones(50)

    def run(seed):
        g = tg.Generator(seed)
        order = np.concatenate([b[0].data for b in DataLoader(ds, batch_size=7, shuffle=True, generator=g)])
        mask = F.dropout(x, 0.5, generator=tg.Generator(seed)).data
        return order, mask

    state = tg.get_rng_state()
    (o1, m1), (o2, m2), (o3, _) = run(1), run(1), run(2)
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_array_equal(m1, m2)
    assert sorted(o1) == list(range(20)) and not np.array_equal(o1, o3)
    np.testing.assert_array_equal(tg.get_rng_state().data, state.data)   # untouched
    layer = nn.Dropout(0.5, generator=tg.Generator(1))
    np.testing.assert_array_equal(layer(x).data, m1)
    with pytest.raises(ValueError, match="seed or a generator"):
        DataLoader(ds, seed=1, generator=tg.Generator(1))
    with pytest.raises(TypeError, match="generator must be"):
        DataLoader(ds, generator=1)


def test_generator_state_replays_an_epoch():
    ds = TensorDataset(np.arange(10.0))
    g = tg.Generator(5)
    loader = DataLoader(ds, batch_size=3, shuffle=True, generator=g)
    next(iter(loader))
    saved = g.get_state()
    first = [b[0].data.tolist() for b in loader]
    g.set_state(saved)
    assert [b[0].data.tolist() for b in loader] == first


# ----- a resumed run is bit-identical ---------------------------------------------------------
_TRAIN = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tinygrad_nndl as tg
    from tinygrad_nndl import nn, optim
    from tinygrad_nndl.data import DataLoader, TensorDataset
    from tinygrad_nndl.nn import functional as F

    mode, path, steps, save_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    data = np.random.default_rng(42)
    ds = TensorDataset(data.standard_normal((50, 6)).astype(np.float32),
                       data.integers(0, 3, 50))
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.4), nn.Linear(16, 3))
    opt = optim.Adam(net.parameters(), lr=0.01)
    shuffle = tg.Generator(7)
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=shuffle)
    step, skip = 0, 0
    if mode == "resume":
        ck = tg.load(path)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        tg.set_rng_state(ck["rng"])
        shuffle.set_state(ck["epoch_shuffle"])
        step, skip = ck["step"], ck["batch"]
    losses = []
    while step < steps:
        epoch_shuffle = shuffle.get_state()   # the state that draws this epoch's order
        for batch, (x, y) in enumerate(loader):
            if skip:
                skip -= 1
                continue
            if step == save_at and mode == "full":
                tg.save({"model": net.state_dict(), "optimizer": opt.state_dict(),
                         "rng": tg.get_rng_state(), "epoch_shuffle": epoch_shuffle,
                         "step": step, "batch": batch}, path)
            if step == steps:
                break
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            losses.append(float(loss.item()).hex())
            step += 1
    print(json.dumps(losses))
""")


def _run(tmp_path, *args):
    script = tmp_path / "train.py"
    script.write_text(_TRAIN)
    out = subprocess.run([sys.executable, str(script), *map(str, args)], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": ROOT}, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_resume_in_a_fresh_process_is_bit_identical(tmp_path):
    path = tmp_path / "ckpt.npz"
    steps, save_at = 20, 9   # 7 batches an epoch: the save falls mid-epoch
    full = _run(tmp_path, "full", path, steps, save_at)
    resumed = _run(tmp_path, "resume", path, steps, save_at)
    assert len(full) == steps and resumed == full[save_at:]
