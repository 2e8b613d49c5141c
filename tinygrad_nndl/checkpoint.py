"""Checkpoints: ``save(obj, path)`` and ``load(path)`` (also
``tinygrad_nndl.save`` / ``tinygrad_nndl.load``).

``obj`` is a state dict (name -> Tensor or numpy array), an optimizer's state
dict, or any nesting of dicts (str or int keys), lists and tuples whose leaves
are Tensors, numpy arrays and numbers, bools, strings or None.

The file is a plain ``.npz`` archive written without pickle: each array is an
entry named after its path (``fc1.weight`` for a model, ``state[0].exp_avg``
for an optimizer: dotted for string keys, bracketed for int keys and list
positions; characters outside letters, digits and ``._-[]~`` are
percent-encoded, and a name already taken gets a ``~n`` suffix), plus one
``__structure__`` entry, a JSON string that records the nesting, the exact
keys and the small values, so ``load`` rebuilds exactly what was saved:
every key, whatever the string (NUL, ``/``, a ``.npy`` suffix, lone
surrogates), and each Tensor's ``requires_grad`` (a saved Parameter loads as
a Parameter). An ``.npz`` without ``__structure__`` (say from
``np.savez(path, **arrays)``) loads as a flat dict name -> Tensor.

Writes are atomic (``atomic_file.write_atomic``): the archive goes to a
temporary file in the target's directory, is flushed and fsynced, then
renamed over ``path``; an exception mid-write leaves the previous file
untouched and removes the temporary one, and the temporary file of a process
killed mid-write is removed by the next save to the same path. Saving
through a symlink writes its target and keeps the link, and an existing
file keeps its permissions.

``load`` reads every entry without pickle (an entry that would need it is
refused), and allocates nothing before checking the entry's header against
what the archive can hold, so a corrupt or hostile file raises ValueError
naming it instead of exhausting memory.
"""
import json
import os
import struct
import urllib.parse
import zipfile
import zlib

import numpy as np

from .atomic_file import write_atomic
from .bounded_read import DEFLATE_MAX_RATIO, read_into
from .tensor.tensor import Tensor

__all__ = ["save", "load"]

FORMAT = "tinygrad_nndl.checkpoint/1"
STRUCTURE = "__structure__"


# ----- flattening -------------------------------------------------------------
def _join(path, key):
    if isinstance(key, str):
        return f"{path}.{key}" if path else key
    return f"{path}[{key}]"


def _entry_name(path, taken):
    """A zip member name for the array at ``path``: readable, safe for any
    zip tool and numpy's npz reader, and not yet taken. The exact path lives
    in the structure record, so this need not be invertible."""
    name = urllib.parse.quote(path or "root", safe="._-[]~", errors="surrogatepass")
    if name.endswith(".npy"):   # numpy's npz reader strips one such suffix
        name = name[:-4] + "%2Enpy"
    if len(name) > 200:
        name = name[:200]
    base, n = name, 0
    while name in taken or name == STRUCTURE:
        n += 1
        name = f"{base}~{n}"
    return name


def _tensor_kind(t):
    from .nn.module import Parameter
    if isinstance(t, Parameter):
        return "p" if t.requires_grad else "q"
    return "r" if t.requires_grad else "t"


def _describe(obj, path, arrays, active):
    """A JSON-able description of ``obj``; its arrays go into ``arrays``.
    ``active`` holds the ids of the containers being described (a cycle)."""
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        kind = (_tensor_kind(obj) if isinstance(obj, Tensor)
                else "a" if isinstance(obj, np.ndarray) else "g")
        arr = np.asarray(obj.data if isinstance(obj, Tensor) else obj)
        if arr.dtype.hasobject:
            raise TypeError(f"save: {path or 'the object'} is an array of Python objects "
                            f"(dtype {arr.dtype}), which cannot be stored without pickle")
        name = _entry_name(path, arrays)
        arrays[name] = arr
        return {kind: name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"v": obj}
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: {path or 'the object'} contains itself (a reference "
                             f"cycle), which a checkpoint cannot store")
        active.add(id(obj))
        try:
            if isinstance(obj, dict):
                items = []
                for key, value in obj.items():
                    if isinstance(key, bool) or not isinstance(key, (str, int)):
                        raise TypeError(f"save: keys must be strings or ints, "
                                        f"{path or 'the object'} has key {key!r} "
                                        f"({type(key).__name__})")
                    items.append([key, _describe(value, _join(path, key), arrays, active)])
                return {"d": items}
            nodes = [_describe(v, _join(path, i), arrays, active) for i, v in enumerate(obj)]
            return {"u" if isinstance(obj, tuple) else "l": nodes}
        finally:
            active.discard(id(obj))
    raise TypeError(f"save: cannot store {path or 'the object'} of type "
                    f"{type(obj).__name__} (only Tensors, arrays, numbers, strings, None, "
                    f"and dicts, lists and tuples of them)")


def _leaf(kind, arr):
    if kind == "a":
        return arr
    if kind == "g":
        if arr.ndim != 0:
            raise ValueError(f"a scalar entry holds an array of shape {arr.shape}")
        return arr[()]
    if kind in ("p", "q"):
        from .nn.module import Parameter
        if arr.dtype.kind not in "fc" and kind == "p":
            raise ValueError(f"a Parameter requiring grad holds {arr.dtype} values")
        return Parameter(arr, requires_grad=kind == "p")
    t = Tensor._make(arr, None)
    if kind == "r":
        if arr.dtype.kind not in "fc":
            raise ValueError(f"a Tensor requiring grad holds {arr.dtype} values")
        t.requires_grad = True
    return t


_LEAVES = ("t", "r", "p", "q", "a", "g")


def _rebuild(node, arrays, source):
    """The object ``node`` describes; every malformation raises ValueError."""
    def bad(why):
        return ValueError(f"load: {source} has a malformed {STRUCTURE} record: {why}")

    if not isinstance(node, dict) or len(node) != 1:
        raise bad(f"expected a one-key object, got {json.dumps(node)[:80]}")
    (kind, body), = node.items()
    if kind in _LEAVES:
        if not isinstance(body, str):
            raise bad(f"an array reference must be a string, got {json.dumps(body)[:80]}")
        if body not in arrays:
            raise ValueError(f"load: {source} is missing the array entry {body!r}")
        try:
            return _leaf(kind, arrays[body])
        except ValueError as e:
            raise bad(f"entry {body!r}: {e}") from None
    if kind == "v":
        if body is not None and not isinstance(body, (bool, int, float, str)):
            raise bad(f"a value must be a number, string, bool or null, got "
                      f"{json.dumps(body)[:80]}")
        return body
    if kind == "d":
        if not isinstance(body, list):
            raise bad("a dict must be a list of [key, value] pairs")
        out = {}
        for item in body:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                    and not isinstance(item[0], bool)):
                raise bad(f"a dict item must be a [key, value] pair with a string or int "
                          f"key, got {json.dumps(item)[:80]}")
            if item[0] in out:
                raise bad(f"the key {item[0]!r} appears twice")
            out[item[0]] = _rebuild(item[1], arrays, source)
        return out
    if kind in ("l", "u"):
        if not isinstance(body, list):
            raise bad(f"a {'tuple' if kind == 'u' else 'list'} must be a JSON array")
        items = [_rebuild(value, arrays, source) for value in body]
        return tuple(items) if kind == "u" else items
    raise bad(f"unknown node kind {kind!r}")


# ----- writing ------------------------------------------------------------------
def _write_array(file, array):
    np.lib.format.write_array(file, array, allow_pickle=False)


def _write_npz(file, arrays):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                _write_array(member, array)


def save(obj, path):
    """Write ``obj`` (a state dict, an optimizer state dict, or a nesting of
    them) to ``path`` as an ``.npz`` archive, atomically. Everything is
    checked before the file is touched."""
    arrays = {}
    try:
        root = _describe(obj, "", arrays, set())
    except RecursionError:
        raise ValueError("save: the object is nested too deeply to store") from None
    # ensure_ascii: NUL and lone surrogates in keys and strings become \u escapes.
    arrays[STRUCTURE] = np.array(json.dumps({"format": FORMAT, "root": root},
                                            ensure_ascii=True, allow_nan=True))
    write_atomic(os.fspath(path), lambda f: _write_npz(f, arrays))


# ----- reading ------------------------------------------------------------------
def load(path, map_location=None, *, weights_only=True, mmap=None, **kwargs):
    """Read a checkpoint written by ``save``: the same nesting, with Tensors
    (and Parameters) where they were saved, ``requires_grad`` as saved.
    Files or entries that would need unpickling are refused with ValueError;
    so are corrupt archives and malformed structure records.

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
    with open(path, "rb") as f:
        arrays = _read_entries(f, path)
    record = arrays.pop(STRUCTURE, None)
    if record is None:
        return {name: Tensor._make(arr, None) for name, arr in arrays.items()}
    try:
        if record.dtype.kind != "U" or record.ndim != 0:
            raise TypeError(f"a {record.dtype} array of shape {record.shape}")
        meta = json.loads(str(record[()]))
    except (ValueError, TypeError, RecursionError) as e:
        raise ValueError(f"load: {path} has an unreadable {STRUCTURE} record "
                         f"({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "root" not in meta:
        raise ValueError(f"load: {path} was written in an unknown checkpoint format "
                         f"{meta.get('format') if isinstance(meta, dict) else meta!r}; "
                         f"expected {FORMAT!r}")
    try:
        return _rebuild(meta["root"], arrays, path)
    except RecursionError:
        raise ValueError(f"load: {path} has a malformed {STRUCTURE} record: nested too "
                         f"deeply") from None


def _read_entries(file, path):
    """name -> array for every entry of the archive, read without pickle and
    without allocating more than the archive can hold."""
    head = file.read(6)
    file.seek(0)
    if head == b"\x93NUMPY":
        raise ValueError(f"load: {path} holds a single array (.npy), not an .npz checkpoint")
    if head[:2] != b"PK":
        raise ValueError(f"load: {path} is not an .npz archive; numpy could only read it "
                         f"by unpickling, which can run arbitrary code, so it is refused")
    size = os.fstat(file.fileno()).st_size
    arrays = {}
    try:
        with zipfile.ZipFile(file) as zf:
            for info in zf.infolist():
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                if name in arrays:
                    raise ValueError(f"load: {path} holds the entry {name!r} twice")
                arrays[name] = _read_member(zf, info, size, f"entry {name!r} of {path}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
            NotImplementedError, zlib.error, struct.error) as e:
        raise ValueError(f"load: {path} is a corrupt or truncated .npz archive "
                         f"({type(e).__name__}: {e})") from None
    return arrays


def _read_member(zf, info, archive_size, what):
    ratio = 1 if info.compress_type == zipfile.ZIP_STORED else DEFLATE_MAX_RATIO
    if info.compress_size > archive_size or info.file_size > ratio * info.compress_size + 1024:
        raise ValueError(f"load: {what} claims {info.file_size} bytes from "
                         f"{info.compress_size} stored in an archive of {archive_size}; the "
                         f"archive is corrupt")
    with zf.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except ValueError as e:
            raise ValueError(f"load: {what} is not a readable array ({e})") from None
        if dtype.hasobject:
            raise ValueError(f"load: {what} is an array of Python objects stored as a "
                             f"pickle; unpickling can run arbitrary code, so it is refused")
        header = member.tell() if member.seekable() else None
        count = 1
        for n in shape:
            count *= int(n)
        nbytes = count * dtype.itemsize
        available = info.file_size - (header or 0)
        if nbytes > available or (dtype.itemsize == 0 and count > info.file_size):
            raise ValueError(f"load: {what} announces shape {shape} of {dtype} ({nbytes} "
                             f"bytes), more than the {available} bytes it holds; the archive "
                             f"is corrupt")
        try:
            out = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
        except ValueError:   # a zero among dimensions whose product overflows
            raise ValueError(f"load: {what} announces shape {shape}, which numpy cannot "
                             f"represent; the archive is corrupt") from None
        got = read_into(member, out)
        if got < nbytes:
            raise ValueError(f"load: {what} is truncated: {got} bytes of data where its "
                             f"header announces {nbytes}")
        if member.read(1):
            raise ValueError(f"load: {what} holds more than the {nbytes} bytes of data its "
                             f"header announces")
    return out
