"""``Function``: the base of every primitive op, and one node of the graph.

An op is a small class with ``forward`` (numpy in, numpy out) and ``backward``
(its vector-Jacobian product) side by side. ``Op.apply(*inputs)`` runs
forward and, when some input requires grad and grad mode is on, makes the
instance the output's ``grad_fn``. The graph is made of nodes only, as
PyTorch's: a node knows the nodes that made its inputs (``next_functions``;
a leaf that requires grad is reached through its ``AccumulateGrad``) and
saves just what its backward reads, which backward releases: the values of
its inputs, never the input Tensors (``saved_inputs`` makes Tensors of them
again when a backward is recorded, as PyTorch unpacks a SavedVariable). The
nodes and edges outlive backward, so a graph can be drawn or walked again
afterwards.

``backward(self, g, out, *inputs)`` is written once and runs in two modes:
on numpy arrays (the fast path) or, under ``create_graph=True``, on Tensors,
so that the backward pass is itself recorded and gradients of gradients come
for free. That is why backward rules use only operators, Tensor methods and
the helpers of ``ops.dual``, which accept both.

What backward reads is declared, not guessed: ``save_inputs`` (default True;
False when backward needs only shapes, which forward then keeps on self) and
``save_output``. Arrays that forward computes for backward (a softmax, the
gates of an LSTM step) are named in ``saved_attrs``. Unsaved values reach
backward as None.
"""
import functools
import os
import sys
import threading
import weakref

import numpy as np

from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from ..tensor.version import sequence
from .grad_mode import ANOMALY, CHECK_NAN, GRAD, mode

_new = object.__new__
_INPUTS, _OUTPUT, _VIEW = 1, 2, 4   # Function._keeps
OUT = -1                            # in Function.reads: the op's output
HOOKED, RELEASED = 1, 2             # Function.special: hooks or retain_grad; saved values freed
_GRAPH_FIELDS = ("next_nodes", "needs", "seq", "out_shape", "arrays", "out", "special")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FLOAT32 = np.dtype(np.float32)

FREED = ("backward: trying to backward through the graph a second time (or to read "
         "saved values after they were freed): {node} released what its backward needs "
         "when the first backward ran. Pass retain_graph=True to the first backward "
         "(or autograd.grad) to keep them.")


try:   # numpy >= 2: its error state is a context variable, set and reset cheaply
    from numpy._core._ufunc_config import _extobj_contextvar
    from numpy._core.umath import _make_extobj

    # hush() silences numpy's floating-point warnings until unhush(token): NaN
    # and inf are values here, reported by detect_anomaly when asked. (A
    # partial, not a def: every op calls it.)
    hush = functools.partial(_extobj_contextvar.set, _make_extobj(all="ignore"))
    unhush = _extobj_contextvar.reset
except ImportError:   # older numpy: the same through its global error state
    def hush():
        return np.seterr(all="ignore")

    def unhush(previous):
        np.seterr(**previous)


def _user_frame():
    """The first stack frame outside this package: where the user created an op."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno} in {f.f_code.co_name}"


def _float_result(fn, out, arrays):
    """``fn``'s output ``out`` in PyTorch's float dtype where numpy's differs:
    the widest of the float inputs that have dimensions (a 0-d one counts
    only when none of those is float; a Python number never), else the
    default float32 (numpy makes float64 of int64, and float16 of bool and
    8-bit integers: computed that narrow, forward runs again on those inputs
    in float32, not widened after the digits are lost; arrays given as such,
    indices say, stay as they are, and should that run fail, the first
    result is widened)."""
    floats = [a.dtype for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"
              and a.ndim]
    if not floats:
        floats = [a.dtype for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else _FLOAT32
    if out.dtype.itemsize < dtype.itemsize:
        widened = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.itemsize == 1
                   and a.dtype.kind in "biu" and i not in fn.raw_inputs else a
                   for i, a in enumerate(arrays)]
        quiet = hush()
        try:
            out = np.asarray(fn.forward(*widened))
        except (ValueError, IndexError, TypeError):
            pass
        finally:
            unhush(quiet)
    return out if out.dtype == dtype else out.astype(dtype)


def _shape_of(x):
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


class AccumulateGrad:
    """The node through which gradients reach a leaf: it adds them to the
    leaf's ``.grad``. The leaf keeps its accumulator and the accumulator
    refers to the leaf weakly, so the two make no reference cycle. (PyTorch's
    holds the leaf and is held weakly, so a graph keeps a leaf the user
    dropped alive; here ``variable`` is then None. The accumulator would be
    made again in every step of a loop that keeps no graph between steps:
    0.15-0.2x of W1's step.)"""

    __slots__ = ("_leaf", "hooks", "leaf_shape", "leaf_dtype")
    seq = 0   # older than every op: the walk reaches accumulators last
    next_nodes = ()

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)
        self.hooks = None   # the leaf's tensor hooks (Tensor.register_hook)
        # what a drawing shows of the leaf once it is gone and no node holds its values
        self.leaf_shape, self.leaf_dtype = leaf.data.shape, leaf.data.dtype

    @property
    def variable(self):
        return self._leaf()

    @property
    def next_functions(self):
        return ()

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


_ACC_LOCK = threading.Lock()


def accumulator(leaf):
    """The leaf's ``AccumulateGrad``, made on first use (under a lock: two
    threads must not make two, each graph would have its own)."""
    acc = getattr(leaf, "_acc", None)
    if acc is None:
        with _ACC_LOCK:
            acc = getattr(leaf, "_acc", None)
            if acc is None:
                acc = leaf._acc = AccumulateGrad(leaf)
    return acc


class Function:
    """Base class of primitive ops; an instance is one node of the graph."""

    # The graph's fields, in slots (set by apply on every node, the hot path);
    # an op's own arguments and arrays live in its __dict__.
    __slots__ = _GRAPH_FIELDS + ("__dict__", "__weakref__")

    save_inputs = True       # backward reads the input values
    save_output = False      # backward reads the output value
    saved_attrs = ()         # arrays forward keeps on self for backward
    reads = None             # per input, what its gradient reads of the saved values:
                             # input positions and OUT (None: everything saved)
    is_view = False          # the output may share the input's memory
    float32_default = True   # float results in PyTorch's dtype (_float_result; False: Cast)
    _keeps = _INPUTS

    # Slots: next_nodes (per input: the node that made it, its AccumulateGrad,
    # or None), needs (per input: truthy where a gradient is wanted), seq
    # (creation order: a node's inputs always have smaller seq), out_shape,
    # arrays (the saved inputs' values, while held: never the input Tensors),
    # out (the saved output while held), special (HOOKED | RELEASED bits: the
    # walk looks closer).
    raw_inputs = ()    # positions of inputs given as numpy arrays, not Tensors
    dtype = None       # set by hooks and retain_grad: the dtype their gradient is given in
    created_at = None  # set under detect_anomaly
    pre_hooks = None   # tensor hooks of the output: run on its gradient
    retained = None    # weakref to the output when retain_grad() was called

    def __init_subclass__(cls, **kwargs):
        """The declarations as one number, read once per op by ``apply``."""
        super().__init_subclass__(**kwargs)
        cls._keeps = cls.save_inputs * _INPUTS | cls.save_output * _OUTPUT | cls.is_view * _VIEW

    @classmethod
    def apply(cls, *inputs, **attrs):
        fn = _new(cls)
        if attrs:
            fn.__dict__.update(attrs)
        arrays, nodes, record = [], [], False   # one loop: the hot path of every op
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                if x._requires_grad:
                    nodes.append(x._ctx or getattr(x, "_acc", None) or accumulator(x))
                    record = True
                    continue
            else:
                if isinstance(x, np.ndarray):   # an array given as such: a constant, not a tensor
                    fn.raw_inputs += (len(arrays),)
                arrays.append(x)
            nodes.append(None)
        state = mode.state   # one read of this thread's switches
        quiet = hush()   # inf * 0 is NaN without a numpy warning, as in PyTorch
        try:
            out = fn.forward(*arrays)
        except (ValueError, IndexError) as e:
            shapes = ", ".join("None" if x is None else str(_shape_of(x)) for x in inputs)
            kind = IndexError if isinstance(e, IndexError) else OpError
            raise kind(f"{cls.op_name()}: {e} (input shapes: {shapes})") from None
        finally:
            unhush(quiet)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out.dtype is not _FLOAT32:
            kind = out.dtype.kind
            if kind == "f" and cls.float32_default:
                first = arrays[0]   # a float64 network's ops: their first input says it all
                if not (type(first) is np.ndarray and first.dtype is out.dtype and first.ndim):
                    out = _float_result(fn, out, arrays)
            elif kind == "O":   # not numbers: a Tensor assigned to some tensor's .data, say
                raise TypeError(f"{cls.op_name()}: an input's .data is not a numeric array "
                                f"(to set a tensor's values, assign an array or another "
                                f"tensor's .data)")
        if state & ANOMALY:
            fn.created_at = _user_frame()
            if state & CHECK_NAN:
                _check_finite(out, f"{cls.op_name()} forward", fn.created_at)
        t = _new(Tensor)   # Tensor._make, inlined: every op pays for this
        t.data = out
        t._grad = None
        if record and state & GRAD:
            fn.next_nodes = fn.needs = nodes   # a node is truthy: needs[i] says "wanted"
            fn.seq = next(sequence)
            fn.out_shape = out.shape
            fn.special = 0
            keeps = cls._keeps
            fn.arrays = arrays if keeps & _INPUTS else None
            fn.out = out if keeps & _OUTPUT else None
            t._ctx = fn
            t._requires_grad = True
        else:
            t._ctx = None
            t._requires_grad = False
        if cls._keeps & _VIEW and out.base is not None and (
                out.base is arrays[0] or out.base is arrays[0].base):
            _link_view(t, inputs[0])   # recorded or not: a later in-place change needs it
        return t

    def forward(self, *arrays):
        """The op's value, on numpy arrays. It may run a second time, on
        float32 copies of bool and 8-bit integer inputs, when numpy computed
        a float16 result from them (see ``_float_result``)."""
        raise NotImplementedError

    def backward(self, g, out, *inputs):
        """Return one gradient per input (None where ``self.needs`` is falsy)."""
        raise NotImplementedError

    # ----- the graph, as PyTorch shows it ----------------------------------
    @property
    def next_functions(self):
        """((node, 0), ...) per input, PyTorch's layout; (None, 0) for inputs
        that need no gradient."""
        return tuple((n, 0) for n in self.next_nodes)

    @property
    def saves_anything(self):
        return self.save_inputs or self.save_output or bool(self.saved_attrs)

    @property
    def released(self):
        """Whether a backward freed what this node saved."""
        return bool(getattr(self, "special", 0) & RELEASED)

    def release(self):
        """Let go of the saved values (backward without retain_graph)."""
        self.arrays = self.out = None
        self.special |= RELEASED
        if self.saved_attrs:
            for name in self.saved_attrs:
                self.__dict__.pop(name, None)

    def read_values(self, needs):
        """(arrays, out) as saved, with None for what the gradients ``needs``
        asks for do not read: the values an in-place change must not have
        touched (as PyTorch checks only the tensors a backward unpacks)."""
        arrays, out, reads = self.arrays, self.out, self.reads
        if reads is None:
            return arrays, out
        used = {k for i, need in enumerate(needs) if need for k in reads[i]}
        if arrays is not None:
            arrays = [a if i in used else None for i, a in enumerate(arrays)]
        return arrays, out if OUT in used else None

    def masked(self, needs):
        """A copy of this node whose backward computes only the gradients
        ``needs`` marks (autograd.grad); the graph's node stays as it is."""
        copy = _new(type(self))
        copy.__dict__.update(self.__dict__)
        for name in _GRAPH_FIELDS:
            setattr(copy, name, getattr(self, name))
        copy.needs = needs
        return copy

    def pre_hooks_dict(self):
        """The hooks of the output's gradient (``Tensor.register_hook``), made on first use."""
        if self.pre_hooks is None:
            self.pre_hooks = {}
            self.special |= HOOKED
        return self.pre_hooks

    @classmethod
    def op_name(cls):
        return cls.__name__.lower()

    def name(self):
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>"


def saved_inputs(node):
    """The inputs ``node`` saved, as Tensors again (for a backward that is
    itself recorded, and for drawings): an op's output as a Tensor of the node
    that made it, a leaf as itself while it lives and holds the saved values
    (else a stand-in whose gradients still reach its accumulator), an input
    that needs no gradient as a new Tensor of its values; numbers, arrays
    given as such and None as they were given. None when nothing is held."""
    if node.arrays is None:
        return None
    tensors = []
    for i, (x, nxt) in enumerate(zip(node.arrays, node.next_nodes)):
        if not isinstance(x, np.ndarray) or i in node.raw_inputs:
            t = x
        elif nxt is None:
            t = Tensor._make(x, None)
        elif type(nxt) is AccumulateGrad:
            t = nxt.variable
            if t is None or t.data is not x:   # gone, or its .data replaced since
                t = Tensor._make(x, None)
                t._requires_grad, t._acc = True, nxt
        else:
            t = Tensor._make(x, nxt)
        tensors.append(t)
    return tensors


def _link_view(view, base):
    """Remember that ``view`` shares ``base``'s memory, so that an in-place
    change of either while the other lives can be refused (their graphs
    would disagree)."""
    view._base = base
    refs = getattr(base, "_views", None)
    if refs is None:
        refs = base._views = []
    elif len(refs) >= 16:   # drop the dead: a loop taking views of one tensor must not grow it
        refs[:] = [r for r in refs if r() is not None]
    refs.append(weakref.ref(view))


def _check_finite(arr, what, where):
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        kind = "NaN" if np.isnan(arr).any() else "inf"
        raise RuntimeError(f"detect_anomaly: {what} produced {kind} "
                           f"(op created at {where})")
