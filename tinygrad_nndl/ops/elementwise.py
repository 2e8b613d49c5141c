"""Elementwise ops. Forward broadcasts like numpy; backward sums the gradient
back to each input's shape (``sum_to``)."""
import numpy as np

from ..autograd.function import OUT, Function, hush, unhush
from ..tensor.errors import OpError
from .dual import BLAS_DTYPES, astype, log, sum_to, value, where
from .piecewise import gate


def shape_of(x):
    """x's shape; a Python number's is ()."""
    return x.shape if type(x) is np.ndarray else np.shape(x)


class Add(Function):
    save_inputs = False   # the gradient passes through: only the shapes are needed

    def forward(self, a, b):
        self.shapes = shape_of(a), shape_of(b)
        return a + b

    def backward(self, g, out, a, b):
        sa, sb = self.shapes
        return (sum_to(g, sa) if self.needs[0] else None,
                sum_to(g, sb) if self.needs[1] else None)


class Sub(Function):
    save_inputs = False

    def forward(self, a, b):
        self.shapes = shape_of(a), shape_of(b)
        return a - b

    def backward(self, g, out, a, b):
        sa, sb = self.shapes
        return (sum_to(g, sa) if self.needs[0] else None,
                sum_to(-g, sb) if self.needs[1] else None)


class Mul(Function):
    """Product; with a mask or sigma'(z) as one factor this is the Hadamard
    product of BP1 and BP2."""

    reads = (1,), (0,)   # each factor's gradient reads the other factor only

    def forward(self, a, b):
        return a * b

    def backward(self, g, out, a, b):
        return (sum_to(g * b, a.shape) if self.needs[0] else None,
                sum_to(g * a, b.shape) if self.needs[1] else None)


class Div(Function):
    """a / b; d/db = -(a / b) / b, from the inputs (PyTorch's form: b^2 would
    overflow first), so that the quotient itself may change in place before
    backward."""

    reads = (1,), (0, 1)

    def forward(self, a, b):
        return a / b

    def backward(self, g, out, a, b):
        return (sum_to(g / b, a.shape) if self.needs[0] else None,
                sum_to(-g * (a / b / b), b.shape) if self.needs[1] else None)


class Pow(Function):
    """a ** b, for a constant or a Tensor exponent."""

    save_output = True
    reads = (0, 1), (0, OUT)

    def forward(self, a, b):
        return a ** b

    def backward(self, g, out, a, b):
        ga = gb = None
        if self.needs[0]:
            # d(a^b)/da = b a^(b-1) is 0 where b == 0, even at a == 0 (as in
            # PyTorch), where a^(b-1) is inf and the product would be NaN. A
            # tensor b is patched only there, so that d/db keeps its true value.
            if isinstance(b, (int, float)):   # a constant exponent
                if b == 2:   # every squared error: 2a needs no general power
                    ga = g * (2 * a)
                else:
                    ga = g * b * a ** (b - 1) if b != 0 else g * 0
            else:
                ga = g * b * a ** where((value(a) == 0) & (value(b) == 0), 0, b - 1)
            ga = sum_to(ga, a.shape)
        if self.needs[1]:
            # d(a^b)/db = a^b ln a; taken as 0 where a == 0, as PyTorch does.
            safe_a = where(value(a) == 0, 1, a)
            gb = sum_to(g * out * log(safe_a), b.shape)
        return ga, gb


class Neg(Function):
    save_inputs = False

    def forward(self, a):
        return -a

    def backward(self, g, out, a):
        return (-g,)


class Exp(Function):
    save_inputs, save_output = False, True

    def forward(self, a):
        return np.exp(a)

    def backward(self, g, out, a):
        return (g * out,)


class Log(Function):
    def forward(self, a):
        return np.log(a)

    def backward(self, g, out, a):
        return (g / a,)


class Log1p(Function):
    """log(1 + a), exact for tiny a (where 1 + a rounds to 1)."""

    def forward(self, a):
        return np.log1p(a)

    def backward(self, g, out, a):
        return (g / (a + 1),)


class Expm1(Function):
    """e^a - 1, exact for tiny a."""

    save_inputs, save_output = False, True

    def forward(self, a):
        return np.expm1(a)

    def backward(self, g, out, a):
        return (g * (out + 1),)


class Sqrt(Function):
    """sqrt(a); at 0 the gradient is inf, as PyTorch's (no numpy warning)."""

    save_inputs, save_output = False, True

    def forward(self, a):
        return np.sqrt(a)

    def backward(self, g, out, a):
        return (g / (2 * out),)


class Std(Sqrt):
    """The square root of a variance, as ``std`` takes it. Backward as sqrt's,
    except where the result is 0 (a constant sample): no gradient there, as
    PyTorch's std gives, where sqrt's inf times the variance's zero is NaN."""

    def backward(self, g, out, a):
        return (where(value(out) == 0, 0, g / (2 * out)),)


class Abs(Function):
    """|a|; the subgradient at 0 is 0, as in PyTorch."""

    def forward(self, a):
        return np.abs(a)

    def backward(self, g, out, a):
        return (gate(g, np.sign(value(a)), a),)


def stable_sigmoid(z, out=None):
    """1 / (1 + e^-z) for any z: where e^-z overflows to inf the result is
    exactly 0, the right limit, so the overflow is expected and silenced.
    ``out``: an array to write into (z itself, for an in-place sigmoid)."""
    if z.dtype.kind != "f":   # integers: computed in float64 (apply makes it float32)
        z, out = z.astype(np.float64), None
    quiet = hush()
    try:
        if z.ndim == 0:   # numpy gives scalars for 0-d, which take no out=
            return 1 / (1 + np.exp(-z))
        return sigmoid_into(z, out)
    finally:
        unhush(quiet)


# 1 as a read-only 0-d array of each BLAS float dtype, for sigmoid_into's 1 / e:
# numpy vectorizes that division and not np.reciprocal (the same correctly rounded
# values), 1.5-1.8x faster from a few thousand entries on, and as fast on tiny
# arrays when the 1 needs no conversion.
_ONE = {dtype: np.ones((), dtype) for dtype in BLAS_DTYPES}
for _one in _ONE.values():
    _one.flags.writeable = False


def sigmoid_into(z, out):
    """``stable_sigmoid`` of a float array of at least one dimension, written
    into ``out`` (None: a new array), with numpy's warnings left as the
    caller set them: an op's forward, which ``apply`` runs with them off,
    calls this directly."""
    e = np.negative(z, out=out)
    np.exp(e, out=e)
    e += 1
    one = _ONE.get(e.dtype)
    return np.reciprocal(e, out=e) if one is None else np.divide(one, e, out=e)


def sigmoid_delta(g, a):
    """g * sigma'(z) from a = sigma(z): g a (1 - a), the Hadamard factor of BP1
    and BP2. On arrays of one dtype in one new buffer, multiplied in place:
    two temporaries fewer, and a layer's backward on a mini-batch of 10 is
    mostly such small calls."""
    if type(g) is np.ndarray and type(a) is np.ndarray and g.dtype is a.dtype and a.ndim:
        d = 1 - a   # (not 0-d: numpy makes a scalar of it, which takes no out=)
        d *= a
        d *= g
        return d
    return g * (a * (1 - a))


def tanh_delta(g, a):
    """g * tanh'(z) from a = tanh(z): g (1 - a^2), in one new buffer as
    ``sigmoid_delta``."""
    if type(g) is np.ndarray and type(a) is np.ndarray and g.dtype is a.dtype and a.ndim:
        d = a * a
        np.subtract(1, d, out=d)
        d *= g
        return d
    return g * (1 - a * a)


def relu_delta(g, a):
    """g * relu'(z) from a = relu(z): g where a > 0, else 0 (the subgradient
    at 0 is 0, as in PyTorch)."""
    return gate(g, value(a) > 0, a)


class Sigmoid(Function):
    """sigma(z) = 1 / (1 + e^-z), finite and warning-free for any z.

    Backward multiplies by sigma'(z) = sigma(z)(1 - sigma(z)): the sigma'(z^l)
    factor of BP1 (output error) and BP2 (error of a hidden layer).
    """

    save_inputs, save_output = False, True

    def forward(self, z):
        return stable_sigmoid(z)

    def backward(self, g, out, z):
        return (sigmoid_delta(g, out),)


class Tanh(Function):
    """tanh(z); tanh' = 1 - tanh^2, never above 1 (notes, exercise 5.1)."""

    save_inputs, save_output = False, True

    def forward(self, z):
        return np.tanh(z)

    def backward(self, g, out, z):
        return (tanh_delta(g, out),)


class Relu(Function):
    """max(z, 0); the subgradient at 0 is 0, as in PyTorch."""

    save_inputs, save_output = False, True

    def forward(self, z):
        return np.maximum(z, 0)

    def backward(self, g, out, z):
        return (relu_delta(g, out),)


class Clamp(Function):
    """Clip into [lo, hi]; a bound is None (none), a number or a tensor
    (broadcast), and with lo > hi every entry is hi, as in PyTorch.

    Backward, PyTorch's rule: x's gradient passes where lo <= x <= hi (a tie
    goes to x), lo's where x < lo (and lo < hi), hi's where x > hi (or hi < lo).
    """

    def forward(self, a, lo, hi):
        if lo is not None:
            a = np.maximum(a, lo)
        if hi is not None:
            a = np.minimum(a, hi)
        return a

    def backward(self, g, out, a, lo, hi):
        av = value(a)
        lv = None if lo is None else value(lo)
        hv = None if hi is None else value(hi)
        inside = True
        if lv is not None:
            inside = av >= lv
        if hv is not None:
            inside = np.logical_and(inside, av <= hv)
        ga = gl = gh = None
        if self.needs[0]:
            ga = sum_to(where(inside, g, 0), shape_of(av))
        if self.needs[1]:
            below = av < lv if hv is None else np.logical_and(av < lv, lv < hv)
            gl = sum_to(where(below, g, 0), shape_of(lv))
        if self.needs[2]:
            above = av > hv if lv is None else np.logical_or(av > hv, hv < lv)
            gh = sum_to(where(above, g, 0), shape_of(hv))
        return ga, gl, gh


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly, as in PyTorch."""

    pick = staticmethod(np.maximum)
    loses, loses_or_ties = staticmethod(np.less), staticmethod(np.less_equal)

    def forward(self, a, b):
        return self.pick(a, b)

    def backward(self, g, out, a, b):
        av, bv = value(a), value(b)
        # a's share of g: 1 - (1 + 1) / 2 where a loses, 1 - (0 + 1) / 2 at ties, else 1;
        # arithmetic, not a masked write: ties are common (a chain of maxima has many)
        share = np.add(self.loses(av, bv), self.loses_or_ties(av, bv), dtype=value(g).dtype)
        share *= -0.5
        share += 1
        ga = g * share
        gb = g - ga
        # where a NaN won, read off the inputs (the result may change in place before
        # backward): a and b both get all of g there, as in PyTorch
        nan = np.isnan(av) | np.isnan(bv)
        if nan.any():
            gb = gb + g * nan
        return (sum_to(ga, a.shape) if self.needs[0] else None,
                sum_to(gb, b.shape) if self.needs[1] else None)


class Minimum(Maximum):
    """Elementwise min; at ties the gradient is split evenly, as in PyTorch."""

    pick = staticmethod(np.minimum)
    loses, loses_or_ties = staticmethod(np.greater), staticmethod(np.greater_equal)


class Where(Function):
    """cond ? a : b; the condition is a constant (no gradient)."""

    reads = (), (0,), (0,)

    def forward(self, cond, a, b):
        return np.where(cond, a, b)

    def backward(self, g, out, cond, a, b):
        c = value(cond)
        return (None,
                sum_to(where(c, g, 0), a.shape) if self.needs[1] else None,
                sum_to(where(c, 0, g), b.shape) if self.needs[2] else None)


class Cast(Function):
    """Change of dtype; the gradient is cast back to the input's dtype."""

    dtype = None
    float32_default = False
    save_inputs = False

    def forward(self, a):
        self.in_dtype = a.dtype
        return a.astype(self.dtype)

    def backward(self, g, out, a):
        return (astype(g, self.in_dtype),)


def _refuse_integer_zero(a, b, name):
    """PyTorch raises for an integer division by zero (numpy gives 0)."""
    if (np.result_type(a, b).kind in "iub" and isinstance(b, (np.ndarray, np.generic, int))
            and not np.all(b) and np.broadcast(a, b).size):   # (nothing divided: no error)
        raise OpError(f"{name}: ZeroDivisionError: integer division by zero")


class RoundedDiv(Function):
    """a / b rounded down (``mode`` 'floor': floor_divide, //) or toward zero
    ('trunc'), integers for integers. Piecewise constant: a zero gradient,
    as PyTorch's div(rounding_mode=...)."""

    save_inputs = False
    mode = "floor"

    def forward(self, a, b):
        self.shapes = shape_of(a), shape_of(b)
        _refuse_integer_zero(a, b, "floor_divide" if self.mode == "floor" else "div")
        if self.mode == "floor":
            return np.floor_divide(a, b)
        if np.result_type(a, b).kind == "f":
            return np.trunc(np.divide(a, b))
        q = np.floor_divide(a, b)   # integers: up by one where the quotient was negative, not whole
        return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))

    def backward(self, g, out, a, b):
        zero = g * 0
        sa, sb = self.shapes
        return (sum_to(zero, sa) if self.needs[0] else None,
                sum_to(zero, sb) if self.needs[1] else None)


class Remainder(Function):
    """a - b * floor(a / b): the sign of b, as Python's % (``truncated``: C's
    fmod, a - b * trunc(a / b), the sign of a). Backward: dr/da = 1, dr/db =
    -(the rounded quotient), as PyTorch's."""

    reads = (), (0, 1)
    truncated = False

    def forward(self, a, b):
        name = "fmod" if self.truncated else "remainder"
        _refuse_integer_zero(a, b, name)
        return np.fmod(a, b) if self.truncated else np.remainder(a, b)

    def backward(self, g, out, a, b):
        ga = gb = None
        if self.needs[0]:
            ga = sum_to(g, shape_of(value(a)))
        if self.needs[1]:
            q = np.divide(value(a), value(b))
            q = np.trunc(q) if self.truncated else np.floor(q)
            gb = sum_to(-g * q, shape_of(value(b)))
        return ga, gb


class Sign(Function):
    """sign(a): piecewise constant, so its gradient is zero everywhere (as
    PyTorch's), which keeps the graph whole instead of cutting it."""

    save_inputs = False

    def forward(self, a):
        return np.sign(a)

    def backward(self, g, out, a):
        return (g * 0,)
