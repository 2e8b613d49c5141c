"""The Tensor: its data type (``tensor``), its methods and operators (attached
by ``methods``), dtypes, devices, factories and free functions."""
from .tensor import MaxResult, Tensor
from . import methods  # noqa: F401 - attaches the ops to Tensor

__all__ = ["Tensor", "MaxResult"]
