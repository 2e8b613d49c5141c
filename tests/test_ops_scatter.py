"""Writes through an index (scatter, scatter_add, index_add, index_fill and
their in-place forms), bincount and multinomial: values against loops written
out in numpy, float64 gradcheck and gradgradcheck, the gradients' closed
forms, in-place recording, bad input (raised before anything changes), and
multinomial's draws against their laws with a fixed seed."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import grad, gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, shapes


def t64(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----- the loops the ops must agree with ------------------------------------------------
def scatter_loop(a, dim, index, src, reduce=None):
    """PyTorch's definition, one index entry at a time in C order (so where an
    index repeats along dim, the last write wins)."""
    out = a.copy()
    for p in np.ndindex(index.shape):
        q = list(p)
        q[dim % a.ndim] = index[p]
        v = src[p] if isinstance(src, np.ndarray) else src
        if reduce is None:
            out[tuple(q)] = v
        elif reduce == "add":
            out[tuple(q)] += v
        else:
            out[tuple(q)] *= v
    return out


def scatter_grads_loop(g, dim, index, src_shape, overwrite):
    """The gradients PyTorch defines: g to self (zero where written when
    ``overwrite``), g at each entry's destination to that src entry."""
    g_self, g_src = g.copy(), np.zeros(src_shape)
    for p in np.ndindex(index.shape):
        q = list(p)
        q[dim % g.ndim] = index[p]
        g_src[p] = g[tuple(q)]
        if overwrite:
            g_self[tuple(q)] = 0
    return g_self, g_src


def index_add_loop(a, dim, index, source, alpha):
    out = a.copy()
    lead = (slice(None),) * (dim % a.ndim)
    for k, i in enumerate(index):
        out[lead + (i,)] += alpha * source[lead + (k,)]
    return out


def assert_both_forms(name, a, args, want, **kwargs):
    """Tensor.<name> and tinygrad_nndl.<name> both give ``want``."""
    for out in (getattr(Tensor(a), name)(*args, **kwargs),
                getattr(tg, name)(Tensor(a), *args, **kwargs)):
        np.testing.assert_allclose(out.data, want)


@st.composite
def scatter_cases(draw, larger_src=True, distinct=False):
    """(self, dim, index, src): index no larger than self except along dim
    (where it may be longer, with repeats), src at least index's size."""
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    if distinct:   # no two entries of one fiber land on one place: scatter has a gradient
        ishape = tuple(draw(st.integers(1, n)) for n in shape)
        keys = draw(arrays(ishape[:axis] + shape[axis:axis + 1] + ishape[axis + 1:],
                           elements=st.floats(0, 1)))
        index = np.argsort(keys, axis=axis, kind="stable").take(range(ishape[axis]), axis)
    else:
        ishape = tuple(draw(st.integers(1, 5 if d == axis else n)) for d, n in enumerate(shape))
        index = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[axis] - 1)))
    sshape = tuple(m + draw(st.integers(0, int(larger_src))) for m in index.shape)
    return draw(arrays(shape)), dim, index.astype(np.int64), draw(arrays(sshape))


# ----- scatter and scatter_add: values -------------------------------------------------
@given(scatter_cases(), st.sampled_from([None, "add", "multiply"]))
def test_scatter_values_follow_the_loop(case, reduce):
    a, dim, index, src = case
    assert_both_forms("scatter", a, (dim, Tensor(index), Tensor(src)),
                      scatter_loop(a, dim, index, src, reduce), reduce=reduce)
    assert_both_forms("scatter", a, (dim, index, 2.5), scatter_loop(a, dim, index, 2.5, reduce),
                      reduce=reduce)
    np.testing.assert_allclose(Tensor(a).scatter(dim, index, value=-1, reduce=reduce).data,
                               scatter_loop(a, dim, index, -1.0, reduce))
    assert_both_forms("scatter_add", a, (dim, Tensor(index), Tensor(src)),
                      scatter_loop(a, dim, index, src, "add"))


def test_scatter_by_hand():
    x = tg.zeros(3, 4)
    src = tg.arange(1.0, 9.0).reshape(2, 4)
    index = tg.tensor([[0, 1, 2, 0], [2, 0, 0, 1]])
    assert x.scatter(0, index, src).tolist() == [[1, 6, 7, 4], [0, 2, 0, 8], [5, 0, 3, 0]]
    assert x.scatter(1, tg.tensor([[3, 3], [0, 1]]), src).tolist() == \
        [[0, 0, 0, 2], [5, 6, 0, 0], [0, 0, 0, 0]]   # the last of a repeated index wins
    assert x.scatter_add(1, tg.tensor([[3, 3], [0, 1]]), src).tolist() == \
        [[0, 0, 0, 3], [5, 6, 0, 0], [0, 0, 0, 0]]
    assert tg.ones(4).scatter(0, tg.tensor([1, 1, 3]), 2.0, reduce="multiply").tolist() == \
        [1, 4, 1, 2]


def test_scatter_keeps_self_dtype_and_reads_0d_tensors_as_vectors():
    ints = tg.tensor([[1, 2, 3]])
    out = ints.scatter(1, tg.tensor([[0, 2]]), 2.7)
    assert out.dtype == tg.int64 and out.tolist() == [[2, 2, 2]]   # 2.7 cast as PyTorch casts
    assert tg.zeros(2, dtype=tg.bool).scatter(0, tg.tensor([1]), 5).tolist() == [False, True]
    assert tg.tensor(5.0).scatter(0, tg.tensor([0, 0]), tg.tensor([1.0, 2.0])).item() == 2.0
    assert tg.tensor(5.0).scatter_add(-1, tg.tensor(0), tg.tensor(3.0)).item() == 8.0
    assert tg.zeros(3).scatter(0, tg.tensor(2), 7.0).tolist() == [0, 0, 7]
    assert tg.zeros(3).scatter(0, tg.tensor([1]), tg.tensor(7.0)).tolist() == [0, 7, 0]
    ones = tg.ones(1, dtype=tg.float16)
    half = tg.zeros(2, dtype=tg.float16).scatter_add(0, tg.tensor([1]), ones)
    assert half.dtype == tg.float16 and half.tolist() == [0, 1]


def test_an_empty_index_writes_nothing_and_skips_the_shape_rules():
    x = tg.arange(6.0).reshape(3, 2)
    for out in (x.scatter(0, tg.zeros((0, 5), dtype=tg.int64), tg.ones(1, 1)),
                x.scatter_add(1, tg.zeros((3, 0), dtype=tg.int64), tg.ones(1, 1)),
                x.scatter(0, tg.zeros((0, 1), dtype=tg.int64), 9.0, reduce="add")):
        np.testing.assert_array_equal(out.data, x.data)


# ----- scatter and scatter_add: gradients ----------------------------------------------
@given(scatter_cases(distinct=True))
def test_scatter_gradcheck(case):
    a, dim, index, src = case
    assert gradcheck(lambda x, s: x.scatter(dim, index, s), [t64(a), t64(src)])
    assert gradgradcheck(lambda x, s: x.scatter(dim, index, s) ** 2, [t64(a), t64(src)])
    assert gradcheck(lambda x: x.scatter(dim, index, 0.5), [t64(a)])


@given(scatter_cases())
def test_scatter_add_gradcheck(case):
    a, dim, index, src = case
    assert gradcheck(lambda x, s: x.scatter_add(dim, index, s), [t64(a), t64(src)])
    assert gradgradcheck(lambda x, s: x.scatter_add(dim, index, s) ** 2, [t64(a), t64(src)])
    assert gradcheck(lambda x, s: x.scatter(dim, index, s, reduce="add"), [t64(a), t64(src)])


@given(scatter_cases(), st.data())
def test_gradients_are_pytorchs_closed_forms_also_where_indices_repeat(case, data):
    # a repeated index overwrites all but one src entry, yet each gets g at its
    # destination: PyTorch's rule (g gathered at index), not the finite difference
    a, dim, index, src = case
    g = data.draw(arrays(a.shape))
    for reduce, overwrite in ((None, True), ("add", False)):
        x, s = t64(a), t64(src)
        got = grad(x.scatter(dim, index, s, reduce=reduce), [x, s], grad_outputs=Tensor(g))
        for have, want in zip(got, scatter_grads_loop(g, dim, index, src.shape, overwrite)):
            np.testing.assert_array_equal(have.data, want)


def test_multiply_has_no_derivative_as_in_pytorch():
    x = t64([1.0, 2.0])
    y = x.scatter(0, tg.tensor([0]), t64([3.0]), reduce="multiply")
    np.testing.assert_array_equal(y.data, [3.0, 2.0])
    with pytest.raises(RuntimeError, match="reduce='multiply' is not implemented"):
        y.sum().backward()


# ----- index_add and index_fill ----------------------------------------------------------
@st.composite
def index_cases(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    index = np.array(draw(st.lists(st.integers(0, shape[axis] - 1), min_size=0, max_size=5)),
                     dtype=np.int64)
    source = draw(arrays(shape[:axis] + (len(index),) + shape[axis + 1:]))
    return draw(arrays(shape)), dim, index, source


@given(index_cases(), st.sampled_from([1, -0.5, 3]))
def test_index_add_values_and_gradients(case, alpha):
    a, dim, index, source = case
    want = index_add_loop(a, dim, index, source, alpha)
    assert_both_forms("index_add", a, (dim, Tensor(index), Tensor(source)), want, alpha=alpha)
    assert gradcheck(lambda x, s: x.index_add(dim, index, s, alpha=alpha), [t64(a), t64(source)])
    assert gradgradcheck(lambda x, s: x.index_add(dim, index, s, alpha=alpha) ** 2,
                         [t64(a), t64(source)])
    # the same as scatter_add with the index spread over source's shape
    axis = dim % a.ndim
    spread = np.broadcast_to(index.reshape([-1 if d == axis else 1 for d in range(a.ndim)]),
                             source.shape)
    np.testing.assert_allclose(Tensor(a).scatter_add(dim, spread, Tensor(source * alpha)).data,
                               want)


def test_index_add_of_integers_truncates_alpha_as_pytorch():
    x = tg.zeros(2, 2, dtype=tg.int64)
    out = x.index_add(0, tg.tensor([1, 1]), tg.tensor([[1, 2], [3, 4]]), alpha=2.5)
    assert out.dtype == tg.int64 and out.tolist() == [[0, 0], [8, 12]]
    assert tg.tensor(1.0).index_add(0, tg.tensor(0), tg.tensor(3.0)).item() == 4.0


@given(arrays(shapes(min_dims=1, max_dims=3, max_side=4)), st.data())
def test_index_fill_values_and_gradients(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    index = np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=4)), dtype=np.int64)
    filled = np.zeros(a.shape, dtype=bool)
    lead = (slice(None),) * (dim % a.ndim)
    for i in index:
        filled[lead + (i,)] = True
    want = np.where(filled, -7.0, a)
    assert_both_forms("index_fill", a, (dim, Tensor(index), -7), want)
    assert_both_forms("index_fill", a, (dim, index, -7.0), want)
    x, v = t64(a), t64(2.0)
    gx, gv = grad(x.index_fill(dim, index, v).sum(), [x, v])
    # each filled place counts once, however often the index names it
    np.testing.assert_array_equal(gx.data, ~filled)
    assert gv.item() == filled.sum()
    assert gradgradcheck(lambda t, w: t.index_fill(dim, index, w) ** 2, [x, v])


# ----- in place --------------------------------------------------------------------------
# each in-place op (the id's first word) with its arguments after self, given src
INPLACE = {
    "scatter_": lambda s: ((0, tg.tensor([[2, 0]]), s), {}),
    "scatter_ value": lambda s: ((1, tg.tensor([[1], [0], [1]]), 4.0), {"reduce": "add"}),
    "scatter_add_": lambda s: ((0, tg.tensor([[2, 2]]), s), {}),
    "index_add_": lambda s: ((0, tg.tensor([1]), s), {"alpha": 2}),
    "index_fill_": lambda s: ((1, tg.tensor([1]), -1.0), {}),
}


def call(t, name, s, in_place=True):
    """t.<name>(...) with INPLACE's arguments; ``in_place`` False: its out-of-place twin."""
    op = name.split()[0]
    args, kwargs = INPLACE[name](s)
    return getattr(t, op if in_place else op[:-1])(*args, **kwargs)


@pytest.mark.parametrize("name", INPLACE)
def test_in_place_forms_write_self_bump_its_version_and_record_the_graph(name):
    a, b = np.arange(6.0).reshape(3, 2), np.array([[10.0, 20.0]])
    w, s = t64(a), t64(b)
    h = w * 1
    before = h._version
    assert call(h, name, s) is h
    assert h._version == before + 1
    w2, s2 = t64(a), t64(b)
    want = call(w2 * 1, name, s2, in_place=False)
    np.testing.assert_array_equal(h.data, want.data)
    (h * h).sum().backward()
    (want * want).sum().backward()
    np.testing.assert_array_equal(w.grad.data, w2.grad.data)
    assert (s.grad is None) == (s2.grad is None)
    if s.grad is not None:
        np.testing.assert_array_equal(s.grad.data, s2.grad.data)


@pytest.mark.parametrize("name", INPLACE)
def test_in_place_forms_refuse_a_leaf_that_requires_grad_but_not_under_no_grad(name):
    w = t64(np.arange(6.0).reshape(3, 2))
    with pytest.raises(RuntimeError, match=f"^{name.split()[0]}: a leaf"):
        call(w, name, t64([[10.0, 20.0]], requires_grad=False))
    with tg.no_grad():
        call(w, name, Tensor([[10.0, 20.0]], dtype=np.float64))
    assert w._version == 1 and w.grad_fn is None


BAD = [
    # (call, exception type, message): every one names the op and what is wrong
    (lambda x: x.scatter(0, tg.tensor([[3]]), tg.ones(1, 1)), RuntimeError, r"scatter.*index 3"),
    (lambda x: x.scatter_(0, tg.tensor([[-1]]), 1.0), RuntimeError, r"scatter_.*index -1"),
    (lambda x: x.scatter_add_(1, tg.tensor([[0, 4]]), tg.ones(1, 2)), RuntimeError,
     r"scatter_add_.*index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter(0, tg.tensor([[0.0]]), 1.0), RuntimeError, r"scatter.*int32/int64"),
    (lambda x: x.scatter(0, tg.tensor([[0]], dtype=tg.int16), 1.0), RuntimeError, "int16"),
    (lambda x: x.scatter_(0, tg.tensor([[0]]), tg.ones(1, 1, dtype=tg.float64)), RuntimeError,
     "float32 and float64"),
    (lambda x: x.scatter(0, tg.tensor([0]), tg.ones(1)), RuntimeError, r"\(1,\) and \(3, 4\)"),
    (lambda x: x.scatter(0, tg.tensor([[0]]), tg.ones(1)), IndexError, "dimensions as src"),
    (lambda x: x.scatter(0, tg.tensor([[0]]), tg.ones(1, 1, 1)), RuntimeError,
     "dimensions as src"),
    (lambda x: x.scatter(0, tg.zeros(1, 5, dtype=tg.int64), 1.0), RuntimeError,
     r"index \(1, 5\) to be no larger than self \(3, 4\) apart from dimension 0"),
    (lambda x: x.scatter(1, tg.zeros(2, 3, dtype=tg.int64), tg.ones(2, 2)), RuntimeError,
     r"no larger than src \(2, 2\)"),
    (lambda x: x.scatter(0, tg.tensor([[0]]), 1.0, reduce="sum"), RuntimeError,
     "either add or multiply"),
    (lambda x: x.scatter(2, tg.tensor([[0]]), 1.0), IndexError, r"scatter.*\[-2, 1\]"),
    (lambda x: x.scatter(0, tg.tensor([[0]]), [1.0]), TypeError, "scatter: src"),
    (lambda x: x.scatter_add(0, tg.tensor([[0]]), 1.0), TypeError, "scatter_add: src"),
    (lambda x: x.index_add_(0, tg.tensor([3]), tg.ones(1, 4)), RuntimeError,
     r"index_add_.*index 3"),
    (lambda x: x.index_add(0, tg.tensor([-1]), tg.ones(1, 4)), RuntimeError, "index -1"),
    (lambda x: x.index_add(0, tg.tensor([[0]]), tg.ones(1, 4)), IndexError, "vector"),
    (lambda x: x.index_add(0, tg.tensor([0, 1]), tg.ones(1, 4)), RuntimeError,
     r"number of indices \(2\)"),
    (lambda x: x.index_add(0, tg.tensor([0]), tg.ones(1, 5)), RuntimeError,
     r"\(3, 4\) and source.shape = \(1, 5\)"),
    (lambda x: x.index_add(0, tg.tensor([0]), tg.ones(1, 4, dtype=tg.int64)), RuntimeError,
     "float32 and int64"),
    (lambda x: x.index_fill_(1, tg.tensor([4]), 0.0), IndexError, r"index_fill_.*index 4"),
    (lambda x: x.index_fill(1, tg.tensor([-5]), 0.0), IndexError, "index -5"),
    (lambda x: x.index_fill(1, tg.tensor([0], dtype=tg.int32), 0.0), IndexError, "int64.*int32"),
    (lambda x: x.index_fill(1, tg.tensor([[0]]), 0.0), RuntimeError, "vector or a scalar"),
    (lambda x: x.index_fill(1, tg.tensor([0]), tg.ones(2)), RuntimeError, "0-dimensional"),
]


@pytest.mark.parametrize("call, kind, message", BAD)
def test_bad_input_raises_before_anything_changes(call, kind, message):
    x = tg.arange(12.0).reshape(3, 4)
    with pytest.raises(kind, match=message):
        call(x)
    np.testing.assert_array_equal(x.data, np.arange(12.0).reshape(3, 4))
    assert x._version == 0


# ----- bincount ------------------------------------------------------------------------
@given(st.lists(st.integers(0, 6), max_size=12), st.integers(0, 9), st.data())
def test_bincount_counts_and_sums_weights(values, minlength, data):
    x = tg.tensor(np.array(values, dtype=np.int64))
    counts = [0] * max(minlength, max(values, default=-1) + 1)
    for v in values:
        counts[v] += 1
    out = tg.bincount(x, minlength=minlength)
    assert out.dtype == tg.int64 and out.tolist() == counts
    w = data.draw(arrays((len(values),), dtype=np.float32))
    sums = np.zeros(len(counts), np.float64)
    for v, wv in zip(values, w):
        sums[v] += wv
    got = x.bincount(Tensor(w), minlength)
    assert got.dtype == (tg.float32 if values else tg.int64)   # PyTorch: empty counts int64
    np.testing.assert_allclose(got.data, sums.astype(got.dtype), rtol=1e-6, atol=1e-5)


def test_bincount_dtypes_as_pytorch():
    x = tg.tensor([0, 2, 2], dtype=tg.int32)
    assert x.bincount().tolist() == [1, 0, 2] and x.bincount().dtype == tg.int64
    for weights in (tg.tensor([1, 2, 3]), tg.tensor([True, False, True]),
                    tg.tensor([1.0, 2.0, 3.0], dtype=tg.float16), tg.tensor([1.0, 2, 3]).double()):
        out = x.bincount(weights)
        assert out.dtype == tg.float64 and out.tolist() == np.bincount(
            [0, 2, 2], weights.data.astype(np.float64)).tolist()
    assert not x.bincount(tg.tensor([1.0, 2, 3], requires_grad=True)).requires_grad


@pytest.mark.parametrize("call, kind, message", [
    (lambda: tg.bincount(tg.tensor([0.0, 1.0])), NotImplementedError, "bincount.*float32"),
    (lambda: tg.bincount(tg.tensor([True])), NotImplementedError, "bool"),
    (lambda: tg.bincount(tg.tensor([[0, 1]])), RuntimeError, r"1-d non-negative.*\(1, 2\)"),
    (lambda: tg.bincount(tg.tensor(3)), RuntimeError, "1-d non-negative"),
    (lambda: tg.bincount(tg.tensor([0, -1])), RuntimeError, "non-negative.*-1"),
    (lambda: tg.bincount(tg.tensor([0]), minlength=-1), RuntimeError, "minlength"),
    (lambda: tg.bincount(tg.tensor([0]), minlength=2.0), TypeError, "minlength"),
    (lambda: tg.bincount(tg.tensor([0]), tg.ones(2)), RuntimeError, "same length"),
])
def test_bincount_refuses(call, kind, message):
    with pytest.raises(kind, match=message):
        call()


# ----- multinomial ---------------------------------------------------------------------
def chi_square(counts, probs):
    expected = counts.sum() * probs
    return float(((counts - expected) ** 2 / expected).sum())


# 3 degrees of freedom: P(chi-square > 30) is 1.4e-6, loose for the fixed seeds;
# yet a second draw without replacement taken from the unchanged weights scores
# about 700 at 20,000 draws, and moving 1.5 points of probability between two
# categories 28 to 58
BOUND = 30.0


def test_multinomial_with_replacement_follows_the_weights_row_by_row():
    tg.manual_seed(1)
    w = np.array([[1.0, 2.0, 3.0, 4.0, 0.0], [0.0, 4.0, 1.0, 3.0, 2.0]])
    draws = tg.multinomial(tg.tensor(w), 20_000, replacement=True)
    assert draws.shape == (2, 20_000) and draws.dtype == tg.int64
    for row, d in zip(w, draws.numpy()):
        counts = np.bincount(d, minlength=5)
        assert counts[row == 0].sum() == 0   # a zero weight is never drawn
        assert chi_square(counts[row > 0], row[row > 0] / row.sum()) < BOUND


def test_multinomial_without_replacement_draws_in_turn_without_the_drawn():
    tg.manual_seed(2)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    p = w / w.sum()
    draws = tg.tensor(w).expand(20_000, 4).multinomial(2).numpy()
    assert (draws[:, 0] != draws[:, 1]).all()
    # first draw: p; second: sum over i != j of p_i p_j / (1 - p_i)
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j)
                       for j in range(4)])
    assert chi_square(np.bincount(draws[:, 0], minlength=4), p) < BOUND
    assert chi_square(np.bincount(draws[:, 1], minlength=4), second) < BOUND


@given(arrays((3, 6), elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])), st.integers(1, 6),
       st.integers(0, 2**16))
def test_multinomial_without_replacement_gives_distinct_indices(w, k, seed):
    w[:, 0] = 1.0   # every row needs a positive weight
    tg.manual_seed(seed)
    draws = tg.tensor(w).multinomial(k).numpy()
    for row, d in zip(w, draws):
        assert len(set(d)) == k
        positive = int((row > 0).sum())
        # the positive weights come first; zero weights only once they are used up
        assert (row[d[:positive]] > 0).all() and (row[d[positive:]] == 0).all()


def test_multinomial_is_reproducible_under_manual_seed_and_a_generator():
    w = tg.tensor([[0.2, 0.0, 0.8], [1.0, 1.0, 1.0]])
    runs = []
    for replacement in (True, False):
        tg.manual_seed(7)
        first = w.multinomial(3, replacement).tolist()
        tg.manual_seed(7)
        assert w.multinomial(3, replacement).tolist() == first
        runs.append(first)
    state = tg.get_rng_state()
    a = w.multinomial(50, True, generator=tg.Generator(3)).tolist()
    assert w.multinomial(50, True, generator=tg.Generator(3)).tolist() == a
    assert (tg.get_rng_state().data == state.data).all()   # the library's generator untouched
    assert tg.multinomial(tg.tensor([0.0, 5.0]), 3, True).tolist() == [1, 1, 1]
    assert tg.multinomial(tg.ones(0, 3), 2).shape == (0, 2)


@pytest.mark.parametrize("call, kind, message", [
    (lambda: tg.multinomial(tg.tensor([1, 2]), 1), RuntimeError, "floating-point.*int64"),
    (lambda: tg.multinomial(tg.ones(2, 2, 2), 1), RuntimeError, r"1 or 2 dim.*\(2, 2, 2\)"),
    (lambda: tg.multinomial(tg.ones(()), 1), RuntimeError, "1 or 2 dim"),
    (lambda: tg.multinomial(tg.ones(3), 0), RuntimeError, "n_sample <= 0"),
    (lambda: tg.multinomial(tg.ones(3), 1.0), TypeError, "num_samples"),
    (lambda: tg.multinomial(tg.ones(3), 4), RuntimeError, r"without replacement \(4 > 3\)"),
    (lambda: tg.multinomial(tg.tensor([1.0, -2.0]), 1, True), RuntimeError, "element < 0"),
    (lambda: tg.multinomial(tg.tensor([1.0, np.nan]), 1), RuntimeError, "nan"),
    (lambda: tg.multinomial(tg.tensor([1.0, np.inf]), 1), RuntimeError, "inf"),
    (lambda: tg.multinomial(tg.tensor([[1.0, 1.0], [0.0, 0.0]]), 1), RuntimeError,
     r"sum of probabilities <= 0\) in row 1"),
    (lambda: tg.multinomial(tg.ones(2, 0), 1, True), RuntimeError, "no categories"),
    (lambda: tg.multinomial(tg.ones(2), 1, generator=3), TypeError, "generator"),
])
def test_multinomial_refuses(call, kind, message):
    with pytest.raises(kind, match=message):
        call()


def test_an_empty_index_of_any_rank_writes_nothing():
    a = tg.ones(2, 3, requires_grad=True)
    out = a.scatter(1, tg.zeros(0, dtype=tg.int64), tg.full((2, 3), 5.0))
    out.sum().backward()
    assert out.data.tolist() == [[1.0] * 3] * 2 and a.grad.data.tolist() == [[1.0] * 3] * 2


def test_multinomial_takes_weights_near_float64s_largest_without_overflow():
    tg.manual_seed(0)
    weights = tg.tensor([1e308, 1e308, 0.0], dtype=tg.float64)
    with np.errstate(all="raise"):
        drawn = tg.multinomial(weights, 200, replacement=True).data
        once = tg.multinomial(weights, 3).data
    assert set(drawn.tolist()) == {0, 1} and sorted(once[:2].tolist()) == [0, 1] and once[2] == 2


def test_index_copy_refuses_a_0d_source_into_rows():
    with pytest.raises(RuntimeError, match="same slice shapes"):
        tg.zeros(3, 4).index_copy(0, tg.tensor([1]), tg.tensor(5.0))
    assert tg.zeros(3).index_copy(0, tg.tensor([1]), tg.tensor(5.0)).data.tolist() == [0, 5, 0]
