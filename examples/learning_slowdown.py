"""Chapter 3's learning slowdown: one sigmoid neuron, input 1, target 0, starting
at w = b = 2, trained by gradient descent with eta = 0.15.

    python examples/learning_slowdown.py [--epochs 300] [--out-dir runs/learning_slowdown]

With the quadratic cost C = (a - y)^2 / 2 the gradient dC/dw = (a - y) sigma'(z) x
carries sigma'(z), tiny for a saturated neuron (z = 4 at the start), so the cost
barely moves for the first epochs. With the cross-entropy the gradient is
(a - y) x (notes Ex 3.2, section 3.1.1): no sigma'(z), and learning is fastest
when the neuron is most wrong. Prints both costs and outputs along the way and
the starting gradients against their closed forms; draws both cost curves.
"""
import _cli
import math
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import nn, optim
from tinygrad_nndl.nn import functional as F


def train(cost_name, w0, b0, eta, epochs):
    """Per-epoch (cost, output a, dC/dw) for one neuron on the example x = 1, y = 0."""
    neuron = nn.Linear(1, 1, dtype=np.float64)
    with tg.no_grad():
        neuron.weight.fill_(w0)
        neuron.bias.fill_(b0)
    x, y = tg.tensor([[1.0]], dtype=np.float64), tg.tensor([[0.0]], dtype=np.float64)
    opt = optim.SGD(neuron.parameters(), lr=eta)
    history = []
    for _ in range(epochs + 1):
        opt.zero_grad()
        a = neuron(x).sigmoid()
        if cost_name == "quadratic":
            cost = F.quadratic_cost(a, y)                 # (a - y)^2 / 2 for one example
        else:
            cost = F.binary_cross_entropy(a, y)           # -[y ln a + (1 - y) ln(1 - a)]
        cost.backward()
        history.append((cost.item(), a.item(), neuron.weight.grad.item()))
        opt.step()
    return history                                       # entries for epochs 0..epochs


def main(argv=None):
    parser = _cli.parser(__doc__)
    parser.add_argument("--epochs", type=int, default=300,
                        help="Gradient-descent steps for each cost.")
    parser.add_argument("--eta", type=float, default=0.15, help="The learning rate.")
    parser.add_argument("--w", type=float, default=2.0, help="The neuron's starting weight.")
    parser.add_argument("--b", type=float, default=2.0, help="The neuron's starting bias.")
    parser.add_argument("--out-dir", default="runs/learning_slowdown",
                        help="The folder the figure is written to.")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {name: train(name, args.w, args.b, args.eta, args.epochs)
            for name in ("quadratic", "cross-entropy")}
    a0 = 1 / (1 + math.exp(-(args.w + args.b)))
    print(f"start: z = w + b = {args.w + args.b:g}, a = sigma(z) = {a0:.6f}, "
          f"sigma'(z) = {a0 * (1 - a0):.6f}")
    print(f"  dC/dw at the start: quadratic {runs['quadratic'][0][2]:.6f} (closed form "
          f"a sigma'(z) = {a0 * a0 * (1 - a0):.6f}), cross-entropy "
          f"{runs['cross-entropy'][0][2]:.6f} (closed form a - y = {a0:.6f})")
    print(" epoch   quadratic cost   output a   cross-entropy cost   output a")
    for epoch in (0, 10, 25, 50, 100, 150, 200, 300):
        if epoch <= args.epochs:
            q, c = runs["quadratic"][epoch], runs["cross-entropy"][epoch]
            print(f"  {epoch:4d}   {q[0]:14.6f}   {q[1]:8.4f}   {c[0]:18.6f}   {c[1]:8.4f}")
    for name, hist in runs.items():
        first = next((t for t, h in enumerate(hist) if h[1] < 0.5), None)
        print(f"{name}: output below 0.5 from epoch {first}")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, hist in runs.items():
        axes[0].plot([h[0] for h in hist], label=name)
        axes[1].plot([h[1] for h in hist], label=name)
    axes[0].set(xlabel="epoch", ylabel="cost", title=f"Cost, w = {args.w:g}, b = {args.b:g}, "
                                                     f"eta = {args.eta:g}")
    axes[1].set(xlabel="epoch", ylabel="output a (target 0)", title="Output of the neuron")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "learning_slowdown.png", dpi=120)
    plt.close(fig)
    print(f"figure in {out}/learning_slowdown.png")


if __name__ == "__main__":
    main()
