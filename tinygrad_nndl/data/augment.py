"""Data augmentation of chapter 3 (notes 3.3.2): mixup (eq. 3.14-3.15),
Gaussian input noise (eq. 3.16-3.22) and the shifted/rotated digits of the
book's expanded training set.

The helpers take numpy arrays or Tensors and return the same kind, and draw
from the library's seeded generator (``tinygrad_nndl.manual_seed``).
"""
import math

import numpy as np

from ..tensor.random import generator
from ..tensor.tensor import Tensor

__all__ = ["mixup", "add_input_noise", "shift_rotate", "augment_digits", "expand_by_shifts"]


def _array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _like(result, original):
    return Tensor._make(result, None) if isinstance(original, Tensor) else result


def mixup(x, y, alpha=1.0):
    """Mixup (notes eq. 3.14-3.15): pair each example i with a random other
    example j (a permutation of the batch) and return
    lambda x_i + (1 - lambda) x_j, lambda y_i + (1 - lambda) y_j and lambda,
    with one lambda ~ Beta(alpha, alpha) per batch (Zhang et al., 2018).

    ``y`` must be one-hot vectors or class probabilities (``nn.functional.one_hot``
    turns class indices into those); train on the result with
    ``cross_entropy(logits, y_mixed)``.
    """
    xa, ya = _array(x), _array(y)
    if not alpha > 0:
        raise ValueError(f"mixup: alpha must be > 0, got {alpha}")
    if ya.dtype.kind not in "f" or ya.ndim < 2:
        raise ValueError(f"mixup: y must be one-hot rows or class probabilities of shape "
                         f"(N, C), got shape {ya.shape} dtype {ya.dtype}; convert class "
                         f"indices with nn.functional.one_hot(y).float()")
    if xa.ndim == 0 or xa.shape[0] != ya.shape[0]:
        raise ValueError(f"mixup: x and y must hold the same number of examples, got "
                         f"shapes {xa.shape} and {ya.shape}")
    rng = generator()
    lam = float(rng.beta(alpha, alpha))
    perm = rng.permutation(xa.shape[0])
    mixed_x = lam * xa + (1 - lam) * xa[perm]
    mixed_y = lam * ya + (1 - lam) * ya[perm]
    return _like(mixed_x, x), _like(mixed_y, y), lam


def add_input_noise(x, sigma):
    """x + eps with eps ~ N(0, sigma^2 I) (noise injection, notes eq. 3.16).

    For a linear model with the squared loss this adds sigma^2 ||w||^2 to the
    expected loss (eq. 3.22): noise on the inputs acts as L2 regularization.
    A Tensor keeps its graph (the noise is a constant added to it).
    """
    if not sigma >= 0:
        raise ValueError(f"add_input_noise: sigma must be >= 0, got {sigma}")
    xa = _array(x)
    if xa.dtype.kind != "f":
        raise TypeError(f"add_input_noise: x must be floating point, got {xa.dtype}")
    noise = generator().normal(0.0, sigma, xa.shape).astype(xa.dtype)
    return x + noise if isinstance(x, Tensor) else xa + noise


# ----- digit augmentation ----------------------------------------------------
def _as_images(a, fn):
    """A (N, H, W) view of a batch of images given as (N, H*W) rows with a
    square number of pixels or as (..., H, W)."""
    if a.ndim == 2:
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1]:
            raise ValueError(f"{fn}: rows of {a.shape[1]} pixels are not square images; "
                             f"pass images of shape (N, H, W)")
        return a.reshape(a.shape[0], side, side)
    if a.ndim < 2:
        raise ValueError(f"{fn}: expected images of shape (N, H*W) or (..., H, W), got "
                         f"shape {a.shape}")
    return a.reshape((-1,) + a.shape[-2:])


def shift_rotate(images, shifts, degrees, fill=0.0):
    """Move each image by ``shifts[n] = (down, right)`` pixels and rotate it by
    ``degrees[n]`` (counterclockwise as displayed) about its centre, by
    inverse mapping with bilinear interpolation; pixels from outside the image
    are ``fill``. Shape and dtype are kept (integer images are rounded).

    Whole shifts with no rotation move pixels exactly; a zero shift and angle
    return the images unchanged.
    """
    fn = "shift_rotate"
    src = _array(images)
    imgs = _as_images(src, fn)
    n, h, w = imgs.shape
    shifts = np.broadcast_to(np.asarray(shifts, dtype=np.float64), (n, 2))
    theta = np.deg2rad(np.broadcast_to(np.asarray(degrees, dtype=np.float64), (n,)))
    cy, cx = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty(imgs.shape, dtype=np.float64)
    # Chunks keep the (chunk, H, W) temporaries small for 50,000 images.
    for start in range(0, n, 4096):
        sl = slice(start, min(start + 4096, n))
        cos, sin = np.cos(theta[sl])[:, None, None], np.sin(theta[sl])[:, None, None]
        dy = rows - cy - shifts[sl, 0, None, None]
        dx = cols - cx - shifts[sl, 1, None, None]
        # Output pixel (r, c) comes from the source point rotated back by
        # -theta; rows point down, which flips the sign of sin.
        sy = cy + cos * dy + sin * dx
        sx = cx - sin * dy + cos * dx
        out[sl] = _bilinear(imgs[sl], sy, sx, fill)
    if src.dtype.kind in "iu":
        info = np.iinfo(src.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    out = out.astype(src.dtype, copy=False).reshape(src.shape)
    return _like(out, images)


def _bilinear(imgs, sy, sx, fill):
    """Sample imgs[n] at the real coordinates (sy, sx); outside: fill."""
    n, h, w = imgs.shape
    y0, x0 = np.floor(sy), np.floor(sx)
    fy, fx = sy - y0, sx - x0
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    flat = imgs.reshape(n, h * w).astype(np.float64)
    batch = np.arange(n)[:, None, None]
    out = np.zeros(sy.shape)
    for oy, ox, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yy, xx = y0 + oy, x0 + ox
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        pixel = flat[batch, np.where(inside, yy * w + xx, 0)]
        out += weight * np.where(inside, pixel, fill)
    return out


def augment_digits(images, max_shift=2, max_degrees=15.0, fill=0.0):
    """Random small shifts (whole pixels in [-max_shift, max_shift] along each
    axis) and rotations (uniform in [-max_degrees, max_degrees]) of a batch of
    digit images, one draw per image: chapter 3's "artificially expanding the
    training data" (rotations of about 15 degrees) and chapter 6's shifted
    copies. Shape, dtype and, with fill=0 on a zero background, the value
    range are kept."""
    a = _array(images)
    n = _as_images(a, "augment_digits").shape[0]
    if max_shift < 0 or max_degrees < 0:
        raise ValueError(f"augment_digits: max_shift and max_degrees must be >= 0, got "
                         f"{max_shift} and {max_degrees}")
    rng = generator()
    shifts = rng.integers(-int(max_shift), int(max_shift) + 1, size=(n, 2))
    degrees = rng.uniform(-max_degrees, max_degrees, size=n)
    return shift_rotate(images, shifts, degrees, fill)


def expand_by_shifts(images, labels, distance=1, fill=0.0):
    """The book's expanded training set (expand_mnist.py): every image plus its
    copies moved ``distance`` pixels up, down, left and right (5x the data),
    with the labels repeated to match."""
    a, lab = _array(images), _array(labels)
    n = _as_images(a, "expand_by_shifts").shape[0]
    if lab.shape[:1] != (n,):
        raise ValueError(f"expand_by_shifts: {n} images but labels of shape {lab.shape}")
    parts = [a] + [_array(shift_rotate(a, move, 0.0, fill))
                   for move in ((-distance, 0), (distance, 0), (0, -distance), (0, distance))]
    return (_like(np.concatenate(parts), images),
            _like(np.concatenate([lab] * 5), labels))
