"""Reading the book's ``mnist.pkl.gz`` without trusting it.

A pickle is a program: unpickling runs whatever callables the file names. The
book's file only needs what rebuilds numpy arrays, so ``ArrayUnpickler``
resolves exactly those globals and refuses every other one (``os.system``,
``builtins.eval``, ...) before anything is called.
"""
import gzip
import io
import pickle

import numpy as np

try:  # numpy >= 2 (numpy.core is a deprecated alias there)
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct


def _latin1_encode(text, encoding):
    """_codecs.encode as protocol-2 pickles written by Python 3 use it (bytes
    are stored as latin-1 text); no other codec is looked up."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


# (module, name) -> object: what ndarray.__reduce__ and dtype.__reduce__ name.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class ArrayUnpickler(pickle.Unpickler):
    """An Unpickler that rebuilds numpy arrays, tuples, lists, numbers and
    strings, and raises ``pickle.UnpicklingError`` for any other global."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: this file may only contain "
                f"numpy arrays (a pickle naming other callables can run code)") from None


def load_arrays_pickle(data):
    """Unpickle ``data`` (bytes) with ArrayUnpickler. ``latin1`` decodes the
    Python 2 strings of the book's file (numpy's raw array bytes)."""
    return ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()


def _check_split(path, name, split):
    if not (isinstance(split, (tuple, list)) and len(split) == 2
            and all(isinstance(a, np.ndarray) for a in split)):
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set is not a pair of arrays "
                         f"(images, labels)")
    images, labels = split
    if images.ndim != 2 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set has images of shape "
                         f"{images.shape} and labels of shape {labels.shape}; expected "
                         f"(N, 784) and (N,)")
    if images.dtype.kind != "f" or labels.dtype.kind not in "iu":
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set has images of dtype "
                         f"{images.dtype} and labels of dtype {labels.dtype}; expected "
                         f"floats and integers")
    return images.astype(np.float32, copy=False), labels.astype(np.int64, copy=False)


def load_mnist_pkl(path):
    """The book's ``mnist.pkl.gz`` (gzipped or not) as
    ``(train, validation, test)``, each ``(images float32 (N, 784), labels int64 (N,))``:
    50,000 / 10,000 / 10,000 images with pixels in [0, 1] (chapter 1's
    ``mnist_loader.load_data``), read with a restricted unpickler."""
    path = str(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError) as e:
            raise ValueError(f"load_mnist_pkl: {path}: corrupt gzip data: {e}") from None
    try:
        obj = load_arrays_pickle(data)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(f"load_mnist_pkl: {path}: {e}") from None
    except (EOFError, ValueError, TypeError, IndexError) as e:
        raise ValueError(f"load_mnist_pkl: {path}: not a valid pickle of arrays: {e}") from None
    if not (isinstance(obj, (tuple, list)) and len(obj) == 3):
        raise ValueError(f"load_mnist_pkl: {path}: expected a (train, validation, test) "
                         f"tuple, got {type(obj).__name__}")
    return tuple(_check_split(path, name, split)
                 for name, split in zip(("training", "validation", "test"), obj))
