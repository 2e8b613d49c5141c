"""The book's names for an MLP (chapter 2): z^l, a^l, w^l, b^l, the cost C
and delta^l = dC/dz^l, read off the graph's structure.

``nn.Sequential`` computes a Linear layer and its activation as one node
(``LinearActivation``), so z^l is not a tensor of the graph: in book
notation such a node is drawn opened up, z^l inside it with delta^l =
dC/da^l * f'(z^l), computed from the gradient that reached the node and
its output a^l, by the op's own f'."""
from collections import Counter
from math import prod

import numpy as np

from ..ops.linalg import Linear as LinearOp
from ..ops.linalg import LinearActivation
from .graph import FUSED, INSIDE, OP, TENSOR_KINDS, Cluster, Node
from .labels import tensor_lines

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# The activation a^l = f(z^l) of a layer, as the book writes f.
ACTIVATIONS = {"Sigmoid": "σ", "Tanh": "tanh", "Relu": "ReLU", "Softmax": "softmax"}
# LinearActivation's activation argument -> the op class name it stands for
FUSED_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}
CAPTION = ["δˡ = ∂C/∂zˡ, the error of layer l:",
           "BP1  δᴸ = ∇ₐC ⊙ σ′(zᴸ)",
           "BP2  δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)",
           "BP3  ∂C/∂bˡ = δˡ",
           "BP4  ∂C/∂wˡ = δˡ (aˡ⁻¹)ᵀ  (rows of a batch summed)"]
NO_DELTA = ("δˡ is not shown: call tinygrad_nndl.viz.retain_grads(C) before "
            "C.backward() to keep the gradients of the zˡ.")


def sup(n):
    """An integer as superscript digits: sup(12) == '¹²'."""
    return str(n).translate(_SUPERSCRIPT)


def _name(node, symbol, grad_symbol):
    if node is not None and node.symbol is None:
        node.symbol, node.grad_symbol = symbol, grad_symbol


def _recurrent(name):
    """Whether a parameter name is a recurrent layer's weight_hh (``rnn.weight_hh_l0`` too)."""
    return name is not None and name.rsplit(".", 1)[-1].startswith("weight_hh")


def annotate_mlp(graph):
    """Label each layer built with ``nn.Linear`` (or ``nn.functional.linear``)
    the book's way, and return whether there was one. Layers are numbered in
    the order they were computed, starting at 2: the input is a^1 = x, as in
    the book (chapter 2).

    z^l = w^l a^(l-1) + b^l is the output of the l-th Linear op; a^l the
    output of the activation (sigma, tanh, ReLU, softmax) applied to z^l and
    to nothing else; the gradient on z^l is delta^l (BP1, BP2), the ones on
    w^l and b^l are BP4 and BP3. A scalar root is the cost C. A weight that
    several Linear ops share (the steps of an RNN), or a recurrent layer's
    ``weight_hh`` (used once in a one-step sequence), is not a layer of an
    MLP, so those ops are left as they are.
    """
    # type, not isinstance: a recurrent layer's SequenceProjection is a Linear but no layer
    ops = sorted((n for n in graph.ops()
                  if type(n.obj) is LinearOp or isinstance(n.obj, LinearActivation)),
                 key=lambda n: n.seq)
    uses = Counter(op.ins[1] for op in ops)
    ops = [op for op in ops if op.ins[1] is not None and uses[op.ins[1]] == 1
           and graph.nodes[op.ins[1]].kind in TENSOR_KINDS
           and not _recurrent(graph.nodes[op.ins[1]].name)]
    if not ops:
        return False
    for key in graph.roots:
        root = graph.nodes[key]
        if root.obj.shape is not None and prod(root.obj.shape) == 1:
            _name(root, "C", "∂C/∂C")
    consumers = graph.consumers()
    missing_delta = False
    graph.fused_layers = []
    for l, op in enumerate(ops, 2):
        x, w, b = op.ins
        if isinstance(op.obj, LinearActivation):   # its output is a^l; z^l is drawn inside it
            _name(graph.nodes[op.out], f"a{sup(l)}", f"∂C/∂a{sup(l)}")
            graph.fused_layers.append((op.key, l))
            z = _Preactivation(graph, op)
        else:
            z = graph.nodes[op.out].obj
            _name(graph.nodes[op.out], f"z{sup(l)}", f"δ{sup(l)}")
        _name(graph.nodes[w], f"w{sup(l)}", f"∂C/∂w{sup(l)}")
        if b is not None:
            _name(graph.nodes[b], f"b{sup(l)}", f"∂C/∂b{sup(l)}")
        _name(graph.nodes.get(x), f"a{sup(l - 1)}", f"∂C/∂a{sup(l - 1)}")   # None: not held
        op.formula = f"z{sup(l)} = w{sup(l)}a{sup(l - 1)}" + (f" + b{sup(l)}" if b else "")
        missing_delta |= z.grad is None and graph.nodes[w].obj.grad is not None
        if isinstance(op.obj, LinearActivation):
            continue
        after = consumers.get(op.out, ())
        if len(after) == 1:
            act = graph.nodes[after[0]]
            f = ACTIVATIONS.get(type(act.obj).__name__)
            if f and [k for k in act.ins if k is not None] == [op.out]:
                _name(graph.nodes[act.out], f"a{sup(l)}", f"∂C/∂a{sup(l)}")
                act.formula = f"a{sup(l)} = {f}(z{sup(l)})"
    graph.notes.extend(CAPTION)
    if missing_delta:
        graph.notes.append(NO_DELTA)
    return True


class _Preactivation:
    """z^l inside a LinearActivation node, for its label: shape and dtype of
    the output; the value recomputed from the inputs while they are held;
    delta^l from the gradient at the node and its output."""

    requires_grad = True
    grad_fn = None

    def __init__(self, graph, op):
        fn, a = op.obj, graph.nodes[op.out].obj
        self.shape, self.dtype = a.shape, a.dtype
        # .get: max_nodes may have left an input out
        held = [graph.nodes.get(k) for k in op.ins]
        x, w, b = (None if n is None else n.obj.data for n in held)
        self.data = None
        if x is not None and w is not None and (b is not None or op.ins[2] is None):
            self.data = LinearOp.forward(fn, np.asarray(x), np.asarray(w),
                                         None if b is None else np.asarray(b))
        g, out = a.grad, a.data
        g = getattr(g, "data", g)
        self.grad = None if g is None or out is None else \
            fn.delta(np.asarray(g), np.asarray(out))


def open_fused_layers(graph, show_data, show_grad):
    """Draw each LinearActivation layer named by ``annotate_mlp`` as the book
    writes it: the op computing z^l, then z^l (with delta^l), then the
    activation giving a^l, in a box that says it is one op."""
    for key, l in getattr(graph, "fused_layers", ()):
        op = graph.nodes.get(key)
        if op is None:                        # left out by max_nodes, or folded
            continue
        fn = op.obj
        z = Node(f"{key}_z", INSIDE, _Preactivation(graph, op))
        z.symbol, z.grad_symbol = f"z{sup(l)}", f"δ{sup(l)}"
        z.lines = tensor_lines(z, show_data, show_grad)
        title = FUSED_ACTIVATIONS.get(fn.activation, fn.activation.capitalize())
        f = ACTIVATIONS.get(title, fn.activation)
        act = Node(f"{key}_act", OP, fn, out=op.out)
        act.ins = [z.key]
        act.lines = [title, f"a{sup(l)} = {f}(z{sup(l)})"]
        edges, graph.edges = graph.edges, {}
        for (src, dst, lag), e in edges.items():
            graph.edges[(act.key if src == key else src, dst, lag)] = e
        graph.nodes[z.key], graph.nodes[act.key] = z, act
        graph.add_edge(key, z.key)
        graph.add_edge(z.key, act.key)
        op.out = z.key
        op.lines = [f"{type(fn).__name__} (one op)", op.formula]   # its activation: drawn next
        parent = graph.cluster_of(key)
        if parent is not None:
            parent.members.remove(key)
        graph.clusters.append(Cluster(f"{key}_layer", FUSED, f"layer {l}: one op",
                                      [key, z.key, act.key],
                                      parent.key if parent is not None else None))
