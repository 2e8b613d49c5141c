"""Property-testing tools for gradients (needs hypothesis: ``pip install tinygrad_nndl[dev]``).

Strategies for shapes, broadcastable shapes and float tensors, and two checks
that every op's test reuses and that users can point at their own formulas:

    from hypothesis import given
    from tinygrad_nndl.testing import tensors, assert_grad_matches

    @given(tensors(shape=(3, 4)))
    def test_sigmoid_prime(z):
        s = 1 / (1 + np.exp(-z.data))
        assert_grad_matches(lambda z: z.sigmoid().sum(), lambda z: s * (1 - s), z)
"""
import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - only without the dev extra
    raise ImportError("tinygrad_nndl.testing needs hypothesis: pip install hypothesis") from e

from .autograd.api import grad
from .autograd.gradcheck import gradcheck, gradgradcheck
from .tensor.tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "arrays", "tensors", "assert_grad_matches",
           "gradcheck", "gradgradcheck"]


def shapes(min_dims=0, max_dims=4, min_side=1, max_side=5):
    """Array shapes, e.g. (), (3,), (2, 1, 4)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=5):
    """Tuples of ``num_shapes`` shapes that numpy broadcasts together, with
    size-1 and missing dimensions mixed in."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, min_side=min_side,
                                             max_side=max_side).map(lambda r: r.input_shapes)


def arrays(shape=None, dtype=np.float64, min_value=-10.0, max_value=10.0, elements=None):
    """Finite float arrays with elements in [min_value, max_value]. Subnormal
    numbers are left out: each operation on them rounds to a whole multiple
    of the smallest one, so exact identities (2ab = ab + ab) fail there."""
    if shape is None:
        shape = shapes()
    if elements is None:
        width = 32 if np.dtype(dtype) == np.float32 else 64
        elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                             allow_subnormal=False, width=width)
    return hnp.arrays(dtype, shape, elements=elements)


def tensors(shape=None, dtype=np.float64, min_value=-10.0, max_value=10.0,
            requires_grad=True, elements=None):
    """Leaf Tensors (float64 and requiring grad by default, ready for gradcheck).
    ``shape`` is a tuple or a strategy of shapes."""
    return arrays(shape, dtype, min_value, max_value, elements).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


def assert_grad_matches(f, closed_form, *inputs, atol=1e-6, rtol=1e-5):
    """Assert that autograd's gradient of ``f(*inputs)`` equals ``closed_form``.

    ``f`` returns a Tensor (summed if not a scalar). ``closed_form(*arrays)``
    gets the inputs' numpy values and returns the gradient for each input that
    requires grad: one array, or a tuple of arrays in input order.
    """
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    out = f(*inputs)
    if out.data.size != 1:
        out = out.sum()
    got = grad(out, wrt, allow_unused=True)
    expected = closed_form(*[x.data if isinstance(x, Tensor) else x for x in inputs])
    if not isinstance(expected, (tuple, list)):
        expected = (expected,)
    if len(expected) != len(wrt):
        raise ValueError(f"assert_grad_matches: closed_form returned {len(expected)} gradients "
                         f"for {len(wrt)} inputs that require grad")
    for i, (g, want) in enumerate(zip(got, expected)):
        have = np.zeros(wrt[i].shape) if g is None else g.data
        want = np.broadcast_to(np.asarray(want, dtype=np.float64), wrt[i].shape)
        bad = ~np.isclose(have, want, atol=atol, rtol=rtol)
        if bad.any():
            err = np.abs(have - want)
            worst = np.unravel_index(np.argmax(np.where(bad, err, -1)), have.shape)
            raise AssertionError(
                f"gradient of input {i} (shape {wrt[i].shape}) differs from the closed form "
                f"at {len(np.argwhere(bad))} of {have.size} elements; worst at "
                f"{tuple(int(j) for j in worst)}: autograd {have[worst]!r}, closed form "
                f"{want[worst]!r}")
