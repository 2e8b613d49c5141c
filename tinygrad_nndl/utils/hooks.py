"""``RemovableHandle``: what registering a module hook returns (PyTorch's
``torch.utils.hooks.RemovableHandle``)."""
import weakref


class RemovableHandle:
    """Removes one hook: ``handle.remove()``, or leaving ``with handle:``.

    ``hooks_dict`` holds the hook under ``handle.id`` (a number counted over
    all handles, so hooks run in the order they were registered);
    ``extra_dict`` (a dict or a list of dicts) holds flags under the same id
    (``with_kwargs``, ``always_call``), removed with it. The dicts are held
    weakly, as PyTorch holds them: a handle does not keep a module alive.
    Removing twice is harmless.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict or ())

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            hooks = ref()
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        self.remove()
