"""PyTorch as the oracle for the recurrent layers: a torch LSTM / LSTMCell /
RNN / RNNCell state dict loads unchanged, and outputs, final states and the
gradients of inputs, initial states and every parameter match in float64."""
import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch


def ours_from(theirs, cls, *args, **kwargs):
    """Our module with the torch module's state dict loaded unchanged (strict)."""
    module = cls(*args, dtype=np.float64, **kwargs)
    theirs_sd = theirs.state_dict()
    assert list(module.state_dict()) == list(theirs_sd)
    module.load_state_dict(theirs_sd)
    return module


def pair(shape, rng):
    a = rng.standard_normal(shape)
    return (tg.Tensor(a, requires_grad=True),
            torch.tensor(a, dtype=torch.float64, requires_grad=True))


def assert_close(ours, theirs):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def check_grads(module, theirs, pairs):
    for ours_t, theirs_t in pairs:
        assert_close(ours_t.grad, theirs_t.grad)
    named = dict(theirs.named_parameters())
    for name, p in module.named_parameters():
        assert_close(p.grad, named[name].grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_two_layers_matches_pytorch(batch_first):
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=batch_first).double()
    ours = ours_from(theirs, nn.LSTM, 3, 4, num_layers=2, batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = pair((2, 6, 3) if batch_first else (6, 2, 3), rng)
    h0, c0 = pair((2, 2, 4), rng), pair((2, 2, 4), rng)
    w_out = rng.standard_normal((2, 6, 4) if batch_first else (6, 2, 4))
    w_h, w_c = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))

    out, (h, c) = ours(x[0], (h0[0], c0[0]))
    ((out * w_out).sum() + (h * w_h).sum() + (c * w_c).sum()).backward()
    t_out, (t_h, t_c) = theirs(x[1], (h0[1], c0[1]))
    ((t_out * torch.from_numpy(w_out)).sum() + (t_h * torch.from_numpy(w_h)).sum()
     + (t_c * torch.from_numpy(w_c)).sum()).backward()

    for a, b in ((out, t_out), (h, t_h), (c, t_c)):
        assert a.shape == tuple(b.shape)
        assert_close(a, b)
    check_grads(ours, theirs, [x, h0, c0])


@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_default_state_and_unbatched_input_match_pytorch(batch_first):
    """Unbatched (T, D) input; batch_first does not apply to it, as in PyTorch."""
    torch.manual_seed(1)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, bias=False, batch_first=batch_first).double()
    ours = ours_from(theirs, nn.LSTM, 3, 5, num_layers=2, bias=False, batch_first=batch_first)
    x = pair((7, 3), np.random.default_rng(1))
    out, (h, c) = ours(x[0])
    (out.sum() + c.sum()).backward()
    t_out, (t_h, t_c) = theirs(x[1])
    (t_out.sum() + t_c.sum()).backward()
    assert out.shape == tuple(t_out.shape) == (7, 5) and h.shape == tuple(t_h.shape)
    for a, b in ((out, t_out), (h, t_h), (c, t_c)):
        assert_close(a, b)
    check_grads(ours, theirs, [x])


@pytest.mark.parametrize("batched", [True, False])
def test_lstm_cell_matches_pytorch(batched):
    torch.manual_seed(2)
    theirs = torch.nn.LSTMCell(3, 4).double()
    ours = ours_from(theirs, nn.LSTMCell, 3, 4)
    rng = np.random.default_rng(2)
    lead = (2,) if batched else ()
    x, h0, c0 = pair(lead + (3,), rng), pair(lead + (4,), rng), pair(lead + (4,), rng)
    h, c = ours(x[0], (h0[0], c0[0]))
    (h.sum() + (c * c).sum()).backward()
    t_h, t_c = theirs(x[1], (h0[1], c0[1]))
    (t_h.sum() + (t_c * t_c).sum()).backward()
    assert_close(h, t_h)
    assert_close(c, t_c)
    check_grads(ours, theirs, [x, h0, c0])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_two_layers_matches_pytorch(batch_first, nonlinearity):
    torch.manual_seed(3)
    theirs = torch.nn.RNN(3, 4, num_layers=2, nonlinearity=nonlinearity,
                          batch_first=batch_first).double()
    ours = ours_from(theirs, nn.RNN, 3, 4, num_layers=2, nonlinearity=nonlinearity,
                     batch_first=batch_first)
    rng = np.random.default_rng(3)
    x, h0 = pair((2, 5, 3) if batch_first else (5, 2, 3), rng), pair((2, 2, 4), rng)
    w = rng.standard_normal((2, 5, 4) if batch_first else (5, 2, 4))
    out, h = ours(x[0], h0[0])
    ((out * w).sum() + h.sum()).backward()
    t_out, t_h = theirs(x[1], h0[1])
    ((t_out * torch.from_numpy(w)).sum() + t_h.sum()).backward()
    assert_close(out, t_out)
    assert_close(h, t_h)
    check_grads(ours, theirs, [x, h0])


def test_rnn_cell_matches_pytorch():
    torch.manual_seed(4)
    theirs = torch.nn.RNNCell(3, 4).double()
    ours = ours_from(theirs, nn.RNNCell, 3, 4)
    rng = np.random.default_rng(4)
    x, h0 = pair((2, 3), rng), pair((2, 4), rng)
    h = ours(x[0], h0[0])
    (h * h).sum().backward()
    t_h = theirs(x[1], h0[1])
    (t_h * t_h).sum().backward()
    assert_close(h, t_h)
    check_grads(ours, theirs, [x, h0])


def test_our_state_dict_loads_into_pytorch():
    ours = nn.LSTM(3, 4, num_layers=2)
    theirs = torch.nn.LSTM(3, 4, num_layers=2)
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(5).standard_normal((4, 2, 3)).astype(np.float32)
    out, _ = ours(tg.Tensor(x))
    np.testing.assert_allclose(out.data, theirs(torch.from_numpy(x))[0].detach().numpy(),
                               rtol=1e-5, atol=1e-6)
