"""PyTorch's ``torch.utils`` path: ``tinygrad_nndl.utils.data`` is the package
``tinygrad_nndl.data`` itself under its PyTorch name (one module object, two
names), so ``from tinygrad_nndl.utils.data import DataLoader`` works as
``from torch.utils.data import DataLoader`` does."""
import sys

from .. import data

# Registered under the second name so that `import tinygrad_nndl.utils.data`
# and `from tinygrad_nndl.utils.data import X` find the same module.
sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
