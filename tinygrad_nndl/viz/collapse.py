"""Folding repeated structure: the steps of an unrolled recurrent net, or
identical layers of a deep Sequential, drawn once inside one cluster.

An unrolled loop leaves its mark in the order ops are created: the same run
of ops, each with the same kind of inputs, over and over (``Function.seq``
numbers them). So the ops are sorted by seq, each is given a signature (its
op type and arguments, its output's shape and dtype, and for each input
whether it is a weight shared across repeats, another leaf, a constant, or
the output of an op of such a type and shape) and the longest periodic stretch of signatures
is found. Its repeats ("blocks") are drawn as the first one: every tensor,
op, constant and per-repeat leaf of a later block is mapped onto its
counterpart in the first, an edge from one repeat into a later one becomes a
dashed back-edge ("next"), and the cluster says how many repeats it stands
for. This is the textbook picture of an RNN rolled up, and its size does not
grow with the number of steps. Repeats continue until nothing periodic is
left.
"""
from collections import Counter

import numpy as np

from .graph import CONST, FOLD, TENSOR_KINDS, Cluster, op_args

MIN_REPEATS = 3


def _arg_signature(value):
    """An op argument as far as it describes the structure: an integer (x[t]
    picks step t) is any integer, a slice (a gate's block) is itself."""
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, np.integer)):
        return int
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, (tuple, list)):
        return tuple(_arg_signature(v) for v in value)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype))
    return repr(value)


def _signature(graph, op, shared):
    t = graph.nodes[op.out].obj
    parts = [type(op.obj).__name__, t.shape, str(t.dtype),
             tuple((k, _arg_signature(v)) for k, v in sorted(op_args(op.obj).items()))]
    for key in op.ins:
        if key is None:
            parts.append(None)
            continue
        node = graph.nodes[key]
        if node.kind == CONST:
            v = node.obj
            parts.append(("const", type(v).__name__, np.shape(v),
                          v if isinstance(v, (int, float, bool)) else None))
        elif node.obj.grad_fn is not None:
            parts.append(("computed", type(node.obj.grad_fn).__name__, node.obj.shape))
        elif key in shared:
            parts.append(("shared", key))
        else:
            parts.append(("leaf", node.obj.requires_grad, node.obj.shape, str(node.obj.dtype)))
    return tuple(parts)


def _best_run(codes):
    """(start, period, length) of the periodic stretch of ``codes`` holding
    the most whole periods (the shortest period on ties), or None."""
    n = len(codes)
    best, best_cover = None, 0
    for p in range(1, n // MIN_REPEATS + 1):
        same = np.concatenate(([False], codes[:-p] == codes[p:], [False]))
        edges = np.diff(same.astype(np.int8))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        if not len(starts):
            continue
        repeats = (ends - starts + p) // p
        cover = np.where(repeats >= MIN_REPEATS, repeats * p, 0)
        j = int(np.argmax(cover))
        if cover[j] > best_cover:
            best, best_cover = (int(starts[j]), p, int(ends[j] - starts[j]) + p), int(cover[j])
    return best


def _phase(start, period, length, op_edges):
    """Where in the stretch the first block starts: the offset that cuts the
    fewest op-to-op edges, so that blocks are whole steps and only the
    recurrent state crosses from one block to the next. On a tie, a block
    should start with an op that reads nothing made earlier in the stretch
    (a step begins with its input x_t, not halfway through)."""
    end = start + length
    inside = [(u, v) for u, v in op_edges if start <= u and v < end]
    a = np.array([u for u, _ in inside], dtype=np.int64)
    b = np.array([v for _, v in inside], dtype=np.int64)
    reads = Counter(b.tolist())
    best, best_cost = 0, None
    for phase in range(period):
        if (length - phase) // period < MIN_REPEATS:
            break
        cut = int(np.count_nonzero((a - start - phase) // period != (b - start - phase) // period))
        cost = (cut, reads[start + phase + period] > 0)
        if best_cost is None or cost < best_cost:
            best, best_cost = phase, cost
    return best


def _blocks_alike(blocks, op_edges):
    """The longest stretch of consecutive blocks whose ops are wired to each
    other the same way (the signatures only describe each op's inputs)."""
    index = {}
    for r, block in enumerate(blocks):
        for k, i in enumerate(block):
            index[i] = (r, k)
    patterns = [set() for _ in blocks]
    for u, v in op_edges:
        if u in index and v in index and index[u][0] == index[v][0]:
            patterns[index[u][0]].add((index[u][1], index[v][1]))
    patterns = [frozenset(p) for p in patterns]
    common = Counter(patterns).most_common(1)[0][0]
    best, run_start = (0, 0), None
    for r, p in enumerate(patterns + [None]):
        if p == common and run_start is None:
            run_start = r
        elif p != common and run_start is not None:
            if r - run_start > best[1] - best[0]:
                best = (run_start, r)
            run_start = None
    return blocks[best[0]:best[1]]


def fold_repeats(graph):
    """Fold every periodic stretch of the graph's ops into one cluster."""
    ops = sorted(graph.ops(), key=lambda n: n.seq)
    if len(ops) < MIN_REPEATS:
        return
    consumers = graph.consumers()
    shared = {k for k, n in graph.nodes.items()
              if n.kind in TENSOR_KINDS and n.obj.grad_fn is None and len(consumers.get(k, ())) > 1}
    pos = {op.key: i for i, op in enumerate(ops)}
    made_by = {op.out: op.key for op in ops}
    op_edges = [(pos[made_by[src]], pos[op.key]) for op in ops for src in op.ins
                if src in made_by]
    roots = set(graph.roots)
    table = {}
    codes = np.array([table.setdefault(_signature(graph, op, shared), len(table)) for op in ops])
    unique = len(table)
    for i, op in enumerate(ops):
        if op.out in roots:           # a root stays a node of its own
            codes[i] = unique = unique + 1
    folds = 0
    while True:
        run = _best_run(codes)
        if run is None:
            return
        start, period, length = run
        phase = _phase(start, period, length, op_edges)
        first = start + phase
        count = (length - phase) // period
        blocks = [list(range(first + r * period, first + (r + 1) * period)) for r in range(count)]
        alike = _blocks_alike(blocks, op_edges)
        taken = alike if len(alike) >= MIN_REPEATS else blocks
        for block in taken:           # never looked at again, folded or not
            for i in block:
                codes[i] = unique = unique + 1
        if len(alike) >= MIN_REPEATS:
            folds += 1
            _fold(graph, [[ops[i].key for i in block] for block in alike], f"fold{folds}")


def _fold(graph, blocks, key):
    """Draw ``blocks`` (lists of op keys, one per repeat) as the first one."""
    consumers = graph.consumers()
    members = [{} for _ in blocks]   # per block: node key -> its role in the block
    block_of = {}
    for r, block in enumerate(blocks):
        for k, okey in enumerate(block):
            op = graph.nodes[okey]
            members[r][okey] = ("op", k)
            members[r][op.out] = ("out", k)
            for i, src in enumerate(op.ins):
                if src is not None and graph.nodes[src].kind == CONST:
                    members[r][src] = ("const", k, i)
        block_of.update(dict.fromkeys(members[r], r))
    # A leaf that only ops of one block read (x_t, or a layer's own weight)
    # belongs to that block; weights read by every step stay outside.
    for k, node in graph.nodes.items():
        if node.kind in TENSOR_KINDS and node.obj.grad_fn is None and k in consumers:
            readers = consumers[k]
            rs = {block_of.get(c) for c in readers}
            if len(rs) == 1 and None not in rs:
                r = rs.pop()
                uses = sorted((members[r][c][1], i) for c in readers
                              for i, src in enumerate(graph.nodes[c].ins) if src == k)
                members[r][k] = ("leaf",) + tuple(uses)
                block_of[k] = r
    first = {role: k for k, role in members[0].items()}
    rep = {}
    for r in range(1, len(blocks)):
        for k, role in members[r].items():
            if role in first:
                rep[k] = first[role]
            else:                         # no counterpart: drawn as it is
                del block_of[k]
    edges, graph.edges = graph.edges, {}
    for (src, dst, lag), e in edges.items():
        if src in block_of and dst in block_of and block_of[src] != block_of[dst]:
            lag = block_of[dst] - block_of[src]
        s, d = rep.get(src, src), rep.get(dst, dst)
        old = graph.edges.get((s, d, lag))
        if old is None:
            graph.edges[(s, d, lag)] = e
        else:                             # one edge per repeat drawn once, not summed
            old.count = max(old.count, e.count)
    for k in rep:
        del graph.nodes[k]
    for node in graph.nodes.values():     # ops that read a folded tensor now read its stand-in
        if node.ins:
            node.ins = [rep.get(k, k) for k in node.ins]
    n_ops = len(blocks[0])
    label = (f"×{len(blocks)}: {n_ops} op{'s' if n_ops > 1 else ''} repeated "
             f"{len(blocks)} times, the first drawn")
    graph.clusters.append(Cluster(key, FOLD, label, members[0]))
