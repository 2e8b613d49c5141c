"""From the Graph to a ``graphviz.Digraph``: shapes, colours, clusters, the
legend, and a clear error when the ``dot`` program is missing."""
import functools

import graphviz

from .cut import OMITTED
from .graph import CONST, FUSED, INPUT, INSIDE, INTERMEDIATE, OP, OUTPUT, PARAM

FONT = "Helvetica,Arial,sans-serif"
# Tensors are boxes (leaves square, intermediates rounded, the output
# doubled), ops ellipses, constants bare text: told apart without colour too.
STYLES = {
    PARAM: dict(shape="box", style="filled", fillcolor="#cfe2ff", color="#3b5bdb"),
    INPUT: dict(shape="box", style="filled,dashed", fillcolor="#f1f3f5", color="#868e96"),
    INTERMEDIATE: dict(shape="box", style="rounded,filled", fillcolor="#fff3bf",
                       color="#f08c00"),
    OUTPUT: dict(shape="box", style="filled,bold", peripheries="2", fillcolor="#d3f9d8",
                 color="#2b8a3e"),
    OP: dict(shape="ellipse", style="filled", fillcolor="#e9ecef", color="#495057"),
    INSIDE: dict(shape="box", style="rounded,filled,dotted", fillcolor="#fff9db",
                 color="#e67700"),
    CONST: dict(shape="plaintext", fontcolor="#495057"),
    OMITTED: dict(shape="note", style="filled", fillcolor="#ffe3e3", color="#c92a2a"),
}
LEGEND = {
    PARAM: "leaf that requires grad\n(a parameter)",
    INPUT: "leaf without grad\n(input data)",
    INTERMEDIATE: "intermediate tensor",
    OUTPUT: "output (the root)",
    OP: "op",
    INSIDE: "computed inside\none fused op",
    CONST: "constant",
    OMITTED: "left out (max_nodes)",
}
FOLD_STYLE = dict(style="rounded,dashed", color="#7048e8", fontcolor="#5f3dc4")
INSIDE_STYLE = dict(style="rounded,filled", color="#e67700", fillcolor="#fffdf0",
                    fontcolor="#a35200")
LAG_STYLE = dict(style="dashed", color="#7048e8", fontcolor="#5f3dc4", constraint="false")

DOT_MISSING = ("the Graphviz 'dot' program was not found on PATH, so the graph cannot be "
               "rendered (building its DOT source, .source, needs no program). Install "
               "Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
               "(macOS), 'conda install graphviz', or see https://graphviz.org/download/")


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Raised instead of graphviz's ExecutableNotFound, saying how to install dot."""

    def __init__(self, what):
        RuntimeError.__init__(self, f"{what}: {DOT_MISSING}")


def _needs_dot(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, DotNotFoundError):
                raise
            raise DotNotFoundError(f"ComputationGraph.{method.__name__}") from e
    return wrapper


class ComputationGraph(graphviz.Digraph):
    """A ``graphviz.Digraph``: shows itself in Jupyter, ``.source`` is the DOT
    text, ``.render(path, format="svg")`` writes ``path.svg``. Every method
    that runs ``dot`` raises DotNotFoundError when it is not installed."""

    render = _needs_dot(graphviz.Digraph.render)
    pipe = _needs_dot(graphviz.Digraph.pipe)
    view = _needs_dot(graphviz.Digraph.view)
    unflatten = _needs_dot(graphviz.Digraph.unflatten)


def _text(lines, end="\\n"):
    # "\n" ends a centred line in a DOT string, "\l" a left-aligned one;
    # nohtml keeps a label that looks like <...> from being read as HTML.
    text = end.join(line.replace("\\", "\\\\") for line in lines)
    return graphviz.nohtml(text + end if end == "\\l" else text)


def _add_node(g, node):
    g.node(node.key, _text(node.lines), **STYLES[node.kind])


def to_digraph(graph, rankdir, legend):
    g = ComputationGraph(name="autograd")
    # newrank: rank the whole graph at once, not cluster by cluster, which
    # keeps dot from failing ("trouble in init_rank") on many clusters.
    g.attr(rankdir=rankdir, newrank="true", fontname=FONT, fontsize="10", nodesep="0.25",
           ranksep="0.35")
    g.attr("node", fontname=FONT, fontsize="10", margin="0.08,0.04", height="0.3")
    g.attr("edge", arrowsize="0.6", color="#495057", fontname=FONT, fontsize="9")
    in_cluster = {k for c in graph.clusters for k in c.members}
    for node in graph.nodes.values():
        if node.key not in in_cluster:
            _add_node(g, node)
    for c in graph.clusters:
        if c.parent is None:
            _add_cluster(g, graph, c)
    for (src, dst, lag), e in graph.edges.items():
        attrs = {}
        text = [e.label] if e.label else []
        if lag is not None:
            attrs = dict(LAG_STYLE)
            text.append("next" if lag == 1 else f"+{lag}")
        elif e.count > 1:
            text.append(f"×{e.count}")
        if text:
            attrs["label"] = " ".join(text)
        if src == OMITTED:
            attrs.update(style="dashed", color="#c92a2a")
        g.edge(src, dst, **attrs)
    if legend:
        _legend(g, {n.kind for n in graph.nodes.values()})
    if graph.notes:
        g.attr(label=_text(graph.notes, end="\\l"), labelloc="b", labeljust="l")
    return g


def _add_cluster(g, graph, cluster):
    """A cluster, its nodes and, inside it, the clusters whose parent it is."""
    with g.subgraph(name=f"cluster_{cluster.key}") as sub:
        sub.attr(label=cluster.label, fontname=FONT, fontsize="10",
                 **(INSIDE_STYLE if cluster.kind == FUSED else FOLD_STYLE))
        for k in cluster.members:
            _add_node(sub, graph.nodes[k])
        for child in graph.clusters:
            if child.parent == cluster.key:
                _add_cluster(sub, graph, child)


def _legend(g, kinds):
    with g.subgraph(name="cluster_legend") as sub:
        sub.attr(label="legend", fontname=FONT, fontsize="10", style="rounded", color="#adb5bd")
        shown = [k for k in LEGEND if k in kinds]
        for k in shown:
            sub.node(f"legend_{k}", _text(LEGEND[k].split("\n")), **STYLES[k])
        # Chained by invisible edges so the entries line up along the flow.
        for a, b in zip(shown, shown[1:]):
            sub.edge(f"legend_{a}", f"legend_{b}", style="invis")
