"""``backward`` and ``grad``: the two ways into the engine's walk
(torch.autograd.backward and torch.autograd.grad), with their argument
checks and the gradient each walk starts from."""
import numpy as np

from ..tensor.tensor import Tensor
from .engine import run_backward
from .sinks import LANDING, accumulate, cast
from .function import accumulator
from .grad_mode import set_grad_enabled

_ONES = {}   # dtype -> a 0-d one


def root_grad(t, gradient, create_graph, what):
    """The gradient the walk starts from at output t, checked."""
    data = t.data
    if (type(gradient) is np.ndarray and gradient.dtype is data.dtype
            and gradient.shape == data.shape and t._requires_grad and not create_graph):
        return gradient   # the checks below would pass it through unchanged
    if not t._requires_grad:
        raise RuntimeError(f"{what}: element 0 of tensors does not require grad and does "
                           f"not have a grad_fn (shape {t.shape}); nothing to differentiate")
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(f"{what}: grad can be implicitly created only for scalar "
                               f"outputs; this output has shape {t.shape}, pass gradient=")
        one = _ONES.get(data.dtype)
        if one is None:
            one = _ONES[data.dtype] = np.ones((), data.dtype)
        one = one.copy() if not data.shape else one.reshape(data.shape).copy()   # beats ones_like
        return Tensor._make(one, None) if create_graph else one
    if isinstance(gradient, Tensor):
        gradient = gradient if create_graph else gradient.data
    else:
        gradient = np.asarray(gradient, dtype=data.dtype)
        if create_graph:
            gradient = Tensor._make(gradient, None)
    if gradient.shape != data.shape:
        raise RuntimeError(f"{what}: mismatch in shape: the gradient has shape "
                           f"{tuple(gradient.shape)} but the output has shape {t.shape}")
    return cast(gradient, data.dtype, create_graph)


def _node(t):
    return t._ctx or accumulator(t)


def _tensors(x, what):
    out = (x,) if isinstance(x, Tensor) else tuple(x)
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: expected Tensors, element {i} is {type(t).__name__}")
    return out


def _grads_for(outputs, grads, create_graph, what):
    if grads is None:
        grads = (None,) * len(outputs)
    elif isinstance(grads, Tensor) or not isinstance(grads, (list, tuple)):
        grads = (grads,)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{what}: got {len(grads)} gradients for {len(outputs)} outputs")
    return [root_grad(o, g, create_graph, what) for o, g in zip(outputs, grads)]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into the leaves' ``.grad``
    (torch.autograd.backward; ``tensor.backward()`` is this for one tensor).
    With ``inputs`` only those tensors' ``.grad`` is touched."""
    if retain_graph is None:
        retain_graph = create_graph
    if type(tensors) is Tensor and grad_tensors is None and inputs is None:   # loss.backward()
        run_backward([tensors._ctx or accumulator(tensors)],
                     [root_grad(tensors, None, create_graph, "backward")], retain_graph,
                     create_graph)
        return
    tensors = _tensors(tensors, "backward")
    roots = [_node(t) for t in tensors]
    root_grads = _grads_for(tensors, grad_tensors, create_graph, "backward")
    if inputs is None:
        run_backward(roots, root_grads, retain_graph, create_graph)
        return
    inputs = _tensors(inputs, "backward")
    if not inputs:
        raise RuntimeError("backward: the inputs argument cannot be empty (leave it out to "
                           "accumulate into every leaf)")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"backward: input {i} (shape {x.shape}) does not require grad")
    for x in inputs:   # a non-leaf input keeps its .grad from now on, as in PyTorch
        if x._ctx is not None:
            x.retain_grad()
    wanted = {_node(x): x for x in inputs}
    result = run_backward(roots, root_grads, retain_graph, create_graph, capture=set(wanted))
    if not retain_graph:   # PyTorch runs a non-leaf input's node too, and frees what it saved
        for x in inputs:
            if x._ctx is not None:
                x._ctx.release()
    handed = set(map(id, root_grads))   # one set for all: no two .grad share memory
    with set_grad_enabled(bool(create_graph)), LANDING:   # a second .grad's sum is recorded
        for node, g in result.items():                    # then too; one thread at a time
            x = wanted[node]
            if x._ctx is not None:
                continue   # a non-leaf: retain_grad added it on the walk's way
            accumulate(x, cast(g, x.data.dtype, create_graph), create_graph, handed)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """d(outputs)/d(inputs) as a tuple, one entry per input (torch.autograd.grad).

    ``.grad`` fields are left alone. With ``create_graph=True`` the result is
    itself differentiable (gradients of gradients, Hessians).
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True gives zeros for unused inputs; "
                         "allow_unused must be True or left out, got False")
    outputs, inputs = _tensors(outputs, "grad"), _tensors(inputs, "grad")
    if not inputs:
        raise RuntimeError("grad: the inputs argument cannot be empty")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _grads_for(outputs, grad_outputs, create_graph, "grad")
    nodes = [_node(x) for x in inputs]
    result = run_backward([_node(o) for o in outputs], root_grads, retain_graph,
                          create_graph, capture=set(nodes))
    out, handed = [], set()
    for i, (x, node) in enumerate(zip(inputs, nodes)):
        g = result.get(node)
        if g is None:
            if materialize_grads:
                g = np.zeros_like(x.data)
            elif not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used in the "
                                   f"graph of the outputs; pass allow_unused=True")
            else:
                out.append(None)
                continue
        holder = Tensor._make(x.data, None)   # a stand-in that takes the gradient as .grad
        with set_grad_enabled(bool(create_graph)):   # its cast and copy recorded then
            accumulate(holder, cast(g, x.data.dtype, create_graph), create_graph, handed)
        out.append(holder.grad)
    return tuple(out)
