"""Neural-network modules, initializers and functions (torch.nn names)."""
from . import functional, init
from .activation import Flatten, Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .linear import Linear
from .conv import Conv1d, Conv2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .module import Module, ModuleList, Parameter, Sequential
from .dropout import Dropout
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .rnn import LSTM, RNN, LSTMCell, LSTMGates, RNNCell
