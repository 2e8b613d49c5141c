"""F.pad: constant (negative amounts crop), reflect, replicate and circular."""
from ..ops import pool as P
from ..tensor.errors import OpError


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: ``pad`` = (left, right, top, bottom, ...), last
    axis first. mode: 'constant' (negative amounts crop), 'reflect',
    'replicate' or 'circular'."""
    pad = tuple(int(p) for p in pad)
    shape = tuple(input.shape)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise OpError(f"pad: padding length must be even and at most twice the input's "
                      f"{len(shape)} dimensions, got {pad} for input of shape {shape}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"pad: unsupported mode {mode!r} (expected 'constant', 'reflect', "
                         f"'replicate' or 'circular')")
    if mode != "constant" and value:
        raise OpError(f"pad: padding mode {mode!r} doesn't take in a value argument")
    pairs = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        pairs[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (lo, hi), n in zip(pairs, shape):
        if mode == "constant":
            if n + lo + hi < 0:
                raise OpError(f"pad: the padding {pad} leaves a negative size for input of "
                              f"shape {shape}")
            continue
        if lo < 0 or hi < 0:
            raise OpError(f"pad: negative padding {pad} needs mode 'constant', got {mode!r}")
        limit = n - 1 if mode == "reflect" else n
        if (lo or hi) and (max(lo, hi) > limit or (mode == "replicate" and n == 0)):
            bound = "<" if mode == "reflect" else "<="
            raise OpError(f"pad: {mode} padding {pad} must be {bound} the padded dimension's "
                          f"size (input of shape {shape})")
    return P.Pad.apply(input, pads=tuple(pairs), mode=mode, value=0.0 if value is None else value)
