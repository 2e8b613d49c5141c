"""Neural-network modules, initializers and functions (torch.nn names)."""
from . import functional, init, utils
from .activation import (CELU, ELU, GELU, GLU, SELU, Flatten, Hardshrink, Hardsigmoid,
                         Hardswish, Hardtanh, Identity, LeakyReLU, LogSigmoid, LogSoftmax, Mish,
                         PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d, Softmin,
                         Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .linear import Linear
from .conv import Conv1d, Conv2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .module import Module, ModuleList, Parameter, Sequential
from . import modules
from .dropout import Dropout
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .sparse import Embedding
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, LSTMGates, RNNCell
from .normalization import (GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm,
                            LocalResponseNorm)
from .pointwise_losses import (GaussianNLLLoss, HuberLoss, KLDivLoss, L1Loss, PoissonNLLLoss,
                               SmoothL1Loss)
from .margin_losses import (CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss,
                            MultiLabelSoftMarginLoss, MultiMarginLoss, SoftMarginLoss,
                            TripletMarginLoss)
from .distance import CosineSimilarity, PairwiseDistance
