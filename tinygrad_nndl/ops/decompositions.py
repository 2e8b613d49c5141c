"""Matrix decompositions of a batch of matrices: Cholesky, QR, the
eigendecomposition of a symmetric matrix (eigh) and the SVD.

A node has one output and most of these ops have several (Q and R, the
eigenvalues and eigenvectors, U, S and Vh): forward returns them packed, each
flattened, side by side along one last axis, and the Tensors a user gets are
views of that output (``factors``). Backward unpacks the gradient the same
way; the factors the loss did not use get zeros there. The rules are
PyTorch's (torch/csrc/autograd/FunctionsManual.cpp), written with operators,
the helpers of ``ops.dual`` and the solve op, on the unpacked output: under
create_graph that is a Tensor of the node, so the second derivatives come
free. The vectors of eigh and svd are defined up to sign: a loss that depends
on the signs has no gradient to speak of, here as in PyTorch.
"""
import math

import numpy as np

from ..autograd.function import OUT, Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor.tensor import Tensor
from .dual import diag_embed, reshape, run_op, swap_last, tril, triu, value, where
from .inverses import Solve
from .matrix_checks import check_matrices, not_converged, not_positive_definite


def unpack(packed, batch, shapes):
    """The factors of shapes ``shapes`` (after the batch dimensions ``batch``)
    packed along the last axis of ``packed`` (an array or a Tensor)."""
    parts, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        parts.append(reshape(packed[..., start:start + size], batch + shape))
        start += size
    return parts


def factors(op, a, **attrs):
    """The factors that ``op`` (a Packed op) computes of the Tensor a, each a
    Tensor of its own (cut from the op's one output)."""
    packed = op.apply(a, **attrs)
    shaper = object.__new__(op)
    shaper.__dict__.update(attrs)
    # each factor in memory of its own: a kept S must not keep U and Vh alive
    return [part.clone() if np.shares_memory(part.data, packed.data) else part
            for part in unpack(packed, a.shape[:-2], shaper.shapes(*a.shape[-2:]))]


def singular_values(a):
    """svdvals of the Tensor a: S alone, but with the vectors computed too
    (and dropped) when a gradient may be asked for, which reads them."""
    vectors = a.requires_grad and is_grad_enabled()
    parts = factors(Svd, a, full_matrices=False, vectors=vectors, values_only=True)
    return parts[1] if vectors else parts[0]


# the op a singular factor's solve names in its error: the user called this one
_BACKWARD = "{} (its backward, which solves with the factor)"


def _counts(grad, handed_out):
    """Whether a factor's gradient enters backward: some entry is not 0, or,
    recorded (create_graph), it depends on the input, so that its derivative
    does even where its value is 0 (a second derivative through U or V). A
    factor never handed out (svdvals' U, eigvalsh's V) gets nothing from the
    user: only a recorded backward's nonzero use of it counts (a zero from the
    values' slice would put 0/0 where values repeat)."""
    if handed_out and isinstance(grad, Tensor) and grad.requires_grad:
        return True
    return bool(value(grad).any())


def _row(v):
    """Vectors (..., k) as rows (..., 1, k), to scale a matrix's columns."""
    return reshape(v, v.shape[:-1] + (1, v.shape[-1]))


def _col(v):
    return reshape(v, v.shape + (1,))


def _gaps(v):
    """E_ij = v_j - v_i, with 1 on the diagonal (divided into zeros there)."""
    return where(np.eye(v.shape[-1], dtype=bool), 1, _row(v) - _col(v))


class Packed(Function):
    """An op with several outputs, packed into one (see the module's docstring)."""

    save_inputs = False
    save_output = True
    reads = ((OUT,),)

    def shapes(self, m, n):
        """The shapes of the factors of an m x n matrix."""
        raise NotImplementedError

    def pack(self, a, *parts):
        self.batch, self.mn = a.shape[:-2], a.shape[-2:]
        flat = [p.reshape(self.batch + (math.prod(p.shape[len(self.batch):]),)) for p in parts]
        return np.concatenate(flat, axis=-1)

    def unpack(self, packed):
        return unpack(packed, self.batch, self.shapes(*self.mn))


class Cholesky(Function):
    """L with A = L L^T, read from A's lower triangle (``upper``: U = L^T,
    read from the upper one). Backward (PyTorch's cholesky_backward): with
    P = tril(L^T gL), dL/dA = L^-T (P + tril(P, -1)^T) / 2 L^-1, symmetric:
    the gradient for symmetric perturbations of A."""

    upper = False
    api = "linalg.cholesky"
    save_inputs = False
    save_output = True
    reads = ((OUT,),)

    def forward(self, a):
        check_matrices(self.api, a, kernel="cholesky_cpu")
        lower = swap_last(a) if self.upper else a   # A's upper triangle is A^T's lower one
        try:
            factor = np.linalg.cholesky(lower)
        except np.linalg.LinAlgError:
            raise not_positive_definite(self.api, lower) from None
        return np.ascontiguousarray(swap_last(factor)) if self.upper else factor

    def backward(self, g, out, a):
        low, g_low = (swap_last(out), swap_last(g)) if self.upper else (out, g)
        low_t = swap_last(low)
        p = tril(low_t @ g_low)
        p = 0.5 * (p + swap_last(tril(p, -1)))
        api = _BACKWARD.format(self.api)
        left = run_op(Solve, low_t, p, api=api)                                # L^-T P
        return (swap_last(run_op(Solve, low_t, swap_last(left), api=api)),)  # (L^-T (L^-T P)^T)^T


class QR(Packed):
    """A = Q R: Q with orthonormal columns, R upper triangular; mode
    'reduced' (k = min(m, n) columns of Q), 'complete' (Q square) or 'r' (R
    alone). Backward (PyTorch's linalg_qr_backward), with M = gR R^T - Q^T gQ:
    m >= n: dL/dA = (gQ + Q (triu(M) + triu(M, 1)^T)) R^-T;
    m < n: dL/dA = [Q tril(M^T - M) R1^-T | 0] + Q gR (R1: R's first m columns).
    Not differentiable, as in PyTorch: mode 'r', and 'complete' with m > n."""

    mode = "reduced"
    api = "linalg.qr"

    def shapes(self, m, n):
        k = min(m, n)
        if self.mode == "r":
            return [(k, n)]
        return [(m, m), (m, n)] if self.mode == "complete" else [(m, k), (k, n)]

    def forward(self, a):
        check_matrices(self.api, a, square=False, kernel="geqrf_cpu")
        if self.mode == "r":
            return self.pack(a, np.linalg.qr(a, mode="r"))
        return self.pack(a, *np.linalg.qr(a, mode=self.mode))

    def backward(self, g, out, a):
        m, n = self.mn
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               f"and nrows > ncols (shape {self.batch + self.mn}).")
        q, r = self.unpack(out)
        gq, gr = self.unpack(g)
        api = _BACKWARD.format(self.api)   # a rank-deficient A's R is singular: say qr's
        mm = gr @ swap_last(r) - swap_last(q) @ gq
        if m >= n:
            b = gq + q @ (triu(mm) + swap_last(triu(mm, 1)))
            return (swap_last(run_op(Solve, r, swap_last(b), api=api)),)      # b R^-T
        b = q @ tril(swap_last(mm) - mm)
        square = swap_last(run_op(Solve, r[..., :m], swap_last(b), api=api))
        return (square @ np.eye(m, n, dtype=value(out).dtype) + q @ gr,)   # padded with zeros


class Eigh(Packed):
    """The eigenvalues w (ascending) and orthonormal eigenvectors V (columns)
    of a symmetric A, read from its lower triangle (UPLO 'U': the upper one);
    ``vectors`` False: w alone. Backward (PyTorch's linalg_eig_backward,
    Hermitian case): dL/dA = V (diag(gw) + (X - X^T) / 2E) V^T with
    X = V^T gV and E_ij = w_j - w_i (1 on the diagonal): symmetric, and
    infinite where eigenvalues repeat unless gV = 0 (eigvalsh), where it is
    V diag(gw) V^T."""

    UPLO = "L"
    vectors = True
    values_only = False   # eigvalsh: V computed for backward, never handed out (_counts)
    api = "linalg.eigh"

    def shapes(self, m, n):
        return [(n,), (n, n)] if self.vectors else [(n,)]

    def forward(self, a):
        check_matrices(self.api, a, kernel="linalg_eigh_cpu", any_dtype_kernel=True)
        try:
            if not self.vectors:
                return self.pack(a, np.linalg.eigvalsh(a, UPLO=self.UPLO))
            return self.pack(a, *np.linalg.eigh(a, UPLO=self.UPLO))
        except np.linalg.LinAlgError:
            raise not_converged(self.api, a, "eigenvalues") from None

    def backward(self, g, out, a):
        w, v = self.unpack(out)
        gw, gv = self.unpack(g)
        v_t = swap_last(v)
        if not _counts(gv, not self.values_only):
            return ((v * _row(gw)) @ v_t,)
        x = v_t @ gv
        return (v @ ((x - swap_last(x)) / (2 * _gaps(w)) + diag_embed(gw)) @ v_t,)


class Svd(Packed):
    """A = U diag(S) Vh, S descending; ``full_matrices``: U and Vh square,
    else k = min(m, n) columns of U and rows of Vh; ``vectors`` False: S
    alone. Backward (PyTorch's svd_backward), with the first k columns of U
    and rows of Vh, E_ij = S_j^2 - S_i^2 (1 on the diagonal), X = U^T gU and
    Y = Vh gVh^T: G = diag(gS) + (X - X^T) S / E + S (Y - Y^T) / E and
    m = n: dL/dA = U G Vh;
    m > n: dL/dA = (U G + (I - U U^T) gU S^-1) Vh;
    m < n: dL/dA = U (G Vh + S^-1 gVh (I - Vh^T Vh)).
    Infinite where singular values repeat, unless only S is used (svdvals):
    then U diag(gS) Vh."""

    full_matrices = True
    vectors = True
    values_only = False   # svdvals: U and Vh computed for backward, never handed out
    vectors_read = False  # U and Vh read by the caller (det): their gradients count, even 0
    api = "linalg.svd"

    def shapes(self, m, n):
        k = min(m, n)
        if not self.vectors:
            return [(k,)]
        if self.full_matrices:
            return [(m, m), (k,), (n, n)]
        return [(m, k), (k,), (k, n)]

    def forward(self, a):
        check_matrices(self.api, a, square=False, kernel="linalg_svd_cpu")
        try:
            if not self.vectors:
                return self.pack(a, np.linalg.svd(a, compute_uv=False))
            return self.pack(a, *np.linalg.svd(a, full_matrices=self.full_matrices))
        except np.linalg.LinAlgError:
            raise not_converged(self.api, a, "singular values") from None

    def backward(self, g, out, a):
        m, n = self.mn
        k = min(m, n)
        u, s, vh = self.unpack(out)
        gu, gs, gvh = self.unpack(g)
        if self.full_matrices:   # the columns beyond k get no gradient, as in PyTorch
            u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        has_u = self.vectors_read or _counts(gu, not self.values_only)
        has_v = self.vectors_read or _counts(gvh, not self.values_only)
        if not (has_u or has_v):
            return ((u * _row(gs)) @ vh,)
        inner = diag_embed(gs)
        gaps = _gaps(s * s)
        if has_u:
            x = swap_last(u) @ gu
            inner = inner + (x - swap_last(x)) * _row(s) / gaps
        if has_v:
            y = vh @ swap_last(gvh)
            inner = inner + _col(s) * (y - swap_last(y)) / gaps
        if m > n and has_u:
            gu_s = gu / _row(s)
            return ((u @ inner + gu_s - u @ (swap_last(u) @ gu_s)) @ vh,)
        if m < n and has_v:
            gvh_s = gvh / _col(s)
            return (u @ (inner @ vh + gvh_s - (gvh_s @ swap_last(vh)) @ vh),)
        return (u @ inner @ vh,)
