"""Movement ops: reshape/view, permute, transpose, .T, expand, squeeze,
unsqueeze, flatten, __getitem__ (basic, integer-array, boolean, Tensor
indices; repeated indices accumulate), cat and stack. Values against numpy,
float64 gradcheck (and gradgradcheck where the backward is itself an op),
bad shapes and indices."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, shapes

SMALL = shapes(max_dims=3, max_side=3)


def leaf(data, shape):
    return Tensor(data.draw(arrays(shape)), requires_grad=True)


# ----- reshape / view / flatten ---------------------------------------------------------
@given(shape=shapes(max_dims=4, max_side=4), data=st.data())
def test_reshape_view_flatten(shape, data):
    x = leaf(data, shape)
    n = x.data.size
    target = data.draw(st.sampled_from([(n,), (-1,), (1, n), (n, -1), shape[::-1],
                                        (-1,) + shape[1:]]))
    want = x.data.reshape(target)
    for y in (x.reshape(target), x.reshape(*target), x.view(target), x.view(*target)):
        assert y.shape == want.shape
        np.testing.assert_array_equal(y.data, want)
    np.testing.assert_array_equal(x.flatten().data, x.data.reshape(-1))
    if x.ndim >= 2:
        np.testing.assert_array_equal(x.flatten(1).data, x.data.reshape(shape[0], -1))
    assert x.view_as(Tensor(np.zeros(want.shape))).shape == want.shape
    assert gradcheck(lambda x: x.reshape(target), (x,))
    assert gradgradcheck(lambda x: x.reshape(target) ** 2, (x,))


def test_reshape_mismatch_names_the_op_and_both_shapes():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"reshape.*\(4,\).*\(2, 3\)"):
        x.reshape(4)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\)"):
        x.view(5, -1)


# ----- permute / transpose / .T -------------------------------------------------------
@given(shape=shapes(max_dims=4, max_side=3), data=st.data())
def test_permute_transpose(shape, data):
    x = leaf(data, shape)
    n = len(shape)
    perm = data.draw(st.permutations(range(n)))
    # each dim may be written as a negative index
    dims = tuple(d - n if data.draw(st.booleans()) else d for d in perm)
    for y in (x.permute(dims), x.permute(*dims)):
        np.testing.assert_array_equal(y.data, x.data.transpose(perm))
    assert gradcheck(lambda x: x.permute(dims), (x,))
    assert gradgradcheck(lambda x: x.permute(dims) ** 2, (x,))
    np.testing.assert_array_equal(x.T.data, x.data.T)
    if n:
        d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
        np.testing.assert_array_equal(x.transpose(d0, d1).data, np.swapaxes(x.data, d0, d1))
        assert gradcheck(lambda x: x.transpose(d0, d1), (x,))
    if n >= 2:
        np.testing.assert_array_equal(x.mT.data, np.swapaxes(x.data, -1, -2))


@pytest.mark.parametrize("dims", [(0, 1), (0, 1, 3), (0, 0, 1), (0, 1, 2, 3), (-4, 0, 1)])
def test_permute_rejects_non_permutations(dims):
    with pytest.raises(ValueError, match=r"permute.*\(2, 3, 4\)"):
        Tensor(np.ones((2, 3, 4))).permute(dims)


def test_transpose_dim_out_of_range():
    with pytest.raises(IndexError, match="range"):
        Tensor(np.ones((2, 3))).transpose(0, 2)


# ----- expand, squeeze, unsqueeze ----------------------------------------------------
@given(shapes_=hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3),
       data=st.data())
def test_expand(shapes_, data):
    (shape,), target = shapes_.input_shapes, shapes_.result_shape
    x = leaf(data, shape)
    lead = len(target) - len(shape)
    # -1 keeps a dimension of the tensor as it is
    sizes = tuple(-1 if i >= lead and data.draw(st.booleans()) else n
                  for i, n in enumerate(target))
    want = np.broadcast_to(x.data, target)
    for y in (x.expand(sizes), x.expand(*sizes), x.expand_as(Tensor(np.zeros(target)))):
        np.testing.assert_array_equal(y.data, want)
    assert gradcheck(lambda x: x.expand(sizes), (x,))
    assert gradgradcheck(lambda x: x.expand(sizes) ** 2, (x,))


def test_expand_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expand.*\(3,\).*\(2, 3\)"):
        x.expand(3)
    with pytest.raises(ValueError, match=r"expand.*\(2, 3\)"):
        x.expand(4, 3)


@given(shape=shapes(max_dims=4, max_side=2), data=st.data())
def test_squeeze_unsqueeze(shape, data):
    x = leaf(data, shape)
    n = len(shape)
    np.testing.assert_array_equal(x.squeeze().data, np.squeeze(x.data))
    if n:
        d = data.draw(st.integers(-n, n - 1))
        want = np.squeeze(x.data, d) if shape[d] == 1 else x.data   # PyTorch: a no-op if not 1
        np.testing.assert_array_equal(x.squeeze(d).data, want)
        assert x.squeeze(d).shape == want.shape
    assert x.squeeze(()).shape == shape
    u = data.draw(st.integers(-n - 1, n))
    np.testing.assert_array_equal(x.unsqueeze(u).data, np.expand_dims(x.data, u))
    assert gradcheck(lambda x: x.unsqueeze(u).squeeze(), (x,))
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(n + 2)


# ----- __getitem__ -------------------------------------------------------------------------
@given(shape=shapes(max_dims=3, max_side=4), data=st.data())
def test_getitem_basic_indices(shape, data):
    """Slices (any step), ints (negative too), None and Ellipsis."""
    x = leaf(data, shape)
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    y = x[index]
    want = x.data[index]
    assert y.shape == np.shape(want)
    np.testing.assert_array_equal(y.data, want)
    assert gradcheck(lambda x: x[index], (x,))
    assert gradgradcheck(lambda x: x[index] ** 2, (x,))


@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_getitem_integer_arrays_accumulate_repeats(shape, data):
    x = leaf(data, shape)
    index = data.draw(hnp.integer_array_indices(
        shape, result_shape=shapes(min_dims=1, max_dims=2, max_side=4)))
    # the same index as arrays, as lists and as int64 Tensors
    for idx in (index, tuple(i.tolist() for i in index), tuple(Tensor(i) for i in index)):
        np.testing.assert_array_equal(x[idx].data, x.data[index])
    weights = np.random.default_rng(0).standard_normal(x.data[index].shape)
    (x[index] * Tensor(weights)).sum().backward()
    want = np.zeros(shape)   # a Python loop: every pick adds its weight, repeats too
    flat = [i.reshape(-1) for i in np.broadcast_arrays(*index)]
    for j, w in enumerate(weights.reshape(-1)):
        want[tuple(int(i[j]) for i in flat)] += w
    np.testing.assert_allclose(x.grad.data, want)
    assert gradcheck(lambda x: x[index], (x,))
    assert gradgradcheck(lambda x: x[index] ** 2, (x,))


@given(shape=shapes(min_dims=2, max_dims=3, max_side=3), data=st.data())
def test_getitem_mixed_array_and_slices(shape, data):
    x = leaf(data, shape)
    def picks(k):   # an int array (repeats and negatives likely) for dim k
        return data.draw(hnp.arrays(np.int64, st.integers(1, 5),
                                    elements=st.integers(-shape[k], shape[k] - 1)))

    k = data.draw(st.integers(0, len(shape) - 1))
    rows, last = picks(k), picks(-1)
    index = (slice(None),) * k + (rows,)
    np.testing.assert_array_equal(x[index].data, x.data[index])
    np.testing.assert_array_equal(x[..., last].data, x.data[..., last])
    np.testing.assert_array_equal(x[None, ..., last].data, x.data[None, ..., last])
    assert gradcheck(lambda x: x[index], (x,))
    assert gradcheck(lambda x: x[None, ..., last], (x,))


@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_getitem_boolean_masks(shape, data):
    x = leaf(data, shape)
    k = data.draw(st.integers(1, len(shape)))   # a mask over the first k dims
    mask = data.draw(hnp.arrays(np.bool_, shape[:k]))
    for m in (mask, Tensor(mask)):
        np.testing.assert_array_equal(x[m].data, x.data[mask])
    assert gradcheck(lambda x: x[mask], (x,))
    assert gradgradcheck(lambda x: x[mask] ** 2, (x,))
    y = x[x > 0]   # the usual form
    np.testing.assert_array_equal(y.data, x.data[x.data > 0])


def test_getitem_repeated_indices_accumulate():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3, 0, 1, 0])
    m = Tensor(np.ones((2, 3)), requires_grad=True)
    m[:, [1, 1]].sum().backward()
    np.testing.assert_array_equal(m.grad.data, [[0, 2, 0], [0, 2, 0]])


def test_getitem_row_per_example_picks_like_nll():
    logp = Tensor(np.log(np.full((3, 4), 0.25)), requires_grad=True)
    y = Tensor([3, 0, 3])
    picked = logp[tg.arange(3), y]
    np.testing.assert_allclose(picked.data, np.log(0.25))
    picked.sum().backward()
    np.testing.assert_array_equal(logp.grad.data, np.eye(4)[[3, 0, 3]])


@pytest.mark.parametrize("index", [5, -4, (0, 3), [0, 7], (slice(None), [3]),
                                   np.array([True, False])])
def test_getitem_out_of_range_is_an_index_error(index):
    with pytest.raises(IndexError, match="getitem"):
        Tensor(np.ones((3, 3)), requires_grad=True)[index]


def test_iteration_and_len():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(x) == 3 and len(rows) == 3
    sum(r.sum() * (i + 1) for i, r in enumerate(rows)).backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1], [2, 2], [3, 3]])


# ----- cat / stack ---------------------------------------------------------------------
@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_cat(shape, data):
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    parts = []
    for s in sizes:
        part_shape = list(shape)
        part_shape[dim] = s
        parts.append(leaf(data, tuple(part_shape)))
    y = tg.cat(parts, dim)
    np.testing.assert_array_equal(y.data, np.concatenate([p.data for p in parts], axis=dim))
    assert tg.cat(parts, dim=dim).shape == y.shape
    assert gradcheck(lambda *ps: tg.cat(ps, dim), parts)
    assert gradgradcheck(lambda *ps: tg.cat(ps, dim) ** 2, parts)


def test_cat_mixes_constants_and_leaves():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    y = tg.cat([a, np.zeros((1, 2)), Tensor(np.ones((1, 2)))])
    assert y.shape == (4, 2) and y.requires_grad
    (y * Tensor(np.arange(8.0).reshape(4, 2))).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[0, 1], [2, 3]])


@given(shape=shapes(max_dims=3, max_side=3), k=st.integers(1, 3), data=st.data())
def test_stack(shape, k, data):
    n = len(shape)
    dim = data.draw(st.integers(-n - 1, n))
    parts = [leaf(data, shape) for _ in range(k)]
    y = tg.stack(parts, dim)
    np.testing.assert_array_equal(y.data, np.stack([p.data for p in parts], axis=dim))
    assert gradcheck(lambda *ps: tg.stack(ps, dim), parts)
    assert gradgradcheck(lambda *ps: tg.stack(ps, dim) ** 2, parts)


def test_cat_stack_errors_name_the_op_and_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        tg.cat([a, b])
    with pytest.raises(ValueError, match=r"cat.*\(2, 3\).*\(3,\)"):
        tg.cat([a, Tensor(np.ones(3))])
    with pytest.raises(ValueError, match=r"stack.*\(2, 3\).*\(2, 4\)"):
        tg.stack([a, b])
    with pytest.raises(ValueError, match="cat"):
        tg.cat([])
    with pytest.raises(ValueError, match="stack"):
        tg.stack([])
    with pytest.raises(IndexError, match="cat"):
        tg.cat([a, a], dim=2)


# ----- diagonal: a view -----------------------------------------------------------------
@given(shape=shapes(min_dims=2, max_dims=4, max_side=4), data=st.data())
def test_diagonal_is_numpys_diagonal_a_writeable_view_and_differentiable(shape, data):
    x = leaf(data, shape)
    nd = len(shape)
    d1, d2 = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2, unique_by=
                                lambda d: d % nd))
    offset = data.draw(st.integers(-4, 4))
    y = x.diagonal(offset, d1, d2)
    np.testing.assert_array_equal(y.data, np.diagonal(x.data, offset, d1, d2))
    assert gradcheck(lambda x: x.diagonal(offset, d1, d2), (x,))
    assert gradgradcheck(lambda x: x.diagonal(offset, d1, d2) ** 2, (x,))
    plain = Tensor(x.data.copy())
    plain.diagonal(offset, d1, d2).fill_(7.0)   # writes through to the tensor, as PyTorch's
    want = x.data.copy()
    view = np.diagonal(want, offset, d1, d2)
    view.setflags(write=True)
    view[...] = 7.0
    np.testing.assert_array_equal(plain.data, want)


# ----- one element picked by integers: a 0-d view, as PyTorch's select -------------

@pytest.mark.parametrize("pick", [lambda x: x[1, 2], lambda x: x[1][2], lambda x: x[-1, -1],
                                  lambda x: x.select(0, 1)[2], lambda x: x.unbind()[1][2],
                                  lambda x: list(x[1])[2], lambda x: x[Tensor(1), 2]])
def test_an_element_picked_by_integers_is_a_view_that_writes_through(pick):
    """numpy gives a scalar copy there, so x[0].mul_(2) changed nothing."""
    x = Tensor(np.arange(6.0).reshape(2, 3))
    element = pick(x)
    assert element.shape == ()
    element.mul_(10)
    np.testing.assert_array_equal(x.data, [[0, 1, 2], [3, 4, 50]])
    x.add_(1)
    assert element.item() == 51.0   # and sees later changes of x


def test_an_element_of_a_leaf_that_requires_grad_refuses_an_inplace_change():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="add_"):
        x[0].add_(1)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    (x[1] * 3 + x[Tensor(0)]).backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 3.0])


def test_view_refuses_what_would_need_a_copy_as_pytorch_and_contiguous_makes_it_possible():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"view.*reshape"):
        x.t().view(6)
    flat = x.t().contiguous().view(6)   # a C-ordered copy first: then a view of it
    np.testing.assert_array_equal(flat.data, [0, 3, 1, 4, 2, 5])
    assert x.t().contiguous().is_contiguous() and x.contiguous() is x
    (flat * Tensor(np.arange(6.0))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 2, 4], [1, 3, 5]])
    v = x.detach().view(3, 2)   # contiguous: a view that writes through
    v.mul_(2)
    assert x.data[1, 2] == 10.0
    assert x.t().reshape(6).shape == (6,) and x[:, :1].view(2).shape == (2,)
