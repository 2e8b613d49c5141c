"""Optimizers (torch.optim names): SGD, Adam and learning-rate schedules.

Each updates ``p.data`` in place with numpy, outside the graph, following
PyTorch's update rules step for step.
"""
from . import lr_scheduler
from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "lr_scheduler"]
