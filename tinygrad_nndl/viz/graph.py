"""The autograd graph as plain data: which tensors, ops and constants there
are and which feeds which, read off the nodes autograd recorded.

The graph is made of nodes (``Function``), as PyTorch's: a node knows the
nodes that made its inputs (``next_nodes``: another op's node, the
``AccumulateGrad`` of a leaf that requires grad, or None for an input that
needs no gradient) but not the tensor it made, and it holds input values
only while its backward needs them. So the walk goes down from the roots'
``grad_fn`` along ``next_nodes``, and an op's output is drawn from what its
node records (shape, dtype) plus whatever still holds its values: the root
itself, a tensor the caller named, a later op that saved it as an input,
or the node's saved output. An input that needs no gradient (data, a
constant) is known only while some op keeps it for backward. The nodes and
edges outlive backward, so a graph can be drawn after it too: ops, edges
and shapes all remain; values that backward released do not.

The walk is a loop over a stack, so graphs of any depth (a 1,000-step
unrolled LSTM) need no recursion.
"""
import weakref

import numpy as np

from ..autograd.function import AccumulateGrad, Function
from ..tensor.tensor import Tensor

# Kinds of node, each drawn in its own shape and colour (see render.STYLES).
# INSIDE: a quantity computed inside one fused op (an LSTM step's gates).
PARAM, INPUT, INTERMEDIATE, OUTPUT = "param", "input", "intermediate", "output"
OP, CONST, INSIDE = "op", "const", "inside"
TENSOR_KINDS = (PARAM, INPUT, INTERMEDIATE, OUTPUT)
# What an op's forward keeps only for its backward (its inputs' shapes):
# not arguments of the op. Nor is the engine's bookkeeping on every node
# (the fields ``Function`` declares), nor the arrays named in ``saved_attrs``.
_FOR_BACKWARD = {"shapes", "in_shape", "inv_count"}


def _is_arg(fn, name):
    if name in _FOR_BACKWARD or name in fn.saved_attrs:
        return False
    if name in vars(Function):   # bookkeeping, unless the op declares it too (Cast's dtype)
        return any(name in vars(c) for c in type(fn).__mro__ if c not in (Function, object))
    return True


def op_args(fn):
    """The arguments an op was applied with (``axes``, ``index``, ``shape``...),
    plus whatever else its forward stored on it that is not kept only for
    backward."""
    return {k: v for k, v in vars(fn).items() if _is_arg(fn, k)}


class Node:
    """One node of the drawing. ``obj`` is the Tensor, the Function or the
    constant; ``out`` (ops only) is the key of the tensor the op produced."""

    __slots__ = ("key", "kind", "obj", "out", "ins", "name", "symbol", "grad_symbol", "formula",
                 "lines")

    def __init__(self, key, kind, obj, out=None):
        self.key, self.kind, self.obj, self.out = key, kind, obj, out
        self.ins = []             # ops: the keys of the inputs in order (None for a None input)
        self.name = None          # a user's name: "fc1.weight", "x"
        self.symbol = None        # the book's name: "z²", "w³"
        self.grad_symbol = None   # how its gradient is written: "δ²", "∂C/∂w³"
        self.formula = None       # ops in book notation: "z² = w²a¹ + b²"
        self.lines = None         # the label, one string per line

    @property
    def seq(self):
        return self.obj.seq


class Edge:
    """Data flowing from ``src`` to ``dst``. ``count`` > 1 when several
    connections are drawn as one (x * x); ``lag`` is the number of repeats a
    folded recurrent edge jumps (None for an ordinary one); ``label`` names
    the part of ``src`` that is read, if not all of it."""

    __slots__ = ("count", "lag", "label")

    def __init__(self, count=1, lag=None, label=None):
        self.count, self.lag, self.label = count, lag, label


FOLD, FUSED = "fold", "fused"


class Cluster:
    """A box around ``members``: the first of several folded repeats (kind
    FOLD), or the inside of one fused op (FUSED); drawn inside the cluster
    ``parent`` if not None."""

    __slots__ = ("key", "kind", "label", "members", "parent")

    def __init__(self, key, kind, label, members, parent=None):
        self.key, self.kind, self.label = key, kind, label
        self.members, self.parent = list(members), parent


class Graph:
    """Nodes in discovery order (from the roots down), edges keyed by
    (src, dst, lag), clusters, and notes to print under the drawing."""

    def __init__(self):
        self.nodes = {}
        self.edges = {}
        self.clusters = []
        self.notes = []
        self.roots = []
        self.unseen = []     # per input that needs no gradient and is not held: its op
        self.freed = False   # some op's saved values were released by backward

    def add_edge(self, src, dst, count=1, lag=None, label=None):
        edge = self.edges.get((src, dst, lag))
        if edge is None:
            self.edges[(src, dst, lag)] = Edge(count, lag, label)
        else:
            edge.count += count

    def tensors(self):
        return [n for n in self.nodes.values() if n.kind in TENSOR_KINDS]

    def ops(self):
        return [n for n in self.nodes.values() if n.kind == OP]

    def producers(self):
        """dst -> list of src keys."""
        out = {}
        for src, dst, _ in self.edges:
            out.setdefault(dst, []).append(src)
        return out

    def consumers(self):
        """src -> list of dst keys."""
        out = {}
        for src, dst, _ in self.edges:
            out.setdefault(src, []).append(dst)
        return out

    def remove(self, keys):
        keys = set(keys)
        for k in keys:
            del self.nodes[k]
        self.edges = {e: v for e, v in self.edges.items() if e[0] not in keys and e[1] not in keys}
        for c in self.clusters:
            c.members = [m for m in c.members if m not in keys]
        parents = {c.parent for c in self.clusters}
        self.clusters = [c for c in self.clusters if c.members or c.key in parents]

    def cluster_of(self, key):
        """The innermost cluster drawing node ``key``, or None."""
        return next((c for c in self.clusters if key in c.members), None)


class Value:
    """The output of an op, as the drawing sees it (read-only): shape and
    dtype from its node; the values from the tensor itself when it is known
    and alive, else from whatever the graph still holds (the node's saved
    output, or a later op's saved input), else None."""

    __slots__ = ("grad_fn", "tensor", "_data", "dtype")
    requires_grad = True
    is_leaf = False

    def __init__(self, fn, tensor=None, data=None, dtype=None):
        self.grad_fn, self.tensor, self._data, self.dtype = fn, tensor, data, dtype

    @property
    def shape(self):
        return tuple(self.grad_fn.out_shape)

    @property
    def data(self):
        fn = self.grad_fn
        if self.tensor is not None:
            return self.tensor.data
        if fn.out is not None:
            return fn.out
        return self._data if self._data is not None else _kept_out.get(fn)

    @property
    def grad(self):
        return grad_of(self.grad_fn, self.tensor)


class LostLeaf:
    """A leaf that required grad and is no longer alive: its ``AccumulateGrad``
    is all that remains (it refers to the leaf weakly, and knows the leaf's
    shape and dtype when it was made). Values only while an op still holds
    the value it read."""

    __slots__ = ("data", "_acc")
    requires_grad = True
    is_leaf = True
    gone = True
    grad = grad_fn = None

    def __init__(self, acc, data=None):
        self._acc, self.data = acc, data

    @property
    def shape(self):
        return tuple(np.shape(self.data)) if self.data is not None else self._acc.leaf_shape

    @property
    def dtype(self):
        return np.asarray(self.data).dtype if self.data is not None else self._acc.leaf_dtype


def ident(t):
    """What identifies a tensor in the graph: its node if an op made it (an
    intermediate is drawn from its node), else the tensor itself."""
    fn = t.grad_fn
    return id(fn) if fn is not None else id(t)


# node -> the gradient that reached it, and its output value when the node
# held one, kept by retain_grads for the drawing (backward may free the latter)
_kept = weakref.WeakKeyDictionary()
_kept_out = weakref.WeakKeyDictionary()
_hooked = weakref.WeakSet()


def grad_of(fn, tensor=None):
    """The gradient of ``fn``'s output: the tensor's ``.grad`` (kept by
    ``retain_grad()``), else the one retain_grads kept at the node, else None."""
    if tensor is not None and tensor.grad is not None:
        return tensor.grad
    retained = fn.retained() if fn.retained is not None else None
    if retained is not None and retained.grad is not None:
        return retained.grad
    return _kept.get(fn)


def as_roots(root, what="draw_graph"):
    """A Tensor or a sequence of Tensors, as a list."""
    roots = [root] if isinstance(root, Tensor) else list(root) if isinstance(root, (list, tuple)) \
        else None
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(f"{what}: expected a Tensor or a non-empty list of Tensors, got "
                        f"{type(root).__name__}")
    return roots


# What feeds an op, per input: ("op", node), ("leaf", tensor) for a live leaf
# or an input that needs no gradient, ("lost", accumulator) for a leaf gone,
# ("const", value), or None (no input, or one the node does not hold). A node
# holds the values of its inputs, not the Tensors: an input that needs no
# gradient is drawn as the tensor of ``tensors`` (id of its array -> tensor:
# the ones the caller named, and those met before) holding those values.
def _inputs(fn, tensors):
    held = fn.arrays
    out = []
    for i, nxt in enumerate(fn.next_nodes):
        if isinstance(nxt, AccumulateGrad):
            leaf = nxt.variable
            out.append(("leaf", leaf) if leaf is not None else ("lost", nxt))
        elif nxt is not None:
            out.append(("op", nxt))
        elif held is None or held[i] is None:
            out.append(None)
        elif isinstance(held[i], np.ndarray) and i not in fn.raw_inputs:
            t = tensors.get(id(held[i]))
            if t is None:
                t = tensors[id(held[i])] = Tensor._make(held[i], None)
            out.append(("leaf", t))
        else:
            out.append(("const", held[i]))
    return out


def _root_item(t):
    return ("op", t.grad_fn) if t.grad_fn is not None else ("leaf", t)


def walk(roots, known=()):
    """Everything ``roots`` depend on, going down from them: the values (op
    outputs as ("op", node), leaves and inputs as ("leaf", tensor), leaves
    gone as ("lost", accumulator)) in the order first met, and node id ->
    the node's inputs (see ``_inputs``). An input that needs no gradient is
    drawn as the tensor of ``known`` holding its values, if any (the first
    named, if several share them)."""
    tensors = {}
    for t in list(known) + list(roots):
        if not t.requires_grad:   # one that does is reached through its accumulator
            tensors.setdefault(id(t.data), t)
    seen, order, ins_of = set(), [], {}
    stack = [_root_item(t) for t in reversed(roots)]
    while stack:
        item = stack.pop()
        if id(item[1]) in seen:
            continue
        seen.add(id(item[1]))
        order.append(item)
        if item[0] == "op":
            ins = ins_of[id(item[1])] = _inputs(item[1], tensors)
            stack.extend(x for x in reversed(ins) if x is not None and x[0] != "const")
    return order, ins_of


def build(roots, known=()):
    """The Graph of everything ``roots`` depend on (keys t1, op1, c1 ... in
    discovery order), with an edge from each input to its op and from each op
    to its output. ``known``: more live tensors (the ones the caller named)
    whose values can be shown."""
    g = Graph()
    order, ins_of = walk(roots, known)
    root_ids = {id(_root_item(t)[1]) for t in roots}
    tensor_of, data_of = {}, {}
    for t in list(known) + list(roots):
        if t.grad_fn is not None:
            tensor_of[id(t.grad_fn)] = t
    for kind, fn in order:       # what later ops still hold of their inputs
        if kind != "op" or fn.arrays is None:
            continue
        for i, x in enumerate(ins_of[id(fn)]):
            if x is not None and x[0] in ("op", "lost"):
                data_of.setdefault(id(x[1]), fn.arrays[i])
    values = {id(fn): Value(fn, tensor_of.get(id(fn)), data_of.get(id(fn)))
              for kind, fn in order if kind == "op"}
    _dtypes(values, ins_of, data_of)
    key_of = {}
    for n, (kind, obj) in enumerate(order, 1):
        key = key_of[id(obj)] = f"t{n}"
        if kind == "op":
            node = Node(key, INTERMEDIATE, values[id(obj)])
        elif kind == "lost":
            node = Node(key, PARAM, LostLeaf(obj, data_of.get(id(obj))))
        else:
            node = Node(key, PARAM if obj.requires_grad else INPUT, obj)
        if id(obj) in root_ids:
            node.kind = OUTPUT
        g.nodes[key] = node
    g.roots = [key_of[id(_root_item(t)[1])] for t in roots]
    n_ops = n_consts = 0
    for kind, fn in order:
        if kind != "op":
            continue
        n_ops += 1
        okey = f"op{n_ops}"
        g.nodes[okey] = op = Node(okey, OP, fn, out=key_of[id(fn)])
        for x in ins_of[id(fn)]:
            if x is None:
                op.ins.append(None)
                if fn.arrays is None:
                    g.unseen.append(fn)
                continue
            if x[0] == "const":
                n_consts += 1
                src = f"c{n_consts}"
                g.nodes[src] = Node(src, CONST, x[1])
            else:
                src = key_of[id(x[1])]
            op.ins.append(src)
            g.add_edge(src, okey)
        g.add_edge(okey, op.out)
        g.freed |= fn.released
    return g


def _dtypes(values, ins_of, data_of):
    """Each op output's dtype: the one its node records (hooks, retain_grad
    and Cast set it), else its value's, else the one ``Function.apply``
    gives it from its inputs' (float64 only from a float64 input, else
    float32 unless all inputs are narrower), inputs before the ops that read
    them (by ``seq``)."""
    for v in sorted(values.values(), key=lambda v: v.grad_fn.seq):
        fn = v.grad_fn
        data = v.data
        if fn.dtype is not None or data is not None:
            v.dtype = np.dtype(fn.dtype) if fn.dtype is not None else np.asarray(data).dtype
            continue
        dtypes = []
        for x in ins_of[id(fn)]:
            if x is None:
                continue
            kind, obj = x
            if kind == "op":
                dtypes.append(values[id(obj)].dtype)
            elif kind == "leaf":
                dtypes.append(obj.dtype)
            elif kind == "lost":
                dtypes.append(LostLeaf(obj, data_of.get(id(obj))).dtype)
            elif kind == "const" and isinstance(obj, (np.ndarray, np.generic)):
                dtypes.append(obj.dtype)   # a Python number takes the other operands' dtype
        dtypes = [d for d in dtypes if d is not None and d.kind in "fc"]
        result = np.result_type(*dtypes) if dtypes else np.dtype(np.float32)
        if result == np.float64 and not any(d == np.float64 for d in dtypes):
            result = np.dtype(np.float32)
        v.dtype = result


def _keeper(node_ref):
    """A hook on a node's gradient that adds it to ``_kept`` (as ``.grad``
    accumulates) and keeps the node's output value, if it holds one, before
    backward frees it."""
    def keep(grad):
        node = node_ref()
        if node is not None:
            value = np.array(grad.data)
            old = _kept.get(node)
            _kept[node] = value if old is None else old + value
            if node.out is not None:
                _kept_out[node] = node.out
    return keep


def retain_grads(root):
    """Keep the gradient that reaches every op of ``root``'s graph, so that
    after ``root.backward()`` the drawing shows the error flowing through
    each intermediate tensor, e.g. delta^l = dC/dz^l (BP1, BP2) on the
    weighted inputs z^l. Call it after the forward pass and before backward.

    The roots get ``.retain_grad()``. A node does not know the tensor it
    made (as in PyTorch), so the other gradients are kept at the nodes, for
    the drawing, with the output values the nodes held (a plain backward
    frees them); to read ``.grad`` on an intermediate tensor you hold, call
    its ``retain_grad()``. Returns ``root``."""
    roots = as_roots(root, "retain_grads")
    order, _ = walk(roots)
    freed = next((fn for kind, fn in order if kind == "op" and fn.released
                  and fn.saves_anything), None)
    if freed is not None:
        raise RuntimeError(f"retain_grads: a backward() without retain_graph=True has freed what "
                           f"{freed.name()} saved, so no gradient can flow through this graph "
                           f"again. Call retain_grads before backward.")
    own = set()
    for t in roots:
        if t.grad_fn is not None:
            t.retain_grad()
            own.add(id(t.grad_fn))
    for kind, fn in order:
        if kind == "op" and id(fn) not in own and fn not in _hooked:
            _hooked.add(fn)
            fn.pre_hooks_dict()[object()] = _keeper(weakref.ref(fn))
    return root
