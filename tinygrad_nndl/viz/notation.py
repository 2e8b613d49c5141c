"""The book's names for an MLP (chapter 2): z^l, a^l, w^l, b^l, the cost C
and delta^l = dC/dz^l, read off the graph's structure."""
from collections import Counter

from ..ops.linalg import Linear as LinearOp
from .graph import TENSOR_KINDS

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# The activation a^l = f(z^l) of a layer, as the book writes f.
ACTIVATIONS = {"Sigmoid": "σ", "Tanh": "tanh", "Relu": "ReLU", "Softmax": "softmax"}
CAPTION = ["δˡ = ∂C/∂zˡ, the error of layer l:",
           "BP1  δᴸ = ∇ₐC ⊙ σ′(zᴸ)",
           "BP2  δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)",
           "BP3  ∂C/∂bˡ = δˡ",
           "BP4  ∂C/∂wˡ = δˡ (aˡ⁻¹)ᵀ  (rows of a batch summed)"]
NO_DELTA = ("δˡ is not shown: call tinygrad_nndl.viz.retain_grads(C) before "
            "C.backward(retain_graph=True) to keep the gradients of the zˡ.")


def sup(n):
    """An integer as superscript digits: sup(12) == '¹²'."""
    return str(n).translate(_SUPERSCRIPT)


def _name(node, symbol, grad_symbol):
    if node.symbol is None:
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
    ops = sorted((n for n in graph.ops() if type(n.obj) is LinearOp), key=lambda n: n.seq)
    uses = Counter(op.ins[1] for op in ops)
    ops = [op for op in ops if uses[op.ins[1]] == 1 and graph.nodes[op.ins[1]].kind in TENSOR_KINDS
           and not _recurrent(graph.nodes[op.ins[1]].name)]
    if not ops:
        return False
    for key in graph.roots:
        root = graph.nodes[key]
        if root.obj.data.size == 1:
            _name(root, "C", "∂C/∂C")
    consumers = graph.consumers()
    missing_delta = False
    for l, op in enumerate(ops, 2):
        x, w, b = op.ins
        z = graph.nodes[op.out]
        _name(z, f"z{sup(l)}", f"δ{sup(l)}")
        _name(graph.nodes[w], f"w{sup(l)}", f"∂C/∂w{sup(l)}")
        if b is not None:
            _name(graph.nodes[b], f"b{sup(l)}", f"∂C/∂b{sup(l)}")
        _name(graph.nodes[x], f"a{sup(l - 1)}", f"∂C/∂a{sup(l - 1)}")
        op.formula = f"z{sup(l)} = w{sup(l)}a{sup(l - 1)}" + (f" + b{sup(l)}" if b else "")
        missing_delta |= z.obj.grad is None and graph.nodes[w].obj.grad is not None
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
