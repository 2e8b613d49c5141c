"""The small handwritten digits that ship with scikit-learn: the embedded
default data set (1,797 images of 8x8 pixels, 10 classes, no download)."""
import numpy as np

from .dataset import TensorDataset, random_split

DIGITS_SPLIT = (1197, 300, 300)   # train / validation / test, 1,797 in all


def load_digits():
    """``(images, labels)``: images float32 (1797, 8, 8) in [0, 1] (the raw 0-16
    intensities / 16) and labels int64 (1797,). Needs scikit-learn (the
    ``examples`` extra), which bundles the data; nothing is downloaded."""
    try:
        from sklearn.datasets import load_digits as _sklearn_digits
    except ImportError as e:
        raise ImportError("load_digits needs scikit-learn, which bundles the digits: "
                          "pip install 'tinygrad_nndl[examples]' (or scikit-learn)") from e
    bunch = _sklearn_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    return images, bunch.target.astype(np.int64)


def digits_split(seed=0, sizes=DIGITS_SPLIT):
    """The digits as ``(train, validation, test)`` datasets of ``sizes``
    (1197 / 300 / 300 by default), split by a permutation seeded with ``seed``,
    so the same seed gives the same split everywhere."""
    return tuple(random_split(TensorDataset(*load_digits()), sizes, seed=seed))
