"""PyTorch as the oracle for the everyday Tensor API of issue 16: values,
vector-Jacobian products and second derivatives (float64, hypothesis shapes,
values on a coarse grid so that zeros and ties happen), and the behaviours
that are not numbers (dtypes, shapes, index reading, errors, reprs)."""
import math

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import Tensor, nn  # noqa: E402
from tinygrad_nndl.testing import arrays, shapes  # noqa: E402
from test_torch_ops import GRID, SMOOTH, check, compare  # noqa: E402

pytestmark = pytest.mark.torch

SMALL = shapes(min_dims=1, max_dims=3, max_side=3)


def grid_arrays(shape=SMALL):
    return arrays(shape, elements=GRID)


# ----- elementwise, copies ----------------------------------------------------------------
@pytest.mark.parametrize("ours, theirs", [
    (Tensor.sin, torch.sin), (Tensor.cos, torch.cos), (tg.sin, torch.sin),
    (lambda t: t.clone() * t, lambda t: t.clone() * t),
    (lambda t: t.t() if t.ndim <= 2 else t, lambda t: t.t() if t.ndim <= 2 else t),
])
@given(a=arrays(SMALL, elements=SMOOTH))
def test_unary(ours, theirs, a):
    check(ours, theirs, a)


# ----- norms ------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 3, 1.5, 0.5, 0, math.inf, -math.inf, "fro"])
@given(a=grid_arrays(), data=st.data())
def test_norm(p, a, data):
    dim = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1))
    keep = data.draw(st.booleans())
    # second derivatives where PyTorch's first derivative is itself smooth
    second = p in (2, 3, "fro") and bool((a != 0).all())
    check(lambda t: t.norm(p, dim, keep), lambda t: t.norm(p, dim, keep), a, second=second)
    if p == "fro":
        return
    check(lambda t: tg.linalg.vector_norm(t, p, dim, keep),
          lambda t: torch.linalg.vector_norm(t, p, dim, keep), a, second=False)


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, math.inf, -math.inf])
@given(a=grid_arrays(shapes(min_dims=2, max_dims=3, max_side=3)), keep=st.booleans())
def test_linalg_norm(ord, a, keep):
    dim = (-2, -1) if a.ndim == 3 else None
    check(lambda t: tg.linalg.norm(t, ord, dim, keep),
          lambda t: torch.linalg.norm(t, ord, dim, keep), a, second=False)
    if ord is not None:
        check(lambda t: tg.linalg.matrix_norm(t, ord, keepdim=keep),
              lambda t: torch.linalg.matrix_norm(t, ord, keepdim=keep), a, second=False)


def test_norm_at_zero_has_pytorchs_gradient():
    for p in (2, 1, 3, math.inf, 0.5):
        check(lambda t: t.norm(p), lambda t: t.norm(p), np.zeros(3), second=False)


# ----- masked_fill, repeat, flip, chunk/split/unbind ----------------------------------------
@given(a=grid_arrays(), data=st.data())
def test_masked_fill(a, data):
    mask = data.draw(arrays(a.shape[data.draw(st.integers(0, a.ndim)):], dtype=np.bool_,
                            elements=st.booleans()))
    check(lambda t, v: t.masked_fill(Tensor(mask), v),
          lambda t, v: t.masked_fill(torch.tensor(mask), v), a, np.array(1.5))
    check(lambda t: t.masked_fill(Tensor(mask), -2.0),
          lambda t: t.masked_fill(torch.tensor(mask), -2.0), a)


@given(a=grid_arrays(shapes(max_dims=3, max_side=3)), data=st.data())
def test_repeat(a, data):
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=max(a.ndim, 1),
                                    max_size=a.ndim + 2)))   # PyTorch wants one at least
    check(lambda t: t.repeat(*reps), lambda t: t.repeat(*reps), a)


@given(a=grid_arrays(), data=st.data())
def test_flip(a, data):
    dims = tuple(data.draw(st.lists(st.integers(0, a.ndim - 1), min_size=1, unique=True)))
    check(lambda t: t.flip(dims), lambda t: t.flip(dims), a)
    check(lambda t: tg.flip(t, dims) * t, lambda t: torch.flip(t, dims) * t, a)


@given(a=grid_arrays(shapes(min_dims=1, max_dims=3, max_side=5)), data=st.data())
def test_chunk_split_unbind(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    chunks = data.draw(st.integers(1, 6))
    step = data.draw(st.integers(1, n))
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - c for c, b in zip([0] + cuts, cuts + [n])]

    def weighted(parts, cat):   # every part, each scaled differently: all gradients differ
        return cat([p * float(k + 1) for k, p in enumerate(parts)], dim)

    for ours, theirs in [(lambda t: t.chunk(chunks, dim), lambda t: t.chunk(chunks, dim)),
                         (lambda t: t.split(step, dim), lambda t: t.split(step, dim)),
                         (lambda t: tg.split(t, sizes, dim), lambda t: torch.split(t, sizes, dim))]:
        assert [p.shape for p in ours(Tensor(a))] == \
            [tuple(p.shape) for p in theirs(torch.tensor(a))]
        check(lambda t: weighted(ours(t), tg.cat), lambda t: weighted(theirs(t), torch.cat), a)
    check(lambda t: weighted(t.unbind(dim), tg.stack),
          lambda t: weighted(t.unbind(dim), torch.stack), a)


# ----- products ------------------------------------------------------------------------------
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 2**16))
def test_mm_bmm_dot(n, m, k, b, seed):
    rng = np.random.default_rng(seed)
    check(lambda x, y: x.mm(y), lambda x, y: x.mm(y), rng.standard_normal((n, m)),
          rng.standard_normal((m, k)))
    check(tg.bmm, torch.bmm, rng.standard_normal((b, n, m)), rng.standard_normal((b, m, k)))
    check(tg.dot, torch.dot, rng.standard_normal(m), rng.standard_normal(m))


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("i,i->", [(4,), (4,)]), ("i,j->ij", [(2,), (3,)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ji", [(2, 3)]),
    ("...ij,...jk->...ik", [(4, 2, 3), (3, 2)]), ("i...->...", [(2, 3, 4)]),
    ("ijk,jl,kl->il", [(2, 3, 4), (3, 5), (4, 5)]), ("iij,jk->ik", [(3, 3, 2), (2, 2)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),      # a size-1 dim broadcast against its letter
    ("b i d, b j d -> b i j", [(2, 3, 4), (2, 2, 4)]),   # spaces
]


@pytest.mark.parametrize("eq, shapes_", EINSUM)
def test_einsum(eq, shapes_):
    rng = np.random.default_rng(len(eq))
    check(lambda *ts: tg.einsum(eq, *ts), lambda *ts: torch.einsum(eq, *ts),
          *[rng.standard_normal(s) for s in shapes_])


# ----- no-gradient queries ----------------------------------------------------------------------
VALUES = st.sampled_from([0.0, 1.0, -1.0, 1e-9, 1 + 1e-7, math.nan, math.inf, -math.inf])


@given(a=arrays(SMALL, elements=VALUES), data=st.data())
def test_closeness_and_finiteness(a, data):
    b = data.draw(arrays(a.shape, elements=VALUES))
    x, y, tx, ty = Tensor(a), Tensor(b), torch.tensor(a), torch.tensor(b)
    for nan in (False, True):
        compare(x.isclose(y, equal_nan=nan), torch.isclose(tx, ty, equal_nan=nan))
        assert tg.allclose(x, y, equal_nan=nan) == torch.allclose(tx, ty, equal_nan=nan)
    for name in ("isnan", "isinf", "isfinite"):
        compare(getattr(tg, name)(x), getattr(torch, name)(tx))


@given(a=arrays(shapes(max_dims=3), elements=st.integers(-1, 1).map(float)))
def test_where_alone_and_nonzero(a):
    ours, theirs = tg.where(Tensor(a)), torch.where(torch.tensor(a))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        compare(o, t)
    compare(Tensor(a).nonzero(), torch.tensor(a).nonzero())


@pytest.mark.parametrize("name", ["float", "double", "half", "long", "int", "short", "bool",
                                  "float16", "float32", "float64", "int32", "int64", "uint8",
                                  "int8", "int16"])
def test_dtype_aliases_name_pytorchs_types(name):
    ours = tg.ones(2, dtype=getattr(tg, name))
    assert str(ours.dtype) == str(getattr(torch, name)).replace("torch.", "")


def test_new_factories():
    for dtype in (torch.float64, torch.int64, torch.float32):
        t = torch.ones(2, dtype=dtype)
        x = tg.ones(2, dtype=str(dtype).replace("torch.", ""))
        for ours, theirs in [(x.new_zeros(2, 3), t.new_zeros(2, 3)),
                             (x.new_ones((3,)), t.new_ones((3,))),
                             (x.new_full((2,), 3.5), t.new_full((2,), 3.5)),
                             (x.new_tensor([1, 2]), t.new_tensor([1, 2])),
                             (x.new_tensor([1.5]), t.new_tensor([1.5]))]:
            compare(ours, theirs)
            assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "argmax", "argmin",
                                  "logsumexp", "std", "var"])
@given(a=grid_arrays(shapes(min_dims=1, max_dims=3, min_side=2)), data=st.data())
def test_axis_keepdims_aliases(name, a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    keep = data.draw(st.booleans())
    ours = getattr(Tensor(a), name)(axis=dim, keepdims=keep)
    theirs = getattr(torch.tensor(a), name)(axis=dim, keepdims=keep)
    compare(ours, theirs)


def test_sum_with_axis_and_dim_is_an_error_in_both():
    with pytest.raises(TypeError):
        torch.ones(2).sum(dim=0, axis=0)
    with pytest.raises(TypeError):
        tg.ones(2).sum(dim=0, axis=0)


# ----- constructors, indexing, errors, reprs -----------------------------------------------------
def test_legacy_constructor():
    for sizes in [(2, 3), (4, 1, 2), ()]:
        ours, theirs = Tensor(*sizes), torch.Tensor(*sizes)
        assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == "torch." + str(ours.dtype)


@given(a=grid_arrays(shapes(min_dims=2, max_dims=3, min_side=3, max_side=4)))
def test_index_lists_read_as_pytorch_reads_them(a):
    import warnings
    for index in ([slice(None), [2, 1]], [[0, 1], [1, 2]], [0, 2], [Ellipsis, 1],
                  [[0, 0], slice(1, None)], [None, 0]):
        with warnings.catch_warnings():   # PyTorch 2.13 warns that this reading is deprecated
            warnings.simplefilter("ignore", UserWarning)
            check(lambda t: t[index], lambda t: t[index], a)


def test_linear_dtype_message_is_pytorchs():
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as want:
        theirs(torch.ones(1, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError) as got:
        ours(tg.ones(1, 3, dtype=tg.float64))
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("data", [[1 / 3, 2.0], [1.0, 2.0], [0.5, 0.25], [1e-5, 1.0],
                                  [[1.5, -2.0], [3.0, 4.25]], [1, 2, 3], [True, False]])
def test_repr_is_pytorchs(data):
    assert repr(tg.tensor(data)) == repr(torch.tensor(data))


def test_set_printoptions_like_pytorchs():
    data = [1 / 3, 2.0, 10.0]
    try:
        for kwargs in [dict(precision=2), dict(precision=6), dict(profile="short"),
                       dict(precision=3, sci_mode=False)]:
            tg.set_printoptions(**kwargs)
            torch.set_printoptions(**kwargs)
            assert repr(tg.tensor(data)) == repr(torch.tensor(data)), kwargs
    finally:
        tg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


# ----- more of the everyday API: selections, orderings, triangles, roundings ------------------
DISTINCT = st.integers(-50, 50).map(lambda k: k * 0.25)


@pytest.mark.parametrize("ours, theirs", [
    (lambda t: t.narrow(-1, 1, 1), lambda t: t.narrow(-1, 1, 1)),
    (lambda t: tg.select(t, 0, -1), lambda t: torch.select(t, 0, -1)),
    (lambda t: t.index_select(-1, tg.tensor([1, 0, 1])),
     lambda t: t.index_select(-1, torch.tensor([1, 0, 1]))),
    (lambda t: t.roll(1, -1), lambda t: t.roll(1, -1)),
    (lambda t: tg.roll(t, (2, -1), (0, -1)), lambda t: torch.roll(t, (2, -1), (0, -1))),
    (lambda t: t.roll(3), lambda t: t.roll(3)),
    (lambda t: t.tile((2,)), lambda t: t.tile((2,))),
    (lambda t: t.cumsum(-1), lambda t: t.cumsum(-1)),
    (lambda t: tg.cumsum(t, 0) ** 2, lambda t: torch.cumsum(t, 0) ** 2),
    (lambda t: t.movedim(0, -1), lambda t: t.movedim(0, -1)),
    (lambda t: t.swapaxes(0, -1), lambda t: t.swapaxes(0, -1)),
    (lambda t: t.floor() + t.ceil() * t.round() - t.trunc() * t,
     lambda t: t.floor() + t.ceil() * t.round() - t.trunc() * t),
    (lambda t: t.clamp_min(0.5) + t.clamp_max(-0.5),
     lambda t: t.clamp_min(0.5) + t.clamp_max(-0.5)),
    (lambda t: (t * t + 1).reciprocal() + (t * t + 1).rsqrt(),
     lambda t: (t * t + 1).reciprocal() + (t * t + 1).rsqrt()),
])
@given(a=grid_arrays(shapes(min_dims=2, max_dims=3, min_side=2, max_side=3)))
def test_selections_and_roundings(ours, theirs, a):
    check(ours, theirs, a)


@given(a=arrays(shapes(min_dims=1, max_dims=3, max_side=4), elements=SMOOTH))
def test_tan(a):
    check(Tensor.tan, torch.tan, a * 0.4)


@given(a=hnp.arrays(np.float64, shapes(min_dims=1, max_dims=3, max_side=4), elements=DISTINCT,
                   unique=True), data=st.data())
def test_sort_argsort_topk(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    desc = data.draw(st.booleans())
    k = data.draw(st.integers(0, a.shape[dim]))
    check(lambda t: t.sort(dim, desc).values, lambda t: t.sort(dim, desc).values, a)
    compare(Tensor(a).sort(dim, desc).indices, torch.tensor(a).sort(dim, desc).indices)
    compare(tg.argsort(Tensor(a), dim, desc), torch.argsort(torch.tensor(a), dim, desc))
    for largest in (True, False):
        check(lambda t: t.topk(k, dim, largest).values,
              lambda t: t.topk(k, dim, largest).values, a)
        compare(Tensor(a).topk(k, dim, largest).indices,
                torch.tensor(a).topk(k, dim, largest).indices)


@given(a=grid_arrays(shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_gather(a, data):
    dim = data.draw(st.integers(0, a.ndim - 1))
    shape = tuple(data.draw(st.integers(1, n)) if d != dim else data.draw(st.integers(1, 5))
                  for d, n in enumerate(a.shape))
    index = data.draw(arrays(shape, dtype=np.int64, elements=st.integers(0, a.shape[dim] - 1)))
    check(lambda t: t.gather(dim, Tensor(index)), lambda t: t.gather(dim, torch.tensor(index)), a)


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
@given(a=grid_arrays(shapes(min_dims=2, max_dims=3, max_side=4)))
def test_triangles_diagonals_trace(k, a):
    check(lambda t: t.tril(k), lambda t: t.tril(k), a)
    check(lambda t: tg.triu(t, k), lambda t: torch.triu(t, k), a)
    check(lambda t: t.diagonal(k, -2, -1), lambda t: t.diagonal(k, -2, -1), a)
    m = a.reshape(-1, a.shape[-1])
    check(lambda t: t.diag(k), lambda t: t.diag(k), m)
    check(lambda t: t.trace(), lambda t: t.trace(), m)
    check(lambda t: tg.diag(t, k), lambda t: torch.diag(t, k), m[0])


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16))
def test_outer(n, m, seed):
    rng = np.random.default_rng(seed)
    check(tg.outer, torch.outer, rng.standard_normal(n), rng.standard_normal(m))


@given(a=arrays(SMALL, elements=st.integers(-1, 1).map(float)), data=st.data())
def test_logical_and_counts(a, data):
    b = data.draw(arrays(a.shape, elements=st.integers(-1, 1).map(float)))
    for name in ("logical_and", "logical_or", "logical_xor"):
        compare(getattr(tg, name)(Tensor(a), Tensor(b)), getattr(torch, name)(
            torch.tensor(a), torch.tensor(b)))
    compare(tg.logical_not(Tensor(a)), torch.logical_not(torch.tensor(a)))
    compare(tg.count_nonzero(Tensor(a)), torch.count_nonzero(torch.tensor(a)))
    compare(Tensor(a).count_nonzero(-1), torch.tensor(a).count_nonzero(-1))


def test_conversions_and_queries():
    x, t = tg.ones(2, 3), torch.ones(2, 3)
    for name in ("half", "short", "char", "byte"):
        assert str(getattr(x, name)().dtype) == str(getattr(t, name)().dtype).replace("torch.", "")
    assert x.nelement() == t.nelement() and x.ndimension() == t.ndimension()
    assert x.element_size() == t.element_size()
    assert x.t().is_contiguous() == t.t().is_contiguous() and x.contiguous().is_contiguous()
    assert x.type_as(tg.ones(1, dtype=tg.float64)).dtype == tg.float64
    assert x.reshape_as(tg.ones(3, 2)).shape == (3, 2)
    assert tg.get_default_dtype() == tg.float32
    assert tg.as_tensor(x) is x and tg.as_tensor([1, 2]).dtype == tg.int64
    compare(tg.cumsum(tg.tensor([True, True]), 0), torch.cumsum(torch.tensor([True, True]), 0))
