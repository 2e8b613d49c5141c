"""Batch normalization (Ioffe and Szegedy, 2015): not in the book, but in most
convolutional networks written after it.

Training normalizes every channel by the mini-batch's mean and (biased)
variance and keeps running estimates for evaluation: running_mean and
running_var, the latter from the unbiased variance, as PyTorch does. The
normalization is written with Tensor operations, so its gradient (through the
batch statistics too) and its higher derivatives come from autograd.
"""
import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor.dtypes import float32, int64
from ..tensor.tensor import Tensor
from . import init
from .module import Module, Parameter


class _BatchNorm(Module):
    _ndims = ()   # the input ranks the layer accepts

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or float32)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.asarray(0, dtype=int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                for t, v in ((self.running_mean, 0), (self.running_var, 1),
                             (self.num_batches_tracked, 0)):
                    t.data[...] = v
                    t._mark_modified()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check(self, x):
        name = type(self).__name__
        if x.ndim not in self._ndims:
            ranks = " or ".join(f"{n}-D" for n in self._ndims)
            raise ValueError(f"{name}({self.num_features}): expected a {ranks} input, got "
                             f"input of shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected {self.num_features} "
                             f"channels (dimension 1), got input of shape {tuple(x.shape)}")

    def forward(self, x):
        self._check(x)
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            count = x.numel() // self.num_features
            if count <= 1 and self.training:
                raise ValueError(f"{type(self).__name__}({self.num_features}): expected more "
                                 f"than 1 value per channel when training, got input of shape "
                                 f"{tuple(x.shape)}")
            mean = x.mean(axes, keepdim=True)
            centered = x - mean
            var = (centered * centered).mean(axes, keepdim=True)
            y = centered * (var + self.eps) ** -0.5
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.data, var.data, count)
        else:
            scale = (self.running_var + self.eps) ** -0.5
            y = (x - self.running_mean.reshape(shape)) * scale.reshape(shape)
        if self.affine:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def _update_running_stats(self, mean, var, count):
        """running = (1 - m) running + m batch; with momentum=None m = 1/t,
        the cumulative average of the batches seen."""
        self.num_batches_tracked.data += 1
        self.num_batches_tracked._mark_modified()
        m = 1.0 / float(self.num_batches_tracked.data) if self.momentum is None \
            else self.momentum
        unbiased = var.reshape(-1) * (count / (count - 1))
        for t, batch in ((self.running_mean, mean.reshape(-1)), (self.running_var, unbiased)):
            t.data *= 1 - m
            t.data += (m * batch).astype(t.data.dtype, copy=False)
            t._mark_modified()

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Over (N, C) or (N, C, L) inputs: statistics per channel C."""
    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Over (N, C, H, W) inputs: statistics per feature map, over the batch and positions."""
    _ndims = (4,)
