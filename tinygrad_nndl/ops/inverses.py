"""Inverses: A^-1, the solution of A X = B, and the pseudo-inverse A^+, each
of a batch of matrices (leading batch dimensions, broadcast where two inputs
meet). Their backward rules are written with the ops themselves (the
inverse's derivative is read off the inverse, a solve's gradient is another
solve), so that under create_graph the second derivatives come free.
"""
import numpy as np

from ..autograd.function import OUT, Function
from ..tensor.dtypes import torch_name
from .dual import run_op, sum_to, swap_last
from .matrix_checks import check_matrices, not_converged, singular_inverse, singular_system


class Inv(Function):
    """A^-1. d(A^-1) = -A^-1 dA A^-1, so dL/dA = -A^-T g A^-T, read off the
    output (under create_graph a Tensor of this node: its derivative is this
    rule again)."""

    api = "linalg.inv"
    save_inputs = False
    save_output = True
    reads = ((OUT,),)

    def forward(self, a):
        check_matrices(self.api, a)
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise singular_inverse(self.api, a) from None

    def backward(self, g, out, a):
        inv_t = swap_last(out)
        return (-(inv_t @ g @ inv_t),)


class Solve(Function):
    """X = A^-1 B for matrices B (..., n, k), the batch dimensions of A and B
    broadcast. dX = A^-1 (dB - dA X), so dL/dB = A^-T g (a solve again) and
    dL/dA = -(dL/dB) X^T, each summed back over the batch dimensions it was
    broadcast along."""

    api = "linalg.solve"
    save_output = True
    reads = (0, OUT), (0,)

    def forward(self, a, b):
        # Same number of dimensions: numpy 1.x would read a b of one fewer as vectors.
        a = a.reshape((1,) * (b.ndim - a.ndim) + a.shape)
        b = b.reshape((1,) * (a.ndim - b.ndim) + b.shape)
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            raise singular_system(self.api, np.broadcast_to(a, batch + a.shape[-2:])) from None

    def backward(self, g, out, a, b):
        gb = run_op(Solve, swap_last(a), g)
        ga = sum_to(-(gb @ swap_last(out)), a.shape) if self.needs[0] else None
        return ga, sum_to(gb, b.shape) if self.needs[1] else None


def pinv_tolerance(s_max, atol, rtol, dtype, shape):
    """PyTorch's cut-off max(atol, rtol s_max) per matrix (s_max: (..., 1)):
    rtol defaults to eps max(m, n), or to 0 where a positive atol is given."""
    given = atol is not None
    atol = np.asarray(atol if given else 0.0, dtype=np.float64)
    if rtol is None:
        rtol = np.finfo(dtype).eps * max(shape[-2:])
        if given:
            rtol = np.where(atol > 0, 0.0, rtol)
    rtol = np.asarray(rtol, dtype=np.float64)
    return np.maximum(atol[..., None], rtol[..., None] * s_max)


class Pinv(Function):
    """A^+ through the SVD A = U diag(s) Vh: V diag(1/s) U^T over the singular
    values s > max(atol, rtol s_max), 0 for the others (``hermitian``: through
    eigh, over |w| > tol). Backward: PyTorch's formula (pinv_backward), valid
    where the rank does not change; written with A and A^+ themselves, so it
    is differentiable again:
    m <= n: K = g^T A^+, dL/dA = -(A^+ K)^T + K A^+T - A A^+ K A^+T + A^+T A^+ (g^T - K A);
    m > n:  K = A^+ g^T, dL/dA = -(K A^+)^T + (g^T - A K) A^+ A^+T + A^+T K - A^+T K A^+ A."""

    atol = rtol = None
    hermitian = False
    api = "linalg.pinv"
    save_output = True

    def forward(self, a):
        if a.ndim < 2 or a.dtype not in (np.float32, np.float64):
            raise RuntimeError(f"{self.api}({torch_name(a.dtype)}{{{list(a.shape)}}}): expected "
                               f"a tensor with 2 or more dimensions of float, double, cfloat or "
                               f"cdouble types")
        m, n = a.shape[-2:]
        if not a.size:
            return np.zeros(a.shape[:-2] + (n, m), a.dtype)
        if self.hermitian:
            w, v = np.linalg.eigh(a)
            tol = pinv_tolerance(np.abs(w).max(-1, keepdims=True), self.atol, self.rtol,
                                 a.dtype, a.shape)
            w_inv = np.where(np.abs(w) > tol, 1 / w, 0).astype(a.dtype)
            return (v * w_inv[..., None, :]) @ swap_last(v)
        try:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
        except np.linalg.LinAlgError:
            raise not_converged("linalg.svd", a, "singular values") from None
        tol = pinv_tolerance(s[..., :1], self.atol, self.rtol, a.dtype, a.shape)
        s_inv = np.where(s > tol, 1 / s, 0).astype(a.dtype)
        return (swap_last(vh) * s_inv[..., None, :]) @ swap_last(u)

    def backward(self, g, out, a):
        m, n = a.shape[-2:]
        p, pt, gt = out, swap_last(out), swap_last(g)
        if m <= n:
            k = gt @ p
            kpt = k @ pt
            return (-swap_last(p @ k) + kpt - (a @ p) @ kpt + (pt @ p) @ (gt - k @ a),)
        k = p @ gt
        ptk = pt @ k
        return (-swap_last(k @ p) + ((gt - a @ k) @ p) @ pt + ptk - (ptk @ p) @ a,)
