"""A module call when hooks are registered: PyTorch's ``Module._call_impl``
(forward pre-hooks, forward, forward hooks, ``always_call`` hooks on an
error) and its ``BackwardHook``, which gives full backward hooks the
gradients of a call's inputs and outputs together.

The gradients of several tensors meet in one graph node as in PyTorch, made
of this engine's single-output nodes: a gate (``_HookGate``) takes the
tensors and makes a dummy; each tensor then passes through a tap
(``BackwardHookFunction``, a view of it that also reads the dummy). A tap's
backward keeps the tensor's gradient aside and sends the dummy a zero; the
gate, older than every tap, runs after all of them and sees every gradient
at once, runs the user's hooks, and sends the gradients on to the tensors.
"""
import warnings
from collections import OrderedDict

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.sinks import cast
from ..tensor.tensor import Tensor

# The hooks of every module (nn.modules.module.register_module_*), run before a
# module's own. OrderedDicts, as PyTorch's: handles refer to them weakly.
global_forward_pre_hooks = OrderedDict()
global_forward_hooks = OrderedDict()
global_forward_hooks_with_kwargs = OrderedDict()
global_forward_hooks_always_called = OrderedDict()
global_backward_pre_hooks = OrderedDict()
global_backward_hooks = OrderedDict()

_NO_INPUT_GRAD = ("Full backward hook is firing when gradients are computed with respect to "
                  "module outputs since no inputs require gradients. See "
                  "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.register_full_backward_hook for more details.")


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks and the global ones, in
    PyTorch's order: global then own forward pre-hooks (each may replace the
    positional args; ``with_kwargs`` ones the kwargs too), the backward
    hooks' taps on the inputs, forward, global then own forward hooks (each
    may replace the output), the taps on the output. If anything raises,
    the ``always_call`` forward hooks not yet run are run (their own errors
    become warnings) and the error goes on."""
    result, called = None, set()
    try:
        pre_hooks = [*global_backward_pre_hooks.values(), *module._backward_pre_hooks.values()]
        hooks = [*global_backward_hooks.values(), *module._backward_hooks.values()]
        with_kwargs = module._forward_pre_hooks_with_kwargs
        for key, hook in (*global_forward_pre_hooks.items(),
                          *module._forward_pre_hooks.items()):
            if key in with_kwargs:
                new = hook(module, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {new}.")
                    args, kwargs = new
            else:
                new = hook(module, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        backward = None
        if hooks or pre_hooks:
            backward = BackwardHook(module, hooks, pre_hooks)
            args = backward.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        always = module._forward_hooks_always_called
        with_kwargs = module._forward_hooks_with_kwargs
        for key, hook in (*global_forward_hooks.items(), *module._forward_hooks.items()):
            if key in always or key in global_forward_hooks_always_called:
                called.add(key)
            if key in with_kwargs or key in global_forward_hooks_with_kwargs:
                new = hook(module, args, kwargs, result)
            else:
                new = hook(module, args, result)
            if new is not None:
                result = new
        if backward is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn(f"For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              stacklevel=3)
            result = backward.setup_output_hook(result)
        return result
    except Exception:
        _always_called(module, args, kwargs, result, called)
        raise


def _always_called(module, args, kwargs, result, called):
    """After an error: the ``always_call`` forward hooks the call did not
    reach, global then own, each seeing the output so far (None if forward
    failed). As PyTorch, only a module's own ``with_kwargs`` hooks get the
    kwargs here, and a hook's error becomes a warning."""
    for hooks, always, with_kwargs, what in (
            (global_forward_hooks, global_forward_hooks_always_called, (), "global module"),
            (module._forward_hooks, module._forward_hooks_always_called,
             module._forward_hooks_with_kwargs, "module")):
        for key, hook in list(hooks.items()):
            if key not in always or key in called:
                continue
            try:
                new = (hook(module, args, kwargs, result) if key in with_kwargs
                       else hook(module, args, result))
                if new is not None:
                    result = new
            except Exception as e:
                warnings.warn(f"{what} forward hook with ``always_call=True`` raised an "
                              f"exception that was silenced as another error was raised in "
                              f"forward: {e}", stacklevel=4)


class BackwardHook:
    """One call's full backward hooks (PyTorch's ``BackwardHook``). The
    outputs' gate runs the backward pre-hooks on ``grad_output`` (each may
    replace it) and keeps it; the inputs' gate then calls each hook with
    ``(module, grad_input, grad_output)`` (each may replace grad_input).
    Tuples have an entry per positional argument or output: None for what
    is not a Tensor and for an output no gradient reached; an input Tensor
    that no gradient reached gets zeros, as in PyTorch. When no input
    requires grad, the hooks are called at the outputs' gate with
    grad_input all None, and must return None."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = None
        self.inputs = {}   # index -> (shape, dtype) of each input Tensor: its zeros
        self.input_slots = {}

    def setup_input_hook(self, args):
        res, self.input_index, self.input_slots = self._tap(args, self._inputs_backward)
        self.n_inputs = len(args)
        self.inputs = {i: (a.data.shape, a.data.dtype) for i, a in enumerate(args)
                       if isinstance(a, Tensor)}
        return res

    def setup_output_hook(self, result):
        outputs = result if isinstance(result, tuple) else (result,)
        res, _, _ = self._tap(outputs, self._outputs_backward)
        self.n_outputs = len(outputs)
        return res if isinstance(result, tuple) else res[0]

    @staticmethod
    def _tap(values, on_backward):
        """``values`` with each Tensor that requires grad passed through a
        tap of one gate; the positions of all Tensors (None when none
        requires grad or grad mode is off: nothing is tapped); the slots
        where the taps leave their gradients."""
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        wanted = [i for i in index if values[i].requires_grad]
        if not (wanted and is_grad_enabled()):
            return values, None, {}
        slots = {}
        gate = _HookGate.apply(*(values[i] for i in wanted), wanted=wanted, slots=slots,
                               on_backward=on_backward,
                               shapes={i: values[i].data.shape for i in wanted})
        out = list(values)
        for i in wanted:
            out[i] = BackwardHookFunction.apply(values[i], gate, slots=slots, index=i,
                                                in_dtype=values[i].data.dtype)
        return (tuple(out) if type(values) is tuple else type(values)(*out)), index, slots

    def _outputs_backward(self, grads, recorded):
        """The outputs' gradients (index -> gradient): the pre-hooks run on
        them; with no input gate, so do the hooks."""
        self.input_slots.clear()   # left by a walk an error stopped, if any
        self.grad_outputs = tuple(_as_tensor(grads.get(i))
                                  for i in range(self.n_outputs))
        for hook in self.user_pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(new)}, but expected "
                                   f"{len(self.grad_outputs)}")
            self.grad_outputs = tuple(new)
        local = self.grad_outputs
        if self.input_index is None:
            warnings.warn(_NO_INPUT_GRAD, stacklevel=2)
            nothing = (None,) * self.n_inputs
            for hook in self.user_hooks:
                new = hook(self.module, nothing, self.grad_outputs)
                if new is not None and not (isinstance(new, tuple)
                                            and all(g is None for g in new)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return local

    def _inputs_backward(self, grads, recorded):
        """The inputs' gradients (index -> gradient) through the hooks, with
        the outputs' gradients kept by the outputs' gate. A gradient that
        reached the inputs without passing the outputs (a double backward)
        goes on untouched, as in PyTorch."""
        if self.grad_outputs is None:
            return tuple(_as_tensor(grads.get(i)) for i in range(self.n_inputs))
        res = [None] * self.n_inputs
        for i, (shape, dtype) in self.inputs.items():
            g = grads.get(i)
            res[i] = _as_tensor(np.zeros(shape, dtype) if g is None else g)
        res = tuple(res)
        for hook in self.user_hooks:
            new = hook(self.module, res, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(new)}, but expected {len(res)}")
            res = tuple(new)
        self.grad_outputs = None
        return res


def _as_tensor(g):
    """A gradient as the hooks see it: a Tensor (one of the recorded graph
    under create_graph), or None."""
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor._make(np.asarray(g), None)


class _HookGate(Function):
    """The node where the gradients of one call's inputs (or outputs) meet.
    Its value is a dummy; its backward hands the gradients the taps kept to
    ``on_backward`` and sends what that returns on to the tensors."""

    save_inputs = False
    float32_default = False

    def forward(self, *arrays):
        return np.zeros((), np.float32)

    def backward(self, g, out, *inputs):
        recorded = isinstance(g, Tensor)
        grads = dict(self.slots)
        self.slots.clear()
        new = self.on_backward(grads, recorded)
        result = []
        for i, need in zip(self.wanted, self.needs):
            result.append(_onward(new[i], self, i, recorded) if need else None)
        return tuple(result)

    def name(self):
        return "BackwardHookGateBackward"


def _onward(g, gate, i, recorded):
    """A hook's gradient as the walk takes it: checked, and a copy of the
    values the hooks saw (they may keep them; a .grad must not share them)."""
    if g is None:
        return None
    if not isinstance(g, Tensor):
        raise TypeError(f"backward hook: expected a Tensor or None as gradient {i}, got "
                        f"{type(g).__name__}")
    shape = gate.shapes[i]
    if g.shape != shape:
        raise RuntimeError(f"backward hook: gradient {i} has shape {g.shape}, the tensor "
                           f"it is the gradient of has {shape}")
    return g if recorded else g.data.copy()


class BackwardHookFunction(Function):
    """A tap: the tensor itself (a view), and the gate's dummy. Backward
    keeps the tensor's gradient in the gate's slots and sends the dummy a
    zero, so that the gate runs after every tap."""

    save_inputs = False
    is_view = True
    float32_default = False

    def forward(self, x, dummy):
        return x.view()

    def backward(self, g, out, x, dummy):
        recorded = isinstance(g, Tensor)
        self.slots[self.index] = cast(g if recorded else np.asarray(g), self.in_dtype, recorded)
        zero = np.zeros((), np.float32)
        return None, (Tensor._make(zero, None) if recorded else zero)
