"""``tinygrad_nndl.linalg``: torch.linalg's core on batches of matrices
(leading batch dimensions), float32 or float64, differentiable twice: the
inverse, determinants and solves, the decompositions (Cholesky, QR, eigh,
SVD), the pseudo-inverse, matrix powers, and the vector and matrix norms.
The ops are in ``ops.inverses``, ``ops.determinants`` and
``ops.decompositions``; this module checks the arguments and names the
results as PyTorch does."""
import math
from collections import namedtuple

import numpy as np

from .autograd.grad_mode import is_grad_enabled
from .ops.decompositions import QR, Cholesky, Eigh, Svd, factors, singular_values
from .ops.determinants import Det
from .ops.inverses import Inv, Pinv, Solve
from .ops.matrix_checks import check_matrices, check_shape
from .ops.norm import norm as _vector_norm
from .ops.norm import singular_value_norm
from .tensor.dtypes import torch_name
from .tensor.errors import LinAlgError  # noqa: F401 - torch.linalg.LinAlgError
from .tensor.methods import SlogdetResult  # noqa: F401 - slogdet's result, as QRResult
from .tensor.tensor import Tensor, _value

QRResult = namedtuple("QRResult", ["Q", "R"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
_QR_MODES = ("reduced", "complete", "r")


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements for None); ord may be
    inf, -inf or 0 (the count of non-zeros)."""
    return _vector_norm(_as_tensor(x), ord, dim, keepdim, dtype, "linalg.vector_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """The matrix norm over the two dims ``dim``: 'fro', or the largest
    column (ord 1) or row (ord inf) sum of magnitudes, -1 and -inf the smallest."""
    A = _as_tensor(A)
    check_shape("linalg.matrix_norm", A.shape, square=False)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple, got {dim}")
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        return singular_value_norm(A, ord, dim, keepdim, dtype)
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord!r} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    rows, cols = (d % A.ndim for d in dim)
    summed, kept = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = A.abs().sum(summed, keepdim=True)
    out = sums.amax(kept, keepdim=True) if ord > 0 else sums.amin(kept, keepdim=True)
    return out if keepdim else out.squeeze((rows, cols))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """torch.linalg.norm: a vector norm over one dim, a matrix norm over two;
    without ``dim``, the 2-norm of all elements when ord is None, else the
    vector norm of a 1-D input or the matrix norm of a 2-D one."""
    A = _as_tensor(A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                       f"1D or 2D. Got {A.ndim}D.")


def inv(A):
    """A^-1 of each matrix; LinAlgError (a RuntimeError) where one is singular."""
    return Inv.apply(_as_tensor(A))


def det(A):
    """det A of each matrix; its gradient, det(A) A^-T, stays defined where A
    is singular (the cofactor matrix)."""
    return Det.apply(_as_tensor(A))


def slogdet(A):
    """(sign, logabsdet): det A = sign exp(logabsdet); sign 0 and logabsdet
    -inf where A is singular. Only logabsdet has a gradient."""
    return _as_tensor(A).slogdet()


def matrix_power(A, n):
    """A^n for an integer n: of A^-1 for n < 0, the identity for n = 0."""
    return _as_tensor(A).matrix_power(n)


def solve(A, B, *, left=True):
    """X with A X = B (``left``) or X A = B, for each matrix A of a batch; B
    is a batch of vectors when it is 1-D or has A's shape but the last
    dimension, else of matrices; the batch dimensions broadcast."""
    A, B = _as_tensor(A), _as_tensor(B)
    if not isinstance(left, bool):
        raise TypeError(f"linalg.solve(): argument 'left' must be bool, not "
                        f"{type(left).__name__}")
    check_matrices("linalg.solve", A.data, kernel="lu_cpu")
    if B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {torch_name(A.dtype)} and B of type {torch_name(B.dtype)} "
                           f"instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    matrices = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if matrices.ndim < 2 or matrices.shape[-2 if left else -1] != n:
        sides = "x".join(map(str, matrices.shape[-2:])) if matrices.ndim >= 2 else "a scalar"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {sides})")
    try:
        np.broadcast_shapes(A.shape[:-2], matrices.shape[:-2])
    except ValueError:
        raise RuntimeError(f"linalg.solve: the batch dimensions of A {A.shape} and B "
                           f"{B.shape} do not broadcast") from None
    X = Solve.apply(A, matrices) if left else Solve.apply(A.mT, matrices.mT).mT
    return X.squeeze(-1) if vector else X


def cholesky(A, *, upper=False):
    """L with A = L L^T (lower triangular, read from A's lower triangle), or
    with ``upper`` U = L^T (read from the upper one); LinAlgError where A is
    not positive-definite."""
    return Cholesky.apply(_as_tensor(A), upper=upper)


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R: mode 'reduced' (Q m x k, R k x n, k = min(m, n)),
    'complete' (Q m x m) or 'r' (R alone; Q empty, and no gradient)."""
    A = _as_tensor(A)
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    parts = factors(QR, A, mode=mode)
    if mode == "r":
        return QRResult(Tensor._make(np.empty(0, A.dtype), None), parts[0])
    return QRResult(*parts)


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L"):
    """(eigenvalues, eigenvectors) of symmetric matrices: ascending
    eigenvalues, orthonormal eigenvectors as columns (each up to sign),
    read from A's lower (UPLO 'L') or upper triangle."""
    _check_uplo(UPLO)
    return EighResult(*factors(Eigh, _as_tensor(A), UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    """The ascending eigenvalues of symmetric matrices (as ``eigh``)."""
    _check_uplo(UPLO)
    A = _as_tensor(A)
    # the vectors only when a gradient may be asked for: it reads them
    return factors(Eigh, A, UPLO=UPLO, vectors=A.requires_grad and is_grad_enabled(),
                   values_only=True)[0]


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; U and Vh square with
    ``full_matrices``, else of k = min(m, n) columns and rows."""
    return SVDResult(*factors(Svd, _as_tensor(A), full_matrices=full_matrices))


def svdvals(A):
    """The singular values, descending."""
    return singular_values(_as_tensor(A))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The pseudo-inverse A^+, through the SVD (eigh with ``hermitian``):
    singular values up to max(atol, rtol times the largest) count as zero;
    rtol defaults to eps max(m, n) (to 0 when atol > 0 is given)."""
    return Pinv.apply(_as_tensor(A), atol=_value(atol), rtol=_value(rtol), hermitian=hermitian)
