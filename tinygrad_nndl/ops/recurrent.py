"""One step of an LSTM cell as a single primitive op (notes, chapter 5, eqs. 5.1-5.6).

Written with Tensor ops, a step is ~15 graph nodes (two matmuls, four gate
slices, four activations, the products and sums of 5.4 and 5.6). This op does
the step in one node, so a sequence of T steps is T nodes: backprop through
time is still the engine walking the unrolled graph backwards, this op only
supplies the vector-Jacobian product of one step.

The output packs every quantity of the step along the last axis, in PyTorch's
gate order (blocks of H = hidden size)::

    [ save | rem | ltm' | focus | tanh(ltm) | ltm | wm ]
      i      f     g      o       tanh(c)     c     h        (PyTorch's names)

and the previous state enters packed the same way (only its ltm and wm blocks
are read). Packing is what lets backward use ``out`` instead of recomputing the
gates: like Sigmoid's backward (g * out * (1 - out)), it is then written with
operators only and records itself under ``create_graph=True``, so gradients of
gradients come for free. It also makes the gates available for inspection at
no extra cost.
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import reduce_sum, swap_last
from .elementwise import stable_sigmoid

# Blocks of the packed state: gates (in PyTorch's order i, f, g, o), then tanh(c), c, h.
SAVE, REM, CANDIDATE, FOCUS, TANH_LTM, LTM, WM = range(7)
PACKED = 7


def _cat_last(parts):
    """Concatenate along the last axis, on numpy arrays or recorded on Tensors."""
    if any(isinstance(p, Tensor) for p in parts):
        return _movement.Cat.apply(*parts, axis=-1)
    return np.concatenate(parts, axis=-1)


class LSTMCell(Function):
    """``LSTMCell.apply(x, state, w, b)`` -> packed state (B, 7H).

    x (B, D) is x_t; state (B, 7H) is the previous packed state (wm_{t-1} and
    ltm_{t-1} are read from it); w (4H, D + H) is PyTorch's weight_ih and
    weight_hh side by side and b (4H,) (or None) is bias_ih + bias_hh. So the
    four gates' pre-activations of a step come from one matmul,
    z = [x_t, wm_{t-1}] w^T + b; row block k of w is the notes' [W_k U_k]
    for k = s, r, l, f (W_k of shape d x p: the erratum's shape).
    """

    def forward(self, x, state, w, b):
        D = x.shape[1] if x.ndim == 2 else -1
        H = w.shape[1] - D
        if x.ndim != 2 or state.ndim != 2 or w.shape[0] != 4 * H \
                or state.shape != (x.shape[0], PACKED * H):
            raise ValueError(f"expected x (batch, D), a packed state (batch, 7H) and weights "
                             f"(4H, D + H), got {x.shape}, {state.shape} and {w.shape}")
        dtype = np.result_type(*(a for a in (x, state, w, b) if a is not None))
        xh = np.concatenate([x, state[:, WM * H:]], axis=1, dtype=dtype)
        z = xh @ w.T
        if b is not None:
            z += b
        out = np.empty((x.shape[0], PACKED * H), dtype=z.dtype)
        save, rem, cand, focus, tanh_ltm, ltm, wm = (out[:, k * H:(k + 1) * H]
                                                     for k in range(PACKED))
        out[:, :2 * H] = stable_sigmoid(z[:, :2 * H])      # save (5.3), rem (5.1)
        np.tanh(z[:, 2 * H:3 * H], out=cand)               # ltm' (5.2)
        focus[...] = stable_sigmoid(z[:, 3 * H:])          # focus (5.5)
        np.multiply(rem, state[:, LTM * H:WM * H], out=ltm)
        ltm += save * cand                                 # ltm (5.4)
        np.tanh(ltm, out=tanh_ltm)
        np.multiply(focus, tanh_ltm, out=wm)               # wm (5.6)
        return out

    def backward(self, g, out, x, state, w, b):
        D = x.shape[1]
        H = w.shape[1] - D
        save, rem, cand, focus, tanh_ltm = (out[:, k * H:(k + 1) * H] for k in range(5))
        ltm_prev, wm_prev = state[:, LTM * H:WM * H], state[:, WM * H:]
        g_save, g_rem, g_cand, g_focus, g_tanh, g_ltm, g_wm = (
            g[:, k * H:(k + 1) * H] for k in range(PACKED))
        # 5.6 backwards: wm = focus * tanh(ltm), tanh' = 1 - tanh^2.
        g_focus = g_focus + g_wm * tanh_ltm
        g_ltm = g_ltm + (g_tanh + g_wm * focus) * (1 - tanh_ltm * tanh_ltm)
        # 5.4 backwards, then through sigma' = s(1 - s) and tanh' = 1 - t^2 (5.1-5.3, 5.5):
        # the error delta_t of the four gates' pre-activations, the delta of BP1/BP2.
        delta = _cat_last([(g_save + g_ltm * cand) * save * (1 - save),
                           (g_rem + g_ltm * ltm_prev) * rem * (1 - rem),
                           (g_cand + g_ltm * save) * (1 - cand * cand),
                           g_focus * focus * (1 - focus)])
        need_x, need_state, need_w, need_b = self.needs
        g_x = g_state = None
        if need_x or need_state:
            # BP2: the error sent back to the inputs, delta w (only the columns needed).
            g_xh = delta @ (w if need_x else w[:, D:])
            g_x = g_xh[:, :D] if need_x else None
            if need_state:
                # Only ltm_{t-1} (through rem) and wm_{t-1} (through U) were read.
                rest = np.zeros((delta.shape[0], LTM * H), dtype=out.dtype)
                g_state = _cat_last([rest, g_ltm * rem, g_xh[:, -H:]])
        # BP4 and BP3 summed over the batch: dC/dw = delta^T [x, wm], dC/db = sum of delta.
        return (g_x,
                g_state,
                swap_last(delta) @ _cat_last([x, wm_prev]) if need_w else None,
                reduce_sum(delta, 0) if need_b else None)


# Imported last, as in ops.dual: movement imports this package's siblings.
from . import movement as _movement  # noqa: E402
