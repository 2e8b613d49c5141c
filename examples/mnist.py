"""Train the book's network, PyTorch style: the main job of this repository.

    python examples/mnist.py                               # embedded 8x8 digits, seconds
    python examples/mnist.py --dataset mnist --data-dir DIR --sizes 784 30 10
    python examples/mnist.py --dataset mnist --download    # fetch MNIST into ./data
    python examples/mnist.py --dataset mnist --data-dir DIR --sizes 784 100 10 \\
        --cost cross-entropy --eta 0.5 --lmbda 5.0         # chapter 3's network

Chapter 1's stochastic gradient descent, written as an explicit loop: a
DataLoader of shuffled mini-batches, a forward pass, the cost, ``backward()``
(backpropagation: BP1-BP4) and ``optimizer.step()`` (w -> w - (eta/m) sum dC/dw).
After each epoch it prints the book's line ("Epoch 3: 9412 / 10000", on the
validation set); at the end the test accuracy. It saves a checkpoint
(``tinygrad_nndl.save``) and a plot of accuracy and cost per epoch in
``--out-dir`` (runs/mnist/ by default).

The costs (``--cost``), with z the output layer's weighted input:
  quadratic      sigmoid output, C = (1/2n) sum ||a - y||^2 (chapter 1, eq. 6)
  cross-entropy  sigmoid output, C = -(1/n) sum [y ln a + (1-y) ln(1-a)] (eq. 63),
                 computed from z so that delta = a - y exactly (eq. 66)
  softmax        softmax output with the log-likelihood C = -ln a_y (eq. 78-80)
The model ends at z; the output activation is part of the cost, as in the
book's ``delta`` methods. ``--lmbda`` adds the L2 term (lambda/2n) sum w^2 as
``SGD(weight_decay=lambda/n)`` on the weights (eq. 93; biases are not decayed).
"""
import _cli
import json
import sys
import time
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.data import (MNIST, DataLoader, DownloadError, FashionMNIST, book_split,
                                digits_split)
from tinygrad_nndl.nn import functional as F

try:
    import matplotlib
    from tqdm import tqdm
except ImportError as e:
    sys.exit(f"examples/mnist.py needs matplotlib and tqdm ({e.name} is missing): "
             f"pip install 'tinygrad_nndl[examples]'")
matplotlib.use("Agg")

COSTS = ("quadratic", "cross-entropy", "softmax")


def parse_args(argv=None):
    p = _cli.parser(__doc__)
    p.add_argument("--dataset", choices=("digits", "mnist", "fashion-mnist"), default="digits",
                   help="The data set: digits is scikit-learn's 8x8 digits (no download); "
                        "mnist and fashion-mnist read the IDX gz files.")
    p.add_argument("--data-dir", default="data",
                   help="The folder holding the IDX gz files, or their mnist/ or "
                        "fashion-mnist/ subfolder.")
    p.add_argument("--download", action="store_true",
                   help="Fetch missing MNIST files into --data-dir (SHA-256 checked).")
    p.add_argument("--sizes", type=int, nargs="+", default=None,
                   help="The layer sizes, as the book's Network([...]); by default "
                        "<inputs> 30 10, e.g. 784 30 10 for MNIST.")
    p.add_argument("--epochs", type=int, default=30, help="Passes over the training set.")
    p.add_argument("--batch-size", type=int, default=10, help="The mini-batch size m.")
    p.add_argument("--eta", type=float, default=3.0, help="The learning rate eta.")
    p.add_argument("--cost", choices=COSTS, default="quadratic",
                   help="The cost and output layer (see the costs above the code).")
    p.add_argument("--lmbda", type=float, default=0.0,
                   help="The L2 regularization lambda (weight_decay = lambda / n).")
    p.add_argument("--init", choices=("large", "default"), default="large",
                   help="The weight initialization: large is N(0, 1) (chapter 1), default "
                        "is N(0, 1/n_in) (chapter 3); biases are N(0, 1) in both.")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="The dropout probability on the hidden layers' outputs.")
    p.add_argument("--seed", type=int, default=0,
                   help="The seed of the initialization and of the mini-batch order.")
    p.add_argument("--out-dir", "--out", dest="out_dir", default="runs/mnist",
                   help="The folder the checkpoint, plot and history are written to, as "
                        "<dataset>.npz, .png and .json.")
    p.add_argument("--no-progress", action="store_true", help="Hide the tqdm progress bars.")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.eta <= 0:
        p.error("--epochs and --batch-size must be >= 1 and --eta > 0")
    if not 0 <= args.dropout < 1:
        p.error(f"--dropout must be in [0, 1), got {args.dropout}")
    return args


def load_data(args):
    """(train, validation, test) datasets: the book's 50,000 / 10,000 / 10,000
    split for MNIST, a fixed 1197 / 300 / 300 split of the digits."""
    if args.dataset == "digits":
        return digits_split(seed=0)
    cls = MNIST if args.dataset == "mnist" else FashionMNIST
    full = cls(args.data_dir, train=True, download=args.download)
    train, valid = book_split(full)
    return train, valid, cls(args.data_dir, train=False, download=args.download)


def build_model(sizes, init, dropout):
    """The book's Network(sizes): sigmoid hidden layers, the output layer's z last."""
    layers = [nn.Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.Sigmoid())
            if dropout:
                layers.append(nn.Dropout(dropout))
    model = nn.Sequential(*layers)
    (nn.init.book_large_init_ if init == "large" else nn.init.book_default_init_)(model)
    return model


def cost_function(name):
    """cost(z, labels) -> the mini-batch's mean cost, from the output layer's z."""
    def quadratic(z, labels):
        y = F.one_hot(labels, z.shape[1]).float()
        return F.quadratic_cost(z.sigmoid(), y)

    def cross_entropy(z, labels):
        y = F.one_hot(labels, z.shape[1]).float()
        # Summed over the output neurons, averaged over the examples (eq. 63).
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum") * (1.0 / len(z))

    def log_likelihood(z, labels):
        return F.cross_entropy(z, labels)

    return {"quadratic": quadratic, "cross-entropy": cross_entropy,
            "softmax": log_likelihood}[name]


def evaluate(model, dataset, cost, batch_size=2000):
    """(number correct, number of examples, mean cost) with the network's answer
    the output neuron of highest activation, as the book's ``evaluate``."""
    model.eval()
    correct, total_cost = 0, 0.0
    with tg.no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            z = model(x)
            correct += int((z.argmax(1) == y).sum().item())
            total_cost += cost(z, y).item() * len(y)
    model.train()
    return correct, len(dataset), total_cost / len(dataset)


def make_optimizer(model, eta, lmbda, n_train):
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    others = [p for name, p in model.named_parameters() if not name.endswith("weight")]
    groups = [{"params": weights, "weight_decay": lmbda / n_train}, {"params": others}]
    return optim.SGD(groups, lr=eta)


def plot(history, path, title):
    import matplotlib.pyplot as plt
    epochs = np.arange(len(history["valid_accuracy"]))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, 100 * np.array(history["valid_accuracy"]), label="validation")
    ax1.set(xlabel="epoch", ylabel="accuracy (%)", title="Classification accuracy")
    ax1.legend()
    ax2.plot(epochs, history["train_cost"], label="training (mean over the epoch)")
    ax2.plot(epochs, history["valid_cost"], label="validation")
    ax2.set(xlabel="epoch", ylabel="cost", title="Cost (without the L2 term)")
    ax2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    try:
        train, valid, test = load_data(args)
    except (FileNotFoundError, DownloadError) as e:
        sys.exit(f"{e}\n(examples/mnist.py: point --data-dir at the files, or add --download)")
    n_inputs = int(np.prod(train[0][0].shape))
    sizes = args.sizes or [n_inputs, 30, 10]
    if sizes[0] != n_inputs or sizes[-1] != 10 or len(sizes) < 2:
        sys.exit(f"--sizes {' '.join(map(str, sizes))}: the first size must be the "
                 f"{n_inputs} inputs of {args.dataset} and the last the 10 classes")
    model = build_model(sizes, args.init, args.dropout)
    cost = cost_function(args.cost)
    optimizer = make_optimizer(model, args.eta, args.lmbda, len(train))
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    print(f"{args.dataset}: {len(train)} training, {len(valid)} validation, {len(test)} test "
          f"images; network {sizes}, {args.cost} cost, eta {args.eta}, "
          f"mini-batch {args.batch_size}, lambda {args.lmbda}, {args.init} init"
          + (f", dropout {args.dropout}" if args.dropout else ""))

    history = {"train_cost": [], "valid_cost": [], "valid_accuracy": [], "seconds": []}
    for epoch in range(args.epochs):
        start, running = time.perf_counter(), 0.0
        for x, y in tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=args.no_progress):
            loss = cost(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
        seconds = time.perf_counter() - start
        correct, n, valid_cost = evaluate(model, valid, cost)
        history["train_cost"].append(running / len(train))
        history["valid_cost"].append(valid_cost)
        history["valid_accuracy"].append(correct / n)
        history["seconds"].append(seconds)
        print(f"Epoch {epoch}: {correct} / {n}  (cost {valid_cost:.4f}, {seconds:.2f} s)",
              flush=True)

    correct, n, _ = evaluate(model, test, cost)
    history["test_accuracy"] = correct / n
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / args.dataset
    tg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "sizes": sizes, "epochs": args.epochs, "args": vars(args)}, stem.with_suffix(".npz"))
    plot(history, stem.with_suffix(".png"), f"{args.dataset}: network {sizes}, {args.cost} "
         f"cost, eta {args.eta}, lambda {args.lmbda}")
    stem.with_suffix(".json").write_text(json.dumps({"args": vars(args), "sizes": sizes,
                                                     **history}, indent=1))
    print(f"Test accuracy: {correct} / {n} ({100 * correct / n:.2f}%); best validation "
          f"{100 * max(history['valid_accuracy']):.2f}%; "
          f"{np.mean(history['seconds']):.2f} s per epoch")
    print(f"Saved {stem}.npz (model and optimizer state dicts), {stem}.png (plot), "
          f"{stem}.json (history)")
    return history


if __name__ == "__main__":
    main()
