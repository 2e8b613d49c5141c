"""PyTorch as the oracle for the order statistics (median, nanmedian, kthvalue,
mode, quantile, nanquantile, cummax, cummin), the counts (unique,
unique_consecutive, histc), scatter_reduce, index_copy, masked_scatter,
take, take_along_dim, logcumsumexp and the products and rearrangements
(kron, cdist, baddbmm, addbmm, tensordot, unfold, rot90, fliplr, flipud,
diag_embed, block_diag, cartesian_prod): values, dtypes, the index picked
among ties, first and second derivatives in float64 on a coarse grid (ties,
zeros and NaNs where PyTorch's rules decide), and the exception types of bad
input."""
import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import Tensor  # noqa: E402
from tinygrad_nndl.testing import arrays, shapes  # noqa: E402
from test_torch_ops import GRID, SMOOTH, check, compare  # noqa: E402
from test_torch_scatter import cases  # noqa: E402

pytestmark = pytest.mark.torch

NAN_GRID = st.one_of(GRID, st.just(float("nan")))
FEW = settings(max_examples=10)


@st.composite
def shape_dim(draw, max_side=4):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=max_side))
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


def same_dtype(ours, theirs):
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)


def compare_pair(ours, theirs):
    """A (values, indices) result: the same values, indices and dtypes."""
    for a, b in zip(ours, theirs):
        same_dtype(a, b)
        compare(a, b)


# ----- order statistics --------------------------------------------------------------------
@given(sd=shape_dim(), keepdim=st.booleans(), data=st.data())
def test_median_and_nanmedian_with_ties_and_nans(sd, keepdim, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=GRID))
    check(lambda t: t.median(), lambda t: t.median(), x)   # gradient shared among ties
    check(lambda t: t.median(dim, keepdim).values, lambda t: t.median(dim, keepdim).values, x)
    compare_pair(Tensor(x).median(dim, keepdim), torch.tensor(x).median(dim, keepdim))
    xn = data.draw(arrays(shape, elements=NAN_GRID))
    for name in ("median", "nanmedian"):
        check(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), xn)
        compare_pair(getattr(Tensor(xn), name)(dim), getattr(torch.tensor(xn), name)(dim))
        check(lambda t: getattr(t, name)(dim).values, lambda t: getattr(t, name)(dim).values, xn)


@given(sd=shape_dim(max_side=6), keepdim=st.booleans(), data=st.data())
def test_kthvalue_and_mode_pick_pytorchs_index_among_ties(sd, keepdim, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=st.sampled_from([0.0, 1.0, 2.0, float("nan")])))
    k = data.draw(st.integers(1, shape[dim]))
    compare_pair(Tensor(x).kthvalue(k, dim, keepdim), torch.tensor(x).kthvalue(k, dim, keepdim))
    check(lambda t: t.kthvalue(k, dim, keepdim).values,
          lambda t: t.kthvalue(k, dim, keepdim).values, x)
    x = np.nan_to_num(x, nan=3.0)   # PyTorch's mode of NaNs is where its sort leaves them
    compare_pair(Tensor(x).mode(dim, keepdim), torch.tensor(x).mode(dim, keepdim))
    check(lambda t: t.mode(dim, keepdim).values, lambda t: t.mode(dim, keepdim).values, x)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float32, np.float16])
def test_order_statistics_keep_the_dtype(dtype):
    x = np.array([[3, 1, 2, 1], [0, 4, 4, 2]]).astype(dtype)
    for fn in (lambda t: t.median(), lambda t: t.nanmedian(1), lambda t: t.kthvalue(2),
               lambda t: t.mode(0), lambda t: t.cummin(1)):
        ours, theirs = fn(Tensor(x)), fn(torch.tensor(x))
        for a, b in (zip(ours, theirs) if isinstance(ours, tuple) else [(ours, theirs)]):
            same_dtype(a, b)
            compare(a, b)
    compare_pair(Tensor(x[0] > 1).mode(), torch.tensor(x[0] > 1).mode())


INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


@given(shape=shapes(min_dims=0, max_dims=3, max_side=4), dim=st.sampled_from([None, 0, -1]),
       keepdim=st.booleans(), interpolation=st.sampled_from(INTERPOLATIONS), data=st.data())
def test_quantile_and_nanquantile(shape, dim, keepdim, interpolation, data):
    # PyTorch sorts slices of more than 16 unstably: ties there are left to test_ops_more
    n = int(np.prod(shape)) if dim is None or not shape else shape[dim]
    values = GRID if n <= 16 else SMOOTH
    x = data.draw(hnp.arrays(np.float64, shape, elements=values, unique=n > 16))
    qs = data.draw(st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.7, 1.0]),
                             hnp.arrays(np.float64, st.integers(1, 3), elements=st.floats(0, 1))))
    q, tq = (Tensor(qs), torch.tensor(qs)) if isinstance(qs, np.ndarray) else (qs, qs)
    for name in ("quantile", "nanquantile"):
        check(lambda t: getattr(t, name)(q, dim, keepdim, interpolation=interpolation),
              lambda t: getattr(t, name)(tq, dim, keepdim, interpolation=interpolation), x)
    xn = np.where(data.draw(hnp.arrays(bool, shape)) & (n <= 16), np.nan, x)
    check(lambda t: t.nanquantile(q, dim, keepdim, interpolation=interpolation),
          lambda t: t.nanquantile(tq, dim, keepdim, interpolation=interpolation), xn)
    check(lambda t: t.quantile(q, dim, keepdim), lambda t: t.quantile(tq, dim, keepdim), xn)


def test_quantile_in_float32_ranks_as_pytorch():
    x = np.arange(11, dtype=np.float32) ** 2
    q = np.linspace(0, 1, 41, dtype=np.float32)
    for interpolation in INTERPOLATIONS:
        ours = Tensor(x).quantile(Tensor(q), interpolation=interpolation)
        theirs = torch.tensor(x).quantile(torch.tensor(q), interpolation=interpolation)
        same_dtype(ours, theirs)
        compare(ours, theirs, rtol=1e-6)


@given(sd=shape_dim(), data=st.data())
def test_cummax_cummin_and_logcumsumexp(sd, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=NAN_GRID))
    for name in ("cummax", "cummin"):
        compare_pair(getattr(Tensor(x), name)(dim), getattr(torch.tensor(x), name)(dim))
        check(lambda t: getattr(t, name)(dim).values, lambda t: getattr(t, name)(dim).values, x)
    big = data.draw(arrays(shape, elements=SMOOTH)) * 100   # exp of each overflows
    check(lambda t: t.logcumsumexp(dim), lambda t: torch.logcumsumexp(t, dim), big)


def test_running_ops_of_0d_and_integer_tensors():
    for make in (lambda m: m.tensor(2.0).cummax(0), lambda m: m.tensor([1, 3, 3, 2]).cummax(0),
                 lambda m: m.tensor([True, False, True]).cummin(-1),
                 lambda m: m.tensor(2.0).logcumsumexp(-1),
                 lambda m: m.tensor([1.0, 2.0], dtype=m.float16).logcumsumexp(0),
                 lambda m: m.tensor([[-1e4, 0.0, 1e4, -float("inf"), float("inf")]])
                 .logcumsumexp(1)):
        ours, theirs = make(tg), make(torch)
        for a, b in (zip(ours, theirs) if isinstance(ours, tuple) else [(ours, theirs)]):
            same_dtype(a, b)
            compare(a, b, rtol=1e-3)


# ----- counts --------------------------------------------------------------------------------
@given(shape=shapes(min_dims=0, max_dims=3, max_side=4), data=st.data(),
       dtype=st.sampled_from([np.int64, np.float32, np.bool_]))
def test_unique_and_unique_consecutive(shape, data, dtype):
    x = data.draw(hnp.arrays(dtype, shape, elements=st.booleans() if dtype == np.bool_ else
                             st.integers(0, 2)))
    dims = [None] + (list(range(x.ndim)) if x.size else [])
    if dtype == np.float32:   # (PyTorch's order of slices holding NaN is its sort's accident)
        x[data.draw(hnp.arrays(bool, shape))] = np.nan
        dims = dims[:1]
    for dim in dims:
        for inverse, counts in ((False, False), (True, False), (False, True), (True, True)):
            # (keywords: PyTorch's functions misread these flags given by position)
            flags = dict(return_inverse=inverse, return_counts=counts, dim=dim)
            ours = Tensor(x).unique(**flags)
            theirs = torch.unique(torch.tensor(x), **flags)
            for a, b in (zip(ours, theirs) if isinstance(ours, tuple) else [(ours, theirs)]):
                same_dtype(a, b)
                compare(a, b)
            ours = tg.unique_consecutive(Tensor(x), **flags)
            theirs = torch.unique_consecutive(torch.tensor(x), **flags)
            for a, b in (zip(ours, theirs) if isinstance(ours, tuple) else [(ours, theirs)]):
                same_dtype(a, b)
                compare(a, b)


@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), st.integers(0, 30),
                    elements=st.integers(-8, 8).map(lambda k: k / 4)),
       bins=st.integers(1, 9), bounds=st.sampled_from([(0, 0), (-1, 1), (-2, 0.75), (1, 1)]))
def test_histc_counts_as_pytorch_at_the_bin_edges(x, bins, bounds):
    ours, theirs = Tensor(x).histc(bins, *bounds), torch.tensor(x).histc(bins, *bounds)
    same_dtype(ours, theirs)
    compare(ours, theirs)


# ----- writes and reads through an index -----------------------------------------------------
def _zeros_meet(a, dim, index, src):
    """Whether two zeros of src go to one place (PyTorch's prod has no second derivative)."""
    count = np.zeros(a.shape, np.int64)
    axis = dim % a.ndim
    for p in np.ndindex(index.shape):
        q = list(p)
        q[axis] = index[p]
        count[tuple(q)] += src[p] == 0
    return (count > 1).any()


@given(case=cases(), reduce=st.sampled_from(["sum", "prod", "mean", "amax", "amin"]),
       include_self=st.booleans())
def test_scatter_reduce(case, reduce, include_self):
    a, dim, index, src = case
    i, ti = Tensor(index), torch.tensor(index)
    second = not (reduce == "prod" and _zeros_meet(a, dim, index, src))
    check(lambda x, s: x.scatter_reduce(dim, i, s, reduce, include_self=include_self),
          lambda x, s: x.scatter_reduce(dim, ti, s, reduce, include_self=include_self),
          a, src, second=second)
    check(lambda x, s: x.clone().scatter_reduce_(dim, i, s, reduce, include_self=include_self)
          * x, lambda x, s: x.clone().scatter_reduce_(dim, ti, s, reduce,
                                                      include_self=include_self) * x,
          a, src, second=second)
    ints = (a * 2).astype(np.int64), (src * 2).astype(np.int64)
    ours = tg.scatter_reduce(Tensor(ints[0]), dim, i, Tensor(ints[1]), reduce,
                             include_self=include_self)
    theirs = torch.scatter_reduce(torch.tensor(ints[0]), dim, ti, torch.tensor(ints[1]),
                                  reduce, include_self=include_self)
    same_dtype(ours, theirs)
    compare(ours, theirs)


@given(shape=shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_index_copy_masked_scatter_take_and_take_along_dim(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = data.draw(arrays(shape, elements=GRID))
    picks = data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=1, max_size=shape[dim],
                               unique=True))
    source = data.draw(arrays(shape[:dim % len(shape)] + (len(picks),) +
                              shape[dim % len(shape) + 1:], elements=GRID))
    i, ti = Tensor(np.array(picks)), torch.tensor(picks)
    check(lambda x, s: x.index_copy(dim, i, s), lambda x, s: x.index_copy(dim, ti, s), a, source)
    check(lambda x, s: x.clone().index_copy_(dim, i, s) * x,
          lambda x, s: x.clone().index_copy_(dim, ti, s) * x, a, source)
    mask = data.draw(hnp.arrays(bool, shape[data.draw(st.integers(0, len(shape))):]))
    ones = int(np.broadcast_to(mask, shape).sum())
    more = data.draw(arrays(st.integers(ones, a.size + 1).map(lambda n: (n,)), elements=GRID))
    m, tm = Tensor(mask), torch.tensor(mask)
    check(lambda x, s: x.masked_scatter(m, s), lambda x, s: x.masked_scatter(tm, s), a, more)
    check(lambda x, s: x.clone().masked_scatter_(m, s) * x,
          lambda x, s: x.clone().masked_scatter_(tm, s) * x, a, more)
    flat = data.draw(hnp.arrays(np.int64, shapes(max_dims=2, max_side=4),
                                elements=st.integers(-a.size, a.size - 1)))
    check(lambda x: x.take(Tensor(flat)), lambda x: x.take(torch.tensor(flat)), a)
    along = data.draw(hnp.arrays(np.int64, tuple(data.draw(st.sampled_from([1, n])) for n in
                                                 shape[:-1]) + (3,),
                                 elements=st.integers(0, shape[-1] - 1)))
    check(lambda x: x.take_along_dim(Tensor(along), -1),
          lambda x: torch.take_along_dim(x, torch.tensor(along), -1), a)
    check(lambda x: tg.take_along_dim(x, Tensor(along.reshape(-1) % a.size)),
          lambda x: x.take_along_dim(torch.tensor(along.reshape(-1) % a.size)), a)


# ----- products and rearrangements -----------------------------------------------------------
@FEW
@given(p=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")]),
       rows=st.tuples(st.integers(0, 3), st.integers(1, 3), st.integers(0, 3)),
       batch=st.sampled_from([((), ()), ((2,), ()), ((2, 1), (3,))]), data=st.data())
def test_cdist_first_derivatives_at_zero_distance_and_ties(p, rows, batch, data):
    (n, m, r), (b1, b2) = rows, batch
    grid = st.integers(0, 2).map(float)   # repeated rows and tied gaps
    x1 = data.draw(arrays(b1 + (n, m), elements=grid))
    x2 = data.draw(arrays(b2 + (r, m), elements=grid))
    # PyTorch's cdist backward is not differentiable: first derivatives only
    check(lambda a, b: tg.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), x1, x2,
          second=False)


@FEW
@given(s1=shapes(max_dims=3, max_side=3), s2=shapes(max_dims=3, max_side=3), data=st.data())
def test_kron(s1, s2, data):
    check(lambda a, b: tg.kron(a, b), lambda a, b: torch.kron(a, b),
          data.draw(arrays(s1, elements=GRID)), data.draw(arrays(s2, elements=GRID)))


@FEW
@given(b=st.integers(0, 3), n=st.integers(1, 3), m=st.integers(0, 3), k=st.integers(1, 3),
       beta=st.sampled_from([0, 1, 0.5]), alpha=st.sampled_from([1, -2]), data=st.data())
def test_baddbmm_and_addbmm(b, n, m, k, beta, alpha, data):
    b1 = data.draw(arrays((b, n, m), elements=GRID))
    b2 = data.draw(arrays((b, m, k), elements=GRID))
    i = data.draw(arrays((n, k)[data.draw(st.integers(0, 2)):], elements=GRID))
    check(lambda x, y, z: tg.baddbmm(x, y, z, beta=beta, alpha=alpha),
          lambda x, y, z: torch.baddbmm(x, y, z, beta=beta, alpha=alpha), i, b1, b2)
    check(lambda x, y, z: x.addbmm(y, z, beta=beta, alpha=alpha),
          lambda x, y, z: x.addbmm(y, z, beta=beta, alpha=alpha), i, b1, b2)


def test_batched_products_of_integers_truncate_beta_and_alpha():
    for make in (lambda m: m.baddbmm(m.ones(4, dtype=m.int64), m.ones(2, 3, 2, dtype=m.int64),
                                     m.ones(2, 2, 4, dtype=m.int64), beta=1.5, alpha=2.5),
                 lambda m: m.ones(3, 4, dtype=m.int64).addbmm(
                     m.ones(2, 3, 2, dtype=m.int64), m.ones(2, 2, 4, dtype=m.int64), beta=0),
                 lambda m: m.tensordot(m.arange(6).reshape(2, 3), m.arange(6).reshape(3, 2), 1),
                 lambda m: m.kron(m.tensor([1, 2]), m.tensor([0.5])),
                 lambda m: m.kron(m.tensor([True, False]), m.tensor([True]))):
        ours, theirs = make(tg), make(torch)
        same_dtype(ours, theirs)
        compare(ours, theirs)


@FEW
@given(shape=shapes(min_dims=2, max_dims=4, max_side=3), data=st.data())
def test_tensordot(shape, data):
    n = data.draw(st.integers(0, len(shape)))
    a = data.draw(arrays(shape, elements=GRID))
    b = data.draw(arrays(shape[len(shape) - n:] + (2,), elements=GRID))
    check(lambda x, y: tg.tensordot(x, y, n), lambda x, y: torch.tensordot(x, y, n), a, b)
    order = data.draw(st.permutations(range(len(shape))))
    c = data.draw(arrays(tuple(shape[d] for d in order), elements=GRID))
    dims = (list(order), list(range(len(shape))))
    check(lambda x, y: tg.tensordot(x, y, dims), lambda x, y: torch.tensordot(x, y, dims), a, c)


@given(shape=shapes(min_dims=0, max_dims=3, max_side=5), data=st.data())
def test_unfold_sums_the_gradients_of_overlapping_windows(shape, data):
    dim = data.draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
    n = shape[dim] if shape else 1
    size, step = data.draw(st.integers(0, n)), data.draw(st.integers(1, 3))
    check(lambda t: t.unfold(dim, size, step), lambda t: t.unfold(dim, size, step),
          data.draw(arrays(shape, elements=GRID)))


@FEW
@given(shape=shapes(min_dims=2, max_dims=4, max_side=3), k=st.integers(-5, 5), data=st.data())
def test_rot90_flips_and_diag_embed(shape, k, data):
    x = data.draw(arrays(shape, elements=GRID))
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=2, max_size=2,
                              unique_by=lambda d: d % len(shape)))
    check(lambda t: t.rot90(k, dims), lambda t: torch.rot90(t, k, dims), x)
    check(lambda t: tg.fliplr(t) * t.flipud(), lambda t: torch.fliplr(t) * t.flipud(), x)
    nd = len(shape) + 1
    d1, d2 = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2,
                                unique_by=lambda d: d % nd))
    offset = data.draw(st.integers(-2, 2))
    check(lambda t: t.diag_embed(offset, d1, d2), lambda t: torch.diag_embed(t, offset, d1, d2),
          x)


@FEW
@given(parts=st.lists(shapes(max_dims=2, max_side=3, min_side=0), min_size=1, max_size=3),
       data=st.data())
def test_block_diag_and_cartesian_prod(parts, data):
    values = [data.draw(arrays(s, elements=GRID)) for s in parts]
    check(lambda *t: tg.block_diag(*t), lambda *t: torch.block_diag(*t), *values)
    vectors = [v.reshape(-1) for v in values]
    check(lambda *t: tg.cartesian_prod(*t), lambda *t: torch.cartesian_prod(*t), *vectors)


def test_block_diag_promotes_as_pytorch():
    for make in (lambda m: m.block_diag(m.tensor([1, 2]), m.tensor([[1.5]]), m.tensor(True)),
                 lambda m: m.block_diag(m.tensor([1.0], dtype=m.float64), m.tensor(2.0)),
                 lambda m: m.block_diag(), lambda m: m.block_diag(m.ones(0, 2), m.ones(2, 0))):
        ours, theirs = make(tg), make(torch)
        same_dtype(ours, theirs)
        compare(ours, theirs)


# ----- bad input -----------------------------------------------------------------------------
BAD = [   # make(module, x) raising in both; x a 2x3 float64 tensor of that module
    lambda m, x: x.median(2), lambda m, x: m.ones(2, 0).median(1),
    lambda m, x: m.tensor([True]).median(), lambda m, x: m.tensor(1.0).nanmedian(1),
    lambda m, x: x.kthvalue(4), lambda m, x: x.kthvalue(0, 0),
    lambda m, x: m.tensor([True]).kthvalue(1), lambda m, x: m.ones(2, 0).mode(1),
    lambda m, x: m.tensor([1, 2]).quantile(0.5), lambda m, x: x.quantile(1.5),
    lambda m, x: x.quantile(m.tensor([-0.1, 0.5], dtype=m.float64)),
    lambda m, x: x.quantile(m.tensor([0.5])), lambda m, x: x.quantile(m.ones(2, 2) / 2),
    lambda m, x: m.ones(0).nanquantile(0.5), lambda m, x: x.quantile(0.5, interpolation="x"),
    lambda m, x: x.quantile([0.5]), lambda m, x: x.nanquantile(0.5, dim=2),
    lambda m, x: x.unique(dim=2), lambda m, x: m.ones(3, 0).unique(dim=0),
    lambda m, x: m.ones(3, 0).unique_consecutive(dim=0), lambda m, x: m.tensor(5.0).unique(dim=0),
    lambda m, x: m.tensor([1, 2]).histc(), lambda m, x: x.histc(0),
    lambda m, x: x.histc(3, 2, 1), lambda m, x: x.histc(3, 0, float("inf")),
    lambda m, x: m.tensor([float("nan"), 1.0]).histc(3),
    lambda m, x: x.scatter_reduce(1, m.tensor([[0]]), x, "add"),
    lambda m, x: x.scatter_reduce(1, m.tensor([[0]]), x.float(), "sum"),
    lambda m, x: x.scatter_reduce(1, m.tensor([[3]]), x, "sum"),
    lambda m, x: x.scatter_reduce(1, m.tensor([[-1]]), x, "amin"),
    lambda m, x: x.scatter_reduce(1, m.tensor([[0.0]]), x, "sum"),
    lambda m, x: x.scatter_reduce(1, m.tensor([0]), x, "sum"),
    lambda m, x: x.scatter_reduce(1, m.tensor([[0]]), 2.0, "sum"),
    lambda m, x: m.tensor([True]).scatter_reduce(0, m.tensor([0]), m.tensor([True]), "mean"),
    lambda m, x: x.scatter_reduce_(2, m.tensor([[0]]), x, "prod"),
    lambda m, x: x.index_copy(0, m.tensor([1], dtype=m.int32), x[:1]),
    lambda m, x: x.index_copy(0, m.tensor([1]), x), lambda m, x: x.index_copy(0, m.tensor([[1]]),
                                                                              x[:1]),
    lambda m, x: x.index_copy_(0, m.tensor([2]), x[:1].clone()),
    lambda m, x: x.index_copy(0, m.tensor([-1]), x[:1]),
    lambda m, x: x.index_copy(0, m.tensor([1]), x[:1].float()),
    lambda m, x: x.index_copy(0, m.tensor([1]), m.ones(1, 2, dtype=m.float64)),
    lambda m, x: x.index_copy(0, m.tensor([1]), m.ones(1, dtype=m.float64)),
    lambda m, x: x.masked_scatter(m.tensor([1, 0, 1]), x),
    lambda m, x: x.masked_scatter(m.tensor([True, False, True]), x.float()),
    lambda m, x: x.masked_scatter(m.tensor([True, False, True]), x[0]),
    lambda m, x: x.masked_scatter(m.ones(4, 3, dtype=m.bool), m.ones(12, dtype=m.float64)),
    lambda m, x: x[0].masked_scatter_(m.ones(2, 3, dtype=m.bool), x),
    lambda m, x: x.take(m.tensor([1], dtype=m.int32)), lambda m, x: x.take(m.tensor([6])),
    lambda m, x: x.take(m.tensor([-7])),
    lambda m, x: x.take_along_dim(m.tensor([[1.0]]), 1),
    lambda m, x: x.take_along_dim(m.tensor([1]), 1), lambda m, x: x.take_along_dim(m.tensor([6])),
    lambda m, x: x.take_along_dim(m.tensor([-1])),
    lambda m, x: x.take_along_dim(m.zeros(3, 1, dtype=m.int64), 1),
    lambda m, x: m.tensor(5.0).take_along_dim(m.tensor(0), 0),
    lambda m, x: x.cummax(2), lambda m, x: m.tensor(2.0).cummin(1),
    lambda m, x: m.tensor([1, 2]).logcumsumexp(0), lambda m, x: x.logcumsumexp(2),
    lambda m, x: x[0].fliplr(), lambda m, x: m.tensor(1.0).flipud(),
    lambda m, x: x.rot90(1, [0]), lambda m, x: x[0].rot90(), lambda m, x: x.rot90(1, [0, -2]),
    lambda m, x: x.rot90(1, [0, 2]),
    lambda m, x: x.diag_embed(0, 0, 0), lambda m, x: x.diag_embed(0, 0, 3),
    lambda m, x: m.tensor(1.0).diag_embed(),
    lambda m, x: x.unfold(1, 4, 1), lambda m, x: x.unfold(1, -1, 1),
    lambda m, x: x.unfold(1, 2, 0), lambda m, x: x.unfold(2, 2, 1),
    lambda m, x: m.kron(x, 2.0),
    lambda m, x: m.cdist(x[0], x), lambda m, x: m.cdist(x, x[:, :2]),
    lambda m, x: m.cdist(x.long(), x.long()), lambda m, x: m.cdist(x, x.float()),
    lambda m, x: m.cdist(x, x, p=-1), lambda m, x: m.cdist(x, x, compute_mode="x"),
    lambda m, x: m.cdist(m.ones(2, 2, 3), m.ones(3, 2, 3)),
    lambda m, x: m.cdist(x.half(), x.half()),
    lambda m, x: m.baddbmm(m.ones(3), x, x.t()),
    lambda m, x: m.baddbmm(m.ones(3), m.ones(2, 3, 4, 1), m.ones(2, 4, 5)),
    lambda m, x: m.baddbmm(m.ones(5), m.ones(2, 3, 4), m.ones(3, 4, 5)),
    lambda m, x: m.baddbmm(m.ones(5), m.ones(2, 3, 4), m.ones(2, 3, 5)),
    lambda m, x: m.baddbmm(m.ones(5, dtype=m.float64), m.ones(2, 3, 4), m.ones(2, 4, 5)),
    lambda m, x: m.baddbmm(m.ones(3, 3, 5), m.ones(2, 3, 4), m.ones(2, 4, 5)),
    lambda m, x: m.addbmm(m.ones(2, 3, 5), m.ones(2, 3, 4), m.ones(2, 4, 5)),
    lambda m, x: m.addbmm(m.ones(5), m.ones(3, 4), m.ones(4, 5)),
    lambda m, x: m.block_diag(m.ones(1, 2, 3)),
    lambda m, x: m.cartesian_prod(m.tensor(1), m.tensor([3])), lambda m, x: m.cartesian_prod(),
    lambda m, x: m.cartesian_prod(m.tensor([1]), m.tensor([3.0])),
    lambda m, x: m.tensordot(x.long(), x, 1), lambda m, x: m.tensordot(x, x, -1),
    lambda m, x: m.tensordot(x, x, 3), lambda m, x: m.tensordot(x, x, ([1], [0])),
    lambda m, x: m.tensordot(x, x, ([1, 0], [1])), lambda m, x: m.tensordot(x, x, (1, 1)),
]


@pytest.mark.parametrize("make", BAD)
def test_bad_input_raises_pytorchs_exception_type(make):
    with pytest.raises(Exception) as theirs:
        make(torch, torch.ones(2, 3, dtype=torch.float64))
    with pytest.raises(theirs.type):
        make(tg, tg.ones(2, 3, dtype=tg.float64))
