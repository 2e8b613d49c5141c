"""draw_graph on a convolutional network: layers as ops, feature-map shapes on
the edges, identical blocks folded."""
import re

import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn

pytest.importorskip("graphviz")
viz = pytest.importorskip("tinygrad_nndl.viz")


def _chapter6(x):
    model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Sigmoid(),
                          nn.Conv2d(20, 40, 5), nn.MaxPool2d(2), nn.Sigmoid(), nn.Flatten(),
                          nn.Linear(40 * 4 * 4, 100), nn.Sigmoid(), nn.Linear(100, 10))
    return nn.functional.cross_entropy(model(x), tg.tensor([1, 2])), model


def _edge_labels(source):
    return re.findall(r'(\w+) -> (\w+) \[label="([^"]*)"\]', source)


def test_feature_map_shapes_are_written_on_the_edges_between_the_layers():
    loss, model = _chapter6(tg.rand(2, 1, 28, 28))
    full = viz.draw_graph(loss, params=model).source
    g = viz.draw_graph(loss, params=model, shapes_on_edges=True).source
    labels = [label for _, _, label in _edge_labels(g)]
    for shape in ("2×20×24×24", "2×20×12×12", "2×40×8×8", "2×40×4×4", "2×640",
                  "2×10"):
        assert shape in labels
    # no intermediate tensor box is left; parameters, input and output stay
    assert "(2, 20, 24, 24) float32" in full and "(2, 20, 24, 24) float32" not in g
    for name in ("0.weight", "3.weight", "7.bias", "(2, 1, 28, 28) float32", "() float32"):
        assert name in g
    assert re.search(r'label="Conv2d\\ngeo=5×5"', g)
    assert re.search(r'label="MaxPool2d\\ngeo=2×2 stride 2×2"', g)


def test_a_kept_gradient_keeps_its_tensor_drawn():
    loss, model = _chapter6(tg.rand(2, 1, 28, 28))
    viz.retain_grads(loss)
    loss.backward(retain_graph=True)
    g = viz.draw_graph(loss, params=model, shapes_on_edges=True).source
    assert "(2, 20, 24, 24) float32" in g   # it shows ‖grad‖, not just a shape


def test_identical_conv_blocks_fold_into_one():
    blocks = [m for _ in range(4) for m in (nn.Conv2d(4, 4, 3, padding=1), nn.ReLU())]
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), *blocks, nn.MaxPool2d(2))
    loss = model(tg.rand(2, 1, 8, 8)).sum()
    full = viz.draw_graph(loss, params=model, shapes_on_edges=True).source
    g = viz.draw_graph(loss, params=model, shapes_on_edges=True, collapse=True).source
    assert re.search(r"×\d: 2 ops repeated \d times", g)
    assert g.count("Conv2d") < full.count("Conv2d")
    assert "2×4×8×8" in g and "next" in g
