"""LSTM forward + backward through time: ours against a hand-written numpy BPTT.

    python benchmarks/lstm.py              # batch 32, input 32, hidden 128, length 50
    python benchmarks/lstm.py --repeats 60 --length 100

One iteration = forward over the whole sequence, loss = sum(output * R), and
the gradients of every parameter (the input needs none, as in training).

- ours: ``nn.LSTM`` (the input projection of all steps in one matmul, then
  the sequence unrolled in the autograd graph, one
  ``ops.recurrent.LSTMProjectedStep`` node per step, the engine doing BPTT);
- numpy: the same cell with a hand-written vectorized BPTT in the same process:
  the input projection of all steps in one matmul, the four gates of a step
  in one matmul, buffers allocated once per call, and the weight gradients
  summed over time in one matmul each at the end. Before timing, its loss and
  gradients are checked against ours (float64, to 1e-10) so the two do the
  same work;
- torch: ``torch.nn.LSTM`` (eager, CPU) with the same weights, when importable.

Ours and numpy run interleaved, round after round, so a busy machine slows
them alike; torch runs after them (its OpenMP threads spin after each call and
would slow whatever ran next). The table gives the median and best time per
iteration and the ratio of medians to numpy.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1]))   # this checkout, unless PYTHONPATH names another
import tinygrad_nndl as tg  # noqa: E402
from tinygrad_nndl import nn  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def sigmoid_(a):
    """In-place sigmoid via tanh (one transcendental, no temporaries, no overflow)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def numpy_lstm(x, r, w_ih, w_hh, b_ih, b_hh):
    """Loss sum(output * r) of a one-layer LSTM from zero state and its
    gradients (weight_ih, weight_hh, bias); hand-written BPTT."""
    T, B, D = x.shape
    H = w_hh.shape[1]
    dt = w_hh.dtype
    # Forward: the input projection of every step in one matmul.
    A = (x.reshape(T * B, D) @ w_ih.T + (b_ih + b_hh)).reshape(T, B, 4 * H)
    C = np.zeros((T + 1, B, H), dt)      # C[t + 1] = c_t, C[0] = c_0
    Hs = np.zeros((T + 1, B, H), dt)     # Hs[t + 1] = h_t
    TC = np.empty((T, B, H), dt)         # tanh(c_t)
    for t in range(T):
        a = A[t]                          # pre-activations, overwritten by the gates
        a += Hs[t] @ w_hh.T
        sigmoid_(a[:, :2 * H])
        np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
        sigmoid_(a[:, 3 * H:])
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, C[t], out=C[t + 1])
        C[t + 1] += i * g
        np.tanh(C[t + 1], out=TC[t])
        np.multiply(o, TC[t], out=Hs[t + 1])
    loss = float(np.sum(Hs[1:] * r))
    # Backward through time.
    dZ = np.empty((T, B, 4 * H), dt)
    dh_next = np.zeros((B, H), dt)
    dc_next = np.zeros((B, H), dt)
    for t in range(T - 1, -1, -1):
        a = A[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        tc = TC[t]
        dh = r[t] + dh_next
        dc = dc_next + dh * o * (1 - tc * tc)
        dz = dZ[t]
        dz[:, :H] = dc * g * i * (1 - i)
        dz[:, H:2 * H] = dc * C[t] * f * (1 - f)
        dz[:, 2 * H:3 * H] = dc * i * (1 - g * g)
        dz[:, 3 * H:] = dh * tc * o * (1 - o)
        dc_next = dc * f
        dh_next = dz @ w_hh
    # Weight gradients summed over all steps, one matmul each.
    dZ2 = dZ.reshape(T * B, 4 * H)
    return loss, {"weight_ih": dZ2.T @ x.reshape(T * B, D),
                  "weight_hh": dZ2.T @ Hs[:-1].reshape(T * B, H),
                  "bias": dZ2.sum(0)}


def ours_step(model, x, r):
    model.zero_grad()
    out, _ = model(x)
    loss = (out * r).sum()
    loss.backward()
    return loss


def numpy_step(model, x, r):
    return numpy_lstm(x.data, r.data, *(p.data for p in model.parameters()))


def check_baseline(args):
    """The baseline computes what we compute: same loss and gradients (float64)."""
    tg.manual_seed(1)
    model = nn.LSTM(args.input, args.hidden, dtype=np.float64)
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.standard_normal((args.length, args.batch, args.input)))
    r = tg.Tensor(rng.standard_normal((args.length, args.batch, args.hidden)))
    loss = ours_step(model, x, r)
    ref_loss, ref = numpy_step(model, x, r)
    grads = dict(model.named_parameters())
    pairs = [(loss.item(), ref_loss), (grads["weight_ih_l0"].grad.data, ref["weight_ih"]),
             (grads["weight_hh_l0"].grad.data, ref["weight_hh"]),
             (grads["bias_ih_l0"].grad.data, ref["bias"]),
             (grads["bias_hh_l0"].grad.data, ref["bias"])]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def torch_setup(model, x, r):
    tm = torch.nn.LSTM(model.input_size, model.hidden_size)
    tm.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in model.state_dict().items()})
    tx, tr = torch.from_numpy(x.data.copy()), torch.from_numpy(r.data.copy())

    def step():
        tm.zero_grad()
        out, _ = tm(tx)
        loss = (out * tr).sum()
        loss.backward()
        return loss
    return step


def rounds(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def interleaved(contenders, repeats):
    """Time the contenders in turn, round after round, so that a machine busy
    with something else slows them alike."""
    for fn in contenders.values():
        fn()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--length", type=int, default=50)
    p.add_argument("--repeats", type=int, default=40, help="rounds of interleaved timing")
    args = p.parse_args()

    check_baseline(args)
    tg.manual_seed(0)
    model = nn.LSTM(args.input, args.hidden)
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((args.length, args.batch, args.input)).astype(np.float32))
    r = tg.Tensor(rng.standard_normal((args.length, args.batch, args.hidden)).astype(np.float32))
    contenders = {"tinygrad_nndl": lambda: ours_step(model, x, r),
                  "numpy BPTT": lambda: numpy_step(model, x, r)}
    times = interleaved(contenders, args.repeats)
    if torch is not None:
        # Timed after the others, never between them: PyTorch's OpenMP threads
        # keep spinning after each call and would slow whatever runs next.
        times["torch (eager)"] = rounds(torch_setup(model, x, r), args.repeats)
    base = np.median(times["numpy BPTT"])
    print(f"LSTM forward + backward, batch {args.batch}, input {args.input}, hidden "
          f"{args.hidden}, length {args.length}, float32, {args.repeats} rounds")
    print("baseline check: loss and gradients equal ours (float64, rtol 1e-10)")
    print(f"{'':16s}{'median ms':>11s}{'best ms':>10s}{'x numpy':>9s}")
    for name, ts in times.items():
        ts = np.array(ts)
        print(f"{name:16s}{np.median(ts) * 1e3:11.2f}{ts.min() * 1e3:10.2f}"
              f"{np.median(ts) / base:9.2f}")


if __name__ == "__main__":
    main()
