"""RMSprop (Hinton's lecture 6e) with PyTorch's update rule and options."""
import numpy as np

from .optimizer import Optimizer


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of its recent values,
    as torch.optim.RMSprop does:

    - g <- g + weight_decay w (negated first with ``maximize``)
    - s <- alpha s + (1 - alpha) g^2   (``square_avg``)
    - ``centered``: m <- alpha m + (1 - alpha) g (``grad_avg``) and the
      denominator is sqrt(s - m^2) + eps, else sqrt(s) + eps
    - ``momentum`` mu: b <- mu b + g / denominator, w <- w - lr b;
      else w <- w - lr g / denominator
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_options(self, o):
        super()._check_options(o)
        for key in ("eps", "momentum", "alpha"):
            if not o[key] >= 0:
                raise ValueError(f"RMSprop: invalid {key} value {o[key]}")

    def _update(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        mu, centered = group["momentum"], group["centered"]
        for p, g in self._gradients(group):
            s = self.state.get(p)
            if s is None:
                s = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
                if mu > 0:
                    s["momentum_buffer"] = np.zeros_like(p.data)
                if centered:
                    s["grad_avg"] = np.zeros_like(p.data)
            s["step"] += 1
            sq = s["square_avg"]
            sq *= alpha
            sq += (1 - alpha) * (g * g)
            if centered:
                ga = s["grad_avg"]
                ga += (1 - alpha) * (g - ga)
                avg = np.sqrt(sq - ga * ga)
            else:
                avg = np.sqrt(sq)
            avg += eps
            if mu > 0:
                buf = s["momentum_buffer"]
                buf *= mu
                buf += g / avg
                p.data -= lr * buf
            else:
                p.data -= lr * (g / avg)
            p._mark_modified()   # a graph that saved the old values must not backward
