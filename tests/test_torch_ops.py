"""PyTorch as the oracle: values, gradients and second derivatives of every op
in float64 over hypothesis shapes, with values on a coarse grid so that ties
and kinks (relu and abs at 0, clamp at its bounds, maximum/amax/max ties,
repeated indices) happen often and must follow PyTorch's rules."""
import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import Tensor  # noqa: E402
from tinygrad_nndl.autograd import grad  # noqa: E402
from tinygrad_nndl.ops.linalg import Linear  # noqa: E402
from tinygrad_nndl.testing import arrays, broadcastable_shapes, shapes  # noqa: E402

pytestmark = pytest.mark.torch

SMALL = shapes(max_dims=3, max_side=3)
PAIRS = broadcastable_shapes(2, max_dims=3, max_side=3)
GRID = st.integers(-4, 4).map(lambda k: k * 0.5)          # zeros, ties, clamp bounds
POSITIVE_GRID = st.integers(1, 8).map(lambda k: k * 0.5)
SMOOTH = st.floats(-3, 3, allow_nan=False)


def compare(ours, theirs, rtol=1e-10, atol=1e-12):
    if isinstance(theirs, torch.Tensor):   # force: PyTorch may hand back a lazy ZeroTensor
        theirs = theirs.detach().numpy(force=True)
    ours = ours.data if isinstance(ours, Tensor) else ours
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def check(our_fn, torch_fn, *values, second=True):
    """Same values, same vector-Jacobian products for a random upstream
    gradient, and (``second``) the same derivative of that product again."""
    ours = [Tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    y, ty = our_fn(*ours), torch_fn(*theirs)
    compare(y, ty)
    rng = np.random.default_rng(len(values) + y.data.size)
    g = rng.standard_normal(y.shape)
    got = grad(y, ours, grad_outputs=Tensor(g), create_graph=second, allow_unused=True)
    want = torch.autograd.grad(ty, theirs, grad_outputs=torch.tensor(g), create_graph=second,
                               allow_unused=True)
    for a, b, v in zip(got, want, values):
        compare(np.zeros(np.shape(v)) if a is None else a,
                np.zeros(np.shape(v)) if b is None else b)
    if not second:
        return
    # d/d inputs of sum_i u_i . grad_i: a Hessian-vector product of the projected op
    us = [rng.standard_normal(np.shape(v)) for v in values]
    s = sum(((a * Tensor(u)).sum() for a, u in zip(got, us) if a is not None and a.requires_grad),
            Tensor(0.0, dtype=np.float64))
    ts = sum(((b * torch.tensor(u)).sum() for b, u in zip(want, us)
              if b is not None and b.requires_grad), torch.tensor(0.0, dtype=torch.float64))
    got2 = grad(s, ours, allow_unused=True) if s.requires_grad else [None] * len(ours)
    want2 = torch.autograd.grad(ts, theirs, allow_unused=True) if ts.requires_grad \
        else [None] * len(theirs)
    for a, b, v in zip(got2, want2, values):
        compare(np.zeros(np.shape(v)) if a is None else a,
                np.zeros(np.shape(v)) if b is None else b)


# ----- elementwise -----------------------------------------------------------------------
UNARY = {
    "neg": (lambda t: -t, lambda t: -t, GRID),
    "exp": (Tensor.exp, torch.exp, SMOOTH),
    "log": (Tensor.log, torch.log, POSITIVE_GRID),
    "sqrt": (Tensor.sqrt, torch.sqrt, POSITIVE_GRID),
    "abs": (Tensor.abs, torch.abs, GRID),
    "tanh": (Tensor.tanh, torch.tanh, SMOOTH),
    "sigmoid": (Tensor.sigmoid, torch.sigmoid, SMOOTH),
    "relu": (Tensor.relu, torch.relu, GRID),
    "clamp": (lambda t: t.clamp(-1, 1), lambda t: t.clamp(-1, 1), GRID),
    "clamp_min": (lambda t: t.clamp(min=0.5), lambda t: t.clamp(min=0.5), GRID),
    "clamp_max": (lambda t: t.clamp(max=0), lambda t: t.clamp(max=0), GRID),
    "pow_0": (lambda t: t ** 0, lambda t: t ** 0, GRID),
    "pow_1": (lambda t: t ** 1, lambda t: t ** 1, GRID),
    "pow_2": (lambda t: t ** 2, lambda t: t ** 2, GRID),
    "pow_3": (lambda t: t ** 3, lambda t: t ** 3, GRID),
    "pow_-2": (lambda t: t ** -2, lambda t: t ** -2, POSITIVE_GRID),
    "pow_half": (lambda t: t ** 0.5, lambda t: t ** 0.5, POSITIVE_GRID),
    "rpow": (lambda t: 2 ** t, lambda t: 2 ** t, SMOOTH),
    "rsub": (lambda t: 1 - t, lambda t: 1 - t, GRID),
    "rdiv": (lambda t: 3 / t, lambda t: 3 / t, POSITIVE_GRID),
    "square": (Tensor.square, torch.square, GRID),
    "log1p": (Tensor.log1p, torch.log1p, POSITIVE_GRID),
    "expm1": (Tensor.expm1, torch.expm1, SMOOTH),
    "maximum_number": (lambda t: t.maximum(Tensor(0.5)), lambda t: torch.maximum(
        t, torch.tensor(0.5, dtype=torch.float64)), GRID),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=SMALL, data=st.data())
def test_unary(name, shape, data):
    ours, theirs, elements = UNARY[name]
    check(ours, theirs, data.draw(arrays(shape, elements=elements)))


BINARY = {
    "add": (lambda a, b: a + b, GRID, GRID),
    "sub": (lambda a, b: a - b, GRID, GRID),
    "mul": (lambda a, b: a * b, GRID, GRID),
    "div": (lambda a, b: a / b, GRID, POSITIVE_GRID),
    # Exponent 0 exactly is left to pow_at_zero: there PyTorch masks d/da to 0
    # with a where(), which also zeroes its derivative in b; ours keeps the
    # true d/db (b a^(b-1)) = a^(b-1) (1 + b ln a), which gradgradcheck confirms.
    "pow": (lambda a, b: a ** b, POSITIVE_GRID, SMOOTH.filter(lambda v: v != 0)),
    "maximum": ((Tensor.maximum, torch.maximum), GRID, GRID),
    "minimum": ((Tensor.minimum, torch.minimum), GRID, GRID),
    "remainder": (lambda a, b: a % b, GRID, GRID.filter(lambda v: v != 0)),
    "fmod": ((Tensor.fmod, torch.fmod), GRID, GRID.filter(lambda v: v != 0)),
    "div_trunc": (lambda a, b: a.div(b, rounding_mode="trunc"), GRID, GRID.filter(lambda v: v)),
    "div_floor": (lambda a, b: a.div(b, rounding_mode="floor"), GRID, GRID.filter(lambda v: v)),
    "add_alpha": ((lambda a, b: a.add(b, alpha=2.5), lambda a, b: torch.add(a, b, alpha=2.5)),
                  GRID, GRID),
    "sub_alpha": ((lambda a, b: a.sub(b, alpha=-3), lambda a, b: torch.sub(a, b, alpha=-3)),
                  GRID, GRID),
}


@pytest.mark.parametrize("name", BINARY)
@given(shapes_=PAIRS, data=st.data())
def test_binary(name, shapes_, data):
    op, ea, eb = BINARY[name]
    ours, theirs = op if isinstance(op, tuple) else (op, op)
    a = data.draw(arrays(shapes_[0], elements=ea))
    b = data.draw(arrays(shapes_[1], elements=eb))
    check(ours, theirs, a, b)


@given(shapes_=PAIRS, data=st.data())
def test_pow_at_zero_first_derivatives(shapes_, data):
    """Base 0 and exponent 0: PyTorch's masked derivatives (d/da 0^0 = 0,
    d/db 0^b = 0). Second derivatives are infinite or undefined there."""
    a = data.draw(arrays(shapes_[0], elements=st.sampled_from([0.0, 0.5, 2.0])))
    b = data.draw(arrays(shapes_[1], elements=st.sampled_from([0.0, 1.0, 2.0, 3.0])))
    check(lambda a, b: a ** b, lambda a, b: a ** b, a, b, second=False)


@given(shapes_=broadcastable_shapes(3, max_dims=3, max_side=3), data=st.data())
def test_where(shapes_, data):
    cond = data.draw(hnp.arrays(np.bool_, shapes_[0]))
    a, b = (data.draw(arrays(s, elements=GRID)) for s in shapes_[1:])
    check(lambda a, b: tg.where(Tensor(cond), a, b),
          lambda a, b: torch.where(torch.tensor(cond), a, b), a, b)


# ----- reductions ----------------------------------------------------------------------------
@st.composite
def shape_dim(draw, tuples=True, none=True, min_dims=1):
    shape = draw(shapes(min_dims=min_dims, max_dims=3, max_side=3))
    n = len(shape)
    options = [st.integers(-max(n, 1), max(n, 1) - 1)]   # a 0-d tensor takes dim 0 or -1
    if tuples:
        options.append(hnp.valid_tuple_axes(n, min_size=1))
    if none:
        options.append(st.none())
    return shape, draw(st.one_of(options))


def _kw(dim, ndim=None):
    """torch's keyword form of dim=None: no dim, or all dims where keepdim needs one."""
    if dim is None:
        return {} if ndim is None else {"dim": tuple(range(ndim))}
    return {"dim": dim}


REDUCTIONS = {
    "sum": ("sum", "sum"), "mean": ("mean", "mean"), "amax": ("amax", "amax"),
    "amin": ("amin", "amin"), "logsumexp": ("logsumexp", "logsumexp"),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(sd=shape_dim(), keepdim=st.booleans(), data=st.data())
def test_reductions(name, sd, keepdim, data):
    shape, dim = sd
    if name == "logsumexp" and dim is None:
        dim = tuple(range(len(shape)))   # torch.logsumexp needs a dim
    x = data.draw(arrays(shape, elements=GRID))   # grid values: amax/amin ties
    ours, theirs = REDUCTIONS[name]
    check(lambda t: getattr(t, ours)(keepdim=keepdim, **_kw(dim)),
          lambda t: getattr(t, theirs)(keepdim=keepdim, **_kw(dim, len(shape))), x)


@pytest.mark.parametrize("name", ["max", "min"])
@given(sd=shape_dim(tuples=False, none=False), keepdim=st.booleans(), data=st.data())
def test_max_min_with_dim_ties(name, sd, keepdim, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=st.integers(-1, 1).map(float)))   # many ties
    ours = getattr(Tensor(x), name)(dim, keepdim)
    theirs = getattr(torch.tensor(x), name)(dim, keepdim)
    compare(ours.values, theirs.values)
    assert ours.indices.shape == tuple(theirs.indices.shape)
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    check(lambda t: getattr(t, name)(dim, keepdim).values,
          lambda t: getattr(t, name)(dim, keepdim).values, x)


@pytest.mark.parametrize("name", ["max", "min"])
@given(shape=shapes(max_dims=3, max_side=3), data=st.data())
def test_max_min_without_dim_ties(name, shape, data):
    x = data.draw(arrays(shape, elements=st.integers(-1, 1).map(float)))
    check(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(sd=shape_dim(tuples=False), keepdim=st.booleans(), data=st.data())
def test_argmax_argmin_ties(name, sd, keepdim, data):
    shape, dim = sd
    x = data.draw(arrays(shape, elements=st.integers(-1, 1).map(float)))
    ours = getattr(Tensor(x), name)(dim, keepdim)
    theirs = getattr(torch.tensor(x), name)(dim, keepdim)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(sd=shape_dim(tuples=False, none=False, min_dims=0), data=st.data())
def test_softmax_log_softmax(name, sd, data):
    shape, dim = sd
    check(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim),
          data.draw(arrays(shape)))


@pytest.mark.parametrize("name", ["var", "std"])
@given(sd=shape_dim(), keepdim=st.booleans(), correction=st.sampled_from([0, 1]),
       data=st.data())
def test_var_std(name, sd, keepdim, correction, data):
    shape, dim = sd
    n = int(np.prod(shape)) if dim is None else int(np.prod([shape[d]
                                                             for d in np.atleast_1d(dim)]))
    x = data.draw(arrays(shape, elements=SMOOTH))
    # skip degenerate cases: n <= correction (PyTorch: NaN/inf) and a zero std (kink)
    if n <= correction or (name == "std" and np.any(np.var(x, axis=dim) < 1e-6)):
        return
    check(lambda t: getattr(t, name)(dim, keepdim=keepdim, correction=correction),
          lambda t: getattr(t, name)(keepdim=keepdim, correction=correction,
                                     **_kw(dim, len(shape))), x)


# ----- movement ----------------------------------------------------------------------------
@given(shape=shapes(max_dims=4, max_side=3), data=st.data())
def test_reshape_permute_transpose_flatten(shape, data):
    x = data.draw(arrays(shape))
    n = len(shape)
    perm = tuple(data.draw(st.permutations(range(n))))
    check(lambda t: t.reshape(-1), lambda t: t.reshape(-1), x, second=False)
    check(lambda t: t.reshape(shape[::-1]), lambda t: t.reshape(shape[::-1]), x, second=False)
    check(lambda t: t.permute(perm), lambda t: t.permute(perm), x, second=False)
    check(lambda t: t.flatten(), lambda t: t.flatten(), x, second=False)
    if n:
        d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
        check(lambda t: t.transpose(d0, d1), lambda t: t.transpose(d0, d1), x, second=False)
        u = data.draw(st.integers(-n - 1, n))
        check(lambda t: t.unsqueeze(u).squeeze(), lambda t: t.unsqueeze(u).squeeze(), x,
              second=False)


@given(shapes_=hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3),
       data=st.data())
def test_expand(shapes_, data):
    (shape,), target = shapes_.input_shapes, shapes_.result_shape
    check(lambda t: t.expand(target), lambda t: t.expand(target),
          data.draw(arrays(shape)), second=False)


@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_getitem_repeated_integer_indices(shape, data):
    index = data.draw(hnp.integer_array_indices(
        shape, result_shape=shapes(min_dims=1, max_dims=2, max_side=5)))
    k = data.draw(st.integers(0, len(shape) - 1))
    rows = data.draw(hnp.arrays(np.int64, st.integers(1, 6),
                                elements=st.integers(-shape[k], shape[k] - 1)))
    mixed = (slice(None),) * k + (rows,)
    x = data.draw(arrays(shape))
    check(lambda t: t[index], lambda t: t[tuple(torch.tensor(i) for i in index)], x)
    check(lambda t: t[mixed], lambda t: t[mixed[:-1] + (torch.tensor(rows),)], x)


@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_getitem_boolean_mask_and_basic(shape, data):
    x = data.draw(arrays(shape))
    mask = data.draw(hnp.arrays(np.bool_, shape))
    check(lambda t: t[mask], lambda t: t[torch.tensor(mask)], x)
    # basic indices without negative steps (PyTorch has none)
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True).filter(
        lambda i: not any(isinstance(p, slice) and (p.step or 1) < 0
                          for p in (i if isinstance(i, tuple) else (i,)))))
    check(lambda t: t[index], lambda t: t[index], x, second=False)


@given(shape=shapes(min_dims=1, max_dims=3, max_side=3), k=st.integers(1, 3), data=st.data())
def test_cat_stack(shape, k, data):
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    parts = [data.draw(arrays(shape)) for _ in range(k)]
    check(lambda *ts: tg.cat(ts, dim), lambda *ts: torch.cat(ts, dim), *parts, second=False)
    sdim = data.draw(st.integers(-n - 1, n))
    check(lambda *ts: tg.stack(ts, sdim), lambda *ts: torch.stack(ts, sdim), *parts,
          second=False)


# ----- linear algebra ----------------------------------------------------------------------------
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3),
       batch=broadcastable_shapes(2, max_dims=2, max_side=3), data=st.data())
def test_matmul(n, k, m, batch, data):
    ba, bb = batch
    sa, sb = data.draw(st.sampled_from([
        ((k,), (k,)), ((n, k), (k,)), ((k,), (k, m)), ((n, k), (k, m)),
        (ba + (n, k), bb + (k, m)), (ba + (n, k), (k,)), ((k,), bb + (k, m))]))
    check(lambda a, b: a @ b, lambda a, b: a @ b, data.draw(arrays(sa)), data.draw(arrays(sb)))


@given(batch=shapes(max_dims=2, max_side=3), fan_in=st.integers(1, 3),
       fan_out=st.integers(1, 3), data=st.data())
def test_fused_linear(batch, fan_in, fan_out, data):
    x = data.draw(arrays(batch + (fan_in,)))
    w = data.draw(arrays((fan_out, fan_in)))
    b = data.draw(arrays((fan_out,)))
    check(Linear.apply, torch.nn.functional.linear, x, w, b)
    check(lambda x, w: Linear.apply(x, w, None), torch.nn.functional.linear, x, w)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_and_minimum_with_nan_and_ties_equal_pytorch(op):
    """A NaN wins and both inputs get all of g; ties split g; as PyTorch."""
    a = np.array([np.nan, 1.0, 2.0, np.nan, 3.0])
    b = np.array([1.0, np.nan, 2.0, np.nan, -1.0])
    ours = [Tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    getattr(ours[0], op)(ours[1]).sum().backward()
    getattr(torch, op)(*theirs).sum().backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_array_equal(x.grad.data, t.grad.numpy())


@given(sd=shape_dim(tuples=False), keepdim=st.booleans(), data=st.data())
def test_prod_and_cumprod_with_zeros_first_and_second_order(sd, keepdim, data):
    """Grid values hold zeros, often several in one slice: the gradients (the
    products of the others) and their derivatives must be PyTorch's exactly."""
    shape, dim = sd
    x = data.draw(arrays(shape, elements=GRID))
    if dim is None:
        check(lambda t: t.prod(), lambda t: t.prod(), x)
        return
    check(lambda t: t.prod(dim, keepdim=keepdim), lambda t: t.prod(dim, keepdim=keepdim), x)
    if len(shape):
        check(lambda t: t.cumprod(dim), lambda t: t.cumprod(dim), x)
