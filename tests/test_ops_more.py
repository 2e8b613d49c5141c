"""Order statistics (median, nanmedian, kthvalue, mode, quantile, nanquantile,
cummax, cummin), counts (unique, unique_consecutive, histc), scatter_reduce,
index_copy, masked_scatter, take, take_along_dim, logcumsumexp and the
products and rearrangements (kron, cdist, baddbmm, addbmm, tensordot,
unfold, rot90, fliplr, flipud, diag_embed, block_diag, cartesian_prod):
values against numpy, loops and closed forms, float64 gradcheck and
gradgradcheck, PyTorch's gradient rules at ties, zeros and NaN written out,
in-place recording, and bad input raised before anything changes."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import grad, gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, shapes
from test_ops_scatter import scatter_cases

FEW = settings(max_examples=10)
# apart by far more than gradcheck's step, so no difference of it crosses a kink
DISTINCT = st.integers(-40, 40).map(lambda k: k / 4)


def t64(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def grads(fn, *values, g=None):
    """The gradients of fn's output (with upstream ``g``, ones by default)."""
    xs = [t64(v) for v in values]
    out = fn(*xs)
    return [x.data for x in grad(out, xs, grad_outputs=Tensor(np.ones(out.shape) if g is None
                                                             else g))]


@st.composite
def shape_dim(draw, min_dims=1, max_side=5):
    shape = draw(shapes(min_dims=min_dims, max_dims=3, max_side=max_side))
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


def distinct(shape):
    return hnp.arrays(np.float64, shape, elements=DISTINCT, unique=True)


# ----- order statistics: values ----------------------------------------------------------
@given(sd=shape_dim(), keepdim=st.booleans(), data=st.data())
def test_median_kthvalue_and_mode_pick_the_entries_numpy_sorts_there(sd, keepdim, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=st.integers(-2, 2).map(float)))
    ranked = np.sort(x, axis=dim)
    n = shape[dim]
    for result, rank in ((Tensor(x).median(dim, keepdim), (n - 1) // 2),
                         (tg.kthvalue(Tensor(x), n, dim, keepdim), n - 1)):
        want = np.take(ranked, [rank], axis=dim)
        np.testing.assert_array_equal(result.values.data, want if keepdim else want.squeeze(dim))
        index = result.indices.data if keepdim else np.expand_dims(result.indices.data, dim)
        np.testing.assert_array_equal(np.take_along_axis(x, index, dim), want)
        assert result.indices.dtype == tg.int64 and not result.indices.requires_grad
    mode = Tensor(x).mode(dim, keepdim=True)
    for row, value, index in zip(np.moveaxis(x, dim, -1).reshape(-1, n),
                                 mode.values.data.reshape(-1), mode.indices.data.reshape(-1)):
        counts = {v: (row == v).sum() for v in row}
        assert value == min(v for v in counts if counts[v] == max(counts.values()))
        assert index == np.flatnonzero(row == value)[-1]   # its last occurrence


def test_order_statistics_by_hand_with_pytorchs_choices_among_ties():
    x = tg.tensor([[2.0, 1.0, 5.0, 1.0, 1.0, 2.0, 2.0, 5.0]])
    assert x.median().item() == 2.0 and x.median(1).indices.tolist() == [0]
    assert x.kthvalue(2, 1).indices.tolist() == [4]    # where PyTorch's quickselect stops
    assert x.kthvalue(3, 1).indices.tolist() == [1]
    assert x.mode(1).values.tolist() == [1.0] and x.mode(1).indices.tolist() == [4]
    nan = tg.tensor([2.0, float("nan"), 5.0, float("nan"), 1.0, 2.0, 2.0, 5.0])
    assert np.isnan(nan.median().item()) and nan.median(0).indices.item() == 1
    assert nan.nanmedian().item() == 2.0 and nan.nanmedian(0).indices.item() == 5
    assert nan.kthvalue(8).indices.item() == 3 and np.isnan(nan.kthvalue(7).values.item())
    assert np.isnan(tg.tensor([float("nan")] * 3).nanmedian().item())
    assert np.isnan(tg.ones(0).median().item())
    assert tg.tensor([1, 5, 2]).median().item() == 2
    for name in ("median", "kthvalue", "mode"):
        args = (1,) if name == "kthvalue" else ()
        r = getattr(tg.tensor(3.0), name)(*args, 0, True)
        assert type(r).__name__ == name and r.values.shape == () and r.indices.item() == 0
    assert tg.ones(0, 2).median(1).values.shape == (0,)


def along_last(x, dim):
    """x's slices along ``dim`` (None: all of x) as rows."""
    return x.reshape(1, -1) if dim is None else np.moveaxis(x, dim, -1).reshape(-1, x.shape[dim])


@given(shape=shapes(min_dims=0, max_dims=3, max_side=4), data=st.data(),
       interpolation=st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]))
def test_quantile_is_numpys_for_each_slice(shape, data, interpolation):
    dim = data.draw(st.sampled_from([None] + list(range(len(shape)))))
    x = data.draw(arrays(shape))
    x[data.draw(hnp.arrays(bool, shape))] = np.nan
    q = data.draw(hnp.arrays(np.float64, st.integers(1, 3), elements=st.floats(0, 1)))
    for name, ignore_nan in (("quantile", False), ("nanquantile", True)):
        got = getattr(Tensor(x), name)(Tensor(q), dim, interpolation=interpolation).data
        rows = along_last(x, dim)
        for r, row in enumerate(rows):
            kept = row[~np.isnan(row)] if ignore_nan else row
            want = np.full(len(q), np.nan) if np.isnan(kept).any() or not kept.size else \
                np.quantile(kept, q, method=interpolation)
            np.testing.assert_allclose(got.reshape(len(q), -1)[:, r], want, rtol=1e-12,
                                       atol=1e-12)
        one = tg.quantile(Tensor(x), float(q[0]), dim, True).data
        assert one.shape == (() if dim is None and not shape else
                             tuple(1 if dim in (None, d) else n for d, n in enumerate(shape)))


@given(sd=shape_dim(), data=st.data())
def test_cummax_and_cummin_follow_the_loop(sd, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=st.one_of(st.integers(-2, 2).map(float),
                                                   st.just(np.nan))))
    for name, better in (("cummax", np.greater_equal), ("cummin", np.less_equal)):
        values, indices = getattr(tg, name)(Tensor(x), dim)
        rows = along_last(x, dim)
        want_v, want_i = np.empty_like(rows), np.zeros(rows.shape, np.int64)
        for r, row in enumerate(rows):
            best, at = np.nan, 0
            for i, v in enumerate(row):   # a NaN, once met, wins; of ties the latest
                if i == 0 or np.isnan(v) or (not np.isnan(best) and better(v, best)):
                    best, at = v, i
                want_v[r, i], want_i[r, i] = best, at
        np.testing.assert_array_equal(along_last(values.data, dim), want_v)
        np.testing.assert_array_equal(along_last(indices.data, dim), want_i)


def test_logcumsumexp_is_exact_where_exp_overflows():
    x = np.array([[-1000.0, 0.0, 1000.0, 1000.0], [1.0, 2.0, 3.0, 4.0]])
    want = np.array([[-1000.0, 0.0, 1000.0, 1000.0 + np.log(2.0)],
                     np.log(np.cumsum(np.exp([1.0, 2.0, 3.0, 4.0])))])
    np.testing.assert_allclose(Tensor(x).logcumsumexp(1).data, want, rtol=1e-15)
    g = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0]])
    # dL/dx_j = sum_{i >= j} g_i exp(x_j - y_i), each term taken apart
    want = np.array([[sum(g[r, i] * np.exp(x[r, j] - want[r, i]) for i in range(j, 4))
                      for j in range(4)] for r in range(2)])
    np.testing.assert_allclose(grads(lambda t: t.logcumsumexp(-1), x, g=g)[0], want,
                               rtol=1e-12, atol=1e-300)
    # y_0 = 0 makes the upstream gradient of y^2 zero there, where the log-domain sum has
    # no derivative in it: the recorded backward's recurrence keeps the second derivative
    assert gradgradcheck(lambda t: t.logcumsumexp(0) ** 2, [t64([0.0, -1.0, 2.0])])


# ----- order statistics: gradients --------------------------------------------------------
@FEW
@given(sd=shape_dim(max_side=4), data=st.data())
def test_order_statistics_gradcheck_on_distinct_values(sd, data):
    shape, dim = sd
    x = data.draw(distinct(shape))
    n = shape[dim]
    k = data.draw(st.integers(1, n))
    for fn in (lambda t: t.median(), lambda t: t.median(dim).values,
               lambda t: t.nanmedian(dim, True).values, lambda t: t.kthvalue(k, dim).values,
               lambda t: t.mode(dim).values, lambda t: t.cummax(dim).values,
               lambda t: t.cummin(dim).values,
               lambda t: t.quantile(Tensor(np.array([0.0, 0.3, 1.0])), dim),
               lambda t: t.nanquantile(0.6, None, interpolation="midpoint")):
        assert gradcheck(fn, [t64(x)])
        assert gradgradcheck(lambda t: fn(t) ** 2, [t64(x)])
    assert gradgradcheck(lambda t: t.logcumsumexp(dim) ** 2, [t64(x)])


def test_median_shares_its_gradient_among_ties_and_nans_as_pytorch():
    assert grads(lambda t: t.median(), [2.0, 1.0, 2.0, 3.0, 2.0])[0].tolist() == \
        [1 / 3, 0, 1 / 3, 0, 1 / 3]
    nan = [1.0, np.nan, 3.0, np.nan]
    assert grads(lambda t: t.median(), nan)[0].tolist() == [0, 0.5, 0, 0.5]
    assert grads(lambda t: t.nanmedian(), nan)[0].tolist() == [1, 0, 0, 0]
    assert grads(lambda t: t.nanmedian(), [np.nan] * 3)[0].tolist() == [1 / 3] * 3
    # with a dim the picked entry gets it all
    assert grads(lambda t: t.median(0).values, [2.0, 1.0, 2.0])[0].tolist() == [1, 0, 0]


def test_quantile_gradient_interpolates_between_the_two_neighbours():
    x = [4.0, 1.0, 3.0, 2.0]   # sorted 1 2 3 4: q = 0.5 is 2.5, between 2 and 3
    assert grads(lambda t: t.quantile(0.5), x)[0].tolist() == [0, 0, 0.5, 0.5]
    assert grads(lambda t: t.quantile(0.4), x)[0].tolist() == pytest.approx([0, 0, 0.2, 0.8])
    assert grads(lambda t: t.quantile(0.5, interpolation="higher"), x)[0].tolist() == \
        [0, 0, 1, 0]
    ties = [1.0, 2.0, 2.0, 2.0, 5.0]   # stable order: the first 2s get it
    assert grads(lambda t: t.quantile(0.3), ties)[0].tolist() == pytest.approx([0, 0.8, 0.2,
                                                                                0, 0])
    nan = [[1.0, np.nan, 3.0], [np.nan] * 3]   # a NaN's place gets quantile's gradient
    assert grads(lambda t: t.quantile(0.5, 1), nan)[0].tolist() == [[0, 1, 0], [0, 0, 1]]
    assert grads(lambda t: t.nanquantile(0.5, 1), nan)[0].tolist() == [[0.5, 0, 0.5],
                                                                       [1, 0, 0]]


def test_cummax_gradient_goes_to_where_each_maximum_was_taken():
    assert grads(lambda t: t.cummax(0).values, [1.0, 3.0, 3.0, 2.0, np.nan, 5.0])[0].tolist() \
        == [1, 1, 2, 0, 2, 0]


# ----- counts ----------------------------------------------------------------------------
@given(x=hnp.arrays(np.int64, shapes(max_dims=3, max_side=4), elements=st.integers(0, 3)),
       data=st.data())
def test_unique_rebuilds_the_tensor_and_counts_as_bincount(x, data):
    values, inverse, counts = tg.unique(Tensor(x), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.data, np.unique(x))
    np.testing.assert_array_equal(values.data[inverse.data], x)
    np.testing.assert_array_equal(counts.data, np.bincount(inverse.data.reshape(-1),
                                                           minlength=values.shape[0]))
    if x.size and x.ndim:
        dim = data.draw(st.integers(0, x.ndim - 1))
        values, inverse, counts = Tensor(x).unique(return_inverse=True, return_counts=True,
                                                   dim=dim)
        np.testing.assert_array_equal(values.data, np.unique(x, axis=dim))
        np.testing.assert_array_equal(np.take(values.data, inverse.data, axis=dim), x)
        assert counts.data.sum() == x.shape[dim]
    runs = [(k, len(list(g))) for k, g in itertools.groupby(x.reshape(-1).tolist())]
    values, inverse, counts = Tensor(x).unique_consecutive(True, True)
    assert values.tolist() == [k for k, _ in runs] and counts.tolist() == [n for _, n in runs]
    np.testing.assert_array_equal(values.data[inverse.data], x)


def test_unique_keeps_each_nan_and_returns_what_is_asked():
    x = Tensor(np.array([np.nan, 1.0, np.nan, 2.0, 1.0]))
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    assert values.data[:2].tolist() == [1, 2] and np.isnan(values.data[2:]).all()
    assert inverse.tolist() == [2, 0, 3, 1, 0] and counts.tolist() == [2, 1, 1, 1]
    assert isinstance(x.unique(), Tensor) and len(x.unique(return_counts=True)) == 2
    assert not Tensor([1.0, 1.0], requires_grad=True).unique().requires_grad
    assert tg.unique(tg.ones(3, 0), dim=1).shape == (3, 0)


@given(x=hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(-3, 3)),
       bins=st.integers(1, 12))
def test_histc_counts_as_numpy_histogram(x, bins):
    counts = Tensor(x).histc(bins, -2, 2.5)
    want, _ = np.histogram(x, bins, range=(-2, 2.5))
    assert counts.dtype == tg.float64
    # numpy's and PyTorch's bins may differ for an entry within rounding of an edge
    assert np.abs(counts.data - want).sum() <= 2 * np.isclose(
        (x[:, None] + 2) * bins / 4.5, np.arange(bins + 1)).sum()
    if x.size:
        assert counts.data.sum() == ((x >= -2) & (x <= 2.5)).sum()
        assert Tensor(x).histc(bins).data.sum() == x.size   # the data's range holds it all


def test_histc_by_hand():
    assert tg.histc(tg.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist() == [0, 2, 1, 0]
    assert tg.tensor([1.0, 1.0]).histc(4).tolist() == [0, 0, 2, 0]   # range [0, 2]
    assert tg.tensor([0.0, 3.0, 1.5, 4.0, float("nan")]).histc(3, 0, 3).tolist() == [1, 1, 1]
    assert tg.tensor([], dtype=tg.float32).histc(3).dtype == tg.float32


# ----- writes and reads through an index -------------------------------------------------
def scatter_reduce_loop(a, dim, index, src, reduce, include_self):
    """PyTorch's definition: each place's value from self (if included) and
    every src entry sent there."""
    axis = dim % a.ndim
    sent = {}
    for p in np.ndindex(index.shape):
        q = list(p)
        q[axis] = index[p]
        sent.setdefault(tuple(q), []).append(src[p])
    out = a.copy()
    for q, values in sent.items():
        values = ([a[q]] if include_self else []) + values
        out[q] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                  "amin": np.min}[reduce](values)
    return out


REDUCES = ["sum", "prod", "mean", "amax", "amin"]


@given(case=scatter_cases(larger_src=False), reduce=st.sampled_from(REDUCES),
       include_self=st.booleans())
def test_scatter_reduce_follows_the_loop(case, reduce, include_self):
    a, dim, index, src = case
    want = scatter_reduce_loop(a, dim, index, src, reduce, include_self)
    got = Tensor(a).scatter_reduce(dim, Tensor(index), Tensor(src), reduce,
                                   include_self=include_self)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    x = Tensor(a)
    assert x.scatter_reduce_(dim, index, Tensor(src), reduce, include_self=include_self) is x
    np.testing.assert_allclose(x.data, want, rtol=1e-12)


@FEW
@given(case=scatter_cases(larger_src=False), reduce=st.sampled_from(REDUCES),
       include_self=st.booleans(), data=st.data())
def test_scatter_reduce_gradcheck(case, reduce, include_self, data):
    a, dim, index, src = case
    # distinct values: no ties, whose gradient is a shared subgradient (checked below)
    values = data.draw(distinct(a.size + src.size))
    a, src = values[:a.size].reshape(a.shape), values[a.size:].reshape(src.shape)
    fn = lambda x, s: x.scatter_reduce(dim, index, s, reduce,  # noqa: E731
                                       include_self=include_self)
    assert gradcheck(fn, [t64(a), t64(src)])
    assert gradgradcheck(lambda x, s: fn(x, s) ** 2, [t64(a), t64(src)])


def test_scatter_reduce_gradients_at_ties_and_zeros_are_pytorchs():
    index = Tensor(np.array([0, 0, 0, 1, 1]))
    a, src = [1.0, 2.0, 3.0, 4.0], [5.0, 2.0, 5.0, 0.5, 2.0]

    def both(reduce, include_self=True, values=(a, src)):
        return [g.tolist() for g in grads(lambda x, s: x.scatter_reduce(
            0, index, s, reduce, include_self=include_self), *values)]
    # ties share g evenly; self's own value counts even when left out (PyTorch's count)
    assert both("amax") == [[0, 0.5, 1, 1], [0.5, 0, 0.5, 0, 0.5]]
    assert both("amax", False) == [[0, 0, 1, 1], [0.5, 0, 0.5, 0, 0.5]]
    assert both("mean") == [[0.25, 1 / 3, 1, 1], [0.25, 0.25, 0.25, 1 / 3, 1 / 3]]
    assert both("prod", False) == [[0, 0, 1, 1], [10, 25, 10, 2, 0.5]]
    # one zero: its gradient is the product of the others; two: 0 for both
    assert both("prod", values=([1.0, 2.0, 3.0], [0.0, 3.0, 0.0, 4.0, 5.0])) == \
        [[0, 20, 1], [0, 0, 0, 10, 8]]
    x, s = t64([1.0, 2.0]), t64([0.0, 3.0, 0.0])
    gx, gs = grad(x.scatter_reduce(0, Tensor(np.array([0, 1, 0])), s, "prod").sum(), [x, s],
                  create_graph=False)
    assert gx.tolist() == [0, 3] and gs.tolist() == [0, 2, 0]
    with pytest.raises(RuntimeError, match="double backward is unsupported"):
        grad(x.scatter_reduce(0, Tensor(np.array([0, 1, 0])), s, "prod").sum(), [x, s],
             create_graph=True)


def test_scatter_reduce_keeps_the_dtype_and_rounds_integer_means_down():
    ints = tg.tensor([0, 0]).scatter_reduce(0, tg.tensor([0, 0, 1]), tg.tensor([-5, 0, 7]),
                                            "mean", include_self=False)
    assert ints.dtype == tg.int64 and ints.tolist() == [-3, 7]
    assert tg.tensor([True, False]).scatter_reduce(
        0, tg.tensor([0, 1]), tg.tensor([False, True]), "amax").tolist() == [True, True]
    assert tg.tensor([1, 2]).scatter_reduce(0, tg.tensor([0]), tg.tensor([9]), "max").tolist() \
        == [9, 2]


@given(shape=shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_index_copy_masked_scatter_take_and_take_along_dim_values(shape, data):
    a = data.draw(arrays(shape))
    dim = data.draw(st.integers(0, len(shape) - 1))
    index = np.array(data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=1,
                                        max_size=4)))
    source = data.draw(arrays(shape[:dim] + (len(index),) + shape[dim + 1:]))
    want = a.copy()
    for k, i in enumerate(index):   # the last copy to a place stays
        want[(slice(None),) * dim + (i,)] = source[(slice(None),) * dim + (k,)]
    np.testing.assert_array_equal(tg.index_copy(Tensor(a), dim, Tensor(index),
                                                Tensor(source)).data, want)
    mask = data.draw(hnp.arrays(bool, shape))
    more = data.draw(arrays((a.size,)))
    want = a.copy()
    want[mask] = more[:mask.sum()]
    np.testing.assert_array_equal(Tensor(a).masked_scatter(Tensor(mask), Tensor(more)).data, want)
    flat = data.draw(hnp.arrays(np.int64, shapes(max_dims=2, max_side=3),
                                elements=st.integers(-a.size, a.size - 1)))
    np.testing.assert_array_equal(Tensor(a).take(Tensor(flat)).data, np.take(a, flat))
    along = data.draw(hnp.arrays(np.int64, shape[:dim] + (3,) + shape[dim + 1:],
                                 elements=st.integers(0, shape[dim] - 1)))
    np.testing.assert_array_equal(Tensor(a).take_along_dim(Tensor(along), dim).data,
                                  np.take_along_axis(a, along, dim))
    np.testing.assert_array_equal(tg.take_along_dim(Tensor(a), Tensor(flat % a.size)).data,
                                  np.take(a, (flat % a.size).reshape(-1)))


@FEW
@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_index_reads_and_writes_gradcheck(shape, data):
    a = data.draw(arrays(shape))
    index = np.array(data.draw(st.permutations(range(shape[0]))))
    source = data.draw(arrays(shape))
    mask = data.draw(hnp.arrays(bool, shape[1:]))
    flat = data.draw(hnp.arrays(np.int64, 4, elements=st.integers(-a.size, a.size - 1)))
    along = np.zeros((2,) + shape[1:], np.int64)
    for fn, inputs in ((lambda x, s: x.index_copy(0, Tensor(index), s), [a, source]),
                       (lambda x, s: x.masked_scatter(Tensor(mask), s), [a, source]),
                       (lambda x: x.take(Tensor(flat)), [a]),
                       (lambda x: x.take_along_dim(Tensor(along), 0), [a])):
        assert gradcheck(fn, [t64(v) for v in inputs])
        assert gradgradcheck(lambda *t: fn(*t) ** 2, [t64(v) for v in inputs])


def test_masked_scatter_broadcasts_and_its_unused_source_gets_zero():
    a, more = np.zeros((2, 3)), np.arange(1.0, 7.0).reshape(2, 3)
    out = Tensor(a).masked_scatter(Tensor(np.array([True, False, True])), Tensor(more))
    assert out.tolist() == [[1, 0, 2], [3, 0, 4]]
    g = np.arange(6.0).reshape(2, 3)
    ga, gs = grads(lambda x, s: x.masked_scatter(Tensor(np.array([True, False, True])), s),
                   a, more, g=g)
    assert ga.tolist() == [[0, 1, 0], [0, 4, 0]] and gs.tolist() == [[0, 2, 3], [5, 0, 0]]
    grid = Tensor(np.zeros(3)).masked_scatter(Tensor(np.ones((2, 3), bool)), Tensor(more))
    assert grid.shape == (2, 3)   # self broadcast with the mask


def test_in_place_writes_are_recorded_and_refused_on_leaves():
    a = t64(np.ones((2, 3)))
    index, src = Tensor(np.array([[0, 0, 1]])), t64([[2.0, 3.0, 4.0]])
    y = a * 1
    y.index_copy_(0, Tensor(np.array([1])), src).masked_scatter_(
        Tensor(np.array([True, False, False])), src * 10).scatter_reduce_(1, index, src, "prod")
    assert y.tolist() == [[120, 4, 1], [30, 3, 4]]
    y.sum().backward()
    assert a.grad.tolist() == [[0, 4, 1], [0, 0, 0]]
    # multiplied in, scattered, copied: 60 + 60 + 0, 40 + 10 + 1, 1 + 0 + 1
    assert src.grad.tolist() == [[120, 51, 2]]
    with pytest.raises(RuntimeError, match="leaf"):
        a.index_copy_(0, Tensor(np.array([1])), src)


# ----- products and rearrangements --------------------------------------------------------
@FEW
@given(s1=shapes(max_dims=3, max_side=3), s2=shapes(max_dims=3, max_side=3), data=st.data())
def test_kron_is_numpys_and_gradchecks(s1, s2, data):
    a, b = data.draw(arrays(s1)), data.draw(arrays(s2))
    np.testing.assert_allclose(tg.kron(Tensor(a), Tensor(b)).data, np.kron(a, b))
    assert gradcheck(lambda x, y: x.kron(y), [t64(a), t64(b)])
    assert gradgradcheck(lambda x, y: x.kron(y), [t64(a), t64(b)])


@FEW
@given(p=st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, np.inf]),
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)), data=st.data())
def test_cdist_is_the_norm_of_each_difference(p, sizes, data):
    n, r, m = sizes
    x1, x2 = data.draw(distinct((2, n, m))), data.draw(distinct((r, m))) + 1 / 8   # no gap 0
    gaps = np.abs(x1[:, :, None, :] - x2[None, None])
    want = np.linalg.norm(gaps, ord=p, axis=-1)
    np.testing.assert_allclose(tg.cdist(Tensor(x1), Tensor(x2), p).data, want, rtol=1e-12)
    if p == np.inf and ((gaps == gaps.max(-1, keepdims=True)).sum(-1) > 1).any():
        return   # a tie: each gets all of g (PyTorch's), checked below
    assert gradcheck(lambda a, b: tg.cdist(a, b, p), [t64(x1), t64(x2)])
    assert gradgradcheck(lambda a, b: tg.cdist(a, b, p), [t64(x1), t64(x2)])


def test_cdist_gradient_is_zero_at_zero_distance_and_whole_for_each_tie():
    x1, x2 = [[0.0, 0.0, 1.0], [1.0, 2.0, 3.0]], [[0.0, 0.0, 1.0], [2.0, 3.0, 3.0]]
    for p in (0.5, 1.0, 1.5, 2.0, 3.0):
        g1, g2 = grads(lambda a, b: tg.cdist(a, b, p)[:, :1], x1, x2)
        assert np.isfinite(g1).all() and g1[0].tolist() == [0, 0, 0]
    # gaps (1, 2, 2) and (-1, -1, 0): each coordinate at the largest |gap| gets all of g
    g1, _ = grads(lambda a, b: tg.cdist(a, b, np.inf)[1], x1, x2)
    assert g1.tolist() == [[0, 0, 0], [-1, 0, 1]]


@FEW
@given(b=st.integers(0, 3), n=st.integers(1, 3), m=st.integers(0, 3), k=st.integers(1, 3),
       beta=st.sampled_from([0, 1, -0.5]), alpha=st.sampled_from([1, 2.5]), data=st.data())
def test_baddbmm_and_addbmm_are_their_sums(b, n, m, k, beta, alpha, data):
    b1, b2 = data.draw(arrays((b, n, m))), data.draw(arrays((b, m, k)))
    i = data.draw(arrays((n, k)[data.draw(st.integers(0, 2)):]))
    np.testing.assert_allclose(tg.baddbmm(Tensor(i), Tensor(b1), Tensor(b2), beta=beta,
                                          alpha=alpha).data,
                               beta * i + alpha * (b1 @ b2) if beta else alpha * (b1 @ b2))
    np.testing.assert_allclose(Tensor(i).addbmm(Tensor(b1), Tensor(b2), beta=beta,
                                                alpha=alpha).data,
                               beta * i + alpha * (b1 @ b2).sum(0) if beta else
                               np.broadcast_to(alpha * (b1 @ b2).sum(0), (n, k)), atol=1e-12)
    for fn in (lambda x, y, z: x.baddbmm(y, z, beta=beta, alpha=alpha),
               lambda x, y, z: tg.addbmm(x, y, z, beta=beta, alpha=alpha)):
        assert gradcheck(fn, [t64(i), t64(b1), t64(b2)])
        assert gradgradcheck(fn, [t64(i), t64(b1), t64(b2)])


def test_beta_zero_does_not_read_input():
    nan = Tensor(np.full(4, np.nan), requires_grad=True)
    out = tg.baddbmm(nan, tg.ones(2, 3, 2, dtype=tg.float64), tg.ones(2, 2, 4, dtype=tg.float64),
                     beta=0)
    assert out.tolist() == np.full((2, 3, 4), 2.0).tolist()
    out.sum().backward()
    assert nan.grad.tolist() == [0, 0, 0, 0]


@FEW
@given(shape=shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_tensordot_is_numpys(shape, data):
    n = data.draw(st.integers(0, len(shape)))
    a = data.draw(arrays(shape))
    b = data.draw(arrays(shape[len(shape) - n:] + (2,)))
    np.testing.assert_allclose(tg.tensordot(Tensor(a), Tensor(b), n).data,
                               np.tensordot(a, b, n), atol=1e-12)
    order = data.draw(st.permutations(range(len(shape))))
    c = data.draw(arrays(tuple(shape[d] for d in order)))
    dims = (list(order), list(range(len(shape))))
    np.testing.assert_allclose(tg.tensordot(Tensor(a), Tensor(c), dims).data,
                               np.tensordot(a, c, dims), atol=1e-12)
    np.testing.assert_allclose(tg.tensordot(Tensor(a), Tensor(c), Tensor(np.array(dims))).data,
                               np.tensordot(a, c, dims), atol=1e-12)
    assert gradcheck(lambda x, y: tg.tensordot(x, y, dims), [t64(a), t64(c)])


@given(shape=shapes(min_dims=1, max_dims=3, max_side=5), data=st.data())
def test_unfold_is_a_sliding_window_whose_gradient_counts_the_windows(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    size, step = data.draw(st.integers(0, shape[dim])), data.draw(st.integers(1, 3))
    x = data.draw(arrays(shape))
    want = np.moveaxis(np.lib.stride_tricks.sliding_window_view(x, size, axis=dim), dim, dim)
    want = np.take(want, range(0, want.shape[dim], step), axis=dim)
    np.testing.assert_array_equal(Tensor(x).unfold(dim, size, step).data, want)
    covered = np.zeros(shape[dim])
    for start in range(0, shape[dim] - size + 1, step):
        covered[start:start + size] += 1
    g = grads(lambda t: t.unfold(dim, size, step), x)[0]
    np.testing.assert_array_equal(g, np.broadcast_to(
        covered.reshape([-1 if d == dim else 1 for d in range(len(shape))]), shape))


def test_unfold_of_a_0d_tensor():
    assert tg.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]
    assert tg.tensor(3.0).unfold(-1, 0, 5).shape == (0,)


@given(shape=shapes(min_dims=2, max_dims=4, max_side=3), k=st.integers(-5, 5), data=st.data())
def test_rot90_flips_and_diag_embed_are_numpys(shape, k, data):
    x = data.draw(arrays(shape))
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2,
                              unique=True))
    np.testing.assert_array_equal(Tensor(x).rot90(k, axes).data, np.rot90(x, k, axes))
    np.testing.assert_array_equal(tg.fliplr(Tensor(x)).data, np.fliplr(x))
    np.testing.assert_array_equal(Tensor(x).flipud().data, np.flipud(x))
    offset = data.draw(st.integers(-2, 2))
    out = Tensor(x).diag_embed(offset).data
    n = shape[-1] + abs(offset)
    for p in np.ndindex(shape[:-1]):
        np.testing.assert_array_equal(out[p], np.diag(x[p], offset))
        assert out[p].shape == (n, n)
    assert gradcheck(lambda t: t.rot90(k, axes) * t.diag_embed(offset, 0, -1).sum(), [t64(x)])


def test_block_diag_and_cartesian_prod_by_hand():
    out = tg.block_diag(tg.tensor(1.0), tg.tensor([2.0, 3.0]), tg.ones(2, 2))
    assert out.tolist() == [[1, 0, 0, 0, 0], [0, 2, 3, 0, 0], [0, 0, 0, 1, 1],
                            [0, 0, 0, 1, 1]]
    assert tg.block_diag(tg.tensor([1, 2]), tg.tensor([1.5])).dtype == tg.float32
    assert tg.block_diag().shape == (1, 0)
    a, b = [1, 2], [3, 4, 5]
    assert tg.cartesian_prod(tg.tensor(a), tg.tensor(b)).tolist() == \
        [list(p) for p in itertools.product(a, b)]
    assert tg.cartesian_prod(tg.tensor(a)).tolist() == a
    x, y = t64([1.0, 2.0]), t64([[3.0]])
    assert gradcheck(lambda u, v: tg.block_diag(u, v, u), [x, y])
    assert gradcheck(lambda u, v: tg.cartesian_prod(u, v, u), [x, t64([3.0, 4.0, 5.0])])


# ----- bad input ---------------------------------------------------------------------------
BAD = [   # (call on x, a 2x3 float64 tensor; exception type; message)
    (lambda x: x.median(0 * 2 + 2), IndexError, "out of range"),
    (lambda x: tg.ones(2, 0).median(1), IndexError, "non-zero size"),
    (lambda x: tg.tensor([True]).median(), NotImplementedError, "Bool"),
    (lambda x: x.kthvalue(4), RuntimeError, r"k \(4\) out of range for dimension -1 of size 3"),
    (lambda x: x.quantile(1.5), RuntimeError, r"in the range \[0, 1\]"),
    (lambda x: x.quantile(tg.tensor([0.5])), RuntimeError, "same dtype"),
    (lambda x: x.quantile([0.5]), TypeError, "number or a tensor"),
    (lambda x: x.float().long().quantile(0.5), RuntimeError, "float or double"),
    (lambda x: x.quantile(0.5, interpolation="cubic"), RuntimeError, "interpolation"),
    (lambda x: tg.ones(3, 0).unique(dim=0), RuntimeError, "0 sized dimensions"),
    (lambda x: x.long().histc(), NotImplementedError, "Long"),
    (lambda x: x.histc(3, 2, 1), RuntimeError, "max must be larger than min"),
    (lambda x: x.scatter_reduce(1, tg.tensor([[0]]), x, "add"), RuntimeError, "sum, prod"),
    (lambda x: x.scatter_reduce(1, tg.tensor([[5]]), x, "sum"), RuntimeError, "index 5"),
    (lambda x: x.index_copy(0, tg.tensor([1], dtype=tg.int32), x[:1]), RuntimeError, "int64"),
    (lambda x: x.index_copy(0, tg.tensor([1]), x), IndexError, r"indices \(1\)"),
    (lambda x: x.index_copy(0, tg.tensor([1]), tg.ones(1, 2, dtype=tg.float64)),
     RuntimeError, "slice shapes"),
    (lambda x: x.masked_scatter(tg.tensor([1, 0, 1]), x), RuntimeError, "boolean masks"),
    (lambda x: x.masked_scatter(tg.tensor([True, True, True]), x[0]), RuntimeError,
     r"source \(3\) < number of ones in mask \(6\)"),
    (lambda x: x.take(tg.tensor([6])), IndexError, "index 6 on a tensor of 6"),
    (lambda x: x.take_along_dim(tg.tensor([[3]]), 1), RuntimeError, "index 3 is out of"),
    (lambda x: x.logcumsumexp(2), IndexError, "out of range"),
    (lambda x: x.rot90(1, (0, -2)), RuntimeError, "different"),
    (lambda x: x.diag_embed(0, 1, -2), RuntimeError, "identical"),
    (lambda x: x.unfold(1, 4, 1), RuntimeError, "maximum size for tensor at dimension 1 is 3"),
    (lambda x: tg.cdist(x, x[:, :2]), RuntimeError, "same number of columns"),
    (lambda x: tg.cdist(x, x, -1.0), RuntimeError, "non-negative"),
    (lambda x: tg.baddbmm(tg.ones(5), tg.ones(2, 3, 4), tg.ones(2, 3, 5)), RuntimeError,
     r"\[2, 4\] but got: \[2, 3\]"),
    (lambda x: tg.block_diag(tg.ones(1, 2, 3)), RuntimeError, "2 or fewer dimensions"),
    (lambda x: tg.tensordot(x, x, ([1], [0])), RuntimeError, "size 3 in dim 1"),
]


@pytest.mark.parametrize("call, kind, message", BAD)
def test_bad_input_raises_before_anything_changes(call, kind, message):
    x = t64(np.arange(6.0).reshape(2, 3), requires_grad=False)
    before = x.data.copy()
    with pytest.raises(kind, match=message):
        call(x)
    np.testing.assert_array_equal(x.data, before)


def test_failed_in_place_writes_change_nothing():
    x = t64(np.arange(6.0).reshape(2, 3), requires_grad=False)
    for call in (lambda: x.scatter_reduce_(1, tg.tensor([[0, 4]]), x, "prod"),
                 lambda: x.index_copy_(0, tg.tensor([0, 2]), x),
                 lambda: x.masked_scatter_(tg.ones(3, 3, dtype=tg.bool), x)):
        with pytest.raises((RuntimeError, IndexError)):
            call()
        assert x.tolist() == [[0, 1, 2], [3, 4, 5]] and x._version == 0
