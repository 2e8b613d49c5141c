"""``draw_graph``: the graph autograd built, and the errors flowing back
through it, as a graphviz drawing."""
import numbers

from ..nn.module import Module
from ..tensor.tensor import Tensor
from .collapse import fold_repeats
from .cut import cut
from .edges import shapes_on_edges as _shapes_on_edges
from .graph import Value, as_roots, build, ident
from .labels import label_all
from .lstm import annotate_lstm, open_lstm_steps
from .notation import annotate_mlp, open_fused_layers
from .render import to_digraph

RANKDIRS = ("LR", "RL", "TB", "BT")


def _names(params):
    """ident(tensor) -> (name, tensor), from a Module, a dict name -> Tensor,
    or (name, Tensor) pairs such as ``model.named_parameters()``."""
    if params is None:
        return {}
    if isinstance(params, Module):
        pairs = params.named_parameters()
    elif isinstance(params, dict):
        pairs = params.items()
    elif isinstance(params, Tensor) or isinstance(params, (str, bytes)):
        pairs = None
    else:
        try:
            pairs = list(params)
        except TypeError:
            pairs = None
    names = {}
    for pair in pairs if pairs is not None else [None]:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)
                and isinstance(pair[1], Tensor)):
            raise TypeError(f"draw_graph: params must be a Module, a dict of name -> Tensor or "
                            f"(name, Tensor) pairs such as model.named_parameters(); got "
                            f"{type(params).__name__}" +
                            (f" holding {pair!r:.60}" if pairs is not None else ""))
        names.setdefault(ident(pair[1]), pair)
    return names


def _ident(obj):
    if isinstance(obj, Value):
        return id(obj.grad_fn)
    return ident(obj) if isinstance(obj, Tensor) else None


FREED = ("backward() without retain_graph=True has freed what the ops saved: ops, edges and "
         "shapes are as recorded; values are shown where still held.")


def _not_drawn(graph):
    """A note on the inputs that need no gradient (data, constants) left
    out because no op holds them, if any."""
    if not graph.unseen:
        return []
    n = len(graph.unseen)
    kept_none = sorted({type(fn).__name__ for fn in graph.unseen if not type(fn).save_inputs})
    freed = any(type(fn).save_inputs for fn in graph.unseen)
    what = f"Not drawn: {n} input{'s' if n > 1 else ''} needing no gradient (data or constants)"
    if not kept_none:
        return [f"{what}, freed by backward()."]
    why = (f"{', '.join(kept_none)} {'keeps' if len(kept_none) == 1 else 'keep'} no inputs "
           f"for backward")
    return [f"{what}, as {why}{' and backward() freed the others' if freed else ''}."]


def draw_graph(root, *, params=None, show_data=False, show_grad=True, rankdir="LR",
               max_nodes=None, book_notation=False, collapse=False, legend=True,
               shapes_on_edges=False):
    """Draw the graph that autograd recorded for ``root`` (a Tensor, or a list
    of Tensors drawn together) and return it as a ``graphviz.Digraph``.

    One node per tensor (its name if known, shape, dtype, its value when it
    is one number and still held, and once backward has run its gradient:
    the value for a scalar, else the norm), one per op (its name and arguments), and one
    per constant operand; edges point the way data flows. Leaves that
    require grad, leaves that do not (input data), intermediate tensors and
    the output(s) are drawn in different shapes and colours, explained in a
    legend.

    Args:
        params: names for tensors: a Module (``fc1.weight``), a dict name ->
            Tensor, or (name, Tensor) pairs (``model.named_parameters()``).
            Any tensor of the graph can be named, not only leaves; a named
            tensor's values are shown even after backward freed the graph's.
        show_data: also print the values (and gradients) of tensors with at
            most 12 elements, and a range and mean for larger ones.
        show_grad: print the gradient where it is known. Leaves get it from
            backward; intermediate tensors only after their ``retain_grad()``
            or, for all of them at once, :func:`retain_grads` before backward.
        rankdir: "LR" (left to right), "TB", "RL" or "BT".
        max_nodes: draw only the first ``max_nodes`` nodes met going back from
            the root, plus one note saying what was left out (an LSTM step
            opened up by ``book_notation`` counts as one node).
        book_notation: label an MLP made of ``nn.Linear`` layers the book's
            way: a^1 = x, z^l = w^l a^(l-1) + b^l, a^l = sigma(z^l), the cost
            C, and after backward delta^l = dC/dz^l on the z^l and dC/dw^l,
            dC/db^l on the weights, so that BP1-BP4 (chapter 2) can be read
            off the picture; and draw each step of ``nn.LSTM`` /
            ``nn.LSTMCell`` (one fused op) opened up as the notes' eqs.
            5.1-5.6, with its gates rem, save, ltm', focus and its ltm, wm.
            A layer that ``nn.Sequential`` runs as one op (a Linear and its
            activation) is opened up likewise: z^l, with delta^l, inside it.
            A Module may be passed here instead of True; it then also names
            the parameters (``params`` adds more names).
        collapse: fold repeated structure (the steps of an unrolled RNN or
            LSTM, identical layers of a deep Sequential) into one cluster
            drawn once, with dashed edges into the next repeat, so that the
            drawing does not grow with the number of steps.
        legend: draw the legend.
        shapes_on_edges: draw intermediate tensors that carry nothing but
            their shape (no name, no gradient kept) as labels on the edges
            between the ops, ``10×20×24×24``: a convolutional network then
            reads as its layers, conv -> pool -> activation, with the feature
            maps flowing between them. With ``collapse`` identical blocks
            (same layers, same shapes) are folded first.

    The graph is read off the nodes autograd recorded (``grad_fn`` and
    ``next_functions``, as torchviz does), which outlive backward: it can be
    drawn before or after ``backward``. Values are shown where something
    still holds them (leaves, the roots, named tensors, what the ops saved
    for backward, what :func:`retain_grads` kept); ``backward()`` without
    ``retain_graph=True`` releases what the ops saved, and the note under
    the drawing says so; ops, edges and shapes remain. Inputs
    that need no gradient (data, constants) are drawn while an op keeps
    them; a note counts those left out. Typical use, with delta^l shown::

        loss = cost(model(x), y)
        viz.retain_grads(loss)
        loss.backward()
        viz.draw_graph(loss, book_notation=model).render("mlp", format="svg")

    The result shows itself in Jupyter; ``.source`` is its DOT text (no
    program needed); ``.render(path, format="svg" | "png")`` writes
    ``path.svg`` and needs the Graphviz ``dot`` program (DotNotFoundError
    says how to install it).
    """
    roots = as_roots(root)
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, numbers.Integral) or max_nodes < 1
                                  or isinstance(max_nodes, bool)):
        raise ValueError(f"draw_graph: max_nodes must be a positive integer or None, got "
                         f"{max_nodes!r}")
    if not isinstance(book_notation, (bool, Module)):
        raise TypeError(f"draw_graph: book_notation must be True, False or a Module, got "
                        f"{type(book_notation).__name__}")
    names = _names(book_notation) if isinstance(book_notation, Module) else {}
    names.update(_names(params))
    graph = build(roots, known=[t for _, t in names.values()])
    for node in graph.tensors():
        name = names.get(_ident(node.obj))
        node.name = name[0] if name is not None else None
    if book_notation is not False:
        found = annotate_mlp(graph)
        if not annotate_lstm(graph) and not found:
            graph.notes.append("book notation: this graph has no nn.Linear layer (of an MLP) "
                               "and no LSTM step to name")
    if graph.freed:
        graph.notes.append(FREED)
    graph.notes.extend(_not_drawn(graph))
    label_all(graph, show_data, show_grad)
    if collapse:
        fold_repeats(graph)
    if shapes_on_edges:
        _shapes_on_edges(graph)
    if max_nodes is not None:
        cut(graph, max_nodes)
    if book_notation is not False:
        open_lstm_steps(graph, show_data)
        open_fused_layers(graph, show_data, show_grad)
    return to_digraph(graph, rankdir, legend)
