"""Distances between vectors (torch.nn.functional names): cosine similarity
and the p-norm distance, along one dimension, the inputs broadcast together
as in PyTorch. The triplet margin loss is built on pairwise_distance."""
from ..ops.piecewise import clamped_below
from ..tensor.errors import OpError
from ..tensor.functions import broadcast_tensors
from ..tensor.tensor import Tensor
from .module import Module

__all__ = ["cosine_similarity", "pairwise_distance", "CosineSimilarity", "PairwiseDistance"]


def _floats(x1, x2, fn):
    for i, x in enumerate((x1, x2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}(): argument 'x{i + 1}' (position {i + 1}) must be Tensor, "
                            f"not {type(x).__name__}")
        if x.data.dtype.kind != "f":
            raise OpError(f"{fn}: expected floating-point inputs, got x{i + 1} of dtype "
                          f"{x.dtype}")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along ``dim``, computed as
    PyTorch does: each input divided by its clamped norm first, then the
    products summed (PyTorch's order of operations; results agree to about an ulp)."""
    fn = "cosine_similarity"
    _floats(x1, x2, fn)
    try:
        x1, x2 = broadcast_tensors(x1, x2)
    except ValueError:   # OpError too
        raise OpError(f"{fn}: shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not "
                      f"broadcast") from None
    n1 = clamped_below(x1.norm(2, dim, keepdim=True), eps)
    n2 = clamped_below(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dimension (of the broadcast shape);
    eps keeps the norm of equal vectors off zero, where it has no gradient."""
    fn = "pairwise_distance"
    _floats(x1, x2, fn)
    return (x1 - x2 + eps).norm(p, max(x1.ndim, x2.ndim) - 1, keepdim)


class CosineSimilarity(Module):
    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
