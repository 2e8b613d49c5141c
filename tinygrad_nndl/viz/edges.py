"""``shapes_on_edges``: a network drawn as its layers, with the feature maps
that flow between them written on the edges (``10×20×24×24``) instead of
drawn as boxes of their own: a convolutional network reads as the figures of
the book's chapter 6 do, conv -> pool -> activation -> ..."""
from .graph import INTERMEDIATE, OP


def shape_text(shape):
    return "×".join(str(n) for n in shape) if shape else "scalar"


def shapes_on_edges(graph):
    """Replace each intermediate tensor that says nothing beyond its shape
    (no name, no book symbol, no gradient kept) by edges from the op that made
    it to the ops that read it, labelled with its shape."""
    producers, consumers = graph.producers(), graph.consumers()
    lags = {}
    for src, dst, lag in graph.edges:
        lags.setdefault((src, dst), []).append(lag)
    drop = []
    for key, node in graph.nodes.items():
        if (node.kind != INTERMEDIATE or node.name or node.symbol
                or node.obj.grad is not None):
            continue
        makers = producers.get(key, [])
        readers = consumers.get(key, [])
        if len(makers) != 1 or graph.nodes[makers[0]].kind != OP or not readers \
                or any(graph.nodes[r].kind != OP for r in readers):
            continue
        cluster = graph.cluster_of(key)
        if cluster is not None and graph.cluster_of(makers[0]) is not cluster:
            continue   # the last tensor of a folded block stays: the block's output
        text = shape_text(node.obj.shape)
        for r in dict.fromkeys(readers):
            for lag in lags[(key, r)]:
                part = graph.edges[(key, r, lag)]
                label = f"{part.label} of {text}" if part.label else text
                graph.add_edge(makers[0], r, count=part.count, lag=lag, label=label)
        drop.append(key)
    graph.remove(drop)
    for node in graph.nodes.values():   # an op reading a dropped tensor reads its maker
        if node.kind == OP and node.ins:
            node.ins = [producers[k][0] if k in drop else k for k in node.ins]
