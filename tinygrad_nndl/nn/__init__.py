"""Neural-network modules, initializers and functions (torch.nn names)."""
from . import functional, init
from .activation import Flatten, Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .linear import Linear
from .module import Module, ModuleList, Parameter, Sequential
from .dropout import Dropout
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .rnn import LSTM, RNN, LSTMCell, LSTMGates, RNNCell
