"""The fully connected layer: z = w a + b for every example of a batch."""
import math

import numpy as np

from ..ops.linalg import Linear as LinearOp
from ..ops.linalg import FUSED_LAYERS
from ..tensor.dtypes import float32, torch_name
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from . import init
from .module import Module, Parameter, _check_device


class Linear(Module):
    """``y = x @ W.T + b`` with W of shape (out_features, in_features).

    W is the book's w^l: row j holds the weights into neuron j. Initialized as
    PyTorch does (U(+-1/sqrt(in_features)) for both); see ``nn.init`` for the
    book's initializers.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_device(device, "Linear")
        self.in_features = in_features
        self.out_features = out_features
        dtype = np.dtype(dtype or float32)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return LinearOp.apply(self._checked(x), self.weight, self.bias)

    def _checked(self, x):
        if not isinstance(x, Tensor):   # PyTorch's message; a list has no .shape
            raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(x).__name__}")
        shape = x.data.shape
        if shape[-1:] != (self.in_features,):
            raise OpError(f"Linear: expected input with last dimension {self.in_features}, "
                          f"got shape {tuple(shape)}")
        if x.data.dtype != self.weight.data.dtype:   # PyTorch raises; numpy would promote
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{torch_name(x.data.dtype)} and "
                               f"{torch_name(self.weight.data.dtype)}")
        return x

    def fuse_next(self, module):
        """The op doing this layer and ``module`` in one graph node when
        ``module`` is an activation that can be fused (``nn.Sequential`` asks),
        else None. Subclasses that change forward are never fused."""
        op = FUSED_LAYERS.get(type(module).__dict__.get("fusable_activation"))
        own = type(self).forward is Linear.forward and "forward" not in vars(self) \
            and "forward" not in vars(module)   # no forward replaced on a class or an instance
        return op if own else None

    def forward_fused(self, op, x):
        """This layer and its activation as ``op`` (see ``fuse_next``)."""
        return op.apply(self._checked(x), self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
