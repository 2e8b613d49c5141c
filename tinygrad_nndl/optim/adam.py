"""Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019), with
PyTorch's update rules."""
import math

import numpy as np

from .adam_family import AdamFamily


class Adam(AdamFamily):
    """Per-weight step sizes from running moments of the gradient, exactly as
    torch.optim.Adam computes them (t counts this parameter's steps):

    - g <- g + weight_decay w (L2 added to the gradient), or with
      ``decoupled_weight_decay`` (AdamW) w <- (1 - lr weight_decay) w instead
    - m <- m + (1 - beta1)(g - m),  v <- beta2 v + (1 - beta2) g^2
      (with ``amsgrad``, v_max <- max(v_max, v) is used in place of v below)
    - w <- w - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``foreach``, ``capturable``, ``differentiable`` and ``fused`` are accepted
    for PyTorch's signature and have no effect (there is one implementation).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=bool(decoupled_weight_decay)))

    def _update(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        amsgrad = group["amsgrad"]
        for p, g, s, t, m, v in self._moment_steps(group):
            if amsgrad:
                vmax = s.get("max_exp_avg_sq")
                if vmax is None:
                    vmax = s["max_exp_avg_sq"] = np.zeros_like(p.data)
                v = np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t)
            denom += eps
            p.data -= (lr / (1 - beta1 ** t)) * (m / denom)
            p._mark_modified()   # a graph that saved the old values must not backward


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): each step first
    shrinks w <- (1 - lr weight_decay) w, then takes Adam's step on the
    gradient alone. weight_decay defaults to 1e-2, as in PyTorch."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
