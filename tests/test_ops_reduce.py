"""Reductions: sum, mean, amax/amin, max/min (with and without dim), argmax,
logsumexp, softmax, log_softmax; values against numpy over hypothesis shapes
and dims (int, negative, tuple, None; keepdim), float64 gradcheck and
gradgradcheck, PyTorch's tie rules, bad dims, and logits of +-1e4."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, assert_grad_matches, shapes


@st.composite
def shape_and_dim(draw, min_dims=0, tuples=True, none=True):
    """A small shape and a reduction dim for it: None, an int (maybe negative)
    or a tuple of distinct ints (maybe negative)."""
    shape = draw(shapes(min_dims=min_dims, max_dims=3, max_side=3))
    n = len(shape)
    options = [st.none()] if none or not n else []
    if n:
        options.append(st.integers(-n, n - 1))
        if tuples:
            options.append(hnp.valid_tuple_axes(n, min_size=1))
    return shape, draw(st.one_of(options))


def distinct(draw, shape):
    """Values without ties, at least 0.5 apart, so max/min are unique and
    finite differences never cross a kink."""
    n = int(np.prod(shape))
    perm = draw(st.permutations(range(n)))
    return np.asarray(perm, dtype=np.float64).reshape(shape) * 0.5 - n / 4


# ----- sum / mean ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean"])
@given(sd=shape_and_dim(), keepdim=st.booleans(), data=st.data())
def test_sum_mean(name, sd, keepdim, data):
    shape, dim = sd
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    ref = getattr(np, name)(x.data, axis=dim, keepdims=keepdim)
    for y in (getattr(x, name)(dim, keepdim), getattr(x, name)(dim=dim, keepdim=keepdim),
              getattr(tg, name)(x, dim, keepdim)):
        assert y.shape == ref.shape
        np.testing.assert_allclose(y.data, ref, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x: getattr(x, name)(dim, keepdim), (x,))
    assert gradgradcheck(lambda x: getattr(x, name)(dim, keepdim) ** 2, (x,))


def test_sum_default_reduces_all_and_keeps_dtype():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    s = x.sum()
    assert s.shape == () and s.item() == 6 and s.dtype == np.float32
    m = x.mean(dim=1, keepdim=True)
    assert m.shape == (2, 1) and m.dtype == np.float32
    m.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, np.full((2, 3), 1 / 3), rtol=1e-6)


def test_empty_dim_tuple_reduces_everything_like_pytorch():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=()).item() == 15 and x.mean(dim=()).item() == 2.5
    assert x.amax(dim=()).item() == 5 and x.sum(dim=[]).item() == 15


def test_bias_gradient_sums_over_the_batch_bp3():
    """BP3 summed over a mini-batch: a bias broadcast over rows gets sum_x delta_x."""
    b = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    z = Tensor(np.arange(12.0).reshape(4, 3))
    delta = np.random.default_rng(0).standard_normal((4, 3))
    assert_grad_matches(lambda b: ((z + b) * delta).sum(), lambda b: delta.sum(axis=0), b)


# ----- amax / amin, max / min ------------------------------------------------------
@pytest.mark.parametrize("name", ["amax", "amin"])
@given(sd=shape_and_dim(), keepdim=st.booleans(), data=st.data())
def test_amax_amin(name, sd, keepdim, data):
    shape, dim = sd
    x = Tensor(distinct(data.draw, shape), requires_grad=True)
    ref = getattr(np, name)(x.data, axis=dim, keepdims=keepdim)
    y = getattr(x, name)(dim, keepdim)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y.data, ref)
    assert gradcheck(lambda x: getattr(x, name)(dim, keepdim), (x,))
    assert gradgradcheck(lambda x: getattr(x, name)(dim, keepdim) ** 2, (x,))


@pytest.mark.parametrize("name, arg", [("max", np.argmax), ("min", np.argmin)])
@given(sd=shape_and_dim(min_dims=1, tuples=False, none=False), keepdim=st.booleans(),
       data=st.data())
def test_max_min_with_dim(name, arg, sd, keepdim, data):
    shape, dim = sd
    x = Tensor(distinct(data.draw, shape), requires_grad=True)
    values, indices = getattr(x, name)(dim, keepdim)
    out = getattr(x, name)(dim=dim, keepdim=keepdim)
    assert out.values is not None and out.indices is not None   # a named tuple
    np.testing.assert_array_equal(values.data, getattr(np, name)(x.data, axis=dim,
                                                                 keepdims=keepdim))
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.data, arg(x.data, axis=dim, keepdims=keepdim))
    assert gradcheck(lambda x: getattr(x, name)(dim, keepdim).values, (x,))
    assert gradgradcheck(lambda x: getattr(x, name)(dim, keepdim).values ** 2, (x,))


@pytest.mark.parametrize("name", ["max", "min"])
@given(shape=shapes(max_dims=3, max_side=3), data=st.data())
def test_max_min_without_dim_is_a_scalar(name, shape, data):
    x = Tensor(distinct(data.draw, shape), requires_grad=True)
    y = getattr(x, name)()
    assert isinstance(y, Tensor) and y.shape == ()
    assert y.item() == getattr(np, name)(x.data)
    assert gradcheck(lambda x: getattr(x, name)(), (x,))


def test_max_dim_ties_go_to_the_first_index_like_pytorch():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]], requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(indices.data, [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])
    y = Tensor([[3.0, 1.0, 1.0]], requires_grad=True)
    values, indices = y.min(dim=-1)
    np.testing.assert_array_equal(indices.data, [1])
    values.sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[0, 1, 0]])


def test_amax_and_full_max_share_ties_evenly_like_pytorch():
    for reduce in (lambda x: x.max(), lambda x: x.amax(), lambda x: x.amax(dim=(0, 1))):
        x = Tensor([[1.0, 2.0], [2.0, 0.0]], requires_grad=True)
        reduce(x).backward()
        np.testing.assert_array_equal(x.grad.data, [[0, 0.5], [0.5, 0]])
    x = Tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 5.0]], requires_grad=True)
    x.amin(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])


def test_max_of_a_0d_tensor():
    x = Tensor(2.0, requires_grad=True)
    values, indices = x.max(dim=0)
    assert values.item() == 2.0 and indices.item() == 0 and x.max().item() == 2.0
    for dim in (0, -1):
        assert x.argmax(dim).item() == 0 and x.argmin(dim, keepdim=True).shape == ()


# ----- argmax -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(sd=shape_and_dim(tuples=False), keepdim=st.booleans(), data=st.data())
def test_argmax_argmin(name, sd, keepdim, data):
    shape, dim = sd
    ties = st.integers(-2, 2).map(float)   # first occurrence wins, as in numpy and PyTorch
    x = Tensor(data.draw(arrays(shape, elements=ties)), requires_grad=True)
    got = getattr(x, name)(dim, keepdim)
    want = getattr(np, name)(x.data, axis=dim, keepdims=keepdim)
    assert got.dtype == np.int64 and not got.requires_grad and got.shape == want.shape
    if dim is None and not keepdim:
        assert getattr(x, name)().item() == want
    np.testing.assert_array_equal(got.data, want)
    if name == "argmax" and dim is not None:
        np.testing.assert_array_equal(tg.argmax(x, dim, keepdim).data, want)


# ----- logsumexp, softmax, log_softmax -------------------------------------------------
def np_logsumexp(x, axis, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@given(sd=shape_and_dim(min_dims=1, none=False), keepdim=st.booleans(), data=st.data())
def test_logsumexp(sd, keepdim, data):
    shape, dim = sd
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    y = x.logsumexp(dim, keepdim)
    np.testing.assert_allclose(y.data, np_logsumexp(x.data, dim, keepdim), rtol=1e-12)
    np.testing.assert_allclose(tg.logsumexp(x, dim, keepdim).data, y.data)
    assert gradcheck(lambda x: x.logsumexp(dim, keepdim), (x,))
    assert gradgradcheck(lambda x: x.logsumexp(dim, keepdim), (x,))
    # its gradient is the softmax over the reduced dims
    assert_grad_matches(lambda x: x.logsumexp(dim), lambda v: np.exp(
        v - np_logsumexp(v, dim, keepdims=True)), x)


def np_log_softmax(x, axis):
    return x - np_logsumexp(x, axis, keepdims=True)


@given(sd=shape_and_dim(min_dims=1, tuples=False, none=False), data=st.data())
def test_softmax_log_softmax(sd, data):
    shape, dim = sd
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    want = np_log_softmax(x.data, dim)
    for y in (x.log_softmax(dim), x.log_softmax(dim=dim), tg.log_softmax(x, dim)):
        np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)
    for y in (x.softmax(dim), tg.softmax(x, dim)):
        np.testing.assert_allclose(y.data, np.exp(want), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(y.data.sum(axis=dim), 1.0, rtol=1e-12)
    for op in (lambda x: x.softmax(dim), lambda x: x.log_softmax(dim)):
        assert gradcheck(op, (x,))
        assert gradgradcheck(op, (x,))


def test_log_softmax_nll_gradient_is_a_minus_y():
    """With C = -ln a_y, dC/dz = a - y (the softmax output error, book ch. 3 eq. 81-82)."""
    z = Tensor(np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), requires_grad=True)
    y = np.array([1, 2])
    onehot = np.eye(3)[y]

    def closed(zv):
        a = np.exp(zv) / np.exp(zv).sum(axis=1, keepdims=True)
        return a - onehot

    assert_grad_matches(lambda z: -(z.log_softmax(1) * Tensor(onehot)).sum(), closed, z)
    assert_grad_matches(lambda z: -z.log_softmax(1)[np.arange(2), y].sum(), closed, z)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_0d_tensor(name):
    x = Tensor(3.0, requires_grad=True)
    y = getattr(x, name)(0)
    assert y.shape == () and y.item() == (1.0 if name == "softmax" else 0.0)
    y.backward()
    assert x.grad.item() == 0.0


# ----- var / std (torch.var's Bessel correction) --------------------------------------
@given(sd=shape_and_dim(), keepdim=st.booleans(), data=st.data())
def test_var_std(sd, keepdim, data):
    shape, dim = sd
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    n = x.data.size if dim is None else int(np.prod([shape[d] for d in np.atleast_1d(dim)]))
    for correction in (0, 1):
        if n - correction < 1:
            continue
        want = np.var(x.data, axis=dim, keepdims=keepdim, ddof=correction)
        np.testing.assert_allclose(x.var(dim, keepdim=keepdim, correction=correction).data, want,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(x.std(dim, keepdim=keepdim, correction=correction).data,
                                   np.sqrt(want), rtol=1e-9, atol=1e-12)
    assert gradcheck(lambda x: x.var(dim, keepdim=keepdim), (x,))


def test_std_of_a_constant_sample_has_zero_gradient_as_pytorch():
    """std's derivative (x - mean) / ((n - 1) std) is 0/0 at a constant
    sample: PyTorch passes no gradient there (a NaN would spread into every
    weight behind it); other rows keep theirs."""
    x = Tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.std(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0, 0], [-0.5, 0, 0.5]])
    x = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    g, = tg.autograd.grad(x.std(unbiased=False), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [0, 0, 0])


@pytest.mark.parametrize("values, want", [([1.0, 2.0], np.inf), ([1.0, 1.0], np.nan)])
def test_var_with_no_degrees_of_freedom_divides_by_zero_as_pytorch(values, want):
    """PyTorch divides by max(0, n - correction): inf, or 0/0 for a constant sample."""
    for correction in (2, 3):
        np.testing.assert_array_equal(Tensor(values).var(correction=correction).item(), want)


def test_max_and_min_without_dim_send_a_nan_results_gradient_to_the_nans_as_pytorch():
    nan = float("nan")
    x = Tensor([1.0, nan, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0])
    x = Tensor([nan, nan, 2.0], requires_grad=True)
    x.min().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.5, 0])
    x = Tensor([1.0, nan, 2.0], requires_grad=True)
    x.amax().backward()   # amax's own rule (PyTorch's too): 0/0 everywhere
    assert np.isnan(x.grad.data).all()


# ----- bad dims --------------------------------------------------------------------
@pytest.mark.parametrize("op", [
    lambda x: x.sum(2), lambda x: x.mean(-3), lambda x: x.amax((0, 5)),
    lambda x: x.max(2), lambda x: x.logsumexp(4), lambda x: x.softmax(2),
    lambda x: x.log_softmax(-3), lambda x: x.argmax(2),
])
def test_dim_out_of_range_is_an_index_error(op):
    with pytest.raises(IndexError, match=r"range"):
        op(Tensor(np.ones((2, 3))))


def test_repeated_dim_is_a_value_error():
    with pytest.raises(ValueError, match="more than once"):
        Tensor(np.ones((2, 3))).sum((1, -1))


# ----- numerics: logits of +-1e4 --------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_logsumexp_finite_for_huge_logits(dtype):
    z = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype), requires_grad=True)
    lsm, lse, sm = z.log_softmax(1), z.logsumexp(1), z.softmax(1)
    for y in (lsm, lse, sm):
        assert y.dtype == dtype and np.all(np.isfinite(y.data))
    np.testing.assert_allclose(lsm.data[0], [0.0, -2e4, -1e4])
    np.testing.assert_allclose(lse.data, [1e4, -1e4 + np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(sm.data[0], [1, 0, 0])
    (lsm[0, 1] + lse.sum() + sm[1, 0]).backward()
    assert np.all(np.isfinite(z.grad.data))


def test_descending_sorts_are_stable_put_nan_first_and_order_unsigned_integers():
    """PyTorch takes NaN as the largest value; negating the keys (the old way)
    put NaN last and wrapped unsigned integers around."""
    nan = float("nan")
    assert Tensor([nan, 1.0, 0.0]).sort(descending=True).indices.data.tolist() == [0, 1, 2]
    assert np.isnan(Tensor([nan, 1.0, 0.0]).topk(1).values.item())
    assert Tensor([1.0, nan, nan, 0.0]).sort().indices.data.tolist() == [3, 0, 1, 2]
    assert Tensor(np.array([0, 5, 3], np.uint8)).sort(descending=True).values.data.tolist() == \
        [5, 3, 0]
    assert Tensor([1, 3, 3, 2]).sort(descending=True).indices.data.tolist() == [1, 2, 3, 0]
    rows = Tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]]).sort(1, descending=True).indices
    assert rows.data.tolist() == [[0, 2, 1], [1, 2, 0]]
    assert Tensor([True, False, True]).argsort(descending=True).data.tolist() == [0, 2, 1]


# ----- products ------------------------------------------------------------------------
def test_prod_gives_each_entry_the_product_of_the_others_exactly_at_zeros():
    x = Tensor([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 3.0, 4.0], [5.0, 0.0, 2.0, 1.0]],
               requires_grad=True)
    p = x.prod(1)
    assert p.data.tolist() == [0.0, 24.0, 0.0]
    p.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 0, 0], [24, 12, 8, 6], [0, 10, 0, 0]])
    assert Tensor([1, 2, 3]).prod().dtype == np.int64 and Tensor([True, True]).prod().item() == 1
    assert tg.ones(2, 0).prod(1).data.tolist() == [1.0, 1.0]   # the empty product
    assert tg.prod(Tensor([2.0, 3.0]), 0, keepdim=True).shape == (1,)
    assert Tensor([2.0, 3.0]).prod(keepdim=True).shape == (1,)


def test_cumprod_values_and_closed_form_gradient():
    x = Tensor([2.0, 0.0, 3.0, 4.0], requires_grad=True)
    c = tg.cumprod(x, 0)
    assert c.data.tolist() == [2.0, 0.0, 0.0, 0.0]
    (c * Tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    # dL/dx0 = 1 + 10 x1 + ...: 1; dL/dx1 = 10 x0 + 100 x0 x2 + 1000 x0 x2 x3 = 20 + 600 + 24000
    np.testing.assert_array_equal(x.grad.data, [1, 24620, 0, 0])


@pytest.mark.parametrize("values", [[0.5, -2.0, 0.0, 3.0], [0.0, 0.0, 1.5, 2.0],
                                    [1.5, 2.0, -1.0, 0.5]])
def test_prod_and_cumprod_pass_gradgradcheck_at_zeros(values):
    x = Tensor(np.array(values).reshape(2, 2), requires_grad=True)
    for f in (lambda t: t.prod(), lambda t: t.prod(1), lambda t: t.cumprod(0),
              lambda t: t.reshape(4).cumprod(0)):
        assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))


def test_sums_take_an_explicit_dtype_as_given():
    assert Tensor([1, 2]).sum(dtype=np.int32).dtype == np.int32
    assert Tensor([1, 2]).cumsum(0, dtype=np.int32).dtype == np.int32
    assert Tensor([1, 2]).cumprod(0, dtype=np.int32).dtype == np.int32
    wrapped = Tensor(np.array([250, 10], np.uint8)).sum(dtype=np.uint8)
    assert wrapped.item() == 4   # wraps around, as PyTorch
    assert Tensor(np.array([1, 2], np.int32)).sum().dtype == np.int64
    assert Tensor([1.0, 2.0]).sum(dtype=np.float64).dtype == np.float64


def test_max_sends_an_infinite_gradient_only_to_the_chosen_entries():
    x = Tensor([float("inf"), 1.0], requires_grad=True)
    y = x.max()
    g, = tg.autograd.grad(y * y, x)
    assert g.data.tolist() == [float("inf"), 0.0]   # not 0 * inf = NaN at the other
    x = Tensor([1.0, float("nan"), 3.0, float("nan")], requires_grad=True)
    y = x.max()
    g, = tg.autograd.grad(y * y, x)
    assert g.data[0] == 0 and g.data[2] == 0 and np.isnan(g.data[[1, 3]]).all()


def test_float16_sums_and_products_add_up_in_float32_as_pytorch():
    """A float16 running sum stalls where 1.1 no longer moves it (4,096)."""
    a = np.full((5000, 2), 1.1, np.float16)
    for got in (Tensor(a).sum(0).data, Tensor(a[:, 0]).cumsum(0).data[-1:],
                Tensor(a.astype(np.float32)).sum(0, dtype=np.float16).data):
        assert got.dtype == np.float16
        np.testing.assert_allclose(got.astype(np.float64), 5500, rtol=2e-3)
    factors = np.full(3000, 1.0005, np.float16)   # 1.000488 in float16
    p = Tensor(factors).prod()
    assert p.dtype == np.float16
    np.testing.assert_allclose(float(p.item()), np.prod(factors.astype(np.float64)), rtol=2e-3)


def test_running_ops_of_a_0d_tensor_take_dims_0_and_minus_1_only():
    assert Tensor(5.0).cumsum(-1).item() == 5.0 and Tensor(5.0).prod(0).item() == 5.0
    for bad in (lambda: Tensor(5.0).cumsum(3), lambda: Tensor(5.0).prod(1)):
        with pytest.raises(IndexError):
            bad()
    empty = tg.zeros((2, 0), dtype=np.bool_).prod(1, dtype=np.bool_)
    assert empty.dtype == np.bool_ and empty.data.tolist() == [True, True]
