"""Reading the book's ``mnist.pkl.gz`` without trusting it.

A pickle is a program: unpickling runs whatever callables the file names. The
book's file only needs what rebuilds numpy arrays, so ``ArrayUnpickler``
resolves exactly those globals and refuses every other one (``os.system``,
``builtins.eval``, ...) before anything is called.
"""
import gzip
import io
import os
import pickle
import struct
import zlib

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


class _NDArrayName:
    """What the global ``numpy.ndarray`` resolves to: a name that
    ``_reconstruct`` accepts as its subtype, never something a pickle can call.
    (Calling ``numpy.ndarray(shape, dtype)`` would allocate whatever shape the
    file asks for and return uninitialized memory.)"""

    def __call__(self, *args, **kwargs):
        raise pickle.UnpicklingError("refused to call numpy.ndarray(...): it would allocate "
                                     "whatever shape the file asks for, uninitialized")

    def __repr__(self):
        return "numpy.ndarray"


_NDARRAY = _NDArrayName()


def _empty_array(subtype, shape, dtype):
    """numpy's ``_reconstruct`` as ``ndarray.__reduce__`` uses it: an empty
    ndarray that ``__setstate__`` then fills from the pickle's own bytes (so
    its size is bounded by the file's). Any other use is refused."""
    if subtype is not _NDARRAY or tuple(shape) != (0,):
        raise pickle.UnpicklingError(f"refused _reconstruct({subtype!r}, {shape!r}, ...): "
                                     f"only numpy's own (ndarray, (0,), dtype) form is allowed")
    return _reconstruct(np.ndarray, (0,), dtype)


# (module, name) -> object: what ndarray.__reduce__ and dtype.__reduce__ name.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _empty_array,
    ("numpy._core.multiarray", "_reconstruct"): _empty_array,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}

# The book's file: 50,000 + 10,000 + 10,000 images of 28 x 28 = 784 pixels.
# The pickle may hold at most that many images, as float64 at the widest,
# with int64 labels, plus room for the pickle's own framing.
MNIST_MAX_IMAGES = 70_000
MNIST_PIXELS = 784
MAX_PICKLE_BYTES = MNIST_MAX_IMAGES * (MNIST_PIXELS * 8 + 8) + (1 << 20)


class ArrayUnpickler(pickle._Unpickler):
    """An Unpickler that rebuilds numpy arrays, tuples, lists, numbers and
    strings, and raises ``pickle.UnpicklingError`` for any other global.

    It is pickle's pure-Python unpickler: the C one reserves the length a
    bytes opcode announces before reading it (a 3 KB file can claim 4 GB),
    while this one reads what is there, so memory stays bounded by the data."""

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
    if images.ndim != 2 or labels.ndim != 1 or len(images) != len(labels) \
            or images.shape[1] != MNIST_PIXELS:
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set has images of shape "
                         f"{images.shape} and labels of shape {labels.shape}; expected "
                         f"(N, {MNIST_PIXELS}) and (N,)")
    if images.dtype.kind != "f" or labels.dtype.kind not in "iu" \
            or images.dtype.fields is not None or labels.dtype.fields is not None:
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set has images of dtype "
                         f"{images.dtype} and labels of dtype {labels.dtype}; expected "
                         f"floats and integers")
    if images.size and not (images.min() >= 0 and images.max() <= 1):   # NaN fails both
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set has pixel values outside "
                         f"[0, 1] (min {images.min()}, max {images.max()})")
    if labels.size and not (labels.min() >= 0 and labels.max() <= 9):
        bad = labels[(labels < 0) | (labels > 9)][0]
        raise ValueError(f"load_mnist_pkl: {path}: the {name} set has label {int(bad)}; "
                         f"MNIST labels are digits 0-9")
    return images.astype(np.float32, copy=False), labels.astype(np.int64, copy=False)


def _read_bounded(path):
    """The file's bytes, gunzipped if gzipped, refusing more than
    MAX_PICKLE_BYTES of either before reading or inflating past it."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_PICKLE_BYTES:
            raise ValueError(f"load_mnist_pkl: {path} is {size} bytes, more than the "
                             f"{MAX_PICKLE_BYTES} that 70,000 MNIST images can take")
        data = f.read(size + 1)   # read(n) reserves n bytes up front
    if data[:2] != b"\x1f\x8b":
        return data
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            while True:
                # Small reads: GzipFile.read(n) would reserve n bytes up front.
                chunk = g.read(1 << 20)
                if not chunk:
                    break
                out += chunk
                if len(out) > MAX_PICKLE_BYTES:
                    raise ValueError(f"load_mnist_pkl: {path} inflates to more than "
                                     f"{MAX_PICKLE_BYTES} bytes, more than 70,000 MNIST "
                                     f"images can take; the file is corrupt or hostile")
    except (EOFError, OSError, zlib.error) as e:   # BadGzipFile is an OSError
        raise ValueError(f"load_mnist_pkl: {path}: corrupt gzip data: {e}") from None
    return bytes(out)


def load_mnist_pkl(path):
    """The book's ``mnist.pkl.gz`` (gzipped or not) as
    ``(train, validation, test)``, each ``(images float32 (N, 784), labels int64 (N,))``:
    50,000 / 10,000 / 10,000 images with pixels in [0, 1] (chapter 1's
    ``mnist_loader.load_data``), read with a restricted unpickler.

    What the file may make us allocate is bounded before it is allocated: at
    most the bytes 70,000 float64 images take, compressed or not; arrays are
    built only from the pickle's own bytes. Then every split is checked:
    images (N, 784) of floats in [0, 1], labels 0-9, 70,000 images in all at
    most. Anything else raises ValueError (pickle.UnpicklingError for a
    refused global) naming the file."""
    path = str(path)
    data = _read_bounded(path)
    try:
        obj = load_arrays_pickle(data)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(f"load_mnist_pkl: {path}: {e}") from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            struct.error, RecursionError, MemoryError, OverflowError) as e:
        raise ValueError(f"load_mnist_pkl: {path}: not a valid pickle of arrays: "
                         f"{type(e).__name__}: {e}") from None
    if not (isinstance(obj, (tuple, list)) and len(obj) == 3):
        raise ValueError(f"load_mnist_pkl: {path}: expected a (train, validation, test) "
                         f"tuple, got {type(obj).__name__}")
    splits = tuple(_check_split(path, name, split)
                   for name, split in zip(("training", "validation", "test"), obj))
    total = sum(len(labels) for _, labels in splits)
    if total > MNIST_MAX_IMAGES:
        raise ValueError(f"load_mnist_pkl: {path} holds {total} images; MNIST has "
                         f"{MNIST_MAX_IMAGES}")
    return splits
