"""The text of each node: a tensor's name, shape, dtype, value and gradient;
an op's name and arguments; a constant's value."""
import numbers

import numpy as np

from ..tensor.tensor import Tensor
from .graph import CONST, OP, op_args

SMALL = 12          # show_data prints every element of tensors up to this size
_ATTR_WIDTH = 32    # longest op argument printed, in characters


def number(x):
    """A short, exact-enough rendering of one number."""
    x = x.item() if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.size == 1) \
        else x
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(int(x))
    return format(float(x), ".4g")


def array_lines(a):
    """All elements of a small array, one text line per row."""
    a = np.asarray(a)
    if a.size == 1:
        return [number(a)]
    text = np.array2string(a, precision=4, separator=", ", max_line_width=60,
                           formatter={"float_kind": number})
    return [line.strip() for line in text.splitlines()]


def summary(a):
    """One line about a large array: its range and mean."""
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    return f"in [{number(a.min())}, {number(a.max())}], mean {number(a.mean())}"


def _titled(title, rows):
    """``title`` and the rows of an array: on one line when it fits."""
    return [f"{title} {rows[0]}"] if len(rows) == 1 else [title] + rows


def shape_line(a):
    return f"{tuple(a.shape)} {a.dtype}"


def value_lines(title, a, show_data):
    """An array's value under ``title``: always when it is one number; with
    ``show_data`` every element of a small array, a range and mean of a large
    one."""
    if a.size == 1:
        return [f"{title} {number(a)}"]
    if not show_data:
        return []
    return _titled(title, array_lines(a)) if a.size <= SMALL else [f"{title} {summary(a)}"]


def tensor_lines(node, show_data, show_grad):
    """Name, shape and dtype, the value (scalars always, small tensors with
    ``show_data``) while something holds it, and, once backward has run,
    the gradient: its value for a scalar or small tensor, its norm otherwise."""
    t = node.obj
    lines = []
    if node.symbol and node.name and node.name != node.symbol:
        lines.append(f"{node.symbol} ({node.name})")
    elif node.symbol or node.name:
        lines.append(node.symbol or node.name)
    lines.append(shape_line(t))
    if getattr(t, "gone", False):
        lines.append("(a leaf no longer alive)")
    if t.data is not None:
        lines.extend(value_lines("data", np.asarray(t.data), show_data))
    if show_grad and t.grad is not None:
        g = t.grad.data if isinstance(t.grad, Tensor) else np.asarray(t.grad)
        what = node.grad_symbol or "grad"
        lines.extend(value_lines(what, g, show_data and g.size <= SMALL)
                     or [f"‖{what}‖ {number(np.linalg.norm(g))}"])
    return lines


def _format_index(index):
    """A numpy index as it is written between brackets: ``[:, 0:4]``."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            s = "" if p.start is None else str(p.start)
            s += ":" + ("" if p.stop is None else str(p.stop))
            if p.step is not None:
                s += f":{p.step}"
            out.append(s)
        elif p is Ellipsis:
            out.append("...")
        elif p is None:
            out.append("None")
        elif isinstance(p, np.ndarray):
            out.append(f"array{p.shape}")
        else:
            out.append(repr(p))
    return "[" + ", ".join(out) + "]"


def _arg(name, value):
    """``name=value`` for an op argument worth printing, else None."""
    if value is None or value is False or isinstance(value, np.ndarray) or callable(value):
        return None
    if name == "index":
        text = _format_index(value)
    elif isinstance(value, np.dtype) or isinstance(value, type):
        text = str(np.dtype(value))
    else:
        text = repr(value)
    if len(text) > _ATTR_WIDTH:
        text = text[:_ATTR_WIDTH - 1] + "…"
    return f"{name}={text}"


def op_lines(node):
    """The op's class name (``Mul``, ``Linear``), its arguments, and in book
    notation the equation it computes."""
    fn = node.obj
    lines = [type(fn).__name__]
    args = [_arg(k, v) for k, v in op_args(fn).items()]
    args = [a for a in args if a]
    if args:
        lines.append(" ".join(args))
    if node.formula:
        lines.append(node.formula)
    return lines


def const_lines(value, show_data):
    """A constant operand: its value if it is one number (or a small array
    with ``show_data``), else its shape and dtype."""
    if isinstance(value, (numbers.Number, np.generic)):
        return [number(value)]
    a = np.asarray(value)
    if a.size == 1 or (show_data and a.size <= SMALL):
        return array_lines(a)
    return [f"array {a.shape} {a.dtype}"]


def label_all(graph, show_data, show_grad):
    for node in graph.nodes.values():
        if node.kind == OP:
            node.lines = op_lines(node)
        elif node.kind == CONST:
            node.lines = const_lines(node.obj, show_data)
        else:
            node.lines = tensor_lines(node, show_data, show_grad)
