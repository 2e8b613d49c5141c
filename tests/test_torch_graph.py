"""PyTorch as the oracle for the graph's semantics: in-place ops recorded on
non-leaf tensors, assignment into slices, retain_grad accumulating, version
counters, zero gradients of piecewise-constant ops, and what survives backward."""
import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402

pytestmark = pytest.mark.torch

VALUES = st.lists(st.integers(-6, 6).map(lambda k: k * 0.5), min_size=4, max_size=4)


def both(values):
    return (tg.tensor(np.array(values, dtype=np.float64), requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def program(lib, x, v):
    """A chain of in-place ops on non-leaf tensors, as a PyTorch user writes it."""
    h = x * 2
    h.add_(1)
    h.mul_(x)
    h.clamp_(-4.0, 4.0)
    h[1] = v * 3
    h[2:] = 0.5
    g = x * 1
    g += v
    g.sub_(x, alpha=2)
    g.div_(2)
    return (h * h).sum() + (g * x).sum()


@given(VALUES, st.integers(-4, 4).map(lambda k: k * 0.5))
def test_inplace_programs_give_pytorchs_values_and_gradients(values, v0):
    (x, tx), (v, tv) = both(values), both(v0)
    ours, theirs = program(tg, x, v), program(torch, tx, tv)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(v.grad.data, tv.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_augmented_assignment_of_a_plain_tensor_joins_the_graph_as_in_pytorch():
    def run(lib, b):
        a = lib.tensor([1.0, 2.0], dtype=lib.float64)
        w = lib.tensor([3.0, 4.0], dtype=lib.float64)
        a += b
        ((a * w).sum() + b.sum()).backward()
        return b.grad

    (b, tb) = both([0.5, 0.5])
    np.testing.assert_array_equal(run(tg, b).data, run(torch, tb).numpy())


def test_retain_grad_accumulates_as_in_pytorch():
    def run(lib, x):
        y = x * 2
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        z.backward()
        return y.grad

    x, tx = both([1.0, 2.0, -3.0, 0.5])
    np.testing.assert_array_equal(run(tg, x).data, run(torch, tx).numpy())


def test_versions_count_inplace_changes_as_in_pytorch():
    def run(lib):
        t = lib.tensor([1.0, 2.0, 3.0])
        alias = t.detach()
        t.add_(1)
        t.mul_(2)
        t[0] = 5.0
        alias.zero_()
        return t._version, alias._version

    assert run(tg) == run(torch)


def test_piecewise_constant_ops_have_zero_gradients_as_in_pytorch():
    x, tx = both([-2.0, 0.0, 3.0, 0.5])
    (x.sign() * x).sum().backward()
    (tx.sign() * tx).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_a_node_that_saved_nothing_backpropagates_twice_and_one_that_did_not_raises():
    for b in both([1.0, 2.0]):   # ours, then PyTorch's
        c = (b + 1).sum()
        c.backward()
        c.backward()
        assert b.grad.tolist() == [2.0, 2.0]
        loss = (b * b).sum()
        loss.backward()
        with pytest.raises(RuntimeError, match="second time"):
            loss.backward()


def test_next_functions_have_pytorchs_shape():
    def shape(lib, x):
        y = (x * 2 + 1).sum()
        (add, i), = y.grad_fn.next_functions
        (mul, j), (const, k) = add.next_functions
        (acc, m), (none, n) = mul.next_functions
        return (i, j, k, m, n, const is None, none is None, acc.variable is x,
                type(acc).__name__)

    x, tx = both([1.0, 2.0])
    assert shape(tg, x) == shape(torch, tx)
