"""The autograd engine: accumulation, retain_graph, hooks, retain_grad, grad
mode, backward's arguments and errors, deep graphs, freed memory and no
reference cycles, autograd.grad, the functional API against closed forms,
gradcheck itself and detect_anomaly."""
import gc
import inspect
import re
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import (GradcheckError, detect_anomaly, functional, grad,
                                    gradcheck, gradgradcheck)
from tinygrad_nndl.autograd.function import Function
from tinygrad_nndl.nn import functional as F
from tinygrad_nndl.testing import arrays, shapes, tensors


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ----- accumulation, retain_graph ------------------------------------------------------
def test_gradients_accumulate_across_backwards():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    first = x.grad
    np.testing.assert_array_equal(first.data, [2, 4, 6])
    (x * 3).sum().backward()
    assert x.grad is first   # accumulated into the same .grad, as PyTorch does
    np.testing.assert_array_equal(x.grad.data, [5, 7, 9])
    x.grad = None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1, 1, 1])


def test_paths_through_a_diamond_add_up():
    x = leaf([1.0, -2.0])
    y = x * 2
    z = y * y + y + x   # dz/dx = (2y + 1) * 2 + 1
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, (2 * 2 * x.data + 1) * 2 + 1)


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    once = x.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * once)
    np.testing.assert_allclose(once, np.exp(x.data) * (x.data + 1))


def test_second_backward_through_a_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    # a new graph over the same leaf is fine
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 4 * x.data)


def test_grads_do_not_alias_each_other_or_the_given_gradient():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    g = np.array([1.0, 1.0])
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, g)
    a.grad.data[0] = 100.0
    g[1] = 7.0
    np.testing.assert_array_equal(b.grad.data, [1, 1])
    a.backward(Tensor([2.0, 2.0]))   # a leaf's own backward: grad accumulates
    np.testing.assert_array_equal(a.grad.data, [102, 3])


# ----- backward's arguments and errors --------------------------------------------------
@given(x=tensors(shapes(max_dims=3)), data=st.data())
def test_gradient_argument_is_the_vector_of_the_vjp(x, data):
    v = data.draw(arrays(x.shape))
    (x * x).backward(gradient=Tensor(v))
    np.testing.assert_allclose(x.grad.data, 2 * x.data * v)
    x.grad = None
    (x * x).backward(v)   # a numpy array works too
    np.testing.assert_allclose(x.grad.data, 2 * x.data * v)


def test_backward_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scalar.*\(2,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()
    with tg.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient.*\(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))
    assert x.grad is None   # nothing happened


def test_backward_of_a_one_element_tensor_needs_no_gradient():
    x = leaf([[2.0]])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.data, [[4.0]])


# ----- hooks and retain_grad ---------------------------------------------------------
def test_hooks_run_replace_and_remove():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    handle = y.register_hook(lambda g: g * 10)   # hooks chain in order of registration
    leaf_seen = []
    x.register_hook(lambda g: leaf_seen.append(g.data.copy()))
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(seen[0], [1, 1])
    np.testing.assert_array_equal(x.grad.data, [30, 30])   # replaced, then chain rule
    np.testing.assert_array_equal(leaf_seen[0], [30, 30])
    handle.remove()
    x.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 3])
    assert len(seen) == 2 and len(leaf_seen) == 2


def test_leaf_hook_replaces_what_is_accumulated():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 0 + 5)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5, 5])


def test_a_tensors_hooks_stay_with_it_through_detach_():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: g * 10)   # on y's node while y is an op's output
    y.detach_()
    y.requires_grad_()   # now a leaf: the hook runs where its gradient lands, as in PyTorch
    (y * 3).sum().backward()
    assert y.grad.data.tolist() == [30.0, 30.0]
    handle.remove()
    y.grad = None
    (y * 3).sum().backward()
    assert y.grad.data.tolist() == [3.0, 3.0]


def test_hook_returning_a_wrong_shape_raises():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="register_hook"):
        y.sum().backward()


def test_hooks_run_under_autograd_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * 2)
    (gx,) = grad(y.sum(), x)
    np.testing.assert_array_equal(gx.data, [4, 4])


def test_retain_grad_on_a_chain():
    x = leaf([1.0, 2.0])
    h = x.sigmoid()
    h.retain_grad()
    out = (h * h).sum()
    out.retain_grad()
    out.backward()
    np.testing.assert_allclose(h.grad.data, 2 * h.data)
    np.testing.assert_array_equal(out.grad.data, 1.0)
    np.testing.assert_allclose(x.grad.data, 2 * h.data * h.data * (1 - h.data))


# ----- grad mode -----------------------------------------------------------------------
def test_no_grad_and_enable_grad_as_context_managers():
    x = leaf([1.0])
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        with tg.enable_grad():
            z = x * 2
        w = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and not w.requires_grad
    assert z.requires_grad and z.grad_fn is not None
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with pytest.raises(KeyError):
        with tg.no_grad():
            raise KeyError("the mode is restored on the way out")
    assert tg.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = leaf([1.0])

    @tg.no_grad()
    def frozen(t):
        """doc"""
        return t * 2, tg.is_grad_enabled()

    @tg.enable_grad()
    def recorded(t):
        return t * 2

    y, mode = frozen(x)
    assert not y.requires_grad and mode is False
    assert frozen.__name__ == "frozen" and frozen.__doc__ == "doc"
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert recorded(x).requires_grad

    @tg.set_grad_enabled(False)
    def off(t):
        return t * 2

    assert not off(x).requires_grad and tg.is_grad_enabled()


# ----- deep graphs ---------------------------------------------------------------------
def test_a_graph_100000_ops_deep():
    """No recursion anywhere: not in backward, not when the graph is freed."""
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward(retain_graph=True)   # keep the graph so that deleting it is deep too
    np.testing.assert_allclose(x.grad.item(), 1.00001 ** 100_000, rtol=1e-9)
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None


# ----- freed memory, no reference cycles -------------------------------------------------
def _training_step(w1, b1, w2, b2, refs):
    """A two-layer sigmoid network, log-likelihood cost, SGD update. Weak
    references to every intermediate tensor and graph node go in ``refs``."""
    x = tg.randn(8, 4, dtype=tg.float64)
    labels = Tensor(np.arange(8) % 3)
    h = (x @ w1 + b1).sigmoid()
    logits = h @ w2 + b2
    loss = -logits.log_softmax(1)[tg.arange(8), labels].mean()
    for t in (h, logits, loss):
        refs += [weakref.ref(t), weakref.ref(t.grad_fn)]
    return loss


def _params():
    return [tg.randn(*s, dtype=tg.float64, requires_grad=True)
            for s in ((4, 5), (5,), (5, 3), (3,))]


def _collect_ours():
    """Run the cyclic collector, returning the Tensors and graph nodes it had to free."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return [o for o in gc.garbage if isinstance(o, (Tensor, Function))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_training_step_leaves_nothing_alive_and_no_cycles():
    params = _params()
    gc.collect()
    gc.disable()
    try:
        refs = []
        loss = _training_step(*params, refs)
        loss.backward()
        # without retain_graph, backward releases what the nodes saved: the
        # activations are gone, the nodes (the graph's shape) stay while `loss` lives
        assert [r() is None for r in refs[0:4:2]] == [True] * 2
        assert all(r() is not None for r in refs[1:6:2])
        with tg.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        del loss
        assert all(r() is None for r in refs)   # freed by reference counting alone
        assert _collect_ours() == []
    finally:
        gc.enable()


def test_an_unused_graph_is_freed_by_reference_counting():
    params = _params()
    gc.collect()
    gc.disable()
    try:
        refs = []
        loss = _training_step(*params, refs)
        del loss   # no backward at all
        assert all(r() is None for r in refs)
        refs = []
        loss = _training_step(*params, refs)
        loss.backward(retain_graph=True)
        del loss
        assert all(r() is None for r in refs)
        x = leaf([1.0, 2.0])
        (g,) = grad((x ** 3).sum(), x, create_graph=True)   # a recorded backward
        refs = [weakref.ref(g), weakref.ref(g.grad_fn)]
        (h,) = grad(g.sum(), x)
        np.testing.assert_allclose(h.data, 6 * x.data)
        del g
        assert all(r() is None for r in refs)
        assert _collect_ours() == []
    finally:
        gc.enable()


# ----- autograd.grad ------------------------------------------------------------------
def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    out = (x * y).sum()
    gx, gy = grad(out, (x, y))
    np.testing.assert_array_equal(gx.data, [3, 3])
    np.testing.assert_array_equal(gy.data, [3])
    assert x.grad is None and y.grad is None
    (only,) = grad((x * x).sum(), x)
    np.testing.assert_array_equal(only.data, [2, 4])


def test_grad_of_an_intermediate_and_several_outputs():
    x = leaf([1.0, 2.0])
    h = x * 3
    (gh,) = grad([(h * h).sum(), h.sum()], [h])   # several outputs: their grads add
    np.testing.assert_array_equal(gh.data, 2 * h.data + 1)


def test_grad_outputs():
    x = leaf([1.0, 2.0])
    v = np.array([10.0, -1.0])
    (g,) = grad(x * x, x, grad_outputs=Tensor(v))
    np.testing.assert_array_equal(g.data, 2 * x.data * v)
    (g,) = grad([x * x], [x], grad_outputs=[Tensor(v)])
    np.testing.assert_array_equal(g.data, 2 * x.data * v)


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad(out, [x, unused], retain_graph=True)
    gx, gu = grad(out, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.data, [2])


def test_grad_input_must_require_grad():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="input 1"):
        grad((x * 2).sum(), [x, Tensor([1.0])])


@given(x=tensors(shapes(max_dims=2, max_side=3), min_value=-2, max_value=2))
def test_grad_create_graph_gives_second_derivatives(x):
    y = (x ** 3).sum()
    (g,) = grad(y, x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    (h,) = grad(g.sum(), x)   # d/dx sum(3x^2) = 6x
    np.testing.assert_allclose(h.data, 6 * x.data)
    x.grad = None
    x.tanh().sum().backward(create_graph=True)
    assert x.grad.requires_grad   # backward(create_graph=True) records .grad too
    (h,) = grad(x.grad.sum(), x)   # d/dx (1 - tanh^2) = -2 tanh (1 - tanh^2)
    np.testing.assert_allclose(h.data, -2 * np.tanh(x.data) * (1 - np.tanh(x.data) ** 2))


def test_grad_retain_graph_defaults_to_create_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(y, x)
    y = (x * x).sum()
    grad(y, x, create_graph=True)
    grad(y, x)   # the graph was kept


# ----- autograd.functional against closed forms ------------------------------------------
SQUARE = st.integers(1, 4).flatmap(lambda n: st.tuples(
    arrays((n, n), min_value=-3, max_value=3), arrays((n,), min_value=-3, max_value=3)))


@given(av=SQUARE)
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(av):
    a, xv = av
    A = Tensor(a)
    H = functional.hessian(lambda x: x @ (A @ x), Tensor(xv))
    np.testing.assert_allclose(H.data, a + a.T, atol=1e-12)


@given(x=tensors(shapes(min_dims=1, max_dims=2, max_side=3), requires_grad=False))
def test_hessian_of_a_sum_of_cubes_is_diag_6x(x):
    H = functional.hessian(lambda x: (x ** 3).sum(), x)
    want = np.diag(6 * x.data.reshape(-1)).reshape(x.shape + x.shape)
    assert H.shape == x.shape + x.shape
    np.testing.assert_allclose(H.data, want, atol=1e-12)


@given(av=SQUARE, data=st.data())
def test_hvp_jacobian_vjp(av, data):
    a, xv = av
    A, x = Tensor(a), Tensor(xv)
    v = data.draw(arrays(xv.shape))
    f = lambda x: x @ (A @ x) + (x ** 3).sum()   # noqa: E731
    hess = a + a.T + np.diag(6 * xv)
    value, hv = functional.hvp(f, x, Tensor(v))
    np.testing.assert_allclose(value.item(), xv @ a @ xv + (xv ** 3).sum())
    np.testing.assert_allclose(hv.data, hess @ v, atol=1e-10)
    J = functional.jacobian(lambda x: A @ x.tanh(), x)
    np.testing.assert_allclose(J.data, a * (1 - np.tanh(xv) ** 2), atol=1e-12)
    out, vj = functional.vjp(lambda x: A @ x.tanh(), x, Tensor(v[:a.shape[0]]))
    np.testing.assert_allclose(out.data, a @ np.tanh(xv))
    np.testing.assert_allclose(vj.data, v @ (a * (1 - np.tanh(xv) ** 2)), atol=1e-12)
    assert x.grad is None and not x.requires_grad   # the caller's x is not touched


def test_functional_api_gives_zeros_where_f_does_not_depend_on_x():
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(functional.hessian(lambda x: (2 * x).sum(), x).data,
                                  np.zeros((3, 3)))
    np.testing.assert_array_equal(functional.hessian(lambda x: Tensor(1.0), x).data,
                                  np.zeros((3, 3)))
    np.testing.assert_array_equal(functional.jacobian(lambda x: Tensor(np.ones(2)), x).data,
                                  np.zeros((2, 3)))
    np.testing.assert_array_equal(functional.hvp(lambda x: (2 * x).sum(), x, x)[1].data,
                                  np.zeros(3))
    np.testing.assert_array_equal(functional.vjp(lambda x: x[:2] * 0 + 1, x, np.ones(2))[1]
                                  .data, np.zeros(3))


def test_hessian_create_graph_is_differentiable():
    x = leaf([1.0, 2.0])
    H = functional.hessian(lambda x: (x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(H.data, np.diag(6 * x.data))
    H.sum().backward()   # d/dx sum(diag(6x)) = 6
    np.testing.assert_allclose(x.grad.data, [6, 6])


def test_hessian_of_the_l2_regularized_cross_entropy():
    """The book's L2 analysis: for a sigmoid neuron with cross-entropy cost and
    weight decay (lambda / 2n) |w|^2, H = X^T diag(a(1 - a)) X / n + (lambda / n) I."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 3)), (rng.random(6) > 0.5).astype(float)
    lam, n = 0.7, 6
    Xt, yt = Tensor(X), Tensor(y)

    def cost(w):
        a = (Xt @ w).sigmoid()
        ce = -(yt * a.log() + (1 - yt) * (1 - a).log()).mean()
        return ce + lam / (2 * n) * (w * w).sum()

    w = rng.standard_normal(3)
    a = 1 / (1 + np.exp(-X @ w))
    want = X.T @ np.diag(a * (1 - a)) @ X / n + lam / n * np.eye(3)
    np.testing.assert_allclose(functional.hessian(cost, Tensor(w)).data, want, atol=1e-12)


def test_hessian_needs_a_scalar():
    with pytest.raises(ValueError, match=r"hessian.*\(2,\)"):
        functional.hessian(lambda x: x * x, Tensor(np.ones(2)))


# ----- gradcheck itself -----------------------------------------------------------------
class WrongSquare(Function):
    """x^2 with a deliberately wrong backward: 3x instead of 2x."""

    def forward(self, a):
        return a * a

    def backward(self, g, out, a):
        return (g * 3 * a,)


class FirstOrderOnlySquare(Function):
    """x^2 whose backward is right but reads the values (not the graph), so its
    second derivative is lost: gradcheck passes, gradgradcheck must not."""

    def forward(self, a):
        return a * a

    def backward(self, g, out, a):
        return (g * 2 * (a.data if isinstance(a, Tensor) else a),)


@given(x=tensors(shapes(min_dims=1, max_dims=2, max_side=3), min_value=0.5, max_value=3))
def test_gradcheck_passes_a_right_op_and_names_the_fault_of_a_wrong_one(x):
    assert gradcheck(lambda x: x * x, (x,)) is True
    c = Tensor(np.ones(1))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda c, x: WrongSquare.apply(x) * c, (c, x))
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    number = r"(?:np\.float64\()?([-+\d.eE]+)\)?"
    m = re.search(rf"input (\d+) .*index \(([\d, ]*)\): analytic {number}, numeric {number}",
                  msg)
    assert m, msg
    index = tuple(int(i) for i in m.group(2).split(",") if i.strip())
    assert int(m.group(1)) == 1
    # gradcheck projects the output on fixed weights p, so the error at each
    # element is |x p|: the worst is where |x p| is largest
    proj = np.random.default_rng(0).standard_normal(x.shape)   # gradcheck's own projection
    assert abs(x.data[index] * proj[index]) >= np.abs(x.data * proj).max() * (1 - 1e-6)
    np.testing.assert_allclose(float(m.group(3)), 3 * x.data[index] * proj[index], rtol=1e-6)
    np.testing.assert_allclose(float(m.group(4)), 2 * x.data[index] * proj[index], rtol=1e-4)


def test_gradgradcheck_catches_a_lost_second_derivative():
    x = leaf([0.5, 1.5, -2.0])
    assert gradcheck(FirstOrderOnlySquare.apply, (x,))
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(FirstOrderOnlySquare.apply, (x,))
    assert gradgradcheck(lambda x: x * x, (x,))


def test_gradcheck_needs_float64_and_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda x: x * 2, (Tensor(np.ones(2, np.float32), requires_grad=True),))
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda x: x * 2, (Tensor(np.ones(2)),))


def test_gradcheck_on_a_non_contiguous_input():
    x = Tensor(np.asfortranarray(np.arange(6.0).reshape(2, 3) + 1), requires_grad=True)
    assert gradcheck(lambda x: (x * x).sum(0), (x,))
    with pytest.raises(GradcheckError):
        gradcheck(WrongSquare.apply, (x,))


# ----- detect_anomaly -----------------------------------------------------------------------
def test_detect_anomaly_names_a_nan_in_forward():
    x = leaf([-1.0, 1.0])
    with detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            line = inspect.currentframe().f_lineno + 1
            x.log()
    msg = str(info.value)
    assert "log" in msg and "NaN" in msg
    assert f"{__file__}:{line}" in msg


def test_detect_anomaly_names_an_inf_in_backward():
    x = leaf([0.0, 4.0])
    with detect_anomaly():
        line = inspect.currentframe().f_lineno + 1
        y = x.sqrt()
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert "SqrtBackward" in msg and "inf" in msg
    assert f"{__file__}:{line}" in msg


def test_detect_anomaly_is_quiet_on_finite_graphs_and_restores_the_mode():
    x = leaf([1.0, 4.0])
    with detect_anomaly():
        (x.sqrt() * x.log()).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.log(x.data) / (2 * np.sqrt(x.data))
                               + np.sqrt(x.data) / x.data)
    from tinygrad_nndl.autograd.grad_mode import mode
    assert not mode.anomaly


# ----- in-place changes to saved values ----------------------------------------

def test_inplace_change_of_a_saved_input_makes_backward_raise():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([1.0, 2.0])
    y = (x * c).sum()
    c.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    assert x.grad is None


def test_inplace_change_before_the_op_is_fine():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([1.0, 2.0])
    c.mul_(10)
    (x * c).sum().backward()
    np.testing.assert_allclose(x.grad.data, [10.0, 20.0])


def test_optimizer_step_between_forward_and_backward_raises_where_a_weight_is_read():
    """The second layer's weight carries the error back to the first (BP2):
    changed by the step, backward refuses. A single layer's weight is read by
    no gradient of its data input's: backward runs on (as PyTorch's)."""
    from tinygrad_nndl import nn, optim
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = model(tg.randn(4, 3)).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()
    layer = nn.Linear(3, 2)
    x = tg.randn(4, 3)
    loss = layer(x).sum()
    loss.backward(retain_graph=True)
    optim.SGD(layer.parameters(), lr=0.1).step()
    loss.backward()   # dC/dW = 1^T x twice over, whatever W is now
    np.testing.assert_allclose(layer.weight.grad.data, 2 * np.tile(x.data.sum(0), (2, 1)),
                               rtol=1e-6)


def test_grad_with_the_same_input_twice_returns_it_twice():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    g1, g2 = tg.autograd.grad((x * x).sum(), [x, x])
    np.testing.assert_allclose(g1.data, [2.0, 4.0])
    np.testing.assert_allclose(g2.data, [2.0, 4.0])


@pytest.mark.parametrize("make", [lambda t: t * 0.5, lambda t: t / 2, lambda t: t.sigmoid(),
                                  lambda t: t + tg.ones(2), lambda t: t.mean(dtype=np.float32)])
def test_integer_tensors_in_float_ops_give_float32_as_pytorch(make):
    assert make(tg.tensor([1, 2])).dtype == np.float32


@pytest.mark.parametrize("values, name", [([1, 2], "Long"), ([True, False], "Bool")])
def test_mean_of_integers_or_booleans_raises_as_pytorch(values, name):
    """PyTorch cannot infer mean's dtype from an integer input; numpy gives a float."""
    with pytest.raises(RuntimeError,
                       match=f"mean\\(\\): could not infer output dtype.*Got: {name}"):
        tg.tensor(values).mean()
    assert tg.tensor(values).float().mean().item() == 0.5 * sum(values)
    for spread in (tg.Tensor.var, tg.Tensor.std):   # PyTorch's own error there
        with pytest.raises(RuntimeError, match="std and var only support floating point"):
            spread(tg.tensor(values))


def test_float64_inputs_keep_float64():
    assert (tg.tensor([1, 2]) * tg.ones(2, dtype=np.float64)).dtype == np.float64


F16, F32, F64 = np.float16, np.float32, np.float64


@pytest.mark.parametrize("make, dtype", [
    # a 0-d float tensor does not widen a tensor with dimensions (PyTorch's categories)
    (lambda: tg.ones(2) * tg.tensor(2.0, dtype=F64), F32),
    (lambda: tg.ones(2) + tg.ones(2, dtype=F64).sum(), F32),
    (lambda: tg.ones(2, dtype=F16) * tg.tensor(2.0, dtype=F64), F16),
    (lambda: tg.ones(2, dtype=F64) * tg.tensor(2.0), F64),
    # ... unless nothing with dimensions is float: then it decides
    (lambda: tg.tensor([1, 2]) * tg.tensor(2.0, dtype=F64), F64),
    (lambda: tg.tensor(2.0, dtype=F64) * 3, F64),
    # a float with dimensions beats integers of any width (numpy: float64)
    (lambda: tg.ones(2, dtype=F16) * tg.ones(2, dtype=np.int64), F16),
    # floats made from bool or int8 are the default float32 (numpy: float16)
    (lambda: tg.tensor([True, False]).exp(), F32),
    (lambda: tg.tensor([1, 2], dtype=np.int8).sigmoid(), F32)])
def test_result_dtypes_follow_pytorchs_promotion(make, dtype):
    assert make().dtype == dtype


def test_a_0d_float64_factor_gets_a_float64_gradient_of_a_float32_product():
    x = tg.ones(2, requires_grad=True)
    s = tg.tensor(3.0, dtype=F64, requires_grad=True)
    (x * s).sum().backward()
    assert (x.grad.dtype, s.grad.dtype) == (F32, F64)
    assert s.grad.item() == 2.0 and x.grad.data.tolist() == [3.0, 3.0]


# ----- gradient accumulation in engine-owned buffers ---------------------------

def test_slices_of_one_tensor_accumulate_exactly():
    x = tg.randn(6, 3, requires_grad=True)
    weights = np.arange(1.0, 7.0)
    sum(x[t] * float(weights[t]) for t in range(6)).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.repeat(weights[:, None], 3, axis=1), rtol=1e-6)


def test_a_gradient_shared_by_two_inputs_is_not_summed_into_twice():
    # z = a + b hands the same gradient to a and b; both then get more.
    a = tg.randn(3, requires_grad=True)
    b = tg.randn(3, requires_grad=True)
    y = (a * 2) + (b * 3)
    z = y + y            # y gets 1 + 1 = 2 (an owned buffer), handed on unchanged
    loss = (z + a * 5 + b * 7).sum()
    loss.backward()
    np.testing.assert_allclose(a.grad.data, np.full(3, 2 * 2 + 5.0))
    np.testing.assert_allclose(b.grad.data, np.full(3, 2 * 3 + 7.0))


def test_slice_gradients_mix_with_dense_ones_and_repeated_indices():
    x = tg.randn(4, 2, requires_grad=True)
    (x[[0, 0, 3]].sum() + x[1:3].sum() * 2 + x.sum() * 10 + x[0].sum()).backward()
    expect = np.full((4, 2), 10.0)
    expect[0] += 2 + 1
    expect[3] += 1
    expect[1:3] += 2
    np.testing.assert_allclose(x.grad.data, expect)



# ----- found by a second reader ------------------------------------------------

def test_create_graph_gives_each_leaf_its_own_grad():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    (a * 5).sum().backward()
    np.testing.assert_allclose(b.grad.data, [1.0, 1.0])
    np.testing.assert_allclose(a.grad.data, [6.0, 6.0])


def test_a_user_gradient_is_never_changed_by_later_backwards():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    g = tg.tensor([1.0, 1.0])
    (a + 0).backward(g, create_graph=True)
    (a * 1).backward(tg.tensor([5.0, 5.0]))
    np.testing.assert_allclose(g.data, [1.0, 1.0])


def test_the_grad_of_a_0d_tensor_is_an_array_that_can_be_changed_in_place():
    x = tg.tensor(2.0, requires_grad=True)
    (x * 3).backward()
    assert type(x.grad.data) is np.ndarray
    with tg.no_grad():
        x.grad.add_(1)
    assert x.grad.item() == 4.0
    x.grad.zero_()
    assert x.grad.item() == 0.0


def test_what_a_hook_saw_is_not_the_leafs_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 2).sum().backward()
    x.grad.zero_()
    np.testing.assert_allclose(seen[0].data, [2.0, 2.0, 2.0])


def test_an_inplace_change_through_a_detached_alias_is_detected():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.detach().zero_()
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_a_failed_inplace_op_changes_nothing_and_names_itself():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = tg.tensor([1.0, 2.0, 3.0])
    y = (x * c).sum()
    with pytest.raises(ValueError, match=r"add_:.*\(3,\)"):
        c.add_(tg.ones(2))
    y.backward()   # c was not changed, so this is fine
    np.testing.assert_allclose(x.grad.data, [1.0, 2.0, 3.0])


def test_var_and_std_take_unbiased_second_as_pytorch():
    x = tg.tensor([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(x.var(1, True).data, np.var(x.data, axis=1, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.std(0, False).data, np.std(x.data, axis=0), rtol=1e-6)
    assert x.var(1, True).shape == (2,)
    assert np.isnan(tg.tensor([1.0]).var().item())


def test_reassigning_a_buffer_keeps_it_in_the_state_dict():
    from tinygrad_nndl import nn

    class Running(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running", tg.zeros(3))

    m = Running()
    m.running = m.running * 0.9 + 1
    assert list(m.state_dict()) == ["running"]
    np.testing.assert_allclose(m.state_dict()["running"].data, np.ones(3))


# ----- autograd.grad walks only what leads to its inputs ------------------------------
class _Probe(Function):
    """a * b, recording which gradients each backward was asked for."""
    calls = []

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        _Probe.calls.append([bool(n) for n in self.needs])
        return (g * b if self.needs[0] else None, g * a if self.needs[1] else None)


class _Refuse(Function):
    """Identity whose backward must not run."""

    def forward(self, a):
        return a.copy()

    def backward(self, g, out, a):
        raise AssertionError("a branch that leads to no input asked for was differentiated")


def test_grad_walks_only_the_branches_that_lead_to_its_inputs():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = (x * 2).sum() + _Refuse.apply(w).sum()
    (gx,) = grad(loss, x, retain_graph=True)
    np.testing.assert_allclose(gx.data, [2.0, 2.0])
    with pytest.raises(AssertionError, match="differentiated"):
        loss.backward()                     # all of it: the refusing branch runs


def test_grad_asks_each_node_only_for_the_gradients_it_needs_and_restores_them():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    out = _Probe.apply(a, b).sum()
    _Probe.calls.clear()
    (ga,) = grad(out, a, retain_graph=True)
    assert _Probe.calls == [[True, False]]
    np.testing.assert_allclose(ga.data, b.data)
    out.backward()                          # the same node, both gradients again
    assert _Probe.calls[-1] == [True, True]
    np.testing.assert_allclose(b.grad.data, a.data)


def test_grad_of_an_intermediate_stops_there_and_a_failing_node_keeps_its_needs():
    x = leaf([1.0, -2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    a, b = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    out = _Probe.apply(a, b)
    node = out.grad_fn

    def fail(*args):
        raise ZeroDivisionError("backward failed")
    node.backward = fail
    with pytest.raises(ZeroDivisionError):
        grad(out.sum(), a, retain_graph=True)
    assert [bool(n) for n in node.needs] == [True, True]   # the pruned mask did not outlive the failed call


def test_grad_of_an_intermediate_leaves_what_is_below_it_alone():
    """As in PyTorch: the node that made a wanted intermediate is not run, checked
    or freed, so the rest of the graph can still be walked, and an in-place change
    below it does not matter; a freed branch that leads elsewhere does not either."""
    x = leaf([1.0, 2.0])
    h = x * x
    y = (h * h).sum()
    (gh,) = grad(y, h)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data)

    w = leaf([3.0, 4.0])
    h = x * w
    y = (h * 2).sum()
    with tg.no_grad():
        x.add_(1)
    np.testing.assert_allclose(grad(y, h)[0].data, [2.0, 2.0])

    a = w * w
    a.sum().backward()                       # frees a's branch
    np.testing.assert_allclose(grad((x * 2).sum() + a.sum(), x)[0].data, [2.0, 2.0])
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(a.sum(), w)                     # but through it, there is nothing left


def test_a_gradient_that_is_a_view_of_an_ops_own_buffer_becomes_grad_without_sharing():
    """A convolution's input gradient is a cropped, transposed view of a buffer
    its backward made: laid out as the leaf, it becomes .grad as it is; laid
    out otherwise, .grad is a copy in the leaf's layout. Either way .grad shares
    memory with nothing the user holds, and a second backward adds into it."""
    rng = np.random.default_rng(0)
    w = tg.tensor(rng.standard_normal((3, 2, 3, 3)))
    chwn = np.ascontiguousarray(rng.standard_normal((2, 6, 6, 4)).transpose(3, 0, 1, 2))
    for data in (chwn, np.ascontiguousarray(chwn)):
        x = tg.tensor(data, requires_grad=True)
        F.conv2d(x, w).sum().backward()
        first = x.grad.data.copy()
        assert x.grad.data.strides == x.data.strides
        assert not np.shares_memory(x.grad.data, x.data)
        F.conv2d(x, w).sum().backward()
        np.testing.assert_allclose(x.grad.data, 2 * first)


@pytest.mark.parametrize("looked_at", ["plain", "retain_grad", "autograd.grad"])
def test_an_op_whose_backward_returns_nothing_is_an_error_on_every_path(looked_at):
    """A Function whose backward returns None (a bug in the op) raises, whether
    the walk takes the node's plain path or looks closer (a retained .grad,
    autograd.grad): no gradient is silently dropped."""
    class Broken(Function):
        def forward(self, a):
            return a * 2

        def backward(self, g, out, a):
            return None

    x = leaf([1.0, 2.0])
    y = Broken.apply(x)
    if looked_at == "retain_grad":
        y.retain_grad()
    with pytest.raises(TypeError):
        if looked_at == "autograd.grad":
            grad((y * 1.0).sum(), [x])
        else:
            (y * 1.0).sum().backward()


def test_a_hook_that_backpropagates_its_own_graph_meets_the_released_error():
    """A hook that runs a backward (without retain_graph) through the graph it
    sits in frees that graph; the outer walk, reaching the freed node next,
    raises the usual 'a second time' error naming it."""
    x = leaf([1.0, 2.0, 3.0])
    y = x.exp()
    z = y.sum()
    ran = []

    def hook(g):
        if not ran:
            ran.append(True)
            z.backward()
        return g

    y.register_hook(hook)
    with pytest.raises(RuntimeError, match="a second time.*Exp"):
        z.backward(retain_graph=True)


@pytest.mark.parametrize("bad", [
    lambda: tg.ones(2, 3) + tg.ones(4), lambda: tg.ones(2, 3) @ tg.ones(2, 3),
    lambda: tg.ones(6).reshape(5, -1), lambda: tg.ones(2, 3).view(4, -1),
    lambda: tg.ones(2, 3).expand(4), lambda: tg.cat([tg.ones(2, 3), tg.ones(2, 4)]),
    lambda: tg.stack([tg.ones(2), tg.ones(3)]), lambda: tg.ones(2).item(),
    lambda: bool(tg.ones(2)), lambda: tg.ones(2).clamp(), lambda: tg.ones(2, 3).sum((0, 0)),
    lambda: tg.ones(2).add_(tg.ones(3))])
def test_bad_input_to_an_op_is_pytorchs_runtime_error_and_numpys_value_error(bad):
    with pytest.raises(RuntimeError) as caught:
        bad()
    assert isinstance(caught.value, ValueError)
