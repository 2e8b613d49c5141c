"""Long memory (notes, chapter 5): recall the first symbol after T distractors.

    python examples/lstm_memory.py [--lengths 10 50 100] [--steps 1000] [--seeds 3]
                                   [--out-dir runs/lstm_memory]
    # 6 minutes of CPU time with the defaults; --seeds 1 takes a third

Each sequence starts with one of 4 symbols, followed by T random distractor
symbols (4 others, one-hot inputs of size 8); after the last step the network
must name the first symbol (chance: 25%). Sequences are generated on the fly.
For each T, three models with 32 hidden units are trained from scratch with
Adam (3 seeds each), a linear layer reading the last hidden state:

- RNN: ``nn.RNN`` (tanh), PyTorch's initialization;
- LSTM, default init: ``nn.LSTM``, PyTorch's initialization, rem_t ~ 0.5;
- LSTM, chrono init: the same LSTM with the rem (forget) biases set to
  log U(1, T) and the save (input) biases to minus that (Tallec and Ollivier,
  "Can recurrent neural networks warp time?", ICLR 2018), so that the cell
  starts out remembering: rem_t close to 1.

Why it matters is eq. 5.4: along the memory path d ltm_t / d ltm_{t-1} = rem_t,
so the gradient reaching the first step is a product of T rem gates; in the
RNN it is a product of T matrices W_hh^T diag(tanh'), which shrinks (section
5.1). The script prints the test accuracy of every run and saves (first seed):

- ``gradient_norms.png``: ||dL/dx_t|| against t at initialization for the three
  models (T = the longest length): the vanishing gradient made visible;
- ``gates.png``: rem, save and focus of the trained chrono-init LSTM over one
  sequence (the longest T), unit by unit;
- ``training.png``: the training loss of each model and T.
"""
import os
import time
from pathlib import Path

# One BLAS thread: these matmuls are small (batch 64, hidden 32), and OpenBLAS's
# threads cost more than they save, 6x the CPU time when other jobs share the
# cores. Set before numpy loads BLAS; an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import _cli  # noqa: E402

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn, optim  # noqa: E402

SYMBOLS, DISTRACTORS = 4, 4
FEATURES = SYMBOLS + DISTRACTORS
MODELS = ("RNN", "LSTM, default init", "LSTM, chrono init")


def make_batch(rng, n, distractors):
    """(x, y): x of shape (T + 1, n, 8), one-hot; y the first symbol of each sequence."""
    first = rng.integers(0, SYMBOLS, n)
    rest = rng.integers(SYMBOLS, FEATURES, (distractors, n))
    x = np.zeros((distractors + 1, n, FEATURES), dtype=np.float32)
    x[0, np.arange(n), first] = 1
    x[1 + np.arange(distractors)[:, None], np.arange(n), rest] = 1
    return tg.Tensor(x), tg.Tensor(first)


class Recaller(nn.Module):
    """A recurrent layer and a linear read-out of its last hidden state."""

    def __init__(self, kind, hidden, length, rng):
        super().__init__()
        self.rnn = nn.RNN(FEATURES, hidden) if kind == "RNN" else nn.LSTM(FEATURES, hidden)
        self.head = nn.Linear(hidden, SYMBOLS)
        if kind == "LSTM, chrono init":
            rem_bias = np.log(rng.uniform(1, max(length, 2), hidden))
            H = hidden
            with tg.no_grad():   # the notes' b = bias_ih + bias_hh; blocks save, rem, ltm', focus
                self.rnn.bias_ih_l0.data[:2 * H] = np.concatenate([-rem_bias, rem_bias])
                self.rnn.bias_hh_l0.data[:2 * H] = 0

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def accuracy(model, x, y):
    with tg.no_grad():
        return float((model(x).argmax(1).data == y.data).mean())


def train(model, length, args, seed):
    """Adam on fresh batches; returns the loss of every step."""
    rng = np.random.default_rng(seed)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(args.steps):
        x, y = make_batch(rng, args.batch, length)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def input_gradient_norms(model, x, y):
    """||dL/dx_t|| for every step t, averaged over the batch; in float64, where
    the RNN's gradient at t = 0 would underflow float32."""
    model.double()
    x = tg.Tensor(x.data, requires_grad=True, dtype=np.float64)
    nn.CrossEntropyLoss(reduction="sum")(model(x), y).backward()
    return np.linalg.norm(x.grad.data, axis=2).mean(axis=1)


def main(argv=None):
    parser = _cli.parser(__doc__)
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 50, 100],
                        help="The numbers of distractors T to test, one run each.")
    parser.add_argument("--hidden", type=int, default=32, help="Hidden units of every model.")
    parser.add_argument("--steps", type=int, default=1000, help="Adam steps per run.")
    parser.add_argument("--batch", type=int, default=64, help="Sequences per training step.")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam's learning rate.")
    parser.add_argument("--test", type=int, default=1000,
                        help="Test sequences per length T.")
    parser.add_argument("--seed", type=int, default=0, help="The first random seed.")
    parser.add_argument("--seeds", type=int, default=3,
                        help="Runs (seeds) per model and length.")
    parser.add_argument("--out-dir", default="runs/lstm_memory",
                        help="The folder the figures are written to.")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = time.perf_counter()
    seeds = range(args.seed, args.seed + args.seeds)
    results, curves, trained = {}, {}, {}
    for length in args.lengths:
        test_x, test_y = make_batch(np.random.default_rng(args.seed + 10_000), args.test, length)
        for kind in MODELS:
            t0 = time.perf_counter()
            for seed in seeds:
                tg.manual_seed(seed)
                model = Recaller(kind, args.hidden, length, np.random.default_rng(seed))
                curve = train(model, length, args, seed=seed * 1000 + length)
                results[kind, length, seed] = accuracy(model, test_x, test_y)
                if seed == args.seed:   # the first seed's run is the one plotted
                    curves[kind, length], trained[kind, length] = curve, model
            accs = " ".join(f"{results[kind, length, s]:6.1%}" for s in seeds)
            print(f"T = {length:4d}  {kind:20s} test accuracy {accs}  "
                  f"({time.perf_counter() - t0:5.1f} s)", flush=True)

    print(f"\nRecall of the first symbol after T distractors: test accuracy on {args.test} "
          f"sequences, mean over {len(seeds)} seeds [runs above 99%], hidden size "
          f"{args.hidden}, {args.steps} Adam steps of batch {args.batch} (chance 25%)")
    print(f"{'T':>5s}" + "".join(f"{k:>26s}" for k in MODELS))
    for length in args.lengths:
        cells = []
        for kind in MODELS:
            accs = [results[kind, length, s] for s in seeds]
            solved = sum(a > 0.99 for a in accs)
            cells.append(f"{np.mean(accs):.1%} [{solved}/{len(accs)}]")
        print(f"{length:5d}" + "".join(f"{c:>26s}" for c in cells))

    # The vanishing gradient at initialization, on the longest sequences.
    longest = max(args.lengths)
    x, y = make_batch(np.random.default_rng(args.seed + 20_000), 256, longest)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    print(f"\n||dL/dx_t|| at initialization, T = {longest} (t = 0 is the symbol to recall):")
    for kind in MODELS:
        tg.manual_seed(args.seed)
        norms = input_gradient_norms(
            Recaller(kind, args.hidden, longest, np.random.default_rng(args.seed)), x, y)
        ax.semilogy(np.arange(longest + 1), norms, label=kind)
        print(f"  {kind:20s} t = 0: {norms[0]:.2e}   t = T: {norms[-1]:.2e}   "
              f"ratio {norms[0] / norms[-1]:.1e}")
    ax.set(xlabel="time step t", ylabel="||dL/dx_t|| (mean over 256 sequences)",
           title=f"Gradient reaching each input at initialization, T = {longest}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "gradient_norms.png", dpi=120)
    plt.close(fig)

    # The gates of the trained chrono-init LSTM over one sequence.
    model = trained["LSTM, chrono init", longest]
    x, y = make_batch(np.random.default_rng(args.seed + 30_000), 1, longest)
    with tg.no_grad():
        _, _, gates = model.rnn(x, return_gates=True)
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    for ax, (name, g) in zip(axes, [("rem (forget gate, 5.1)", gates.rem),
                                    ("save (input gate, 5.3)", gates.save),
                                    ("focus (output gate, 5.5)", gates.focus)]):
        im = ax.imshow(g.data[0, :, 0].T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                       interpolation="nearest")
        ax.set(ylabel="hidden unit", title=name)
        fig.colorbar(im, ax=ax)
    axes[-1].set_xlabel(f"time step t (symbol {int(y.data[0])} at t = 0, then distractors)")
    fig.tight_layout()
    fig.savefig(out / "gates.png", dpi=120)
    plt.close(fig)
    rem = gates.rem.data[0, 1:, 0]
    print(f"trained LSTM, T = {longest}: mean rem over the distractors {rem.mean():.3f}, "
          f"mean save {gates.save.data[0, 1:, 0].mean():.3f} (at t = 0: "
          f"{gates.save.data[0, 0, 0].mean():.3f})")

    fig, axes = plt.subplots(1, len(args.lengths), figsize=(4.5 * len(args.lengths), 3.8),
                             squeeze=False)
    for ax, length in zip(axes[0], args.lengths):
        for kind in MODELS:
            ax.plot(curves[kind, length], label=kind, lw=1)
        ax.axhline(np.log(SYMBOLS), color="gray", ls=":", lw=1)
        ax.set(title=f"T = {length}", xlabel="Adam step", ylabel="training loss")
    axes[0, 0].legend()
    fig.tight_layout()
    fig.savefig(out / "training.png", dpi=120)
    plt.close(fig)
    print(f"figures in {out}/ (gradient_norms.png, gates.png, training.png); "
          f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
