"""F.cross_entropy's label_smoothing (with weight and ignore_index), PyTorch's
legacy size_average/reduce flags, and the error for float class labels."""
import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.nn import functional as F


def _logits(shape=(5, 4), seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_label_smoothing_is_the_mixture_with_the_uniform_distribution():
    z, y, eps = _logits(), np.array([0, 3, 1, 1, 2]), 0.2
    logp = z.data - np.log(np.exp(z.data).sum(1, keepdims=True))
    q = np.full((5, 4), eps / 4) + (1 - eps) * np.eye(4)[y]
    want = -(q * logp).sum(1).mean()
    np.testing.assert_allclose(F.cross_entropy(z, tg.tensor(y), label_smoothing=eps).item(),
                               want, rtol=1e-12)
    # the same smoothing applied to probability targets
    np.testing.assert_allclose(
        F.cross_entropy(z, tg.tensor(np.eye(4)[y]), label_smoothing=eps).item(), want,
        rtol=1e-12)
    loss = nn.CrossEntropyLoss(label_smoothing=eps)(z, tg.tensor(y))
    loss.backward()
    np.testing.assert_allclose(z.grad.data, (np.exp(logp) - q) / 5, rtol=1e-10, atol=1e-14)


def test_float_class_labels_say_they_must_be_integers():
    with pytest.raises(TypeError, match=r"class labels must be integer class indices "
                                        r"\(convert them with target.long\(\)\)"):
        F.cross_entropy(tg.zeros(4, 3), tg.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match=r"target.long\(\)"):
        F.nll_loss(tg.zeros(4, 3), tg.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(tg.zeros(4, 3), tg.tensor([0, 1, 2, 1]), label_smoothing=1.5)


def test_legacy_reduction_flags():
    z, y = _logits(), tg.tensor([0, 3, 1, 1, 2])
    total = F.cross_entropy(z, y, reduction="sum").item()
    assert F.cross_entropy(z, y, size_average=False).item() == total
    assert nn.CrossEntropyLoss(None, False)(z, y).item() == total
    assert nn.MSELoss(reduce=False)(z, z.detach() * 0).shape == (5, 4)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2)])
def test_label_smoothing_matches_pytorch(reduction, weighted, ignore, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape)
    y = rng.integers(0, 4, (shape[0],) + shape[2:])
    if ignore:
        y.flat[1] = 2
    w = rng.uniform(0.5, 2, 4) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=0.3, ignore_index=2 if ignore else -100)
    z, tz = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours = F.cross_entropy(z, tg.tensor(y), None if w is None else tg.tensor(w), **kw)
    theirs = torch.nn.functional.cross_entropy(tz, torch.tensor(y),
                                               None if w is None else torch.tensor(w), **kw)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(ours.shape)
    ours.backward(tg.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(z.grad.data, tz.grad.numpy(), rtol=1e-10, atol=1e-14)
    # probability targets
    p = rng.dirichlet(np.ones(4), shape[:1] + shape[2:])
    p = np.moveaxis(p, -1, 1)
    np.testing.assert_allclose(
        F.cross_entropy(z, tg.tensor(p), reduction=reduction, label_smoothing=0.3).data,
        torch.nn.functional.cross_entropy(tz, torch.tensor(p), reduction=reduction,
                                          label_smoothing=0.3).detach().numpy(), rtol=1e-12)
