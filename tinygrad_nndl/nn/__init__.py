"""Neural-network modules, initializers and functions (torch.nn names)."""
from . import functional, init, utils
from .activation import (CELU, ELU, GELU, GLU, SELU, Flatten, Hardshrink, Hardsigmoid,
                         Hardswish, Hardtanh, Identity, LeakyReLU, LogSigmoid, LogSoftmax, Mish,
                         PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d, Softmin,
                         Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .linear import Linear
from .module import Module, ModuleList, Parameter, Sequential
from .dropout import Dropout
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .regularization import (EarlyStopping, WeightChangeStopping, add_input_noise,
                             augment_digits, expand_by_shifts, mixup, shift_rotate)
from .sparse import Embedding
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, LSTMGates, RNNCell
