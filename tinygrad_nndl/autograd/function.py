"""``Function``: the base of every primitive op.

An op is a small class with ``forward`` (numpy in, numpy out) and ``backward``
(its vector-Jacobian product) side by side.  Calling ``Op.apply(*inputs)`` runs
forward and, when some input requires grad and grad mode is on, keeps the
instance as the output's ``grad_fn``: a graph node holding its inputs.

A node refers to its inputs only, never to its output, so the graph is a DAG
of plain references that reference counting frees the moment the last tensor
goes; the cyclic garbage collector never has work to do.

``backward(self, g, out, *inputs)`` is written once and runs in two modes:
with numpy arrays (the fast path) or, under ``create_graph=True``, with
Tensors, so that the backward pass is itself recorded and gradients of
gradients come for free.  That is why backward rules use only operators and
the helpers of ``ops.dual``, which accept both.
"""
import os
import sys

import numpy as np

from ..tensor.tensor import Tensor
from .grad_mode import mode, sequence

_new = object.__new__
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_frame():
    """The first stack frame outside this package: where the user created an op."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno} in {f.f_code.co_name}"


_FLOAT64 = np.dtype(np.float64)


def _any_float64(arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype is _FLOAT64:
            return True
    return False


def _shape_of(x):
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


class Function:
    """Base class of primitive ops; an instance is one node of the graph."""

    inputs = None      # the inputs: Tensors and constants; None once the graph is freed
    arrays = None      # their values at forward time, for the fast backward
    needs = ()         # which inputs require a gradient
    seq = 0            # creation order: a node's inputs always have smaller seq
    created_at = None  # set under detect_anomaly
    float32_default = True  # float64 only from float64 inputs (False: Cast)

    @classmethod
    def apply(cls, *inputs, **attrs):
        fn = _new(cls)
        if attrs:
            fn.__dict__.update(attrs)
        arrays, needs = [], []   # one loop, not two comprehensions: half the cost
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                needs.append(x._requires_grad)
            else:
                arrays.append(x)
                needs.append(False)
        anomaly = mode.anomaly
        try:
            if anomaly:   # NaN/inf become one clear error below, not numpy warnings
                with np.errstate(all="ignore"):
                    out = fn.forward(*arrays)
            else:
                out = fn.forward(*arrays)
        except (ValueError, IndexError) as e:
            shapes = ", ".join("None" if x is None else str(_shape_of(x)) for x in inputs)
            kind = IndexError if isinstance(e, IndexError) else ValueError
            raise kind(f"{cls.op_name()}: {e} (input shapes: {shapes})") from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out.dtype is _FLOAT64 and cls.float32_default and not _any_float64(arrays):
            # numpy makes int op float64; PyTorch's default dtype makes it float32
            out = out.astype(np.float32)
        if anomaly:
            fn.created_at = _user_frame()
            _check_finite(out, f"{cls.op_name()} forward", fn.created_at)
        t = _new(Tensor)   # Tensor._make, inlined: every op pays for this
        t.data = out
        t.grad = t._hooks = t._ctx = None
        t._requires_grad = t._retains_grad = False
        if True in needs and mode.grad_enabled:
            fn.inputs = inputs
            fn.arrays = arrays
            fn.needs = needs
            fn.seq = next(sequence)
            t._ctx = fn
            t._requires_grad = True
        return t

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, g, out, *inputs):
        """Return one gradient per input (None where ``self.needs`` is False)."""
        raise NotImplementedError

    @classmethod
    def op_name(cls):
        return cls.__name__.lower()

    def name(self):
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>"


def _check_finite(arr, what, where):
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        kind = "NaN" if np.isnan(arr).any() else "inf"
        raise RuntimeError(f"detect_anomaly: {what} produced {kind} "
                           f"(op created at {where})")
