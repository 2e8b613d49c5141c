"""The Tensor class, its dtypes, factories and free functions."""
from .tensor import MaxResult, Tensor

__all__ = ["Tensor", "MaxResult"]
