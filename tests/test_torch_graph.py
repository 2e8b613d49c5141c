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


def _outcome(run):
    """run()'s value, or the type of error it raised."""
    try:
        return run()
    except RuntimeError:
        return RuntimeError


def _inplace_after_save(lib, case):
    """The leaf's gradient after an in-place change of a value a graph saved,
    or RuntimeError where backward refuses (programs of a PyTorch user)."""
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    if case == "div by a constant":
        y = x / 2
        y += 1
    elif case == "power":
        y = x ** 2
        y += 1
    elif case == "factor of a constant":
        a = x * 1
        b = a * 3
        a += 1
        y = a + b
    elif case == "factor of a weight":
        a = x * 1
        y = a * w
        a += 1
    elif case == "where":
        a = x * 1
        y = lib.where(x > 1.5, a, x * 0)
        a += 1
    elif case == "quotient by a weight":
        y = x / w
        y += 1
    elif case == "mean twice":
        y = x.mean()
        y.backward()
    elif case == "grad accumulated under a graph that read it":
        (x * x).sum().backward()
        y = x.grad * w
        (x * x).sum().backward()
        y.sum().backward()
        return w.grad.numpy().tolist()
    y.sum().backward()
    return x.grad.numpy().tolist()


@pytest.mark.parametrize("case", ["div by a constant", "power", "factor of a constant",
                                  "factor of a weight", "where", "quotient by a weight",
                                  "mean twice", "grad accumulated under a graph that read it"])
def test_an_inplace_change_of_a_saved_value_is_refused_exactly_where_pytorch_refuses(case):
    assert _outcome(lambda: _inplace_after_save(tg, case)) == \
        _outcome(lambda: _inplace_after_save(torch, case))


def test_hooks_see_grad_mode_as_in_pytorch():
    def seen(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        out = []
        y = x * 2
        y.register_hook(lambda g: out.append((lib.is_grad_enabled(), (g * w).requires_grad)))
        y.sum().backward()
        return out
    assert seen(tg) == seen(torch) == [(False, False)]


def test_repeat_copies_and_a_leaf_changed_since_the_graph_as_in_pytorch():
    def run(lib):
        x = lib.tensor([1.0, 2.0])
        x.repeat(1).mul_(3)
        z = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (z * 2).sum()
        z.requires_grad_(False)
        y.backward()
        return x.numpy().tolist(), z.grad is None
    assert run(tg) == run(torch) == ([1.0, 2.0], True)


def test_diagonal_is_a_view_in_place_ops_write_through_as_in_pytorch():
    def run(lib):
        x = lib.zeros(3, 3)
        x.diagonal().fill_(1.0)
        x.diagonal(1).add_(2.0)
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        (w.diagonal(-1, 1, 0) * 5).sum().backward()
        return x.numpy().tolist(), w.grad.numpy().tolist()
    assert run(tg) == run(torch)


@pytest.mark.parametrize("case", ["backward with no inputs",
                                  "backward into an input that needs no grad",
                                  "a hook that changes the dtype", "a hook that returns a number",
                                  "materialize_grads with allow_unused=False",
                                  "detach_ of a view"])
def test_misuse_raises_pytorchs_exception_type(case):
    from test_graph import misuse

    def raised(lib):
        try:
            misuse(lib, case)
        except Exception as e:   # the type is the fact compared
            return type(e)
        return None
    assert raised(tg) is raised(torch) is not None


def test_tril_backpropagates_twice_and_maximum_lets_its_result_change_as_in_pytorch():
    def run(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x.tril().sum()
        y.backward()
        y.backward()
        a = lib.tensor([1.0, float("nan"), 3.0], requires_grad=True)
        b = lib.tensor([2.0, 1.0, 3.0], requires_grad=True)
        m = lib.maximum(a, b)
        m += 1
        m.sum().backward()
        return x.grad.numpy().tolist(), a.grad.numpy().tolist(), b.grad.numpy().tolist()
    assert run(tg) == run(torch)
