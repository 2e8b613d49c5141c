"""The everyday PyTorch Tensor API (issue 16): norm and linalg, clone, t,
masked_fill, repeat, sin/cos, new_*, chunk/split/unbind, flip, detach_,
mm/bmm/dot/einsum, the closeness tests, where(cond), dtype aliases, the
axis/keepdims aliases of the reductions, set_printoptions, the legacy
constructor Tensor(2, 3), index lists read as tuples, and the dtype and
matmul errors. Closed forms, numpy and finite differences; PyTorch itself
is the oracle in test_torch_tensor_api.py."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor, nn
from tinygrad_nndl.autograd import grad, gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, shapes, tensors

SMALL = shapes(min_dims=1, max_dims=3, max_side=4)
SMOOTH = st.floats(-3, 3, allow_nan=False, allow_subnormal=False)


def t64(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----- sin and cos ---------------------------------------------------------------------
@given(tensors(SMALL, min_value=-4, max_value=4))
def test_sin_cos_values_and_derivatives(x):
    np.testing.assert_allclose(x.sin().data, np.sin(x.data))
    np.testing.assert_allclose(tg.cos(x).data, np.cos(x.data))
    (gs,) = grad(x.sin().sum(), [x])
    (gc,) = grad(x.cos().sum(), [x])
    np.testing.assert_allclose(gs.data, np.cos(x.data))
    np.testing.assert_allclose(gc.data, -np.sin(x.data))
    assert gradgradcheck(lambda t: t.sin() * t.cos(), [x])


def test_sin_second_derivative_is_minus_sin():
    x = t64([0.3, -1.2, 2.0])
    (g,) = grad(x.sin().sum(), [x], create_graph=True)
    (h,) = grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, -np.sin(x.data))


def test_sin_keeps_float32():
    assert tg.sin(tg.ones(2)).dtype == tg.float32


# ----- norms -----------------------------------------------------------------------------
def _closed_norm(a, p, axis=None):
    mag = np.abs(a)
    if p == math.inf:
        return mag.max(axis=axis)
    if p == -math.inf:
        return mag.min(axis=axis)
    if p == 0:
        return (mag != 0).sum(axis=axis).astype(a.dtype)
    return (mag ** p).sum(axis=axis) ** (1 / p)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, 0, math.inf, -math.inf])
@given(a=arrays(SMALL, min_value=-3, max_value=3))
def test_norm_matches_closed_form(p, a):
    x = Tensor(a)
    np.testing.assert_allclose(x.norm(p).data, _closed_norm(a, p), rtol=1e-12)
    np.testing.assert_allclose(tg.linalg.vector_norm(x, p, dim=-1).data,
                               _closed_norm(a, p, axis=-1), rtol=1e-12)
    assert x.norm(p, dim=0, keepdim=True).shape == (1,) + a.shape[1:]


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, 0.5, math.inf, -math.inf])
@given(a=arrays(shapes(min_dims=1, max_dims=2, max_side=4),
                elements=st.floats(0.3, 2, allow_subnormal=False)), signs=st.randoms())
def test_norm_gradcheck(p, a, signs):
    # magnitudes away from 0 and (for the inf-norms) away from ties: the norm is smooth there
    a = a * np.array([signs.choice([-1, 1]) for _ in range(a.size)]).reshape(a.shape)
    if math.isinf(p):
        assume(len(np.unique(np.abs(a))) == a.size)
    x = t64(a)
    assert gradcheck(lambda t: t.norm(p, dim=-1), [x])
    if not math.isinf(p) and p >= 1:
        assert gradgradcheck(lambda t: t.norm(p), [x])


def test_two_norm_gradient_is_x_over_norm_and_zero_at_zero():
    x = t64([3.0, -4.0])
    (g,) = grad(x.norm(), [x])
    np.testing.assert_allclose(g.data, [0.6, -0.8])
    z = t64([0.0, 0.0])
    for p in (1, 2, 3, math.inf):   # PyTorch's subgradient: 0, not NaN
        (g,) = grad(z.norm(p), [z])
        np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_inf_norm_shares_gradient_among_ties():
    x = t64([2.0, -2.0, 1.0])
    (g,) = grad(x.norm(math.inf), [x])
    np.testing.assert_allclose(g.data, [0.5, -0.5, 0.0])


def test_norm_of_integers_raises_like_pytorch():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).norm()
    assert tg.tensor([3, 4]).norm(dtype=tg.float64).item() == 5.0


def test_linalg_norm_forms():
    a = np.arange(-4.0, 8.0).reshape(3, 4)
    A = Tensor(a)
    assert np.isclose(tg.linalg.norm(A).item(), np.linalg.norm(a))
    assert np.isclose(tg.linalg.norm(A, "fro").item(), np.linalg.norm(a, "fro"))
    for ord in (1, -1, math.inf, -math.inf):
        assert np.isclose(tg.linalg.norm(A, ord).item(), np.linalg.norm(a, ord)), ord
        assert np.isclose(tg.linalg.matrix_norm(A, ord).item(), np.linalg.norm(a, ord)), ord
    np.testing.assert_allclose(tg.linalg.norm(A, dim=1).data, np.linalg.norm(a, axis=1))
    np.testing.assert_allclose(tg.linalg.norm(A, 3, dim=0).data, np.linalg.norm(a, 3, axis=0))
    assert tg.linalg.matrix_norm(A, 1, keepdim=True).shape == (1, 1)
    nuclear = np.linalg.norm(a, "nuc")
    assert np.isclose(tg.linalg.norm(A, "nuc").item(), nuclear)
    assert np.isclose(A.norm("nuc").item(), nuclear)
    assert np.isclose(tg.norm(A, "nuc", dim=(1, 0)).item(), nuclear)
    with pytest.raises(RuntimeError, match="over two dims"):
        tg.ones(2, 2, 2).norm("nuc")
    with pytest.raises(RuntimeError, match="1D or 2D"):
        tg.linalg.norm(tg.ones(2, 2, 2), 1)


def test_matrix_norm_gradcheck():
    x = t64([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])
    for ord in (1, math.inf, "fro"):
        assert gradcheck(lambda t: tg.linalg.matrix_norm(t, ord), [x])


# ----- clone, detach_, t ------------------------------------------------------------------
@given(tensors(SMALL))
def test_clone_copies_and_passes_gradient(x):
    c = x.clone()
    assert not np.shares_memory(c.data, x.data) and c.requires_grad
    np.testing.assert_array_equal(c.data, x.data)
    (g,) = grad((c * c).sum(), [x])
    np.testing.assert_allclose(g.data, 2 * x.data)
    assert gradgradcheck(lambda t: t.clone() * t, [x])


def test_detach_in_place():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.data, [2.0, 2.0])


def test_t():
    x = tg.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(x.t().data, x.data.T)
    assert tg.t(tg.ones(3)).shape == (3,) and tg.ones(()).t().shape == ()
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        tg.ones(1, 2, 3).t()


# ----- masked_fill -------------------------------------------------------------------------
@given(a=arrays(shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_masked_fill_values_and_gradients(a, data):
    mask = data.draw(arrays(a.shape[-1:], dtype=np.bool_, elements=st.booleans()))
    x, v = t64(a), t64(2.5)
    out = x.masked_fill(Tensor(mask), v)
    np.testing.assert_array_equal(out.data, np.where(mask, 2.5, a))
    gx, gv = grad(out.sum(), [x, v])
    np.testing.assert_array_equal(gx.data, np.broadcast_to(~mask, a.shape))
    assert gv.item() == np.broadcast_to(mask, a.shape).sum()
    assert gradgradcheck(lambda t, w: t.masked_fill(mask, w) ** 2, [x, v])


def test_masked_fill_keeps_dtype_and_refuses_non_bool_masks():
    ints = tg.tensor([1, 2])
    out = ints.masked_fill(tg.tensor([True, False]), 2.7)
    assert out.dtype == tg.int64 and out.tolist() == [2, 2]   # cast as PyTorch does
    assert tg.zeros(3).masked_fill(tg.tensor(True), 1).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match="boolean masks"):
        tg.zeros(3).masked_fill(tg.tensor([1.0, 0.0, 0.0]), 1)
    with pytest.raises(RuntimeError, match="0-dimensional"):
        tg.zeros(3).masked_fill(tg.tensor([True, False, True]), tg.ones(3))


def test_masked_fill_in_place():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 1
    y.masked_fill_(tg.tensor([False, True, False]), 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 0.0, 1.0])
    with pytest.raises(RuntimeError, match="leaf"):
        w.masked_fill_(tg.tensor([True, False, False]), 0.0)


# ----- repeat, flip -----------------------------------------------------------------------
@given(a=arrays(shapes(max_dims=3, max_side=3)), data=st.data())
def test_repeat_is_tile_and_sums_gradients(a, data):
    extra = data.draw(st.integers(0, 2))
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=a.ndim + extra,
                                    max_size=a.ndim + extra)))
    x = t64(a)
    out = x.repeat(*reps)
    np.testing.assert_array_equal(out.data, np.tile(a, reps))
    (g,) = grad(out.sum(), [x])
    np.testing.assert_array_equal(g.data, np.full(a.shape, math.prod(reps)))
    if out.numel():
        assert gradcheck(lambda t: t.repeat(reps) ** 2, [x])


def test_repeat_needs_as_many_dims():
    with pytest.raises(RuntimeError, match="can not be smaller"):
        tg.ones(2, 3).repeat(2)


@given(a=arrays(SMALL), data=st.data())
def test_flip_reverses_and_is_an_involution(a, data):
    dims = data.draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=a.ndim,
                              unique_by=lambda d: d % a.ndim))
    x = t64(a)
    np.testing.assert_array_equal(x.flip(dims).data, np.flip(a, [d % a.ndim for d in dims]))
    np.testing.assert_array_equal(tg.flip(x.flip(dims), dims).data, a)
    w = np.random.default_rng(0).standard_normal(a.shape)
    (g,) = grad((x.flip(dims) * Tensor(w)).sum(), [x])
    np.testing.assert_array_equal(g.data, np.flip(w, [d % a.ndim for d in dims]))
    assert gradgradcheck(lambda t: t.flip(dims) * t, [x])


# ----- chunk, split, unbind -----------------------------------------------------------------
@given(n=st.integers(0, 9), chunks=st.integers(1, 5))
def test_chunk_sizes_follow_pytorch(n, chunks):
    parts = tg.arange(float(n)).chunk(chunks)
    size = -(-n // chunks) if n else 0
    want = [min(size, n - s) for s in range(0, n, size)] if n else [0]
    assert [p.shape[0] for p in parts] == want
    assert tg.cat(parts).tolist() == list(map(float, range(n)))


@given(a=arrays(shapes(min_dims=1, max_dims=3, max_side=5)), data=st.data())
def test_split_and_unbind_recompose(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    x = t64(a)
    step = data.draw(st.integers(1, n))
    parts = x.split(step, dim)
    assert all(p.shape[dim] == step for p in parts[:-1]) and 0 < parts[-1].shape[dim] <= step
    np.testing.assert_array_equal(tg.cat(parts, dim).data, a)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - c for c, b in zip([0] + cuts, cuts + [n])]
    np.testing.assert_array_equal(tg.cat(tg.split(x, sizes, dim), dim).data, a)
    rows = x.unbind(dim)
    assert len(rows) == n and rows[0].shape == tuple(np.delete(a.shape, dim % a.ndim))
    np.testing.assert_array_equal(tg.stack(rows, dim).data, a)
    w = np.arange(len(parts), dtype=np.float64)
    (g,) = grad(sum((p.sum() * float(k) for k, p in zip(w, parts)), t64(0.0, False)), [x])
    index = [slice(None)] * a.ndim
    for k, p in enumerate(parts):
        index[dim] = slice(k * step, k * step + p.shape[dim])
        assert (g.data[tuple(index)] == k).all()


def test_split_sizes_must_add_up():
    with pytest.raises(RuntimeError, match="sum exactly to 5"):
        tg.arange(5.0).split([2, 2])


# ----- mm, bmm, dot, einsum ------------------------------------------------------------------
def test_mm_bmm_dot_values_and_errors():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(t64(a).mm(t64(b)).data, a @ b)
    A, B = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 3, 4))
    np.testing.assert_allclose(tg.bmm(t64(A), t64(B)).data, A @ B)
    u, v = rng.standard_normal(3), rng.standard_normal(3)
    assert np.isclose(tg.dot(t64(u), t64(v)).item(), u @ v)
    assert gradgradcheck(lambda x, y: x.mm(y) ** 2, [t64(a), t64(b)])
    assert gradcheck(lambda x, y: x.bmm(y), [t64(A), t64(B)])
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        tg.ones(2, 3).mm(tg.ones(3))
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x3 and 2x3\)"):
        tg.ones(2, 3).mm(tg.ones(2, 3))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        tg.ones(2, 3).bmm(tg.ones(2, 3, 3))
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        tg.ones(2, 3).dot(tg.ones(3))
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        tg.ones(3).dot(tg.ones(2))


EINSUM = [   # equation, operand shapes, the same in numpy
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),            # implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ii->i", [(3, 3)]),                    # diagonal
    ("ii", [(3, 3)]),                       # trace
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("...ij,...jk->...ik", [(4, 2, 3), (3, 2)]),   # broadcast ellipsis
    ("i...->...", [(2, 3, 4)]),
    ("ijk,jl,kl->il", [(2, 3, 4), (3, 5), (4, 5)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 2)]),    # a diagonal inside a product
]


@pytest.mark.parametrize("eq, shapes_", EINSUM)
def test_einsum_matches_numpy_with_gradients(eq, shapes_):
    rng = np.random.default_rng(len(eq))
    arrays_ = [rng.standard_normal(s) for s in shapes_]
    xs = [t64(a) for a in arrays_]
    np.testing.assert_allclose(tg.einsum(eq, *xs).data, np.einsum(eq, *arrays_), atol=1e-12)
    np.testing.assert_allclose(tg.einsum(eq, xs).data, np.einsum(eq, *arrays_), atol=1e-12)
    assert gradcheck(lambda *ts: tg.einsum(eq, *ts), xs)
    assert gradgradcheck(lambda *ts: tg.einsum(eq, *ts) ** 2, xs)


def test_einsum_broadcasts_size_one_dims_and_checks_sizes():
    a, b = t64(np.ones((2, 1))), t64(np.ones((3, 4)))
    out = tg.einsum("ij,jk->ik", a, b)   # j: 1 against 3, broadcast as PyTorch
    np.testing.assert_array_equal(out.data, np.full((2, 4), 3.0))
    (g,) = grad(out.sum(), [a])
    np.testing.assert_array_equal(g.data, np.full((2, 1), 12.0))
    with pytest.raises(ValueError, match="subscript 'j'"):
        tg.einsum("ij,jk->ik", tg.ones(2, 2), tg.ones(3, 4))
    with pytest.raises(ValueError, match="2 operand subscripts but 1"):
        tg.einsum("ij,jk->ik", tg.ones(2, 2))


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16))
def test_einsum_law_matmul(n, m, k, seed):
    rng = np.random.default_rng(seed)
    a, b = t64(rng.standard_normal((n, m))), t64(rng.standard_normal((m, k)))
    np.testing.assert_allclose(tg.einsum("ij,jk->ik", a, b).data, (a @ b).data, atol=1e-12)
    ga = grad(tg.einsum("ij,jk->ik", a, b).sum(), [a, b])
    gb = grad((a @ b).sum(), [a, b])
    for x, y in zip(ga, gb):
        np.testing.assert_allclose(x.data, y.data, atol=1e-12)


# ----- closeness, non-finite tests, where(cond), nonzero ---------------------------------------
def test_isclose_allclose_isinf_isnan_isfinite():
    a = tg.tensor([1.0, math.nan, math.inf, -math.inf, 1e-9])
    b = tg.tensor([1.0 + 1e-7, math.nan, math.inf, math.inf, 0.0])
    assert a.isclose(b).tolist() == [True, False, True, False, True]
    assert tg.isclose(a, b, equal_nan=True).tolist() == [True, True, True, False, True]
    assert tg.isinf(a).tolist() == [False, False, True, True, False]
    assert tg.isnan(a).tolist() == [False, True, False, False, False]
    assert tg.isfinite(a).tolist() == [True, False, False, False, True]
    assert tg.allclose(tg.ones(3), tg.ones(3) + 1e-6) is True
    assert tg.ones(3).allclose(tg.ones(3) + 1e-3) is False
    assert tg.ones(3).allclose(tg.ones(3) + 1e-3, atol=1e-2)


@given(arrays(shapes(max_dims=3), elements=st.integers(-1, 1).map(float)))
def test_where_with_the_condition_alone_is_nonzero(a):
    x = Tensor(a)
    got = tg.where(x)
    assert len(got) == max(a.ndim, 1) and all(g.dtype == tg.int64 for g in got)
    for g, want in zip(got, np.nonzero(np.atleast_1d(a))):
        np.testing.assert_array_equal(g.data, want)
    rows = x.nonzero()
    assert rows.shape == (np.count_nonzero(a), a.ndim)
    if a.ndim:
        np.testing.assert_array_equal(rows.data, np.argwhere(a))
    with pytest.raises(TypeError, match="both input and other"):
        tg.where(x, 1.0)


# ----- dtypes -------------------------------------------------------------------------------
def test_dtype_aliases():
    assert tg.float == tg.float32 and tg.double == tg.float64 and tg.half == tg.float16
    assert tg.long == tg.int64 and tg.int == tg.int32 and tg.short == tg.int16
    assert tg.bool == np.bool_
    assert tg.ones(2, dtype=tg.long).dtype == np.int64
    assert tg.tensor([1, 2]).to(tg.float).dtype == np.float32
    assert tg.zeros(1, dtype=tg.bool).dtype == np.bool_
    assert tg.ones(2).is_floating_point() and not tg.is_floating_point(tg.tensor([1]))


def test_new_factories_take_dtype_from_self():
    x = tg.ones(2, dtype=tg.float64)
    for t in (x.new_zeros(2, 3), x.new_ones((2, 3)), x.new_full((2, 3), 7), x.new_empty(2, 3)):
        assert t.dtype == tg.float64 and t.shape == (2, 3) and t.is_leaf
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == tg.float64
    assert x.new_tensor([1, 2], dtype=tg.long).dtype == tg.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    assert tg.tensor([1, 2]).new_full((2,), 3.5).tolist() == [3, 3]
    with pytest.raises(RuntimeError, match="numpy"):
        x.new_zeros(2, device="cuda")


# ----- axis / keepdims aliases ---------------------------------------------------------------
REDUCTIONS = ["sum", "mean", "var", "std", "amax", "amin", "argmax", "argmin", "logsumexp",
              "all", "any"]


@pytest.mark.parametrize("name", REDUCTIONS)
@given(a=arrays(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_axis_and_keepdims_alias_dim_and_keepdim(name, a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    keep = data.draw(st.booleans())
    x = Tensor(a > 0) if name in ("all", "any") else Tensor(a)
    np.testing.assert_array_equal(getattr(x, name)(axis=dim, keepdims=keep).data,
                                  getattr(x, name)(dim=dim, keepdim=keep).data)
    np.testing.assert_array_equal(getattr(tg, name, getattr(Tensor, name))(x, axis=dim).data,
                                  getattr(x, name)(dim).data)
    with pytest.raises(TypeError, match="alias"):
        getattr(x, name)(dim=dim, axis=dim)


def test_max_min_softmax_accept_axis():
    x = tg.tensor([[1.0, 5.0], [4.0, 2.0]])
    assert x.max(axis=1).values.tolist() == [5.0, 4.0]
    assert tg.min(x, axis=0, keepdims=True).values.tolist() == [[1.0, 2.0]]
    np.testing.assert_array_equal(x.softmax(axis=1).data, x.softmax(1).data)
    np.testing.assert_array_equal(tg.log_softmax(x, axis=0).data, x.log_softmax(0).data)
    assert x.sum(dtype=tg.float64).dtype == tg.float64
    with pytest.raises(TypeError, match="dim"):
        x.softmax()


# ----- set_printoptions ------------------------------------------------------------------------
@pytest.fixture
def printoptions():
    before = np.get_printoptions()
    yield
    tg.set_printoptions(profile="default")
    assert np.get_printoptions() == before   # numpy's own printing is never touched


def test_default_repr_is_pytorchs(printoptions):
    assert repr(tg.tensor([1 / 3, 2.0])) == "tensor([0.3333, 2.0000])"
    assert repr(tg.tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_set_printoptions(printoptions):
    x = tg.tensor([1 / 3, 2.0])
    tg.set_printoptions(precision=2)
    assert repr(x) == "tensor([0.33, 2.00])"
    tg.set_printoptions(sci_mode=True)
    assert repr(x) == "tensor([3.33e-01, 2.00e+00])"
    tg.set_printoptions(threshold=5, edgeitems=2)
    assert repr(tg.arange(10)) == "tensor([0, 1, ..., 8, 9])"
    tg.set_printoptions(profile="full")
    assert "..." not in repr(tg.arange(2000))
    tg.set_printoptions(profile="default")
    assert repr(x) == "tensor([0.3333, 2.0000])"
    with pytest.raises(ValueError, match="profile"):
        tg.set_printoptions(profile="long")


# ----- the legacy constructor, index lists, dtype and matmul errors -------------------------------
def test_legacy_constructor_takes_sizes():
    t = Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == tg.float32 and not t.requires_grad
    assert Tensor().shape == (0,) and Tensor().dtype == tg.float32
    assert Tensor(2, 3, dtype=tg.float64).dtype == tg.float64
    assert Tensor([1.0], True).requires_grad   # (data, requires_grad) still reads as before
    assert Tensor(3).shape == () and Tensor(3).item() == 3   # one number: the data
    with pytest.raises(TypeError, match="sizes"):
        Tensor(2, 3.5)


@given(arrays(shapes(min_dims=2, max_dims=3, min_side=3, max_side=4)))
def test_an_index_list_with_slices_or_lists_is_a_tuple(a):
    x = t64(a)
    np.testing.assert_array_equal(x[[slice(None), [2, 1]]].data, a[:, [2, 1]])
    np.testing.assert_array_equal(x[[[0, 1], [1, 2]]].data, a[[0, 1], [1, 2]])
    np.testing.assert_array_equal(x[[0, 2]].data, a[[0, 2]])   # plain ints: one dim
    np.testing.assert_array_equal(x[[Ellipsis, 0]].data, a[..., 0])
    np.testing.assert_array_equal(x[[None, 1]].data, a[None, 1])
    np.testing.assert_array_equal(x[[tg.tensor([0, 0]), tg.tensor([1, 2])]].data,
                                  a[[0, 0], [1, 2]])
    (g,) = grad(x[[[0, 0], [1, 1]]].sum(), [x])
    want = np.zeros(a.shape)
    want[0, 1] = 2   # both picks of a[0, 1]: the gradient adds up
    np.testing.assert_array_equal(g.data, want)
    y = Tensor(a.copy())
    y[[slice(None), [0]]] = 7.0
    assert (y.data[:, 0] == 7).all()


def test_linear_refuses_a_dtype_other_than_its_weights():
    layer = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="same dtype, but got Double and Float"):
        layer(tg.ones(4, 3, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="got Long and Float"):
        layer(tg.ones(4, 3, dtype=tg.long))
    with pytest.raises(RuntimeError, match="same dtype"):
        nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())(tg.ones(1, 3, dtype=tg.float64))
    assert layer.double()(tg.ones(4, 3, dtype=tg.float64)).dtype == tg.float64


@pytest.mark.parametrize("a, b, words", [
    ((2, 3), (4, 5), ["(2, 3)", "(4, 5)", "(3)", "(4)"]),
    ((2, 3), (4,), ["(2, 3)", "(4,)"]),
    ((2, 2, 3), (3, 3, 4), ["batch dimensions", "(2,)", "(3,)"]),
    ((), (3,), ["at least 1 dimension"]),
])
def test_matmul_errors_name_both_shapes_once(a, b, words):
    with pytest.raises(ValueError) as info:
        tg.ones(*a) @ tg.ones(*b)
    text = str(info.value)
    assert text.startswith("matmul: ") and "matmul: matmul" not in text
    assert "gufunc" not in text and "core dimension" not in text
    for w in words:
        assert w in text


# ----- selections, orderings, triangles, scans ----------------------------------------------------
EXTRAS = {
    "narrow": lambda t: t.narrow(1, 1, 2),
    "select": lambda t: tg.select(t, 0, -1),
    "index_select": lambda t: t.index_select(1, tg.tensor([2, 0, 2])),
    "gather": lambda t: t.gather(1, tg.tensor([[0, 0], [2, 1], [1, 1]])),
    "sort": lambda t: t.sort(1, descending=True).values,
    "topk": lambda t: tg.topk(t, 2, 0).values,
    "roll": lambda t: t.roll((1, -1), (0, 1)),
    "tile": lambda t: tg.tile(t, (2, 1)),
    "cumsum": lambda t: t.cumsum(1),
    "tril": lambda t: t.tril(-1) + tg.triu(t, 1) * 2,
    "diag": lambda t: t.diag().diag(1),
    "diagonal": lambda t: t.diagonal(1),
    "trace": lambda t: t.trace(),
    "outer": lambda t: t[0].outer(t[1]),
    "tan": lambda t: (t * 0.3).tan(),
    "movedim": lambda t: t.movedim(0, 1),
    "rsqrt": lambda t: (t * t + 1).rsqrt(),
}


@pytest.mark.parametrize("name", sorted(EXTRAS))
def test_extra_methods_gradcheck(name):
    # distinct values: sort and topk are smooth there
    x = t64(np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5], [-2.25, 1.0, 0.25]]))
    assert gradcheck(EXTRAS[name], [x])
    assert gradgradcheck(lambda t: EXTRAS[name](t) ** 2, [x])


@given(tensors(shapes(min_dims=1, max_dims=3, max_side=5)), st.data())
def test_cumsum_gradient_counts_later_positions(x, data):
    dim = data.draw(st.integers(0, x.ndim - 1))
    np.testing.assert_allclose(x.cumsum(dim).data, np.cumsum(x.data, dim))
    (g,) = grad(x.cumsum(dim).sum(), [x])
    n = x.shape[dim]
    counts = (n - np.arange(n)).reshape([n if d == dim else 1 for d in range(x.ndim)])
    np.testing.assert_array_equal(g.data, np.broadcast_to(counts, x.shape))


@given(tensors(SMALL))
def test_roundings_have_zero_gradient(x):
    for name in ("floor", "ceil", "round", "trunc"):
        y = getattr(x, name)()
        np.testing.assert_array_equal(y.data, getattr(np, name)(x.data))
        (g,) = grad(y.sum(), [x])
        np.testing.assert_array_equal(g.data, np.zeros(x.shape))


@given(tensors(SMALL), st.data())
def test_sort_values_are_gathered(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    values, indices = x.sort(dim)
    np.testing.assert_array_equal(values.data, np.sort(x.data, dim))
    np.testing.assert_array_equal(np.take_along_axis(x.data, indices.data, dim), values.data)
    assert (tg.argsort(x, dim) == indices).all()
