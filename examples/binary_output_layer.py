"""Exercise 1.3 of the notes: a fourth layer that turns a digit classifier's ten
outputs into the digit's 4-bit binary code.

    python examples/binary_output_layer.py [--mnist [--data-dir ../shared/data]]
                                           [--out-dir runs/binary_output_layer]

Trains a sigmoid network (64-30-10 on scikit-learn's 8x8 digits by default, or
784-30-10 on MNIST with --mnist) with the cross-entropy cost, then appends the
exercise's layer: output neuron j (bit j, j = 0 the least significant) has weight
+c from each old output neuron whose digit has bit j set, -c from the others, and
bias 0. Prints, for several c, the bitwise accuracy on the test set (bits right out
of 4 per image), how often the decoded 4-bit number is the label, and the check
of the exercise's claim: whenever the old outputs meet its assumption (one >= 0.99,
the other nine < 0.01), the code is exactly that digit's once c >= ln(99)/0.9.
Saves a bar chart of the accuracies and the 4x10 weight pattern.
"""
import _cli
import math
import time
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.data import DataLoader, MNIST, TensorDataset, book_split, digits_split
from tinygrad_nndl.nn import functional as F

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def bit_weights():
    """(4, 10): row j is +1 for the digits whose bit j is set, -1 for the others
    (the notes' w_ij transposed into nn.Linear's (out, in) layout)."""
    return np.array([[1.0 if d >> j & 1 else -1.0 for d in range(10)] for j in range(4)])


def binary_layer(c):
    layer = nn.Linear(10, 4)
    with tg.no_grad():
        layer.weight.copy_(c * bit_weights())
        layer.bias.zero_()
    return layer


def load(use_mnist, data_dir):
    """(x_train, y_train, x_test, y_test) as float32 rows and int64 labels."""
    if use_mnist:
        train, _ = book_split(MNIST(data_dir, train=True))
        test = MNIST(data_dir, train=False)
        parts = [train.get_batch(np.arange(len(train))), test.get_batch(np.arange(len(test)))]
    else:
        train, _, test = digits_split(seed=0)
        parts = [ds.get_batch(np.arange(len(ds))) for ds in (train, test)]
    (xtr, ytr), (xte, yte) = [(x.reshape(len(x), -1), y) for x, y in parts]
    return xtr, ytr, xte, yte


def train_classifier(xtr, ytr, hidden, epochs, eta, batch_size):
    net = nn.Sequential(nn.Linear(xtr.shape[1], hidden), nn.Sigmoid(), nn.Linear(hidden, 10),
                        nn.Sigmoid())
    nn.init.book_default_init_(net)
    opt = optim.SGD(net.parameters(), lr=eta)
    loader = DataLoader(TensorDataset(xtr, np.eye(10, dtype=np.float32)[ytr]),
                        batch_size=batch_size, shuffle=True, seed=0)
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            # the book's cross-entropy: summed over the 10 outputs, averaged over the batch
            (F.binary_cross_entropy(net(x), y, reduction="sum") / len(x)).backward()
            opt.step()
    return net


def main(argv=None):
    parser = _cli.parser(__doc__)
    parser.add_argument("--mnist", action="store_true",
                        help="Train on MNIST (784-30-10) instead of the 8x8 digits (64-30-10).")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA),
                        help="The folder holding MNIST's IDX gz files (used with --mnist).")
    parser.add_argument("--epochs", type=int, default=None,
                        help="Training epochs of the classifier; by default 30 on the digits "
                             "and 10 on MNIST.")
    parser.add_argument("--out-dir", default="runs/binary_output_layer",
                        help="The folder the figure is written to.")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tg.manual_seed(0)
    start = time.time()
    xtr, ytr, xte, yte = load(args.mnist, args.data_dir)
    epochs = args.epochs or (3 if args.mnist else 30)
    net = train_classifier(xtr, ytr, hidden=30, epochs=epochs, eta=0.5, batch_size=10)
    with tg.no_grad():
        third = net(tg.tensor(xte))                         # the old output layer
    a = third.data
    name = "MNIST 784-30-10" if args.mnist else "8x8 digits 64-30-10"
    print(f"{name}, {epochs} epochs of SGD (eta 0.5, batches of 10, cross-entropy), "
          f"{time.time() - start:.1f} s")
    print(f"test set: {len(yte)} images; classifier accuracy (argmax of the 10 outputs) "
          f"{np.mean(a.argmax(1) == yte):.4f}")
    confident = (a.max(1) >= 0.99) & (np.sort(a, 1)[:, -2] < 0.01)
    print(f"images meeting the exercise's assumption (one output >= 0.99, nine < 0.01): "
          f"{confident.sum()} ({confident.mean():.1%})")
    true_bits = (yte[:, None] >> np.arange(4)) & 1
    c_min = math.log(99) / 0.9
    print(f"c >= ln(99)/0.9 = {c_min:.2f} makes every bit of an assumption-meeting image "
          f">= 0.99 or <= 0.01")
    print("thresholding a bit at 1/2 reads the sign of z, which c > 0 does not change (Ex 1.1):")
    print("c only sharpens the bits. Bits 'sharp' = within 0.01 of the right 0 or 1.")
    print("     c   bitwise accuracy   code == label   sharp bits (all images)   "
          "assumption-meeting images: code == argmax, all bits sharp")
    results = {}
    for c in (1.0, 2.0, c_min, 10.0, 100.0):
        with tg.no_grad():
            bits = binary_layer(c)(third).sigmoid().data
        hard = (bits >= 0.5).astype(np.int64)
        code = hard @ (1 << np.arange(4))
        bitwise = np.mean(hard == true_bits)
        exact = np.mean(code == yte)
        guaranteed = np.all(code[confident] == a.argmax(1)[confident])
        sharp = np.all((bits[confident] >= 0.99) | (bits[confident] <= 0.01))
        results[c] = (bitwise, exact, np.mean(np.abs(bits - true_bits) <= 0.01))
        sharp_all = np.mean(np.abs(bits - true_bits) <= 0.01)
        print(f"  {c:6.2f}   {bitwise:16.4f}   {exact:13.4f}   {sharp_all:23.4f}   "
              f"{'yes' if guaranteed else 'NO'}, {'yes' if sharp else 'no'}")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    cs = list(results)
    axes[0].bar(np.arange(len(cs)) - 0.27, [results[c][0] for c in cs], 0.27, label="bitwise")
    axes[0].bar(np.arange(len(cs)), [results[c][1] for c in cs], 0.27,
                label="4-bit code == label")
    axes[0].bar(np.arange(len(cs)) + 0.27, [results[c][2] for c in cs], 0.27,
                label="bits within 0.01 of 0/1")
    axes[0].axhline(np.mean(a.argmax(1) == yte), color="k", ls="--", label="argmax accuracy")
    axes[0].set(xticks=np.arange(len(cs)), xticklabels=[f"c = {c:.3g}" for c in cs],
                ylim=(0.0, 1.3), yticks=np.linspace(0, 1, 6),
                title=f"Binary output layer on {name}, test set")
    axes[0].legend(loc="upper center", ncol=2, fontsize=8)
    axes[1].imshow(bit_weights(), cmap="coolwarm")
    axes[1].set(xticks=range(10), yticks=range(4), xlabel="old output neuron (digit)",
                ylabel="bit j (0 = least significant)", title="weights / c: +1 red, -1 blue")
    fig.tight_layout()
    fig.savefig(out / "binary_output_layer.png", dpi=120)
    plt.close(fig)
    print(f"figure in {out}/ ({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
