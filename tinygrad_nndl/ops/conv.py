"""Convolution as three ops that are each other's derivatives.

The book's chapter 6 layer computes, for every feature map o and position
(y, x), z = b_o + sum over c, i, j of w[o, c, i, j] * a[c, y*s + i*d, x*s + j*d].
Written as one matrix product (im2col): the windows of the input are gathered
into a matrix ``cols`` of shape (C*kh*kw, Ho*Wo*N) from a strided view (no
Python loop over pixels or examples), and z = W cols with W of shape
(O, C*kh*kw). Arrays are laid out with the batch innermost (see _batch_last);
their shapes are PyTorch's (N, C, H, W) all the same.

Its vector-Jacobian products are two more linear maps:

- ``input_grad(g, w)``: dC/da, the transposed convolution. cols' = W^T g, then
  every kernel offset (i, j) adds its slice back (a loop over the kh*kw
  offsets, each a strided add over the whole batch: no np.add.at).
- ``weight_grad(x, g)``: dC/dw = g cols^T, BP4 for a shared weight: the sum
  over examples and positions of delta times the activation under the window.

Each of the three is linear in each argument, and the derivatives of each are
the other two (``<g, conv(x, w)> = <input_grad(g, w), x> = <weight_grad(x, g), w>``),
so the backward of every op is written with the others: gradients of
gradients (create_graph) follow without another rule.
"""
from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .dual import BLAS_DTYPES, ones_vector, reduce_sum


class ConvGeometry(NamedTuple):
    """Everything about a convolution except the batch and channel sizes."""
    kernel: tuple      # (kh, kw)
    stride: tuple      # (sh, sw)
    dilation: tuple    # (dh, dw)
    pads: tuple        # ((top, bottom), (left, right)) of zeros
    groups: int
    in_hw: tuple       # (H, W) of the unpadded input
    out_hw: tuple      # (Ho, Wo)

    def __repr__(self):   # short, for draw_graph's op labels
        return describe(self)


def describe(geo):
    """'5×5 stride 2 pad 1' and so on: only what differs from the defaults."""
    parts = ["×".join(map(str, geo.kernel))]
    if set(geo.stride) != {1}:
        parts.append("stride " + "×".join(map(str, geo.stride)))
    if set(geo.dilation) != {1}:
        parts.append("dilation " + "×".join(map(str, geo.dilation)))
    (t, b), (l, r) = geo.pads
    if t or b or l or r:
        parts.append("pad " + (str(t) if len({t, b, l, r}) == 1 else f"{t},{b},{l},{r}"))
    if getattr(geo, "groups", 1) != 1:
        parts.append(f"groups {geo.groups}")
    return " ".join(parts)


def _batch_last(x):
    """x (N, C, H, W) laid out as (C, H, W, N) in memory: the examples of a
    batch side by side, so that every window row is one long contiguous run
    (Wo * N elements) in the gathers and adds below, not Wo. numpy's
    elementwise loops pay per run: with runs of 8 (a 8x8 map) an add of 12,800
    numbers costs 0.28 ms; with runs of 80 or more, a tenth of that."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0))   # free when x is laid out so


def _padded(xt, pads):
    """xt (C, H, W, N) with zeros around H and W (a new array only when needed)."""
    (t, b), (l, r) = pads
    if not (t or b or l or r):
        return xt
    c, h, w, n = xt.shape
    out = np.zeros((c, h + t + b, w + l + r, n), dtype=xt.dtype)
    out[:, t:t + h, l:l + w] = xt
    return out


def im2col(x, geo):
    """The windows of x (N, C, H, W) as a contiguous (C, kh, kw, Ho, Wo, N)
    array: the rows of ``cols`` in the order of the weight's (C, kh, kw) axes,
    the columns position-major, examples innermost."""
    xp = _padded(_batch_last(x), geo.pads)
    sc, sh, sw, sn = xp.strides
    (kh, kw), (ho, wo) = geo.kernel, geo.out_hw
    # the strided view of all windows, made directly on xp's memory (as_strided's
    # wrapper costs 10x more; xp is one contiguous block: _batch_last, _padded)
    view = np.ndarray((xp.shape[0], kh, kw, ho, wo, xp.shape[3]), xp.dtype, xp, 0,
                      (sc, sh * geo.dilation[0], sw * geo.dilation[1],
                       sh * geo.stride[0], sw * geo.stride[1], sn))
    return np.ascontiguousarray(view)


def _grouped(a, groups):
    """(X, ...) -> (groups, X/groups, rest): one matrix per group."""
    return a.reshape(groups, a.shape[0] // groups, -1)


def _grouped_cols(cols, groups):
    """cols (C, kh, kw, Ho, Wo, N) -> (groups, C/groups*kh*kw, Ho*Wo*N)."""
    c, kh, kw = cols.shape[:3]
    return cols.reshape(groups, c // groups * kh * kw, -1)


def _channels_first(g, groups):
    """g (N, O, Ho, Wo) as (groups, O/groups, Ho*Wo*N); free when g already
    has the layout the forward produced."""
    return _grouped(g.transpose(1, 2, 3, 0), groups)


def conv_forward(x, w, b, geo, cols=None):
    """z = W cols + b as (N, O, Ho, Wo); returns (z, cols)."""
    if cols is None:
        cols = im2col(x, geo)
    o, n = w.shape[0], x.shape[0]
    z = np.matmul(_grouped(w, geo.groups), _grouped_cols(cols, geo.groups))
    z = z.reshape(o, *geo.out_hw, n)
    if b is not None:
        z += b.reshape(o, 1, 1, 1).astype(z.dtype, copy=False)
    # (O, Ho, Wo, N) seen as (N, O, Ho, Wo): no copy; the layers after it keep
    # this layout, so the gradient arrives in it and needs no copy either.
    return z.transpose(3, 0, 1, 2), cols


def col2im(dcols, geo, n, dtype):
    """The adjoint of im2col: every window's entries added back to the input
    positions they came from, one strided add per kernel offset."""
    (kh, kw), (ho, wo), (h, w) = geo.kernel, geo.out_hw, geo.in_hw
    (t, bt), (l, r) = geo.pads
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    c = dcols.shape[0]
    dcols = dcols.reshape(c, kh, kw, ho, wo, n)
    out = np.zeros((c, h + t + bt, w + l + r, n), dtype=dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            out[:, rows, j * dw: j * dw + sw * (wo - 1) + 1: sw] += dcols[:, i, j]
    return out[:, t:t + h, l:l + w].transpose(3, 0, 1, 2)


def input_grad_forward(g, w, geo):
    """dC/dx for z = conv(x, w): W^T g gathered back by col2im."""
    wg = _grouped(w, geo.groups)                          # (G, O/G, C/G*kh*kw)
    dcols = np.matmul(wg.transpose(0, 2, 1), _channels_first(g, geo.groups))
    return col2im(dcols.reshape(w.shape[1] * geo.groups, -1), geo, g.shape[0], dcols.dtype)


def weight_grad_forward(x, g, geo, cols=None):
    """dC/dw for z = conv(x, w): g cols^T, summed over examples and positions."""
    if cols is None:
        cols = im2col(x, geo)
    gw = np.matmul(_channels_first(g, geo.groups),
                   _grouped_cols(cols, geo.groups).transpose(0, 2, 1))
    o = g.shape[1]
    return gw.reshape(o, x.shape[1] // geo.groups, *geo.kernel)


def bias_grad(g):
    """dC/db = delta summed over examples and positions (BP3), per map. On numpy
    in the layout the forward produced, one matrix-vector product with ones:
    BLAS sums a (O, Ho*Wo*N) block 3x faster than numpy's pairwise reduction."""
    if isinstance(g, Tensor) or g.dtype not in BLAS_DTYPES:
        return reduce_sum(g, (0, 2, 3))
    rows = g.transpose(1, 2, 3, 0)
    if not rows.flags.c_contiguous:
        return reduce_sum(g, (0, 2, 3))
    rows = rows.reshape(g.shape[1], -1)
    return rows @ ones_vector(rows.shape[1], g.dtype)


# Dual helpers (numpy in the fast backward, recorded ops under create_graph).
def _any_tensor(*xs):
    return any(isinstance(x, Tensor) for x in xs)


def conv(x, w, geo):
    if _any_tensor(x, w):
        return Conv2d.apply(x, w, None, geo=geo)
    return conv_forward(x, w, None, geo)[0]


def input_grad(g, w, geo):
    if _any_tensor(g, w):
        return ConvInputGrad.apply(g, w, geo=geo)
    return input_grad_forward(g, w, geo)


def weight_grad(x, g, geo, cols=None):
    if _any_tensor(x, g):
        return ConvWeightGrad.apply(x, g, geo=geo)
    return weight_grad_forward(x, g, geo, cols)


class Conv2d(Function):
    """z = conv(x, w) + b for x (N, C, H, W), w (O, C/groups, kh, kw), b (O,) or None.

    Backward: dC/dx = input_grad(delta, w) (BP2 through a shared weight),
    dC/dw = weight_grad(x, delta) (BP4 summed over every position the weight
    was used at), dC/db = delta summed over examples and positions (BP3).
    """

    geo = None
    cols = None
    saved_attrs = ("cols",)   # the gathered windows, released with the inputs

    def forward(self, x, w, b):
        z, cols = conv_forward(x, w, b, self.geo)
        self.cols = cols   # the weight gradient reuses the gathered windows
        return z

    def backward(self, g, out, x, w, b):
        geo = self.geo
        gx = input_grad(g, w, geo) if self.needs[0] else None
        gw = weight_grad(x, g, geo, self.cols) if self.needs[1] else None
        gb = bias_grad(g) if self.needs[2] else None
        return gx, gw, gb

    @classmethod
    def op_name(cls):
        return "conv2d"


class ConvInputGrad(Function):
    """The transposed convolution input_grad(g, w), as an op: it is recorded
    when a convolution's backward is (create_graph)."""

    geo = None

    def forward(self, g, w):
        return input_grad_forward(g, w, self.geo)

    def backward(self, gg, out, g, w):
        return (conv(gg, w, self.geo) if self.needs[0] else None,
                weight_grad(gg, g, self.geo) if self.needs[1] else None)


class ConvWeightGrad(Function):
    """weight_grad(x, g) as an op, for the same reason."""

    geo = None

    def forward(self, x, g):
        return weight_grad_forward(x, g, self.geo)

    def backward(self, gg, out, x, g):
        return (input_grad(g, gg, self.geo) if self.needs[0] else None,
                conv(x, gg, self.geo) if self.needs[1] else None)
