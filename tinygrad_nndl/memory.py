"""Keeping freed memory for the next training step (glibc's malloc, on Linux).

A training step allocates the buffers of its graph and frees them all when
backward is done. By default glibc's malloc hands such memory straight back
to the kernel (blocks over its mmap threshold are unmapped, and a free top of
the heap over its trim threshold is trimmed), so the next step gets fresh
pages and takes a page fault for every 4 KiB it touches. Where faults are
dear, as in the virtual machines this project is benchmarked on (about 4 us
each), that was most of what an LSTM training step cost beyond hand-written
numpy: ``benchmarks/lstm.py`` took ~4,300 faults per iteration, ~1 with the
settings below.

So importing tinygrad_nndl calls ``keep_freed_memory()``: malloc serves
blocks of up to 32 MiB from its heap, where freed blocks stay with the
process for reuse, and returns the heap's free top only beyond 256 MiB. This
is process-wide and changes only how soon freed memory goes back to the
system; memory freed below
blocks still in use can stay with the process past 256 MiB, and
``release()`` hands all free memory back at once. It is not done when
``TINYGRAD_NNDL_KEEP_FREED_MEMORY=0`` is set, when the environment already
tunes malloc (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TOP_PAD_``, or ``glibc.malloc`` tunables in ``GLIBC_TUNABLES``), or
off glibc.
"""
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3    # mallopt's parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 << 20    # glibc's own ceiling for its adaptive threshold on 64-bit
TRIM_THRESHOLD = 256 << 20
ENV_SWITCH = "TINYGRAD_NNDL_KEEP_FREED_MEMORY"
_MALLOC_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def _glibc():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):   # not Unix, or not glibc
        return False


def _libc():
    """glibc's functions, or None (another C library, or Python without ctypes)."""
    if not _glibc():
        return None
    try:
        import ctypes
        return ctypes.CDLL(None)
    except (ImportError, OSError):
        return None


def keep_freed_memory(trim_threshold=TRIM_THRESHOLD, mmap_threshold=MMAP_THRESHOLD):
    """Ask glibc's malloc to serve blocks of up to ``mmap_threshold`` bytes from
    its heap and to return the heap's free top only beyond ``trim_threshold``
    bytes. Returns whether malloc took both settings (False off glibc)."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))) and \
        bool(libc.mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))


def release():
    """Hand the memory malloc holds free back to the system now (malloc_trim).
    Returns whether any was released (False off glibc)."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))


def keep_freed_memory_by_default():
    """``keep_freed_memory()`` unless the environment says otherwise (see above)."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off") \
            or any(k in os.environ for k in _MALLOC_ENV) \
            or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    return keep_freed_memory()
