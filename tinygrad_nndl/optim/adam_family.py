"""What the Adam family (Adam, AdamW, Adamax, NAdam, RAdam) shares: the
options' checks, decoupled weight decay and the running moments of the
gradient, each as PyTorch computes it."""
from .optimizer import Optimizer


class AdamFamily(Optimizer):
    """Base of the optimizers with ``betas`` and ``eps``."""

    def _check_options(self, o):
        super()._check_options(o)
        if not o["eps"] >= 0:
            raise ValueError(f"{self._name}: invalid epsilon {o['eps']}")
        betas = o["betas"]
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{self._name}: betas must be two numbers in [0, 1), got {betas}")

    def _decayed_gradients(self, group):
        """(p, g) as ``_gradients`` gives them; with the group's
        ``decoupled_weight_decay`` (AdamW's), w <- (1 - lr weight_decay) w
        first and no L2 term in g."""
        decoupled = group.get("decoupled_weight_decay", False)
        shrink = 1 - group["lr"] * group["weight_decay"]
        for p, g in self._gradients(group, l2=not decoupled):
            if decoupled and shrink != 1:
                p.data *= shrink
            yield p, g

    def _moment_steps(self, group, second="exp_avg_sq", **numbers):
        """(p, g, s, t, m, v) for each parameter of the group with a gradient:
        its state ``s`` (made on its first step: ``exp_avg``, ``second`` and
        the ``numbers``), the step count t and the moments updated by
        ``_moments`` (v None unless ``second`` is ``exp_avg_sq``: Adamax keeps
        an infinity norm of its own): what every optimizer of the family does
        before its own update."""
        beta1, beta2 = group["betas"]
        squares = second if second == "exp_avg_sq" else None
        for p, g in self._decayed_gradients(group):
            s = self._state_of(p, "exp_avg", second, **numbers)
            t, m, v = self._moments(s, g, beta1, beta2, second=squares)
            yield p, g, s, t, m, v

    @staticmethod
    def _moments(s, g, beta1, beta2, second="exp_avg_sq"):
        """Count the step and update the state's moments in place:
        m <- m + (1 - beta1)(g - m) (``exp_avg``) and, unless ``second`` is
        None, v <- beta2 v + (1 - beta2) g^2. Returns (t, m, v)."""
        s["step"] = t = s["step"] + 1
        m = s["exp_avg"]
        m += (1 - beta1) * (g - m)
        v = None
        if second is not None:
            v = s[second]
            v *= beta2
            v += (1 - beta2) * (g * g)
        return t, m, v
