"""torch.linalg's core in tinygrad_nndl.linalg: inv, det, slogdet, solve,
cholesky, qr, eigh, svd, svdvals, pinv, matrix_power and the norms through
singular values. Values against identities (A A^-1 = I, Q R = A, A V = V
diag(w), ...) over hypothesis batch shapes of well-conditioned matrices;
float64 gradcheck and gradgradcheck; the Tensor methods and top-level
functions; dtypes; errors raised as PyTorch raises them, before anything
is computed; no numpy warnings where the values are infinite."""
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor, linalg
from tinygrad_nndl.autograd import grad, gradcheck, gradgradcheck
from tinygrad_nndl.testing import shapes

FEW = settings(max_examples=8, deadline=None)
BATCH = shapes(min_dims=0, max_dims=2, max_side=3)
SIDE = st.integers(1, 4)
SEED = st.integers(0, 2 ** 32 - 1)


def orthogonal(rng, batch, n):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, 0, -2, -1))[..., None, :]


def spaced(rng, batch, k, low=1.0):
    """k distinct values per matrix, at least 0.4 apart, descending."""
    return low + np.arange(k)[::-1] * 0.5 + rng.uniform(0, 0.1, batch + (k,))


def well_conditioned(rng, batch, m, n=None):
    """m x n matrices with distinct singular values in [1, 3]."""
    n = m if n is None else n
    k = min(m, n)
    u, v = orthogonal(rng, batch, m)[..., :k], orthogonal(rng, batch, n)[..., :k]
    return (u * spaced(rng, batch, k)[..., None, :]) @ np.swapaxes(v, -1, -2)


def symmetric(rng, batch, n, positive=False):
    """Symmetric matrices with distinct eigenvalues (positive ones if asked)."""
    q = orthogonal(rng, batch, n)
    w = spaced(rng, batch, n) * (1 if positive else rng.choice([-1, 1], batch + (n,)))
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def leaf(x):
    return Tensor(x, requires_grad=True)


def sym(t):
    """The symmetric part: perturbing either triangle moves both, so finite
    differences see the symmetric gradient PyTorch and we give."""
    return (t + t.mT) / 2


def eye(n):
    return Tensor(np.eye(n))


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(a.data if isinstance(a, Tensor) else a,
                               b.data if isinstance(b, Tensor) else b, rtol=tol, atol=tol)


def sign_fixed(vectors):
    """Columns with their first entry made positive: invariant to the sign
    LAPACK happens to choose."""
    return vectors * vectors[..., :1, :].sign()


# ----- values against identities -----------------------------------------------------------
@FEW
@given(batch=BATCH, n=SIDE, seed=SEED)
def test_inverse_and_solve_identities(batch, n, seed):
    rng = np.random.default_rng(seed)
    a = Tensor(well_conditioned(rng, batch, n))
    close(a @ linalg.inv(a), np.broadcast_to(np.eye(n), batch + (n, n)))
    close(a.inverse(), linalg.inv(a), 0)
    b = Tensor(rng.standard_normal(batch + (n, 2)))
    close(a @ linalg.solve(a, b), b)
    bt = Tensor(rng.standard_normal((1,) * len(batch) + (2, n)))   # (not a batch of vectors)
    close(linalg.solve(a, bt, left=False) @ a, np.broadcast_to(bt.data, batch + (2, n)))
    v = Tensor(rng.standard_normal(n))
    x = linalg.solve(a, v)
    assert x.shape == batch + (n,)
    close((a @ x.unsqueeze(-1)).squeeze(-1), np.broadcast_to(v.data, batch + (n,)))


@FEW
@given(batch=BATCH, n=SIDE, seed=SEED)
def test_determinants(batch, n, seed):
    rng = np.random.default_rng(seed)
    a = Tensor(well_conditioned(rng, batch, n))
    b = Tensor(well_conditioned(rng, batch, n))
    close(linalg.det(a @ b), linalg.det(a) * linalg.det(b))
    triangular = Tensor(np.triu(rng.standard_normal(batch + (n, n))))
    close(linalg.det(triangular), np.prod(np.diagonal(triangular.data, 0, -2, -1), -1))
    sign, logabsdet = linalg.slogdet(a)
    close(sign * logabsdet.exp(), linalg.det(a))
    assert set(np.unique(sign.data)) <= {-1.0, 1.0}
    logdet = tg.logdet(a)
    assert np.array_equal(np.isnan(logdet.data), sign.data < 0)
    close(logdet.data[sign.data > 0], logabsdet.data[sign.data > 0], 0)


@FEW
@given(batch=BATCH, n=SIDE, seed=SEED)
def test_cholesky_factors(batch, n, seed):
    a = Tensor(symmetric(np.random.default_rng(seed), batch, n, positive=True))
    low = linalg.cholesky(a)
    close(low @ low.mT, a)
    assert np.array_equal(low.data, np.tril(low.data))
    assert (np.diagonal(low.data, 0, -2, -1) > 0).all()
    up = linalg.cholesky(a, upper=True)
    close(up, low.mT, 1e-12)
    close(up.mT @ up, a)


@FEW
@given(batch=BATCH, m=SIDE, n=SIDE, seed=SEED)
def test_qr_factors(batch, m, n, seed):
    a = Tensor(np.random.default_rng(seed).standard_normal(batch + (m, n)))
    k = min(m, n)
    q, r = linalg.qr(a)
    assert q.shape == batch + (m, k) and r.shape == batch + (k, n)
    close(q @ r, a)
    close(q.mT @ q, np.broadcast_to(np.eye(k), batch + (k, k)))
    assert np.array_equal(r.data, np.triu(r.data))
    qc, rc = linalg.qr(a, mode="complete")
    assert qc.shape == batch + (m, m) and rc.shape == batch + (m, n)
    close(qc @ rc, a)
    close(qc.mT @ qc, np.broadcast_to(np.eye(m), batch + (m, m)))
    q_none, r_only = linalg.qr(a, mode="r")
    assert q_none.shape == (0,)
    close(r_only.abs(), r.abs())


@FEW
@given(batch=BATCH, n=SIDE, seed=SEED)
def test_eigh_factors(batch, n, seed):
    a = Tensor(symmetric(np.random.default_rng(seed), batch, n))
    w, v = linalg.eigh(a)
    close(a @ v, v * w.unsqueeze(-2))
    close(v.mT @ v, np.broadcast_to(np.eye(n), batch + (n, n)))
    assert (np.diff(w.data, axis=-1) > 0).all()
    close(linalg.eigvalsh(a), w, 1e-12)
    # each triangle is read on its own: the other one does not matter
    lower_only, upper_only = Tensor(np.tril(a.data)), Tensor(np.triu(a.data))
    close(linalg.eigh(lower_only).eigenvalues, w)
    close(linalg.eigh(upper_only, UPLO="U").eigenvalues, w)


@FEW
@given(batch=BATCH, m=SIDE, n=SIDE, seed=SEED)
def test_svd_factors(batch, m, n, seed):
    a = Tensor(np.random.default_rng(seed).standard_normal(batch + (m, n)))
    k = min(m, n)
    u, s, vh = linalg.svd(a, full_matrices=False)
    assert u.shape == batch + (m, k) and s.shape == batch + (k,) and vh.shape == batch + (k, n)
    close((u * s.unsqueeze(-2)) @ vh, a)
    close(u.mT @ u, np.broadcast_to(np.eye(k), batch + (k, k)))
    close(vh @ vh.mT, np.broadcast_to(np.eye(k), batch + (k, k)))
    assert (np.diff(s.data, axis=-1) <= 0).all() and (s.data >= 0).all()
    uf, sf, vhf = linalg.svd(a)
    assert uf.shape == batch + (m, m) and vhf.shape == batch + (n, n)
    close(uf.mT @ uf, np.broadcast_to(np.eye(m), batch + (m, m)))
    close(vhf @ vhf.mT, np.broadcast_to(np.eye(n), batch + (n, n)))
    close(sf, s)
    close(linalg.svdvals(a), s)


@FEW
@given(batch=BATCH, m=SIDE, n=SIDE, seed=SEED)
def test_pinv_is_the_moore_penrose_inverse(batch, m, n, seed):
    rng = np.random.default_rng(seed)
    a = Tensor(rng.standard_normal(batch + (m, n)))
    p = linalg.pinv(a)
    close(a @ p @ a, a)
    close(p @ a @ p, p)
    close((a @ p).mT, a @ p)
    close((p @ a).mT, p @ a)
    close(a.pinverse(), p)
    square = Tensor(well_conditioned(rng, batch, n))
    close(linalg.pinv(square), linalg.inv(square))
    h = Tensor(symmetric(rng, batch, n))
    close(linalg.pinv(h, hermitian=True), linalg.inv(h))


def test_pinv_drops_small_singular_values():
    a = Tensor(np.diag([3.0, 1e-20, 0.0]))
    close(linalg.pinv(a), np.diag([1 / 3, 0.0, 0.0]), 0)
    close(linalg.pinv(Tensor(np.diag([3.0, 0.5])), atol=1.0), np.diag([1 / 3, 0.0]), 0)
    close(linalg.pinv(Tensor(np.diag([3.0, 0.5])), rtol=0.2), np.diag([1 / 3, 0.0]), 0)
    close(linalg.pinv(Tensor(np.zeros((0, 3)))), np.zeros((3, 0)), 0)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, -1, -2, -5])
def test_matrix_power(n):
    a = Tensor(well_conditioned(np.random.default_rng(0), (2,), 3))
    want = np.linalg.matrix_power(a.data, n)
    close(linalg.matrix_power(a, n), want, 1e-9)
    close(a.matrix_power(n), want, 1e-9)
    close(tg.matrix_power(a, n), want, 1e-9)


def test_matrix_power_of_integers_and_the_zero_power():
    fib = linalg.matrix_power(Tensor([[1, 1], [1, 0]]), 10)
    assert fib.dtype == np.int64 and fib.data.tolist() == [[89, 55], [55, 34]]
    a = leaf(np.random.default_rng(1).standard_normal((3, 3)))
    identity = linalg.matrix_power(a, 0)
    assert identity.requires_grad
    (g,) = grad(identity.sum(), a)
    assert np.array_equal(g.data, np.zeros((3, 3)))


@FEW
@given(batch=BATCH, m=SIDE, n=SIDE, seed=SEED)
def test_norms_through_singular_values(batch, m, n, seed):
    a = np.random.default_rng(seed).standard_normal(batch + (m, n))
    t = Tensor(a)
    for ord_ in ("nuc", 2, -2):
        close(linalg.matrix_norm(t, ord_), np.linalg.norm(a, ord_, axis=(-2, -1)))
    if len(batch) == 1:   # dims other than the last two, and kept
        got = linalg.matrix_norm(t, "nuc", dim=(2, 0), keepdim=True)
        assert got.shape == (1, m, 1)
        close(got.reshape(-1), [np.linalg.norm(a[:, i, :].T, "nuc") for i in range(m)])
    if not batch:
        close(linalg.norm(t, 2), np.linalg.norm(a, 2))
        close(tg.linalg.norm(t, -2, dim=(1, 0)), np.linalg.norm(a, -2))


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    a = Tensor(symmetric(rng, (2,), 3, positive=True).astype(np.float32))
    outs = [linalg.inv(a), linalg.det(a), *linalg.slogdet(a), linalg.solve(a, a),
            linalg.cholesky(a), *linalg.qr(a), *linalg.eigh(a), *linalg.svd(a),
            linalg.svdvals(a), linalg.pinv(a), linalg.matrix_power(a, -2),
            linalg.matrix_norm(a, "nuc"), a.logdet()]
    assert all(o.dtype == np.float32 for o in outs)
    close(a @ linalg.inv(a), np.broadcast_to(np.eye(3), (2, 3, 3)), 1e-5)


def test_empty_matrices():
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        a = Tensor(np.zeros(shape))
        assert linalg.inv(a).shape == shape
        assert linalg.det(a).shape == shape[:-2]
        assert linalg.cholesky(a).shape == shape
        assert linalg.eigh(a).eigenvalues.shape == shape[:-1]
        assert linalg.svd(a).S.shape == shape[:-1]
    close(linalg.det(Tensor(np.zeros((2, 0, 0)))), [1.0, 1.0], 0)


# ----- gradients: gradcheck and gradgradcheck in float64 ------------------------------------
def spd(t):
    return t @ t.mT + 3 * eye(t.shape[-1])


GRADIENTS = {
    # name: (function of the inputs, input shapes)
    "inv": (linalg.inv, [(2, 3, 3)]),
    "det": (linalg.det, [(2, 3, 3)]),
    "slogdet": (lambda a: linalg.slogdet(a).logabsdet, [(2, 3, 3)]),
    "logdet": (lambda a: spd(a).logdet(), [(3, 3)]),
    "solve": (linalg.solve, [(2, 3, 3), (3, 2)]),
    "solve_vector": (linalg.solve, [(2, 3, 3), (3,)]),
    "solve_right": (lambda a, b: linalg.solve(a, b, left=False), [(3, 3), (2, 1, 4, 3)]),
    "cholesky": (lambda a: linalg.cholesky(spd(a)), [(2, 3, 3)]),
    "cholesky_upper": (lambda a: linalg.cholesky(spd(a), upper=True), [(3, 3)]),
    "qr_tall": (linalg.qr, [(2, 4, 3)]),
    "qr_wide": (linalg.qr, [(3, 5)]),
    "qr_complete_wide": (lambda a: linalg.qr(a, mode="complete"), [(2, 4)]),
    "eigh": (lambda a: (lambda w, v: (w, sign_fixed(v)))(*linalg.eigh(sym(a))), [(2, 3, 3)]),
    "eigh_upper": (lambda a: sign_fixed(linalg.eigh(sym(a), UPLO="U").eigenvectors), [(3, 3)]),
    "eigvalsh": (lambda a: linalg.eigvalsh(sym(a)), [(3, 3)]),
    "svdvals": (linalg.svdvals, [(2, 3, 4)]),
    "svd_tall": (lambda a: (lambda u, s, vh: (sign_fixed(u), s, vh * u[..., :1, :].sign().mT))(
        *linalg.svd(a, full_matrices=False)), [(4, 3)]),
    "svd_wide": (lambda a: (lambda u, s, vh: (sign_fixed(u), s, vh * u[..., :1, :].sign().mT))(
        *linalg.svd(a, full_matrices=False)), [(2, 3, 5)]),
    "svd_full_product": (lambda a: (lambda u, s, vh: (u[:, :3] * s) @ vh[:3])(*linalg.svd(a)),
                         [(3, 5)]),
    "pinv_wide": (linalg.pinv, [(2, 3, 4)]),
    "pinv_tall": (linalg.pinv, [(4, 2)]),
    "pinv_hermitian": (lambda a: linalg.pinv(spd(a), hermitian=True), [(3, 3)]),
    "matrix_power_5": (lambda a: linalg.matrix_power(a, 5), [(3, 3)]),
    "matrix_power_-3": (lambda a: linalg.matrix_power(a, -3), [(3, 3)]),
    "nuc": (lambda a: linalg.matrix_norm(a, "nuc"), [(2, 3, 4)]),
    "norm_2": (lambda a: linalg.matrix_norm(a, 2, dim=(0, 2), keepdim=True), [(3, 2, 4)]),
    "norm_-2": (lambda a: linalg.norm(a, -2), [(3, 4)]),
}


@pytest.mark.parametrize("name", GRADIENTS)
def test_gradients_first_and_second_order(name):
    fn, input_shapes = GRADIENTS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    inputs = [leaf(rng.standard_normal(s) + (2 * np.eye(s[-1]) if len(s) > 1 and
                                             s[-1] == s[-2] else 0)) for s in input_shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_det_gradient_is_the_cofactor_matrix_at_singular_matrices():
    rank_one = leaf(np.array([[1.0, 2.0], [2.0, 4.0]]))
    (g,) = grad(linalg.det(rank_one), rank_one)
    close(g, [[4.0, -2.0], [-2.0, 1.0]], 1e-12)
    rank_two = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    mixed = leaf(np.stack([rank_two, well_conditioned(np.random.default_rng(3), (), 3)]))
    adjugate_t = [np.linalg.det(np.delete(np.delete(m, i, 0), j, 1)) * (-1) ** (i + j)
                  for m in mixed.data for i in range(3) for j in range(3)]
    (g,) = grad(linalg.det(mixed).sum(), mixed)
    close(g.data.reshape(-1), adjugate_t, 1e-9)
    assert gradcheck(linalg.det, [mixed])
    assert gradgradcheck(linalg.det, [mixed])


def test_svdvals_and_eigvalsh_gradients_at_repeated_values():
    a = leaf(np.eye(3))   # every singular value and eigenvalue repeats
    (g,) = grad(linalg.svdvals(a).sum(), a)
    close(g, np.eye(3), 1e-12)
    (g,) = grad(linalg.eigvalsh(a).sum(), a)
    close(g, np.eye(3), 1e-12)
    (g,) = grad(linalg.matrix_norm(a, "nuc"), a)
    close(g, np.eye(3), 1e-12)


def test_unused_factors_get_no_gradient():
    a = leaf(np.random.default_rng(4).standard_normal((3, 3)))
    (g,) = grad(linalg.svd(a).S.sum(), a)
    u, _, vh = np.linalg.svd(a.data)
    close(g, u @ vh)
    assert gradcheck(lambda t: linalg.qr(t).R.trace(), [a])


# ----- the Tensor methods and top-level functions (torch 2.13's) ----------------------------
def test_methods_and_functions():
    a = Tensor(symmetric(np.random.default_rng(5), (2,), 3, positive=True))
    close(a.inverse(), tg.inverse(a), 0)
    close(a.det(), tg.det(a), 0)
    close(a.logdet(), tg.logdet(a), 0)
    close(a.slogdet().logabsdet, tg.slogdet(a).logabsdet, 0)
    close(a.slogdet().sign, linalg.slogdet(a).sign, 0)
    close(a.pinverse(), tg.pinverse(a), 0)
    close(a.matrix_power(3), tg.matrix_power(a, 3), 0)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        close(a.cholesky(), linalg.cholesky(a), 0)
    with pytest.warns(UserWarning, match="deprecated"):
        close(tg.cholesky(a, upper=True), linalg.cholesky(a, upper=True), 0)
    assert linalg.LinAlgError is tg.linalg.LinAlgError and issubclass(linalg.LinAlgError,
                                                                        RuntimeError)


# ----- errors, raised before anything is computed -------------------------------------------
SQUARE_OPS = {
    "linalg.inv": linalg.inv, "linalg.det": linalg.det, "linalg.slogdet": linalg.slogdet,
    "logdet": tg.logdet, "linalg.cholesky": linalg.cholesky, "linalg.eigh": linalg.eigh,
    "linalg.matrix_power": lambda a: linalg.matrix_power(a, 2),
    "linalg.solve": lambda a: linalg.solve(a, a),
}


@pytest.mark.parametrize("name", SQUARE_OPS)
def test_shape_errors(name):
    with pytest.raises(RuntimeError, match=f"{name}: The input tensor A must have at least 2 "
                                           f"dimensions"):
        SQUARE_OPS[name](Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match=f"{name}: A must be batches of square matrices, but "
                                           f"they are 2 by 3 matrices"):
        SQUARE_OPS[name](Tensor(np.ones((4, 2, 3))))


DTYPE_ERRORS = {
    # op: (error for integers, error for float16)
    "inv": ((RuntimeError, "linalg.inv: Expected a floating point"),
            (RuntimeError, "linalg.inv: Low precision dtypes not supported. Got Half")),
    "det": ((RuntimeError, "Got Long"), (NotImplementedError, '"lu_cpu" not implemented')),
    "slogdet": ((RuntimeError, "Got Long"), (RuntimeError, "Low precision")),
    "cholesky": ((RuntimeError, "Got Long"), (NotImplementedError, '"cholesky_cpu"')),
    "qr": ((RuntimeError, "Got Long"), (NotImplementedError, '"geqrf_cpu"')),
    "eigh": ((NotImplementedError, "'Long'"), (NotImplementedError, "'Half'")),
    "svd": ((RuntimeError, "linalg.svd: Expected"), (NotImplementedError, '"linalg_svd_cpu"')),
    "svdvals": ((RuntimeError, "linalg.svd: Expected"), (NotImplementedError, "svd_cpu")),
    "pinv": ((RuntimeError, r"linalg.pinv\(Long\{\[2, 2\]\}\)"),
             (RuntimeError, r"linalg.pinv\(Half")),
    "matrix_norm": ((RuntimeError, "Got Long"), (RuntimeError, "Low precision")),
}


@pytest.mark.parametrize("name", DTYPE_ERRORS)
def test_dtype_errors(name):
    fn = getattr(linalg, name)
    if name == "matrix_norm":
        fn = lambda a: linalg.matrix_norm(a, "nuc")  # noqa: E731
    for dtype, (kind, message) in zip((np.int64, np.float16), DTYPE_ERRORS[name]):
        with pytest.raises(kind, match=message):
            fn(Tensor(np.eye(2).astype(dtype)))
    with pytest.raises((RuntimeError, NotImplementedError), match="Bool"):
        fn(Tensor(np.eye(2, dtype=bool)))


def test_singular_and_not_positive_definite():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(linalg.LinAlgError, match=r"^linalg.inv: The diagonal element 2 is zero, "
                                                 r"the inversion could not be completed"):
        linalg.inv(Tensor(singular))
    with pytest.raises(RuntimeError, match=r"linalg.inv: \(Batch element 1\): The diagonal "
                                           r"element 2 is zero.*shape \(3, 2, 2\)"):
        Tensor(np.stack([np.eye(2), singular, singular])).inverse()
    with pytest.raises(linalg.LinAlgError, match=r"torch.linalg.solve: \(Batch element 1\): The "
                                                 r"solver failed because the input matrix is "
                                                 r"singular"):
        linalg.solve(Tensor(np.stack([np.eye(2), singular])), Tensor(np.ones(2)))
    with pytest.raises(linalg.LinAlgError, match="linalg.inv: The diagonal element 3"):
        linalg.matrix_power(Tensor(np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 0]])), -1)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(linalg.LinAlgError, match=r"linalg.cholesky: \(Batch element 2\): The "
                                                 r"factorization could not be completed because "
                                                 r"the input is not positive-definite \(the "
                                                 r"leading minor of order 2"):
        linalg.cholesky(Tensor(np.stack([np.eye(2), np.eye(2), indefinite])))
    only_upper_bad = np.array([[4.0, 100.0], [1.0, 3.0]])
    linalg.cholesky(Tensor(only_upper_bad))   # the lower triangle is positive-definite
    with pytest.raises(linalg.LinAlgError, match="leading minor of order 2"):
        linalg.cholesky(Tensor(only_upper_bad), upper=True)
    with pytest.raises(linalg.LinAlgError, match="non-finite values"):
        linalg.svdvals(Tensor(np.array([[1.0, np.nan], [0.0, 1.0]])))


def test_argument_errors():
    a = Tensor(np.eye(3))
    with pytest.raises(RuntimeError, match="qr received unrecognized mode 'full'"):
        linalg.qr(a, mode="full")
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got l"):
        linalg.eigh(a, UPLO="l")
    with pytest.raises(TypeError, match="argument 'n' .* must be int, not float"):
        linalg.matrix_power(a, 2.0)
    with pytest.raises(RuntimeError, match=r"equation AX = B \(3x3 and 2x3\)"):
        linalg.solve(Tensor(np.ones((2, 3, 3))), Tensor(np.ones((4, 2, 3))))
    with pytest.raises(RuntimeError, match=r"equation XA = B \(3x3 and 3x1\)"):
        linalg.solve(a, Tensor(np.ones(3)), left=False)
    with pytest.raises(RuntimeError, match="same dtype, but found A of type Double and B of "
                                           "type Float"):
        linalg.solve(a, Tensor(np.ones(3, np.float32)))
    with pytest.raises(RuntimeError, match=r"batch dimensions of A \(2, 3, 3\) and B"):
        linalg.solve(Tensor(np.ones((2, 3, 3))), Tensor(np.ones((4, 3, 1))))
    with pytest.raises(RuntimeError, match="dims must be different"):
        linalg.matrix_norm(a, 2, dim=(1, -1))


def test_backward_errors_for_what_is_not_differentiable():
    a = leaf(np.random.default_rng(6).standard_normal((3, 2)))
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows "
                                           "> ncols"):
        linalg.qr(a, mode="complete").Q.sum().backward()


def test_no_numpy_warnings_where_values_are_infinite():
    singular = leaf(np.array([[1.0, 2.0], [2.0, 4.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sign, logabsdet = linalg.slogdet(singular)
        assert sign.item() == 0 and logabsdet.item() == -np.inf
        (g,) = grad(logabsdet, singular)
        assert np.isinf(g.data).all()
        assert tg.logdet(singular).item() == -np.inf
        close(linalg.pinv(singular) @ singular @ linalg.pinv(singular), linalg.pinv(singular))
        (g,) = grad(linalg.pinv(singular).sum(), singular)
        assert np.isfinite(g.data).all()
        assert linalg.det(Tensor(np.full((3, 3), np.nan))).isnan().item()


def _second_derivative_along(loss_of, a0, v, eps=1e-6):
    """H v by autograd (grad of <grad, v>) and by central differences of the gradient."""
    a = tg.tensor(a0, requires_grad=True)
    (g,) = tg.autograd.grad(loss_of(a), a, create_graph=True)
    (hv,) = tg.autograd.grad((g * tg.tensor(v)).sum(), a)
    grads = []
    for sign in (1, -1):
        b = tg.tensor(a0 + sign * eps * v, requires_grad=True)
        grads.append(tg.autograd.grad(loss_of(b), b)[0].data)
    return hv.data, (grads[0] - grads[1]) / (2 * eps)


def test_second_derivatives_through_vectors_whose_gradient_is_zero_at_the_point():
    """A Gauss-Newton product: the loss's gradient is 0 at A0, its Hessian is not;
    the vectors' zero gradient must still carry its derivative."""
    rng = np.random.default_rng(5)
    a0, v = rng.standard_normal((3, 3)), np.cos(np.arange(9.0)).reshape(3, 3)
    polar0 = np.linalg.svd(a0)[0] @ np.linalg.svd(a0)[2]

    def polar_loss(a):
        u, _, vh = tg.linalg.svd(a)
        return 0.5 * ((u @ vh - tg.tensor(polar0)) ** 2).sum()
    sym0 = a0 + a0.T
    w0 = np.linalg.eigh(sym0)[1] ** 2

    def eigenvector_loss(a):
        w = tg.linalg.eigh(a).eigenvectors
        return 0.5 * ((w * w - tg.tensor(w0)) ** 2).sum()
    for loss_of, at, direction in ((polar_loss, a0, v), (eigenvector_loss, sym0, v + v.T)):
        autograd_hv, numeric_hv = _second_derivative_along(loss_of, at, direction)
        assert np.abs(autograd_hv).max() > 1e-3   # not the zero that was returned before
        np.testing.assert_allclose(autograd_hv, numeric_hv, rtol=1e-5, atol=1e-7)


def test_each_factor_owns_its_memory():
    a = tg.tensor(np.random.default_rng(0).standard_normal((6, 6)), requires_grad=True)
    u, s, vh = tg.linalg.svd(a)
    values = tg.linalg.svdvals(a)
    for part in (u, s, vh, values, tg.linalg.qr(a).R, tg.linalg.eigh(a + a.T).eigenvalues):
        for other in (u, s, vh):
            assert part is other or not np.shares_memory(part.data, other.data)
        assert part.data.base is None or part.data.base.nbytes == part.data.nbytes


def test_a_rank_deficient_qr_backward_names_qr():
    a = tg.tensor([[1.0, 0.0, 2.0], [3.0, 0.0, 1.0], [0.0, 0.0, 1.0], [2.0, 0.0, 5.0]],
                  requires_grad=True)
    q, r = tg.linalg.qr(a)
    with pytest.raises(RuntimeError, match=r"linalg\.qr \(its backward"):
        (q.sum() + r.sum()).backward()


def test_det_second_derivative_at_rank_n_minus_2_is_nan_not_a_wrong_number():
    # the SVD path cannot tell it (its singular values repeat): NaN, as PyTorch, where an
    # earlier version returned [[4, 0], [0, 1]] against the exact [[4, -3], [-2, 1]]
    z = tg.zeros(2, 2, dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(tg.linalg.det(z), z, create_graph=True)
    (h,) = tg.autograd.grad((g * tg.tensor([[1.0, 2.0], [3.0, 4.0]])).sum(), z)
    assert np.isnan(h.data).all()


def test_matrix_power_takes_a_0d_integer_tensor():
    a = tg.tensor([[1.0, 1.0], [0.0, 1.0]])
    assert a.matrix_power(tg.tensor(3)).data.tolist() == [[1.0, 3.0], [0.0, 1.0]]


def test_slogdet_gradient_of_a_regular_matrix_beside_a_singular_one_in_the_batch():
    a = tg.tensor(np.stack([np.ones((20, 20)), 100 * np.eye(20)]).astype(np.float32),
                  requires_grad=True)
    linalg.slogdet(a).logabsdet[1].backward()   # det 1e40 overflows float32's exp
    np.testing.assert_allclose(a.grad.data[1], np.eye(20) / 100, rtol=1e-6)


def test_singular_value_norms_refuse_a_dim_out_of_range():
    with pytest.raises(IndexError, match="dimension out of range"):
        tg.ones(2, 3, 4).norm("nuc", dim=(0, 4))
