"""One step of a GRU as a single op (torch.nn.GRU's equations, gate order r, z, n).

Written with Tensor ops a step is about 13 graph nodes; this op is one, as
``ops.recurrent.LSTMProjectedStep`` is for the LSTM, whose layout it follows:
the step reads its rows p_t = P[t] of the input projection
P = x W_ih^T + b_ih of the whole sequence (one matmul before the loop) and
adds the recurrent part h_{t-1} W_hh^T + b_hh. b_hh is not folded into P
because r multiplies its n block.
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import reduce_sum, swap_last
from .recurrent import _cat_last, _sigmoid, _tanh, rows_grad, summed_outer


def gru_projected_gates(p, h, w_hh, b_hh):
    """(r, z, n, gh_n) of one step, for numpy arrays or Tensors:
    gh = h w_hh^T + b_hh, r = sigma(p_r + gh_r), z = sigma(p_z + gh_z),
    n = tanh(p_n + r * gh_n), with p (B, 3H) the input's part."""
    H = w_hh.shape[1]
    gh = h @ swap_last(w_hh)
    if b_hh is not None:
        gh = gh + b_hh
    rz = _sigmoid(p[:, :2 * H] + gh[:, :2 * H])   # r and z are adjacent: one sigmoid
    r, z, gh_n = rz[:, :H], rz[:, H:], gh[:, 2 * H:]
    return r, z, _tanh(p[:, 2 * H:] + r * gh_n), gh_n


class GRUProjectedStep(Function):
    """``GRUProjectedStep.apply(P, h, w_hh, b_hh, t=t)`` -> h_t = n + z (h_{t-1} - n),
    i.e. (1 - z) n + z h_{t-1}, (B, H): step t of ``nn.GRU`` (``nn.GRUCell`` runs
    it with T = 1). P (T, B, 3H), h (B, H), w_hh (3H, H), b_hh (3H,) or None.

    Backward, with a_* the gates' pre-activations: dC/da_n = g (1 - z)(1 - n^2),
    dC/da_z = g (h - n) z (1 - z), dC/da_r = dC/da_n gh_n r (1 - r). The input
    part [a_r, a_z, a_n] goes to P's rows of step t; the recurrent part
    [a_r, a_z, a_n r] is dC/dgh, which gives dC/dh = g z + dC/dgh w_hh (BP2),
    dC/dw_hh = dC/dgh^T h (BP4, summed over the steps by the engine) and
    dC/db_hh = its sum over the batch (BP3).
    """

    saved_attrs = ("saved",)   # the gates, kept by forward for backward

    def forward(self, P, h, w_hh, b_hh):
        H = w_hh.shape[-1]
        if P.ndim != 3 or h.ndim != 2 or w_hh.shape != (3 * H, H) \
                or P.shape[1:] != (h.shape[0], 3 * H) or h.shape[1] != H \
                or (b_hh is not None and b_hh.shape != (3 * H,)):
            raise ValueError(f"expected a projection P (steps, batch, 3H), a state "
                             f"(batch, H), weight_hh (3H, H) and bias_hh (3H,) or None, got "
                             f"{P.shape}, {h.shape}, {w_hh.shape} and "
                             f"{None if b_hh is None else b_hh.shape}")
        t = getattr(self, "t", None)
        if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
            raise ValueError(f"expected the step as an integer t=, got {t!r}")
        if not -P.shape[0] <= t < P.shape[0]:
            raise IndexError(f"step t={t} is outside P's {P.shape[0]} steps")
        r, z, n, gh_n = self.saved = gru_projected_gates(P[t], h, w_hh, b_hh)
        return n + z * (h - n)

    def backward(self, g, out, P, h, w_hh, b_hh):
        if isinstance(g, Tensor):   # create_graph: recompute the gates as recorded ops
            r, z, n, gh_n = gru_projected_gates(P[self.t], h, w_hh, b_hh)
        else:
            r, z, n, gh_n = self.saved
        da_n = g * (1 - z) * (1 - n * n)
        da_r = da_n * gh_n * r * (1 - r)
        da_z = g * (h - n) * z * (1 - z)
        dgh = _cat_last([da_r, da_z, da_n * r])
        need_p, need_h, need_w, need_b = self.needs
        return (rows_grad(_cat_last([da_r, da_z, da_n]), P.shape, self.t)
                if need_p else None,
                g * z + dgh @ w_hh if need_h else None,
                summed_outer(dgh, h) if need_w else None,
                reduce_sum(dgh, 0) if need_b else None)
