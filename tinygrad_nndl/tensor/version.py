"""Version counters: how the graph notices that a value it saved was changed
in place (PyTorch's ``tensor._version``).

One clock numbers both graph nodes and in-place changes, so a node whose
saved values changed after it was recorded is older than that change.
"""
import itertools
import weakref

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
# shares it, as PyTorch's views share theirs): id(buffer) -> (weakref to the
# buffer, [the clock reading of each in-place change]). In-place changes are
# rare, so a tensor's version is looked up here instead of being paid for on
# every op; the weakref makes a reused id start again at version 0.
_changes = {}


def _owner(array):
    return array if array.base is None else array.base


def _stamps(array):
    owner = _owner(array)
    entry = _changes.get(id(owner))
    if entry is None or entry[0]() is not owner:
        return ()
    return entry[1]


def mark_modified(array):
    """Bump the version of ``array``'s buffer: it was changed in place."""
    owner = _owner(array)
    entry = _changes.get(id(owner))
    if entry is None or entry[0]() is not owner:
        key = id(owner)
        entry = _changes[key] = (weakref.ref(owner, lambda _, key=key: _changes.pop(key, None)),
                                 [])
    clock.last_inplace = stamp = next(sequence)
    entry[1].append(stamp)


def version(array):
    """How many in-place changes ``array``'s buffer has seen (``Tensor._version``)."""
    return len(_stamps(array))


def version_at(array, when):
    """The buffer's version at clock reading ``when``."""
    return sum(1 for s in _stamps(array) if s < when)




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
