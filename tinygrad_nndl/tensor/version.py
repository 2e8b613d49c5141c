"""Version counters: how the graph notices that a value it saved was changed
in place (PyTorch's ``tensor._version``).

One clock numbers both graph nodes and in-place changes, so a node whose
saved values changed after it was recorded is older than that change.
"""
import itertools
import weakref
from collections import deque

import numpy as np

# One clock for graph nodes and in-place changes: a node whose saved values
# changed in place after it was recorded has a smaller number than that change.
sequence = itertools.count(1)


class _Clock:
    __slots__ = ("last_inplace",)

    def __init__(self):
        self.last_inplace = 0   # when the newest in-place change happened (any thread)


clock = _Clock()

# Version counters, one per numpy buffer (so every view and alias of a buffer
# shares it, as PyTorch's views share theirs), kept in a table by the buffer's
# id: in-place changes are rare, so a tensor's version is looked up here
# instead of being paid for on every op. The weakref makes a reused id start
# again at version 0.
class _Counter:
    __slots__ = ("ref", "count", "recent")
    KEEP = 16   # clock readings of the latest changes kept, for "expected version"

    def __init__(self, ref):
        self.ref, self.count, self.recent = ref, 0, deque(maxlen=self.KEEP)


_counters = {}


def _counter(array, make):
    owner = array if array.base is None else array.base
    counter = _counters.get(id(owner))
    if counter is not None and counter.ref() is owner:
        return counter
    if not make:
        return None
    key = id(owner)
    counter = _counters[key] = _Counter(weakref.ref(owner, lambda _: _counters.pop(key, None)))
    return counter


def mark_modified(*arrays):
    """Bump the version of each array's buffer: it was changed in place (one
    tick of the clock for all of them: an optimizer step)."""
    clock.last_inplace = stamp = next(sequence)
    _bump(arrays, stamp)


def mark_unsaved_modified(array):
    """Bump the version of a buffer that nothing but its tensor refers to (no
    graph saved it, nor a view of it), leaving the clock that sends older
    nodes to the version check where it is (a .grad accumulated into)."""
    _bump((array,), next(sequence))


def _bump(arrays, stamp):
    for array in arrays:
        owner = array if array.base is None else array.base   # _counter, inline: hot
        counter = _counters.get(id(owner))
        if counter is None or counter.ref() is not owner:
            counter = _counter(array, True)
        counter.count += 1
        counter.recent.append(stamp)   # the oldest of KEEP readings drops out


def version(array):
    """How many in-place changes ``array``'s buffer has seen (``Tensor._version``)."""
    counter = _counter(array, False)
    return 0 if counter is None else counter.count


def version_at(array, when):
    """The buffer's version at clock reading ``when`` (at least that, when more
    changes came since than the counter remembers)."""
    counter = _counter(array, False)
    if counter is None:
        return 0
    return counter.count - sum(1 for s in counter.recent if s >= when)


def check_unchanged(arrays, out, when, who):
    """Raise if one of the values a node saved at clock reading ``when`` (its
    input ``arrays`` and its output ``out``) was changed in place since."""
    saved = [("an input", a) for a in (arrays or ()) if isinstance(a, np.ndarray)]
    if out is not None:
        saved.append(("the output", out))
    for role, a in saved:
        expected, now = version_at(a, when), version(a)
        if now != expected:
            raise RuntimeError(
                f"backward: one of the values needed for gradient computation has been "
                f"modified by an in-place operation: {role} of {who}, of shape "
                f"{list(a.shape)}, is at version {now}; expected version {expected}. Change "
                f"it after backward, or change a copy (.clone()).")
