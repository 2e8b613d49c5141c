"""Linear interpolation, start + weight (end - start), as one op: PyTorch
computes it in two branches so that weight 1 gives end exactly, which the
one-line formula misses (it gives 0 for lerp(1e8, 1, 1) in float32); as a
composition both branches and a where would be recorded."""
import numpy as np

from ..autograd.function import Function
from .dual import sum_to, value
from .elementwise import shape_of


class Lerp(Function):
    """start + weight (end - start) where |weight| < 0.5, else end - (end -
    start)(1 - weight), PyTorch's forms; all three broadcast, and a number
    weight is taken in the inputs' dtype first, as PyTorch takes it (float16
    is computed in float32, a number weight too, and rounded once, as
    PyTorch's kernel does).
    d/dstart = 1 - weight, d/dend = weight, d/dweight = end - start."""

    reads = (2,), (2,), (0, 1)

    def forward(self, a, b, w):
        dtype = np.result_type(a, b)
        if not isinstance(w, np.ndarray):
            w = np.asarray(w, dtype=np.float32 if dtype == np.float16 else dtype)
        if dtype == np.float16:
            return self.forward(a.astype(np.float32), np.asarray(b, np.float32),
                                w.astype(np.float32)).astype(np.float16)
        d = b - a
        near_start = np.abs(w) < 0.5
        if w.ndim == 0:   # one branch suffices
            return a + w * d if near_start else b - d * (1 - w)
        return np.where(near_start, a + w * d, b - d * (1 - w))

    def backward(self, g, out, a, b, w):
        return (sum_to(g * (1 - w), shape_of(value(a))) if self.needs[0] else None,
                sum_to(g * w, shape_of(value(b))) if self.needs[1] else None,
                sum_to(g * (b - a), shape_of(value(w))) if self.needs[2] else None)
