"""Adadelta (Zeiler, 2012) with PyTorch's update rule."""
import numpy as np

from .optimizer import Optimizer


class Adadelta(Optimizer):
    """Steps whose size is a running RMS of past steps over a running RMS
    of gradients, as torch.optim.Adadelta computes it:

    - g <- g + weight_decay w (negated first with ``maximize``)
    - s <- rho s + (1 - rho) g^2                              (``square_avg``)
    - d = sqrt(a + eps) / sqrt(s + eps) g
    - a <- rho a + (1 - rho) d^2                              (``acc_delta``)
    - w <- w - lr d   (lr = 1 is the paper's rule)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_options(self, o):
        super()._check_options(o)
        if not 0 <= o["rho"] <= 1:
            raise ValueError(f"Adadelta: invalid rho value {o['rho']} (must be in [0, 1])")
        if not o["eps"] >= 0:
            raise ValueError(f"Adadelta: invalid epsilon value {o['eps']}")

    def _update(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, g in self._gradients(group):
            s = self._state_of(p, "square_avg", "acc_delta")
            s["step"] += 1
            sq, acc = s["square_avg"], s["acc_delta"]
            sq *= rho
            sq += (1 - rho) * (g * g)
            delta = np.sqrt(acc + eps)
            delta /= np.sqrt(sq + eps)
            delta *= g
            acc *= rho
            acc += (1 - rho) * (delta * delta)
            p.data -= lr * delta
            p._mark_modified()   # a graph that saved the old values must not backward
