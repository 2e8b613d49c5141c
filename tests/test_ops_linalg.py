"""Matrix products: ``@`` with numpy's rules (1-D operands, broadcast batch
dimensions) and the fused Linear op; values against numpy, the closed forms
of BP2 and BP4, float64 gradcheck and gradgradcheck, bad shapes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.ops.linalg import Linear
from tinygrad_nndl.testing import arrays, assert_grad_matches, broadcastable_shapes, shapes

SIDE = st.integers(1, 3)


@st.composite
def matmul_shapes(draw):
    """Operand shapes for a @ b: vector.vector, matrix.vector, vector.matrix,
    matrix.matrix, and batches whose batch dimensions broadcast."""
    n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
    ba, bb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    return draw(st.sampled_from([
        ((k,), (k,)), ((n, k), (k,)), ((k,), (k, m)), ((n, k), (k, m)),
        (ba + (n, k), bb + (k, m)), (ba + (n, k), (k,)), ((k,), bb + (k, m)),
    ]))


@given(ab=matmul_shapes(), data=st.data())
def test_matmul(ab, data):
    sa, sb = ab
    a = Tensor(data.draw(arrays(sa)), requires_grad=True)
    b = Tensor(data.draw(arrays(sb)), requires_grad=True)
    want = np.matmul(a.data, b.data)
    for y in (a @ b, a.matmul(b), tg.matmul(a, b)):
        assert y.shape == want.shape
        np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, b: a @ b, (a, b))
    assert gradgradcheck(lambda a, b: a @ b, (a, b))
    assert gradgradcheck(lambda a, b: (a @ b) ** 2, (a, b))


@given(n=SIDE, k=SIDE, m=SIDE, data=st.data())
def test_matmul_backward_is_bp2_and_bp4(n, k, m, data):
    """For z = w a with upstream delta: dC/da = w^T delta (BP2), dC/dw = delta a^T (BP4)."""
    w = Tensor(data.draw(arrays((n, k))), requires_grad=True)
    a = Tensor(data.draw(arrays((k, m))), requires_grad=True)
    delta = data.draw(arrays((n, m)))
    assert_grad_matches(lambda w, a: (w @ a) * Tensor(delta),
                        lambda wv, av: (delta @ av.T, wv.T @ delta), w, a)


@given(ab=matmul_shapes(), data=st.data())
def test_matmul_with_numpy_operands(ab, data):
    sa, sb = ab
    an = data.draw(arrays(sa))
    b = Tensor(data.draw(arrays(sb)), requires_grad=True)
    y = an @ b
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_allclose(y.data, np.matmul(an, b.data), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda b: an @ b, (b,))
    bt = Tensor(b.data.copy(), requires_grad=True)
    a = Tensor(an, requires_grad=True)
    assert gradcheck(lambda a: a @ bt.data, (a,))


@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)),
                                    ((2, 2, 3), (3, 3, 4)), ((), (3,)), ((3,), ())])
def test_matmul_shape_mismatch_names_the_op_and_both_shapes(sa, sb):
    a = Tensor(np.ones(sa), requires_grad=True)
    with pytest.raises(ValueError, match=rf"matmul.*{sa}.*{sb}".replace("(", r"\(")
                       .replace(")", r"\)")):
        a @ Tensor(np.ones(sb))


@st.composite
def linear_case(draw):
    fan_in, fan_out = draw(SIDE), draw(SIDE)
    batch = draw(shapes(max_dims=2, max_side=3))
    return batch + (fan_in,), (fan_out, fan_in), draw(st.booleans())


@given(case=linear_case(), data=st.data())
def test_fused_linear(case, data):
    """z = x W^T + b in one node; its backward gives BP2 (delta W), BP4
    (delta^T x) and BP3 (sum of delta over the batch) at once."""
    sx, sw, has_bias = case
    x = Tensor(data.draw(arrays(sx)), requires_grad=True)
    w = Tensor(data.draw(arrays(sw)), requires_grad=True)
    b = Tensor(data.draw(arrays(sw[:1])), requires_grad=True) if has_bias else None
    y = Linear.apply(x, w, b)
    want = x.data @ w.data.T + (b.data if has_bias else 0)
    np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)
    inputs = (x, w, b) if has_bias else (x, w)
    op = (lambda x, w, b: Linear.apply(x, w, b)) if has_bias else \
        (lambda x, w: Linear.apply(x, w, None))
    assert gradcheck(op, inputs)
    assert gradgradcheck(lambda *xs: op(*xs) ** 2, inputs)
    # the same gradients as the unfused ops
    g = np.random.default_rng(1).standard_normal(y.shape)
    fused = tg.autograd.grad(op(*inputs), inputs, grad_outputs=Tensor(g))
    plain = x @ w.T + (b if has_bias else 0)
    unfused = tg.autograd.grad(plain, inputs, grad_outputs=Tensor(g))
    for f, u in zip(fused, unfused):
        np.testing.assert_allclose(f.data, u.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rows", [0, 1, 7, 300])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_linear_bias_gradient_is_bp3_the_rows_of_delta_summed(rows, dtype):
    """dC/db = sum over the mini-batch of delta (BP3), whichever route the sum
    takes (a product with ones for BLAS's float types, numpy's sum otherwise)."""
    rng = np.random.default_rng(rows)
    x = tg.tensor(rng.standard_normal((rows, 5)).astype(dtype))
    w = tg.tensor(rng.standard_normal((3, 5)).astype(dtype), requires_grad=True)
    b = tg.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    delta = rng.standard_normal((rows, 3)).astype(dtype)
    Linear.apply(x, w, b).backward(delta)
    assert b.grad.dtype == dtype and b.grad.shape == (3,)
    tol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(b.grad.data, delta.astype(np.float64).sum(0), rtol=tol, atol=tol)


def test_bias_gradients_from_the_kept_ones_are_the_users_own_and_the_cache_stays_bounded():
    """The ones that sum_rows multiplies by are kept per (length, dtype) and
    read-only; each bias gradient is a new writeable array (a .grad changed in
    place changes no later gradient), and however many batch sizes pass, few
    vectors stay."""
    from tinygrad_nndl.ops import dual
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((10, 5)).astype(np.float32))
    w = tg.tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    b = tg.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    delta = rng.standard_normal((10, 3)).astype(np.float32)
    for _ in range(2):
        b.grad = None
        Linear.apply(x, w, b).backward(delta)
        np.testing.assert_allclose(b.grad.data, delta.astype(np.float64).sum(0), rtol=1e-5)
        assert b.grad.data.flags.writeable
        b.grad.data[...] = 1e9   # the user's .grad, changed in place
    kept = dual.ones_vector(10, np.dtype(np.float32))
    assert (kept == 1).all()
    with pytest.raises(ValueError, match="read-only"):
        kept[0] = 2
    flat = dual.flat_indices(np.array([2, 0, 1], np.uint8), 3)
    assert flat.tolist() == [2, 3, 7] and flat.flags.writeable
    assert not dual._KEPT[("rows", 3, 3)].flags.writeable
    for n in range(1, 3 * dual._KEPT_MOST):
        got = dual.sum_rows(np.ones((n, 2), np.float64))
        np.testing.assert_array_equal(got, [n, n])
        assert len(dual._KEPT) <= dual._KEPT_MOST
    long = dual.ones_vector(dual._KEPT_LONGEST + 1, np.dtype(np.float32))
    assert long.flags.writeable and len(long) == dual._KEPT_LONGEST + 1
    assert ("ones", dual._KEPT_LONGEST + 1, np.dtype(np.float32)) not in dual._KEPT
