"""What the linear-algebra ops accept, and PyTorch's errors for the rest.

The checks run first, before anything is computed: at least two dimensions,
square matrices where the op needs them, float32 or float64 (PyTorch refuses
integers and, but for a few ops, float16). When LAPACK then refuses the
values (a singular matrix, one that is not positive-definite) numpy says only
that, where PyTorch names the batch element and what LAPACK reported (the
zero pivot, the order of the failing leading minor): those are found again
here, on the error path only.
"""
import numpy as np

from ..tensor.dtypes import torch_name
from ..tensor.errors import LinAlgError

_LAPACK_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_matrices(api, a, square=True, kernel=None, any_dtype_kernel=False):
    """Raise PyTorch's error unless ``a`` is a batch of float32 or float64
    matrices (square ones if ``square``); ``api`` names the op. ``kernel``:
    PyTorch's CPU kernel, for the ops that refuse float16 (or, with
    ``any_dtype_kernel``, every other dtype) with a NotImplementedError."""
    check_shape(api, a.shape, square)
    check_dtype(api, a.dtype, kernel, any_dtype_kernel)


def check_shape(api, shape, square=True):
    if len(shape) < 2:
        raise RuntimeError(f"{api}: The input tensor A must have at least 2 dimensions "
                           f"(got shape {shape}).")
    if square and shape[-1] != shape[-2]:
        raise RuntimeError(f"{api}: A must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")


def check_dtype(api, dtype, kernel=None, any_dtype_kernel=False):
    dtype = np.dtype(dtype)
    if dtype in _LAPACK_DTYPES:
        return
    name = torch_name(dtype)
    if kernel is not None and (any_dtype_kernel or dtype.kind == "f"):
        raise NotImplementedError(f"{api}: \"{kernel}\" not implemented for '{name}'")
    if dtype.kind != "f":
        raise RuntimeError(f"{api}: Expected a floating point or complex tensor as input. "
                           f"Got {name}")
    raise RuntimeError(f"{api}: Low precision dtypes not supported. Got {name}")


def lapack_refuses(fn, *args):
    try:
        fn(*args)
    except np.linalg.LinAlgError:
        return True
    return False


def first_refused(a, fn):
    """(i, matrix): the first matrix of a's batch (flat index i) that numpy's
    ``fn`` refuses, and PyTorch's "(Batch element i): " prefix (empty for a
    lone matrix)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    i = next((i for i, m in enumerate(flat) if lapack_refuses(fn, m)), 0)
    return flat[i], f"(Batch element {i}): " if a.ndim > 2 else ""


def zero_pivot(m):
    """LAPACK getrf's info: the first (1-based) zero on the diagonal of U in
    m = P L U with partial pivoting, or 0."""
    u = np.array(m)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k] /= u[k, k]
        u[k + 1:, k + 1:] -= np.outer(u[k + 1:, k], u[k, k + 1:])
    return 0


def singular_inverse(api, a):
    """linalg.inv's error for a batch ``a`` that LAPACK found singular."""
    m, batch = first_refused(a, np.linalg.inv)
    k = zero_pivot(m) or m.shape[0]   # (rounding may hide the pivot our LU meets)
    return LinAlgError(f"{api}: {batch}The diagonal element {k} is zero, the inversion could "
                       f"not be completed because the input matrix is singular (shape "
                       f"{a.shape}).")


def singular_system(api, a):
    """linalg.solve's error for matrices ``a`` (broadcast to the batch) that
    LAPACK found singular."""
    _, batch = first_refused(a, np.linalg.inv)
    return LinAlgError(f"torch.{api}: {batch}The solver failed because the input matrix is "
                       f"singular (shape {a.shape}).")


def not_positive_definite(api, a):
    """linalg.cholesky's error for a batch ``a`` (the triangle it reads made
    the lower one) that LAPACK found not positive-definite."""
    m, batch = first_refused(a, np.linalg.cholesky)
    order = next((k for k in range(1, m.shape[0] + 1)
                  if lapack_refuses(np.linalg.cholesky, m[:k, :k])), m.shape[0])
    return LinAlgError(f"{api}: {batch}The factorization could not be completed because the "
                       f"input is not positive-definite (the leading minor of order {order} is "
                       f"not positive-definite; shape {a.shape}).")


def not_converged(api, a, what):
    """svd's and eigh's error when LAPACK's iteration failed: PyTorch blames
    non-finite values when there are some."""
    flat = a.reshape((-1,) + a.shape[-2:])
    bad = [i for i, m in enumerate(flat) if not np.isfinite(m).all()]
    batch = f"(Batch element {bad[0] if bad else 0}): " if a.ndim > 2 else ""
    why = ("the input matrix contained non-finite values" if bad else
           f"the input matrix is ill-conditioned or has too many repeated {what}")
    return LinAlgError(f"{api}: {batch}The algorithm failed to converge because {why} (shape "
                       f"{a.shape}).")
