"""Determinants of a batch of square matrices: det A, and slogdet's sign and
log |det A|. Both gradients are the cofactor matrix det(A) A^-T scaled, which
stays defined where A is singular (there it is taken through the SVD, as
PyTorch takes it under create_graph; its first-order gradient there comes
from a perturbed LU and is 0 for a singular 2 x 2 matrix, whose cofactors
are not)."""
import numpy as np

from ..autograd.function import OUT, Function
from .decompositions import Packed, Svd, unpack
from .dual import reshape, run_op, swap_last, value, where
from .inverses import Inv
from .matrix_checks import check_matrices
from .movement import slice_grad


def _scalars_as_matrices(x):
    return reshape(x, x.shape + (1, 1))


def cofactors(a, det):
    """det(A) A^-T, the matrix of cofactors (adj(A)^T), of arrays or Tensors:
    through the inverse, but for the matrices with |det A| < 100 eps
    (PyTorch's test of singular), taken apart (as PyTorch's masked_fmap)
    through the SVD."""
    singular = np.abs(value(det)) < 100 * np.finfo(value(a).dtype).eps
    if not singular.any():
        return _by_inverse(a, det)
    if singular.all():
        return _by_svd(a)
    n = a.shape[-1]
    flat, flat_det = reshape(a, (-1, n, n)), reshape(det, (-1,))
    picked = [np.flatnonzero(singular), np.flatnonzero(~singular)]
    parts = [_by_svd(flat[picked[0]]), _by_inverse(flat[picked[1]], flat_det[picked[1]])]
    return reshape(sum(slice_grad(part, flat.shape, (rows,), False)
                       for part, rows in zip(parts, picked)), a.shape)


def _by_inverse(a, det):
    return _scalars_as_matrices(det) * swap_last(run_op(Inv, a))


def _by_svd(a):
    """det(U) det(Vh) U diag(prod of the s_j for j != i) Vh, with A = U
    diag(s) Vh: no inverse needed (its derivative is the SVD's: infinite
    where singular values repeat)."""
    n = a.shape[-1]
    u, s, vh = unpack(run_op(Svd, a, full_matrices=False, vectors_read=True), a.shape[:-2],
                      [(n, n), (n,), (n, n)])
    orientation = np.linalg.det(value(u)) * np.linalg.det(value(vh))   # +-1: no derivative
    row = s.shape[:-1] + (1, n)
    others = where(np.eye(n, dtype=bool), 1, reshape(s, row)).prod(-1)
    return _scalars_as_matrices(orientation) * ((u * reshape(others, row)) @ vh)


class Det(Function):
    """det A. d det = det(A) tr(A^-1 dA), so dL/dA = g det(A) A^-T: g times
    the cofactor matrix (``cofactors``)."""

    api = "linalg.det"
    save_output = True
    reads = ((0, OUT),)

    def forward(self, a):
        check_matrices(self.api, a, kernel="lu_cpu")
        return np.linalg.det(a)

    def backward(self, g, out, a):
        return (_scalars_as_matrices(g) * cofactors(a, out),)


class Slogdet(Packed):
    """slogdet: (sign det A, log |det A|), packed (``Packed``). The sign is
    piecewise constant: only log |det A| has a gradient,
    d log|det A| = tr(A^-1 dA), so dL/dA = g A^-T (the cofactors over det A:
    infinite where A is singular)."""

    api = "linalg.slogdet"
    save_inputs = True
    reads = ((0, OUT),)

    def shapes(self, m, n):
        return [(), ()]

    def forward(self, a):
        check_matrices(self.api, a)
        return self.pack(a, *np.linalg.slogdet(a))

    def backward(self, g, out, a):
        sign = value(self.unpack(out)[0])
        g_log = _scalars_as_matrices(self.unpack(g)[1])
        if (sign != 0).all():
            return (g_log * swap_last(run_op(Inv, a)),)
        # the sign stands in for det: cofactors / sign is A^-T where A is regular (no
        # exp(logabsdet) to overflow), and cofactors / 0 PyTorch's inf where it is singular
        return (g_log * cofactors(a, sign) / _scalars_as_matrices(sign),)
