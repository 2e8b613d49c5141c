"""The schedules that go up and down (torch.optim.lr_scheduler names and
semantics): ``CyclicLR`` (Smith, 2017), ``OneCycleLR`` (Smith and Topin,
2018) and ``CosineAnnealingWarmRestarts`` (SGDR, Loshchilov and Hutter,
2017). CyclicLR and OneCycleLR also cycle the momentum (SGD's ``momentum``,
or beta1 of the optimizers with ``betas``) against the lr; both are meant
to step once per batch."""
import math
import types
from functools import partial

from .scheduler import LRScheduler, check_optimizer, per_group, positive_int


def _momenta(scheduler, optimizer, cycle_momentum, base_momentum, max_momentum):
    """(use_beta1, base_momentums, max_momentums) for ``cycle_momentum``, one
    momentum per group, checked (Nones without it): beta1 is cycled in an
    optimizer with ``betas``, else ``momentum``; one with neither refuses."""
    if not cycle_momentum:
        return None, None, None
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{type(scheduler).__name__}: optimizer must support momentum or "
                         f"beta1 with `cycle_momentum` option enabled "
                         f"({type(optimizer).__name__} has neither)")
    return ("betas" in optimizer.defaults,
            per_group(scheduler, "base_momentum", optimizer, base_momentum),
            per_group(scheduler, "max_momentum", optimizer, max_momentum))


def _start_momentum(scheduler, cycle_momentum, use_beta1, tops, bottoms, last_epoch):
    """``cycle_momentum`` and ``use_beta1`` on the scheduler (PyTorch's
    attributes); a schedule that starts (``last_epoch`` -1) sets each
    group's momentum to its top, and its ``max_momentum`` and ``base_momentum``."""
    scheduler.cycle_momentum = cycle_momentum
    if not cycle_momentum:
        return
    scheduler.use_beta1 = use_beta1
    if last_epoch == -1:
        for top, bottom, group in zip(tops, bottoms, scheduler.optimizer.param_groups):
            _set_momentum(group, use_beta1, top)
            group["max_momentum"], group["base_momentum"] = top, bottom


def _set_momentum(group, use_beta1, momentum):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class CyclicLR(LRScheduler):
    """The lr goes from ``base_lr`` up to ``max_lr`` in ``step_size_up``
    steps and back down in ``step_size_down`` (default: the same), cycle
    after cycle. With c = floor(1 + t / S) the cycle (S the cycle's length)
    and x = 1 + t / S - c its fraction done (r = step_size_up / S):

        lr_t = base_lr + (max_lr - base_lr) h(x) scale(c or t)
        h(x) = x / r while x <= r, else (x - 1) / (r - 1)

    ``mode``: 'triangular' (scale 1), 'triangular2' (scale 1 / 2^(c - 1):
    halved each cycle), 'exp_range' (scale gamma^t, of the step count t), or
    a ``scale_fn`` of the cycle number (``scale_mode='cycle'``) or of the
    step count ('iterations'). With ``cycle_momentum`` the momentum moves
    the other way, max_momentum - (max_momentum - base_momentum) h(x) scale.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        check_optimizer(self, optimizer)
        base_lrs = per_group(self, "base_lr", optimizer, base_lr)
        max_lrs = per_group(self, "max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        if not (up > 0 and down >= 0):
            raise ValueError(f"CyclicLR: step_size_up must be > 0 and step_size_down >= 0, "
                             f"got {step_size_up!r} and {step_size_down!r}")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode is invalid and scale_fn is None (mode "
                             f"{mode!r}; expected 'triangular', 'triangular2' or 'exp_range')")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got "
                             f"{scale_mode!r}")
        use_beta1, base_momentums, max_momentums = _momenta(self, optimizer, cycle_momentum,
                                                            base_momentum, max_momentum)
        self.optimizer = optimizer   # every check passed: the groups change from here on
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = max_lrs
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        _start_momentum(self, cycle_momentum, use_beta1, max_momentums,
                        base_momentums, last_epoch)
        if cycle_momentum:
            self.base_momentums, self.max_momentums = base_momentums, max_momentums
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref, self.scale_mode = self._triangular_scale_fn, "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref, self.scale_mode = self._triangular2_scale_fn, "cycle"
        else:
            self._scale_fn_ref = partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma ** x

    def get_lr(self):
        """The lrs of step ``last_epoch``; with ``cycle_momentum`` the
        groups' momentum is set too."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, bottom, top in zip(self.optimizer.param_groups, self.base_momentums,
                                          self.max_momentums):
                _set_momentum(group, self.use_beta1, top - (top - bottom) * height * scale)
        return lrs

    def state_dict(self):
        """As PyTorch: a custom ``scale_fn`` is kept only as a callable
        object's attributes (None for a function)."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (fn.__dict__.copy() if fn is not None
                                     and not isinstance(fn, types.FunctionType) else None)
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        fn = state_dict.pop("_scale_fn_custom", None)
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    """One cycle over ``total_steps`` (or ``epochs * steps_per_epoch``)
    steps: the lr anneals from max_lr / ``div_factor`` up to ``max_lr`` over
    the first ``pct_start`` of the steps, then down to initial_lr /
    ``final_div_factor``. ``three_phase``: up, back down to the initial lr
    symmetrically, then down to the minimum. Annealing from a to b at
    fraction p of a phase: 'cos', b + (a - b)(1 + cos(pi p)) / 2, or
    'linear', a + (b - a) p. The momentum goes the other way (max_momentum
    down to base_momentum and back) with ``cycle_momentum``. Stepping past
    ``total_steps`` raises ValueError.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        check_optimizer(self, optimizer)
        if total_steps is not None:
            total_steps = positive_int(self, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            total_steps = (positive_int(self, "epochs", epochs)
                           * positive_int(self, "steps_per_epoch", steps_per_epoch))
        else:
            raise ValueError("OneCycleLR: You must define either total_steps OR (epochs AND "
                             "steps_per_epoch)")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected a float between 0 and 1 pct_start, got "
                             f"{pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy!r}")
        max_lrs = per_group(self, "max_lr", optimizer, max_lr)
        use_beta1, base_momentums, max_momentums = _momenta(self, optimizer, cycle_momentum,
                                                            base_momentum, max_momentum)
        self.optimizer = optimizer   # every check passed: the groups change from here on
        self.total_steps = total_steps
        self._schedule_phases = _phases(pct_start, total_steps, three_phase)
        self._anneal_func_type = anneal_strategy
        if last_epoch == -1:
            for top, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        _start_momentum(self, cycle_momentum, use_beta1, max_momentums,
                        base_momentums, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def step(self):
        if self.last_epoch + 1 > self.total_steps:   # checked before anything moves
            raise ValueError(f"OneCycleLR: Tried to step {self.last_epoch + 1} times. The "
                             f"specified number of total steps is {self.total_steps}")
        super().step()

    def get_lr(self):
        """The lrs of step ``last_epoch``; with ``cycle_momentum`` the
        groups' momentum is set too."""
        lrs, t = [], self.last_epoch
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if t <= end or i == last:
                    pct = (t - start) / (end - start)
                    lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]],
                                           pct)
                    if self.cycle_momentum:
                        momentum = self._anneal_func(group[phase["start_momentum"]],
                                                     group[phase["end_momentum"]], pct)
                    break
                start = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, self.use_beta1, momentum)
        return lrs


def _phases(pct_start, total_steps, three_phase):
    """OneCycleLR's phases: where each ends, and the group keys of the lr
    and momentum it anneals from and to (PyTorch's ``_schedule_phases``)."""
    def phase(end, lr_from, lr_to, momentum_from, momentum_to):
        return {"end_step": end, "start_lr": lr_from, "end_lr": lr_to,
                "start_momentum": momentum_from, "end_momentum": momentum_to}
    up = float(pct_start * total_steps) - 1
    if three_phase:
        return [phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                      "base_momentum", "max_momentum"),
                phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum",
                      "max_momentum")]
    return [phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: lr = eta_min + (lr_0 - eta_min)(1 + cos(pi T_cur / T_i)) / 2,
    T_cur the epochs since the last restart, T_i the current period: T_0
    at first, multiplied by ``T_mult`` at each restart. ``step(epoch)``
    takes a fractional epoch (``epoch + i / iters`` within an epoch), as in
    PyTorch; ``step()`` counts whole ones."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        positive_int(self, "T_0", T_0)
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: expected an integer T_mult >= 1, "
                             f"got {T_mult!r}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise ValueError(f"CosineAnnealingWarmRestarts: expected a float or int eta_min, "
                             f"got {eta_min!r} of type {type(eta_min).__name__}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lo = self.eta_min
        return [lo + (base - lo) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """The next epoch, or ``epoch`` (>= 0, may be fractional). As in
        PyTorch, this does not count ``_step_count``."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: expected a non-negative "
                                 f"epoch, got {epoch!r}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:   # n restarts so far: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
