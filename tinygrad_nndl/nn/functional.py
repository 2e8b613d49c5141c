"""torch.nn.functional: layers and activations as functions."""
from ..ops.linalg import Linear as _LinearOp


def linear(x, weight, bias=None):
    """x @ weight.T + bias as one op (BP2, BP3 and BP4 in its backward)."""
    if weight.ndim == 1:   # torch's one-output form (x @ w): the general matmul's rules
        out = x @ weight
        return out if bias is None else out + bias
    return _LinearOp.apply(x, weight, bias)


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def relu(x):
    return x.relu()


def softmax(x, dim):
    return x.softmax(dim)


def log_softmax(x, dim):
    return x.log_softmax(dim)


# Losses, penalties and dropout (nn/losses.py, nn/dropout.py).
from .dropout import dropout  # noqa: E402,F401
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: E402,F401
                     cross_entropy, l1_penalty, l2_penalty, mse_loss, nll_loss, one_hot,
                     quadratic_cost)

# Convolution, pooling and padding (nn/conv.py, nn/pooling.py).
from .conv import conv1d, conv2d  # noqa: E402,F401
from .padding import pad  # noqa: E402,F401
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: E402,F401
