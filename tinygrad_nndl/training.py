"""Helpers for training loops: chapter 3's early-stopping rules (notes 3.3.2),
the classification-accuracy criterion and the weight-change criterion."""
import math
from collections import deque

import numpy as np

from .nn.module import Module
from .tensor.tensor import Tensor

__all__ = ["EarlyStopping", "WeightChangeStopping"]


# ----- early stopping --------------------------------------------------------
class EarlyStopping:
    """The error change criterion: stop when the validation error has not
    improved for ``patience`` epochs in a row (the book's "no improvement in
    ten" rule with patience=10), then, as the notes suggest, optionally keep
    training ``extra_epochs`` more before stopping for good.

    ``step(metric)`` is called once per epoch and returns True when training
    should stop (and from then on, without updating anything). An epoch
    improves when the metric beats the best so far by more than ``min_delta``
    (below it for mode='min', e.g. an error; above it for mode='max', e.g. an
    accuracy)::

        stopper = EarlyStopping(patience=10)
        for epoch in range(epochs):
            ...                                   # train, then evaluate
            if stopper.step(val_error):
                break                             # stopper.best_epoch was the best
    """

    def __init__(self, patience=10, min_delta=0.0, mode="min", extra_epochs=0):
        if int(patience) != patience or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive integer, got "
                             f"{patience!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if int(extra_epochs) != extra_epochs or extra_epochs < 0:
            raise ValueError(f"EarlyStopping: extra_epochs must be an integer >= 0, got "
                             f"{extra_epochs!r}")
        self.patience, self.min_delta, self.mode = int(patience), min_delta, mode
        self.extra_epochs = int(extra_epochs)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = None        # 0-based index of the best step so far
        self.epoch = -1               # index of the last step
        self.bad_epochs = 0           # consecutive steps without improvement
        self.triggered_epoch = None   # when the criterion was first met
        self.should_stop = False

    def _improves(self, metric):
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric):
        if self.should_stop:   # once stopped, stay stopped (and keep best as it was)
            return True
        metric = float(metric)
        if math.isnan(metric):
            raise ValueError(f"EarlyStopping: the validation metric at epoch "
                             f"{self.epoch + 1} is NaN")
        self.epoch += 1
        if self._improves(metric):
            self.best, self.best_epoch, self.bad_epochs = metric, self.epoch, 0
        else:
            self.bad_epochs += 1
        if self.triggered_epoch is None and self.bad_epochs >= self.patience:
            self.triggered_epoch = self.epoch
        if self.triggered_epoch is not None:
            self.should_stop = self.epoch - self.triggered_epoch >= self.extra_epochs
        return self.should_stop


def _param_arrays(params, fn):
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, (Tensor, np.ndarray)):
        params = [params]
    out = []
    for i, p in enumerate(params):
        if isinstance(p, tuple) and len(p) == 2:
            p = p[1]
        if isinstance(p, Tensor):
            p = p.data
        if not isinstance(p, np.ndarray):
            raise TypeError(f"{fn}: item {i} is a {type(p).__name__}, expected a Tensor, an "
                            f"array or a (name, Tensor) pair")
        out.append(p)
    if not out:
        raise ValueError(f"{fn}: no parameters given")
    return out


class WeightChangeStopping:
    """The weight change criterion: stop at epoch t when
    max_i |w_i^(t - window) - w_i^(t)| <= threshold over every weight
    (``relative=True``: the change divided by |w_i^(t)|, a fraction).

    ``step(params)`` is called once per epoch with the model, its
    parameters or (name, tensor) pairs; it keeps copies of the last
    ``window + 1`` snapshots and returns True when training should stop
    (never before ``window`` epochs have passed since the first step; once
    it has returned True it keeps doing so).
    """

    def __init__(self, window=10, threshold=1e-3, relative=False):
        if int(window) != window or window < 1:
            raise ValueError(f"WeightChangeStopping: window must be a positive integer, "
                             f"got {window!r}")
        if threshold < 0:
            raise ValueError(f"WeightChangeStopping: threshold must be >= 0, got "
                             f"{threshold}")
        self.window, self.threshold, self.relative = int(window), threshold, relative
        self.history = deque(maxlen=self.window + 1)
        self.epoch = -1
        self.last_change = None   # the max change of the last full window
        self.should_stop = False

    def step(self, params):
        if self.should_stop:   # once stopped, stay stopped
            return True
        arrays = [a.copy() for a in _param_arrays(params, "WeightChangeStopping")]
        if self.history and [a.shape for a in arrays] != [a.shape for a in self.history[-1]]:
            raise ValueError(f"WeightChangeStopping: the parameter shapes changed from "
                             f"{[a.shape for a in self.history[-1]]} to "
                             f"{[a.shape for a in arrays]}")
        self.epoch += 1
        self.history.append(arrays)
        if len(self.history) <= self.window:
            return False
        change = 0.0
        for old, new in zip(self.history[0], arrays):
            diff = np.abs(new.astype(np.float64) - old)
            if self.relative:
                magnitude = np.abs(new.astype(np.float64))
                # A weight at exactly 0 has changed by an infinite fraction
                # unless it did not change at all.
                diff = np.divide(diff, magnitude, out=np.where(diff > 0, np.inf, 0.0),
                                 where=magnitude > 0)
            if diff.size:
                change = max(change, float(diff.max()))
        self.last_change = change
        self.should_stop = change <= self.threshold
        return self.should_stop


# ----- data-side regularizers ------------------------------------------------
