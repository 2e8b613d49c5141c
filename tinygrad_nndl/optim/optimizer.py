"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and
state dicts laid out as PyTorch's (``{"state": {index: {...}},
"param_groups": [{..., "params": [indices]}]}``)."""
import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor.tensor import Tensor
from ..tensor.version import mark_modified


class Optimizer:
    """Base of the optimizers. ``params`` is an iterable of tensors, of
    (name, tensor) pairs (``model.named_parameters()``) or of dicts, each a
    parameter group with its own options (``{"params": [...], "lr": 0.1}``).

    Parameters are Parameters or any leaf floating-point Tensors; a
    parameter whose ``.grad`` is None at ``step()`` is left alone, as in PyTorch.
    Per-parameter state (``self.state[p]``) holds numpy arrays; ``state_dict()``
    hands them out as Tensors.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._check_options(self.defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or dicts, "
                            f"got a single Tensor (wrap it in a list)")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: parameters must be in an ordered collection "
                            f"(a set's order changes between runs); use a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self):
        return type(self).__name__

    @staticmethod
    def _gradients(group, l2=True):
        """(p, g) for each parameter of the group that has a gradient: g is its
        gradient (negated with ``maximize``) plus ``weight_decay`` * p, the L2
        term of the book's eq. 93 when weight_decay = lambda/n (``l2=False``
        leaves it out, for decoupled weight decay)."""
        wd, maximize = group["weight_decay"] if l2 else 0, group["maximize"]
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            g = -g.data if maximize else g.data
            if wd:   # one new array: the gradient itself is the user's to keep
                decayed = p.data * wd
                decayed += g
                g = decayed
            yield p, g

    def _state_of(self, p, *arrays, **numbers):
        """p's state, made on its first step in PyTorch's key order: ``step``
        0, the ``numbers``, then a zero array like p for each name in ``arrays``."""
        s = self.state.get(p)
        if s is None:
            s = self.state[p] = {"step": 0, **numbers,
                                 **{name: np.zeros_like(p.data) for name in arrays}}
        return s

    def _check_options(self, options):
        """Raise ValueError for invalid hyperparameters; optimizers extend this
        check of the options every one of them has."""
        name = type(self).__name__
        for key, what in (("lr", "learning rate"), ("weight_decay", "weight_decay")):
            if not options[key] >= 0:
                raise ValueError(f"{name}: invalid {what} {options[key]}")

    # ----- parameter groups -----------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (the optimizer's
        defaults fill the rest). Every check runs before anything changes."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}.add_param_group: expected a dict, got "
                            f"{type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError(f"{self._name}.add_param_group: the group has no 'params'")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: parameters must be in an ordered collection "
                            f"(a set's order changes between runs); use a list")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(f"{self._name}: give all parameters with names or none "
                                 f"(some (name, tensor) pairs are mixed with bare tensors)")
            params = [p[1] for p in params]
            group["param_names"] = names
        for i, p in enumerate(params):
            self._check_param(p, names[i] if names else f"parameter {i}")
        if len(set(map(id, params))) != len(params):
            raise ValueError(f"{self._name}: a parameter group lists the same parameter "
                             f"more than once")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError(f"{self._name}: some parameters appear in more than one "
                             f"parameter group")
        if self.param_groups and (("param_names" in group)
                                  != ("param_names" in self.param_groups[0])):
            raise ValueError(f"{self._name}: all parameter groups must be given with names "
                             f"or all without")
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_options(group)
        group["params"] = params
        self.param_groups.append(group)

    def _check_param(self, p, label):
        if not isinstance(p, Tensor):
            raise TypeError(f"{self._name}: can only optimize Tensors, but {label} is a "
                            f"{type(p).__name__}")
        if not p.is_leaf:
            raise ValueError(f"{self._name}: can't optimize a non-leaf Tensor ({label}, "
                             f"shape {tuple(p.shape)}, made by {p.grad_fn.name()}); "
                             f"optimize the leaf it was computed from")
        if p.dtype.kind != "f":
            raise TypeError(f"{self._name}: can only optimize floating-point Tensors, but "
                            f"{label} (shape {tuple(p.shape)}) is {p.dtype}")

    # ----- one update -------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``.grad = None`` (default), or zero them in
        place (a gradient recorded with create_graph is detached first)."""
        if set_to_none:   # every step of a training loop: no more than that
            for group in self.param_groups:
                for p in group["params"]:
                    p._grad = None
            return
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if g.grad_fn is not None or not g.data.flags.writeable:
                        p.grad = Tensor._make(np.zeros_like(g.data), None)
                    else:
                        g.data[...] = 0
                        mark_modified(g.data)

    def step(self, closure=None):
        """One update of every parameter that has a gradient (each group's
        ``_update``, after every check); returns the closure's loss if a
        closure was given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            self._update(group)
        return loss

    def _update(self, group):
        """Update the group's parameters that have a gradient (the optimizer's rule)."""
        raise NotImplementedError

    def _evaluate(self, closure):
        """Run the closure (which recomputes the loss and calls backward), then
        check every gradient. Every optimizer's ``step`` starts here, so a
        step that cannot be taken raises before any parameter, moment or step
        count changes."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_grads()
        return loss

    def _check_grads(self):
        """A gradient must be a Tensor of its parameter's shape and dtype: a
        (1,)-shaped one would otherwise broadcast silently into the update."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if type(g) is not Tensor and not isinstance(g, Tensor):
                        self._refuse_grad(group, p, g)
                    gd, pd = g.data, p.data
                    if gd.shape != pd.shape or gd.dtype != pd.dtype or not pd.flags.writeable:
                        self._refuse_grad(group, p, g)

    def _refuse_grad(self, group, p, g):
        gi = next(k for k, other in enumerate(self.param_groups) if other is group)
        i = next(k for k, other in enumerate(group["params"]) if other is p)
        names = group.get("param_names")
        label = f"parameter {names[i]!r}" if names else f"parameter {i} of group {gi}"
        if not isinstance(g, Tensor):
            raise TypeError(f"{self._name}.step: the gradient of {label} is a "
                            f"{type(g).__name__}, not a Tensor; nothing was updated")
        if g.shape != p.shape:
            raise ValueError(f"{self._name}.step: the gradient of {label} has shape "
                             f"{tuple(g.shape)}, the parameter {tuple(p.shape)}; "
                             f"nothing was updated")
        if g.dtype != p.dtype:
            raise TypeError(f"{self._name}.step: the gradient of {label} is "
                            f"{g.dtype}, the parameter {p.dtype}; nothing was "
                            f"updated")
        raise ValueError(f"{self._name}.step: {label} (shape {tuple(p.shape)}) "
                         f"is a read-only array; nothing was updated")

    # ----- state dict -------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {name: Tensor or number}}, "param_groups":
        [{option: value, ..., "params": [index, ...]}]}``, parameters numbered
        in group order as in PyTorch. Tensors share memory with the state."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: Tensor._make(v, None) if isinstance(v, np.ndarray) else v
                        for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict()`` (or by
        ``tinygrad_nndl.save``) into an optimizer over the same parameters.
        Arrays are copied and cast to their parameter's dtype. A mismatch
        (group count or size, a state array of the wrong shape) raises before
        anything changes, naming the key and both shapes."""
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}: expected a dict with keys 'state' and "
                             f"'param_groups', got {type(state_dict).__name__}"
                             + (f" with keys {sorted(map(str, state_dict))}"
                                if isinstance(state_dict, dict) else ""))
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved_groups)} parameter "
                             f"group(s), the optimizer has {len(self.param_groups)}")
        id_map = {}
        new_groups = []
        for gi, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            ids = list(saved["params"])
            if len(ids) != len(group["params"]):
                raise ValueError(f"{name}: parameter group {gi} holds {len(ids)} parameters "
                                 f"in the state dict and {len(group['params'])} in the "
                                 f"optimizer")
            id_map.update(zip((int(i) for i in ids), group["params"]))
            new = {k: (tuple(v) if isinstance(v, list) and k != "param_names" else v)
                   for k, v in saved.items() if k != "params"}
            for key, default in self.defaults.items():
                new.setdefault(key, group.get(key, default))
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            self._check_options(new)
            new["params"] = group["params"]
            new_groups.append(new)
        new_state = {}
        for key, entry in state_dict["state"].items():
            if int(key) not in id_map:
                raise ValueError(f"{name}: state[{key}] belongs to no parameter of the "
                                 f"parameter groups (ids {sorted(id_map)})")
            p = id_map[int(key)]
            new_state[p] = {k: self._load_value(p, f"state[{key}].{k}", k, v, name)
                            for k, v in entry.items()}
        self.param_groups = new_groups
        self.state = new_state

    # state entries that are numbers, not arrays of the parameter's shape
    # (PyTorch keeps them as 0-d float tensors): a step count, NAdam's mu_product
    _scalar_state = {"step": int}

    def _load_value(self, p, label, key, value, name):
        """A state entry as this optimizer keeps it: a number, or an array
        of the parameter's shape and dtype (from a Tensor, an array, or
        anything with ``__array__``: a torch.Tensor)."""
        if isinstance(value, Tensor):
            value = value.data
        elif hasattr(value, "__array__") and not isinstance(value, np.ndarray):
            value = np.asarray(value)
        kind = self._scalar_state.get(key)
        if kind is not None:
            if np.size(value) != 1:
                raise ValueError(f"{name}: {label} must be a number, got shape "
                                 f"{np.shape(value)}")
            return kind(np.asarray(value).reshape(()))
        if not isinstance(value, np.ndarray):
            return value
        if value.shape != p.shape:
            raise ValueError(f"{name}: size mismatch for {label}: the state dict has shape "
                             f"{value.shape}, the parameter has {tuple(p.shape)}")
        return value.astype(p.dtype) if value.dtype.kind == "f" else value.copy()

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])
