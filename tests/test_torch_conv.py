"""PyTorch as the oracle for convolution, pooling, padding, batch norm and a
chapter 6 network (float64 values and gradients; state dicts both ways)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn  # noqa: E402
from tinygrad_nndl.nn import functional as F  # noqa: E402

pytestmark = pytest.mark.torch
TOL = dict(rtol=1e-9, atol=1e-10)
ROOT = Path(__file__).resolve().parents[1]


def _both(a):
    a = np.asarray(a, dtype=np.float64)
    return (tg.tensor(a, requires_grad=True),
            torch.tensor(a, dtype=torch.float64, requires_grad=True))


def _compare(ours, theirs, inputs, tinputs, tol=TOL):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **tol)
    w = np.random.default_rng(0).standard_normal(ours.shape)
    (ours * tg.tensor(w)).sum().backward()
    (theirs * torch.from_numpy(w)).sum().backward()
    for a, b in zip(inputs, tinputs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **tol)


@st.composite
def conv_args(draw):
    groups = draw(st.sampled_from([1, 2, 3]))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                             st.sampled_from(["same", "valid"])))
    if padding == "same":
        s = (1, 1)
    p = (0, 0) if isinstance(padding, str) else padding
    h = draw(st.integers(max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]), 9))
    w = draw(st.integers(max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]), 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return (rng.standard_normal((draw(st.integers(1, 3)), cg * groups, h, w)),
            rng.standard_normal((og * groups, cg, *k)), rng.standard_normal(og * groups),
            dict(stride=s, padding=padding, dilation=d, groups=groups))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@given(conv_args())
def test_conv2d(args):
    x, w, b, kw = args
    (x, tx), (w, tw), (b, tb) = _both(x), _both(w), _both(b)
    _compare(F.conv2d(x, w, b, **kw), TF.conv2d(tx, tw, tb, **kw), (x, w, b), (tx, tw, tb))


def test_conv1d_and_modules_load_torch_state_dicts():
    rng = np.random.default_rng(1)
    (x, tx), (w, tw) = _both(rng.standard_normal((2, 4, 11))), _both(rng.standard_normal((6, 2, 3)))
    _compare(F.conv1d(x, w, stride=2, padding=2, dilation=2, groups=2),
             TF.conv1d(tx, tw, stride=2, padding=2, dilation=2, groups=2), (x, w), (tx, tw))
    for ours, theirs, shape in (
            (nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect"),
             torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect"),
             (2, 4, 7, 6)),
            (nn.Conv2d(4, 6, (2, 3), padding="same", padding_mode="replicate", bias=False),
             torch.nn.Conv2d(4, 6, (2, 3), padding="same", padding_mode="replicate", bias=False),
             (2, 4, 5, 5)),
            (nn.Conv1d(3, 2, 3, padding=1, padding_mode="circular"),
             torch.nn.Conv1d(3, 2, 3, padding=1, padding_mode="circular"), (2, 3, 6))):
        ours.double()
        theirs.double()
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        (a, ta) = _both(rng.standard_normal(shape))
        _compare(ours(a), theirs(ta), (a,), (ta,))
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **TOL)


@st.composite
def pool_args(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]), 9))
    w = draw(st.integers(max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]), 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((2, 3, h, w))
    if draw(st.booleans()):   # ties: the gradient must go where PyTorch sends it
        x = np.round(x)
    return x, dict(kernel_size=k, stride=s, padding=p, ceil_mode=draw(st.booleans())), d


@given(pool_args())
def test_max_pool2d(args):
    a, kw, d = args
    (x, tx) = _both(a)
    out, idx = F.max_pool2d(x, dilation=d, return_indices=True, **kw)
    tout, tidx = TF.max_pool2d(tx, dilation=d, return_indices=True, **kw)
    # A dilated window can fall wholly on padding: -inf, and an index PyTorch
    # makes up past the input's edge. Not compared.
    assume(torch.isfinite(tout).all())
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    _compare(out, tout, (x,), (tx,))


@given(pool_args(), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool2d(args, count_include_pad, divisor):
    a, kw, _ = args
    (x, tx) = _both(a)
    _compare(F.avg_pool2d(x, count_include_pad=count_include_pad, divisor_override=divisor, **kw),
             TF.avg_pool2d(tx, count_include_pad=count_include_pad, divisor_override=divisor,
                           **kw), (x,), (tx,))


@pytest.mark.parametrize("size", [(3, 4), (2, 2), (5, 3), (1, 1), (None, 2), 4])
def test_adaptive_avg_pool2d(size):
    (x, tx) = _both(np.random.default_rng(2).standard_normal((2, 3, 8, 6)))
    _compare(F.adaptive_avg_pool2d(x, size), TF.adaptive_avg_pool2d(tx, size), (x,), (tx,))
    assert nn.AdaptiveAvgPool2d(size)(x).shape == torch.nn.AdaptiveAvgPool2d(size)(tx).shape


@pytest.mark.parametrize("mode,pads", [
    ("constant", (1, 2, -1, 3)), ("constant", (0, 0, 2, 1, 1, 0)), ("reflect", (2, 1, 3, 0)),
    ("replicate", (3, 1, 0, 2)), ("circular", (2, 1, 3, 2))])
def test_pad(mode, pads):
    (x, tx) = _both(np.random.default_rng(3).standard_normal((2, 3, 5, 4)))
    value = 1.5 if mode == "constant" else None
    _compare(F.pad(x, pads, mode=mode, value=value), TF.pad(tx, pads, mode=mode, value=value),
             (x,), (tx,))


@pytest.mark.parametrize("cls,shape,kw", [
    ("BatchNorm2d", (4, 3, 5, 2), {}),
    ("BatchNorm2d", (4, 3, 5, 2), dict(momentum=None)),
    ("BatchNorm2d", (4, 3, 5, 2), dict(affine=False, momentum=0.3)),
    ("BatchNorm1d", (6, 3), dict(eps=1e-3)),
    ("BatchNorm1d", (6, 3, 4), dict(track_running_stats=False)),
])
def test_batchnorm_train_then_eval(cls, shape, kw):
    ours, theirs = getattr(nn, cls)(3, **kw).double(), getattr(torch.nn, cls)(3, **kw).double()
    rng = np.random.default_rng(4)
    if ours.affine:
        w = rng.uniform(0.5, 2, 3)
        ours.weight.data[:] = w
        theirs.weight.data[:] = torch.from_numpy(w)
    for step in range(3):
        a = rng.standard_normal(shape) * 3 + step
        (x, tx) = _both(a)
        _compare(ours(x), theirs(tx), (x,), (tx,))
    for (k, v), (tk, tv) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == tk
        np.testing.assert_allclose(v.data, tv.numpy(), **TOL)
    ours.eval()
    theirs.eval()
    (x, tx) = _both(rng.standard_normal(shape))
    _compare(ours(x), theirs(tx), (x,), (tx,))
    if ours.affine:
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **TOL)
    fresh = getattr(nn, cls)(3, **kw).double().eval()   # PyTorch's state dict loads unchanged
    fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(fresh(x).data, theirs(tx).detach().numpy(), **TOL)


def _network3():
    spec = importlib.util.spec_from_file_location("network3", ROOT / "examples" / "network3.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chapter6_network_state_dict_both_ways():
    """The book's two conv-pool ReLU network with dropout FC layers: loaded
    into PyTorch it computes the same outputs and gradients; PyTorch's trained
    state dict loads back unchanged."""
    network3 = _network3()
    tg.manual_seed(0)
    model = network3.build("dropout").double()
    tmodel = network3.to_torch(model).double()
    assert list(model.state_dict()) == list(tmodel.state_dict())
    model.eval()
    tmodel.eval()
    rng = np.random.default_rng(5)
    images, labels = rng.random((3, 1, 28, 28)), np.array([3, 1, 4])
    (x, tx) = _both(images)
    nn.init.normal_(model[-1].fc.weight, 0, 0.1)   # away from the zero init, for real gradients
    tmodel.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in model.state_dict().items()})
    loss = F.cross_entropy(model(x), tg.tensor(labels))
    tloss = TF.cross_entropy(tmodel(tx), torch.tensor(labels))
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    for (name, p), tp in zip(model.named_parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=name)
    with torch.no_grad():   # PyTorch -> ours
        for tp in tmodel.parameters():
            tp.mul_(1.5)
    model.load_state_dict({k: v.numpy() for k, v in tmodel.state_dict().items()})
    np.testing.assert_allclose(model(x).data, tmodel(tx).detach().numpy(), rtol=1e-10)


def test_max_pool2d_nan_goes_where_pytorch_sends_it():
    a = np.array([[[[1.0, np.nan, 0.0, 5.0], [np.nan, 0.0, 7.0, 7.0]]]])
    (x, tx) = _both(a)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    tout, tidx = TF.max_pool2d(tx, 2, return_indices=True)
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
