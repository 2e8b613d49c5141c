"""Checkpoints: ``save(obj, path)`` and ``load(path)`` (also
``tinygrad_nndl.save`` / ``tinygrad_nndl.load``).

``obj`` is a state dict (name -> Tensor or numpy array), an optimizer's state
dict, or any nesting of dicts (str or int keys), lists and tuples whose leaves
are Tensors, numpy arrays and numbers, bools, strings or None.

The file is a plain ``.npz`` archive written without pickle: each array is an
entry named by its path (``fc1.weight`` for a model, ``state[0].exp_avg`` for
an optimizer: dotted for string keys, bracketed for int keys and list
positions), plus one ``__structure__`` entry, a JSON string that records the
nesting and the small values, so ``load`` rebuilds exactly what was saved.
An ``.npz`` without it (say from ``np.savez(path, **arrays)``) loads as a flat
dict name -> Tensor.

Writes are atomic: the archive goes to a temporary file in the same directory,
is flushed and fsynced, then renamed over ``path``; an exception mid-write
leaves the previous file untouched and removes the temporary one.
``load`` reads with ``np.load(allow_pickle=False)``: a file or entry that would
need unpickling (which can run arbitrary code) is refused.
"""
import json
import os
import secrets
import zipfile

import numpy as np

from .tensor.tensor import Tensor

__all__ = ["save", "load"]

FORMAT = "tinygrad_nndl.checkpoint/1"
STRUCTURE = "__structure__"


# ----- flattening -------------------------------------------------------------
def _join(path, key):
    if isinstance(key, str):
        return f"{path}.{key}" if path else key
    return f"{path}[{key}]"


def _describe(obj, path, arrays):
    """A JSON-able description of ``obj``; its arrays go into ``arrays``."""
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        kind = "t" if isinstance(obj, Tensor) else "a" if isinstance(obj, np.ndarray) else "g"
        arr = np.asarray(obj.data if isinstance(obj, Tensor) else obj)
        if arr.dtype.hasobject:
            raise TypeError(f"save: {path or 'the object'} is an array of Python objects "
                            f"(dtype {arr.dtype}), which cannot be stored without pickle")
        name = path or "root"
        if name in arrays or name == STRUCTURE:
            raise ValueError(f"save: two entries would both be named {name!r}; rename a key")
        arrays[name] = arr
        return {kind: name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"v": obj}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: keys must be strings or ints, {path or 'the object'} "
                                f"has key {key!r} ({type(key).__name__})")
            items.append([key, _describe(value, _join(path, key), arrays)])
        return {"d": items}
    if isinstance(obj, (list, tuple)):
        nodes = [_describe(v, _join(path, i), arrays) for i, v in enumerate(obj)]
        return {"u" if isinstance(obj, tuple) else "l": nodes}
    raise TypeError(f"save: cannot store {path or 'the object'} of type "
                    f"{type(obj).__name__} (only Tensors, arrays, numbers, strings, None, "
                    f"and dicts, lists and tuples of them)")


def _rebuild(node, arrays, source):
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"load: {source} has a malformed structure record ({node!r:.80})")
    (kind, body), = node.items()
    if kind in ("t", "a", "g"):
        if body not in arrays:
            raise ValueError(f"load: {source} is missing the array entry {body!r}")
        arr = arrays[body]
        return Tensor._make(arr, None) if kind == "t" else arr if kind == "a" else arr[()]
    if kind == "v":
        return body
    if kind == "d":
        return {key: _rebuild(value, arrays, source) for key, value in body}
    if kind in ("l", "u"):
        items = [_rebuild(value, arrays, source) for value in body]
        return tuple(items) if kind == "u" else items
    raise ValueError(f"load: {source} has an unknown structure node {kind!r}")


# ----- writing ------------------------------------------------------------------
def _write_array(file, array):
    np.lib.format.write_array(file, array, allow_pickle=False)


def _write_npz(file, arrays):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                _write_array(member, array)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where directories
    cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj, path):
    """Write ``obj`` (a state dict, an optimizer state dict, or a nesting of
    them) to ``path`` as an ``.npz`` archive, atomically."""
    arrays = {}
    root = _describe(obj, "", arrays)
    arrays[STRUCTURE] = np.array(json.dumps({"format": FORMAT, "root": root}))
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never write through someone else's file; mode 0o666 lets the
    # umask decide the permissions, as for a file opened with open().
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


# ----- reading ------------------------------------------------------------------
def load(path, map_location=None, *, weights_only=True, mmap=None, **kwargs):
    """Read a checkpoint written by ``save``: the same nesting, with Tensors
    where Tensors were saved. Files or entries that would need unpickling are
    refused with ValueError; so are corrupt archives.

    torch.load's ``map_location`` (None or the CPU: 'cpu', a device of type
    'cpu'; tensors are always loaded into host memory), ``weights_only``
    (nothing but data is ever loaded: no pickle) and ``mmap`` are accepted so
    that ``torch.load(path, map_location="cpu", weights_only=True)`` runs."""
    if kwargs:
        raise TypeError(f"load: unexpected arguments {sorted(kwargs)}")
    if map_location is not None:
        kind = map_location if isinstance(map_location, str) else getattr(map_location, "type",
                                                                          None)
        if not isinstance(kind, str) or kind.split(":")[0] != "cpu":
            raise RuntimeError(f"load: map_location={map_location!r} is not available: "
                               f"tinygrad_nndl runs on numpy, on the CPU only; use 'cpu' or "
                               f"leave it out")
    path = os.fspath(path)
    # The file is opened here, not by np.load, which leaks its handle when the
    # archive turns out to be corrupt.
    with open(path, "rb") as f:
        arrays = _read_entries(f, path)
    record = arrays.pop(STRUCTURE, None)
    if record is None:
        return {name: Tensor._make(arr, None) for name, arr in arrays.items()}
    try:
        meta = json.loads(str(record[()]))
    except (ValueError, TypeError) as e:
        raise ValueError(f"load: {path} has an unreadable {STRUCTURE} record ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "root" not in meta:
        raise ValueError(f"load: {path} was written in an unknown checkpoint format "
                         f"{meta.get('format') if isinstance(meta, dict) else meta!r}; "
                         f"expected {FORMAT!r}")
    return _rebuild(meta["root"], arrays, path)


def _read_entries(file, path):
    """name -> array for every entry of the archive, read without pickle."""
    try:
        data = np.load(file, allow_pickle=False)
    except ValueError as e:
        if "pickle" not in str(e):
            raise ValueError(f"load: cannot read {path}: {e}") from None
        raise ValueError(f"load: {path} is not an .npz archive; numpy could only read it "
                         f"by unpickling, which can run arbitrary code, so it is refused") from None
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"load: {path} is a corrupt or truncated .npz archive ({e})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} holds a single array (.npy), not an .npz checkpoint")
    arrays = {}
    with data:
        for name in data.files:
            try:
                arrays[name] = data[name]
            except ValueError as e:
                if "pickle" not in str(e):
                    raise ValueError(f"load: entry {name!r} of {path}: {e}") from None
                raise ValueError(f"load: entry {name!r} of {path} is an array of Python "
                                 f"objects stored as a pickle; unpickling can run arbitrary "
                                 f"code, so it is refused") from None
            except (zipfile.BadZipFile, EOFError, OSError) as e:
                raise ValueError(f"load: entry {name!r} of {path} is corrupt ({e})") from None
    return arrays
