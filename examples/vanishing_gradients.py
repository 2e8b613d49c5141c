"""Chapter 5: the vanishing gradient problem, measured.

    python examples/vanishing_gradients.py [--data-dir ../shared/data]
                                           [--out-dir runs/vanishing_gradients]

1. The book's probe: the speed of learning of each hidden layer, ||dC/db^l|| (the
   norm of BP3's delta^l averaged over the first 1,000 training images), at
   initialization (weights N(0, 1/n_in), biases N(0, 1); sigmoid neurons; the
   cross-entropy cost) for [784,30,30,10], [784,30,30,30,10] and
   [784,30,30,30,30,10]. The book reports 0.07, 0.31 / 0.012, 0.060, 0.283 /
   0.003, 0.017, 0.070, 0.285 for single random networks; here the mean and
   standard deviation over several seeds.
2. The same probe during training (mini-batch SGD on those 1,000 images, eta 0.1)
   for [784,30,30,30,10]: the early layers stay slower.
3. Sigmoid vs tanh vs ReLU hidden neurons at initialization, 4 hidden layers.
4. The notes' deep diagonal linear network (section 5.1): |dL/dw11^(1)| against the
   depth L with every weight c = 0.9, 1.0, 1.1, by autograd, and the closed form
   c^(2L-1) |x1 (x1 + x2)| (target 0).

MNIST is read from ``--data-dir`` (default: ../shared/data beside the repository)
with ``tinygrad_nndl.data.MNIST``; when it is absent the 8x8 scikit-learn digits
(64 inputs) are used instead and the book's numbers do not apply directly.
"""
import _cli
import time
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.nn import functional as F

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOOK = {(30, 30): (0.07, 0.31), (30, 30, 30): (0.012, 0.060, 0.283),
        (30, 30, 30, 30): (0.003, 0.017, 0.070, 0.285)}
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def load_images(data_dir, n):
    """The first n training images as rows in [0, 1] and one-hot targets, and the
    data set's name."""
    try:
        from tinygrad_nndl.data import MNIST
        train = MNIST(data_dir, train=True)
        x, y = train.get_batch(np.arange(n))
        name = "MNIST"
    except FileNotFoundError:
        from tinygrad_nndl.data import load_digits
        print(f"note: MNIST not found in {data_dir}; using scikit-learn's 8x8 digits (64 "
              f"inputs), so the book's MNIST numbers are only a rough guide")
        images, labels = load_digits()
        x, y = images[:n], labels[:n]
        name = "sklearn 8x8 digits (MNIST not found)"
    return x.reshape(len(x), -1).astype(np.float32), np.eye(10, dtype=np.float32)[y], name


def make_net(sizes, activation="sigmoid"):
    """Hidden layers with the given activation, a sigmoid output layer, and the
    book's default initialization (chapter 3)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b), ACTIVATIONS[activation]() if i < len(sizes) - 2
                   else nn.Sigmoid()]
    return nn.init.book_default_init_(nn.Sequential(*layers))


def hidden_bias_grad_norms(net, x, y):
    """||dC/db^l|| for every hidden layer, C the cross-entropy averaged over the batch."""
    net.zero_grad()
    (F.binary_cross_entropy(net(x), y, reduction="sum") / len(x)).backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    return [float(np.linalg.norm(m.bias.grad.data)) for m in linears[:-1]]


def main(argv=None):
    parser = _cli.parser(__doc__)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA),
                        help="The folder holding MNIST's IDX gz files; without them the 8x8 "
                             "digits are used.")
    parser.add_argument("--images", type=int, default=1000,
                        help="Training images the gradient norms are averaged over.")
    parser.add_argument("--seeds", type=int, default=10,
                        help="Random networks per architecture (mean and standard deviation).")
    parser.add_argument("--epochs", type=int, default=30,
                        help="Training epochs of the probe during training.")
    parser.add_argument("--out-dir", default="runs/vanishing_gradients",
                        help="The folder the figures are written to.")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = time.time()
    xs, ys, name = load_images(args.data_dir, args.images)
    x, y = tg.tensor(xs), tg.tensor(ys)
    n_in = xs.shape[1]
    print(f"data: {name}, first {len(xs)} training images, {n_in} inputs")

    # 1. at initialization
    print(f"||dC/db^l|| per hidden layer at initialization (mean +- std over {args.seeds} "
          f"seeds; sigmoid, cross-entropy):")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for hidden, book in BOOK.items():
        norms = []
        for seed in range(args.seeds):
            tg.manual_seed(seed)
            norms.append(hidden_bias_grad_norms(make_net([n_in, *hidden, 10]), x, y))
        norms = np.array(norms)
        mean, std = norms.mean(0), norms.std(0)
        layers = ", ".join(f"{m:.3f} +- {s:.3f}" for m, s in zip(mean, std))
        ratio = ", ".join(f"{r:.1f}" for r in mean[1:] / mean[:-1])
        print(f"  [{n_in}, {', '.join(map(str, hidden))}, 10]: {layers}")
        print(f"      book: {', '.join(map(str, book))}; ratio layer l+1 / layer l here: {ratio}")
        ax.errorbar(np.arange(1, len(hidden) + 1), mean, yerr=std, marker="o", capsize=3,
                    label=f"{len(hidden)} hidden layers")
        ax.plot(np.arange(1, len(hidden) + 1), book, "k:", marker="x")
    ax.set(yscale="log", xlabel="hidden layer", ylabel="||dC/db^l||",
           title=f"Speed of learning at initialization ({name.split(' (')[0]})\n"
                 "dotted: the book's values")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "gradients_at_init.png", dpi=120)
    plt.close(fig)

    # 2. during training
    tg.manual_seed(0)
    net = make_net([n_in, 30, 30, 30, 10])
    opt = optim.SGD(net.parameters(), lr=0.1)
    loader = tg.data.DataLoader(tg.data.TensorDataset(xs, ys), batch_size=10, shuffle=True,
                                seed=0)
    history = [hidden_bias_grad_norms(net, x, y)]
    for _ in range(args.epochs):
        for xb, yb in loader:
            opt.zero_grad()
            (F.binary_cross_entropy(net(xb), yb, reduction="sum") / len(xb)).backward()
            opt.step()
        history.append(hidden_bias_grad_norms(net, x, y))
    history = np.array(history)
    with tg.no_grad():
        acc = np.mean(net(x).data.argmax(1) == ys.argmax(1))
    print(f"during training ([{n_in}, 30, 30, 30, 10], SGD eta 0.1, batches of 10, "
          f"{args.epochs} epochs, training accuracy at the end {acc:.3f}):")
    for epoch in sorted({0, 1, 5, 10, args.epochs} & set(range(args.epochs + 1))):
        print(f"  epoch {epoch:3d}: " + ", ".join(f"{v:.4f}" for v in history[epoch]))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for layer in range(history.shape[1]):
        ax.plot(history[:, layer], label=f"hidden layer {layer + 1}")
    ax.set(yscale="log", xlabel="epoch", ylabel="||dC/db^l||",
           title="Speed of learning during training, [n, 30, 30, 30, 10]")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "gradients_during_training.png", dpi=120)
    plt.close(fig)

    # 3. activations
    print(f"activations, [{n_in}, 30, 30, 30, 30, 10] at initialization (mean over "
          f"{args.seeds} seeds):")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for act in ACTIVATIONS:
        norms = []
        for seed in range(args.seeds):
            tg.manual_seed(seed)
            norms.append(hidden_bias_grad_norms(make_net([n_in, 30, 30, 30, 30, 10], act), x, y))
        mean = np.mean(norms, 0)
        print(f"  {act:8s}: " + ", ".join(f"{v:.4f}" for v in mean)
              + f"   (first / last hidden layer: {mean[0] / mean[-1]:.3f})")
        ax.plot(np.arange(1, 5), mean, marker="o", label=act)
    ax.set(yscale="log", xlabel="hidden layer", ylabel="||dC/db^l||",
           title="Hidden activation vs speed of learning (4 hidden layers)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "activations.png", dpi=120)
    plt.close(fig)

    # 4. the deep diagonal linear network of the notes
    x_lin = np.array([0.8, 0.5])
    depths = np.arange(2, 61)
    print("deep diagonal linear network, all weights c, x = (0.8, 0.5), y = 0: "
          "|dL/dw11^(1)| (autograd / closed form c^(2L-1) x1 (x1 + x2))")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for c in (0.9, 1.0, 1.1):
        grads = []
        for L in depths:
            layers = [nn.Linear(2, 2, bias=False, dtype=np.float64) for _ in range(L - 1)]
            layers.append(nn.Linear(2, 1, bias=False, dtype=np.float64))
            with tg.no_grad():
                for layer in layers[:-1]:
                    layer.weight.copy_(c * np.eye(2))
                layers[-1].weight.fill_(c)
            a = tg.tensor(x_lin)
            for layer in layers:
                a = layer(a)
            (0.5 * a ** 2).sum().backward()
            grads.append(abs(layers[0].weight.grad.data[0, 0]))
        closed = c ** (2 * depths - 1) * x_lin[0] * x_lin.sum()
        print(f"  c = {c}: L = 2: {grads[0]:.4g}, L = 10: {grads[8]:.4g}, L = 30: "
              f"{grads[28]:.4g}, L = 60: {grads[-1]:.4g}; max relative difference to the "
              f"closed form {np.max(np.abs(np.array(grads) / closed - 1)):.1e}")
        ax.semilogy(depths, grads, marker=".", label=f"c = {c} (autograd)")
        ax.semilogy(depths, closed, "k:")
    ax.set(xlabel="depth L", ylabel="|dL/dw11^(1)|",
           title="Deep linear network: the gradient is a product of weights\n"
                 "dotted: c^(2L-1) x1 (x1 + x2)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "deep_linear_network.png", dpi=120)
    plt.close(fig)
    print(f"figures in {out}/ ({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
