"""The math ops added for PyTorch parity: log2, log10, erf, erfc, the inverse
and hyperbolic trigonometric functions, atan2, nan_to_num, lerp, addmm,
nansum, nanmean, diff, meshgrid and broadcast_tensors. Values against
Python's math module, numpy and identities; float64 gradcheck and
gradgradcheck over hypothesis shapes; limits (inf, NaN) without numpy
warnings; dtypes; errors raised before anything changes."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import grad, gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, assert_grad_matches, broadcastable_shapes, shapes

SMALL = shapes(max_dims=3, max_side=3)
FEW = settings(max_examples=10)   # gradgradcheck per example: kept short


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def by_math(f):
    """A math-module function elementwise, as an independent reference."""
    return np.vectorize(f, otypes=[np.float64])


UNARY = {
    # name: (reference, derivative in closed form, element strategy)
    "log2": (by_math(math.log2), lambda x: 1 / (x * math.log(2)), floats(0.1, 5)),
    "log10": (by_math(math.log10), lambda x: 1 / (x * math.log(10)), floats(0.1, 5)),
    "erf": (by_math(math.erf), lambda x: 2 / math.sqrt(math.pi) * np.exp(-x * x), floats(-3, 3)),
    "erfc": (by_math(math.erfc), lambda x: -2 / math.sqrt(math.pi) * np.exp(-x * x),
             floats(-3, 3)),
    "asin": (by_math(math.asin), lambda x: 1 / np.sqrt(1 - x * x), floats(-0.95, 0.95)),
    "acos": (by_math(math.acos), lambda x: -1 / np.sqrt(1 - x * x), floats(-0.95, 0.95)),
    "atan": (by_math(math.atan), lambda x: 1 / (1 + x * x), floats(-5, 5)),
    "sinh": (by_math(math.sinh), np.cosh, floats(-4, 4)),
    "cosh": (by_math(math.cosh), np.sinh, floats(-4, 4)),
    "asinh": (by_math(math.asinh), lambda x: 1 / np.sqrt(x * x + 1), floats(-5, 5)),
    "acosh": (by_math(math.acosh), lambda x: 1 / np.sqrt(x * x - 1), floats(1.05, 5)),
    "atanh": (by_math(math.atanh), lambda x: 1 / (1 - x * x), floats(-0.95, 0.95)),
}


@pytest.mark.parametrize("name", UNARY)
@FEW
@given(data=st.data())
def test_unary_values_and_gradients(name, data):
    ref, derivative, elements = UNARY[name]
    x = Tensor(data.draw(arrays(SMALL, elements=elements)), requires_grad=True)
    op = getattr(Tensor, name)
    y = op(x)
    assert y.shape == x.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.data, ref(x.data), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(getattr(tg, name)(x).data, y.data)
    assert_grad_matches(op, derivative, x, rtol=1e-10, atol=1e-12)
    assert gradcheck(op, (x,))
    assert gradgradcheck(op, (x,))


@pytest.mark.parametrize("name", UNARY)
def test_unary_in_place_matches_and_records(name):
    x = Tensor(np.array([0.3, 0.6, 0.9]) + (1.2 if name == "acosh" else 0), requires_grad=True)
    want = getattr(x, name)()
    y = x * 1   # not a leaf: may change in place
    out = getattr(y, name + "_")()
    assert out is y
    np.testing.assert_array_equal(y.data, want.data)
    (g_in_place,) = grad(y.sum(), x)
    (g,) = grad(want.sum(), x)
    np.testing.assert_array_equal(g_in_place.data, g.data)


def test_arc_aliases_are_the_same_functions():
    for alias, name in [("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                        ("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"),
                        ("arctan2", "atan2")]:
        assert getattr(Tensor, alias) is getattr(Tensor, name)
        assert getattr(Tensor, alias + "_") is getattr(Tensor, name + "_")
        assert getattr(tg, alias) is getattr(tg, name)


@given(x=arrays(SMALL, elements=floats(-0.99, 0.99)))
def test_identities(x):
    t = Tensor(x)
    np.testing.assert_allclose(t.asin().sin().data, x, atol=1e-15)
    np.testing.assert_allclose(t.atanh().tanh().data, x, atol=1e-15)
    np.testing.assert_allclose((t.asin() + t.acos()).data, np.pi / 2, rtol=1e-15)
    np.testing.assert_allclose((t.cosh() ** 2 - t.sinh() ** 2).data, 1, rtol=1e-14)
    np.testing.assert_allclose((t.erf() + t.erfc()).data, 1, rtol=1e-15)
    np.testing.assert_allclose(t.sinh().asinh().data, x, atol=1e-15)
    np.testing.assert_allclose((t.abs() + 1).cosh().acosh().data, np.abs(x) + 1, rtol=1e-14)


def test_log2_and_log10_are_exact_at_powers_of_their_base():
    k = np.arange(0, 16)
    np.testing.assert_array_equal(tg.log2(Tensor(2.0 ** k)).data, k)
    np.testing.assert_array_equal(tg.log10(Tensor(10.0 ** k)).data, k)
    assert np.log(1000) / np.log(10) != 3   # what a quotient of logs would give


def test_erfc_keeps_its_digits_where_one_minus_erf_is_zero():
    x = Tensor(np.array([6.0, 10.0, 26.0]))
    np.testing.assert_allclose(x.erfc().data, [math.erfc(6), math.erfc(10), math.erfc(26)],
                               rtol=1e-13)
    assert x.float().erfc().data[0] == np.float32(math.erfc(6))
    assert np.all(1 - x.erf().data == 0)


def test_limits_are_infinities_and_nans_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        edge = Tensor([1.0, -1.0, 2.0], requires_grad=True)
        y = edge.atanh()
        np.testing.assert_array_equal(y.data, [np.inf, -np.inf, np.nan])
        (g,) = grad(y.sum(), edge)
        np.testing.assert_allclose(g.data, [np.inf, np.inf, -1 / 3])
        (g,) = grad(edge.asin().sum(), edge)
        assert np.isinf(g.data[:2]).all() and np.isnan(g.data[2])
        one = Tensor([1.0], requires_grad=True)
        assert one.acosh().data[0] == 0 and grad(one.acosh().sum(), one)[0].data[0] == np.inf
        assert np.isnan(Tensor([0.5]).acosh().data[0])
        np.testing.assert_array_equal(Tensor([0.0, -1.0]).log2().data, [-np.inf, np.nan])
        np.testing.assert_array_equal(Tensor([-1000.0, 1000.0]).sinh().data, [-np.inf, np.inf])
        np.testing.assert_array_equal(Tensor([1000.0]).cosh().data, [np.inf])
        np.testing.assert_array_equal(Tensor([np.inf, -np.inf]).erfc().data, [0, 2])
        huge = Tensor(np.array([1e300]))
        np.testing.assert_array_equal(huge.asinh().data, [np.arcsinh(1e300)])
        big = Tensor(np.array([1e200]), requires_grad=True)   # x^2 overflows: d/dx's limit, 0
        assert grad(big.atan().sum(), big)[0].data[0] == 0


@pytest.mark.parametrize("name", [*UNARY, "atan2"])
@pytest.mark.parametrize("dtype, want", [(np.int64, np.float32), (np.uint8, np.float32),
                                         (np.bool_, np.float32), (np.float16, np.float16),
                                         (np.float64, np.float64)])
def test_dtypes_follow_pytorch(name, dtype, want):
    x = Tensor(np.array([1, 1, 0]).astype(dtype))
    y = x.atan2(x) if name == "atan2" else getattr(x, name)()
    assert y.dtype == want
    exact = Tensor(np.array([1, 1, 0], np.float64))   # the same op in float64
    ref = (exact.atan2(exact) if name == "atan2" else getattr(exact, name)()).data
    np.testing.assert_allclose(y.data, ref, rtol=2e-3 if want == np.float16 else 1e-6)


# ----- atan2 --------------------------------------------------------------------------------
@FEW
@given(data=st.data())
def test_atan2_broadcasts_matches_math_and_differentiates(data):
    sa, sb = data.draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    # a kept off 0: the branch cut (a = 0, b < 0) and the origin are left to the next test
    a = Tensor(data.draw(arrays(sa, elements=st.one_of(floats(-3, -0.1), floats(0.1, 3)))),
               requires_grad=True)
    b = Tensor(data.draw(arrays(sb, elements=floats(-3, 3))), requires_grad=True)
    y = tg.atan2(a, b)
    want = by_math(math.atan2)(*np.broadcast_arrays(a.data, b.data))
    np.testing.assert_allclose(y.data, want.reshape(y.shape), rtol=1e-14, atol=1e-15)
    assert gradcheck(tg.atan2, (a, b))
    assert gradgradcheck(tg.atan2, (a, b))


def test_atan2_quadrants_signed_zeros_and_the_origin():
    y = Tensor(np.array([0.0, 0.0, -0.0, 1.0, -1.0, 1.0, 0.0]), requires_grad=True)
    x = Tensor(np.array([1.0, -1.0, -1.0, 0.0, 0.0, np.inf, 0.0]), requires_grad=True)
    out = y.atan2(x)
    np.testing.assert_array_equal(out.data, [0, np.pi, -np.pi, np.pi / 2, -np.pi / 2, 0, 0])
    gy, gx = grad(out.sum(), (y, x))
    # at the origin both are 0, as PyTorch's (not 0/0)
    assert gy.data[-1] == 0 and gx.data[-1] == 0
    np.testing.assert_allclose(gy.data[:5], [1, -1, -1, 0, 0])
    np.testing.assert_allclose(gx.data[:5], [0, 0, 0, -1, 1])
    np.testing.assert_allclose(Tensor([1.0, 2.0]).atan2(2.0).data, np.arctan2([1, 2], 2))


def test_atan2_in_place():
    y = Tensor([1.0, -2.0])
    assert y.atan2_(Tensor([3.0, 4.0])) is y
    np.testing.assert_allclose(y.data, np.arctan2([1.0, -2.0], [3.0, 4.0]))


# ----- nan_to_num -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nan_to_num_defaults_are_the_dtypes_extremes(dtype):
    x = Tensor(np.array([np.nan, np.inf, -np.inf, 1.5], dtype), requires_grad=True)
    y = x.nan_to_num()
    top = np.finfo(dtype).max
    np.testing.assert_array_equal(y.data, np.array([0, top, -top, 1.5], dtype))
    assert y.dtype == dtype
    (g,) = grad(y.sum(), x)
    np.testing.assert_array_equal(g.data, [0, 0, 0, 1])


def test_nan_to_num_given_values_integers_and_in_place():
    x = Tensor([np.nan, np.inf, -np.inf, 2.0])
    np.testing.assert_array_equal(tg.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0).data,
                                  [1, 2, -3, 2])
    np.testing.assert_array_equal(tg.nan_to_num(x, 7.0).data[0], 7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # 1e300 overflows float32 to inf: silently
        assert x.float().nan_to_num(posinf=1e300).data[1] == np.inf
    ints = Tensor(np.array([1, 2], np.int64))
    out = ints.nan_to_num()
    assert out.dtype == np.int64 and out.data is not ints.data
    z = Tensor([np.nan, 1.0])
    assert z.nan_to_num_(nan=5.0) is z
    np.testing.assert_array_equal(z.data, [5, 1])


@given(x=arrays(SMALL, elements=st.sampled_from([np.nan, np.inf, -np.inf, 0.5, -2.0])))
def test_nan_to_num_property(x):
    t = Tensor(x, requires_grad=True)
    y = t.nan_to_num(nan=0.25)
    np.testing.assert_array_equal(y.data, np.nan_to_num(x, nan=0.25))
    (g,) = grad(y.sum(), t)
    np.testing.assert_array_equal(g.data, np.isfinite(x).astype(float))


# ----- lerp ---------------------------------------------------------------------------------
@FEW
@given(data=st.data())
def test_lerp_broadcasts_three_ways_with_gradients_to_all(data):
    shapes3 = data.draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    a, b = (Tensor(data.draw(arrays(s, elements=floats(-3, 3))), requires_grad=True)
            for s in shapes3[:2])
    w = Tensor(data.draw(arrays(shapes3[2], elements=floats(-1, 2))), requires_grad=True)
    y = tg.lerp(a, b, w)
    np.testing.assert_allclose(y.data, a.data + w.data * (b.data - a.data), rtol=1e-12,
                               atol=1e-12)
    assert gradcheck(tg.lerp, (a, b, w))
    assert gradgradcheck(tg.lerp, (a, b, w))
    assert gradcheck(lambda a, b: a.lerp(b, 0.75), (a, b))


def test_lerp_is_exact_at_its_ends():
    start, end = Tensor(np.float32([1e8, -3.0])), Tensor(np.float32([1.0, 7.0]))
    np.testing.assert_array_equal(start.lerp(end, 1.0).data, end.data)
    np.testing.assert_array_equal(start.lerp(end, 0.0).data, start.data)
    np.testing.assert_array_equal(start.lerp(end, Tensor(np.float32([1.0, 0.0]))).data,
                                  [1.0, -3.0])
    # the one-line formula loses end there
    assert np.float32(1e8) + np.float32(1) * (np.float32(1) - np.float32(1e8)) != 1


def test_lerp_gradients_in_closed_form():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 5.0], requires_grad=True)
    w = Tensor([0.2, 0.7], requires_grad=True)
    ga, gb, gw = grad(a.lerp(b, w).sum(), (a, b, w))
    np.testing.assert_allclose(ga.data, [0.8, 0.3])
    np.testing.assert_allclose(gb.data, [0.2, 0.7])
    np.testing.assert_allclose(gw.data, [2.0, 3.0])


def test_lerp_refuses_integers_mixed_dtypes_and_a_bad_in_place_shape():
    with pytest.raises(NotImplementedError, match="lerp"):
        Tensor(np.array([1, 2])).lerp(Tensor(np.array([3, 4])), 0.5)
    with pytest.raises(RuntimeError, match="`end`"):
        Tensor(np.float32([1, 2])).lerp(Tensor(np.float64([1, 2])), 0.5)
    with pytest.raises(RuntimeError, match="`weight`"):
        tg.lerp(Tensor([1.0]), Tensor([2.0]), Tensor(np.float64([0.5])))
    x = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="lerp_"):
        x.lerp_(Tensor([[3.0], [4.0]]), 0.5)
    np.testing.assert_array_equal(x.data, [1, 2])
    assert x.lerp_(Tensor([3.0, 4.0]), 0.5) is x
    np.testing.assert_array_equal(x.data, [2, 3])


# ----- addmm --------------------------------------------------------------------------------
@FEW
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), data=st.data(),
       beta=st.sampled_from([1, 0.5, -2]), alpha=st.sampled_from([1, 3, -0.25]))
def test_addmm_values_and_gradients(n, k, m, data, beta, alpha):
    shape = data.draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    m1 = Tensor(data.draw(arrays((n, k))), requires_grad=True)
    m2 = Tensor(data.draw(arrays((k, m))), requires_grad=True)
    y = tg.addmm(x, m1, m2, beta=beta, alpha=alpha)
    np.testing.assert_allclose(y.data, beta * x.data + alpha * (m1.data @ m2.data),
                               rtol=1e-12, atol=1e-12)
    f = lambda x, m1, m2: x.addmm(m1, m2, beta=beta, alpha=alpha)  # noqa: E731
    assert gradcheck(f, (x, m1, m2))
    assert gradgradcheck(f, (x, m1, m2))


def test_addmm_with_beta_zero_ignores_nan_input_but_gives_it_a_zero_gradient():
    x = Tensor(np.full((2, 2), np.nan), requires_grad=True)
    m = Tensor(np.ones((2, 3)), requires_grad=True)
    y = tg.addmm(x, m, m.t(), beta=0)
    np.testing.assert_array_equal(y.data, np.full((2, 2), 3.0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 2)))
    assert tg.addmm(Tensor(np.full(2, np.nan)), m.detach(), m.detach().t(),
                    beta=0).requires_grad is False


def test_addmm_integers_truncate_beta_and_alpha_as_pytorch():
    i = Tensor(np.ones((2, 3), np.int64))
    y = tg.addmm(Tensor(np.ones((2, 2), np.int64)), i, i.t(), beta=-1.5, alpha=2.7)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.data, np.full((2, 2), -1 + 2 * 3))


@pytest.mark.parametrize("args, match", [
    (((2, 2), (2, 3), (3,)), "mat2 must be a matrix"),
    (((2, 2), (2, 3), (4, 2)), "cannot be multiplied"),
    (((3,), (2, 3), (3, 2)), r"does not broadcast to the product's shape \(2, 2\)"),
    (((1, 2, 2), (2, 3), (3, 2)), "does not broadcast"),
])
def test_addmm_errors_name_the_shapes(args, match):
    sx, s1, s2 = (Tensor(np.ones(s)) for s in args)
    with pytest.raises(RuntimeError, match=match):
        tg.addmm(sx, s1, s2)


def test_addmm_refuses_mixed_dtypes():
    with pytest.raises(RuntimeError, match="Double, Float, Float"):
        tg.addmm(Tensor(np.zeros((2, 2))), tg.ones(2, 3), tg.ones(3, 2))


# ----- nansum, nanmean ----------------------------------------------------------------------
@st.composite
def with_nans(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(arrays(shape))
    x[draw(arrays(shape, dtype=np.bool_, elements=st.booleans()))] = np.nan
    dim = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return x, dim, draw(st.booleans())


@given(case=with_nans())
def test_nansum_and_nanmean_match_numpy_with_zero_gradients_at_nans(case):
    x, dim, keepdim = case
    t = Tensor(x, requires_grad=True)
    s = t.nansum(dim, keepdim)
    np.testing.assert_allclose(s.data, np.nansum(x, axis=dim, keepdims=keepdim), rtol=1e-12)
    (g,) = grad(s.sum(), t)
    np.testing.assert_array_equal(g.data, ~np.isnan(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # numpy's "mean of empty slice"
        want = np.nanmean(x, axis=dim, keepdims=keepdim)
    mean = tg.nanmean(t, dim, keepdim)
    np.testing.assert_allclose(mean.data, want, rtol=1e-12)
    (g,) = grad(mean.sum(), t)
    count = np.sum(~np.isnan(x), axis=dim, keepdims=True)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(g.data, np.where(np.isnan(x), 0, 1 / count))
    assert gradcheck(lambda t: t.nanmean(dim, keepdim), (t,))
    assert gradcheck(lambda t: t.nansum(dim, keepdim), (t,))


def test_nansum_nanmean_dtypes_and_an_all_nan_slice():
    assert tg.nansum(Tensor(np.array([1, 2], np.int64))).dtype == np.int64
    assert tg.nansum(Tensor([True, True])).item() == 2
    assert tg.nansum(Tensor([1.0, np.nan]), dtype=tg.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="nanmean.*Long"):
        tg.nanmean(Tensor(np.array([1, 2], np.int64)))
    x = Tensor([[np.nan, np.nan], [1.0, np.nan]], requires_grad=True)
    m = x.nanmean(1)
    np.testing.assert_array_equal(m.data, [np.nan, 1.0])
    (g,) = grad(m.sum(), x)
    np.testing.assert_array_equal(g.data, [[0, 0], [1, 0]])   # PyTorch: NaN in row 0
    assert np.isnan(tg.nanmean(Tensor(np.zeros(0))).item())


# ----- diff ---------------------------------------------------------------------------------
@given(data=st.data(), n=st.integers(0, 4))
def test_diff_matches_numpy_with_prepend_and_append(data, n):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=4))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    extra = {}
    for side in ("prepend", "append"):
        if data.draw(st.booleans()):
            s = list(shape)
            s[dim] = data.draw(st.integers(1, 2))
            extra[side] = Tensor(data.draw(arrays(tuple(s))), requires_grad=True)
    y = tg.diff(x, n, dim, **extra)
    # (with n = 0 both leave prepend and append out)
    want = np.diff(x.data, n, dim, **{k: v.data for k, v in extra.items()})
    np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)
    inputs = (x, *extra.values())
    f = lambda x, *e: x.diff(n, dim, **dict(zip(extra, e)))  # noqa: E731
    if y.numel():
        assert gradcheck(f, inputs)


def test_diff_of_bools_is_xor_of_integers_wraps_and_n_zero_copies():
    np.testing.assert_array_equal(tg.diff(Tensor([True, False, False])).data, [True, False])
    u = tg.diff(Tensor(np.array([1, 2, 4], np.uint8)), prepend=Tensor(np.array([3], np.uint8)))
    assert u.dtype == np.uint8 and u.data.tolist() == [254, 1, 2]
    x = Tensor([1.0, 2.0])
    y = x.diff(n=0)
    np.testing.assert_array_equal(y.data, x.data)
    assert not np.shares_memory(y.data, x.data)
    assert tg.diff(x, n=5).shape == (0,)
    # mixed dtypes promote as cat does: a float prepend makes an int tensor's diff float
    assert tg.diff(Tensor(np.array([1, 2])), prepend=Tensor([0.5])).dtype == np.float32


@pytest.mark.parametrize("kwargs, kind, match", [
    (dict(n=-1), RuntimeError, "order must be non-negative"),
    (dict(dim=1), IndexError, "out of range"),
    (dict(prepend=Tensor(0.0)), RuntimeError, "same dimension"),
    (dict(append=Tensor([[0.0]])), RuntimeError, "same dimension"),
])
def test_diff_errors(kwargs, kind, match):
    with pytest.raises(kind, match=match):
        Tensor([1.0, 2.0]).diff(**kwargs)


def test_diff_errors_on_shapes_and_0d():
    with pytest.raises(RuntimeError, match=r"input.size\(1\) = 3, but got tensor.size\(1\) = 2"):
        tg.diff(tg.ones(2, 3), dim=0, prepend=tg.zeros(1, 2))
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        tg.diff(Tensor(1.0))


# ----- meshgrid, broadcast_tensors ----------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@given(sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3))
def test_meshgrid_matches_numpy_and_sums_gradients(indexing, sizes):
    ts = [Tensor(np.arange(n, dtype=np.float64) + 10 * i, requires_grad=True)
          for i, n in enumerate(sizes)]
    grids = tg.meshgrid(*ts, indexing=indexing)
    want = np.meshgrid(*[t.data for t in ts], indexing=indexing)
    for got, w in zip(grids, want):
        np.testing.assert_array_equal(got.data, w)
    gs = grad(sum((g * (k + 1)).sum() for k, g in enumerate(grids)), ts)
    total = int(np.prod(sizes))
    for k, (g, n) in enumerate(zip(gs, sizes)):
        np.testing.assert_array_equal(g.data, np.full(n, (k + 1) * total // n))


def test_meshgrid_warns_without_indexing_and_takes_a_list_and_0d():
    a, b = Tensor([1, 2]), Tensor([3, 4, 5])
    with pytest.warns(UserWarning, match="indexing argument"):
        x, y = tg.meshgrid(a, b)
    assert x.shape == y.shape == (2, 3)
    assert [t.shape for t in tg.meshgrid([a, b], indexing="xy")] == [(3, 2), (3, 2)]
    assert [t.shape for t in tg.meshgrid(Tensor(1), b, indexing="xy")] == [(3, 1), (3, 1)]
    assert tg.meshgrid(a, indexing="xy")[0].shape == (2,)


@pytest.mark.parametrize("args, kwargs, match", [
    ((Tensor([1]), Tensor([1.0])), dict(indexing="ij"), "same dtype"),
    ((tg.ones(2, 2),), dict(indexing="ij"), "0D or 1D"),
    ((Tensor([1]),), dict(indexing="yx"), "indexing must be"),
    ((), dict(indexing="ij"), "non-empty"),
])
def test_meshgrid_errors(args, kwargs, match):
    with pytest.raises(RuntimeError, match=match):
        tg.meshgrid(*args, **kwargs)


@given(shapes3=broadcastable_shapes(3, max_dims=3, max_side=3), data=st.data())
def test_broadcast_tensors_matches_numpy_and_sums_gradients_back(shapes3, data):
    ts = [Tensor(data.draw(arrays(s)), requires_grad=True) for s in shapes3]
    outs = tg.broadcast_tensors(*ts)
    for o, w in zip(outs, np.broadcast_arrays(*[t.data for t in ts])):
        np.testing.assert_array_equal(o.data, w)
    gs = grad(sum(o.sum() for o in outs), ts)
    size = int(np.prod(np.broadcast_shapes(*shapes3)))
    for g, t in zip(gs, ts):
        np.testing.assert_array_equal(g.data, np.full(t.shape, size // max(t.numel(), 1)))


def test_broadcast_tensors_error_and_nothing():
    assert tg.broadcast_tensors() == ()
    with pytest.raises(RuntimeError, match=r"tensor 1 of shape \(3, 2\) does not broadcast"):
        tg.broadcast_tensors(tg.ones(2, 1), tg.ones(3, 2))


def test_second_readers_finds_lerp_nan_to_num_addmm_nanmean():
    start, end = tg.zeros(3, dtype=tg.float64), tg.ones(3, dtype=tg.float64)
    # a 0-d weight of another dtype counts as a number (PyTorch's; EMA's lerp_)
    assert tg.lerp(start, end, tg.tensor(0.25)).data.tolist() == [0.25] * 3
    assert tg.lerp(start, end, tg.tensor(0.25)).dtype == np.float64
    # float16 in float32, rounded once: 1 + 0.6667 (2 - 1) is 1.667, not 1.666
    a, b = np.array([1.0, 1000.0], np.float16), np.array([2.0, 1001.0], np.float16)
    expected = (a.astype(np.float32) + np.float32(0.6667) * (b - a).astype(np.float32))
    np.testing.assert_array_equal(tg.tensor(a).lerp(tg.tensor(b), 0.6667).data,
                                  expected.astype(np.float16))
    assert tg.tensor([np.nan, 1.0]).nan_to_num(nan=None).data.tolist() == [0.0, 1.0]
    # alpha 0: the product is not read, its inf and NaN give no NaN
    out = tg.addmm(tg.tensor([[1.0, 1.0]]), tg.tensor([[np.inf]]), tg.tensor([[1.0, np.nan]]),
                   alpha=0)
    assert out.data.tolist() == [[1.0, 1.0]]
    with np.errstate(all="raise"):   # a float16 count of 70,000 would overflow
        assert tg.ones(70000, dtype=tg.float16).nanmean().item() == 1.0
