"""Adamax (Kingma and Ba, 2015, section 7.1) with PyTorch's update rule."""
import numpy as np

from .adam_family import AdamFamily


class Adamax(AdamFamily):
    """Adam with the infinity norm in place of the second moment, as
    torch.optim.Adamax computes it (t counts this parameter's steps):

    - g <- g + weight_decay w (negated first with ``maximize``)
    - m <- m + (1 - beta1)(g - m)                      (``exp_avg``)
    - u <- max(beta2 u, |g| + eps)                     (``exp_inf``)
    - w <- w - (lr / (1 - beta1^t)) m / u
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, g, s, t, m, _ in self._moment_steps(group, second="exp_inf"):
            u = s["exp_inf"]
            u *= beta2
            np.maximum(u, np.abs(g) + eps, out=u)
            p.data -= (lr / (1 - beta1 ** t)) * (m / u)
            p._mark_modified()   # a graph that saved the old values must not backward
