"""PyTorch as the oracle of autograd.functional with tuples: jacobian, hessian,
hvp and vjp of functions of several inputs and outputs, nested as PyTorch nests
them, and with create_graph differentiable again."""
import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
import torch.autograd.functional as TAF  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl.autograd import functional as AF  # noqa: E402

pytestmark = pytest.mark.torch

RNG = np.random.default_rng(7)
X, W, V = RNG.standard_normal((3,)), RNG.standard_normal((2, 3)), RNG.standard_normal((3,))


def f_two_in(lib):
    """A scalar of two inputs, with a cross term, a square and a constant part."""
    return lambda x, w: (lib.tanh(w @ x) ** 2).sum() + (x * x).sum() * w.sum() + 1.0


def f_two_out(lib):
    return lambda x, w: (w @ x, (x ** 3).sum() + 0 * w.sum())


def nested_close(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            nested_close(a, b)
    else:
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def both(*arrays):
    return tuple(tg.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


def test_jacobian_of_tuples_nests_outputs_then_inputs():
    ours_in, theirs_in = both(X, W)
    nested_close(AF.jacobian(f_two_out(tg), ours_in), TAF.jacobian(f_two_out(torch), theirs_in))
    nested_close(AF.jacobian(lambda x: x.exp(), ours_in[0]),
                 TAF.jacobian(lambda x: x.exp(), theirs_in[0]))
    nested_close(AF.jacobian(f_two_in(tg), ours_in), TAF.jacobian(f_two_in(torch), theirs_in))


def test_hessian_of_two_inputs_has_the_cross_blocks():
    ours_in, theirs_in = both(X, W)
    h = AF.hessian(f_two_in(tg), ours_in)
    nested_close(h, TAF.hessian(f_two_in(torch), theirs_in))
    np.testing.assert_allclose(h[0][1].data.reshape(3, 6),
                               h[1][0].data.reshape(6, 3).T, rtol=1e-12)   # symmetric


def test_hvp_and_vjp_of_tuples():
    (x, w), (tx, tw) = both(X, W)
    (v1, v2), (tv1, tv2) = both(V, RNG.standard_normal((2, 3)))
    nested_close(AF.hvp(f_two_in(tg), (x, w), (v1, v2)),
                 TAF.hvp(f_two_in(torch), (tx, tw), (tv1, tv2)))
    (u1, u2), (tu1, tu2) = both(RNG.standard_normal(2), np.array(1.5))
    nested_close(AF.vjp(f_two_out(tg), (x, w), (u1, u2)),
                 TAF.vjp(f_two_out(torch), (tx, tw), (tu1, tu2)))


def test_create_graph_results_differentiate_again():
    (x, w), (tx, tw) = both(X, W)
    x.requires_grad_()
    tx.requires_grad_()
    h = AF.hessian(f_two_in(tg), (x, w), create_graph=True)
    th = TAF.hessian(f_two_in(torch), (tx, tw), create_graph=True)
    h[0][0].sum().backward()
    th[0][0].sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_parts_that_do_not_match_raise():
    (x, w), _ = both(X, W)
    with pytest.raises(ValueError, match="hvp: v has 1 parts but x has 2"):
        AF.hvp(f_two_in(tg), (x, w), (x,))
    with pytest.raises(ValueError, match="hvp: v has shape"):
        AF.hvp(f_two_in(tg), (x, w), (x, x))
    with pytest.raises(ValueError, match="vjp: v has 1 parts but f returned 2"):
        AF.vjp(f_two_out(tg), (x, w), (x,))
    with pytest.raises(TypeError, match="jacobian: f must return a Tensor"):
        AF.jacobian(lambda x: 3.0, x)
