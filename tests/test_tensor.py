"""Tensor construction, dtype rules, attributes, repr, factories, seeding and
in-place updates (issue 2, "Tensor")."""
import numpy as np
import pytest
from hypothesis import given

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.testing import arrays, shapes


# ----- construction and dtype rules (those of torch.tensor) ---------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([[1, 2.5], [3, 4]], np.float32),        # a float anywhere makes it float
    (np.array([1.0, 2.0]), np.float64),       # numpy float64 stays float64
    (np.array([1.0], dtype=np.float32), np.float32),
    (np.array([1.0], dtype=np.float16), np.float16),
    (np.float64(2.0), np.float64),
    (3, np.int64),
    ([1, 2, 3], np.int64),
    (np.array([1, 2], dtype=np.int32), np.int32),    # numpy's integer dtypes stay, as in
    (np.array([1, 2], dtype=np.uint8), np.uint8),    # PyTorch (raw MNIST bytes are uint8)
    (np.int32(5), np.int32),
    ([Tensor(1.0), Tensor(2.0)], np.float32),        # a list of 0-d tensors
    (True, np.bool_),
    ([True, False], np.bool_),
    (np.array([True]), np.bool_),
])
def test_dtype_rules(data, dtype):
    for t in (Tensor(data), tg.tensor(data)):
        assert t.dtype == dtype
        np.testing.assert_array_equal(t.data, np.asarray(data))


def test_explicit_dtype_wins():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tg.tensor(1.5, dtype=tg.float64).dtype == np.float64
    assert tg.tensor([1.7], dtype=tg.int64).dtype == np.int64


def test_unsupported_data_is_a_type_error():
    with pytest.raises(TypeError, match="tensor"):
        Tensor("abc")
    with pytest.raises(TypeError, match="tensor"):
        Tensor(np.array(["a"]))


@given(arrays())
def test_construction_copies(a):
    """Like torch.tensor, the data is copied: later changes to the source do not show."""
    t = Tensor(a)
    assert t.dtype == a.dtype and t.shape == a.shape
    np.testing.assert_array_equal(t.data, a)
    assert not np.shares_memory(t.data, a)
    from_tensor = Tensor(t)
    assert not np.shares_memory(from_tensor.data, t.data)


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = tg.from_numpy(a)
    a[0] = 5.0
    assert t.data[0] == 5.0 and t.dtype == np.float64


@pytest.mark.parametrize("make", [
    lambda: Tensor([1, 2], requires_grad=True),
    lambda: Tensor([True], requires_grad=True),
    lambda: Tensor([1, 2]).requires_grad_(),
    lambda: tg.zeros(2, dtype=tg.int64, requires_grad=True),
    lambda: tg.arange(5, requires_grad=True),
])
def test_integer_and_bool_tensors_cannot_require_grad(make):
    with pytest.raises(RuntimeError, match="floating"):
        make()


def test_int_tensor_error_names_the_dtype():
    t = Tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
        t.requires_grad = True
    assert not t.requires_grad


# ----- attributes ------------------------------------------------------------------
def test_array_facts():
    a = np.arange(6.0).reshape(2, 3)
    t = Tensor(a)
    assert isinstance(t.data, np.ndarray)
    assert t.numpy() is t.data
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64
    assert t.numel() == 6 and t.size() == (2, 3) and t.size(1) == 3 and len(t) == 2
    assert t.tolist() == a.tolist()


def test_item():
    assert Tensor(2.5).item() == 2.5 and isinstance(Tensor(2.5).item(), float)
    assert Tensor([[7]]).item() == 7 and isinstance(Tensor([[7]]).item(), int)
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_leaf_and_non_leaf_state():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    y = x * 2
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn is not None and "Mul" in y.grad_fn.name()
    c = Tensor([1.0, 2.0])
    assert not c.requires_grad and c.is_leaf and (c * 2).grad_fn is None
    assert not (c * 2).requires_grad


def test_non_leaf_cannot_stop_requiring_grad():
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False


def test_requires_grad_():
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_detach_shares_memory_and_leaves_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    np.testing.assert_array_equal(d.data, [3.0, 6.0])


def test_retain_grad_keeps_an_intermediate_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = x * 4
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    (y * y + z).sum().backward()
    np.testing.assert_allclose(y.grad.data, 2 * y.data)   # d(y^2)/dy
    assert z.grad is None                                 # not kept without retain_grad
    np.testing.assert_allclose(x.grad.data, 2 * 9 * x.data + 4)


def test_retain_grad_and_hooks_need_requires_grad():
    c = Tensor([1.0])
    with pytest.raises(RuntimeError, match="retain_grad"):
        c.retain_grad()
    with pytest.raises(RuntimeError, match="register_hook"):
        c.register_hook(lambda g: g)


def test_register_hook_sees_the_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])


# ----- repr (PyTorch's format) -------------------------------------------------------
def test_repr_like_pytorch():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(Tensor([1, 2])) == "tensor([1, 2])"
    assert repr(Tensor(1.5)) == "tensor(1.5000)"   # as torch 2.13 prints it
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    y = Tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward>)"
    assert "dtype=float64" in repr(Tensor(np.array([1.0])))


# ----- factories -----------------------------------------------------------------
@pytest.mark.parametrize("factory, value", [(tg.zeros, 0.0), (tg.ones, 1.0)])
def test_zeros_ones_shapes_as_varargs_or_tuple(factory, value):
    for t in (factory(2, 3), factory((2, 3)), factory([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and t.is_leaf
        assert np.all(t.data == value)
    assert factory(()).shape == () and factory(4).shape == (4,)
    assert factory(2, dtype=tg.float64).dtype == np.float64
    assert factory(2, requires_grad=True).requires_grad


def test_full():
    t = tg.full((2, 3), 1.5)
    assert t.shape == (2, 3) and t.dtype == np.float32 and np.all(t.data == 1.5)
    assert tg.full(3, 2).dtype == np.int64 and tg.full([2], True).dtype == np.bool_
    assert tg.full((2,), 2, dtype=tg.float64).dtype == np.float64
    # a numpy scalar fill counts as a Python number, as in PyTorch
    assert tg.full((2,), np.float64(1.5)).dtype == np.float32
    assert tg.full((2,), np.int32(1)).dtype == np.int64


def test_as_tensor_shares_an_array_and_keeps_a_tensors_graph_as_pytorch():
    a = np.array([1.0, 2.0])
    t = tg.as_tensor(a)
    a[0] = 9.0
    assert t.dtype == np.float64 and t.data.tolist() == [9.0, 2.0]   # shared, not copied
    assert tg.as_tensor(a, dtype=np.float32).data.tolist() == [9.0, 2.0]
    assert tg.as_tensor(np.array([1, 2], np.uint8)).dtype == np.uint8
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = tg.as_tensor(x, dtype=np.float64)   # x.to(float64): still in x's graph
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


@given(shapes(max_dims=3))
def test_zeros_like_ones_like_keep_shape_and_dtype(shape):
    for dtype in (np.float32, np.float64, np.int64):
        t = Tensor(np.zeros(shape, dtype=dtype))
        z, o = tg.zeros_like(t), tg.ones_like(t)
        assert z.shape == o.shape == shape and z.dtype == o.dtype == dtype
        assert np.all(z.data == 0) and np.all(o.data == 1)
    assert tg.zeros_like(t, dtype=tg.float32).dtype == np.float32


def test_arange():
    np.testing.assert_array_equal(tg.arange(5).data, np.arange(5))
    assert tg.arange(5).dtype == np.int64
    np.testing.assert_array_equal(tg.arange(2, 8, 2).data, [2, 4, 6])
    t = tg.arange(0.0, 1.0, 0.25)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.data, [0, 0.25, 0.5, 0.75])


def test_eye():
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    np.testing.assert_array_equal(tg.eye(2, 3).data, np.eye(2, 3))
    assert tg.eye(3).dtype == np.float32


def test_randn_and_rand_statistics():
    n = tg.randn(200, 100)
    assert n.shape == (200, 100) and n.dtype == np.float32
    assert abs(n.data.mean()) < 0.03 and abs(n.data.std() - 1) < 0.03
    assert tg.randn((2, 3)).shape == (2, 3)
    u = tg.rand(200, 100, dtype=tg.float64)
    assert u.dtype == np.float64
    assert u.data.min() >= 0 and u.data.max() < 1 and abs(u.data.mean() - 0.5) < 0.02
    assert tg.randn(3, requires_grad=True).requires_grad


def test_manual_seed_reproduces_every_random_factory():
    def draw():
        return [tg.randn(4).data, tg.rand(2, 2).data, tg.randint(0, 10, (5,)).data,
                tg.randperm(6).data, tg.zeros(3).normal_().data]

    tg.manual_seed(123)
    first = draw()
    tg.manual_seed(123)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(4).data, first[0])


# ----- in-place updates --------------------------------------------------------------
@pytest.mark.parametrize("update", [
    lambda w: w.add_(1.0),
    lambda w: w.sub_(1.0),
    lambda w: w.mul_(2.0),
    lambda w: w.div_(2.0),
    lambda w: w.zero_(),
    lambda w: w.fill_(3.0),
    lambda w: w.copy_(np.ones(3)),
    lambda w: w.normal_(),
    lambda w: w.uniform_(),
])
def test_in_place_refuses_grad_requiring_tensors(update):
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    before = w.data.copy()
    with pytest.raises(RuntimeError, match="no_grad"):
        update(w)
    np.testing.assert_array_equal(w.data, before)   # nothing changed
    with tg.no_grad():
        assert update(w) is w
    assert w.requires_grad and w.is_leaf


def test_augmented_assignment():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w += 1
    with tg.no_grad():
        w -= 0.5 * Tensor([2.0, 2.0])
    np.testing.assert_allclose(w.data, [0.0, 1.0])
    c = Tensor([1.0, 2.0])
    c *= 3
    c /= 2
    np.testing.assert_allclose(c.data, [1.5, 3.0])


def test_in_place_updates_values():
    with tg.no_grad():
        w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        w.add_(Tensor([1.0, 1.0, 1.0]), alpha=-2)
        np.testing.assert_allclose(w.data, [-1.0, 0.0, 1.0])
        w.copy_(Tensor([5.0]))
        np.testing.assert_allclose(w.data, [5.0, 5.0, 5.0])
        with pytest.raises(ValueError, match=r"copy_.*\(2,\).*\(3,\)"):
            w.copy_(np.ones(2))


# ----- dtype conversion -------------------------------------------------------------
def test_float_conversions_are_differentiable():
    x = Tensor(np.array([0.5, 2.0], dtype=np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad and x.to(np.float32) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [1.0, 4.0])
    z = Tensor(np.array([1.5]), requires_grad=True)
    (z.float() * 2).sum().backward()
    assert z.grad.dtype == np.float64 and z.grad.item() == 2.0


def test_integer_and_bool_conversions_leave_the_graph():
    x = Tensor(np.array([0.0, 1.7, -2.2]), requires_grad=True)
    for t, dtype in ((x.long(), np.int64), (x.int(), np.int32), (x.bool(), np.bool_)):
        assert t.dtype == dtype and not t.requires_grad
    np.testing.assert_array_equal(x.long().data, [0, 1, -2])
    np.testing.assert_array_equal(x.bool().data, [False, True, True])


def test_a_0d_tensor_formats_as_its_number_in_f_strings():
    loss = Tensor(2.5)
    assert f"{loss:.4f}" == "2.5000" and f"{Tensor(3):>4}" == "   3" and f"{loss}" == "2.5"
    assert f"{Tensor([1.0, 2.0])}" == repr(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError):   # a spec for several numbers: PyTorch's TypeError
        f"{Tensor([1.0, 2.0]):.2f}"


def test_randint_takes_high_and_size_as_pytorch():
    tg.manual_seed(0)
    for t, high in ((tg.randint(5, (3,)), 5), (tg.randint(3, size=(2, 2)), 3)):
        assert t.dtype == np.int64 and t.data.min() >= 0 and t.data.max() < high
    assert tg.randint(5, (3,)).shape == (3,) and tg.randint(2, 5, (4, 2)).shape == (4, 2)
    t = tg.randint(2, 5, (1000,))
    assert set(t.data.tolist()) == {2, 3, 4}


def test_arange_reads_0d_tensor_arguments_as_their_numbers():
    counted = tg.arange(Tensor(3))
    assert counted.data.tolist() == [0, 1, 2] and counted.dtype == np.int64
    assert tg.arange(Tensor(1), 4).dtype == np.int64 and tg.arange(Tensor(2.5)).dtype == np.float32


def test_integer_and_bool_results_take_pytorchs_dtypes():
    b = Tensor([True, False, True])
    assert b.sum().dtype == np.int64 and b.sum().item() == 2
    bytes_ = Tensor(np.array([200, 100], np.uint8))
    assert bytes_.sum().dtype == np.int64 and bytes_.sum().item() == 300   # not uint64
    assert (b ** 2).dtype == np.int64 and (b ** 2).data.tolist() == [1, 0, 1]
    assert b.square().dtype == np.int64 and (b ** 0.5).dtype == np.float32
    assert b.sign().dtype == np.bool_ and b.sign().data.tolist() == [True, False, True]


@pytest.mark.parametrize("name, f, df", [
    ("exp_", np.exp, np.exp), ("relu_", lambda v: np.maximum(v, 0), lambda v: (v > 0) * 1.0),
    ("tanh_", np.tanh, lambda v: 1 - np.tanh(v) ** 2),
    ("sigmoid_", lambda v: 1 / (1 + np.exp(-v)), lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
    ("neg_", np.negative, lambda v: -np.ones_like(v)), ("abs_", np.abs, np.sign),
    ("sin_", np.sin, np.cos), ("cos_", np.cos, lambda v: -np.sin(v)),
    ("expm1_", np.expm1, np.exp)])
def test_inplace_unary_ops_change_the_tensor_and_are_recorded(name, f, df):
    v = np.array([[0.5, -2.0], [3.0, 1.5]])
    x = Tensor(v, requires_grad=True)
    y = x * 1
    assert getattr(y, name)() is y
    np.testing.assert_allclose(y.data, f(v), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, df(v), rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(Tensor(v, requires_grad=True), name)()


def test_log_sqrt_log1p_pow_in_place():
    x = Tensor([4.0, 9.0], dtype=np.float64, requires_grad=True)
    y = x * 1
    y.sqrt_()
    y.pow_(3)   # x^1.5
    y.sum().backward()
    np.testing.assert_allclose(y.data, [8.0, 27.0])
    np.testing.assert_allclose(x.grad.data, [1.5 * 2.0, 1.5 * 3.0])
    z = Tensor([np.e - 1, 0.0])
    z.log1p_()
    np.testing.assert_allclose(z.data, [1.0, 0.0], rtol=1e-6)
    z.exp_()
    z.log_()
    np.testing.assert_allclose(z.data, [1.0, 0.0], atol=1e-6)


def test_stacking_splitting_and_selecting_helpers_as_pytorch():
    assert tg.hstack([tg.ones(2), tg.zeros(3)]).shape == (5,)
    assert tg.hstack([tg.ones(2, 1), tg.zeros(2, 3)]).shape == (2, 4)
    assert tg.vstack([tg.ones(2), tg.zeros(2)]).data.tolist() == [[1, 1], [0, 0]]
    assert tg.vstack([tg.ones(1, 3), tg.zeros(2, 3)]).shape == (3, 3)
    assert tg.ones(2, 6).unflatten(1, (2, -1)).shape == (2, 2, 3)
    assert tg.empty_like(tg.ones(2, 3, dtype=np.float64)).dtype == np.float64
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    picked = x.masked_select(Tensor([True, False]))   # the mask broadcasts over rows
    assert picked.data.tolist() == [1.0, 3.0]
    picked.sum().backward()
    assert x.grad.data.tolist() == [[1, 0], [1, 0]]
    x.grad = None
    r = x.repeat_interleave(2, dim=0)
    assert r.data.tolist() == [[1, 2], [1, 2], [3, 4], [3, 4]]
    (r * tg.arange(4.0).reshape(4, 1)).sum().backward()
    assert x.grad.data.tolist() == [[1, 1], [5, 5]]   # 0 + 1 and 2 + 3: repeats add
    assert Tensor([1, 2, 3]).repeat_interleave(Tensor([1, 0, 2])).data.tolist() == [1, 3, 3]
    assert tg.repeat_interleave(Tensor([[1, 2], [3, 4]]), 2).data.tolist() == [1, 1, 2, 2, 3, 3,
                                                                               4, 4]


def test_flatten_arange_and_none_comparisons_refuse_or_answer_as_pytorch():
    x = tg.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="start_dim"):
        x.flatten(2, 1)
    with pytest.raises(IndexError):
        x.flatten(0, 3)
    with pytest.raises(IndexError):
        Tensor(1.0).flatten(1)
    assert x.flatten(-2).shape == (2, 12) and Tensor(1.0).flatten(0, -1).shape == (1,)
    for bad in ((1, 0, 1), (0, 5, 0), (0, -1)):
        with pytest.raises(RuntimeError, match="arange"):
            tg.arange(*bad)
    assert tg.arange(3, 0, -1).data.tolist() == [3, 2, 1] and tg.arange(0, 0).shape == (0,)
    assert (x == None) is False and (x != None) is True   # noqa: E711 - the point of the test


def test_float_ops_on_bytes_and_bools_compute_in_float32_not_float16():
    """numpy computes these in float16; widening afterwards kept float16's three digits."""
    x = Tensor(np.array([17, 200], np.uint8))
    np.testing.assert_allclose(x.sqrt().data, np.sqrt([17.0, 200.0]), rtol=1e-7)
    assert x.exp().data[0] == np.float32(np.exp(np.float32(17)))   # not inf, not float16's
    np.testing.assert_allclose(Tensor([True]).log1p().data, [np.log(2)], rtol=1e-7)
    assert x.sqrt().dtype == np.float32


def test_lists_of_one_element_tensors_read_as_pytorch():
    doubles = [Tensor(1.0, dtype=np.float64), Tensor(2.0, dtype=np.float64)]
    assert Tensor(doubles).dtype == np.float64
    t = tg.tensor([Tensor([1.0]), Tensor([[3.0]])])   # each one element: a number
    assert t.shape == (2,) and t.data.tolist() == [1.0, 3.0]
    assert tg.tensor([Tensor(1), 2.5]).dtype == np.float32   # a float beside an int64 tensor
    with pytest.raises(ValueError, match="one-element"):
        tg.tensor([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])


def test_a_uint8_index_is_a_mask_as_in_pytorch():
    picked = tg.arange(3)[Tensor(np.array([1, 0, 1], np.uint8))]
    assert picked.data.tolist() == [0, 2]


def test_lists_mixing_tensors_and_numbers_promote_as_pytorch():
    for entries, dtype, values in (
            ([Tensor(np.array(1, np.uint8)), -1], np.int64, [1, -1]),   # no wrap-around
            ([Tensor(np.array(1, np.int32)), 5], np.int64, [1, 5]),
            ([Tensor(np.array(1, np.float16)), 5.0], np.float32, [1.0, 5.0]),   # as PyTorch
            ([Tensor(np.array(1, np.int32)), Tensor(2.0)], np.float32, [1.0, 2.0]),
            ([Tensor(1.0), np.float64(2)], np.float64, [1.0, 2.0]),
            ([Tensor(True), False], np.bool_, [True, False])):
        t = tg.tensor(entries)
        assert t.dtype == dtype and t.data.tolist() == values


def test_numpy_scalars_in_lists_keep_their_dtypes_as_in_pytorch():
    for entries, dtype in (
            ([np.float64(0.1), np.float64(2)], np.float64),   # numpy made float64, we float32
            ([[np.float64(0.1)], [2.0]], np.float64),          # nested, beside Python floats
            ([np.int32(1), np.int32(2)], np.int32),
            ([np.int32(1), 2], np.int64),                      # a Python int is int64
            ([np.float16(1), 2.0], np.float32),                # a Python float is float32
            ([np.float16(1), 2], np.float16),                  # a float beats any integer
            ([np.uint8(1), np.int8(-2)], np.int16),
            ([True, np.int16(3)], np.int16),
            ([0.1, 2.0], np.float32),                          # no numpy scalar: the default
            ([np.array([0.1, 0.2]), np.array([0.3, 0.4])], np.float64),   # arrays count too
            ([np.array([1, 2], np.int32), np.array([3, 4], np.int32)], np.int32)):
        t = tg.tensor(entries)
        assert t.dtype == dtype
        np.testing.assert_array_equal(t.data, np.array(entries, dtype=dtype))


def test_a_uint8_array_index_is_a_mask_too():
    assert tg.arange(6).reshape(2, 3)[np.array([1, 0], np.uint8)].data.tolist() == [[0, 1, 2]]


def test_module_level_forms_constants_and_inference_mode():
    x = Tensor([1.0, -2.0], requires_grad=True)
    assert tg.eq(x, 1).data.tolist() == tg.gt(x, 0).data.tolist() == [True, False]
    assert tg.any(x > 0).item() and not tg.all(x > 0).item()
    assert tg.sign(x).data.tolist() == [1.0, -1.0] and tg.square(x).data.tolist() == [1.0, 4.0]
    assert tg.clip(x, -1, 0).data.tolist() == [0.0, -1.0]
    assert tg.clamp_min(x, 0).data.tolist() == [1.0, 0.0]
    assert tg.inf == float("inf") and tg.pi == np.pi and np.isnan(tg.nan)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad

    @tg.inference_mode
    def bare():
        return (x * 2).requires_grad

    @tg.inference_mode()
    def called():
        return (x * 2).requires_grad
    assert not bare() and not called() and (x * 2).requires_grad


def test_inference_mode_false_turns_grad_on_as_pytorchs_guard():
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad(), tg.inference_mode(False):
        assert tg.is_grad_enabled() and (x * 2).requires_grad
    with tg.inference_mode(), tg.inference_mode(False):
        assert (x * 2).requires_grad


def test_numpy_scalars_and_0d_arrays_beside_tensors_keep_their_dtype():
    assert tg.tensor([Tensor(np.array(1, np.int8)), np.array(2, np.int8)]).dtype == np.int8
    assert tg.tensor([Tensor(1.0), np.array(2.5)]).dtype == np.float64
    with pytest.raises(IndexError, match="prod"):
        Tensor(3.0).prod(1)


def test_factories_refuse_negative_sizes_and_non_numbers_as_pytorch():
    for make in (lambda: tg.zeros(-1), lambda: tg.ones(2, -3), lambda: tg.empty(-1),
                 lambda: tg.randn(-2), lambda: tg.rand(-1), lambda: tg.full((-1,), 2.0),
                 lambda: tg.randint(0, 3, (-1,))):
        with pytest.raises(RuntimeError, match=r"negative dimension: \["):
            make()
    for make in (lambda: tg.full((2,), tg.tensor([1.0, 2.0])), lambda: tg.full((2,), [1.0]),
                 lambda: tg.arange(tg.tensor([1, 2]))):
        with pytest.raises(TypeError, match="must be a number"):
            make()
    assert tg.full((2,), tg.tensor(1.5)).data.tolist() == [1.5, 1.5]   # a 0-d tensor is one
    assert tg.arange(tg.tensor(3)).data.tolist() == [0, 1, 2]


def test_repeat_interleave_and_masked_select_misuse_raise_pytorchs_runtime_error():
    x = tg.tensor([1, 2])
    for bad, message in ((lambda: x.repeat_interleave(tg.tensor([1, 2, 3])), "one per entry"),
                         (lambda: x.repeat_interleave(-1), "non-negative"),
                         (lambda: x.repeat_interleave(1.5), "non-negative integers"),
                         (lambda: x.masked_select(tg.tensor([True, False, True])), "broadcast")):
        with pytest.raises(RuntimeError, match=message):
            bad()
    assert x.repeat_interleave(tg.tensor([1])).data.tolist() == [1, 2]   # one count for all


def test_pad_and_loss_misuse_raise_runtime_errors_that_are_value_errors_too():
    from tinygrad_nndl.nn import functional as F
    for bad in (lambda: F.pad(tg.ones(2, 2), (1,)), lambda: F.pad(tg.ones(2), (-3, 0)),
                lambda: F.mse_loss(tg.ones(2, 3), tg.ones(3, 3)),
                lambda: F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0])),
                lambda: F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 1]), label_smoothing=2.0)):
        with pytest.raises(RuntimeError) as caught:
            bad()
        assert isinstance(caught.value, ValueError)   # numpy-era code catching these still does
