"""The core's speed targets, each against hand-written numpy (and PyTorch).

    python benchmarks/core.py                      # the table for this tree
    python benchmarks/core.py --against DIR        # this tree and another checkout of
                                                   # tinygrad_nndl, alternated, in one run

- W1: the book's chapter 1 network as a user writes it: nn.Sequential of
  Linear and Sigmoid [784, 30, 10], F.quadratic_cost, optim.SGD, mini-batch
  10. Target <= 1.5x hand-written numpy (aim 1.2x).
- W2: [784, 100, 10], sigmoid hidden layer, F.cross_entropy (softmax +
  log-likelihood), SGD with weight_decay (L2), mini-batch 128. Target <= 1.15x.
- chain: 1000 elementwise ops on (10, 10) (mul, add, tanh, scale, in turn),
  forward + backward, per op. Target <= 0.45x PyTorch's time (aim 0.3x).
- LSTM: nn.LSTM forward + BPTT (benchmarks/lstm.py's setting: batch 32,
  input 32, hidden 128, 50 steps). Target <= 1.1x hand-written numpy BPTT.

Each contender runs a round in turn (50 steps of each, say), round after round,
so that the machine's slow spells hit all alike (PyTorch takes its turns after
ours and numpy's: its spinning threads slow whatever runs next); the table
gives the median per-step time and the ratio of medians. Only ratios from one run mean
anything on a shared machine. The images are random: speed does not depend
on them.
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# One BLAS thread for every contender: on a shared 2-core machine OpenBLAS's
# threads spin against other processes and make single runs 10x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))   # this checkout, unless PYTHONPATH names another


def sigmoid_(z):
    """The hand-written network's sigmoid, in place: 1/2 + tanh(z/2)/2, finite
    for any z with no overflow to silence, as ours is. (np.errstate around
    e^-z, the usual way, cost 8-10% of W1's hand-written step.)"""
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def cycling(items):
    """A function giving the items in turn, round and round."""
    it = itertools.cycle(items)
    return lambda: next(it)


def optional_torch(wanted=True):
    """PyTorch on one thread (as numpy's BLAS here), or None when not wanted or
    not installed: it is the reference, never a requirement."""
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def interleaved(contenders, rounds, apart=("torch",)):
    """name -> median seconds per call of step(), the contenders taking turns.
    Those in ``apart`` (PyTorch) take their turns after the others: its thread
    pool keeps spinning after each call and slowed whatever ran next (the
    LSTM's ours/numpy ratio read 1.25x with torch between the turns, 1.21x
    without). Each turn starts with one call that is not timed: the first
    call after another contender's turn runs slower than the steady state
    that a training loop sees (in W2, the same step read 0.02x more when it
    followed numpy's turn than when it followed its own copy's)."""
    times = {name: [] for name in contenders}
    for group in ([k for k in contenders if k not in apart], [k for k in contenders if k in apart]):
        for _ in range(rounds):
            for name in group:
                step, calls = contenders[name]
                step()
                start = time.perf_counter()
                for _ in range(calls):
                    step()
                times[name].append((time.perf_counter() - start) / calls)
    return {name: float(np.median(t)) for name, t in times.items()}


def mlp_data(rng, batch, n=2000):
    x = rng.random((n, 784), dtype=np.float32)
    labels = rng.integers(0, 10, n)
    return x, labels, np.eye(10, dtype=np.float32)[labels]


W1_ETA, W1_BATCH = 3.0, 10


def w1_model(lib):
    """The book's [784, 30, 10] sigmoid network, as a user of ``lib`` (ours or
    PyTorch: the import changed) writes it."""
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 30), nn.Sigmoid(), nn.Linear(30, 10), nn.Sigmoid())


def w1_step(optim, model, batch, cost):
    """One W1 step as a user writes it: ``cost`` (the quadratic cost) and
    ``optim.SGD`` (ours or PyTorch's)."""
    opt = optim.SGD(model.parameters(), lr=W1_ETA)

    def step():
        x, y = batch()
        loss = cost(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_quadratic_cost(a, y):
    """The book's quadratic cost in PyTorch (it has no such function)."""
    return 0.5 * ((a - y) ** 2).sum() / len(a)


def w1_by_hand(params, batch):
    """W1's step as hand-written vectorized backprop (BP1-BP4), on the arrays
    ``params`` = [w1, b1, w2, b2] in place."""
    w1, b1, w2, b2 = params
    rate = np.float32(W1_ETA / W1_BATCH)

    def step():
        x, y = batch()
        a1 = sigmoid_(x @ w1.T + b1)
        a2 = sigmoid_(a1 @ w2.T + b2)
        d2 = (a2 - y) * a2 * (1 - a2)            # BP1
        d1 = (d2 @ w2) * a1 * (1 - a1)           # BP2
        w2[...] -= rate * (d2.T @ a1)            # BP4, summed over the mini-batch
        b2[...] -= rate * d2.sum(0)              # BP3
        w1[...] -= rate * (d1.T @ x)
        b1[...] -= rate * d1.sum(0)
    return step


def w1(tg, torch=None):
    rng = np.random.default_rng(0)
    X, _, Y = mlp_data(rng, W1_BATCH)
    tg.manual_seed(0)
    model = w1_model(tg)
    slices = [(X[i:i + W1_BATCH], Y[i:i + W1_BATCH]) for i in range(0, len(X), W1_BATCH)]
    contenders = {
        "ours": (w1_step(tg.optim, model, cycling([(tg.from_numpy(x), tg.from_numpy(y))
                                                   for x, y in slices]),
                         tg.nn.functional.quadratic_cost), 50),
        "numpy": (w1_by_hand([p.data.copy() for p in model.parameters()], cycling(slices)), 50)}
    if torch is not None:
        contenders["torch"] = (w1_step(torch.optim, w1_model(torch), cycling(
            [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in slices]),
            torch_quadratic_cost), 50)
    return contenders


def w2(tg, torch=None):
    from tinygrad_nndl import nn, optim
    from tinygrad_nndl.nn import functional as F
    rng = np.random.default_rng(1)
    X, L, Y = mlp_data(rng, 128, n=128 * 16)
    eta, wd = 0.5, 5.0 / 50_000
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10))
    opt = optim.SGD(model.parameters(), lr=eta, weight_decay=wd)
    params = [p.data.copy() for p in model.parameters()]
    batches = [(tg.from_numpy(X[i:i + 128]), tg.from_numpy(L[i:i + 128]))
               for i in range(0, len(X), 128)]
    state = {"k": 0}

    def ours():
        x, y = batches[state["k"] % len(batches)]
        state["k"] += 1
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    np_state = {"k": 0}

    def numpy_():
        w1_, b1, w2_, b2 = params
        k = np_state["k"] % len(batches)
        np_state["k"] += 1
        x, y = X[128 * k:128 * k + 128], Y[128 * k:128 * k + 128]
        a1 = sigmoid_(x @ w1_.T + b1)
        z2 = a1 @ w2_.T + b2
        e = np.exp(z2 - z2.max(1, keepdims=True))
        d2 = (e / e.sum(1, keepdims=True) - y) / len(x)   # softmax output error (eq. 81-82)
        d1 = (d2 @ w2_) * a1 * (1 - a1)
        for p, g in ((w2_, d2.T @ a1), (b2, d2.sum(0)), (w1_, d1.T @ x), (b1, d1.sum(0))):
            g += wd * p                                    # L2 (eq. 93)
            p -= eta * g

    contenders = {"ours": (ours, 10), "numpy": (numpy_, 10)}
    if torch is not None:
        tm = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.Sigmoid(),
                                 torch.nn.Linear(100, 10))
        topt = torch.optim.SGD(tm.parameters(), lr=eta, weight_decay=wd)
        tb = [(torch.from_numpy(x.data), torch.from_numpy(y.data)) for x, y in batches]
        t_state = {"k": 0}

        def torch_():
            x, y = tb[t_state["k"] % len(tb)]
            t_state["k"] += 1
            loss = torch.nn.functional.cross_entropy(tm(x), y)
            topt.zero_grad()
            loss.backward()
            topt.step()
        contenders["torch"] = (torch_, 10)
    return contenders


CHAIN = 1000


def chain(tg, torch=None):
    """1000 elementwise ops on (10, 10) and one backward (a step is CHAIN ops)."""
    a = np.random.default_rng(2).random((10, 10), dtype=np.float32) + 0.5
    g = np.ones((10, 10), np.float32)

    def make(lib, x, b, grad):
        def run():
            y = x
            for _ in range(CHAIN // 4):
                y = (y * b + b).tanh() * 1.0001
            y.backward(grad)
        return run

    x = tg.tensor(a, requires_grad=True)
    b = tg.tensor(a, requires_grad=True)
    contenders = {"ours": (make(tg, x, b, g), 1)}
    bn = a.copy()

    def numpy_():   # the same forward, and the backward by hand
        ys = []
        y = a
        for _ in range(CHAIN // 4):
            ys.append(y)
            y = np.tanh(y * bn + bn)
            ys.append(y)
            y = y * np.float32(1.0001)
        gy, gb = g, np.zeros_like(bn)
        for _ in range(CHAIN // 4):
            t = ys.pop()
            gy = gy * np.float32(1.0001)
            gz = gy * (1 - t * t)
            prev = ys.pop()
            gb += gz * prev + gz
            gy = gz * bn
    contenders["numpy"] = (numpy_, 1)
    if torch is not None:
        tx = torch.tensor(a, requires_grad=True)
        tb = torch.tensor(a, requires_grad=True)
        contenders["torch"] = (make(torch, tx, tb, torch.from_numpy(g)), 1)
    return contenders


def lstm(tg, torch=None):
    sys.path.insert(0, str(HERE))
    import lstm as bench
    from tinygrad_nndl import nn
    tg.manual_seed(0)
    model = nn.LSTM(32, 128)
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((50, 32, 32)).astype(np.float32))
    r = tg.tensor(rng.standard_normal((50, 32, 128)).astype(np.float32))
    contenders = {"ours": (lambda: bench.ours_step(model, x, r), 1),
                  "numpy": (lambda: bench.numpy_step(model, x, r), 1)}
    if torch is not None:
        contenders["torch"] = (bench.torch_setup(model, x, r), 1)
    return contenders


# name -> (contenders: name -> (step, calls per turn), target, ops a step: times are per op)
BENCHES = {"W1": (w1, 1.5, 1), "W2": (w2, 1.15, 1), "chain": (chain, None, CHAIN),
           "LSTM": (lstm, 1.1, 1)}


def measure(rounds, use_torch, only=None):
    import tinygrad_nndl as tg
    torch = optional_torch(use_torch)
    results = {}
    for name, (contenders, _, ops) in BENCHES.items():
        if not only or name in only:
            times = interleaved(contenders(tg, torch), rounds)
            results[name] = {k: t / ops for k, t in times.items()}
    return results


def table(results, label=""):
    print(f"\n{label}| benchmark | ours | numpy | torch | ours / numpy | ours / torch | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, r in results.items():
        target = BENCHES[name][1]
        ours, t = r["ours"], r.get("torch")
        goal = f"<= {target}x numpy" if target else "<= 0.45x torch"
        torch_time = "-" if t is None else f"{t * 1e6:.1f} us"
        vs_torch = "-" if t is None else f"{ours / t:.2f}x"
        print(f"| {name} | {ours * 1e6:.1f} us | {r['numpy'] * 1e6:.1f} us | {torch_time} | "
              f"{ours / r['numpy']:.2f}x | {vs_torch} | {goal} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds per benchmark")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--against", metavar="DIR",
                   help="another checkout of tinygrad_nndl (the folder holding its package): "
                        "both are measured in turn, three times each, and compared")
    p.add_argument("--only", nargs="+", choices=list(BENCHES), help="run just these benchmarks")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.json:
        print(json.dumps(measure(args.rounds, not args.no_torch, args.only)))
        return
    if not args.against:
        table(measure(args.rounds, not args.no_torch, args.only))
        return
    trees = {"before": str(Path(args.against).resolve()), "after": str(HERE.parent)}
    runs = {name: [] for name in trees}
    for _ in range(3):
        for name, tree in trees.items():
            env = dict(os.environ, PYTHONPATH=tree)
            out = subprocess.run([sys.executable, __file__, "--json", "--rounds",
                                  str(args.rounds)] + (["--no-torch"] if args.no_torch else [])
                                 + (["--only", *args.only] if args.only else []),
                                 env=env, capture_output=True, text=True, check=True, cwd=tree)
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for name, results in runs.items():
        merged = {b: {k: float(np.median([r[b][k] for r in results])) for k in results[0][b]}
                  for b in results[0]}
        table(merged, f"{name} ({trees[name]})\n")


if __name__ == "__main__":
    main()
