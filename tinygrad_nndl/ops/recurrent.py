"""One step of an LSTM cell as a single primitive op (notes, chapter 5, eqs. 5.1-5.6).

Written with Tensor ops, a step is ~15 graph nodes (the gate matmul, four gate
slices, four activations, the products and sums of 5.4 and 5.6). This op does
the step in one node, so a sequence of T steps is T nodes: backprop through
time is still the engine walking the unrolled graph backwards; this op only
supplies the vector-Jacobian product of one step.

The step includes its input projection: all four gates come from one matmul
of [x_t, wm_{t-1}]. Projecting the whole sequence in one matmul before the
loop instead (P = x W_ih^T + b_ih, each step taking P[t]) was measured: no
faster in benchmarks/lstm.py, and slower in training loops, because P and its
gradient are two (T, B, 4H) buffers per layer, fresh memory (page faults)
and large matmuls (BLAS threads) that the per-step matmuls never need.

The state is packed as one (B, 2H) array [wm | ltm] (PyTorch's (h, c)), so a
step has a single input and output for it. The gate activations are computed by
one function, ``lstm_gates``, for numpy arrays or Tensors alike: the forward
keeps them for the fast backward, and under ``create_graph=True`` the backward
recomputes them as recorded Tensor ops, so that gradients of gradients are exact.
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import reduce_sum, swap_last
from .elementwise import stable_sigmoid

# The two blocks of the packed state.
WM, LTM = 0, 1


def _cat_last(parts):
    """Concatenate along the last axis, on numpy arrays or recorded on Tensors."""
    if any(isinstance(p, Tensor) for p in parts):
        return _movement.Cat.apply(*parts, axis=-1)
    return np.concatenate(parts, axis=-1)


def _sigmoid(z):
    return z.sigmoid() if isinstance(z, Tensor) else stable_sigmoid(z)


def _tanh(z):
    return z.tanh() if isinstance(z, Tensor) else np.tanh(z)


def lstm_gates(x, state, w, b):
    """(save, rem, ltm', focus) of one step (eqs. 5.3, 5.1, 5.2, 5.5), each (B, H),
    for numpy arrays or Tensors: sigma or tanh of z = [x_t, wm_{t-1}] w^T + b.

    w (4H, D + H) is PyTorch's weight_ih and weight_hh side by side, so one
    matmul gives the four gates' pre-activations; its row blocks are the notes'
    [W_k U_k] for k = s, r, l, f (W_k of shape d x p: the erratum's shape, the
    notes print p x d). b (4H,) is bias_ih + bias_hh, or None.
    """
    H = w.shape[0] // 4
    z = _cat_last([x, state[:, :H]]) @ swap_last(w)
    if b is not None:
        z = z + b
    return (_sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), _tanh(z[:, 2 * H:3 * H]),
            _sigmoid(z[:, 3 * H:]))


class LSTMStep(Function):
    """``LSTMStep.apply(x, state, w, b)`` -> the new packed state [wm_t | ltm_t], (B, 2H).

    x (B, D) is x_t, state (B, 2H) is [wm_{t-1} | ltm_{t-1}], w and b are as in
    ``lstm_gates``. Forward: the gates, then ltm_t = rem * ltm_{t-1} + save * ltm'
    (5.4) and wm_t = focus * tanh(ltm_t) (5.6). The node keeps the numpy values
    ``saved = (save, rem, ltm', focus, tanh(ltm_t))`` for its backward (they
    also serve to inspect or draw the step).

    Backward: delta_t = dC/dz_t, the error of the four gates' pre-activations
    z_t = [x_t, wm_{t-1}] w^T + b; dC/dw = delta_t^T [x_t, wm_{t-1}] (BP4),
    dC/db = sum of delta_t over the batch (BP3), delta_t w to [x_t, wm_{t-1}]
    (BP2) and dC/dltm_t * rem_t to ltm_{t-1} (5.4).
    """

    def forward(self, x, state, w, b):
        H = w.shape[0] // 4
        if x.ndim != 2 or state.ndim != 2 or w.shape != (4 * H, x.shape[1] + H) \
                or state.shape != (x.shape[0], 2 * H) or (b is not None and b.shape != (4 * H,)):
            raise ValueError(f"expected x (batch, D), a packed state (batch, 2H), weights "
                             f"(4H, D + H) and a bias (4H,) or None, got {x.shape}, "
                             f"{state.shape}, {w.shape} and {None if b is None else b.shape}")
        save, rem, cand, focus = gates = lstm_gates(x, state, w, b)
        ltm = rem * state[:, H:]
        ltm += save * cand                              # (5.4)
        tanh_ltm = np.tanh(ltm)
        self.saved = gates + (tanh_ltm,)
        return np.concatenate([focus * tanh_ltm, ltm], axis=1)   # (5.6), then ltm_t

    def backward(self, g, out, x, state, w, b):
        H = w.shape[0] // 4
        D = w.shape[1] - H
        if isinstance(out, Tensor):   # create_graph: recompute as recorded ops
            save, rem, cand, focus = lstm_gates(x, state, w, b)
            tanh_ltm = out[:, H:].tanh()
        else:
            save, rem, cand, focus, tanh_ltm = self.saved
        wm_prev, ltm_prev = state[:, :H], state[:, H:]
        g_wm, g_ltm = g[:, :H], g[:, H:]
        # 5.6 backwards: wm = focus * tanh(ltm), tanh' = 1 - tanh^2.
        g_ltm = g_ltm + g_wm * focus * (1 - tanh_ltm * tanh_ltm)
        # 5.4 backwards, then through sigma' = s(1 - s) and tanh' = 1 - t^2 (5.1-5.3, 5.5):
        # delta_t, the error of the four gates' pre-activations (the delta of BP1/BP2).
        delta = _cat_last([g_ltm * cand * save * (1 - save),
                           g_ltm * ltm_prev * rem * (1 - rem),
                           g_ltm * save * (1 - cand * cand),
                           g_wm * tanh_ltm * focus * (1 - focus)])
        need_x, need_state, need_w, need_b = self.needs
        g_x = g_state = None
        if need_x or need_state:
            # BP2: the error sent back to [x_t, wm_{t-1}] is delta w (only the columns needed).
            g_xh = delta @ (w if need_x else w[:, D:])
            g_x = g_xh[:, :D] if need_x else None
            if need_state:
                g_state = _cat_last([g_xh[:, -H:], g_ltm * rem])   # ltm_{t-1} via rem (5.4)
        # BP4 and BP3 summed over the batch: dC/dw = delta^T [x_t, wm_{t-1}], dC/db = sum delta.
        return (g_x,
                g_state,
                swap_last(delta) @ _cat_last([x, wm_prev]) if need_w else None,
                reduce_sum(delta, 0) if need_b else None)


# Imported last, as in ops.dual: movement imports this package's siblings.
from . import movement as _movement  # noqa: E402
