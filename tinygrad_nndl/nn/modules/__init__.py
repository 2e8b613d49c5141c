"""PyTorch's ``torch.nn.modules.module`` path: ``nn.modules.module`` is
``nn/module.py`` itself (one module object, two names), so that
``from tinygrad_nndl.nn.modules.module import register_module_forward_hook``
works as it does with torch."""
import sys

from .. import module

sys.modules[__name__ + ".module"] = module

__all__ = ["module"]
