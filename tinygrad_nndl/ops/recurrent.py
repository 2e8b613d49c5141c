"""The recurrent part of one LSTM step as a single primitive op (notes, chapter 5,
eqs. 5.1-5.6).

A layer's input projections x_t W^T + b of all steps do not depend on the
state, so ``nn.LSTM`` computes them for the whole sequence in one matmul before
the loop; what is left for each step is this op: add the recurrent term
wm_{t-1} U^T, apply the gates, update ltm and wm. Written with Tensor ops that
is ~15 graph nodes; this op is one, so a sequence of T steps is T nodes.
Backprop through time is still the engine walking the unrolled graph
backwards; this op only supplies the vector-Jacobian product of one step.

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
# The four gate blocks of p, z and the weights, in PyTorch's order (i, f, g, o).
SAVE, REM, CANDIDATE, FOCUS = range(4)


def _cat_last(parts):
    """Concatenate along the last axis, on numpy arrays or recorded on Tensors."""
    if any(isinstance(p, Tensor) for p in parts):
        return _movement.Cat.apply(*parts, axis=-1)
    return np.concatenate(parts, axis=-1)


def _sigmoid(z):
    return z.sigmoid() if isinstance(z, Tensor) else stable_sigmoid(z)


def _tanh(z):
    return z.tanh() if isinstance(z, Tensor) else np.tanh(z)


def lstm_gates(p, state, w_hh, b_hh=None):
    """(save, rem, ltm', focus) of one step (eqs. 5.3, 5.1, 5.2, 5.5), each (B, H),
    for numpy arrays or Tensors: sigma or tanh of the pre-activations
    z = p + wm_{t-1} w_hh^T + b_hh.

    p (B, 4H) is the step's input projection x_t weight_ih^T + bias_ih; w_hh
    (4H, H) is PyTorch's weight_hh, b_hh (4H,) its bias_hh or None. Row block
    k of [weight_ih | weight_hh] is the notes' [W_k U_k] for k = s, r, l, f
    (W_k of shape d x p: the erratum's shape, the notes print p x d), and
    bias_ih + bias_hh is their b_k.
    """
    H = w_hh.shape[-1]
    z = state[:, :H] @ swap_last(w_hh) + p
    if b_hh is not None:
        z = z + b_hh
    return (_sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), _tanh(z[:, 2 * H:3 * H]),
            _sigmoid(z[:, 3 * H:]))


class LSTMStep(Function):
    """``LSTMStep.apply(p, state, w_hh, b_hh)`` -> the new packed state [wm_t | ltm_t], (B, 2H).

    p (B, 4H) is the input projection x_t weight_ih^T + bias_ih of this step,
    state (B, 2H) is [wm_{t-1} | ltm_{t-1}], w_hh (4H, H) and b_hh (4H,) or
    None are weight_hh and bias_hh (see ``lstm_gates``). Forward: the gates,
    then ltm_t = rem * ltm_{t-1} + save * ltm' (5.4) and
    wm_t = focus * tanh(ltm_t) (5.6). The node keeps the numpy values
    ``saved = (save, rem, ltm', focus, tanh(ltm_t))`` for its backward (they
    also serve to inspect or draw the step).

    Backward: dC/dp = delta_t, the error of the gates' pre-activations z (the
    delta of BP1/BP2; p enters z with weight 1); dC/dw_hh = delta_t^T wm_{t-1}
    (BP4) and dC/db_hh = sum of delta_t over the batch (BP3); and the error
    sent back to the previous state: delta_t w_hh to wm_{t-1} (BP2), and
    dC/dltm_t * rem_t to ltm_{t-1} (5.4).
    """

    def forward(self, p, state, w_hh, b_hh):
        H = w_hh.shape[-1]
        if p.ndim != 2 or state.ndim != 2 or w_hh.shape != (4 * H, H) \
                or p.shape[1] != 4 * H or state.shape != (p.shape[0], 2 * H) \
                or (b_hh is not None and b_hh.shape != (4 * H,)):
            raise ValueError(f"expected p (batch, 4H), a packed state (batch, 2H), w_hh (4H, H) "
                             f"and b_hh (4H,) or None, got {p.shape}, {state.shape}, "
                             f"{w_hh.shape} and {None if b_hh is None else b_hh.shape}")
        save, rem, cand, focus = gates = lstm_gates(p, state, w_hh, b_hh)
        ltm = rem * state[:, H:]
        ltm += save * cand                              # (5.4)
        tanh_ltm = np.tanh(ltm)
        self.saved = gates + (tanh_ltm,)
        return np.concatenate([focus * tanh_ltm, ltm], axis=1)   # (5.6), then ltm_t

    def backward(self, g, out, p, state, w_hh, b_hh):
        H = w_hh.shape[-1]
        if isinstance(out, Tensor):   # create_graph: recompute as recorded ops
            save, rem, cand, focus = lstm_gates(p, state, w_hh, b_hh)
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
        need_p, need_state, need_w, need_b = self.needs
        return (delta if need_p else None,
                # BP2 to wm_{t-1} through w_hh; ltm_{t-1} through rem (5.4).
                _cat_last([delta @ w_hh, g_ltm * rem]) if need_state else None,
                # BP4 and BP3, summed over the batch.
                swap_last(delta) @ wm_prev if need_w else None,
                reduce_sum(delta, 0) if need_b else None)


# Imported last, as in ops.dual: movement imports this package's siblings.
from . import movement as _movement  # noqa: E402
