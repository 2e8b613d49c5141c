"""Speed of the book's convolutional layers: ours, plain numpy, PyTorch.

    python benchmarks/conv.py [--repeats 20] [--epochs-batches 200]

Times forward + backward of chapter 6's two conv-pool layers (20 maps of 5x5
on 1x28x28, 2x2 max-pool; 40 maps of 5x5 on 20x12x12, 2x2 max-pool) at
mini-batch 10 and 64, three ways: tinygrad_nndl, the same math written
directly in numpy (im2col, one matmul, a strided max-pool; no autograd), and
PyTorch's CPU convolution when torch is importable. Then the seconds per
epoch (50,000 images, mini-batch 10) of each chapter 6 network, estimated
from timed training steps, ours beside PyTorch's.

Times are the fastest of ``--repeats`` runs, the candidates taking turns;
ratios are ours / theirs.
"""
import argparse
import os
import sys
import time
from pathlib import Path


def _threads_from_argv():
    """--threads must act before numpy loads OpenBLAS, so it is read first."""
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return None


if _threads_from_argv():
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _threads_from_argv()

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import as_strided

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn, optim  # noqa: E402
import tinygrad_nndl.nn.functional as F  # noqa: E402

try:
    import torch
except ImportError:   # the comparison column is left out
    torch = None

LAYERS = {"conv1 20x5x5 + pool": (1, 28, 20), "conv2 40x5x5 + pool": (20, 12, 40)}


def best_times(fns, repeats, apart=("torch",)):
    """name -> the fastest of ``repeats`` runs of fns[name]. The candidates
    take turns, one run each per round, so that a busy spell of a shared
    machine slows them all alike instead of whichever ran during it. Those
    named in ``apart`` (PyTorch) run after the rest: its thread pool keeps
    spinning after each call and slowed whatever ran next by about 10%."""
    best = {}
    for group in ([k for k in fns if k not in apart], [k for k in fns if k in apart]):
        for name in group:
            fns[name]()   # warm up (allocations, BLAS threads)
        times = dict.fromkeys(group, float("inf"))
        for _ in range(repeats):
            for name in group:
                start = time.perf_counter()
                fns[name]()
                times[name] = min(times[name], time.perf_counter() - start)
        best.update(times)
    return best


# ----- the same math in plain numpy --------------------------------------------
def numpy_layer(x, w, b, g_out, need_input_grad):
    """conv (valid, stride 1) + bias + 2x2 max-pool, forward and backward, by
    hand, in the layout that makes numpy fastest: images stored (C, H, W, N),
    the batch innermost, so that every window row is one long contiguous run.
    im2col from a strided view, one matmul each way, col2im by kernel
    offsets, the pool by its four strided slices."""
    xt = np.ascontiguousarray(x.transpose(1, 2, 3, 0))   # free for an input laid out so
    c, h, wd, n = xt.shape
    o, _, k, _ = w.shape
    ho, wo = h - k + 1, wd - k + 1
    sc, sh, sw, sn = xt.strides
    cols = np.ascontiguousarray(as_strided(xt, (c, k, k, ho, wo, n), (sc, sh, sw, sh, sw, sn)))
    cols = cols.reshape(c * k * k, -1)
    z = (w.reshape(o, -1) @ cols).reshape(o, ho, wo, n)
    z += b.reshape(o, 1, 1, 1)
    # 2x2 max pool: elementwise maxima of the four strided slices, and the
    # first maximum's offset by comparisons (masked writes are 5x slower)
    quads = [z[:, i::2, j::2] for i in range(2) for j in range(2)]
    best = quads[0].copy()
    for v in quads[1:]:
        np.maximum(best, v, out=best)
    idx, unset = np.zeros(best.shape, np.uint8), np.ones(best.shape, bool)
    for q, v in enumerate(quads):
        first = (v == best) & unset
        unset ^= first
        idx += first * np.uint8(q)
    # backward: pool, then conv
    gz = np.zeros_like(z)
    for q in range(4):
        np.multiply(g_out, idx == q, out=gz[:, q // 2::2, q % 2::2])
    gz2 = gz.reshape(o, -1)
    gw = gz2 @ cols.T
    gb = gz2.sum(axis=1)
    gx = None
    if need_input_grad:
        dcols = (w.reshape(o, -1).T @ gz2).reshape(c, k, k, ho, wo, n)
        gx = np.zeros((c, h, wd, n), dtype=xt.dtype)
        for i in range(k):
            for j in range(k):
                gx[:, i:i + ho, j:j + wo] += dcols[:, i, j]
    return best, gw, gb, gx


def layer_times(batch, repeats):
    rows = []
    rng = np.random.default_rng(0)
    for name, (c, size, o) in LAYERS.items():
        first = c == 1   # the first layer needs no gradient for its input (the images)
        x = rng.standard_normal((batch, c, size, size)).astype(np.float32)
        w = (rng.standard_normal((o, c, 5, 5)) * 0.1).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        g = rng.standard_normal((batch, o, (size - 4) // 2, (size - 4) // 2)).astype(np.float32)
        # Both work in (C, H, W, N) memory throughout: the images arrive (N, C, H, W)
        # and the first layer transposes them; a later layer's input and the
        # gradient from above are already laid out so.
        if not first:
            x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        g = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        g_chwn = g.transpose(1, 2, 3, 0)

        conv = nn.Conv2d(c, o, 5)
        pool = nn.MaxPool2d(2)
        xt = tg.tensor(x, requires_grad=not first)
        gt = tg.tensor(g)

        def ours():
            y = pool(conv(xt))
            y.backward(gt)

        def plain():
            numpy_layer(x, w, b, g_chwn, not first)

        fns = {"ours": ours, "numpy": plain}
        if torch is not None:
            tconv = torch.nn.Conv2d(c, o, 5)
            tx = torch.tensor(np.ascontiguousarray(x), requires_grad=not first)
            tgrad = torch.tensor(np.ascontiguousarray(g))

            def theirs():
                y = torch.nn.functional.max_pool2d(tconv(tx), 2)
                y.backward(tgrad)

            fns["torch"] = theirs
        rows.append({"layer": name, "batch": batch, **best_times(fns, repeats)})
    return rows


# ----- chapter 6 networks: seconds per epoch ------------------------------------
def epoch_seconds(batches):
    """Time ``batches`` training steps (mini-batch 10) of each network (the
    fastest of 3 runs) and scale to the 5,000 steps of an epoch over 50,000
    images (the expanded networks' epochs are 5x longer: 250,000 images)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    import network3
    rows = []
    rng = np.random.default_rng(0)
    x = rng.random((batches * 10, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batches * 10)
    for name in network3.NETS:
        tg.manual_seed(0)
        model = network3.build(name)
        opt = optim.SGD(model.parameters(), lr=0.03)
        model.train()

        def ours():
            for i in range(batches):
                xb = tg.tensor(x[i * 10:(i + 1) * 10])
                loss = F.cross_entropy(model(xb), tg.tensor(y[i * 10:(i + 1) * 10]))
                opt.zero_grad()
                loss.backward()
                opt.step()

        steps = 25_000 if network3.NETS[name][6] else 5_000   # expanded data: 250,000 images
        fns = {"ours": ours}
        if torch is not None:
            tmodel = network3.to_torch(model)
            topt = torch.optim.SGD(tmodel.parameters(), lr=0.03)
            tmodel.train()
            tx, ty = torch.tensor(x), torch.tensor(y)

            def theirs():
                for i in range(batches):
                    loss = torch.nn.functional.cross_entropy(tmodel(tx[i * 10:(i + 1) * 10]),
                                                             ty[i * 10:(i + 1) * 10])
                    topt.zero_grad()
                    loss.backward()
                    topt.step()

            fns["torch"] = theirs
        times = best_times(fns, 3)
        rows.append({"net": name, **{k: t / batches * steps for k, t in times.items()}})
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=20,
                   help="timed runs per case (the fastest is kept)")
    p.add_argument("--epoch-batches", type=int, default=200,
                   help="training steps timed per network for the epoch estimate")
    p.add_argument("--skip-epochs", action="store_true", help="only the layer table")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads for numpy and torch (default: all cores). On a busy "
                        "machine use 1: a multithreaded BLAS waiting for a core it shares "
                        "slows small matmuls by 10-30x")
    args = p.parse_args()
    if torch is not None:
        torch.set_num_threads(args.threads or os.cpu_count() or 1)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"numpy {np.__version__} (OpenBLAS threads: {blas})" + (
        f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ""))
    head = "| layer | batch | ours (ms) | numpy im2col (ms) | ours / numpy |"
    sep = "| --- | ---: | ---: | ---: | ---: |"
    if torch is not None:
        head += " PyTorch (ms) | ours / PyTorch |"
        sep += " ---: | ---: |"
    print(head)
    print(sep)
    for batch in (10, 64):
        for r in layer_times(batch, args.repeats):
            line = (f"| {r['layer']} | {batch} | {r['ours'] * 1e3:.2f} | {r['numpy'] * 1e3:.2f} | "
                    f"{r['ours'] / r['numpy']:.2f} |")
            if "torch" in r:
                line += f" {r['torch'] * 1e3:.2f} | {r['ours'] / r['torch']:.2f} |"
            print(line, flush=True)
    if args.skip_epochs:
        return
    print()
    print("| chapter 6 network | ours (s / epoch) | PyTorch (s / epoch) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for r in epoch_seconds(args.epoch_batches):
        t = r.get("torch")
        print(f"| {r['net']} | {r['ours']:.0f} | {t:.0f} | {r['ours'] / t:.2f} |" if t else
              f"| {r['net']} | {r['ours']:.0f} | - | - |", flush=True)


if __name__ == "__main__":
    main()
