"""Section 3.3.1 of the notes: L2 regularization shrinks the optimum along the
eigenvectors of the Hessian, by lambda_i / (lambda_i + alpha).

    python examples/l2_shrinkage.py [--alphas 0.01,0.1,1] [--out-dir runs/l2_shrinkage]

The model is linear regression on scikit-learn's diabetes data (442 patients, 10
standardized features, centred target), with the book's quadratic cost
L(w) = (1/2n) ||X w - y||^2. Its Hessian H is computed by autograd
(``autograd.functional.hessian``, second derivatives by differentiating the
gradient), not written down; numpy's ``eigh`` gives H = Q diag(lambda) Q^T. For each
alpha the regularized cost L(w) + (alpha/2)||w||^2 (``nn.functional.l2_penalty``) is
minimized by SGD with heavy-ball momentum, and the result is compared with the
notes' formula (3.13) w~ = Q diag(lambda_i / (lambda_i + alpha)) Q^T w*. The figure
plots, per eigen-direction, (q_i . w~) / (q_i . w*) against lambda_i with the curve
lambda / (lambda + alpha): directions of small curvature are shrunk to 0, those of
large curvature are kept.
"""
import _cli
import math
from pathlib import Path

import numpy as np

import tinygrad_nndl as tg
from tinygrad_nndl import optim
from tinygrad_nndl.autograd.functional import hessian
from tinygrad_nndl.nn import functional as F


def load_problem():
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    return X, y - y.mean()


def minimize(loss, d, alpha, lam_min, lam_max, steps):
    """Heavy-ball SGD with Polyak's step and momentum for curvatures in
    [lam_min + alpha, lam_max + alpha]: the error shrinks by about
    (sqrt(kappa) - 1) / (sqrt(kappa) + 1) per step."""
    lo, hi = lam_min + alpha, lam_max + alpha
    lr = 4 / (math.sqrt(hi) + math.sqrt(lo)) ** 2
    momentum = ((math.sqrt(hi) - math.sqrt(lo)) / (math.sqrt(hi) + math.sqrt(lo))) ** 2
    w = tg.zeros(d, dtype=np.float64, requires_grad=True)
    opt = optim.SGD([w], lr=lr, momentum=momentum)
    for _ in range(steps):
        opt.zero_grad()
        (loss(w) + F.l2_penalty([w], alpha)).backward()
        opt.step()
    return w.data.copy()


def main(argv=None):
    parser = _cli.parser(__doc__)
    parser.add_argument("--alphas", default="0.01,0.1,1",
                        help="The L2 strengths alpha to compare, separated by commas.")
    parser.add_argument("--steps", type=int, default=2000,
                        help="SGD steps (heavy-ball momentum) per alpha.")
    parser.add_argument("--out-dir", default="runs/l2_shrinkage",
                        help="The folder the figures are written to.")
    args = parser.parse_args(argv)
    alphas = [float(a) for a in args.alphas.split(",")]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = load_problem()
    n, d = X.shape
    Xt, yt = tg.tensor(X), tg.tensor(y)

    def loss(w):
        return F.quadratic_cost(Xt @ w, yt)

    H = hessian(loss, tg.zeros(d, dtype=np.float64)).data
    print(f"diabetes: n = {n}, d = {d}; Hessian by autograd, max |H - X^T X / n| = "
          f"{np.abs(H - X.T @ X / n).max():.2e}")
    lam, Q = np.linalg.eigh(H)
    print("eigenvalues of H:", " ".join(f"{v:.4f}" for v in lam))
    w_star = minimize(loss, d, 0.0, lam.min(), lam.max(), args.steps)
    print(f"unregularized optimum by SGD vs least squares: max |diff| = "
          f"{np.abs(w_star - np.linalg.lstsq(X, y, rcond=None)[0]).max():.2e}")
    proj_star = Q.T @ w_star

    fig, ax = plt.subplots(figsize=(7, 4.5))
    grid = np.logspace(math.log10(lam.min()) - 0.5, math.log10(lam.max()) + 0.5, 200)
    print(" alpha   max |w~(SGD) - w~(3.13)|   ||w~|| / ||w*||   shrink factors "
          "(q_i . w~)/(q_i . w*), smallest lambda first")
    for alpha in alphas:
        w_tilde = minimize(loss, d, alpha, lam.min(), lam.max(), args.steps)
        formula = Q @ np.diag(lam / (lam + alpha)) @ Q.T @ w_star
        ratio = (Q.T @ w_tilde) / proj_star
        print(f"  {alpha:5g}   {np.abs(w_tilde - formula).max():24.2e}   "
              f"{np.linalg.norm(w_tilde) / np.linalg.norm(w_star):15.4f}   "
              + " ".join(f"{r:.3f}" for r in ratio))
        line, = ax.semilogx(grid, grid / (grid + alpha), label=f"lambda/(lambda+alpha), "
                                                                 f"alpha = {alpha:g}")
        ax.semilogx(lam, ratio, "o", color=line.get_color())
    ax.set(xlabel="eigenvalue lambda_i of the Hessian (autograd)",
           ylabel="(q_i . w~) / (q_i . w*)",
           title="L2 shrinks each eigen-direction by lambda/(lambda+alpha)\n"
                 "(dots: optimum found by SGD)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "l2_shrinkage.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    width = 0.8 / (len(alphas) + 1)
    idx = np.arange(d)
    ax.bar(idx, proj_star, width, label="w* (alpha = 0)")
    for k, alpha in enumerate(alphas, 1):
        ax.bar(idx + k * width, lam / (lam + alpha) * proj_star, width, label=f"alpha = {alpha:g}")
    ax.set(xlabel="eigen-direction i (lambda increasing)", ylabel="q_i . w",
           title="The regularized optimum in the Hessian's eigenbasis")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "eigenbasis_components.png", dpi=120)
    plt.close(fig)
    print(f"figures in {out}/")


if __name__ == "__main__":
    main()
