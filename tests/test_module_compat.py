"""Module.to / cpu / cuda, state-dict keys of a module used twice, nn.Embedding
and nn.utils (clip_grad_norm_, clip_grad_value_, parameters_to_vector):
closed forms, and PyTorch as the oracle."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
                                    vector_to_parameters)


# ----- devices and dtypes ----------------------------------------------------------------
class _Device:
    type = "cpu"


def test_to_cpu_is_a_no_op_and_to_dtype_casts():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    w = model[0].weight
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to(_Device()) is model and model.to("cpu:0") is model
    assert model[0].weight is w and w.dtype == np.float32
    model.to("cpu", tg.float64)
    assert w.dtype == np.float64
    model.to(device="cpu", dtype=tg.float32)
    assert w.dtype == np.float32
    model.to(tg.zeros(1, dtype=tg.float64))
    assert w.dtype == np.float64
    with pytest.raises(TypeError, match="floating point"):
        model.to(tg.int64)


@pytest.mark.parametrize("call", [lambda m: m.cuda(), lambda m: m.to("cuda"),
                                  lambda m: m.to("cuda:1", tg.float64),
                                  lambda m: m.to(device="mps")])
def test_other_devices_say_the_library_runs_on_numpy(call):
    model = nn.Linear(2, 3)
    with pytest.raises(RuntimeError, match="runs on numpy, on the CPU only"):
        call(model)
    assert model.weight.dtype == np.float32   # nothing changed


@pytest.mark.parametrize("make", [lambda: nn.Linear(2, 3, device="cuda"),
                                  lambda: nn.LSTM(2, 3, device="cuda"),
                                  lambda: nn.GRUCell(2, 3, device="cuda"),
                                  lambda: nn.Embedding(4, 2, device="cuda")])
def test_layers_refuse_device_cuda(make):
    with pytest.raises(RuntimeError, match="runs on numpy"):
        make()


def test_layers_take_device_cpu():
    assert nn.Linear(2, 3, device="cpu", dtype=tg.float64).weight.dtype == np.float64
    nn.LSTM(2, 3, device=_Device())


# ----- a module used twice -----------------------------------------------------------------
def test_a_module_used_twice_is_listed_under_both_names_as_in_pytorch():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.parameters())) == 2
    new = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3))
    new.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(new[2].weight.data, shared.weight.data)
    model.load_state_dict(new.state_dict())


@pytest.mark.torch
def test_shared_module_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(3, 3)
    theirs = torch.nn.Sequential(lin, torch.nn.Tanh(), lin)
    shared = nn.Linear(3, 3)
    assert list(nn.Sequential(shared, nn.Tanh(), shared).state_dict()) == \
        list(theirs.state_dict())


# ----- Embedding -----------------------------------------------------------------------------
def test_embedding_looks_up_rows_and_sums_their_gradients():
    emb = nn.Embedding(5, 3)
    assert abs(emb.weight.data.std() - 1) < 0.6   # N(0, 1) init
    idx = tg.tensor([[1, 4, 1], [0, 1, 2]])
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx.data])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[:, 0], [1, 3, 1, 0, 1])


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=-1)
    assert emb.padding_idx == 3 and emb.weight.data[3].tolist() == [0, 0]
    emb.weight.data[3] = 7.0     # PyTorch returns whatever the row holds
    out = emb(tg.tensor([3, 1, 3]))
    assert out.data[0].tolist() == [7.0, 7.0]
    (out * 2).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data, [[0, 0], [2, 2], [0, 0], [0, 0]])


def test_embedding_from_pretrained_is_frozen_and_shares_memory():
    table = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    table.data[0, 0] = 9.0
    assert emb(tg.tensor([0])).tolist() == [[9.0, 2.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_max_norm_renormalizes_looked_up_rows():
    emb = nn.Embedding.from_pretrained(tg.tensor([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0)
    emb(tg.tensor([0, 1]))
    np.testing.assert_allclose(emb.weight.data, [[3 / (5 + 1e-7), 4 / (5 + 1e-7)],
                                                 [0.3, 0.4]], rtol=1e-6)


def test_embedding_errors():
    emb = nn.Embedding(3, 2)
    with pytest.raises(TypeError, match=r"indices must be integers .*\.long\(\)"):
        emb(tg.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="index 3 is out of range for 3 embeddings"):
        emb(tg.tensor([3]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


@pytest.mark.torch
def test_embedding_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 3, padding_idx=2).double()
    theirs = torch.nn.Embedding(6, 3, padding_idx=2).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    idx = np.array([[2, 5, 0], [5, 5, 2]])
    out, tout = ours(tg.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(tg.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)


# ----- clipping and flat vectors -----------------------------------------------------------
def _with_grads(*grads):
    params = []
    for g in grads:
        p = tg.zeros(*np.shape(g), dtype=tg.float64, requires_grad=True)
        p.grad = tg.tensor(np.asarray(g, dtype=np.float64))
        params.append(p)
    return params


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=8),
       st.floats(0.01, 50), st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clip_grad_norm_bounds_the_joint_norm(values, max_norm, norm_type):
    params = _with_grads(values[: len(values) // 2 + 1], values[len(values) // 2 + 1:] or [0.0])
    flat = np.concatenate([p.grad.data for p in params])
    norm = np.abs(flat).max() if norm_type == math.inf else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    total = clip_grad_norm_(params, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), norm, rtol=1e-12)
    scale = min(1.0, max_norm / (norm + 1e-6))
    np.testing.assert_allclose(np.concatenate([p.grad.data for p in params]), flat * scale,
                               rtol=1e-12)


def test_clip_grad_norm_nonfinite_and_no_grads():
    params = _with_grads([1.0, np.inf])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert params[0].grad.data[0] == 1.0      # nothing changed
    assert clip_grad_norm_([tg.zeros(2, requires_grad=True)], 1.0).item() == 0.0
    single = _with_grads([3.0, 4.0])[0]
    assert clip_grad_norm_(single, 1.0, foreach=True).item() == 5.0   # a lone Tensor


def test_clip_grad_value_():
    params = _with_grads([-3.0, 0.5, 2.0])
    assert clip_grad_value_(params, 1.0) is None
    assert params[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_vector_and_back():
    model = nn.Linear(3, 2)
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.data[:6], model.weight.data.reshape(-1))
    vec.sum().backward()                   # the vector is in the graph
    assert model.weight.grad.tolist() == [[1.0] * 3] * 2
    vector_to_parameters(tg.arange(8.0), model.parameters())
    assert model.bias.tolist() == [6.0, 7.0]
    with pytest.raises(ValueError, match="the vector has 7 elements, the parameters 8"):
        vector_to_parameters(tg.arange(7.0), model.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 0.5, math.inf])
def test_clip_grad_norm_matches_pytorch_in_float32(norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((4, 5)).astype(np.float32),
             rng.standard_normal(7).astype(np.float32)]
    ours = [tg.zeros(*g.shape, requires_grad=True) for g in grads]
    theirs = [torch.zeros(*g.shape, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = tg.tensor(g), torch.tensor(g)
    a = clip_grad_norm_(ours, 0.7, norm_type)
    b = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-6)


def test_load_state_dict_returns_the_missing_and_unexpected_keys_as_a_named_tuple():
    model = nn.Linear(3, 2)
    result = model.load_state_dict({"weight": model.weight.data, "extra": model.bias.data},
                                   strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    missing, unexpected = result   # still unpacks as the old pair
    assert (missing, unexpected) == (["bias"], ["extra"])
    assert tuple(model.load_state_dict(model.state_dict())) == ([], [])
