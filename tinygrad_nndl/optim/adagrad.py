"""Adagrad (Duchi et al., 2011) with PyTorch's update rule and options."""
import numpy as np

from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Per-weight step sizes that shrink with the summed squares of all past
    gradients, as torch.optim.Adagrad computes them (t counts steps):

    - g <- g + weight_decay w (negated first with ``maximize``)
    - lr_t = lr / (1 + (t - 1) lr_decay)
    - S <- S + g^2 (``sum``, starting at ``initial_accumulator_value``)
    - w <- w - lr_t g / (sqrt(S) + eps)

    As in PyTorch the state of every parameter exists from construction.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        s = self.state[p] = {"step": 0, "sum": np.full_like(
            p.data, group["initial_accumulator_value"])}
        return s

    def _check_options(self, o):
        super()._check_options(o)
        for key in ("lr_decay", "initial_accumulator_value", "eps"):
            if not o[key] >= 0:
                raise ValueError(f"Adagrad: invalid {key} value {o[key]}")

    def _update(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p, g in self._gradients(group):
            s = self.state.get(p) or self._init_state(p, group)   # added groups too
            s["step"] = t = s["step"] + 1
            clr = lr / (1 + (t - 1) * lr_decay)
            total = s["sum"]
            total += g * g
            std = np.sqrt(total)
            std += eps
            p.data -= clr * (g / std)
            p._mark_modified()   # a graph that saved the old values must not backward
