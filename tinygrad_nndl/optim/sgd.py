"""Stochastic gradient descent, with PyTorch's momentum and weight decay."""
from ..tensor.version import mark_modified
from .optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent w -> w - eta g (the book's eq. 20-21 with g the
    mini-batch mean gradient), with PyTorch's options, applied in this order:

    - ``weight_decay`` lambda': g <- g + lambda' w. With lambda' = lambda/n this
      is the book's L2 rescaling w -> (1 - eta lambda/n) w - eta g (eq. 93), the
      same as adding ``l2_penalty(weights, lambda/n)`` to the cost. It applies
      to every parameter of the group: put biases in a group with
      ``weight_decay=0`` to leave them unregularized, as the book does.
    - ``momentum`` mu (book chapter 3, eq. 107-108, with v = -eta b):
      b <- mu b + (1 - dampening) g (b = g on the first step), then
      g <- g + mu b with ``nesterov``, else g <- b.
    - w <- w - lr g, in place on ``p.data``.
    """

    def __init__(self, params, lr, momentum=0, dampening=0, nesterov=False, weight_decay=0,
                 *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_options(self, o):
        super()._check_options(o)
        if not o["momentum"] >= 0:
            raise ValueError(f"SGD: invalid momentum {o['momentum']}")
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum > 0 and zero "
                             f"dampening, got momentum={o['momentum']}, "
                             f"dampening={o['dampening']}")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the
        closure's loss if a closure was given."""
        loss = self._evaluate(closure)
        state, changed = self.state, []
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            if not (mu or group["maximize"]):   # the book's update (eq. 20, 93): the hot path
                wd = group["weight_decay"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    w = p.data
                    if wd:   # lr (g + wd w) in one new buffer: .grad stays the user's
                        update = w * wd         # (not w *= 1 - lr wd: rounded to w's dtype
                        update += g.data        # alone, a small decay is lost in float32)
                        update *= lr
                        w -= update
                    else:
                        w -= lr * g.data
                    changed.append(w)
                continue
            damp, nesterov = group["dampening"], group["nesterov"]
            for p, g in self._gradients(group):
                if mu:
                    s = state.get(p)
                    if s is None:
                        buf = g.copy()
                        state[p] = {"momentum_buffer": buf}
                    else:
                        buf = s["momentum_buffer"]
                        buf *= mu
                        buf += g if damp == 0 else (1 - damp) * g
                    g = g + mu * buf if nesterov else buf
                p.data -= lr * g
                changed.append(p.data)
        mark_modified(*changed)   # a graph that saved the old values must not backward
        return loss
