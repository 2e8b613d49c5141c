"""Global switches of the autograd engine: grad recording and anomaly detection.

The state lives in one small object so that the hot path (``Function.apply``)
reads it with a single attribute lookup.
"""
import functools
import itertools


class _Mode:
    __slots__ = ("grad_enabled", "anomaly", "last_inplace")

    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        self.last_inplace = 0   # the sequence number of the latest in-place change


mode = _Mode()

# One clock for graph nodes and in-place changes: a node whose inputs changed
# in place after it was recorded has a smaller number than that change.
sequence = itertools.count(1)

# id of the numpy buffer that owns some memory -> when it was last changed in
# place. Keyed by memory, not by Tensor, so a change through any alias (a
# detached tensor, a Parameter sharing the array, a state_dict entry) counts.
# A stale id is harmless: it is older than every node made after its reuse.
modified_at = {}


def buffer_id(array):
    return id(array if array.base is None else array.base)


def mark_modified(array):
    """Record that ``array``'s memory was changed in place (see modified_at)."""
    mode.last_inplace = modified_at[buffer_id(array)] = next(sequence)


def is_grad_enabled():
    return mode.grad_enabled


class _GradSwitch:
    """Context manager and decorator that sets grad recording on or off."""

    enabled = True

    def __enter__(self):
        self._prev = mode.grad_enabled
        mode.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        mode.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradSwitch):
    """Ops inside record nothing: outputs have ``requires_grad=False`` (torch.no_grad)."""

    enabled = False


class enable_grad(_GradSwitch):
    """Turns recording back on inside a ``no_grad`` block (torch.enable_grad)."""

    enabled = True


class set_grad_enabled(_GradSwitch):
    def __init__(self, enabled):
        self.enabled = bool(enabled)

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(enabled):
                return fn(*args, **kwargs)
        return wrapper


class detect_anomaly:
    """Under this context a NaN or inf made by any op, in forward or backward,
    raises a RuntimeError naming the op and the line of user code that created it.

    Stricter than PyTorch's, which checks backward only.
    """

    def __enter__(self):
        self._prev = mode.anomaly
        mode.anomaly = True
        return self

    def __exit__(self, *exc):
        mode.anomaly = self._prev
        return False
