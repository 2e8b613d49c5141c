"""``max_nodes``: keep the nodes nearest the output, and say what was left out."""
from collections import Counter, deque

from .graph import OP, TENSOR_KINDS, Node

OMITTED = "omitted"
_LISTED = 6   # op types and tensor names listed in the note


def _listing(items):
    items = list(items)
    return ", ".join(items[:_LISTED]) + (", …" if len(items) > _LISTED else "")


def cut(graph, max_nodes):
    """Keep at most ``max_nodes`` nodes, found breadth-first from the roots
    against the flow of data (so what is drawn is the part closest to the
    output), and add one note node listing what was left out, with a dashed
    edge to every drawn node whose inputs were cut."""
    if len(graph.nodes) <= max_nodes:
        return
    producers = graph.producers()
    kept, seen = [], set(graph.roots)
    queue = deque(graph.roots)
    while queue and len(kept) < max_nodes:
        k = queue.popleft()
        kept.append(k)
        for p in producers.get(k, ()):
            if p not in seen:
                seen.add(p)
                queue.append(p)
    kept = set(kept)
    left = [n for k, n in graph.nodes.items() if k not in kept]
    ops = Counter(type(n.obj).__name__ for n in left if n.kind == OP)
    tensors = [n for n in left if n.kind in TENSOR_KINDS]
    named = [n.symbol or n.name for n in tensors if n.symbol or n.name]
    lines = [f"{len(left)} more nodes not drawn (max_nodes={max_nodes})"]
    if ops:
        lines.append(f"{sum(ops.values())} ops: " +
                     _listing(f"{name} ×{c}" for name, c in ops.most_common()))
    if tensors:
        lines.append(f"{len(tensors)} tensors" + (f", among them {_listing(named)}" if named
                                                  else ""))
    boundary = [k for k in kept if any(p not in kept for p in producers.get(k, ()))]
    graph.remove(n.key for n in left)
    note = graph.nodes[OMITTED] = Node(OMITTED, OMITTED, None)
    note.lines = lines
    for k in boundary:
        graph.add_edge(OMITTED, k)
