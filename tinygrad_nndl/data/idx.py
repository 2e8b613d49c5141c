"""Reading IDX files, the format of MNIST and Fashion-MNIST (plain or gzipped).

An IDX file is a big-endian header (two zero bytes, a type byte, the number
of dimensions, one uint32 per dimension) followed by the raw row-major data.
Every way a file can be wrong (not gzip, failed gzip CRC, bad magic, unknown
type, truncated, trailing bytes) raises ``IDXError`` naming the file, and
the header's shape is checked against what the file can hold before anything
is allocated, so a corrupt header cannot make the reader reserve gigabytes.
"""
import gzip
import math
import os
import struct
import zlib

import numpy as np

from ..bounded_read import DEFLATE_MAX_RATIO, read_into

# type byte -> big-endian numpy dtype (from the format's description by LeCun et al.)
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A malformed IDX file: the message names the file and the problem."""


def _parse(f, path, available, compressed, limit):
    head = f.read(4)
    if len(head) < 4:
        raise IDXError(f"{path}: truncated IDX file: {len(head)} bytes, shorter than the "
                       f"4-byte magic number")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or code not in IDX_TYPES:
        raise IDXError(f"{path}: bad magic number 0x{head.hex()}: expected 0x0000TTDD with "
                       f"type byte TT in {sorted(hex(c) for c in IDX_TYPES)}; not an IDX file")
    dims_raw = f.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise IDXError(f"{path}: truncated IDX header: {ndim} dimensions announced, "
                       f"only {len(dims_raw)} of {4 * ndim} dimension bytes present")
    shape = struct.unpack(f">{ndim}I", dims_raw)
    dtype = np.dtype(IDX_TYPES[code])
    # Python ints: the product of four uint32 overflows int64.
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > available:
        raise IDXError(f"{path}: truncated IDX data: the header announces shape {shape} of "
                       f"{dtype.str} ({nbytes} bytes), more than the file can hold ({available} bytes "
                       f"at most{', inflated' if compressed else ''}); the file is corrupt "
                       f"or truncated")
    if limit is not None and nbytes > limit:
        raise IDXError(f"{path}: the header announces shape {shape} of {dtype.str} "
                       f"({nbytes} bytes), more than the {limit} bytes expected here")
    try:
        out = np.empty(shape, dtype=dtype)
    except ValueError:   # a zero among dimensions whose product overflows
        raise IDXError(f"{path}: the header announces shape {shape}, which numpy cannot "
                       f"represent; the file is corrupt") from None
    got = read_into(f, out)
    if got < out.nbytes:
        raise IDXError(f"{path}: truncated IDX data: the header announces shape {shape} "
                       f"({out.nbytes} bytes of {dtype.str}), the file holds {got}")
    if f.read(1):
        raise IDXError(f"{path}: trailing bytes after the {out.nbytes} data bytes that "
                       f"the header announces (shape {shape})")
    return out if dtype.isnative or dtype.itemsize == 1 else out.astype(dtype.newbyteorder("="))


def read_idx(path, limit=None):
    """The array stored in the IDX file ``path`` (gzip-compressed or not; the
    gzip magic decides). Multi-byte types are converted to native byte order.

    Nothing is allocated before the header's size is checked against what
    the file can hold: its own size when plain, deflate's largest ratio
    (1032:1) times it when gzipped, and ``limit`` bytes of data if given."""
    path = str(path)
    with open(path, "rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        try:
            if not compressed:
                return _parse(raw, path, size, False, limit)
            with gzip.GzipFile(fileobj=raw) as f:
                return _parse(f, path, size * DEFLATE_MAX_RATIO, True, limit)
        except EOFError:
            raise IDXError(f"{path}: truncated gzip stream (the compressed file ends "
                           f"before its end-of-stream marker)") from None
        except (gzip.BadGzipFile, zlib.error) as e:
            # A wrong CRC-32 or length in the gzip trailer lands here.
            raise IDXError(f"{path}: corrupt gzip data: {e}") from None
