"""RAdam (Liu et al., 2020): Adam with the variance of its adaptive step
rectified, with PyTorch's update rule."""
import math

import numpy as np

from .adam_family import AdamFamily


class RAdam(AdamFamily):
    """Adam whose adaptive step is used only once the variance of its
    estimate is tractable, scaled by a rectification term, as
    torch.optim.RAdam computes it (t counts this parameter's steps):

    - g <- g + weight_decay w, or with ``decoupled_weight_decay``
      w <- (1 - lr weight_decay) w instead (negated first with ``maximize``)
    - m <- m + (1 - beta1)(g - m),  v <- beta2 v + (1 - beta2) g^2
    - rho_inf = 2 / (1 - beta2) - 1,
      rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    - rho_t > 5: w <- w - lr m / (1 - beta1^t) sqrt(1 - beta2^t) / (sqrt(v) + eps) r_t,
      r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t));
      else (the first steps): w <- w - lr m / (1 - beta1^t), momentum SGD
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      decoupled_weight_decay=bool(decoupled_weight_decay)))

    def _update(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, g, s, t, m, v in self._moment_steps(group):
            bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
            rho_t = rho_inf - 2 * t * beta2 ** t / bc2
            update = m / bc1 * lr
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                 / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                root = np.sqrt(v)
                root += eps
                update *= bc2 ** 0.5 / root
                update *= rect
            p.data -= update
            p._mark_modified()   # a graph that saved the old values must not backward
