"""Embedding: a lookup table of learned vectors (torch.nn.Embedding).

Looking up rows is indexing ``weight[indices]``, so the gradient of each row
is the sum of the gradients of its lookups (the indexing op's backward
scatters and adds). The ``padding_idx`` row gets no gradient: its lookups
take the row's value as a constant.
"""
import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor.tensor import Tensor
from . import init
from .module import Module, Parameter, _check_device


def _indices(input, who, num):
    t = input.data if isinstance(input, Tensor) else np.asarray(input)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be integers (an int64 Tensor: .long()), got "
                        f"dtype {t.dtype}")
    if t.size and (t.min() < 0 or t.max() >= num):
        bad = t[(t < 0) | (t >= num)][0]
        raise IndexError(f"{who}: index {int(bad)} is out of range for {num} embeddings "
                         f"(valid indices are 0 to {num - 1})")
    return t


def _padding_index(padding_idx, num, who):
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise ValueError(f"{who}: padding_idx must be within [-{num}, {num}), got "
                         f"{padding_idx}")
    return padding_idx % num


def _renorm_(weight, idx, max_norm, norm_type):
    """Rescale in place the looked-up rows whose norm exceeds max_norm (PyTorch's
    embedding_renorm_, with its 1e-7)."""
    rows = np.unique(idx)
    w = weight.data[rows]
    norms = np.linalg.norm(w, ord=norm_type, axis=1) if w.size else np.zeros(0)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        weight.data[rows[big]] = w[big] * scale[:, None].astype(w.dtype)
        weight._mark_modified()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input``: output
    shape input.shape + (dim,). The ``padding_idx`` row receives no gradient;
    ``max_norm`` rescales looked-up rows in place to at most that norm first.
    ``sparse=True`` is accepted and gives an ordinary dense gradient."""
    who = "embedding"
    if weight.ndim != 2:
        raise ValueError(f"{who}: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    num = weight.shape[0]
    idx = _indices(input, who, num)
    if scale_grad_by_freq:
        raise NotImplementedError(f"{who}: scale_grad_by_freq=True is not implemented")
    if max_norm is not None:
        with no_grad():
            _renorm_(weight, idx, max_norm, norm_type)
    out = weight[idx]
    pad = _padding_index(padding_idx, num, who)
    if pad is not None and out.requires_grad:
        # the padding rows' values, as constants: no gradient reaches the row
        keep = np.expand_dims(idx != pad, -1)
        out = out.where(keep, out.data)
    return out


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``,
    initialized N(0, 1) (the ``padding_idx`` row zeros), as torch.nn.Embedding.
    ``forward(indices)`` returns ``weight[indices]``, of shape
    indices.shape + (embedding_dim,)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        _check_device(device, "Embedding")
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative integer, got "
                                 f"{v!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim),
                                             dtype=np.dtype(dtype or np.float32)),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if w.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {w.shape}, expected "
                                 f"{(self.num_embeddings, self.embedding_dim)}")
            self.weight = Parameter(_weight if isinstance(_weight, Tensor) else w,
                                    requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is ``embeddings`` (2-D; shared, not copied, as
        in PyTorch); ``freeze`` (default True) keeps it from training."""
        w = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=embeddings, _freeze=freeze)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s
