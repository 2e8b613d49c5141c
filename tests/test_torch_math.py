"""PyTorch as the oracle for the math ops of test_ops_math: values, first and
second derivatives in float64 over hypothesis shapes (grid values, so that
zeros, ties and the branch points of lerp happen), the limits (inf, NaN,
domain edges) with their first derivatives, and the result dtypes."""
import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_torch_ops import GRID, POSITIVE_GRID, check, compare  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import Tensor  # noqa: E402
from tinygrad_nndl.testing import arrays, broadcastable_shapes, shapes  # noqa: E402

pytestmark = pytest.mark.torch

SMALL = shapes(max_dims=3, max_side=3)
FEW = settings(max_examples=10)


def grid(lo, hi):
    """Multiples of 0.25 in [lo, hi]."""
    return st.integers(int(lo * 4), int(hi * 4)).map(lambda k: k * 0.25)


UNARY = {
    "log2": POSITIVE_GRID, "log10": POSITIVE_GRID, "erf": GRID, "erfc": GRID,
    "asin": grid(-0.75, 0.75), "acos": grid(-0.75, 0.75), "atan": GRID, "sinh": GRID,
    "cosh": GRID, "asinh": GRID, "acosh": grid(1.25, 4), "atanh": grid(-0.75, 0.75),
}
SMOOTH_OR_GRID = st.one_of(GRID, st.floats(-3, 3, allow_nan=False))
EDGES = np.array([-np.inf, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 30.0, np.inf, np.nan])


@pytest.mark.parametrize("name", UNARY)
@FEW
@given(shape=SMALL, data=st.data())
def test_unary(name, shape, data):
    x = data.draw(arrays(shape, elements=UNARY[name]))
    check(getattr(Tensor, name), getattr(torch, name), x)


@pytest.mark.parametrize("name", UNARY)
def test_unary_limits_and_domain_edges(name):
    # acosh(-1) is NaN, and so is its derivative's sign: -0 there gives -inf here, +inf in
    # PyTorch (its x^2 - 1 is +0)
    x = EDGES[EDGES != -1] if name == "acosh" else EDGES
    check(getattr(Tensor, name), getattr(torch, name), x, second=False)


def _torch_dtype(dtype):
    return torch.from_numpy(np.zeros(0, dtype)).dtype


@pytest.mark.parametrize("name", [*UNARY, "atan2", "nan_to_num", "nansum", "diff"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float16,
                                   np.float32, np.float64])
def test_result_dtypes(name, dtype):
    x = np.array([1, 0, 1, 1]).astype(dtype)
    ours, theirs = Tensor(x), torch.from_numpy(x)
    if name == "atan2":
        y, ty = ours.atan2(ours), torch.atan2(theirs, theirs)
    else:
        y, ty = getattr(ours, name)(), getattr(torch, name)(theirs)
    assert _torch_dtype(y.dtype) == ty.dtype
    tol = 2e-3 if dtype == np.float16 else 1e-6
    compare(y.data.astype(np.float64), ty.to(torch.float64), rtol=tol, atol=tol)


# ----- atan2 --------------------------------------------------------------------------------
@FEW
@given(shapes_=broadcastable_shapes(2, max_dims=3, max_side=3), data=st.data())
def test_atan2(shapes_, data):
    a = data.draw(arrays(shapes_[0], elements=GRID.filter(lambda v: v != 0)))
    b = data.draw(arrays(shapes_[1], elements=GRID))
    check(tg.atan2, torch.atan2, a, b)


def test_atan2_at_the_origin_and_where_the_squares_underflow():
    a = np.array([0.0, 1e-200, -0.0, 1e-160, 0.0])
    b = np.array([0.0, 1e-200, 0.0, 1e-160, -0.0])
    check(tg.atan2, torch.atan2, a, b, second=False)


# ----- nan_to_num ---------------------------------------------------------------------------
@FEW
@given(shape=SMALL, data=st.data(),
       values=st.sampled_from([{}, {"nan": 1.5}, {"nan": -2.0, "posinf": 3.0, "neginf": -4.0}]))
def test_nan_to_num(shape, data, values):
    x = data.draw(arrays(shape, elements=st.sampled_from([np.nan, np.inf, -np.inf, 0.5, -1.0])))
    check(lambda t: t.nan_to_num(**values), lambda t: torch.nan_to_num(t, **values), x)


# ----- lerp ---------------------------------------------------------------------------------
@FEW
@given(shapes_=broadcastable_shapes(3, max_dims=3, max_side=3), data=st.data())
def test_lerp_tensor_weight(shapes_, data):
    a, b = (data.draw(arrays(s, elements=GRID)) for s in shapes_[:2])
    w = data.draw(arrays(shapes_[2], elements=grid(-1, 2)))   # 0.5 and 1 among them
    check(tg.lerp, torch.lerp, a, b, w)


@FEW
@given(shapes_=broadcastable_shapes(2, max_dims=3, max_side=3), data=st.data(),
       w=st.sampled_from([0.0, 0.25, 0.5, 1.0, -0.75, 1.5]))
def test_lerp_number_weight(shapes_, data, w):
    a, b = (data.draw(arrays(s, elements=SMOOTH_OR_GRID)) for s in shapes_)
    check(lambda a, b: a.lerp(b, w), lambda a, b: torch.lerp(a, b, w), a, b)


def test_lerp_float32_branches_match_bit_for_bit():
    a = np.float32([1e8, -3.0, 7.25, 1e-3])
    b = np.float32([1.0, 7.0, -2.5, 4e5])
    for w in (0.1, 0.49, 0.5, 0.9, 1.0, np.float32([0.3, 0.7, 0.5, 1.0])):
        tw = torch.from_numpy(w) if isinstance(w, np.ndarray) else w
        ours = Tensor(a).lerp(Tensor(b), Tensor(w) if isinstance(w, np.ndarray) else w)
        np.testing.assert_array_equal(ours.data, torch.lerp(torch.from_numpy(a),
                                                            torch.from_numpy(b), tw).numpy())


# ----- addmm --------------------------------------------------------------------------------
@FEW
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), data=st.data(),
       beta=st.sampled_from([1, 0.5, 0, -2]), alpha=st.sampled_from([1, 3, -0.25]))
def test_addmm(n, k, m, data, beta, alpha):
    shape = data.draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    x, m1, m2 = (data.draw(arrays(s, elements=GRID)) for s in (shape, (n, k), (k, m)))
    check(lambda x, m1, m2: tg.addmm(x, m1, m2, beta=beta, alpha=alpha),
          lambda x, m1, m2: torch.addmm(x, m1, m2, beta=beta, alpha=alpha), x, m1, m2)


# ----- nansum, nanmean ----------------------------------------------------------------------
@st.composite
def nan_case(draw, every_slice_has_a_number=False):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(arrays(shape, elements=st.one_of(GRID, st.just(np.nan))))
    dim = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    if every_slice_has_a_number:   # where PyTorch's nanmean gradient is NaN: see below
        numbers = np.sum(~np.isnan(x), axis=dim, keepdims=True)
        x = np.where(numbers == 0, 1.0, x)
    return x, dim, draw(st.booleans())


@FEW
@given(case=nan_case())
def test_nansum(case):
    x, dim, keepdim = case
    kw = {} if dim is None else {"dim": dim}
    check(lambda t: t.nansum(dim, keepdim), lambda t: torch.nansum(t, keepdim=keepdim, **kw), x)


@FEW
@given(case=nan_case(every_slice_has_a_number=True))
def test_nanmean(case):
    x, dim, keepdim = case
    kw = {} if dim is None else {"dim": dim}
    check(lambda t: t.nanmean(dim, keepdim),
          lambda t: torch.nanmean(t, keepdim=keepdim, **kw), x)


def test_nanmean_of_an_all_nan_slice_differs_only_in_its_gradient():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    t, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = t.nanmean(1), torch.nanmean(tt, 1)
    compare(y, ty)
    y.sum().backward()
    ty.sum().backward()
    compare(t.grad.data[1], tt.grad[1])
    assert np.all(t.grad.data[0] == 0) and torch.isnan(tt.grad[0]).all()


# ----- diff ---------------------------------------------------------------------------------
@FEW
@given(data=st.data(), n=st.integers(0, 3), sides=st.sampled_from(
    [(), ("prepend",), ("append",), ("prepend", "append")]))
def test_diff(data, n, sides):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values = [data.draw(arrays(shape, elements=GRID))]
    for _ in sides:
        s = list(shape)
        s[dim] = data.draw(st.integers(1, 2))
        values.append(data.draw(arrays(tuple(s), elements=GRID)))

    def run(diff):
        return lambda x, *extra: diff(x, n=n, dim=dim, **dict(zip(sides, extra)))
    check(run(tg.diff), run(torch.diff), *values)


def test_diff_of_bools_and_unsigned_integers():
    for x in (np.array([True, False, False, True]), np.array([1, 5, 2, 200], np.uint8)):
        compare(tg.diff(Tensor(x), n=2), torch.diff(torch.from_numpy(x), n=2))
        assert _torch_dtype(tg.diff(Tensor(x)).dtype) == torch.diff(torch.from_numpy(x)).dtype


# ----- meshgrid, broadcast_tensors ----------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@given(sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_meshgrid(indexing, sizes, data):
    values = [data.draw(arrays((n,) if data.draw(st.booleans()) or n > 1 else (),
                               elements=GRID)) for n in sizes]
    check(lambda *ts: tg.stack(tg.meshgrid(*ts, indexing=indexing)),
          lambda *ts: torch.stack(torch.meshgrid(*ts, indexing=indexing)), *values,
          second=False)


@given(shapes_=broadcastable_shapes(3, max_dims=3, max_side=3), data=st.data())
def test_broadcast_tensors(shapes_, data):
    values = [data.draw(arrays(s, elements=GRID)) for s in shapes_]
    check(lambda *ts: tg.stack(tg.broadcast_tensors(*ts)),
          lambda *ts: torch.stack(torch.broadcast_tensors(*ts)), *values, second=False)
