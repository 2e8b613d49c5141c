"""PyTorch as the oracle for the writes through an index (scatter, scatter_add,
index_add, index_fill and their in-place forms): values, vector-Jacobian
products and second derivatives in float64, repeated indices included (where
PyTorch's rules decide: the last write wins, every src entry gets g at its
destination); bincount's values and dtypes; and the exception types of bad
input to all of them and to multinomial."""
import warnings

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import Tensor  # noqa: E402
from tinygrad_nndl.testing import arrays, shapes  # noqa: E402
from test_torch_ops import GRID, check, compare  # noqa: E402

pytestmark = pytest.mark.torch


@st.composite
def cases(draw, larger_src=False):
    """(self, dim, index, src) on the value grid; index repeats along dim."""
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    ishape = tuple(draw(st.integers(1, 5 if d == axis else n)) for d, n in enumerate(shape))
    index = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[axis] - 1)))
    # PyTorch's backward refuses a src larger than the index: only values compare there
    sshape = tuple(m + draw(st.integers(0, int(larger_src))) for m in ishape)
    return (draw(arrays(shape, elements=GRID)), dim, index,
            draw(arrays(sshape, elements=GRID)))


def quiet_torch(fn):
    """fn, with PyTorch's deprecation warning for scatter's reduce silenced."""
    def call(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args)
    return call


@given(cases())
def test_scatter_and_scatter_add(case):
    a, dim, index, src = case
    i, ti = Tensor(index), torch.tensor(index)
    check(lambda x, s: x.scatter(dim, i, s), lambda x, s: x.scatter(dim, ti, s), a, src)
    check(lambda x: x.scatter(dim, i, -1.5), lambda x: x.scatter(dim, ti, -1.5), a)
    check(lambda x, s: tg.scatter_add(x, dim, i, s), lambda x, s: torch.scatter_add(x, dim, ti, s),
          a, src)
    check(lambda x, s: x.clone().scatter_(dim, i, s) * x,
          lambda x, s: x.clone().scatter_(dim, ti, s) * x, a, src)
    check(lambda x, s: x.clone().scatter_add_(dim, i, s) * s.sum(),
          lambda x, s: x.clone().scatter_add_(dim, ti, s) * s.sum(), a, src)


@given(cases(larger_src=True), st.sampled_from([None, "add", "multiply"]))
def test_scatter_values_with_reduce_and_a_larger_src(case, reduce):
    a, dim, index, src = case
    kw = {} if reduce is None else {"reduce": reduce}
    i, ti = Tensor(index), torch.tensor(index)
    theirs = quiet_torch(lambda: torch.tensor(a).scatter(dim, ti, torch.tensor(src), **kw))()
    compare(Tensor(a).scatter(dim, i, Tensor(src), **kw), theirs)
    compare(Tensor(a).scatter(dim, i, 2.0, **kw), torch.tensor(a).scatter(dim, ti, 2.0, **kw))
    x = Tensor(a)
    theirs = torch.tensor(a)
    quiet_torch(lambda: theirs.scatter_(dim, ti, torch.tensor(src), **kw))()
    compare(x.scatter_(dim, i, Tensor(src), **kw), theirs)
    if reduce != "multiply":
        compare(Tensor(a).scatter_add(dim, i, Tensor(src)),
                torch.tensor(a).scatter_add(dim, ti, torch.tensor(src)))


@given(st.data(), shapes(min_dims=1, max_dims=3, max_side=4), st.sampled_from([1, 2.5, -1]))
def test_index_add_and_index_fill(data, shape, alpha):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    index = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))
    source_shape = list(shape)
    source_shape[dim] = len(index)
    a = data.draw(arrays(shape, elements=GRID))
    source = data.draw(arrays(tuple(source_shape), elements=GRID))
    i, ti = Tensor(index), torch.tensor(index)
    check(lambda x, s: x.index_add(dim, i, s, alpha=alpha),
          lambda x, s: x.index_add(dim, ti, s, alpha=alpha), a, source)
    check(lambda x, s: x.clone().index_add_(dim, i, s) ** 2,
          lambda x, s: x.clone().index_add_(dim, ti, s) ** 2, a, source)
    fill = np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=4)), dtype=np.int64)
    f, tf = Tensor(fill), torch.tensor(fill)
    check(lambda x: x.clone().index_fill_(dim, f, -2.0),
          lambda x: x.clone().index_fill_(dim, tf, -2.0), a)
    # PyTorch's backward to a tensor value fails on negative indices (its forward takes them)
    f, tf = Tensor(fill % n), torch.tensor(fill % n)
    check(lambda x, v: tg.index_fill(x, dim, f, v) * x,
          lambda x, v: torch.index_fill(x, dim, tf, v) * x, a, np.array(1.5))


def test_0d_tensors_and_integer_dtypes():
    pairs = [
        (lambda m: m.tensor(5.0).scatter(0, m.tensor([0, 0, 0]), m.tensor([1.0, 2.0, 3.0]))),
        (lambda m: m.tensor(5.0).scatter_add(0, m.tensor(0), m.tensor(3.0))),
        (lambda m: m.zeros(3).scatter(0, m.tensor(2), 7.0)),
        (lambda m: m.zeros(3).scatter(0, m.tensor([1]), m.tensor(7.0))),
        (lambda m: m.tensor(1.0).index_add(0, m.tensor(0), m.tensor(3.0))),
        (lambda m: m.tensor(1.0).index_fill(0, m.tensor([0, 0]), 2.5)),
        (lambda m: m.tensor([[1, 2, 3]]).scatter(1, m.tensor([[0, 2]]), 2.7)),
        (lambda m: m.tensor([[1, 2, 3]]).scatter(1, m.tensor([[0, 2]]), 3, reduce="multiply")),
        (lambda m: m.zeros(2, 2, dtype=m.int64).index_add(
            0, m.tensor([1, 1]), m.tensor([[1, 2], [3, 4]]), alpha=2.5)),
        (lambda m: m.tensor([[1, 2, 3]]).index_fill(1, m.tensor([-1]), m.tensor(2.7))),
        (lambda m: m.zeros(2, dtype=m.float16).scatter_add(0, m.tensor([1, 1]),
                                                         m.ones(2, dtype=m.float16))),
    ]
    for make in pairs:
        ours, theirs = make(tg), make(torch)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        compare(ours, theirs)


@given(st.lists(st.integers(0, 6), max_size=10), st.integers(0, 8),
       st.sampled_from([None, np.float32, np.float64, np.float16, np.int64, np.bool_]))
def test_bincount(values, minlength, weights_dtype):
    x = np.array(values, dtype=np.int64)
    w = None if weights_dtype is None else np.arange(len(values)).astype(weights_dtype)
    ours = tg.bincount(Tensor(x), None if w is None else Tensor(w), minlength)
    theirs = torch.bincount(torch.tensor(x), None if w is None else torch.tensor(w), minlength)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    compare(ours, theirs, rtol=1e-3)


@pytest.mark.parametrize("p, k, replacement", [
    ([1.0, 2.0, 0.0], 2, False), ([[1.0, 2.0], [3.0, 0.0]], 5, True), ([[1.0, 1.0]] * 3, 2, False),
    (np.ones((0, 3)), 2, False),
])
def test_multinomial_shapes_and_dtype(p, k, replacement):
    ours = tg.multinomial(tg.tensor(p), k, replacement)
    assert ours.shape == tuple(torch.multinomial(torch.tensor(p), k, replacement).shape)
    assert ours.dtype == tg.int64


BAD = [   # (make(module, x) raising in both; x a 3x4 float32 tensor of that module)
    lambda m, x: x.scatter(0, m.tensor([[3]]), m.ones(1, 1)),
    lambda m, x: x.scatter_(0, m.tensor([[-1]]), 1.0),
    lambda m, x: x.scatter(0, m.tensor([[0.0]]), 1.0),
    lambda m, x: x.scatter(0, m.tensor([[0]], dtype=m.int16), 1.0),
    lambda m, x: x.scatter(0, m.tensor([[0]]), m.ones(1, 1, dtype=m.float64)),
    lambda m, x: x.scatter(0, m.tensor([0]), m.ones(1)),
    lambda m, x: x.scatter(0, m.tensor([[0]]), m.ones(1)),
    lambda m, x: x.scatter(0, m.tensor([[0]]), m.ones(1, 1, 1)),
    lambda m, x: x.scatter(0, m.zeros(1, 5, dtype=m.int64), 1.0),
    lambda m, x: x.scatter(1, m.zeros(2, 3, dtype=m.int64), m.ones(2, 2)),
    lambda m, x: x.scatter(0, m.tensor([[0]]), 1.0, reduce="sum"),
    lambda m, x: x.scatter(2, m.tensor([[0]]), 1.0),
    lambda m, x: x.scatter(0, m.tensor([[0]]), [1.0]),
    lambda m, x: x.scatter_add(0, m.tensor([[0]]), 1.0),
    lambda m, x: x.scatter_add(0, m.tensor([[5]]), m.ones(1, 1)),
    lambda m, x: x.index_add_(0, m.tensor([3]), m.ones(1, 4)),
    lambda m, x: x.index_add(0, m.tensor([-1]), m.ones(1, 4)),
    lambda m, x: x.index_add(0, m.tensor([[0]]), m.ones(1, 4)),
    lambda m, x: x.index_add(0, m.tensor([0, 1]), m.ones(1, 4)),
    lambda m, x: x.index_add(0, m.tensor([0]), m.ones(1, 5)),
    lambda m, x: x.index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.int64)),
    lambda m, x: x.index_add(0, m.tensor([0], dtype=m.int16), m.ones(1, 4)),
    lambda m, x: x.index_add(3, m.tensor([0]), m.ones(1, 4)),
    lambda m, x: x.index_fill_(1, m.tensor([4]), 0.0),
    lambda m, x: x.index_fill(1, m.tensor([-5]), 0.0),
    lambda m, x: x.index_fill(1, m.tensor([0], dtype=m.int32), 0.0),
    lambda m, x: x.index_fill(1, m.tensor([[0]]), 0.0),
    lambda m, x: x.index_fill(1, m.tensor([0]), m.ones(2)),
    lambda m, x: m.bincount(m.tensor([0.0, 1.0])),
    lambda m, x: m.bincount(m.tensor([[0, 1]])),
    lambda m, x: m.bincount(m.tensor([0, -1])),
    lambda m, x: m.bincount(m.tensor([0]), minlength=-1),
    lambda m, x: m.bincount(m.tensor([0]), minlength=2.0),
    lambda m, x: m.bincount(m.tensor([0, 1]), m.ones(3)),
    lambda m, x: m.multinomial(m.tensor([1, 2]), 1),
    lambda m, x: m.multinomial(m.ones(2, 2, 2), 1),
    lambda m, x: m.multinomial(m.ones(3), 0),
    lambda m, x: m.multinomial(m.ones(3), 1.0),
    lambda m, x: m.multinomial(m.ones(3), 4),
    lambda m, x: m.multinomial(m.tensor([1.0, -2.0]), 1, True),
    lambda m, x: m.multinomial(m.tensor([1.0, float("nan")]), 1),
    lambda m, x: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 1),
]


@pytest.mark.parametrize("make", BAD)
def test_bad_input_raises_pytorchs_exception_type(make):
    with pytest.raises(Exception) as theirs:
        quiet_torch(make)(torch, torch.zeros(3, 4))
    with pytest.raises(theirs.type):
        make(tg, tg.zeros(3, 4))
