"""Devices, as far as a numpy library has them: the CPU, and a clear refusal of
everything else, so PyTorch scripts that say ``device='cpu'`` run unchanged."""


class device:
    """``tinygrad_nndl.device('cpu')``: the one device there is."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):  # noqa: A002 - torch's name
        if isinstance(type, device):
            type, index = type.type, type.index
        kind = str(type).split(":")[0]
        if kind != "cpu":
            raise RuntimeError(f"device {type!r}: tinygrad_nndl runs on numpy, on the CPU "
                               f"only; use 'cpu' (or drop the .to()/.cuda() call)")
        self.type, self.index = "cpu", index

    def __eq__(self, other):
        try:
            return isinstance(other, (device, str)) and device(other).type == self.type
        except RuntimeError:
            return False

    def __hash__(self):
        return hash(self.type)

    def __str__(self):
        return self.type

    def __repr__(self):
        return f"device(type='{self.type}')"


CPU = device("cpu")


def as_device(d):
    """The device ``d`` names (None means the CPU); anything else raises."""
    return CPU if d is None else device(d)
