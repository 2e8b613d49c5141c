"""The autograd graph as plain data: which tensors, ops and constants there
are and which feeds which, read off ``grad_fn`` and ``grad_fn.inputs``.

A node of the engine (``Function``) knows its inputs but not its output, so
the walk starts at the roots and goes down: the tensor an op produced is the
tensor whose ``grad_fn`` it is. The walk is a loop over a stack, so graphs of
any depth (a 1,000-step unrolled LSTM) need no recursion.
"""
from ..tensor.tensor import Tensor

# Kinds of node, each drawn in its own shape and colour (see render.STYLES).
# INSIDE: a quantity computed inside one fused op (an LSTM step's gates).
PARAM, INPUT, INTERMEDIATE, OUTPUT = "param", "input", "intermediate", "output"
OP, CONST, INSIDE = "op", "const", "inside"
TENSOR_KINDS = (PARAM, INPUT, INTERMEDIATE, OUTPUT)
# Attributes every Function has, and values an op keeps for its backward
# (``saved``): not arguments of the op.
_NOT_ARGS = {"inputs", "arrays", "needs", "seq", "created_at", "saved"}


def op_args(fn):
    """The arguments an op was applied with (``axes``, ``index``, ``shape``...),
    plus whatever its forward stored on it."""
    return {k: v for k, v in vars(fn).items() if k not in _NOT_ARGS}


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


def as_roots(root, what="draw_graph"):
    """A Tensor or a sequence of Tensors, as a list."""
    roots = [root] if isinstance(root, Tensor) else list(root) if isinstance(root, (list, tuple)) \
        else None
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(f"{what}: expected a Tensor or a non-empty list of Tensors, got "
                        f"{type(root).__name__}")
    return roots


def walk(roots, what="draw_graph"):
    """Every tensor that ``roots`` depend on (the roots included), in the
    order first met going down from them.

    Raises a clear error when a backward without ``retain_graph=True`` has
    already freed part of the graph: there is nothing left to walk there.
    """
    seen, tensors = set(), []
    stack = list(reversed(roots))
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        tensors.append(t)
        fn = t.grad_fn
        if fn is None:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                f"{what}: the graph below {fn.name()} (output shape {t.shape}) was freed by a "
                f"backward() without retain_graph=True, so there is nothing left to walk. Call "
                f"{what} before backward, or backward(retain_graph=True) to keep the graph.")
        stack.extend(x for x in reversed(fn.inputs) if isinstance(x, Tensor))
    return tensors


def build(roots):
    """The Graph of everything ``roots`` depend on (keys t1, op1, c1 ... in
    discovery order), with an edge from each input to its op and from each op
    to its output."""
    g = Graph()
    tensors = walk(roots)
    root_ids = {id(t) for t in roots}
    tkey = {}
    for i, t in enumerate(tensors, 1):
        tkey[id(t)] = key = f"t{i}"
        if id(t) in root_ids:
            kind = OUTPUT
        elif t.grad_fn is not None:
            kind = INTERMEDIATE
        else:
            kind = PARAM if t.requires_grad else INPUT
        g.nodes[key] = Node(key, kind, t)
    g.roots = [tkey[id(t)] for t in roots]
    n_ops = n_consts = 0
    for t in tensors:
        fn = t.grad_fn
        if fn is None:
            continue
        n_ops += 1
        okey = f"op{n_ops}"
        g.nodes[okey] = op = Node(okey, OP, fn, out=tkey[id(t)])
        for x in fn.inputs:
            if isinstance(x, Tensor):
                src = tkey[id(x)]
            elif x is None:
                op.ins.append(None)
                continue
            else:
                n_consts += 1
                src = f"c{n_consts}"
                g.nodes[src] = Node(src, CONST, x)
            op.ins.append(src)
            g.add_edge(src, okey)
        g.add_edge(okey, tkey[id(t)])
    return g


def retain_grads(root):
    """Keep ``.grad`` on every intermediate tensor of ``root``'s graph, so
    that after ``root.backward(retain_graph=True)`` the drawing shows the
    error flowing through each of them, e.g. delta^l = dC/dz^l (BP1, BP2) on
    the weighted inputs z^l. Call it after the forward pass and before
    backward. Returns ``root``."""
    for t in walk(as_roots(root, "retain_grads"), "retain_grads"):
        if t.grad_fn is not None:
            t.retain_grad()
    return root
