"""Rerun the book's MNIST experiments and print our numbers beside its figures.

    python benchmarks/book_numbers.py [--data-dir DIR] [--seeds 3] [--epochs N]
                                      [--only ch1-30 ch3-l2 ...]

The data is real MNIST split as the book's ``mnist.pkl.gz``: the first
50,000 training images for training, the last 10,000 for validation, t10k
for test. Each experiment trains with examples/mnist.py's loop (same model,
costs and optimizer) for every seed and records, after each epoch, the
accuracy on validation and test. The book's figure is compared with the
quantity the book reports:

- ch1-30, ch1-100 (chapter 1, network.py: quadratic cost, N(0, 1) init,
  eta 3.0, mini-batch 10, 30 epochs): the best epoch's test accuracy (the
  book: "95.42 percent at its peak"; 96.59 with 100 hidden neurons).
- ch3-l2 (chapter 3, network2.py: cross-entropy, N(0, 1) init, eta 0.5,
  lambda 5.0, 30 epochs): the final validation accuracy (97.92).
- softmax (chapter 6, network3.py's shallow net: sigmoid hidden layer of 100,
  softmax output with the log-likelihood cost, eta 0.1, 60 epochs; hidden
  weights N(0, 1/n_out), biases N(0, 1), output layer zero): the test
  accuracy at the epoch of best validation accuracy (97.80).

- ch6-conv ... ch6-dropout (chapter 6, network3.py's convolutional networks,
  examples/network3.py: mini-batch 10, the book's eta, lambda and epochs; see
  its docstring for the layers, the initialization and the L2 convention):
  the test accuracy at the epoch of best validation accuracy (98.78, 99.06,
  99.23, 99.37 on the expanded data, 99.43, 99.60 with dropout). The book
  reports the best of three runs. Where two epochs tie for the best
  validation accuracy the later one counts, as network3's ``>=``.

Chapter 6's full runs are long on two cores (the conv rows 12-20 s an epoch
on a free core, 12-20 minutes a seed; the expanded rows 5x that): run them
one row at a time, and seeds side by side in separate processes,

    python benchmarks/book_numbers.py --only ch6-conv --seeds 3 --json ch6-conv.json
    python benchmarks/book_numbers.py --only ch6-relu --seeds 1 --first-seed 1 --json s1.json
    python benchmarks/book_numbers.py --only ch6-relu --seeds 1 --epochs 20

"best" is the best of the seeds, to compare with the book's figure (the book
reports the best of its runs; within 0.5 points for chapters 1-3, 0.3 for
chapter 6, or better); "mean" is the mean over seeds. Seconds per epoch are
training time only (evaluation excluded), mean over all epochs and seeds.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1]))   # this checkout, unless PYTHONPATH names another
import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl.data import MNIST, DataLoader, book_split

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"

# examples/mnist.py (the model, costs and optimizer of chapters 1-3) and examples/network3.py
# (chapter 6's networks) as modules, so each is defined once; they import examples/_cli.py
sys.path.insert(0, str(ROOT / "examples"))
import mnist as EXAMPLE  # noqa: E402
import network3 as NETWORK3  # noqa: E402

# name: (description, sizes, cost, init, eta, lmbda, epochs, book figure, metric)
EXPERIMENTS = {
    "ch1-30": ("ch. 1: [784, 30, 10], quadratic, eta 3.0", [784, 30, 10], "quadratic",
               "large", 3.0, 0.0, 30, 95.42, "best test"),
    "ch1-100": ("ch. 1: [784, 100, 10], quadratic, eta 3.0", [784, 100, 10], "quadratic",
                "large", 3.0, 0.0, 30, 96.59, "best test"),
    "ch3-l2": ("ch. 3: [784, 100, 10], cross-entropy, eta 0.5, lambda 5.0", [784, 100, 10],
               "cross-entropy", "large", 0.5, 5.0, 30, 97.92, "final validation"),
    "softmax": ("ch. 6: [784, 100, 10], softmax + log-likelihood, eta 0.1", [784, 100, 10],
                "softmax", "network3", 0.1, 0.0, 60, 97.80, "test at best validation"),
}
METRICS = {
    "best test": lambda h: max(h["test"]),
    "final validation": lambda h: h["valid"][-1],
    "test at best validation": lambda h: NETWORK3.test_at_best_validation(h)[1],   # later ties win
}


CH6 = {f"ch6-{name}": name for name in NETWORK3.NETS if name != "shallow"}
for _key, _name in CH6.items():
    _what, _, _, _eta, _lmbda, _epochs, _expanded, _book = NETWORK3.NETS[_name]
    EXPERIMENTS[_key] = (f"ch. 6: {_what}, eta {_eta}, lambda {_lmbda}", None, "softmax",
                         "network3", _eta, _lmbda, _epochs, _book, "test at best validation")


def run_ch6(name, seed, epochs, data_dir, log, on_epoch, cache={}):
    """One chapter 6 row with examples/network3.py's model, optimizer and loop."""
    net = CH6[name]
    _, _, _, eta, lmbda, book_epochs, expanded, _ = NETWORK3.NETS[net]
    if expanded not in cache:
        cache[expanded] = NETWORK3.load(data_dir, 0, expanded)
    _, history = NETWORK3.train(net, epochs or book_epochs, eta, lmbda, 10, seed,
                                cache[expanded], log=lambda msg: log(f"{name} seed {seed} {msg}"),
                                on_epoch=on_epoch)
    return history


def run(name, seed, epochs, data, log, on_epoch):
    _, sizes, cost_name, init, eta, lmbda, book_epochs, _, _ = EXPERIMENTS[name]
    epochs = epochs or book_epochs
    train, valid, test = data
    tg.manual_seed(seed)
    model = EXAMPLE.build_model(sizes, "large" if init == "network3" else init, dropout=0)
    if init == "network3":
        NETWORK3.network3_init_(model)   # chapter 6's initialization (examples/network3.py)
    cost = EXAMPLE.cost_function(cost_name)
    optimizer = EXAMPLE.make_optimizer(model, eta, lmbda, len(train))
    loader = DataLoader(train, batch_size=10, shuffle=True, seed=seed)
    history = {"valid": [], "test": [], "seconds": []}
    for epoch in range(epochs):
        start = time.perf_counter()
        for x, y in loader:
            loss = cost(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history["seconds"].append(time.perf_counter() - start)
        for split, ds in (("valid", valid), ("test", test)):
            correct, n, _ = EXAMPLE.evaluate(model, ds, cost)
            history[split].append(100.0 * correct / n)
        log(f"{name} seed {seed} epoch {epoch}: validation {history['valid'][-1]:.2f}%, "
            f"test {history['test'][-1]:.2f}% ({history['seconds'][-1]:.2f} s)")
        on_epoch(history)
    return history


def save_json(path, results, name=None, running=None):
    """Every finished run, and the one in progress (its epochs so far), as JSON:
    written beside and then moved over ``path``, so that an interrupted write
    leaves the previous file whole."""
    if path is None:
        return
    out = {k: list(v) for k, v in results.items()}
    if running is not None:
        out.setdefault(name, []).append(running)
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(out, indent=1))
    os.replace(tmp, path)


def table(results, epochs_override):
    lines = ["| experiment | epochs | book | reported as | ours: best seed | ours: mean "
             "| seeds | s / epoch |", "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name, runs in results.items():
        desc, _, _, _, _, _, book_epochs, book, metric = EXPERIMENTS[name]
        values = [METRICS[metric](h) for h in runs]
        seconds = np.mean([s for h in runs for s in h["seconds"]])
        lines.append(f"| {desc} | {epochs_override or book_epochs} | {book:.2f}% | {metric} | "
                     f"{max(values):.2f}% | {np.mean(values):.2f}% | {len(values)} | "
                     f"{seconds:.2f} |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(SHARED_MNIST),
                   help="folder with MNIST's IDX gz files (default: ../shared/data/mnist)")
    p.add_argument("--seeds", type=int, default=3, help="how many seeds (default 3)")
    p.add_argument("--first-seed", type=int, default=0,
                   help="seeds run FIRST .. FIRST + N - 1 (default 0), to split seeds over processes")
    p.add_argument("--epochs", type=int, default=None,
                   help="train every experiment this many epochs instead of the book's")
    p.add_argument("--only", nargs="+", choices=list(EXPERIMENTS),
                   default=[k for k in EXPERIMENTS if k not in CH6],
                   help="experiments to run (default: all but chapter 6's, which take hours)")
    p.add_argument("--json", default=None, help="also write every run's history here, "
                   "after every epoch (an interrupted run keeps its epochs so far)")
    p.add_argument("--quiet", action="store_true", help="no line per epoch")
    args = p.parse_args()

    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
    results, data = {}, None
    for name in args.only:
        runs = results[name] = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            def on_epoch(history, name=name):   # a long run is saved as it goes
                save_json(args.json, results, name, history)
            if name in CH6:
                runs.append(run_ch6(name, seed, args.epochs, args.data_dir, log, on_epoch))
            else:
                if data is None:
                    full = MNIST(args.data_dir)
                    data = (*book_split(full), MNIST(args.data_dir, train=False))
                runs.append(run(name, seed, args.epochs, data, log, on_epoch))
            save_json(args.json, results)
    print()
    print(table(results, args.epochs))


if __name__ == "__main__":
    main()
