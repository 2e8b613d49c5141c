"""Parameters as one flat vector and back (torch.nn.utils.parameters_to_vector /
vector_to_parameters): for methods that see the network as a point in R^n
(line searches, the Hessian of chapter 3's L2 analysis)."""
from ...tensor.functions import cat
from ...tensor.tensor import Tensor


def parameters_to_vector(parameters):
    """One 1-D Tensor of every parameter, flattened and concatenated in order
    (recorded in the graph: its gradient flows back to the parameters)."""
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, item {i} is a "
                            f"{type(p).__name__}")
    return cat([p.reshape(-1) for p in params], dim=0)


def vector_to_parameters(vec, parameters):
    """Copy consecutive pieces of the 1-D ``vec`` into ``parameters``, in order,
    each reshaped to its parameter's shape. The copy is outside the graph."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape "
                         f"{tuple(vec.shape)}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.shape[0]:
        raise ValueError(f"vector_to_parameters: the vector has {vec.shape[0]} elements, "
                         f"the parameters {total}")
    start = 0
    for p in params:
        n = p.numel()
        p.data[...] = vec.data[start:start + n].reshape(p.shape)
        p._mark_modified()   # a graph that saved the old values must not backward
        start += n
