"""The notes' names for an LSTM step (chapter 5, eqs. 5.1-5.6): rem = forget
gate, save = input gate, ltm' = candidate, focus = output gate, ltm = cell
state, wm = hidden state.

The library's ``nn.LSTMCell`` computes a step as one fused op
(``ops.recurrent.LSTMStep``) that takes x(t), the packed state (wm, ltm) at
t-1, w = [weight_ih | weight_hh] and b = bias_ih + bias_hh to the state at t.
``nn.LSTM`` projects the whole input sequence first, P = W x + b
(``SequenceProjection``), and its step op (``LSTMProjectedStep``) takes P,
of which it reads P[t], the packed state and weight_hh. In book notation a step
op is drawn opened up, as the notes write it, with the gates' values the op
kept. A step written out with Tensor ops is named by
:func:`lstm_names` instead.
"""
from ..autograd.function import Function, saved_inputs
from ..ops.movement import GetItem, Reshape
from ..ops.recurrent import (LTM, WM, LSTMProjectedStep, LSTMStep, SequenceProjection,
                             StackedBlocks)
from ..tensor.tensor import Tensor
from .graph import FUSED, INSIDE, OP, Cluster, Node
from .labels import value_lines

STEPS = (LSTMStep, LSTMProjectedStep)
# The common pre-activation of the four gates, as each step op forms it.
PREACTIVATION = {LSTMStep: "z = W x + U wm(t-1) + b", LSTMProjectedStep: "z = P[t] + U wm(t-1)"}
PROJECTION = "P = W x + b (all steps)"
BLOCKS = {WM: "wm", LTM: "ltm"}
STATE = "(wm, ltm)"                      # the packed state [wm | ltm] of a step
CAPTION = ["An LSTM step in the notes' names (eqs. 5.1-5.6) and PyTorch's:",
           "rem = forget gate f,  save = input gate i,  ltm' = candidate g,  "
           "focus = output gate o,",
           "ltm = cell state c,  wm = hidden state h;  W_*, U_* = row blocks of weight_ih, "
           "weight_hh;  b_* = bias_ih + bias_hh"]
# (name, equation, what computes it) of the quantities inside a step.
_INSIDE = [("rem", "5.1", "σ(W_r x + U_r wm(t-1) + b_r)"),
           ("ltm'", "5.2", "tanh(W_l x + U_l wm(t-1) + b_l)"),
           ("save", "5.3", "σ(W_s x + U_s wm(t-1) + b_s)"),
           ("focus", "5.5", "σ(W_f x + U_f wm(t-1) + b_f)"),
           ("ltm", "5.4", "rem ⊙ ltm(t-1) + save ⊙ ltm'"),
           ("wm", "5.6", "focus ⊙ tanh(ltm)")]
_WIRES = [("z", "rem"), ("z", "ltm'"), ("z", "save"), ("z", "focus"), ("rem", "ltm"),
          ("save", "ltm"), ("ltm'", "ltm"), ("ltm", "wm"), ("focus", "wm")]


def _block_of(index, hidden):
    """k if ``index`` picks block k of a packed state ([:, kH:(k+1)H])."""
    if not (isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None)
            and isinstance(index[1], slice) and index[1].step in (None, 1)):
        return None
    start, stop = index[1].start or 0, index[1].stop
    if start % hidden or stop != start + hidden:
        return None
    return start // hidden


def _hidden(graph, op):
    """H, from the packed output (B, 2H), which is drawn whenever the op is."""
    return graph.nodes[op.out].obj.shape[-1] // len(BLOCKS)


def _name(node, symbol, grad_symbol):
    if node is not None and node.symbol is None:
        node.symbol, node.grad_symbol = symbol, grad_symbol


def annotate_lstm(graph):
    """Name the tensors around fused LSTM steps: the packed output by its
    blocks, the slices of it (``h``, ``c``) by the block they take, the
    previous state, and the step's other inputs: the joined weights and the
    summed bias of ``LSTMStep``, or the projection P of ``LSTMProjectedStep``
    (and the summed bias that went into P). Return whether there was a step."""
    steps = [op for op in graph.ops() if isinstance(op.obj, STEPS)]
    if not steps:
        return False
    consumers = graph.consumers()
    for op in graph.ops():
        if isinstance(op.obj, SequenceProjection):
            _name(graph.nodes[op.out], PROJECTION, "∂C/∂P")
            _name_bias(graph, op.ins[2])
        elif isinstance(op.obj, StackedBlocks):   # nn.LSTM's output: wm of every step
            block = BLOCKS[op.obj.block]
            _name(graph.nodes[op.out], f"{block} (every step)", f"∂C/∂{block} (every step)")
    for op in steps:
        H = _hidden(graph, op)
        _name(graph.nodes[op.out], STATE, f"∂C/∂{STATE}")
        # .get: an input that needs no gradient is drawn only while the op holds it
        _name(graph.nodes.get(op.ins[1]), f"{STATE} at t-1", f"∂C/∂{STATE} at t-1")
        if isinstance(op.obj, LSTMProjectedStep):
            _name(graph.nodes.get(op.ins[0]), PROJECTION, "∂C/∂P")
        else:
            _name(graph.nodes.get(op.ins[2]), "w = [weight_ih | weight_hh]", "∂C/∂w")
            _name_bias(graph, op.ins[3])
        for k in consumers.get(op.out, ()):
            reader = graph.nodes[k]
            if reader.kind == OP and isinstance(reader.obj, GetItem):
                block = _block_of(reader.obj.index, H)
                if block is not None:
                    _name(graph.nodes[reader.out], BLOCKS[block], f"∂C/∂{BLOCKS[block]}")
    graph.notes.extend(CAPTION)
    return True


def _name_bias(graph, b):
    _name(graph.nodes.get(b), "b = bias_ih + bias_hh", "∂C/∂b")


def _gate_values(graph, op):
    """(save, rem, ltm', focus) of a step as numpy arrays: those its forward
    kept, else recomputed from its inputs by the op's own gate function, else
    (after a backward that freed them) None."""
    saved = getattr(op.obj, "saved", None)
    if saved is not None:
        return saved[:4]
    held = [graph.nodes.get(k) for k in op.ins]      # .get: max_nodes may have cut one
    data = [None if n is None else n.obj.data for n in held]
    needed = data if isinstance(op.obj, LSTMProjectedStep) else data[:3]   # LSTMStep: b may be None
    if any(d is None for d in needed):
        return (None,) * 4
    return op.obj.gates(*data)


def open_lstm_steps(graph, show_data):
    """Draw every fused LSTM step as the notes' equations: the gates' common
    pre-activation z, the gates rem, save, ltm', focus, then ltm and wm, each
    with its shape (and values), in a box that says it is one op. Edges into
    the op go to z (the previous state's ltm block also to ltm); the step's
    output comes from ltm and wm."""
    for op in [n for n in graph.ops() if isinstance(n.obj, STEPS)]:
        H = _hidden(graph, op)
        save, rem, cand, focus = _gate_values(graph, op)
        out = graph.nodes[op.out].obj
        packed = out.data
        values = {"rem": rem, "ltm'": cand, "save": save, "focus": focus,
                  "ltm": None if packed is None else packed[:, LTM * H:(LTM + 1) * H],
                  "wm": None if packed is None else packed[:, WM * H:(WM + 1) * H]}
        gate = f"{(out.shape[0], H)} {out.dtype}"   # every quantity of a step is (B, H)
        key = op.key
        z = graph.nodes[f"{key}_z"] = Node(f"{key}_z", OP, op.obj, out=op.out)
        z.ins = op.ins
        z.lines = [f"{type(op.obj).__name__} (one op)", PREACTIVATION[type(op.obj)],
                   "(all four gates at once)"]
        inside = {"z": z.key}
        for i, (name, eq, formula) in enumerate(_INSIDE):
            node = Node(f"{key}_in{i}", INSIDE, None)
            value = values[name]
            node.lines = [f"{name} ({eq})", f"= {formula}", gate] + \
                ([] if value is None else value_lines("data", value, show_data))
            graph.nodes[node.key] = node
            inside[name] = node.key
        state = {op.ins[1], op.out}      # the previous step's packed output, folded or not
        edges, graph.edges = graph.edges, {}
        for (src, dst, lag), e in edges.items():
            if dst == key and src in state:
                graph.add_edge(src, z.key, e.count, lag, "wm(t-1)")
                graph.add_edge(src, inside["ltm"], e.count, lag, "ltm(t-1)")
            elif dst == key:
                reads_p = isinstance(op.obj, LSTMProjectedStep) and src == op.ins[0]
                graph.add_edge(src, z.key, e.count, lag, "P[t]" if reads_p else e.label)
            elif src == key:
                graph.add_edge(inside["ltm"], dst, e.count, lag, "ltm")
                graph.add_edge(inside["wm"], dst, e.count, lag, "wm")
            else:
                graph.edges[(src, dst, lag)] = e
        for a, b in _WIRES:
            graph.add_edge(inside[a], inside[b])
        parent = graph.cluster_of(key)
        if parent is not None:
            parent.members.remove(key)
        del graph.nodes[key]
        graph.clusters.append(Cluster(f"{key}_step", FUSED, "LSTM step: one op, eqs. 5.1-5.6",
                                      list(inside.values()),
                                      parent.key if parent is not None else None))


def lstm_names(h, c):
    """The tensors of one LSTM step written out with Tensor ops, under the
    notes' names (eqs. 5.1-5.6), for ``draw_graph(..., params=...)``:

    ``{"wm": h, "ltm": c, "focus": o, "rem": f, "save": i, "ltm'": g,
    "ltm (t-1)": c_prev}``, found in the graph of ltm = rem * ltm(t-1) +
    save * ltm' and wm = focus * tanh(ltm) (rem = forget gate, save = input
    gate, ltm' = candidate, focus = output gate, ltm = cell state, wm =
    hidden state). For the library's ``nn.LSTMCell``, whose step is one op,
    only ``{"wm": h, "ltm": c}``: ``book_notation=True`` draws its gates.
    The gates are the values the graph saved, as new Tensors of the nodes
    that made them (a node holds values, not the user's tensors): they name
    the same nodes, but are not the objects the user's step made.
    """
    packed = _fused_step(h)
    if packed is not None and packed is _fused_step(c):
        return {"wm": h, "ltm": c}
    (a, a_node), (b, b_node) = _factors(h.grad_fn, "wm = h (focus * tanh(ltm))")
    if _is_tanh_of(b_node, c):
        focus = a
    elif _is_tanh_of(a_node, c):
        focus = b
    else:
        raise ValueError("lstm_names: h is not focus * tanh(c) for the c given")
    names = {"wm": h, "ltm": c, "focus": focus}
    if type(c.grad_fn).__name__ == "Mul":
        terms = [c.grad_fn]
    else:
        _check(c.grad_fn, "Add", "ltm = c (rem * ltm(t-1) + save * ltm')")
        terms = c.grad_fn.next_nodes
    for product in terms:
        factors = [(x, n) for x, n in _factors(product, "each term of ltm") if x is not None]
        kinds = [_activation(n) for _, n in factors]
        tensors = [x for x, _ in factors]
        if "Tanh" in kinds and len(factors) == 2:
            names["save"], names["ltm'"] = tensors[::-1] if kinds[0] == "Tanh" else tensors
        elif kinds and kinds[0] == "Sigmoid":   # rem * ltm(t-1); ltm(t-1) may be a constant
            names["rem"] = tensors[0]
            if len(factors) == 2:
                names["ltm (t-1)"] = tensors[1]
        elif len(factors) == 2 and kinds[1] == "Sigmoid":
            names["rem"], names["ltm (t-1)"] = tensors[1], tensors[0]
    if "save" not in names:
        raise ValueError("lstm_names: c is not rem * ltm(t-1) + save * ltm' (no term holds the "
                         "tanh candidate ltm')")
    return names


def _fused_step(t):
    """The node of the fused step whose packed output ``t`` is a slice of, if any."""
    fn = t.grad_fn
    if not isinstance(fn, GetItem):
        return None
    src = fn.next_nodes[0]
    return src if isinstance(src, STEPS) else None


def _activation(fn):
    """The op that made the output of node ``fn``, looking through slices and
    reshapes (gates are often slices of one activated block)."""
    while isinstance(fn, (GetItem, Reshape)):
        fn = fn.next_nodes[0]
    return type(fn).__name__ if isinstance(fn, Function) else None


def _check(fn, op_name, what):
    if fn is None or type(fn).__name__ != op_name:
        got = "a leaf" if fn is None else type(fn).__name__
        raise ValueError(f"lstm_names: expected {what} to be made by {op_name}, but it is {got}; "
                         f"pass the (h, c) returned by one LSTM step")


def _factors(fn, what):
    """The two factors of the Mul node ``fn``, as (tensor or None, its node)."""
    _check(fn, "Mul", what)
    held = saved_inputs(fn)
    if held is None:
        raise ValueError(f"lstm_names: backward() without retain_graph=True has freed the "
                         f"factors of {what}; call lstm_names before backward, or keep the graph "
                         f"with backward(retain_graph=True)")
    return [(x if isinstance(x, Tensor) else None, n) for x, n in zip(held, fn.next_nodes)]


def _is_tanh_of(node, c):
    return type(node).__name__ == "Tanh" and node.next_nodes[0] is c.grad_fn
