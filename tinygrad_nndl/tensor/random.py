"""One seeded generator for the whole library, so runs are reproducible,
and the encoding of a generator's state as bytes (``rng_state.py`` hands it
out as a Tensor)."""
import struct

import numpy as np

_generator = np.random.default_rng()

# The state of numpy's PCG64 as bytes: a tag, then the 128-bit state and
# increment and the cached 32-bit half-draw (flag and value), little-endian.
_TAG = b"PCG64\x00\x00\x01"
_STATE_BYTES = len(_TAG) + 16 + 16 + 4 + 4


def manual_seed(seed):
    """Seed the library's generator (randn, rand, init, dropout, shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    return _generator


def encode_state(rng):
    """The state of numpy Generator ``rng`` as a uint8 array."""
    state = rng.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise TypeError(f"get_rng_state: only numpy's PCG64 generator is supported, got "
                        f"{state.get('bit_generator')}")
    mask = (1 << 64) - 1
    words = []
    for value in (state["state"]["state"], state["state"]["inc"]):
        words += [value & mask, value >> 64]
    raw = _TAG + struct.pack("<4Q2I", *words, int(state["has_uint32"]),
                             int(state["uinteger"]))
    return np.frombuffer(raw, dtype=np.uint8).copy()


def decode_state(new_state, fn):
    """The PCG64 state dict stored in ``new_state``; raises before anything is set."""
    data = new_state if isinstance(new_state, np.ndarray) else getattr(new_state, "data", None)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.shape != (_STATE_BYTES,):
        shape = getattr(data, "shape", None)
        raise TypeError(f"{fn}: expected the uint8 Tensor of shape ({_STATE_BYTES},) that "
                        f"get_rng_state returns, got {type(new_state).__name__}"
                        + (f" of dtype {data.dtype} and shape {shape}"
                           if isinstance(data, np.ndarray) else ""))
    raw = data.tobytes()
    if raw[:len(_TAG)] != _TAG:
        raise ValueError(f"{fn}: not a generator state saved by get_rng_state (bad tag "
                         f"{raw[:len(_TAG)]!r})")
    s0, s1, i0, i1, has_uint32, uinteger = struct.unpack("<4Q2I", raw[len(_TAG):])
    if has_uint32 > 1:
        raise ValueError(f"{fn}: corrupt generator state (flag {has_uint32})")
    return {"bit_generator": "PCG64",
            "state": {"state": s0 | s1 << 64, "inc": i0 | i1 << 64},
            "has_uint32": has_uint32, "uinteger": uinteger}
