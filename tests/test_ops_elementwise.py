"""Elementwise ops: values against numpy over hypothesis shapes (broadcasting
pairs included), float64 gradcheck and gradgradcheck, reflected operators,
PyTorch's subgradients at kinks, comparisons, dtypes and large inputs."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.testing import arrays, assert_grad_matches, broadcastable_shapes, shapes

# Small shapes keep finite differences cheap (two evaluations per element).
SMALL = shapes(max_dims=3, max_side=3)
SMALL_PAIRS = broadcastable_shapes(2, max_dims=3, max_side=3)


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


ANY = floats(-5, 5)
POSITIVE = floats(0.1, 5)
# Kinks (0 for relu/abs, the bounds of clamp) kept further than eps away, so
# that central differences see one smooth piece.
AWAY_FROM_0 = st.one_of(floats(-5, -0.01), floats(0.01, 5))
AWAY_FROM_PM1 = floats(-3, 3).filter(lambda v: abs(abs(v) - 1) > 0.01)
# Two disjoint grids: a value from HALVES never ties with one from WHOLES.
HALVES = st.integers(-4, 4).map(lambda k: k + 0.5)
WHOLES = st.integers(-4, 4).map(float)


def sigmoid_ref(x):
    return 1 / (1 + np.exp(-x))


UNARY = {
    # name: (op on a Tensor, the same math in numpy, element strategy)
    "neg": (lambda t: -t, np.negative, ANY),
    "pos": (lambda t: +t, lambda x: x, ANY),
    "exp": (Tensor.exp, np.exp, ANY),
    "log": (Tensor.log, np.log, POSITIVE),
    "sqrt": (Tensor.sqrt, np.sqrt, POSITIVE),
    "abs": (Tensor.abs, np.abs, AWAY_FROM_0),
    "builtin_abs": (abs, np.abs, AWAY_FROM_0),
    "tanh": (Tensor.tanh, np.tanh, ANY),
    "sigmoid": (Tensor.sigmoid, sigmoid_ref, ANY),
    "relu": (Tensor.relu, lambda x: np.maximum(x, 0), AWAY_FROM_0),
    "clamp": (lambda t: t.clamp(-1, 1), lambda x: np.clip(x, -1, 1), AWAY_FROM_PM1),
    "clamp_min": (lambda t: t.clamp(min=1), lambda x: np.maximum(x, 1), AWAY_FROM_PM1),
    "clamp_max": (lambda t: t.clamp(max=-1), lambda x: np.minimum(x, -1), AWAY_FROM_PM1),
    "square": (Tensor.square, np.square, ANY),
    "pow_2": (lambda t: t ** 2, lambda x: x ** 2, ANY),
    "pow_3": (lambda t: t ** 3, lambda x: x ** 3, ANY),
    "pow_-1": (lambda t: t ** -1, lambda x: x ** -1.0, AWAY_FROM_0),
    "pow_half": (lambda t: t ** 0.5, np.sqrt, POSITIVE),
    "pow_0": (lambda t: t ** 0, np.ones_like, ANY),
    # reflected operators with Python numbers
    "radd": (lambda t: 2 + t, lambda x: 2 + x, ANY),
    "rsub": (lambda t: 1 - t, lambda x: 1 - x, ANY),
    "rmul": (lambda t: 2 * t, lambda x: 2 * x, ANY),
    "rdiv": (lambda t: 1 / t, lambda x: 1 / x, AWAY_FROM_0),
    "rpow": (lambda t: 2 ** t, lambda x: 2.0 ** x, ANY),
    "rpow_float": (lambda t: 0.5 ** t, lambda x: 0.5 ** x, ANY),
    "sub_number": (lambda t: t - 3, lambda x: x - 3, ANY),
    "div_number": (lambda t: t / 4, lambda x: x / 4, ANY),
    # functional forms
    "tg.exp": (tg.exp, np.exp, ANY),
    "tg.sigmoid": (tg.sigmoid, sigmoid_ref, ANY),
    "tg.relu": (tg.relu, lambda x: np.maximum(x, 0), AWAY_FROM_0),
    "tg.clamp": (lambda t: tg.clamp(t, -1, 1), lambda x: np.clip(x, -1, 1), AWAY_FROM_PM1),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary(name, data):
    op, ref, elements = UNARY[name]
    x = Tensor(data.draw(arrays(SMALL, elements=elements)), requires_grad=True)
    y = op(x)
    assert y.shape == x.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.data, ref(x.data), rtol=1e-12, atol=1e-12)
    assert gradcheck(op, (x,))
    assert gradgradcheck(op, (x,))


BINARY = {
    # name: (op, numpy op, elements of a, elements of b)
    "add": (lambda a, b: a + b, np.add, ANY, ANY),
    "sub": (lambda a, b: a - b, np.subtract, ANY, ANY),
    "mul": (lambda a, b: a * b, np.multiply, ANY, ANY),
    "div": (lambda a, b: a / b, np.divide, ANY, AWAY_FROM_0),
    "pow": (lambda a, b: a ** b, np.power, POSITIVE, floats(-2, 2)),
    "maximum": (lambda a, b: a.maximum(b), np.maximum, HALVES, WHOLES),
    "minimum": (lambda a, b: a.minimum(b), np.minimum, HALVES, WHOLES),
    "tg.maximum": (tg.maximum, np.maximum, HALVES, WHOLES),
    "tg.minimum": (tg.minimum, np.minimum, WHOLES, HALVES),
    "method_add": (Tensor.add, np.add, ANY, ANY),
    "method_div": (Tensor.div, np.divide, ANY, AWAY_FROM_0),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_broadcasting(name, data):
    op, ref, ea, eb = BINARY[name]
    sa, sb = data.draw(SMALL_PAIRS)
    a = Tensor(data.draw(arrays(sa, elements=ea)), requires_grad=True)
    b = Tensor(data.draw(arrays(sb, elements=eb)), requires_grad=True)
    y = op(a, b)
    assert y.shape == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(y.data, ref(a.data, b.data), rtol=1e-12, atol=1e-12)
    assert gradcheck(op, (a, b))
    assert gradgradcheck(op, (a, b))
    # one side a constant: only the other gets a gradient
    c = Tensor(b.data)
    (ga,) = tg.autograd.grad(op(a, c).sum(), a)
    (gb,) = tg.autograd.grad(op(a, b).sum(), a)
    np.testing.assert_allclose(ga.data, gb.data)


@given(data=st.data())
def test_where_broadcasts_three_ways(data):
    sc, sa, sb = data.draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = data.draw(arrays(sc, dtype=np.bool_, elements=st.booleans()))
    a = Tensor(data.draw(arrays(sa)), requires_grad=True)
    b = Tensor(data.draw(arrays(sb)), requires_grad=True)
    want = np.where(cond, a.data, b.data)
    for c in (cond, Tensor(cond)):
        np.testing.assert_array_equal(tg.where(c, a, b).data, want)
        np.testing.assert_array_equal(a.where(c, b).data, want)
    assert gradcheck(lambda a, b: tg.where(cond, a, b), (a, b))
    assert gradgradcheck(lambda a, b: tg.where(cond, a * a, b * a.sum()), (a, b))
    np.testing.assert_array_equal(tg.where(cond, a, 0.0).data, np.where(cond, a.data, 0.0))


@given(data=st.data())
def test_pow_tensor_exponent_closed_form(data):
    """d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a."""
    sa, sb = data.draw(SMALL_PAIRS)
    a = Tensor(data.draw(arrays(sa, elements=POSITIVE)), requires_grad=True)
    b = Tensor(data.draw(arrays(sb, elements=floats(-2, 2))), requires_grad=True)

    def closed(av, bv):
        def back(g, shape):   # sum a broadcast gradient back to an input's shape
            g = g.sum(axis=tuple(range(g.ndim - len(shape))))
            return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)
        return back(bv * av ** (bv - 1), av.shape), back(av ** bv * np.log(av), bv.shape)

    assert_grad_matches(lambda a, b: a ** b, closed, a, b)


# ----- reflected operators with numpy arrays and numbers ------------------------------
REFLECTED = [
    (lambda n, t: n + t, lambda n, x: n + x),
    (lambda n, t: n - t, lambda n, x: n - x),
    (lambda n, t: n * t, lambda n, x: n * x),
    (lambda n, t: n / t, lambda n, x: n / x),
    (lambda n, t: n ** t, lambda n, x: n ** x),
    (lambda n, t: t ** n, lambda n, x: x ** n),
]


@pytest.mark.parametrize("op, ref", REFLECTED)
@given(data=st.data())
def test_reflected_with_numpy_arrays(op, ref, data):
    sa, sb = data.draw(SMALL_PAIRS)
    n = data.draw(arrays(sa, elements=floats(0.5, 2)))
    t = Tensor(data.draw(arrays(sb, elements=floats(0.5, 2))), requires_grad=True)
    y = op(n, t)
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_allclose(y.data, ref(n, t.data), rtol=1e-12)
    assert gradcheck(lambda t: op(n, t), (t,))
    # numpy scalars act like Python numbers
    s = np.float64(1.5)
    assert isinstance(op(s, t), Tensor)
    np.testing.assert_allclose(op(s, t).data, ref(1.5, t.data), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_numbers_keep_the_tensor_dtype(dtype):
    x = Tensor(np.array([0.5, 1.5], dtype=dtype), requires_grad=True)
    outs = [2 * x, x * 2.5, 1 - x, x - 1, 2 ** x, x ** 2, x ** 0.5, 1 / x, x / 3, x + 1,
            x.exp(), x.log(), x.sqrt(), x.sigmoid(), x.tanh(), x.relu(), abs(x),
            x.clamp(0, 1), x.maximum(1.0), tg.where(x.data > 1, x, 0.0)]
    for y in outs:
        assert y.dtype == dtype
    sum(y.sum() for y in outs).backward()
    assert x.grad.dtype == dtype


def test_mixed_precision_promotes_and_grads_keep_input_dtype():
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.data, [3.0, 4.0])


# ----- subgradients at kinks: PyTorch's choices ---------------------------------------
def _grad(f, values):
    x = Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    f(x).sum().backward()
    return x.grad.data


def test_relu_and_abs_have_zero_subgradient_at_zero():
    np.testing.assert_array_equal(_grad(Tensor.relu, [-1.0, 0.0, 2.0]), [0, 0, 1])
    np.testing.assert_array_equal(_grad(Tensor.abs, [-1.0, 0.0, 2.0]), [-1, 0, 1])


def test_clamp_passes_the_gradient_at_its_bounds():
    np.testing.assert_array_equal(_grad(lambda x: x.clamp(0, 1), [-1, 0, 0.5, 1, 2]),
                                  [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_grad(lambda x: x.clamp(min=0), [-1, 0, 1]), [0, 1, 1])
    np.testing.assert_array_equal(_grad(lambda x: x.clamp(max=0), [-1, 0, 1]), [1, 1, 0])


def test_clamp_with_tensor_bounds_sends_the_clipped_gradient_to_them():
    """PyTorch's rule: lo gets the gradient where x < lo (and lo < hi), hi where
    x > hi (or hi < lo), x where lo <= x <= hi; broadcast bounds sum theirs."""
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    lo = Tensor([2.0, 2.0, 2.0, 2.0], requires_grad=True)
    hi = Tensor([1.0, 5.0, 5.0, 3.0], requires_grad=True)   # hi < lo at the first entry
    y = x.clamp(lo, hi)
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 3.0, 3.0])
    (y * Tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 10, 100, 0])
    np.testing.assert_array_equal(lo.grad.data, [0, 0, 0, 0])   # ties at lo go to x
    np.testing.assert_array_equal(hi.grad.data, [1, 0, 0, 1000])
    x = Tensor([[0.0, 5.0], [3.0, -1.0]], requires_grad=True)
    lo, hi = Tensor(1.0, requires_grad=True), Tensor([4.0, 4.0], requires_grad=True)
    x.clamp(lo, hi).sum().backward()
    assert lo.grad.item() == 2.0   # two entries below 1
    np.testing.assert_array_equal(hi.grad.data, [0, 1])   # column 1's 5 above 4


@pytest.mark.parametrize("seed", range(3))
def test_clamp_with_tensor_bounds_passes_gradcheck(seed):
    rng = np.random.default_rng(seed)
    x, lo, hi = (Tensor(rng.uniform(-3, 3, s), requires_grad=True) for s in ((3, 4), (4,), (3, 1)))
    assert gradcheck(lambda x, lo, hi: x.clamp(lo, hi), (x, lo, hi))
    assert gradcheck(lambda x, lo: x.clamp(min=lo), (x, lo))


def test_maximum_minimum_split_ties_evenly():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 1.0, 4.0], requires_grad=True)
    (a.maximum(b) + a.minimum(b) * 10).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [5.5, 1, 10])
    np.testing.assert_array_equal(b.grad.data, [5.5, 10, 1])
    # a tie against a broadcast scalar: each side gets half
    np.testing.assert_array_equal(_grad(lambda x: x.maximum(1.0), [0.0, 1.0, 2.0]),
                                  [0, 0.5, 1])


def test_pow_at_zero_like_pytorch():
    # d/dx x^0 = 0 everywhere, x = 0 included; d/dx x^1 = 1 at 0; d/dx x^2 = 0 at 0
    np.testing.assert_array_equal(_grad(lambda x: x ** 0, [0.0, 1.0, 2.0]), [0, 0, 0])
    np.testing.assert_array_equal(_grad(lambda x: x ** 1, [0.0, 1.0]), [1, 1])
    np.testing.assert_array_equal(_grad(lambda x: x ** 2, [0.0, 1.0]), [0, 2])
    # tensor exponent: d/db 0^b = 0 (0^b ln 0 taken as 0), d/da a^0 = 0 at a = 0
    a = Tensor([0.0, 2.0], requires_grad=True)
    b = Tensor([0.0, 0.0], requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0, 0])
    np.testing.assert_allclose(b.grad.data, [0, np.log(2)])


# ----- comparisons: bool tensors, no gradient ---------------------------------------
COMPARISONS = [
    (lambda a, b: a < b, np.less), (lambda a, b: a <= b, np.less_equal),
    (lambda a, b: a > b, np.greater), (lambda a, b: a >= b, np.greater_equal),
    (lambda a, b: a == b, np.equal), (lambda a, b: a != b, np.not_equal),
]


@pytest.mark.parametrize("op, ref", COMPARISONS)
@given(data=st.data())
def test_comparisons_give_bool_tensors_without_grad(op, ref, data):
    sa, sb = data.draw(SMALL_PAIRS)
    ties = st.integers(-2, 2).map(float)   # small integers: many ties
    a = Tensor(data.draw(arrays(sa, elements=ties)), requires_grad=True)
    bv = data.draw(arrays(sb, elements=ties))
    for b, bval in ((Tensor(bv, requires_grad=True), bv), (bv, bv), (1.0, 1.0)):
        y = op(a, b)
        assert isinstance(y, Tensor) and y.dtype == np.bool_
        assert not y.requires_grad and y.grad_fn is None
        np.testing.assert_array_equal(y.data, ref(a.data, bval))
    # a numpy array on the left defers to the Tensor
    y = op(bv, a)
    assert isinstance(y, Tensor)
    np.testing.assert_array_equal(y.data, ref(bv, a.data))


def test_logical_ops_on_masks():
    a, b = Tensor([True, True, False]), Tensor([True, False, False])
    np.testing.assert_array_equal((a & b).data, [True, False, False])
    np.testing.assert_array_equal((a | b).data, [True, True, False])
    np.testing.assert_array_equal((a ^ b).data, [False, True, False])
    np.testing.assert_array_equal((~a).data, [False, False, True])


# ----- bad input -------------------------------------------------------------------
def test_broadcasting_mismatch_names_the_op_and_both_shapes():
    for op, name in ((lambda a, b: a + b, "add"), (lambda a, b: a * b, "mul"),
                     (tg.maximum, "maximum"), (lambda a, b: a ** b, "pow")):
        a = Tensor(np.ones((2, 3)), requires_grad=True)
        with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\).*\(4,\)"):
            op(a, Tensor(np.ones(4)))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp"):
        Tensor([1.0]).clamp()


# ----- numerics: large inputs stay finite and warning-free -----------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_tanh_finite_for_large_inputs(dtype):
    x = Tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype), requires_grad=True)
    s, t = x.sigmoid(), x.tanh()
    np.testing.assert_array_equal(s.data[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(t.data[[0, 2, 4]], [-1.0, 0.0, 1.0])
    (s.sum() + t.sum()).backward()
    assert np.all(np.isfinite(x.grad.data))
    # sigma' = sigma(1 - sigma) and tanh' = 1 - tanh^2: both 0 far out, 1/4 + 1 at 0
    np.testing.assert_allclose(x.grad.data[[0, 2, 4]], [0.0, 1.25, 0.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (3, 2)])
def test_sigmoid_and_tanh_gradients_are_their_closed_forms_for_every_rank(shape, dtype):
    """sigma' = sigma(1 - sigma) (BP1, BP2) and tanh' = 1 - tanh^2 times the
    upstream gradient, for a 0-d tensor too (numpy makes scalars of 0-d
    products, which take no out=)."""
    rng = np.random.default_rng(len(shape))
    z = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    for method, slope in (("sigmoid", lambda a: a * (1 - a)), ("tanh", lambda a: 1 - a * a)):
        x = Tensor(z, requires_grad=True)
        out = getattr(x, method)()
        out.backward(Tensor(g))
        a = out.data.astype(np.float64)
        assert x.grad.dtype == dtype and x.grad.shape == shape
        tol = 2e-3 if dtype == np.float16 else 1e-6
        np.testing.assert_allclose(x.grad.data, g * slope(a), rtol=tol, atol=tol)
    s = Tensor(np.asarray(0.5, dtype), requires_grad=True)
    (s * s).tanh().backward()   # a scalar's tanh inside a graph
    np.testing.assert_allclose(s.grad.data, 2 * 0.5 * (1 - np.tanh(0.25) ** 2), rtol=tol)


# ----- rounded division, remainders, log1p and expm1 -------------------------------

def test_floor_division_and_remainders_round_as_python_and_c():
    a, b = Tensor([7, -7, 7, -7]), Tensor([2, 2, -2, -2])
    assert (a // b).data.tolist() == [3, -4, -4, 3] and (a // b).dtype == np.int64
    assert (a % b).data.tolist() == [1, 1, -1, -1]                 # b's sign, as Python's
    assert tg.fmod(a, b).data.tolist() == [1, -1, 1, -1]           # a's sign, as C's
    assert a.div(b, rounding_mode="trunc").data.tolist() == [3, -3, -3, 3]
    assert (7 // Tensor([2, -2])).data.tolist() == [3, -4] and (7 % Tensor([3])).item() == 1
    x = Tensor([-2.5, 2.5, -7.0])
    assert (x // 2).data.tolist() == [-2.0, 1.0, -4.0] and (x // 2).dtype == np.float32
    assert x.div(2, rounding_mode="trunc").data.tolist() == [-1.0, 1.0, -3.0]
    assert (Tensor([7, -7]) // 2.5).dtype == np.float32
    with pytest.raises(RuntimeError, match="division by zero"):
        Tensor([1, 2]) // Tensor([1, 0])
    with pytest.raises(ValueError, match="rounding_mode"):
        x.div(2, rounding_mode="round")


def test_rounded_division_has_a_zero_gradient_and_remainders_the_closed_form():
    a = Tensor([7.0, -7.0, 2.5], requires_grad=True)
    b = Tensor([2.0, 2.0, 3.0], requires_grad=True)
    (a // b + a.div(b, rounding_mode="trunc")).sum().backward()
    assert a.grad.data.tolist() == [0, 0, 0] and b.grad.data.tolist() == [0, 0, 0]
    a.grad = b.grad = None
    (a % b * 10 + tg.fmod(a, b)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [11, 11, 11])
    # d/db (a - b floor(a/b)) = -floor(a/b); fmod's -trunc(a/b)
    np.testing.assert_array_equal(b.grad.data, [-10 * 3 - 3, -10 * -4 + 3, 0])


@pytest.mark.parametrize("seed", range(3))
def test_remainders_log1p_expm1_pass_gradcheck_and_gradgradcheck(seed):
    rng = np.random.default_rng(seed)
    a = Tensor(rng.uniform(-5, 5, (3, 4)), requires_grad=True)
    b = Tensor(rng.uniform(0.5, 2, (4,)) * rng.choice([-1, 1], 4), requires_grad=True)
    assert gradcheck(lambda a, b: a % b, (a, b)) and gradcheck(tg.fmod, (a, b))
    p = Tensor(rng.uniform(-0.9, 3, (5,)), requires_grad=True)
    for f in (Tensor.log1p, Tensor.expm1):
        assert gradcheck(f, (p,)) and gradgradcheck(f, (p,))


def test_log1p_and_expm1_are_exact_for_tiny_arguments():
    tiny = Tensor([1e-10], dtype=np.float64)
    assert tiny.log1p().item() == np.log1p(1e-10) and tiny.expm1().item() == np.expm1(1e-10)
    assert tg.log1p(tiny).item() != 0.0   # log(1 + 1e-10) in float64 would lose most digits


def test_module_level_arithmetic_as_pytorch():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 5.0])
    assert tg.add(a, b, alpha=2).data.tolist() == [7.0, 12.0]
    assert tg.sub(a, b, alpha=0.5).data.tolist() == [-0.5, -0.5]
    assert tg.mul(a, b).data.tolist() == tg.multiply(a, b).data.tolist() == [3.0, 10.0]
    assert tg.div(b, 2).data.tolist() == tg.true_divide(b, 2).data.tolist() == [1.5, 2.5]
    assert tg.div(b, 2, rounding_mode="floor").data.tolist() == [1.0, 2.0]
    assert tg.neg(a).data.tolist() == tg.negative(a).data.tolist() == [-1.0, -2.0]
    assert tg.subtract(b, 1).data.tolist() == [2.0, 4.0] and tg.add(2, a).dtype == np.float32
    assert tg.floor_divide(b, 2).data.tolist() == [1.0, 2.0]
    assert tg.remainder(b, 2).data.tolist() == [1.0, 1.0]


def test_trunc_division_of_floats_is_the_truncated_quotient():
    x = Tensor([1.0, float("inf"), -7.5])
    np.testing.assert_array_equal(x.div(Tensor([0.1, 2.0, 2.0]), rounding_mode="trunc").data,
                                  [10.0, np.inf, -3.0])   # 1/0.1 is 10 (floor-then-fix gave 9)


def test_integer_division_by_zero_of_nothing_is_empty():
    assert (tg.zeros(0, dtype=np.int64) // Tensor([0])).shape == (0,)
    assert (tg.zeros(0, dtype=np.int64) % Tensor(0)).shape == (0,)


def test_floor_division_and_remainder_in_place_write_through_views():
    base = Tensor([7.0, 8.0])
    v = base[:]
    v //= 2
    assert base.data.tolist() == [3.0, 4.0]
    v %= 3
    assert base.data.tolist() == [0.0, 1.0]
    c = Tensor([7.0, -7.0])
    c.div_(2, rounding_mode="trunc")
    assert c.data.tolist() == [3.0, -3.0]
    assert Tensor([7.0, 8.0]).divide(2, rounding_mode="floor").data.tolist() == [3.0, 4.0]
    with pytest.raises(RuntimeError, match="rounding_mode"):
        Tensor([1.0]).div(2, rounding_mode="round")
