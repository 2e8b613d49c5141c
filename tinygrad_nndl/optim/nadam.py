"""NAdam (Dozat, 2016): Adam with Nesterov momentum, with PyTorch's update rule."""
import numpy as np

from .adam_family import AdamFamily


class NAdam(AdamFamily):
    """Adam whose step looks ahead along the momentum, with a momentum
    schedule, as torch.optim.NAdam computes it (t counts this parameter's
    steps, psi = ``momentum_decay``):

    - g <- g + weight_decay w, or with ``decoupled_weight_decay``
      w <- (1 - lr weight_decay) w instead (negated first with ``maximize``)
    - mu_t = beta1 (1 - 0.96^(t psi) / 2); P_t = mu_1 ... mu_t (``mu_product``)
    - m <- m + (1 - beta1)(g - m),  v <- beta2 v + (1 - beta2) g^2
    - d = sqrt(v / (1 - beta2^t)) + eps
    - w <- w - lr (1 - mu_t) / (1 - P_t) g / d
             - lr mu_(t+1) / (1 - P_t mu_(t+1)) m / d

    ``mu_product`` is rounded to float32 at each step, as PyTorch keeps it
    (a float32 scalar tensor under the default dtype), so that trajectories
    agree with PyTorch's to the last digits.
    """

    _scalar_state = {"step": int, "mu_product": float}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=bool(decoupled_weight_decay),
                                      maximize=maximize))

    def _check_options(self, o):
        super()._check_options(o)
        if not o["momentum_decay"] >= 0:
            raise ValueError(f"NAdam: invalid momentum_decay value {o['momentum_decay']}")

    def _update(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        psi = group["momentum_decay"]
        for p, g, s, t, m, v in self._moment_steps(group, mu_product=1.0):
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            s["mu_product"] = product = float(np.float32(s["mu_product"]) * np.float32(mu))
            denom = np.sqrt(v / (1 - beta2 ** t))
            denom += eps
            p.data -= (lr * (1.0 - mu) / (1.0 - product)) * (g / denom)
            p.data -= (lr * mu_next / (1.0 - product * mu_next)) * (m / denom)
            p._mark_modified()   # a graph that saved the old values must not backward
