"""PyTorch as the oracle for tinygrad_nndl.linalg: values, first and second
derivatives in float64 of inv, det, slogdet, logdet, solve, cholesky, qr,
eigh, eigvalsh, svd, svdvals, pinv, matrix_power and the norms through
singular values, over hypothesis batch shapes; the errors (type and
message); the Tensor methods and top-level functions. The vectors of QR, eigh
and the SVD are compared through what does not depend on the signs LAPACK
picks (each column's sign fixed by its first entry, or the products U Vh)."""
import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_torch_ops import check, compare  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import Tensor, linalg  # noqa: E402
from tinygrad_nndl.testing import shapes  # noqa: E402

pytestmark = pytest.mark.torch

FEW = settings(max_examples=5, deadline=None)
BATCH = shapes(min_dims=0, max_dims=2, max_side=2)


def sign_fixed(vectors):
    return vectors * vectors[..., :1, :].sign()


def q_fixed(qr):
    """Q with R's diagonal made positive (the sign LAPACK picks, undone)."""
    return qr[0] * qr[1].diagonal(0, -2, -1).sign().unsqueeze(-2)


def r_fixed(qr):
    return qr[1] * qr[1].diagonal(0, -2, -1).sign().unsqueeze(-1)


def svd_fixed(usv):
    u, s, vh = usv
    flip = u[..., :1, :].sign()
    return u * flip, s, vh * flip.mT


def spd(t):
    n = t.shape[-1]
    eye = torch.eye(n, dtype=t.dtype) if isinstance(t, torch.Tensor) else Tensor(np.eye(n))
    return t @ t.mT + 3 * eye


def both(fn):
    """fn written once for tinygrad_nndl.linalg and torch.linalg (its first
    argument); several results are compared as one, flattened and joined."""
    def joined(module, cat, *args):
        out = fn(module, *args)
        return cat([o.reshape(-1) for o in out]) if isinstance(out, tuple) else out
    return ((lambda *a: joined(linalg, tg.cat, *a)),
            (lambda *a: joined(torch.linalg, torch.cat, *a)))


# name: (ours, PyTorch's, input shapes (after the batch))
OPS = {
    "inv": (*both(lambda L, a: L.inv(a)), [(3, 3)]),
    "det": (*both(lambda L, a: L.det(a)), [(3, 3)]),
    "slogdet": (*both(lambda L, a: L.slogdet(a).logabsdet), [(3, 3)]),
    "logdet": (tg.logdet, torch.logdet, [(3, 3)]),
    "solve": (*both(lambda L, a, b: L.solve(a, b)), [(3, 3), (3, 2)]),
    "solve_vector": (linalg.solve, torch.linalg.solve, [(3, 3), (3,)]),
    "solve_right": (*both(lambda L, a, b: L.solve(a, b, left=False)), [(3, 3), (4, 3)]),
    "cholesky": (*both(lambda L, a: L.cholesky(spd(a))), [(3, 3)]),
    "cholesky_upper": (*both(lambda L, a: L.cholesky(spd(a), upper=True)), [(3, 3)]),
    "qr_tall": (*both(lambda L, a: (q_fixed(L.qr(a)), r_fixed(L.qr(a)))), [(4, 3)]),
    "qr_wide": (*both(lambda L, a: (q_fixed(L.qr(a)), r_fixed(L.qr(a)))), [(3, 5)]),
    "qr_complete": (*both(lambda L, a: (q_fixed(L.qr(a, "complete")),
                                        r_fixed(L.qr(a, "complete")))), [(2, 4)]),
    "eigh": (*both(lambda L, a: (L.eigh(a).eigenvalues, sign_fixed(L.eigh(a).eigenvectors))),
             [(3, 3)]),
    "eigh_upper": (*both(lambda L, a: sign_fixed(L.eigh(a, UPLO="U").eigenvectors)), [(3, 3)]),
    "eigvalsh": (*both(lambda L, a: L.eigvalsh(a)), [(3, 3)]),
    "svd_tall": (*both(lambda L, a: svd_fixed(L.svd(a, full_matrices=False))), [(4, 3)]),
    "svd_wide": (*both(lambda L, a: svd_fixed(L.svd(a, full_matrices=False))), [(3, 5)]),
    "svd_full": (*both(lambda L, a: (lambda u, s, vh: u[..., :3] @ vh[..., :3, :])(*L.svd(a))),
                 [(3, 5)]),
    "svdvals": (*both(lambda L, a: L.svdvals(a)), [(3, 4)]),
    "pinv": (*both(lambda L, a: L.pinv(a)), [(3, 4)]),
    "pinv_tall": (*both(lambda L, a: L.pinv(a)), [(4, 2)]),
    "pinv_hermitian": (*both(lambda L, a: L.pinv(spd(a), hermitian=True)), [(3, 3)]),
    "pinverse": (tg.pinverse, torch.pinverse, [(3, 4)]),
    "matrix_power_6": (*both(lambda L, a: L.matrix_power(a, 6)), [(3, 3)]),
    "matrix_power_-2": (*both(lambda L, a: L.matrix_power(a, -2)), [(3, 3)]),
    "matrix_power_0": (*both(lambda L, a: L.matrix_power(a, 0)), [(3, 3)]),
    "nuc": (*both(lambda L, a: L.matrix_norm(a, "nuc")), [(3, 4)]),
    "norm_2": (*both(lambda L, a: L.matrix_norm(a, 2, dim=(-1, -2), keepdim=True)), [(3, 4)]),
    "norm_-2": (*both(lambda L, a: L.norm(a, -2, dim=(-2, -1))), [(4, 3)]),
    "torch.norm_nuc": (lambda a: a.norm("nuc", dim=(-2, -1)),
                       lambda a: torch.norm(a, "nuc", dim=(-2, -1)), [(3, 4)]),
}


@pytest.mark.parametrize("name", OPS)
@FEW
@given(batch=BATCH, seed=st.integers(0, 2 ** 32 - 1))
def test_values_and_derivatives(name, batch, seed):
    ours, theirs, input_shapes = OPS[name]
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(batch + s) + (2 * np.eye(s[-1]) if s[-2:] == (3, 3) else 0)
              for s in input_shapes]
    check(ours, theirs, *values)


def test_cholesky_of_a_matrix_that_is_not_symmetric():
    # both read one triangle, and both give the gradient for symmetric perturbations
    a = np.array([[4.0, 1.0, 0.5], [2.0, 3.0, 0.2], [0.3, 0.1, 2.0]])
    check(linalg.cholesky, torch.linalg.cholesky, a)
    check(lambda t: linalg.cholesky(t, upper=True),
          lambda t: torch.linalg.cholesky(t, upper=True), a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # both warn: torch.cholesky is deprecated
        check(lambda t: tg.cholesky(t, upper=True), lambda t: torch.cholesky(t, upper=True), a)


def test_pinv_hermitian_and_rank_deficient():
    indefinite = np.diag([2.0, -3.0, 1.5]) + 0.1 * np.arange(9.0).reshape(3, 3)
    check(lambda t: linalg.pinv(t + t.mT, hermitian=True),
          lambda t: torch.linalg.pinv(t + t.mT, hermitian=True), indefinite)
    rank_two = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    check(linalg.pinv, torch.linalg.pinv, rank_two)


def test_det_of_singular_matrices_second_order():
    # PyTorch takes singular matrices through the SVD when the backward is recorded (as
    # check does), per matrix of the batch; its first-order-only path gives 0 for a
    # singular 2 x 2 matrix, where ours stays the cofactor matrix
    rank_two = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    check(linalg.det, torch.linalg.det, rank_two)
    check(linalg.det, torch.linalg.det, np.stack([rank_two, 2 * np.eye(3)]))


def test_gradients_of_unused_factors_and_repeated_values():
    a = np.eye(3) * 2   # every singular value and eigenvalue repeats
    check(linalg.svdvals, torch.linalg.svdvals, a, second=False)
    check(linalg.eigvalsh, torch.linalg.eigvalsh, a, second=False)
    check(lambda t: linalg.svd(t).S, lambda t: torch.linalg.svd(t).S, a, second=False)
    check(lambda t: linalg.matrix_norm(t, "nuc"), lambda t: torch.linalg.matrix_norm(t, "nuc"),
          a, second=False)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "qr", "eigh", "svd",
                                  "svdvals", "pinv", "solve", "matrix_power"])
def test_float32_values(name):
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]], np.float32)
    args = (a,) if name != "matrix_power" else (a, 3)
    args = (a, a) if name == "solve" else args
    ours = getattr(linalg, name)(*[Tensor(x) if isinstance(x, np.ndarray) else x for x in args])
    theirs = getattr(torch.linalg, name)(*[torch.from_numpy(x) if isinstance(x, np.ndarray)
                                           else x for x in args])
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for o, t in zip(ours, theirs):
        assert o.dtype == np.float32 and t.dtype == torch.float32
        if name not in ("qr", "eigh", "svd"):   # (vectors up to sign)
            compare(o, t, rtol=1e-5, atol=1e-5)


# ----- errors: the type and the message --------------------------------------------------
CALLS = {
    "inv": (linalg.inv, torch.linalg.inv), "inverse": (tg.inverse, torch.inverse),
    "det": (linalg.det, torch.linalg.det), "slogdet": (linalg.slogdet, torch.linalg.slogdet),
    "logdet": (tg.logdet, torch.logdet), "cholesky": (linalg.cholesky, torch.linalg.cholesky),
    "qr": (linalg.qr, torch.linalg.qr), "eigh": (linalg.eigh, torch.linalg.eigh),
    "eigvalsh": (linalg.eigvalsh, torch.linalg.eigvalsh), "svd": (linalg.svd, torch.linalg.svd),
    "svdvals": (linalg.svdvals, torch.linalg.svdvals), "pinv": (linalg.pinv, torch.linalg.pinv),
    "matrix_power": (lambda a: linalg.matrix_power(a, -1),
                     lambda a: torch.linalg.matrix_power(a, -1)),
    "nuc": (lambda a: linalg.matrix_norm(a, "nuc"), lambda a: torch.linalg.matrix_norm(a, "nuc")),
    "torch.cholesky": (tg.cholesky, torch.cholesky),
}
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
INPUTS = {
    "vector": np.ones(3), "2x3": np.ones((2, 3)), "long": np.eye(2, dtype=np.int64),
    "half": np.eye(2, dtype=np.float16), "bool": np.eye(2, dtype=bool),
    "singular": np.stack([np.eye(2), SINGULAR]),
    "indefinite": np.stack([np.eye(2), np.eye(2), np.array([[1.0, 2.0], [2.0, 1.0]])]),
    "nan": np.stack([np.eye(2), np.array([[1.0, np.nan], [0.0, 1.0]])]),
}


def _outcome(fn, x):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fn(x)
    except Exception as e:   # noqa: BLE001 - the outcome compared is the exception itself
        return e
    return None


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("case", INPUTS)
def test_errors_as_pytorch(name, case):
    ours, theirs = CALLS[name]
    x = INPUTS[case]
    got, want = _outcome(ours, Tensor(x)), _outcome(theirs, torch.from_numpy(x))
    if want is None:
        assert got is None
        return
    assert got is not None, f"PyTorch raised {want!r}"
    if isinstance(want, torch.linalg.LinAlgError):
        assert isinstance(got, linalg.LinAlgError)
    else:
        assert type(got) is type(want) or isinstance(got, type(want))
    # ours are PyTorch's messages, some with the op's name put first and the shape added
    assert _plain(got).endswith(_plain(want)), (str(got), str(want))


def _plain(error):
    return re.sub(r" \((got )?shape \([^)]*\)\)|; shape \([^)]*\)", "", str(error)).rstrip(".")
