"""Schedules made of schedules (torch.optim.lr_scheduler names and
semantics): ``SequentialLR`` runs one after another, switching at
milestones; ``ChainedScheduler`` steps them all at once, their changes
compounding."""
from bisect import bisect_right

from .plateau import ReduceLROnPlateau
from .scheduler import LRScheduler, check_optimizer


def _check_schedulers(chain, schedulers, optimizer):
    """Schedulers of ``optimizer``, none a ReduceLROnPlateau (its step
    needs a metric), at least one; else the error naming the one at fault."""
    who = type(chain).__name__
    if len(schedulers) < 1:
        raise ValueError(f"{who} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{who}: the scheduler at index {i} should have `optimizer` as its "
                            f"attribute (got a {type(scheduler).__name__}).")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{who} does not support `ReduceLROnPlateau` scheduler as it "
                             f"requires additional kwargs to be specified when calling `step`, "
                             f"but got one at index {i} in the given schedulers sequence.")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{who} expects all schedulers to belong to the same optimizer, "
                             f"but got scheduler {type(scheduler).__name__} at index {i} "
                             f"with another optimizer than {type(optimizer).__name__}.")


class SequentialLR(LRScheduler):
    """``schedulers[0]`` until epoch ``milestones[0]``, then ``schedulers[1]``
    started afresh (at its epoch 0, through its closed form where it has
    one), and so on. Building it undoes the constructor steps of the
    schedulers and restarts the one that runs at epoch 0 from each group's
    ``initial_lr``."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        check_optimizer(self, optimizer)
        _check_schedulers(self, schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects number of schedulers provided to be one "
                             f"more than the number of milestone points, but got number of "
                             f"schedulers {len(schedulers)} and the number of milestones to "
                             f"be equal to {len(milestones)}")
        for i, group in enumerate(optimizer.param_groups):
            if "initial_lr" not in group:
                raise KeyError(f"SequentialLR: param group {i} has no 'initial_lr'")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        starting = self._schedulers[bisect_right(self._milestones, 0)]
        starting._initial_step()
        self._last_lr = starting.get_last_lr()

    def recursive_undo(self, sched=None):
        """Take back the step each scheduler's constructor took (recursively
        through nested SequentialLR and ChainedScheduler)."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Every attribute but the optimizer, the schedulers as their state dicts."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)


class ChainedScheduler(LRScheduler):
    """Each ``step()`` steps every scheduler in turn, so that chainable
    schedules (ones that scale the current lr) multiply: ConstantLR and
    ExponentialLR together, say."""

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) >= 1 and optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        _check_schedulers(self, schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict
