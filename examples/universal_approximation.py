"""Chapter 4 of the notes: sigmoid networks built by hand that compute any function.

    python examples/universal_approximation.py [--out-dir runs/universal_approximation]

Draws (PNG, matplotlib Agg) and prints:
  1. a sigmoid neuron with weight w and bias -s w for several w: a step at s (Fig. 4.1);
  2. the bump: two step neurons and an output neuron with weights +h, -h and bias
     -h/2, the indicator of (s1, s2) (Figs. 4.2-4.3);
  3. f(x) = 0.2 + 0.4x^2 + 0.3x sin(15x) + 0.05cos(50x) on [0, 1] approximated by N
     bumps whose heights are the means of f on the N intervals, for N = 10 and 50
     (Fig. 4.5; N counts bumps, i.e. 2N step neurons and N indicator neurons), with the
     error for several N;
  4. the 2-D tower on (1, 2) x (-2, 0) (output bias -3h/2, Figs. 4.6-4.7);
  5. the same 1-20-10-1 architecture as the 10-bump network trained by gradient
     descent (Adam, quadratic cost) from a random start, against the hand-built one.

The network builders (``TowerNetwork``, ``bump_network``, ``grid_towers``) are what
tests/notes/test_ch4_universality.py checks against closed forms.
"""
import _cli
import math
import time
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import nn


class TowerNetwork(nn.Module):
    """A sum of box indicators ("towers"), the construction of section 4.3 of the notes.

    ``lower`` and ``upper`` (K, m) are the corners of K boxes in R^m and
    ``heights`` (K, n) their values in R^n. Three layers:

    - step neurons: for box k and axis i, sigma(w (x_i - s)) at s = lower[k, i] and at
      s = upper[k, i] (weight w on input i, bias -s w; section 4.1);
    - one indicator neuron per box: weights +h from its m lower steps, -h from its m
      upper steps and bias -(2m - 1) h / 2, so its weighted input is about h/2 inside
      the box and at most about -h/2 outside (m = 1: the bump's -h/2, m = 2: -3h/2,
      m = 3: -5h/2);
    - a linear output neuron per output coordinate with weights ``heights`` (section 4.2).

    ``indicator_bias`` overrides -(2m - 1) h / 2 (to show what a wrong bias does).
    """

    def __init__(self, lower, upper, heights, w=1e4, h=1e4, indicator_bias=None,
                 dtype=np.float64):
        super().__init__()
        lower, upper = np.atleast_2d(lower).astype(np.float64), np.atleast_2d(upper).astype(
            np.float64)
        heights = np.asarray(heights, dtype=np.float64).reshape(len(lower), -1)
        if lower.shape != upper.shape or not np.all(lower < upper):
            raise ValueError(f"TowerNetwork: need lower < upper of equal shapes, got "
                             f"{lower.shape} and {upper.shape}")
        K, m = lower.shape
        self.m = m
        self.steps = nn.Linear(m, 2 * m * K, dtype=dtype)
        self.towers = nn.Linear(2 * m * K, K, dtype=dtype)
        self.out = nn.Linear(K, heights.shape[1], bias=False, dtype=dtype)
        # step neuron (k, i, side) sits at row k*2m + 2i + side; side 0 = lower edge
        edges = np.stack([lower, upper], axis=2).reshape(-1)
        axis = np.tile(np.repeat(np.arange(m), 2), K)
        rows = np.arange(2 * m * K)
        W1 = np.zeros((2 * m * K, m))
        W1[rows, axis] = w
        W2 = np.zeros((K, 2 * m * K))
        W2[rows // (2 * m), rows] = np.where(rows % 2 == 0, h, -h)
        if indicator_bias is None:
            indicator_bias = -(2 * m - 1) * h / 2
        with tg.no_grad():
            self.steps.weight.copy_(W1)
            self.steps.bias.copy_(-w * edges)
            self.towers.weight.copy_(W2)
            self.towers.bias.fill_(indicator_bias)
            self.out.weight.copy_(heights.T)

    def indicators(self, x):
        """The K tower neurons' activations, each about 1 inside its box, 0 outside."""
        if x.ndim == 1 and self.m == 1:
            x = x.reshape(-1, 1)
        return self.towers(self.steps(x).sigmoid()).sigmoid()

    def forward(self, x):
        return self.out(self.indicators(x))


def bump_network(edges, heights, w=1e4, h=1e4):
    """The network of Fig. 4.4: one bump per interval [edges[i], edges[i+1]] with
    output weight heights[i] (the m = 1 TowerNetwork)."""
    edges = np.asarray(edges, dtype=np.float64)
    return TowerNetwork(edges[:-1, None], edges[1:, None], np.asarray(heights)[:, None], w, h)


def grid_towers(f, lo, hi, cells, w=1e4, h=1e4):
    """Towers on a regular grid of ``cells`` boxes per axis over the box [lo, hi] of
    R^m, each as high as f (R^m -> R^n, vectorized over rows) at the box centre."""
    lo, hi = np.atleast_1d(np.asarray(lo, np.float64)), np.atleast_1d(np.asarray(hi,
                                                                                  np.float64))
    ticks = [np.linspace(a, b, cells + 1) for a, b in zip(lo, hi)]
    index = np.stack(np.meshgrid(*[np.arange(cells)] * len(lo), indexing="ij"), -1).reshape(
        -1, len(lo))
    lower = np.stack([t[index[:, i]] for i, t in enumerate(ticks)], 1)
    upper = np.stack([t[index[:, i] + 1] for i, t in enumerate(ticks)], 1)
    return TowerNetwork(lower, upper, f((lower + upper) / 2), w, h)


def f(x):
    """The function of the book's chapter 4 and the notes' Fig. 4.5."""
    return 0.2 + 0.4 * x ** 2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


def f_antiderivative(x):
    """An antiderivative of f, for the exact mean of f on an interval."""
    return (0.2 * x + 0.4 * x ** 3 / 3 + 0.3 * (np.sin(15 * x) / 225 - x * np.cos(15 * x) / 15)
            + 0.05 * np.sin(50 * x) / 50)


def interval_means(edges):
    edges = np.asarray(edges, dtype=np.float64)
    return np.diff(f_antiderivative(edges)) / np.diff(edges)


def approximate_f(n_bumps, w=1e4, h=1e4):
    edges = np.linspace(0.0, 1.0, n_bumps + 1)
    return bump_network(edges, interval_means(edges), w, h)


def evaluate(net, x):
    with tg.no_grad():
        return net(tg.tensor(x.reshape(-1, 1), dtype=np.float64)).data.reshape(-1)


def fit_by_gradient_descent(n_bumps, x, steps, seed=0):
    """The hand-built network's architecture (1 -> 2N sigmoid -> N sigmoid -> 1 linear)
    trained from a random start with Adam on the quadratic cost."""
    from tinygrad_nndl import optim
    from tinygrad_nndl.nn import functional as F

    tg.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, 2 * n_bumps), nn.Sigmoid(), nn.Linear(2 * n_bumps, n_bumps),
                        nn.Sigmoid(), nn.Linear(n_bumps, 1))
    opt = optim.Adam(net.parameters(), lr=0.01)
    X = tg.tensor(x.reshape(-1, 1), dtype=np.float32)
    Y = tg.tensor(f(x).reshape(-1, 1), dtype=np.float32)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.quadratic_cost(net(X), Y)
        loss.backward()
        opt.step()
    with tg.no_grad():
        return net(X).data.reshape(-1).astype(np.float64)


def main(argv=None):
    parser = _cli.parser(__doc__)
    parser.add_argument("--out-dir", default="runs/universal_approximation",
                        help="The folder the figures are written to.")
    parser.add_argument("--w", type=float, default=1e4,
                        help="The input weight of the step neurons (large: a sharp step).")
    parser.add_argument("--h", type=float, default=1e4,
                        help="The weight h of the bump neurons' output.")
    parser.add_argument("--fit-steps", type=int, default=3000,
                        help="Adam steps for training the 10-bump architecture from a random "
                             "start; 0 skips it.")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = time.time()
    x = np.linspace(0.0, 1.0, 2001)

    # 1. the step neuron
    s = 0.4
    fig, ax = plt.subplots(figsize=(6, 4))
    print("step neuron sigma(w (x - s)), s = 0.4: max |sigma - step| for |x - s| >= 0.05,")
    print("at most sigma(-0.05 w) (equal at |x - s| = 0.05)")
    for w in (5, 20, 100, 1000):
        neuron = nn.Linear(1, 1, dtype=np.float64)
        with tg.no_grad():
            neuron.weight.fill_(w)
            neuron.bias.fill_(-s * w)
            y = neuron(tg.tensor(x.reshape(-1, 1))).sigmoid().data.reshape(-1)
        far = np.abs(x - s) >= 0.05 - 1e-12
        err = np.abs(y - (x > s))[far].max()
        print(f"  w = {w:5d}: {err:.3e}  (closed form sigma(-0.05 w) = "
              f"{1 / (1 + math.exp(0.05 * w)):.3e})")
        ax.plot(x, y, label=f"w = {w}, b = {-s * w:g}")
    ax.set(xlabel="x", ylabel="output", title="A sigmoid neuron becomes a step at s = -b/w")
    ax.legend()
    fig.savefig(out / "step_neuron.png", dpi=120)
    plt.close(fig)

    # 2. the bump
    bump = bump_network([0.4, 0.6], [1.0], args.w, args.h)
    with tg.no_grad():
        y = bump.indicators(tg.tensor(x.reshape(-1, 1))).data.reshape(-1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, y)
    ax.set(xlabel="x", ylabel="output",
           title=f"Bump: sigma(h a1 - h a2 - h/2), w = {args.w:g}, h = {args.h:g}")
    fig.savefig(out / "bump.png", dpi=120)
    plt.close(fig)
    inside = (x > 0.41) & (x < 0.59)
    outside = (x < 0.39) | (x > 0.61)
    print(f"bump on (0.4, 0.6): min inside = {y[inside].min():.6f}, max outside = "
          f"{y[outside].max():.3e}")

    # 3. f with N bumps
    print("f approximated by N bumps (heights = means of f on the N intervals); max error at")
    print("points >= 1e-3 from every bump edge, against the bound max|f'|/N <= 8.1/N:")
    print("     N   hidden neurons   max |error| off edges   8.1/N    RMS error on [0, 1]")
    errors = {}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for n in (5, 10, 20, 50, 100):
        approx = evaluate(approximate_f(n, args.w, args.h), x)
        e = approx - f(x)
        off_edges = np.min(np.abs(x[:, None] - np.linspace(0, 1, n + 1)), axis=1) >= 1e-3
        errors[n] = (np.abs(e[off_edges]).max(), np.abs(e).mean(), math.sqrt(np.mean(e ** 2)))
        print(f"  {n:4d}   {3 * n:14d}   {errors[n][0]:21.4f}   {8.1 / n:6.3f}    "
              f"{errors[n][2]:.4f}")
        if n in (10, 50):
            ax = axes[0 if n == 10 else 1]
            ax.plot(x, f(x), label="f")
            ax.plot(x, approx, label=f"{n} bumps")
            ax.set(xlabel="x", title=f"{n} bumps ({2 * n} step + {n} bump neurons)\n"
                                     f"RMS error {errors[n][2]:.4f}")
            ax.legend()
    fig.tight_layout()
    fig.savefig(out / "approximation.png", dpi=120)
    plt.close(fig)
    ns = sorted(errors)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(ns, [errors[n][0] for n in ns], "o-", label="max |error| off the edges")
    ax.loglog(ns, [8.1 / n for n in ns], "k--", label="bound 8.1 / N")
    ax.loglog(ns, [errors[n][2] for n in ns], "s-", label="RMS error")
    ax.set(xlabel="number of bumps N", ylabel="error on [0, 1]", title="Error falls as N grows")
    ax.legend()
    fig.savefig(out / "approximation_error.png", dpi=120)
    plt.close(fig)

    # 4. the 2-D tower of Fig. 4.7
    tower = TowerNetwork([[1.0, -2.0]], [[2.0, 0.0]], [[1.0]], args.w, args.h)
    gx, gy = np.meshgrid(np.linspace(0, 3, 121), np.linspace(-3, 1, 161))
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    with tg.no_grad():
        gz = tower(tg.tensor(pts)).data.reshape(gx.shape)
    fig = plt.figure(figsize=(7, 5))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(gx, gy, gz, cmap="viridis", linewidth=0)
    ax.set(xlabel="x", ylabel="y", zlabel="output",
           title="Tower on (1, 2) x (-2, 0), output bias -3h/2")
    fig.savefig(out / "tower_2d.png", dpi=120)
    plt.close(fig)
    inside = (pts[:, 0] > 1.01) & (pts[:, 0] < 1.99) & (pts[:, 1] > -1.99) & (pts[:, 1] < -0.01)
    far = ((pts[:, 0] < 0.99) | (pts[:, 0] > 2.01) | (pts[:, 1] < -2.01) | (pts[:, 1] > 0.01))
    print(f"2-D tower: min inside = {gz.ravel()[inside].min():.6f}, max outside = "
          f"{gz.ravel()[far].max():.3e}")

    # 5. the same architecture trained by gradient descent
    if args.fit_steps:
        xs = np.linspace(0.0, 1.0, 200)
        t0 = time.time()
        fitted = fit_by_gradient_descent(10, xs, args.fit_steps)
        hand = evaluate(approximate_f(10, args.w, args.h), xs)
        rms_fit = math.sqrt(np.mean((fitted - f(xs)) ** 2))
        rms_hand = math.sqrt(np.mean((hand - f(xs)) ** 2))
        print(f"1-20-10-1 network on 200 points: hand-built 10 bumps RMS {rms_hand:.4f}, "
              f"trained by Adam ({args.fit_steps} steps, {time.time() - t0:.1f} s) RMS "
              f"{rms_fit:.4f}")
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(xs, f(xs), label="f")
        ax.plot(xs, hand, label=f"hand-built, RMS {rms_hand:.3f}")
        ax.plot(xs, fitted, label=f"gradient descent, RMS {rms_fit:.3f}")
        ax.set(xlabel="x", title="Same 1-20-10-1 architecture: built vs trained")
        ax.legend()
        fig.savefig(out / "built_vs_trained.png", dpi=120)
        plt.close(fig)
    print(f"figures in {out}/ ({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
