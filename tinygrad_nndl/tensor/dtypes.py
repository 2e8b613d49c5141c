"""The dtype rules of ``torch.tensor``: Python floats become float32, ints
int64, bools bool; a numpy array keeps its float dtype."""
import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
uint8 = np.dtype(np.uint8)
# torch's aliases (these names shadow builtins only inside this module, which
# uses none of them)
long = int64
int = int32   # noqa: A001
short = int16
float = float32   # noqa: A001
double = float64
half = float16
bool = bool_   # noqa: A001

# torch's names of the scalar types, for messages that quote PyTorch's
_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                "bool": "Bool"}


def torch_name(dtype):
    """PyTorch's name of a dtype's scalar type: float64 -> 'Double'."""
    dtype = np.dtype(dtype)
    return _TORCH_NAMES.get(dtype.name, dtype.name)

_DEFAULT_BY_KIND = {"f": float32, "i": int64, "u": int64, "b": bool_}


def as_dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def to_array(data, dtype=None):
    """A fresh numpy array for ``data`` (scalar, nested list, numpy array or Tensor)."""
    if hasattr(data, "data") and isinstance(getattr(data, "data"), np.ndarray):
        data = data.data   # a Tensor: copy its values, as torch.tensor does
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):   # numpy's dtype is kept, as PyTorch keeps it
        if data.dtype.kind in _DEFAULT_BY_KIND:
            return np.array(data)
        raise TypeError(f"tensor: unsupported numpy dtype {data.dtype}")
    try:
        arr = np.array(data)
    except ValueError:   # ragged, as numpy sees one-element Tensors of several dims
        arr = None
    if isinstance(data, (list, tuple)) and (
            arr is None or arr.dtype.kind == "O"   # Tensors in the list
            or arr.dtype != _DEFAULT_BY_KIND.get(arr.dtype.kind) and _holds_numpy(data)):
        dtypes = []
        arr = np.array(_unwrapped(data, dtypes))
        if arr.dtype.kind in _DEFAULT_BY_KIND:
            return arr.astype(promoted(dtypes))
    kind = arr.dtype.kind
    if kind not in _DEFAULT_BY_KIND:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} "
                        f"(numpy dtype {arr.dtype})")
    return arr.astype(_DEFAULT_BY_KIND[kind], copy=False)


def _holds_numpy(data):
    """Whether nested lists and tuples hold numpy scalars or arrays, whose
    dtypes count as a tensor's do (PyTorch: [np.float64(1), 2.0] is float64,
    [np.int32(1), np.int32(2)] int32, a list of float64 arrays float64). Asked
    only when numpy's dtype for the list is not the default one, which the
    answer could change."""
    types = set(map(type, data))
    if any(issubclass(t, (np.generic, np.ndarray)) for t in types):
        return True
    return any(_holds_numpy(d) for d in data if type(d) in (list, tuple)) \
        if list in types or tuple in types else False


def _unwrapped(data, dtypes):
    """Nested lists and tuples with the Tensors in them replaced by their one
    number, as PyTorch reads torch.tensor([t1, t2]); each entry's dtype goes
    to ``dtypes``: a tensor's or numpy scalar's own, a Python number's default."""
    if isinstance(data, (list, tuple)):
        return [_unwrapped(d, dtypes) for d in data]
    if isinstance(data, (np.generic, np.ndarray)):   # (an array's .data is a memoryview)
        dtypes.append(data.dtype)
        return data
    inner = getattr(data, "data", None)
    if not isinstance(inner, np.ndarray):
        dtypes.append(_DEFAULT_BY_KIND.get(np.asarray(data).dtype.kind, float32))
        return data
    if inner.size != 1:
        raise ValueError(f"tensor: only one-element tensors can be converted to Python "
                         f"scalars, got one of shape {inner.shape} in the list")
    dtypes.append(inner.dtype)
    return inner.reshape(())


def promoted(dtypes):
    """PyTorch's dtype for entries of these dtypes: the widest float if any is
    a float, else the promotion of the integers, else bool."""
    for kinds in ("f", "iu"):
        found = [d for d in dtypes if np.dtype(d).kind in kinds]
        if found:
            return np.result_type(*found)
    return np.dtype(np.bool_)
