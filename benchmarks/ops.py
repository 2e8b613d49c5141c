"""Per-op cost of forward + backward, against plain numpy and PyTorch eager.

    python benchmarks/ops.py            # the full table (about a minute)
    python benchmarks/ops.py --quick    # fewer repeats

For every elementwise op on a 10x10 float32 tensor it times
  - ours, single: ``y = op(x); y.backward(g)`` (one op and a whole backward call),
  - ours, chain: a chain of 32 ops then one backward, divided by 32 (the cost
    an op adds inside a network),
  - numpy: the same forward plus a hand-written backward, in the same run,
  - torch: PyTorch eager, single and chain, when torch is importable.
Then the same on 1000x1000 (where numpy's own work dominates), and the time
and peak memory of backward through a 100,000-op chain.
"""
import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

# One BLAS thread: on a shared 2-core machine OpenBLAS's threads spin against
# other processes and make single runs 10x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parents[1]))   # this checkout, unless PYTHONPATH names another
import tinygrad_nndl as tg  # noqa: E402

try:
    import torch
    # One thread, like numpy's elementwise loops; idle OpenMP workers would
    # otherwise spin after each torch call and slow whatever is timed next.
    torch.set_num_threads(1)
except ImportError:
    torch = None

CHAIN = 32


def best_time(fn, repeats, number):
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


# name: (ours(y, b), torch(y, b), numpy forward(y, b) -> out, numpy backward(g, y, b, out) -> grads)
# Inputs stay in (0.5, 1.5) through a chain, so log, sqrt and pow are defined everywhere.
OPS = {
    "add": (lambda y, b: y + b, lambda y, b: y + b,
            lambda y, b: y + b, lambda g, y, b, o: (g, g)),
    "sub": (lambda y, b: y - b, lambda y, b: y - b,
            lambda y, b: y - b, lambda g, y, b, o: (g, -g)),
    "mul": (lambda y, b: y * b, lambda y, b: y * b,
            lambda y, b: y * b, lambda g, y, b, o: (g * b, g * y)),
    "div": (lambda y, b: y / b, lambda y, b: y / b,
            lambda y, b: y / b, lambda g, y, b, o: (g / b, -g * o / b)),
    "pow": (lambda y, b: y ** 2, lambda y, b: y ** 2,
            lambda y, b: y ** 2, lambda g, y, b, o: (g * 2 * y,)),
    "neg": (lambda y, b: -y, lambda y, b: -y,
            lambda y, b: -y, lambda g, y, b, o: (-g,)),
    "exp": (lambda y, b: y.exp(), lambda y, b: y.exp(),
            lambda y, b: np.exp(y), lambda g, y, b, o: (g * o,)),
    "log": (lambda y, b: y.log(), lambda y, b: y.log(),
            lambda y, b: np.log(y), lambda g, y, b, o: (g / y,)),
    "sqrt": (lambda y, b: y.sqrt(), lambda y, b: y.sqrt(),
             lambda y, b: np.sqrt(y), lambda g, y, b, o: (g / (2 * o),)),
    "abs": (lambda y, b: y.abs(), lambda y, b: y.abs(),
            lambda y, b: np.abs(y), lambda g, y, b, o: (g * np.sign(y),)),
    "tanh": (lambda y, b: y.tanh(), lambda y, b: y.tanh(),
             lambda y, b: np.tanh(y), lambda g, y, b, o: (g * (1 - o * o),)),
    "sigmoid": (lambda y, b: y.sigmoid(), lambda y, b: y.sigmoid(),
                lambda y, b: 1 / (1 + np.exp(-y)), lambda g, y, b, o: (g * o * (1 - o),)),
    "relu": (lambda y, b: y.relu(), lambda y, b: y.relu(),
             lambda y, b: np.maximum(y, 0), lambda g, y, b, o: (g * (y > 0),)),
    "clamp": (lambda y, b: y.clamp(0.6, 1.4), lambda y, b: y.clamp(0.6, 1.4),
              lambda y, b: np.minimum(np.maximum(y, 0.6), 1.4),
              lambda g, y, b, o: (g * ((y >= 0.6) & (y <= 1.4)),)),
    "maximum": (lambda y, b: y.maximum(b), lambda y, b: torch.maximum(y, b),
                lambda y, b: np.maximum(y, b),
                lambda g, y, b, o: (g * (y > b), g * (b > y))),
}


# Repeated, these leave every finite range (exp(exp(exp(1.5))) overflows,
# log goes negative), so they are timed alone only.
NO_CHAIN = {"exp", "log", "pow"}


def numpy_chain(fwd, bwd, x, b, g, n):
    ys, y = [], x
    for _ in range(n):
        out = fwd(y, b)
        ys.append((y, out))
        y = out
    gb = np.zeros_like(b)
    for y, out in reversed(ys):
        grads = bwd(g, y, b, out)
        g = grads[0]
        if len(grads) > 1:
            gb = gb + grads[1]
    return g, gb


def bench_ops(shape, repeats, number, chain=CHAIN):
    rng = np.random.default_rng(0)
    xa = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    ba = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    ga = np.ones(shape, np.float32)
    x, b = tg.tensor(xa, requires_grad=True), tg.tensor(ba, requires_grad=True)
    if torch is not None:
        xt = torch.tensor(xa, requires_grad=True)
        bt = torch.tensor(ba, requires_grad=True)
        gt = torch.ones(shape)
    rows = []
    for name, (ours, theirs, np_fwd, np_bwd) in OPS.items():
        def ours_single():
            x.grad = b.grad = None   # as zero_grad() does before every step
            ours(x, b).backward(ga)

        def ours_chain():
            x.grad = b.grad = None
            y = x
            for _ in range(chain):
                y = ours(y, b)
            y.backward(ga)

        def numpy_single():
            out = np_fwd(xa, ba)
            np_bwd(ga, xa, ba, out)

        chained = name not in NO_CHAIN
        row = {"op": name,
               "ours": best_time(ours_single, repeats, number),
               "numpy": best_time(numpy_single, repeats, number)}
        if chained:
            row["ours_chain"] = best_time(ours_chain, repeats, max(number // chain, 3)) / chain
            row["numpy_chain"] = best_time(
                lambda: numpy_chain(np_fwd, np_bwd, xa, ba, ga, chain),
                repeats, max(number // chain, 3)) / chain
        if torch is not None:
            def torch_single():
                xt.grad = bt.grad = None
                theirs(xt, bt).backward(gt)

            def torch_chain():
                xt.grad = bt.grad = None
                y = xt
                for _ in range(chain):
                    y = theirs(y, bt)
                y.backward(gt)

            row["torch"] = best_time(torch_single, repeats, number)
            if chained:
                row["torch_chain"] = best_time(torch_chain, repeats,
                                               max(number // chain, 3)) / chain
        x.grad = b.grad = None
        rows.append(row)
    return rows


def print_table(title, rows, chain=True, target=False):
    """target: also state the core's chain target (set on (10, 10), core.py's chain)."""
    us = 1e6
    print(f"\n### {title}\n")
    head = "| op | ours (us) | numpy (us) | ours/numpy |"
    sep = "|---|---:|---:|---:|"
    if chain:
        head += " ours in chain (us/op) | numpy in chain (us/op) | chain ours/numpy |"
        sep += "---:|---:|---:|"
    if torch is not None:
        head += " torch (us) | torch/ours |"
        sep += "---:|---:|"
        if chain:
            head += " torch in chain (us/op) | chain torch/ours |"
            sep += "---:|---:|"
    print(head)
    print(sep)
    for r in rows:
        line = (f"| {r['op']} | {r['ours'] * us:.1f} | {r['numpy'] * us:.1f} | "
                f"{r['ours'] / r['numpy']:.2f}x |")
        has_chain = "ours_chain" in r
        if chain:
            line += (f" {r['ours_chain'] * us:.1f} | {r['numpy_chain'] * us:.1f} | "
                     f"{r['ours_chain'] / r['numpy_chain']:.2f}x |" if has_chain
                     else " n/a | n/a | n/a |")
        if torch is not None:
            line += f" {r['torch'] * us:.1f} | {r['torch'] / r['ours']:.2f}x |"
            if chain:
                line += (f" {r['torch_chain'] * us:.1f} | "
                         f"{r['torch_chain'] / r['ours_chain']:.2f}x |" if has_chain
                         else " n/a | n/a |")
        print(line)
    gm = lambda key: float(np.exp(np.mean([np.log(r[key]) for r in rows if key in r])))  # noqa: E731
    summary = f"geometric mean: ours/numpy {gm('ours') / gm('numpy'):.2f}x"
    if chain:
        summary += (f", in chain {gm('ours_chain') / gm('numpy_chain'):.2f}x "
                    f"(chained ops only)")
    if torch is not None:
        summary += f"; torch/ours {gm('torch') / gm('ours'):.2f}x"
        if chain:
            ratio = gm('ours_chain') / gm('torch_chain')
            summary += (f", in chain {gm('torch_chain') / gm('ours_chain'):.2f}x, i.e. ours "
                        f"{ratio:.2f}x torch per op")
            if target:
                summary += (f" (the core's target: ours <= 0.45x torch per op in a chain: "
                            f"{'met' if ratio <= 0.45 else 'NOT met'})")
    elif chain and target:
        summary += ("; the core's target, ours <= 0.45x torch per op in a chain, "
                    "needs torch")
    print(f"\n{summary}")


def deep_chain(n=100_000):
    """Forward and backward through n ops; memory as traced by tracemalloc (in a
    separate run, since tracing slows allocation down)."""
    def build():
        x = tg.tensor(np.ones(4, np.float32), requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0000001
        return x, y.sum()

    t0 = time.perf_counter()
    x, loss = build()
    forward = time.perf_counter() - t0
    t0 = time.perf_counter()
    loss.backward()
    backward = time.perf_counter() - t0
    del x, loss

    tracemalloc.start()
    x, loss = build()
    graph, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    loss.backward()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n### A chain of {n:,} ops\n")
    print("| forward | backward | graph held before backward | peak during backward | "
          "left after backward |\n|---:|---:|---:|---:|---:|")
    print(f"| {forward:.2f} s | {backward:.2f} s | {graph / 2**20:.1f} MiB "
          f"({graph / n:.0f} B per op) | {peak / 2**20:.1f} MiB | {after / 2**20:.2f} MiB |")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats, number = (3, 300) if args.quick else (5, 2000)
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else
                                      ", torch not installed"))
    print_table("10x10 float32: forward + backward per op", bench_ops((10, 10), repeats, number),
                target=True)
    print_table("1000x1000 float32: forward + backward per op",
                bench_ops((1000, 1000), 3, 3, chain=4))
    deep_chain()


if __name__ == "__main__":
    main()
