"""The graph autograd builds, drawn with graphviz in the book's notation.

    python examples/draw_graph.py [--out-dir runs/draw_graph]
    python examples/draw_graph.py --out-dir docs/img     # refresh the README's figures

Writes four small SVGs into runs/draw_graph/ unless told otherwise (needs the
graphviz package, ``pip install -e ".[viz]"``, and Graphviz's ``dot``
program) and prints the numbers they show:
  1. graph_scalar.svg: micrograd's neuron o = tanh(x1 w1 + x2 w2 + b), with each
     value and gradient (Karpathy's lecture: do/dn = 0.5, do/dx1 = -1.5,
     do/dw1 = 1, do/dx2 = 0.5, do/dw2 = 0);
  2. graph_mlp_book.svg: a 2-3-2 sigmoid network's quadratic cost on one
     example in the book's notation (a^1 = x, z^l, a^l, w^l, b^l, C) with
     delta^l = dC/dz^l after backward, so BP1-BP4 can be read off (chapter 2);
  3. graph_lstm_step.svg: one step of nn.LSTMCell (one fused op), opened up
     in book notation as the notes write it (eqs. 5.1-5.6): rem = forget gate,
     save = input gate, ltm' = candidate, focus = output gate, ltm = cell
     state, wm = hidden state, with their values (checked against the
     equations by hand);
  4. graph_lstm_folded.svg: a 50-step nn.LSTM with collapse=True: the unrolled
     steps folded into one, as the textbook draws an RNN;
  5. graph_conv.svg: chapter 6's network (two conv-pool layers, FC 100,
     softmax) with shapes_on_edges=True: its layers, and the feature maps
     10×20×24×24 ... flowing between them on the edges.
"""
import re
import sys
from pathlib import Path

import numpy as np

import _cli
import tinygrad_nndl as tg
from tinygrad_nndl import nn

viz = None   # imported in main(), after --help: it needs the optional graphviz package


def save_svg(graph, out_dir, name):
    path = graph.render(out_dir / name, format="svg", cleanup=True)
    print(f"wrote {path} ({Path(path).stat().st_size / 1024:.1f} kB)")


def count_nodes(graph):
    return len(re.findall(r"^\t\s*(?!legend_)\w+ \[label", graph.source, flags=re.M))


def scalar_neuron(out_dir):
    """Karpathy's micrograd lecture neuron: the numbers are his."""
    t = {name: tg.tensor(value, dtype=tg.float64, requires_grad=True)
         for name, value in [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0),
                             ("b", 6.8813735870195432)]}
    t["x1w1"] = t["x1"] * t["w1"]
    t["x2w2"] = t["x2"] * t["w2"]
    t["x1w1 + x2w2"] = t["x1w1"] + t["x2w2"]
    t["n"] = t["x1w1 + x2w2"] + t["b"]
    t["o"] = t["n"].tanh()
    viz.retain_grads(t["o"])                 # the drawing shows the intermediates' gradients too
    t["n"].retain_grad()                     # and n.grad is printed below
    t["o"].backward()                        # the graph can still be drawn after backward
    print("1. micrograd neuron: o = %.4f, do/dn = %.4f, do/dx1 = %.4f, do/dw1 = %.4f, "
          "do/dx2 = %.4f, do/dw2 = %.4f" % (t["o"].item(), t["n"].grad.item(),
                                            t["x1"].grad.item(), t["w1"].grad.item(),
                                            t["x2"].grad.item(), t["w2"].grad.item()))
    save_svg(viz.draw_graph(t["o"], params=t), out_dir, "graph_scalar")


def mlp_in_book_notation(out_dir):
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 2), nn.Sigmoid())
    x = tg.tensor([[0.5, -1.0]])
    y = tg.tensor([[1.0, 0.0]])
    C = nn.functional.quadratic_cost(model(x), y)    # eq. (6), one example
    viz.retain_grads(C)                      # so that delta^l = dC/dz^l is kept
    C.backward()
    g = viz.draw_graph(C, book_notation=model, params={"x": x, "y": y}, show_data=True)
    # BP1 and BP2 by hand, to compare with the picture.
    w3 = model[2].weight.data
    a2 = model[1](model[0](x)).data
    a3 = model(x).data
    delta3 = (a3 - y.data) * a3 * (1 - a3)
    delta2 = (delta3 @ w3) * a2 * (1 - a2)
    print(f"2. MLP: C = {C.item():.4f}; delta^3 (BP1) = {np.round(delta3.ravel(), 4)}, "
          f"delta^2 (BP2) = {np.round(delta2.ravel(), 4)}; dC/db^2 (BP3) = "
          f"{np.round(model[0].bias.grad.data, 4)}")
    save_svg(g, out_dir, "graph_mlp_book")


def lstm_step(out_dir):
    """nn.LSTMCell computes a step as one fused op; book notation opens it up."""
    tg.manual_seed(2)
    cell = nn.LSTMCell(2, 2)
    x, h0, c0 = tg.randn(1, 2), tg.randn(1, 2), tg.randn(1, 2)
    h, c = cell(x, (h0, c0))
    g = viz.draw_graph([h, c], params={"x": x}, book_notation=cell, show_data=True)
    # The notes' equations by hand, with PyTorch's gate blocks (i, f, g, o).
    z = x.data @ cell.weight_ih.data.T + h0.data @ cell.weight_hh.data.T \
        + cell.bias_ih.data + cell.bias_hh.data
    save, rem, cand, focus = (z[:, k * 2:(k + 1) * 2] for k in range(4))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    ltm = sigmoid(rem) * c0.data + sigmoid(save) * np.tanh(cand)       # 5.4
    wm = sigmoid(focus) * np.tanh(ltm)                                 # 5.6
    print(f"3. LSTM step: rem = {np.round(sigmoid(rem).ravel(), 4)}, save = "
          f"{np.round(sigmoid(save).ravel(), 4)}, ltm' = {np.round(np.tanh(cand).ravel(), 4)}, "
          f"focus = {np.round(sigmoid(focus).ravel(), 4)}; ltm = {np.round(c.data.ravel(), 4)} "
          f"(by hand {np.round(ltm.ravel(), 4)}), wm = {np.round(h.data.ravel(), 4)} "
          f"(by hand {np.round(wm.ravel(), 4)})")
    save_svg(g, out_dir, "graph_lstm_step")


def lstm_folded(out_dir, steps=50):
    tg.manual_seed(3)
    lstm = nn.LSTM(2, 3)
    out, (h, c) = lstm(tg.randn(steps, 1, 2))
    loss = out[-1].sum()
    full = viz.draw_graph(loss, params=lstm)
    g = viz.draw_graph(loss, params=lstm, collapse=True)
    print(f"4. {steps}-step LSTM: {count_nodes(full)} nodes unrolled, {count_nodes(g)} folded")
    save_svg(g, out_dir, "graph_lstm_folded")


def conv_network(out_dir):
    """The book's conv2 network of examples/network3.py (same layers)."""
    tg.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Sigmoid(),
                          nn.Conv2d(20, 40, 5), nn.MaxPool2d(2), nn.Sigmoid(), nn.Flatten(),
                          nn.Linear(40 * 4 * 4, 100), nn.Sigmoid(), nn.Linear(100, 10))
    x, y = tg.rand(10, 1, 28, 28), tg.randint(0, 10, (10,))
    loss = nn.functional.cross_entropy(model(x), y)
    full = viz.draw_graph(loss, params=model)
    g = viz.draw_graph(loss, params=model, shapes_on_edges=True)
    print(f"5. chapter 6 network: {count_nodes(full)} nodes with tensors drawn, "
          f"{count_nodes(g)} with feature-map shapes on the edges")
    save_svg(g, out_dir, "graph_conv")


def main():
    global viz
    parser = _cli.parser(__doc__)
    parser.add_argument("--out-dir", type=Path, default=Path("runs") / "draw_graph",
                        help="The folder the SVGs are written to; docs/img replaces the "
                             "README's figures.")
    args = parser.parse_args()
    try:
        from tinygrad_nndl import viz
    except ImportError as e:
        sys.exit(f"examples/draw_graph.py: {e}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    scalar_neuron(args.out_dir)
    mlp_in_book_notation(args.out_dir)
    lstm_step(args.out_dir)
    lstm_folded(args.out_dir)
    conv_network(args.out_dir)


if __name__ == "__main__":
    main()
