"""nn.GRU / nn.GRUCell, bidirectional layers and dropout between layers:
closed forms in numpy, finite differences, and PyTorch as the oracle."""
import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import gradcheck, gradgradcheck


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _gru_numpy(x, h, w_ih, w_hh, b_ih, b_hh):
    """PyTorch's documented GRU equations, gate order r, z, n."""
    H = h.shape[-1]
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = _sig(gi[:, :H] + gh[:, :H])
    z = _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def test_gru_cell_is_pytorchs_equations_with_its_names_and_shapes():
    cell = nn.GRUCell(3, 5).double()
    assert [(k, tuple(v.shape)) for k, v in cell.state_dict().items()] == [
        ("weight_ih", (15, 3)), ("weight_hh", (15, 5)), ("bias_ih", (15,)), ("bias_hh", (15,))]
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 3)))
    h = tg.tensor(np.random.default_rng(1).standard_normal((2, 5)))
    want = _gru_numpy(x.data, h.data, *(p.data for p in cell.parameters()))
    np.testing.assert_allclose(cell(x, h).data, want, rtol=1e-12)
    np.testing.assert_allclose(cell(x[0], h[0]).data, want[0], rtol=1e-12)   # unbatched
    np.testing.assert_allclose(cell(x).data, _gru_numpy(x.data, 0 * h.data,
                                                        *(p.data for p in cell.parameters())))


def test_gru_unrolls_its_cell_over_time_and_layers():
    gru = nn.GRU(3, 4, num_layers=2, batch_first=True).double()
    x = tg.tensor(np.random.default_rng(2).standard_normal((2, 6, 3)))
    out, h_n = gru(x)
    assert out.shape == (2, 6, 4) and h_n.shape == (2, 2, 4)
    seq = x.data.transpose(1, 0, 2)
    for k in range(2):
        params = [p.data for p in gru.layer_parameters(k)]
        h, hs = np.zeros((2, 4)), []
        for t in range(6):
            h = _gru_numpy(seq[t], h, *params)
            hs.append(h)
        np.testing.assert_allclose(h_n.data[k], h, rtol=1e-12)
        seq = np.stack(hs)
    np.testing.assert_allclose(out.data, seq.transpose(1, 0, 2), rtol=1e-12)


def test_gru_gradients_match_finite_differences():
    gru = nn.GRU(2, 3, bidirectional=True).double()
    x = tg.tensor(np.random.default_rng(3).standard_normal((4, 1, 2)), requires_grad=True)
    h0 = tg.tensor(np.random.default_rng(4).standard_normal((2, 1, 3)), requires_grad=True)
    assert gradcheck(lambda a, b: gru(a, b)[0], [x, h0])
    assert gradcheck(lambda w: gru(x, h0)[1], [gru.weight_hh_l0_reverse])


def test_gru_step_op_has_exact_second_derivatives():
    cell = nn.GRUCell(2, 3).double()
    x = tg.tensor(np.random.default_rng(9).standard_normal((2, 2)), requires_grad=True)
    h = tg.tensor(np.random.default_rng(10).standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda a, b: cell(a, b), [x, h])
    assert gradgradcheck(lambda a, b: cell(a, b), [x, h])
    gru = nn.GRU(2, 3).double()
    xs = tg.tensor(np.random.default_rng(11).standard_normal((3, 1, 2)), requires_grad=True)
    assert gradgradcheck(lambda a: gru(a)[0], [xs])
    assert gradcheck(lambda w: gru(xs)[0], [gru.weight_hh_l0])
    assert gradcheck(lambda b: gru(xs)[0], [gru.bias_hh_l0])


def test_gru_step_op_reports_bad_shapes():
    from tinygrad_nndl.ops.gru import GRUProjectedStep
    with pytest.raises(ValueError, match=r"(?i)GRUProjectedStep: expected a projection P"):
        GRUProjectedStep.apply(tg.zeros(2, 1, 6), tg.zeros(1, 3), tg.zeros(6, 2), None, t=0)


def test_bidirectional_runs_the_reverse_direction_on_the_reversed_sequence():
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        bi = cls(3, 4, bidirectional=True).double()
        fwd, bwd = cls(3, 4).double(), cls(3, 4).double()
        fwd.load_state_dict({k: v for k, v in bi.state_dict().items() if "reverse" not in k})
        bwd.load_state_dict({k.replace("_reverse", ""): v for k, v in bi.state_dict().items()
                             if "reverse" in k})
        x = tg.tensor(np.random.default_rng(5).standard_normal((5, 2, 3)))
        out, hid = bi(x)
        of, hf = fwd(x)
        ob, hb = bwd(tg.tensor(x.data[::-1].copy()))
        assert out.shape == (5, 2, 8)
        np.testing.assert_allclose(out.data[..., :4], of.data, rtol=1e-12)
        np.testing.assert_allclose(out.data[..., 4:], ob.data[::-1], rtol=1e-12)
        first = hid[0] if cls is nn.LSTM else hid
        last_f = hf[0] if cls is nn.LSTM else hf
        last_b = hb[0] if cls is nn.LSTM else hb
        assert first.shape == (2, 2, 4)
        np.testing.assert_allclose(first.data[0], last_f.data[0], rtol=1e-12)
        np.testing.assert_allclose(first.data[1], last_b.data[0], rtol=1e-12)


def test_bidirectional_parameter_names_and_second_layer_input_size():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    names = [(k, tuple(v.shape)) for k, v in lstm.state_dict().items()]
    assert names[:8] == [("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 4)),
                         ("bias_ih_l0", (16,)), ("bias_hh_l0", (16,)),
                         ("weight_ih_l0_reverse", (16, 3)), ("weight_hh_l0_reverse", (16, 4)),
                         ("bias_ih_l0_reverse", (16,)), ("bias_hh_l0_reverse", (16,))]
    assert dict(names)["weight_ih_l1"] == (16, 8) and len(names) == 16
    out, (h, c) = lstm(tg.randn(7, 3))       # unbatched
    assert out.shape == (7, 8) and h.shape == c.shape == (4, 4)


def test_dropout_between_layers_only_in_training():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=1.0).double()
    x = tg.tensor(np.random.default_rng(6).standard_normal((5, 2, 3)))
    reference = nn.LSTM(3, 4, num_layers=2).double()
    reference.load_state_dict(lstm.state_dict())
    np.testing.assert_array_equal(lstm.eval()(x)[0].data, reference(x)[0].data)
    # p = 1 zeroes the first layer's output: the second layer sees only zeros
    reference.weight_ih_l1.data[...] = 0
    np.testing.assert_allclose(lstm.train()(x)[0].data, reference(x)[0].data, rtol=1e-12)
    assert "dropout=1.0" in repr(lstm)


# ----- PyTorch as the oracle -------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("kind", ["GRU", "LSTM", "RNN"])
@pytest.mark.parametrize("layers, bidirectional, batch_first", [
    (1, False, False), (2, True, False), (3, True, True), (2, False, True)])
def test_matches_pytorch(kind, layers, bidirectional, batch_first):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, kind)(3, 5, num_layers=layers, bidirectional=bidirectional,
                             batch_first=batch_first).double()
    theirs = getattr(torch.nn, kind)(3, 5, num_layers=layers, bidirectional=bidirectional,
                                     batch_first=batch_first).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
                            ours.state_dict().items()})
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 6, 3) if batch_first else (6, 2, 3))
    h = rng.standard_normal((layers * (2 if bidirectional else 1), 2, 5))
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    if kind == "LSTM":
        out, (hn, cn) = ours(x, (tg.tensor(h), tg.tensor(h * 0.5)))
        tout, (thn, tcn) = theirs(tx, (torch.tensor(h), torch.tensor(h * 0.5)))
        np.testing.assert_allclose(cn.data, tcn.detach().numpy(), rtol=1e-10, atol=1e-12)
    else:
        out, hn = ours(x, tg.tensor(h))
        tout, thn = theirs(tx, torch.tensor(h))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hn.data, thn.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out.shape)
    ((out * tg.tensor(g)).sum() + hn.sum()).backward()
    ((tout * torch.tensor(g)).sum() + thn.sum()).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


@pytest.mark.torch
def test_gru_cell_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.GRUCell(4, 3).double(), torch.nn.GRUCell(4, 3).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
                            ours.state_dict().items()})
    a = np.random.default_rng(8).standard_normal((5, 4))
    np.testing.assert_allclose(ours(tg.tensor(a)).data,
                               theirs(torch.tensor(a)).detach().numpy(), rtol=1e-12)
