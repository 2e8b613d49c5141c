"""The book's chapter 6 networks (network3.py) on numpy, built from torch.nn's modules.

    python examples/network3.py                          # conv net, 3 epochs on 5,000 images
    python examples/network3.py --net conv2 --epochs 2   # two conv-pool layers
    python examples/network3.py --list                   # the networks and the book's figures

Full runs of the book (MNIST 50,000 / 10,000 / 10,000, mini-batch 10):

    python examples/network3.py --net shallow  --epochs 60 --limit 0   # 97.80% in the book
    python examples/network3.py --net conv     --epochs 60 --limit 0   # 98.78%
    python examples/network3.py --net conv2    --epochs 60 --limit 0   # 99.06%
    python examples/network3.py --net relu     --epochs 60 --limit 0   # 99.23%
    python examples/network3.py --net expanded --epochs 60 --limit 0   # 99.37%
    python examples/network3.py --net expanded-fc2 --epochs 60 --limit 0  # 99.43%
    python examples/network3.py --net dropout  --epochs 40 --limit 0   # 99.60%

(``--eta`` and ``--lmbda`` default to the book's values for each network.)

network3.py's layers, as modules:

- ``ConvPoolLayer``: ``Conv2d(c, maps, 5)``, ``MaxPool2d(2)``, then the
  activation. network3 adds the bias after pooling; a bias shared by the
  window commutes with the max, so this is the same function.
- ``FullyConnectedLayer(p_dropout)``: ``Dropout(p)`` on its input, ``Linear``,
  the activation. network3 drops inputs in training and scales the weights by
  (1 - p) at test time; inverted dropout (nn.Dropout) scales the survivors
  by 1/(1 - p) in training instead: the same expected network.
- ``SoftmaxLayer``: ``Dropout(p)``, ``Linear``; the softmax and the
  log-likelihood cost are F.cross_entropy (-mean of ln a_y over the batch).

Initialization as network3: weights N(0, 1/n_out) with n_out the number of
outputs a unit feeds (for a conv-pool layer filters * 5 * 5 / (2 * 2)),
biases N(0, 1); the softmax layer starts at zero.

L2 as network3's cost: C = mean log-likelihood + (lambda / 2) sum w^2 /
num_training_batches, with num_training_batches = n / m: the penalty's
gradient is lambda * m / n * w per step, on every layer's weights (not the
biases). Here that is SGD's weight decay lambda * m / n on the weights.

One difference: network3 visits the mini-batches in the same order every
epoch; this script reshuffles each epoch (PyTorch's DataLoader(shuffle=True)).
The reported accuracy is the book's: the test accuracy at the epoch of best
validation accuracy (a later epoch wins ties, as network3's ``>=``).
"""
import argparse
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import data, nn, optim
from tinygrad_nndl.data import MNIST, DataLoader, TensorDataset
from tinygrad_nndl.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"

# name: (what, layers, eta, lmbda, book epochs, expanded data, book's test accuracy)
# layers: ("conv", maps) | ("fc", n_out, p_dropout) | ("softmax", p_dropout)
NETS = OrderedDict([
    ("shallow", ("FC 100 sigmoid, softmax", [("fc", 100, 0.0), ("softmax", 0.0)],
                 "sigmoid", 0.1, 0.0, 60, False, 97.80)),
    ("conv", ("conv 20x5x5 + 2x2 max-pool, FC 100 sigmoid, softmax",
              [("conv", 20), ("fc", 100, 0.0), ("softmax", 0.0)], "sigmoid", 0.1, 0.0, 60,
              False, 98.78)),
    ("conv2", ("two conv-pool layers (20 then 40 maps), FC 100 sigmoid, softmax",
               [("conv", 20), ("conv", 40), ("fc", 100, 0.0), ("softmax", 0.0)], "sigmoid",
               0.1, 0.0, 60, False, 99.06)),
    ("relu", ("conv2 with ReLU everywhere, eta 0.03, L2 lambda 0.1",
              [("conv", 20), ("conv", 40), ("fc", 100, 0.0), ("softmax", 0.0)], "relu",
              0.03, 0.1, 60, False, 99.23)),
    ("expanded", ("relu on the training data expanded by one-pixel shifts (250,000)",
                  [("conv", 20), ("conv", 40), ("fc", 100, 0.0), ("softmax", 0.0)], "relu",
                  0.03, 0.1, 60, True, 99.37)),
    ("expanded-fc2", ("expanded + a second FC layer of 100",
                      [("conv", 20), ("conv", 40), ("fc", 100, 0.0), ("fc", 100, 0.0),
                       ("softmax", 0.0)], "relu", 0.03, 0.1, 60, True, 99.43)),
    ("dropout", ("expanded, two FC layers of 1000 with dropout 0.5, 40 epochs",
                 [("conv", 20), ("conv", 40), ("fc", 1000, 0.5), ("fc", 1000, 0.5),
                  ("softmax", 0.5)], "relu", 0.03, 0.0, 40, True, 99.60)),
])

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def conv_pool_layer(in_maps, maps, activation):
    return nn.Sequential(OrderedDict([("conv", nn.Conv2d(in_maps, maps, 5)),
                                      ("pool", nn.MaxPool2d(2)),
                                      ("act", ACTIVATIONS[activation]())]))


def fully_connected_layer(n_in, n_out, activation, p_dropout):
    parts = [("dropout", nn.Dropout(p_dropout))] if p_dropout else []
    parts += [("fc", nn.Linear(n_in, n_out)), ("act", ACTIVATIONS[activation]())]
    return nn.Sequential(OrderedDict(parts))


def softmax_layer(n_in, n_out, p_dropout):
    """The output layer's z; the softmax is in the cost (F.cross_entropy)."""
    parts = [("dropout", nn.Dropout(p_dropout))] if p_dropout else []
    return nn.Sequential(OrderedDict(parts + [("fc", nn.Linear(n_in, n_out))]))


def build(name):
    """The network ``name`` of NETS, initialized as network3."""
    _, layers, activation, *_ = NETS[name]
    modules, maps, side, flat = [], 1, 28, None
    for spec in layers:
        if spec[0] == "conv":
            modules.append(conv_pool_layer(maps, spec[1], activation))
            maps, side = spec[1], (side - 4) // 2
            continue
        if flat is None:
            modules.append(nn.Flatten())
            flat = maps * side * side
        if spec[0] == "fc":
            modules.append(fully_connected_layer(flat, spec[1], activation, spec[2]))
            flat = spec[1]
        else:
            modules.append(softmax_layer(flat, 10, spec[1]))
    return network3_init_(nn.Sequential(*modules))


def network3_init_(model):
    """network3.py's initialization: weights N(0, 1/n_out), biases N(0, 1);
    for a conv-pool layer n_out = filters * kh * kw / pool area; the last
    (softmax) layer's weights and biases zero."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for block in model:
        conv = getattr(block, "conv", None)
        if conv is not None:
            pool = block.pool.kernel_size
            n_out = conv.out_channels * np.prod(conv.kernel_size) / np.prod(
                (pool, pool) if isinstance(pool, int) else pool)
            nn.init.normal_(conv.weight, 0.0, 1.0 / np.sqrt(n_out))
            nn.init.normal_(conv.bias)
    for layer in linears[:-1]:
        nn.init.normal_(layer.weight, 0.0, 1.0 / np.sqrt(layer.out_features))
        nn.init.normal_(layer.bias)
    nn.init.zeros_(linears[-1].weight)
    nn.init.zeros_(linears[-1].bias)
    return model


def make_optimizer(model, eta, lmbda, batch_size, n_train):
    """SGD with network3's L2: lambda / 2 * sum w^2 / (n / m) in the cost."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
    return optim.SGD([{"params": weights, "weight_decay": lmbda * batch_size / n_train},
                      {"params": biases}], lr=eta)


def to_torch(model):
    """The same network in PyTorch (same module names, so state dicts move
    unchanged), for comparisons; needs torch."""
    import torch
    mapping = {nn.Conv2d: lambda m: torch.nn.Conv2d(m.in_channels, m.out_channels,
                                                    m.kernel_size),
               nn.MaxPool2d: lambda m: torch.nn.MaxPool2d(m.kernel_size),
               nn.Linear: lambda m: torch.nn.Linear(m.in_features, m.out_features),
               nn.Dropout: lambda m: torch.nn.Dropout(m.p),
               nn.Sigmoid: lambda m: torch.nn.Sigmoid(), nn.ReLU: lambda m: torch.nn.ReLU(),
               nn.Flatten: lambda m: torch.nn.Flatten()}

    def convert(m):
        if isinstance(m, nn.Sequential):
            return torch.nn.Sequential(OrderedDict((n, convert(c)) for n, c in m.named_children()))
        return mapping[type(m)](m)

    out = convert(model)
    out.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in model.state_dict().items()})
    return out


def load(data_dir, limit, expanded):
    """(train, validation, test) TensorDatasets of (N, 1, 28, 28) float32 images."""
    full = MNIST(data_dir)
    test = MNIST(data_dir, train=False)

    def arrays(ds, idx=None):
        x = ds.data if idx is None else ds.data[idx]
        y = ds.targets if idx is None else ds.targets[idx]
        return (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28), y

    train_idx = np.arange(50_000 if not limit else min(limit, 50_000))
    x, y = arrays(full, train_idx)
    if expanded:
        x, y = data.expand_by_shifts(x, y)
    vx, vy = arrays(full, np.arange(50_000, 60_000))
    tx, ty = arrays(test)
    return (TensorDataset(tg.tensor(x), tg.tensor(y)), TensorDataset(tg.tensor(vx), tg.tensor(vy)),
            TensorDataset(tg.tensor(tx), tg.tensor(ty)))


def accuracy(model, dataset, batch_size=1000):
    model.eval()
    correct = 0
    with tg.no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            correct += int((model(x).argmax(1) == y).sum().item())
    model.train()
    return 100.0 * correct / len(dataset)


def train(name, epochs, eta, lmbda, batch_size, seed, data, log=print, on_epoch=None):
    """Train the network; returns the history of validation and test accuracy
    (also handed to ``on_epoch`` after every epoch, so a long run can be saved
    as it goes)."""
    tg.manual_seed(seed)
    model = build(name)
    train_set, valid, test = data
    optimizer = make_optimizer(model, eta, lmbda, batch_size, len(train_set))
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=seed)
    history = {"valid": [], "test": [], "seconds": []}
    for epoch in range(epochs):
        start = time.perf_counter()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history["seconds"].append(time.perf_counter() - start)
        history["valid"].append(accuracy(model, valid))
        history["test"].append(accuracy(model, test))
        log(f"Epoch {epoch}: validation accuracy {history['valid'][-1]:.2f}%, test "
            f"{history['test'][-1]:.2f}% ({history['seconds'][-1]:.1f} s)")
        if on_epoch is not None:
            on_epoch(history)
    return model, history


def test_at_best_validation(history):
    """network3's figure: the test accuracy at the (last) best validation epoch."""
    valid = np.asarray(history["valid"])
    best = int(np.flatnonzero(valid == valid.max())[-1])
    return best, history["test"][best]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Networks:\n" + "\n".join(
                                    f"  {k:13s} {v[0]} (book: {v[7]:.2f}%, {v[5]} epochs)"
                                    for k, v in NETS.items()))
    p.add_argument("--net", choices=list(NETS), default="conv",
                   help="Which of the book's networks to train (default: conv).")
    p.add_argument("--epochs", type=int, default=3,
                   help="Epochs to train (default 3; the book trains 60, or 40 for dropout).")
    p.add_argument("--eta", type=float, default=None,
                   help="Learning rate (default: the book's for --net).")
    p.add_argument("--lmbda", type=float, default=None,
                   help="L2 lambda as in network3's cost (default: the book's for --net).")
    p.add_argument("--batch-size", type=int, default=10,
                   help="Mini-batch size (default 10, the book's).")
    p.add_argument("--seed", type=int, default=0,
                   help="Seed of the initialization and the shuffling (default 0).")
    p.add_argument("--limit", type=int, default=5000,
                   help="Train on the first N of the 50,000 training images (before "
                        "expansion); 0 means all (default 5000, for a run under a minute).")
    p.add_argument("--data-dir", default=str(DEFAULT_DATA),
                   help="Folder with MNIST's IDX gz files (default: ../shared/data/mnist).")
    p.add_argument("--list", action="store_true", help="List the networks and exit.")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.limit < 0:
        p.error("--epochs and --batch-size must be >= 1, --limit >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for k, v in NETS.items():
            print(f"{k:13s} {v[0]}: eta {v[3]}, lambda {v[4]}, {v[5]} epochs, book {v[7]:.2f}%")
        return
    what, _, _, eta, lmbda, book_epochs, expanded, book = NETS[args.net]
    eta = eta if args.eta is None else args.eta
    lmbda = lmbda if args.lmbda is None else args.lmbda
    try:
        data = load(args.data_dir, args.limit, expanded)
    except FileNotFoundError as e:
        sys.exit(f"{e}\n(examples/network3.py: point --data-dir at MNIST's IDX files)")
    print(f"{args.net}: {what}; {len(data[0])} training images, eta {eta}, lambda {lmbda}, "
          f"mini-batch {args.batch_size}, {args.epochs} epochs (the book: {book_epochs}, "
          f"{book:.2f}%)")
    model, history = train(args.net, args.epochs, eta, lmbda, args.batch_size, args.seed, data)
    best, acc = test_at_best_validation(history)
    print(f"Best validation accuracy {history['valid'][best]:.2f}% at epoch {best}; "
          f"corresponding test accuracy {acc:.2f}%")


if __name__ == "__main__":
    main()
