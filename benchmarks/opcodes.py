"""Python bytecodes executed per step of core.py's benchmarks: a count that
this shared machine's noise cannot move, for the interpreter's share of a
step (numpy's and BLAS's work is not counted).

    python benchmarks/opcodes.py                  # ours, the bare engines, hand-written numpy
    python benchmarks/opcodes.py --top 15         # and where ours spends them, per function
    python benchmarks/opcodes.py --against DIR    # ours in this tree and in another checkout

Each contender (core.py's, plus bare_w1.py's and bare_chain.py's bare engines)
takes two steps untraced, then one step under ``sys.settrace`` with opcode
events on. Counts are per step (per op for the chain). They rank changes to
the Python of a hot path exactly; they convert to time only roughly (an
opcode that calls into C costs more than one that loads a name): on W1 the
gap between ours and the bare engine's time matched about 27-30 ns per
opcode.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

# core first: it sets numpy's BLAS to one thread, which must precede numpy's import
import core

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def count(step, per_function=None):
    """Opcodes executed by one call of step() (after two untraced calls)."""
    step()
    step()
    counts = Counter()

    def tracer(frame, event, arg):
        frame.f_trace_opcodes, frame.f_trace_lines = True, False
        if event == "opcode":
            code = frame.f_code
            counts[(Path(code.co_filename).name, code.co_name)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        step()
    finally:
        sys.settrace(None)
    if per_function is not None:
        per_function.update(counts)
    return sum(counts.values())


def bare_contenders(name):
    """The bare engines of bare_w1.py and bare_chain.py, for W1 and the chain."""
    if name == "W1":
        import bare_w1
        weights, X, Y = bare_w1.setup()
        return {"bare engine": bare_w1.bare(weights, X, Y)[0]}
    if name == "chain":
        import bare_chain
        a = np.random.default_rng(2).random((10, 10), dtype=np.float32) + 0.5
        g = np.ones((10, 10), np.float32)
        runs = bare_chain.contenders(a, g, bare_chain.BLOCKS, None)
        return {k: runs[k] for k in ("bare", "bare + hush + generic apply")}
    return {}


def measure(only, top):
    import tinygrad_nndl as tg
    results, where = {}, {}
    for name, (contenders, _, ops) in core.BENCHES.items():
        if only and name not in only:
            continue
        runs = {k: step for k, (step, _) in contenders(tg, None).items()}
        runs.update(bare_contenders(name))
        per_function = Counter() if top else None
        results[name] = {k: count(step, per_function if k == "ours" else None) / ops
                         for k, step in runs.items()}
        if top:
            where[name] = [(f"{f}:{fn}", n / ops) for (f, fn), n in per_function.most_common(top)]
    return results, where


def table(results, label=""):
    print(f"\n{label}| benchmark | contender | opcodes a step | / hand-written numpy |")
    print("| --- | --- | ---: | ---: |")
    for name, counts in results.items():
        unit = " (a op)" if core.BENCHES[name][2] > 1 else ""
        for k, n in counts.items():
            print(f"| {name}{unit} | {k} | {n:,.0f} | {n / counts['numpy']:.1f}x |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=list(core.BENCHES), help="just these benchmarks")
    p.add_argument("--top", type=int, default=0, help="list ours' N costliest functions")
    p.add_argument("--against", metavar="DIR", help="another checkout of tinygrad_nndl")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.json:
        print(json.dumps(measure(args.only, 0)[0]))
        return
    if args.against:
        for label, tree in (("before", Path(args.against).resolve()), ("after", HERE.parent)):
            out = subprocess.run([sys.executable, __file__, "--json"]
                                 + (["--only", *args.only] if args.only else []),
                                 env=dict(os.environ, PYTHONPATH=str(tree)), cwd=tree,
                                 capture_output=True, text=True, check=True)
            table(json.loads(out.stdout.strip().splitlines()[-1]), f"{label} ({tree})\n")
        return
    results, where = measure(args.only, args.top)
    table(results)
    for name, rows in where.items():
        print(f"\n{name}, ours: opcodes a step by function")
        for fn, n in rows:
            print(f"  {n:8,.1f}  {fn}")


if __name__ == "__main__":
    main()
