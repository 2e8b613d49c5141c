"""``LRScheduler``, the base of the learning-rate schedules, with PyTorch's
stepping protocol: the constructor takes a first, "initial" step; each
``step()`` advances ``last_epoch`` and sets every group's ``lr`` from
``get_lr()``; ``_update_lr(epoch)`` jumps to an epoch through the closed
form where a schedule has one (SequentialLR's switch to the next schedule)."""
from .optimizer import Optimizer


def check_optimizer(scheduler, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(scheduler).__name__}: {type(optimizer).__name__} is not an "
                        f"Optimizer")


def per_group(scheduler, name, optimizer, value):
    """``value`` as one entry per parameter group: a list or tuple must have
    one per group, a number is repeated (PyTorch's ``_format_param``)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{type(scheduler).__name__}: {name} must have the same length "
                             f"as optimizer.param_groups. {name} has {len(value)} values, "
                             f"param_groups has {n}.")
        return list(value)
    return [value] * n


def positive_int(scheduler, name, value):
    """``value`` if it is an int > 0 (not a bool), else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{type(scheduler).__name__}: expected a positive integer {name}, "
                         f"got {value!r}")
    return value


class LRScheduler:
    """Base: sets each group's ``lr`` from ``get_lr()`` on every ``step()``.

    ``last_epoch=-1`` starts the schedule (each group's ``initial_lr`` is
    set to its lr if absent); another value resumes it, and every group
    must have ``initial_lr`` already (KeyError otherwise).
    """

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(self, optimizer)
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param group {i} has no "
                                   f"'initial_lr' to resume from (last_epoch={last_epoch})")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """As PyTorch: the constructor's step is "initial" (it sets the
        starting lr, or keeps a resumed one); _step_count counts every step."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        raise NotImplementedError

    def step(self):
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch=None):
        """The next epoch's lrs (``get_lr``), or with ``epoch`` that epoch's,
        from ``_get_closed_form_lr`` where the schedule has one."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rate of each group after the last step."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer (as in PyTorch) and the flag of
        the constructor's own first step, which only the constructor reads
        (PyTorch 2.13 keeps it; loading either way leaves it False)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_is_initial")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
