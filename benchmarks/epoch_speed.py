"""One epoch of chapter 1's network, ours against hand-written numpy and PyTorch.

    python benchmarks/epoch_speed.py [--data-dir DIR] [--repeats 3] [--profile]

The network is the book's [784, 30, 10] with sigmoid neurons, the quadratic
cost and plain SGD (eta 3.0, mini-batches of 10) over the 50,000 training
images of the book's split. Every implementation starts from the same
weights and visits the same mini-batches in the same order, so after the
epoch their weights must agree up to float32 rounding (printed as a check).

- ours: the PyTorch-style loop (DataLoader, model, quadratic_cost, backward, SGD.step)
- numpy: the same backpropagation written by hand, vectorized over the
  mini-batch (BP1-BP4 as matrix products): the speed a library is held to
- book loop: the book's network.py algorithm, one example at a time
  (timed on 2,000 examples and scaled to 50,000)
- torch: PyTorch eager with the same loop, when PyTorch is installed

Target: ours <= 1.5x numpy (aim 1.2x). The table gives the best of ``--repeats`` epochs.
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

# One BLAS thread: on a shared 2-core machine OpenBLAS's threads spin against
# other processes and make single runs 10x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parents[1]))   # this checkout, unless PYTHONPATH names another
import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn, optim  # noqa: E402
from tinygrad_nndl.data import MNIST, DataLoader, TensorDataset  # noqa: E402
from tinygrad_nndl.nn import functional as F  # noqa: E402
from tinygrad_nndl.ops.elementwise import stable_sigmoid  # noqa: E402

SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
SIZES, ETA, BATCH, N_TRAIN = (784, 30, 10), 3.0, 10, 50_000
NP = "numpy, hand-written"


def load(data_dir):
    """The book's training and validation images (flattened, float32 in [0, 1])
    and one-hot targets, as its ``mnist_loader.load_data_wrapper`` gives them."""
    ds = MNIST(data_dir)
    x = ds.data.reshape(len(ds), -1).astype(np.float32) / np.float32(255)
    onehot = np.eye(10, dtype=np.float32)[ds.targets]
    return (x[:N_TRAIN], onehot[:N_TRAIN]), (x[N_TRAIN:], ds.targets[N_TRAIN:])


def initial_weights(seed):
    """The book's N(0, 1) weights and biases (network.py), as numpy arrays."""
    tg.manual_seed(seed)
    model = build_ours()
    return [p.data.copy() for p in model.parameters()]   # w1, b1, w2, b2


def build_ours():
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.Sigmoid(),
                          nn.Linear(SIZES[1], SIZES[2]), nn.Sigmoid())
    return nn.init.book_large_init_(model)


def accuracy(weights, x, labels):
    w1, b1, w2, b2 = weights
    a = stable_sigmoid(stable_sigmoid(x @ w1.T + b1) @ w2.T + b2)
    return float((a.argmax(1) == labels).mean())


# ----- the implementations: each runs one epoch from `weights` in `order` ----
def epoch_ours(weights, train, order_seed):
    model = build_ours()
    with tg.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(w)
    optimizer = optim.SGD(model.parameters(), lr=ETA)
    loader = DataLoader(TensorDataset(*train), batch_size=BATCH, shuffle=True, seed=order_seed)
    start = time.perf_counter()
    for x, y in loader:
        loss = F.quadratic_cost(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    return seconds, [p.data.copy() for p in model.parameters()]


def epoch_numpy(weights, train, order_seed):
    """Hand-written mini-batch backpropagation: rows are examples."""
    w1, b1, w2, b2 = [w.copy() for w in weights]
    x_all, y_all = train
    order = np.random.default_rng(order_seed).permutation(len(x_all))   # the loader's order
    step = np.float32(ETA / BATCH)
    start = time.perf_counter()
    for k in range(0, len(order), BATCH):
        idx = order[k:k + BATCH]
        x, y = x_all[idx], y_all[idx]
        a1 = stable_sigmoid(x @ w1.T + b1)
        a2 = stable_sigmoid(a1 @ w2.T + b2)
        d2 = (a2 - y) * a2 * (1 - a2)            # BP1
        d1 = (d2 @ w2) * a1 * (1 - a1)           # BP2
        w2 -= step * (d2.T @ a1)                 # BP4, summed over the mini-batch
        b2 -= step * d2.sum(0)                   # BP3
        w1 -= step * (d1.T @ x)
        b1 -= step * d1.sum(0)
    return time.perf_counter() - start, [w1, b1, w2, b2]


def epoch_book_loop(weights, train, order_seed, n_examples=2000):
    """network.py's update_mini_batch: backprop one column-vector example at a
    time, float64 as in the book. Returns the time scaled to a full epoch."""
    w = [weights[0].astype(np.float64), weights[2].astype(np.float64)]
    b = [weights[1].astype(np.float64)[:, None], weights[3].astype(np.float64)[:, None]]
    x_all, y_all = train
    order = np.random.default_rng(order_seed).permutation(len(x_all))[:n_examples]
    start = time.perf_counter()
    for k in range(0, len(order), BATCH):
        nabla_w = [np.zeros_like(m) for m in w]
        nabla_b = [np.zeros_like(v) for v in b]
        for i in order[k:k + BATCH]:
            activation = x_all[i].astype(np.float64)[:, None]
            activations, zs = [activation], []
            for wl, bl in zip(w, b):
                z = wl @ activation + bl
                zs.append(z)
                activation = 1.0 / (1.0 + np.exp(-z))
                activations.append(activation)
            sp = activations[-1] * (1 - activations[-1])
            delta = (activations[-1] - y_all[i][:, None]) * sp
            dw, db = [None, None], [None, None]
            dw[1], db[1] = delta @ activations[-2].T, delta
            sp = activations[1] * (1 - activations[1])
            delta = (w[1].T @ delta) * sp
            dw[0], db[0] = delta @ activations[0].T, delta
            nabla_w = [n + d for n, d in zip(nabla_w, dw)]
            nabla_b = [n + d for n, d in zip(nabla_b, db)]
        w = [wl - (ETA / BATCH) * n for wl, n in zip(w, nabla_w)]
        b = [bl - (ETA / BATCH) * n for bl, n in zip(b, nabla_b)]
    return (time.perf_counter() - start) * len(x_all) / n_examples, None


def epoch_torch(weights, train, order_seed):
    import torch
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Sigmoid(),
                                torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.Sigmoid())
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    optimizer = torch.optim.SGD(model.parameters(), lr=ETA)
    x_all, y_all = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    order = torch.from_numpy(np.random.default_rng(order_seed).permutation(len(x_all)))
    start = time.perf_counter()
    for k in range(0, len(order), BATCH):
        idx = order[k:k + BATCH]
        x, y = x_all[idx], y_all[idx]
        loss = 0.5 * ((model(x) - y) ** 2).sum() / len(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    return seconds, [p.detach().numpy().copy() for p in model.parameters()]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(SHARED_MNIST),
                   help="folder with MNIST's IDX gz files (default: ../shared/data/mnist)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true",
                   help="also print a cProfile of our epoch (top functions by own time)")
    args = p.parse_args()

    train, (vx, vy) = load(args.data_dir)
    weights = initial_weights(args.seed)
    runs = {"ours (tinygrad_nndl)": epoch_ours, NP: epoch_numpy}
    try:
        import torch
        # One thread, like numpy on these small matrices; more threads only
        # add synchronization (and spin badly when the cores are shared).
        torch.set_num_threads(1)
        runs[f"PyTorch {torch.__version__} eager (1 thread)"] = epoch_torch
    except ImportError:
        pass
    runs["book's per-example loop (network.py)"] = epoch_book_loop

    best, final = {}, {}
    for _ in range(args.repeats):   # interleaved, so that drifts hit every contender alike
        for name, run in runs.items():
            seconds, result = run(weights, train, args.seed)
            best[name] = min(best.get(name, np.inf), seconds)
            final[name] = result
    base = best[NP]
    print(f"One epoch of [784, 30, 10], quadratic cost, SGD eta {ETA}, mini-batch {BATCH}, "
          f"{N_TRAIN} images (best of {args.repeats})\n")
    print("| implementation | s / epoch | vs numpy | validation accuracy after the epoch |")
    print("| --- | ---: | ---: | ---: |")
    for name in runs:
        acc = (f"{100 * accuracy(final[name], vx, vy):.2f}%" if final[name]
               else "(timed on 2,000 examples)")
        print(f"| {name} | {best[name]:.3f} | {best[name] / base:.2f}x | {acc} |")
    ratio = best["ours (tinygrad_nndl)"] / base
    print(f"\nours / numpy = {ratio:.2f} (target <= 1.5x numpy (aim 1.2x): "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")
    diffs = ", ".join(
        f"{name.split(' (')[0]} {max(float(np.abs(a - b).max()) for a, b in zip(w, final[NP])):.1e}"
        for name, w in final.items() if w is not None and name != NP)
    print(f"largest weight difference from numpy after the epoch: {diffs} (float32 rounding, "
          f"amplified over 5,000 steps)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        epoch_ours(weights, train, args.seed)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())


if __name__ == "__main__":
    main()
