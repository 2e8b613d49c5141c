"""Module and Parameter: containers that find their parameters by attribute
assignment and name them with dotted paths, as torch.nn does."""
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

from ..tensor.dtypes import to_array
from ..tensor.tensor import Tensor
from ..utils.hooks import RemovableHandle
from . import hooks as _hooks


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "vulkan", "ipu", "hpu",
                 "mtia", "privateuseone")


def _device_type(device):
    """'cpu' for 'cpu', 'cpu:0', a torch.device('cpu') or any object whose
    ``.type`` is 'cpu'; the type name of another device; None if ``device`` is
    not a device at all (a dtype, say)."""
    if isinstance(device, str):
        kind = device.split(":")[0]
        return kind if kind in _DEVICE_TYPES else None
    kind = getattr(device, "type", None)
    return kind if isinstance(kind, str) else None


def _check_device(device, who):
    """Accept None and the CPU; any other device raises, saying why."""
    if device is None:
        return
    kind = _device_type(device)
    if kind is None:
        raise TypeError(f"{who}: device must be 'cpu' or a device object, got {device!r}")
    if kind != "cpu":
        raise RuntimeError(f"{who}: device {str(device)!r} is not available: tinygrad_nndl "
                           f"runs on numpy, on the CPU only; use 'cpu' or leave the device "
                           f"out")


# What load_state_dict returns, as PyTorch's (a named tuple, so the old
# ``missing, unexpected = model.load_state_dict(...)`` unpacking still works).
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


_DATA = Tensor.data   # the slot that holds a tensor's array


def _set_parameter_data(p, value):
    """``p.data = tensor`` (PyTorch's idiom for setting weights) takes the
    tensor's memory; an array is taken as it is."""
    if isinstance(value, Tensor):
        value = value.data
    elif not isinstance(value, np.ndarray):
        raise TypeError(f"Parameter.data: expected a Tensor or a numpy array, got "
                        f"{type(value).__name__}")
    if value.dtype.kind not in "fc" and getattr(p, "_requires_grad", False):   # PyTorch's error
        raise RuntimeError(f"Parameter.data: data set to a tensor that requires gradients "
                           f"must be floating point or complex dtype, got {value.dtype}")
    _DATA.__set__(p, value)


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as a parameter (requires grad by default).

    ``Parameter(tensor)`` shares the tensor's memory, as in PyTorch; so does
    ``p.data = tensor``. (The setter costs each read of a parameter's ``data``
    about 40 ns: a property over the slot.)
    """

    __slots__ = ()
    data = property(_DATA.__get__, _set_parameter_data)

    def __init__(self, data, requires_grad=True):
        Tensor.__init__(self, ())   # sets every slot; the data comes next, uncopied
        self.data = data.data if isinstance(data, Tensor) else to_array(data)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)


# dtype kinds a checkpoint value may have, by the kind of the tensor it fills
_LOADABLE_KINDS = {"f": "biuf", "c": "biufc", "i": "biu", "u": "biu", "b": "b"}


def _checked_value(key, value, target):
    """``value`` as an array of ``target``'s dtype and shape, or an error
    naming ``key``; nothing is written here."""
    if isinstance(value, Tensor):
        array = value.data
    elif isinstance(value, np.ndarray):
        array = value
    elif isinstance(value, (list, tuple, int, float, np.number, np.bool_)) \
            or hasattr(value, "__array__"):   # a torch.Tensor, say
        try:
            array = np.asarray(value)
        except ValueError as e:   # ragged nesting
            raise ValueError(f"load_state_dict: {key!r} is not a rectangular array of "
                             f"numbers: {e}") from None
    else:
        raise TypeError(f"load_state_dict: {key!r} must be a Tensor or an array, got "
                        f"{type(value).__name__}")
    if array.dtype.kind not in _LOADABLE_KINDS.get(target.dtype.kind, "biufc") \
            or array.dtype.fields is not None:
        raise TypeError(f"load_state_dict: {key!r} holds {array.dtype} values, which cannot "
                        f"be loaded into the model's {target.dtype} tensor"
                        + (" (None or a non-number among the values?)"
                           if array.dtype.kind == "O" else ""))
    if array.shape != target.shape:
        raise ValueError(f"load_state_dict: size mismatch for {key!r}: the checkpoint "
                         f"has shape {array.shape}, the model has {target.shape}")
    if not target.flags.writeable:
        raise ValueError(f"load_state_dict: the model's {key!r} is a read-only array")
    return array.astype(target.dtype, copy=True)


# A module's hooks, by PyTorch's attribute names: hook id -> hook (or -> True for
# the flags of with_kwargs and always_call hooks).
_HOOKS = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")
_HOOK_FLAGS = ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs",
               "_forward_hooks_always_called")


class _Plans:
    """Sequential's fusion plans hold while no hook is added or removed anywhere
    (a module with hooks must run on its own, not fused): each plan notes the
    generation it was made in, so a copy of a Sequential (deepcopy) holding
    an old plan makes it again too."""

    generation = 0


def _forget_plans():
    _Plans.generation += 1


def _sync_global_hooks():
    """Every module takes the slow path while a global hook exists."""
    Module._hooked = bool(_hooks.global_forward_pre_hooks or _hooks.global_forward_hooks
                          or _hooks.global_backward_pre_hooks or _hooks.global_backward_hooks)
    _forget_plans()


class _HookHandle(RemovableHandle):
    """A module hook's handle: removing the hook also updates the module's
    ``_hooked`` flag (None for a global hook: the class's)."""

    def __init__(self, module, hooks_dict, extra_dict=None):
        super().__init__(hooks_dict, extra_dict=extra_dict)
        self._module = None if module is None else weakref.ref(module)

    def remove(self):
        super().remove()
        if self._module is None:
            _sync_global_hooks()
        else:
            module = self._module()
            if module is not None:
                module._sync_hooks()


def _checked_hook(hook, who):
    if not callable(hook):
        raise TypeError(f"{who}: the hook must be callable, got {type(hook).__name__}")
    return hook


def _register_global(hooks, hook, who, flags=()):
    """``hook`` into one of the global hook dicts (``flags``: the with_kwargs
    and always_call dicts where it is flagged)."""
    _checked_hook(hook, who)
    handle = _HookHandle(None, hooks, [_hooks.global_forward_hooks_with_kwargs,
                                       _hooks.global_forward_hooks_always_called])
    hooks[handle.id] = hook
    for flagged in flags:
        flagged[handle.id] = True
    _sync_global_hooks()
    return handle


def register_module_forward_pre_hook(hook):
    """A forward pre-hook of every module, run before each module's own
    (``hook(module, args)``, as ``Module.register_forward_pre_hook``)."""
    return _register_global(_hooks.global_forward_pre_hooks, hook,
                            "register_module_forward_pre_hook")


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """A forward hook of every module, run before each module's own
    (``hook(module, args, output)``, as ``Module.register_forward_hook``)."""
    flags = [d for d, on in ((_hooks.global_forward_hooks_with_kwargs, with_kwargs),
                             (_hooks.global_forward_hooks_always_called, always_call)) if on]
    return _register_global(_hooks.global_forward_hooks, hook, "register_module_forward_hook",
                            flags)


def register_module_full_backward_pre_hook(hook):
    """A backward pre-hook of every module, run before each module's own."""
    return _register_global(_hooks.global_backward_pre_hooks, hook,
                            "register_module_full_backward_pre_hook")


def register_module_full_backward_hook(hook):
    """A full backward hook of every module, run before each module's own."""
    return _register_global(_hooks.global_backward_hooks, hook,
                            "register_module_full_backward_hook")


class Module:
    """Base of layers and models: assign Parameters and Modules as attributes
    and they are registered, in order, under their attribute names."""

    # True on an instance while it has hooks, and on Module itself while a
    # global hook exists: the one test of a call's fast path.
    _hooked = False

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        for name in _HOOKS + _HOOK_FLAGS:
            object.__setattr__(self, name, OrderedDict())

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called")
        # Replacing a parameter or module keeps its place in the registry (and
        # so in state_dict), as in PyTorch; other registries let go of the name.
        target = (self._parameters if isinstance(value, Parameter)
                  else self._modules if isinstance(value, Module)
                  else self._buffers if name in self._buffers
                  and (value is None or isinstance(value, Tensor)) else None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not target:
                registry.pop(name, None)
        if target is not None:
            target[name] = value
        self.__dict__.pop("_plan", None)   # Sequential's fusion plan, made anew
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self.__dict__.pop("_plan", None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor):
        """A named tensor saved in the state dict but not trained (e.g. running stats)."""
        setattr(self, name, tensor)
        self._buffers[name] = tensor

    def add_module(self, name, module):
        setattr(self, name, module)

    # ----- traversal ------------------------------------------------------
    def named_modules(self, prefix=""):
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, each parameter once, in PyTorch's order."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for mod_name, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def apply(self, fn):
        for module in list(self.modules())[::-1]:
            fn(module)
        return self

    # ----- training state -------------------------------------------------
    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def to(self, *args, **kwargs):
        """PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)`` (its dtype), with ``device=``, ``dtype=``,
        ``non_blocking=`` keywords. A dtype casts every parameter and floating
        buffer in place; the device must be the CPU ('cpu', 'cpu:0' or a
        device object of type 'cpu'): any other raises, as this library runs
        on numpy. Returns the module."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"Module.to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, bool):          # the positional non_blocking flag
                continue
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif _device_type(a) is not None:
                device = a
            else:
                dtype = a
        _check_device(device, "Module.to")
        if dtype is not None:
            self._cast(np.dtype(dtype))
        return self

    def cpu(self):
        """The module itself: its parameters already live in host memory."""
        return self

    def cuda(self, device=None):
        _check_device("cuda", "Module.cuda")

    def _cast(self, dtype):
        if dtype.kind != "f":
            # integer parameters could not require gradients: PyTorch refuses too
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dtype}")
        for p in self.parameters():
            if p.data.dtype.kind != "f":
                continue
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = Tensor._make(p.grad.data.astype(dtype), None)
        for _, b in self.named_buffers():
            if b.data.dtype.kind == "f":
                b.data = b.data.astype(dtype)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def half(self):
        return self.to(np.float16)

    # ----- state dict -----------------------------------------------------
    def state_dict(self):
        """name -> detached Tensor, ordered as PyTorch's (each module's own
        parameters, then its buffers, then its children). A module reached
        twice (the same Linear twice in a Sequential) is listed under each of
        its names, as in PyTorch; ``parameters()`` lists its tensors once."""
        return OrderedDict((k, t.detach()) for k, t in self._named_state_tensors())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values in. Every problem is found before anything changes:
        missing or unexpected keys (with ``strict``), values that are not
        numeric arrays (None, strings, objects; a dtype of another kind, such as
        floats for an integer buffer) and shape mismatches raise, naming the
        key; the model is then exactly as it was. Returns the named tuple
        ``(missing_keys, unexpected_keys)``, as PyTorch does."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict: expected a dict of name -> Tensor, got "
                            f"{type(state_dict).__name__}")
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"load_state_dict: missing keys {missing}, unexpected keys "
                               f"{unexpected}")
        values = {}
        for key, target in own.items():
            if key in state_dict:
                values[key] = _checked_value(key, state_dict[key], target.data)
        tensors = dict(self._named_state_tensors())
        for key, array in values.items():   # same dtype and shape: these cannot fail
            tensors[key].data[...] = array
            tensors[key]._mark_modified()
        return IncompatibleKeys(missing, unexpected)

    def _named_state_tensors(self, prefix=""):
        """(key, tensor) of the state dict: a walk that does not skip modules
        seen before, as PyTorch's state_dict does not."""
        for registry in (self._parameters, self._buffers):
            for name, t in registry.items():
                if t is not None:
                    yield prefix + name, t
        for name, module in self._modules.items():
            if module is not None:
                yield from module._named_state_tensors(f"{prefix}{name}.")

    # ----- calling and printing -------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if self._hooked:
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ----- hooks ----------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` before each forward: a result other than
        None replaces the positional args (a non-tuple is wrapped in a
        tuple). ``with_kwargs``: ``hook(module, args, kwargs)``, returning
        None or ``(args, kwargs)``. ``prepend`` runs it before the module's
        other pre-hooks. Returns a handle whose ``remove()`` unregisters it
        (also a context manager)."""
        return self._add_hook("register_forward_pre_hook", "_forward_pre_hooks", hook, prepend,
                              {"_forward_pre_hooks_with_kwargs": with_kwargs})

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """``hook(module, args, output)`` after each forward: a result other
        than None replaces the output. ``with_kwargs``: ``hook(module, args,
        kwargs, output)``. ``always_call``: run even when forward (or an
        earlier hook) raises, with the output so far (None)."""
        return self._add_hook("register_forward_hook", "_forward_hooks", hook, prepend,
                              {"_forward_hooks_with_kwargs": with_kwargs,
                               "_forward_hooks_always_called": always_call})

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` when the gradients of a call's
        outputs are known: a tuple returned replaces grad_output (one entry
        per output; None for a non-Tensor output and one no gradient reached)."""
        return self._add_hook("register_full_backward_pre_hook", "_backward_pre_hooks", hook,
                              prepend, {})

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` when the gradients of a
        call's positional Tensor inputs are known (at the outputs, with
        grad_input all None, when no input requires grad; never when no
        output does): a tuple returned replaces grad_input. The module's
        forward sees a view of each input Tensor, the caller a view of each
        output Tensor (see ``nn/hooks.py``); changing those in place raises."""
        return self._add_hook("register_full_backward_hook", "_backward_hooks", hook, prepend,
                              {})

    def _add_hook(self, who, kind, hook, prepend, flags):
        _checked_hook(hook, f"{type(self).__name__}.{who}")
        hooks = self.__dict__[kind]
        handle = _HookHandle(self, hooks, [self.__dict__[f] for f in flags])
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        for name, on in flags.items():
            if on:
                self.__dict__[name][handle.id] = True
        self._sync_hooks()
        return handle

    def _sync_hooks(self):
        """Set ``_hooked`` from the hooks left; fusion plans are made again."""
        if any(self.__dict__.get(name) for name in _HOOKS):
            self.__dict__["_hooked"] = True
        else:
            self.__dict__.pop("_hooked", None)
        _forget_plans()

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied in order; parameters named ``0.weight``, ``1.bias``, ...
    Accepts modules as arguments or one OrderedDict of name -> module."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        """Each module in turn. Where a module offers to run itself together
        with the next one in one graph node (``fuse_next``: a Linear and its
        activation), that is done: the same values, fewer nodes."""
        plan = self.__dict__.get("_plan")
        if plan is None or plan[0] != _Plans.generation:   # made again when a module is
            plan = (_Plans.generation,                      # added, replaced or removed,
                    self._make_plan(tuple(self._modules.values())))   # and when hooks change
            object.__setattr__(self, "_plan", plan)
        for module, fused in plan[1]:
            x = module(x) if fused is None else module.forward_fused(fused, x)
        return x

    @staticmethod
    def _make_plan(modules):
        """(module, op) pairs: op None runs the module; otherwise the module
        and the next one run as that one op. A module with hooks is never
        fused: its hooks must see its own input and output."""
        plan, i = [], 0
        while i < len(modules):
            m = modules[i]
            fused = (m.fuse_next(modules[i + 1])
                     if i + 1 < len(modules) and hasattr(m, "fuse_next")
                     and not (m._hooked or getattr(modules[i + 1], "_hooked", False)) else None)
            plan.append((m, fused))
            i += 2 if fused is not None else 1
        return plan

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        return mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (``0.weight``, ...)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
