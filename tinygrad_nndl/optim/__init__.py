"""Optimizers (torch.optim names): SGD, Adam, AdamW, RMSprop, Adagrad, Adamax,
NAdam, RAdam, Adadelta and learning-rate schedules.

Each updates ``p.data`` in place with numpy, outside the graph, following
PyTorch's update rules step for step; state dicts have PyTorch's layout.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam",
           "RAdam", "Adadelta", "lr_scheduler"]
