"""Activations as modules (each a thin wrapper of the Tensor method)."""
from .module import Module


class Sigmoid(Module):
    fusable_activation = "sigmoid"   # nn.Sequential runs a Linear before it as one node

    def forward(self, x):
        return x.sigmoid()


class Tanh(Module):
    fusable_activation = "tanh"   # nn.Sequential runs a Linear before it as one node

    def forward(self, x):
        return x.tanh()


class ReLU(Module):
    fusable_activation = "relu"   # nn.Sequential runs a Linear before it as one node

    def forward(self, x):
        return x.relu()


class Identity(Module):
    def forward(self, x):
        return x


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.softmax(self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return x.log_softmax(self.dim)


class Flatten(Module):
    """Flatten all dimensions after the batch one (28x28 images to 784 inputs)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)
