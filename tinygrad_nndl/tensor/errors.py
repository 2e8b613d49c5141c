"""The error an op raises for input it cannot take: shapes that do not
broadcast or multiply, a reshape that cannot be, a dim given twice."""


class OpError(RuntimeError, ValueError):
    """PyTorch raises RuntimeError here and numpy ValueError: this is both, so
    code written against either catches it."""


class LinAlgError(RuntimeError):
    """A matrix that a linear-algebra op cannot take for its values, not its
    shape: singular for inv and solve, not positive-definite for cholesky
    (PyTorch's torch.linalg.LinAlgError, also a RuntimeError)."""
