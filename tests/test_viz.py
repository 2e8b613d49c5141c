"""Drawing the autograd graph (tinygrad_nndl.viz): the DOT source of known
graphs is parsed and checked node by node and edge by edge, values and
gradients in the labels are checked against closed forms (BP1-BP3 for an
MLP, eqs. 5.1-5.6 for an LSTM step), before backward and after it (with and
without retain_graph), and rendering runs the real ``dot``."""
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.testing import shapes

graphviz = pytest.importorskip("graphviz")
viz = pytest.importorskip("tinygrad_nndl.viz")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the Graphviz 'dot' program is not installed "
                                      "(apt-get install graphviz)")


# ----- a small parser of graphviz's DOT output ------------------------------
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"\]]+)')
_NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")


def _attrs(text):
    out = {}
    for key, value in _ATTR.findall(text or ""):
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        out[key] = value
    return out


def parse(source):
    """(nodes, edges, clusters, graph_label) of graphviz's DOT text, legend
    left out. nodes: id -> attrs with 'lines' (the label split at \\n) and
    'cluster'; edges: list of (src, dst, attrs); clusters: name -> attrs
    and 'parent'."""
    nodes, edges, clusters, stack, label = {}, [], {}, [], None
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("subgraph "):
            stack.append(s.split()[1])
            clusters[stack[-1]] = {"parent": stack[-2] if len(stack) > 1 else None}
        elif s == "}":
            if stack:
                stack.pop()
        elif (m := _EDGE.match(line)):
            if not m.group(1).startswith("legend_"):
                edges.append((m.group(1), m.group(2), _attrs(m.group(3))))
        elif (m := _NODE.match(line)) and m.group(1) not in ("node", "edge", "graph"):
            if not m.group(1).startswith("legend_"):
                a = _attrs(m.group(2))
                a["lines"] = a.get("label", m.group(1)).split("\\n")
                a["cluster"] = stack[-1] if stack else None
                nodes[m.group(1)] = a
        elif "label=" in s and "[" not in s:          # a graph's own attributes
            if stack:
                clusters[stack[-1]].update(_attrs(s))
            else:
                label = _attrs(s)["label"]
    clusters.pop("cluster_legend", None)
    return nodes, edges, clusters, label


def by_title(nodes):
    """First label line -> node id, for uniquely titled nodes."""
    counts = Counter(a["lines"][0] for a in nodes.values())
    return {a["lines"][0]: k for k, a in nodes.items() if counts[a["lines"][0]] == 1}


def number_after(lines, prefix):
    """The number on the label line starting with ``prefix``."""
    line = next(line for line in lines if line.startswith(prefix + " "))
    return float(line[len(prefix) + 1:])


def array_after(lines, title):
    """The array printed after the line ``title`` (or on it: "title [..]")."""
    i = next(i for i, line in enumerate(lines) if line == title or line.startswith(title + " "))
    text = lines[i][len(title):]
    j = i + 1
    while text.count("[") != text.count("]") or "[" not in text:
        text += lines[j]
        j += 1
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)])


def kinds(nodes):
    """Node id -> what its style says it is."""
    out = {}
    for k, a in nodes.items():
        if a.get("shape") == "ellipse":
            out[k] = "op"
        elif a.get("shape") == "plaintext":
            out[k] = "const"
        elif a.get("shape") == "note":
            out[k] = "omitted"
        elif a.get("peripheries") == "2":
            out[k] = "output"
        elif "rounded" in a.get("style", ""):
            out[k] = "intermediate"
        elif "dashed" in a.get("style", ""):
            out[k] = "input"
        else:
            out[k] = "param"
    return out


def named_edges(nodes, edges):
    """Edges as (title of src, title of dst)."""
    return Counter((nodes[s]["lines"][0], nodes[d]["lines"][0]) for s, d, _ in edges)


# ----- small known graphs ---------------------------------------------------
def micrograd_expression():
    """Karpathy's micrograd example: L = (a*b + c) * f."""
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    c = tg.tensor(10.0, requires_grad=True)
    f = tg.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d * f
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def test_scalar_expression_has_exactly_its_nodes_labels_and_edges():
    t = micrograd_expression()
    viz.retain_grads(t["L"])
    t["L"].backward(retain_graph=True)
    nodes, edges, _, _ = parse(viz.draw_graph(t["L"], params=t).source)
    titles = sorted(a["lines"][0] for a in nodes.values())
    assert titles == sorted(["a", "b", "c", "f", "e", "d", "L", "Mul", "Mul", "Add"])
    assert named_edges(nodes, edges) == Counter({
        ("a", "Mul"): 1, ("b", "Mul"): 1, ("Mul", "e"): 1, ("e", "Add"): 1, ("c", "Add"): 1,
        ("Add", "d"): 1, ("d", "Mul"): 1, ("f", "Mul"): 1, ("Mul", "L"): 1})
    # The two Mul nodes are told apart by what they feed.
    feeds = {nodes[d]["lines"][0]: s for s, d, _ in edges if nodes[s]["lines"][0] == "Mul"}
    ins = Counter((nodes[s]["lines"][0], d) for s, d, _ in edges)
    assert ins[("a", feeds["e"])] == ins[("b", feeds["e"])] == 1
    assert ins[("d", feeds["L"])] == ins[("f", feeds["L"])] == 1
    # Values and gradients against the closed forms of the chain rule.
    a, b, c, f = 2.0, -3.0, 10.0, -2.0
    expected = {"a": (a, b * f), "b": (b, a * f), "c": (c, f), "f": (f, a * b + c),
                "e": (a * b, f), "d": (a * b + c, f), "L": ((a * b + c) * f, 1.0)}
    title = by_title(nodes)
    for name, (value, grad) in expected.items():
        lines = nodes[title[name]]["lines"]
        assert lines[1] == "() float32"
        assert number_after(lines, "data") == pytest.approx(value, rel=1e-3)
        assert number_after(lines, "grad") == pytest.approx(grad, rel=1e-3)
    kind = kinds(nodes)
    assert {n: kind[title[n]] for n in expected} == {
        "a": "param", "b": "param", "c": "param", "f": "param",
        "e": "intermediate", "d": "intermediate", "L": "output"}
    assert all(kind[k] == "op" for k, a in nodes.items() if a["lines"][0] in ("Mul", "Add"))


def test_data_leaves_constants_and_repeated_inputs():
    x = tg.tensor([1.0, 2.0, 3.0])                     # data: no grad
    w = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    out = (w * w * x * 2.0 + 1.0).sum()
    nodes, edges, _, label = parse(viz.draw_graph(out, params={"x": x, "w": w}).source)
    title, kind = by_title(nodes), kinds(nodes)
    assert kind[title["x"]] == "input" and kind[title["w"]] == "param"
    # Mul keeps its inputs for backward, so its constant 2 is drawn; Add keeps
    # none (its gradient only needs shapes), so its 1 is not, and a note says so.
    consts = [k for k in nodes if kind[k] == "const"]
    assert [nodes[k]["lines"] for k in consts] == [["2"]]
    assert "Not drawn: 1 input needing no gradient (data or constants), as Add keeps no " \
        "inputs for backward." in label
    w_to_mul = [e for e in edges if e[0] == title["w"]]
    assert len(w_to_mul) == 1 and w_to_mul[0][2]["label"] == "×2"   # w * w: one edge, twice
    assert sorted(a["lines"][0] for k, a in nodes.items() if kind[k] == "op") == \
        ["Add", "Mul", "Mul", "Mul", "Sum"]
    sum_lines = nodes[next(k for k, a in nodes.items() if a["lines"][0] == "Sum")]["lines"]
    assert sum_lines == ["Sum", "axes=(0,)"]            # no bookkeeping of the node's


@settings(max_examples=15, deadline=None)
@given(shape=shapes(min_dims=1, max_dims=3), double=st.booleans(), show_data=st.booleans())
def test_tensor_label_states_shape_dtype_and_gradient(shape, double, show_data):
    dtype = np.float64 if double else np.float32
    x = tg.randn(*shape, dtype=dtype, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    nodes, _, _, _ = parse(viz.draw_graph(y, params={"x": x}, show_data=show_data).source)
    lines = nodes[by_title(nodes)["x"]]["lines"]
    assert lines[1] == f"{tuple(shape)} {np.dtype(dtype)}"
    expected = 2 * x.data.astype(np.float64)           # d(sum x^2)/dx
    if x.data.size == 1:
        assert number_after(lines, "grad") == pytest.approx(expected.item(), rel=1e-3, abs=1e-6)
    elif show_data and x.data.size <= 12:
        np.testing.assert_allclose(array_after(lines, "grad"), expected.ravel(), rtol=2e-3,
                                   atol=1e-5)
        np.testing.assert_allclose(array_after(lines, "data"), x.data.ravel(), rtol=2e-3,
                                   atol=1e-5)
    else:
        norm = float(next(s for s in lines if s.startswith("‖grad‖")).split()[1])
        assert norm == pytest.approx(np.linalg.norm(expected), rel=1e-3)


def test_show_data_summarizes_a_large_tensor_by_its_range_and_mean():
    x = tg.randn(4, 5, dtype=tg.float64, requires_grad=True)
    y = x.sigmoid().sum()
    lines = parse(viz.draw_graph(y, params={"x": x}, show_data=True).source)[0]
    x_lines = next(a["lines"] for a in lines.values() if a["lines"][0] == "x")
    low, high, mean = re.fullmatch(r"data in \[(\S+), (\S+)\], mean (\S+)", x_lines[2]).groups()
    assert float(low) == pytest.approx(x.data.min(), rel=1e-3)
    assert float(high) == pytest.approx(x.data.max(), rel=1e-3)
    assert float(mean) == pytest.approx(x.data.mean(), rel=1e-3, abs=1e-4)
    assert len(x_lines) == 3                     # no gradient before backward


def test_parameters_are_named_from_a_module_or_its_named_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    out = model(tg.randn(5, 3)).sum()
    expected = {"0.weight", "0.bias", "2.weight", "2.bias"}
    for params in (model, model.named_parameters(), dict(model.named_parameters()),
                   list(model.named_parameters())):
        nodes, _, _, _ = parse(viz.draw_graph(out, params=params).source)
        assert expected <= {a["lines"][0] for a in nodes.values()}
    with pytest.raises(TypeError, match="draw_graph: params must be"):
        viz.draw_graph(out, params=[model.parameters()])
    with pytest.raises(TypeError, match="draw_graph: params must be"):
        viz.draw_graph(out, params=3)


def test_bad_arguments_are_rejected_naming_the_argument():
    y = (tg.randn(3, requires_grad=True) * 2).sum()
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(y, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(y, max_nodes=0)
    with pytest.raises(TypeError, match="Tensor"):
        viz.draw_graph(np.zeros(3))
    with pytest.raises(TypeError, match="book_notation"):
        viz.draw_graph(y, book_notation="yes")


def test_several_roots_are_all_outputs():
    x = tg.randn(2, requires_grad=True)
    u, v = x.sigmoid(), x.tanh()
    nodes, _, _, _ = parse(viz.draw_graph([u, v], params={"u": u, "v": v, "x": x}).source)
    title, kind = by_title(nodes), kinds(nodes)
    assert kind[title["u"]] == kind[title["v"]] == "output"
    assert kind[title["x"]] == "param"


def sigmoid_sum():
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    return x, x.sigmoid().sum()


@pytest.mark.parametrize("retain_graph", [False, True])
def test_a_graph_is_drawn_after_backward_with_the_values_still_held(retain_graph):
    x, y = sigmoid_sum()
    before = parse(viz.draw_graph(y, params={"x": x}, show_data=True).source)
    y.backward(retain_graph=retain_graph)
    nodes, edges, _, label = parse(viz.draw_graph(y, params={"x": x}, show_data=True).source)
    # The nodes and edges outlive backward: the same ops, tensors and wiring.
    assert named_edges(nodes, edges) == named_edges(before[0], before[1]) == Counter({
        ("x", "Sigmoid"): 1, ("Sigmoid", "(3,) float32"): 1, ("(3,) float32", "Sum"): 1,
        ("Sum", "() float32"): 1})
    s = 1 / (1 + np.exp(-x.data.astype(np.float64)))
    title = by_title(nodes)
    x_lines = nodes[title["x"]]["lines"]                   # a leaf: value and gradient
    np.testing.assert_allclose(array_after(x_lines, "grad"), s * (1 - s), rtol=2e-3)
    assert number_after(nodes[title["() float32"]]["lines"], "data") == \
        pytest.approx(s.sum(), rel=1e-3)                  # the root holds its value
    # sigma(x) is held by Sigmoid's node for its backward until backward frees it.
    middle = nodes[title["(3,) float32"]]["lines"]
    if retain_graph:
        np.testing.assert_allclose(array_after(middle, "data"), s, rtol=2e-3)
        assert label is None
    else:
        assert middle == ["(3,) float32"]
        assert "backward() without retain_graph=True has freed what the ops saved" in label
    assert kinds(nodes) == kinds(before[0])
    op_labels = [sorted(a["lines"] for a in d.values() if a["shape"] == "ellipse")
                 for d in (nodes, before[0])]
    assert op_labels[0] == op_labels[1] == [["Sigmoid"], ["Sum", "axes=(0,)"]]


@pytest.mark.parametrize("da, db", [(tg.float32, tg.float32), (tg.float32, tg.float64),
                                    (tg.float64, tg.float64), (tg.float16, tg.float16),
                                    (tg.float16, tg.float32)])
def test_backward_leaves_the_shapes_and_dtypes_drawn_as_they_were(da, db):
    a = tg.randn(2, 3, dtype=da, requires_grad=True)
    b = tg.randn(3, dtype=db, requires_grad=True)
    y = (a.exp() * b + 1.0).sum() + a.tanh().mean(0).sum()

    def shapes():
        nodes = parse(viz.draw_graph(y).source)[0]
        kind = kinds(nodes)
        return Counter((nodes[k]["lines"][0],) for k in nodes
                       if kind[k] in ("intermediate", "output"))

    before = shapes()
    r = np.result_type(a.data, b.data)               # numpy's promotion, as PyTorch's here
    assert before == Counter([(f"(2, 3) {da}",)] * 2     # exp, tanh
                             + [(f"(2, 3) {r}",)] * 2    # * b, + 1.0
                             + [(f"(3,) {da}",)]         # mean(0)
                             + [(f"() {da}",)]           # its sum
                             + [(f"() {r}",)] * 2)       # the other sum, and y
    y.backward()                                 # frees every value the ops held
    assert shapes() == before


def test_a_leaf_no_longer_alive_is_drawn_from_what_remains_of_it():
    x = tg.tensor([1.0, 2.0], dtype=tg.float16, requires_grad=True)
    y = x.exp().sum() + (x * 3.0).sum()          # exp keeps its output only; Mul keeps its inputs
    del x
    nodes, edges, _, _ = parse(viz.draw_graph(y).source)
    leaves = [k for k, kind in kinds(nodes).items() if kind == "param"]
    assert [nodes[k]["lines"] for k in leaves] == [["(2,) float16", "(a leaf no longer alive)"]]
    assert {nodes[d]["lines"][0] for s, d, _ in edges if s == leaves[0]} == {"Exp", "Mul"}
    # the ops after it take its dtype from the values Mul held, not float32
    drawn = [a["lines"][0] for k, a in nodes.items() if kinds(nodes)[k] == "intermediate"]
    assert drawn and all(line.endswith("float16") for line in drawn)
    w = tg.tensor(np.ones((2, 3)), dtype=tg.float16, requires_grad=True)
    z = (w.reshape(3, 2).t() * 2).sum()          # nothing holds w's values: its accumulator
    del w                                        # knows its shape and dtype
    nodes, edges, _, _ = parse(viz.draw_graph(z).source)
    (leaf,) = [k for k, kind in kinds(nodes).items() if kind == "param"]
    assert nodes[leaf]["lines"] == ["(2, 3) float16", "(a leaf no longer alive)"]
    assert [nodes[d]["lines"][0] for s, d, _ in edges if s == leaf] == ["Reshape"]
    drawn = [a["lines"][0] for k, a in nodes.items() if kinds(nodes)[k] == "intermediate"]
    assert drawn and all(line.endswith("float16") for line in drawn)


def test_a_named_leaf_and_its_detached_values_are_two_nodes():
    """The detached values share the leaf's array: the drawing must not take
    the input that needs no gradient for the named leaf."""
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    nodes, edges, _, _ = parse(viz.draw_graph((w * w.detach()).sum(), params={"w": w}).source)
    found = kinds(nodes)
    (param,) = [k for k, kind in found.items() if kind == "param"]
    (data,) = [k for k, kind in found.items() if kind == "input"]
    assert nodes[param]["lines"][0] == "w" and nodes[data]["lines"][0] != "w"
    (mul,) = [k for k, a in nodes.items() if a["lines"][0] == "Mul"]
    assert {s for s, d, _ in edges if d == mul} == {param, data}


def test_arrays_an_op_is_given_as_arrays_are_drawn_as_constants():
    """A numpy condition of where reaches the op as a numpy array, not as a
    tensor of the user's: a constant, not a tensor node (as the 0.0)."""
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    found = list(kinds(parse(viz.draw_graph(tg.where(np.array([True, False]), y, 0.0).sum())
                             .source)[0]).values())
    assert "input" not in found and found.count("const") == 2


def test_retain_grads_refuses_a_graph_backward_can_no_longer_run_through():
    x, y = sigmoid_sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_grads: a backward.. without retain_graph"):
        viz.retain_grads(y)
    z = x.sum() + x.sum()                        # Sum and Add save nothing: backward can rerun
    z.backward()
    assert viz.retain_grads(z) is z


def test_retain_grads_keeps_every_intermediate_gradient_for_the_drawing():
    t = micrograd_expression()
    assert viz.retain_grads(t["L"]) is t["L"]
    t["e"].retain_grad()                         # .grad on a tensor one holds: its own retain_grad
    t["L"].backward()                            # no retain_graph: the graph can still be drawn
    a, b, c, f = 2.0, -3.0, 10.0, -2.0
    assert t["L"].grad.item() == 1.0 and t["e"].grad.item() == pytest.approx(f)   # dL/de = f
    nodes, _, _, _ = parse(viz.draw_graph(t["L"]).source)
    kind = kinds(nodes)
    unnamed = [nodes[k]["lines"] for k in nodes if kind[k] == "intermediate"]
    # e = a*b and d = e + c, unnamed: their values went with the graph, their
    # gradients (dL/de = dL/dd = f) were kept at their nodes.
    assert len(unnamed) == 2
    assert sorted(nodes[k]["lines"] for k in nodes if kind[k] == "op") == \
        [["Add"], ["Mul"], ["Mul"]]                # hooks and release: no arguments of the ops
    for lines in unnamed:
        assert lines[0] == "() float32" and number_after(lines, "grad") == pytest.approx(f)
        assert not any(line.startswith("data") for line in lines)
    # Named, tensors give their values back; kept gradients accumulate as .grad does.
    t = micrograd_expression()
    viz.retain_grads(t["L"])
    t["L"].backward(retain_graph=True)
    t["L"].backward()
    nodes, _, _, _ = parse(viz.draw_graph(t["L"], params=t).source)
    lines = nodes[by_title(nodes)["d"]]["lines"]
    assert number_after(lines, "data") == pytest.approx(a * b + c)
    assert number_after(lines, "grad") == pytest.approx(2 * f)       # two backward passes
    assert t["a"].grad.item() == pytest.approx(2 * b * f)


# ----- the book's notation --------------------------------------------------
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def two_layer_mlp(batch=1):
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2), nn.Sigmoid()).double()
    x = tg.randn(batch, 3, dtype=tg.float64)
    y = tg.tensor([[0.0, 1.0]] * batch, dtype=tg.float64)
    C = nn.functional.quadratic_cost(model(x), y)   # eq. (6): (1/2n) sum ||a - y||^2
    return model, x, y, C


def test_book_notation_labels_an_mlp_and_delta_obeys_bp1_to_bp3():
    model, x, y, C = two_layer_mlp()
    viz.retain_grads(C)
    C.backward(retain_graph=True)
    nodes, edges, _, label = parse(viz.draw_graph(C, book_notation=model, show_data=True,
                                                  params={"x": x, "y": y}).source)
    title = by_title(nodes)
    for name in ("a¹ (x)", "z²", "a²", "z³", "a³", "C", "w² (0.weight)", "b² (0.bias)",
                 "w³ (2.weight)", "b³ (2.bias)", "y"):
        assert name in title, name
    ops = [a["lines"] for a in nodes.values() if a["shape"] == "ellipse"]
    formulas = sorted(lines[-1] for lines in ops if " = " in lines[-1])
    assert formulas == ["a² = σ(z²)", "a³ = σ(z³)", "z² = w²a¹ + b²", "z³ = w³a² + b³"]
    assert named_edges(nodes, edges)[("z²", "Sigmoid")] == 1
    # delta^l from the labels against the book's equations, in numpy.
    W2, b2 = model[0].weight.data, model[0].bias.data
    W3, b3 = model[2].weight.data, model[2].bias.data
    z2 = x.data @ W2.T + b2
    a2 = sigmoid(z2)
    z3 = a2 @ W3.T + b3
    a3 = sigmoid(z3)
    delta3 = (a3 - y.data) * a3 * (1 - a3)                        # BP1
    delta2 = (delta3 @ W3) * a2 * (1 - a2)                        # BP2
    np.testing.assert_allclose(array_after(nodes[title["z³"]]["lines"], "δ³"),
                               delta3.ravel(), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(array_after(nodes[title["z²"]]["lines"], "δ²"),
                               delta2.ravel(), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(array_after(nodes[title["b² (0.bias)"]]["lines"], "∂C/∂b²"),
                               delta2.ravel(), rtol=2e-3, atol=1e-6)     # BP3
    assert "BP1" in label and "BP4" in label
    assert "retain_grads" not in label


def test_book_notation_after_a_backward_that_freed_the_graph():
    """retain_grads, then a plain backward: the drawing still names every
    layer and shows delta^l (BP1, BP2) and the parameters' gradients (BP3,
    BP4); only the values that backward freed are gone."""
    model, x, y, C = two_layer_mlp(batch=2)
    viz.retain_grads(C)
    C.backward()
    nodes, edges, _, label = parse(viz.draw_graph(C, book_notation=model, show_data=True,
                                                  params={"x": x, "y": y}).source)
    title = by_title(nodes)
    assert {"z²", "a²", "z³", "a³", "C", "w² (0.weight)", "b³ (2.bias)"} <= set(title)
    # x and y need no gradient: the ops that read them held them for backward only.
    assert "a¹ (x)" not in title and "y" not in title
    assert "Not drawn: 2 inputs needing no gradient (data or constants), freed by backward()." \
        in label
    formulas = sorted(a["lines"][-1] for a in nodes.values()
                      if a["shape"] == "ellipse" and " = " in a["lines"][-1])
    assert formulas == ["a² = σ(z²)", "a³ = σ(z³)", "z² = w²a¹ + b²", "z³ = w³a² + b³"]
    W2, b2 = model[0].weight.data, model[0].bias.data
    W3, b3 = model[2].weight.data, model[2].bias.data
    a2 = sigmoid(x.data @ W2.T + b2)
    a3 = sigmoid(a2 @ W3.T + b3)
    delta3 = (a3 - y.data) * a3 * (1 - a3) / 2                    # BP1, over n = 2
    delta2 = (delta3 @ W3) * a2 * (1 - a2)                        # BP2
    z3, z2 = nodes[title["z³"]]["lines"], nodes[title["z²"]]["lines"]
    np.testing.assert_allclose(array_after(z3, "δ³"), delta3.ravel(), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(array_after(z2, "δ²"), delta2.ravel(), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(array_after(nodes[title["b² (0.bias)"]]["lines"], "∂C/∂b²"),
                               delta2.sum(0), rtol=2e-3, atol=1e-6)      # BP3, summed
    # z² would be recomputed from x, which backward freed; a² = σ(z²) was the
    # layer's saved output, kept by retain_grads, so z³ = w³a² + b³ is known.
    assert z2[1] == "(2, 4) float64" and not any(line.startswith("data") for line in z2)
    np.testing.assert_allclose(array_after(nodes[title["a²"]]["lines"], "data"), a2.ravel(),
                               rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(array_after(z3, "data"), (a2 @ W3.T + b3).ravel(), rtol=2e-3,
                               atol=1e-6)
    # nn.Sequential runs each Linear and its sigmoid as one op, drawn opened up.
    for l in ("²", "³"):
        layer = nodes[title[f"z{l}"]]["cluster"]
        assert {nodes[k]["lines"][0] for k in nodes if nodes[k]["cluster"] == layer} == \
            {"LinearSigmoid (one op)", f"z{l}", "Sigmoid"}
    assert "BP1" in label and "retain_grads" not in label
    assert "backward() without retain_graph=True has freed" in label


@pytest.mark.parametrize("act, slope", [
    (nn.Sigmoid, lambda a: a * (1 - a)), (nn.Tanh, lambda a: 1 - a * a),
    (nn.ReLU, lambda a: (a > 0).astype(np.float64))])
def test_delta_inside_a_fused_layer_is_the_error_at_its_weighted_input(act, slope):
    """nn.Sequential runs Linear + activation as one op: delta^2 = dC/dz^2 is
    drawn inside it, BP2 with the activation's own f'; the last Linear, with
    no activation after it, stays an op of its own."""
    tg.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 4), act(), nn.Linear(4, 2)).double()
    x, y = tg.randn(5, 3, dtype=tg.float64), tg.randn(5, 2, dtype=tg.float64)
    C = nn.functional.quadratic_cost(model(x), y)
    viz.retain_grads(C)
    C.backward()
    nodes, edges, _, _ = parse(viz.draw_graph(C, book_notation=model).source)
    title = by_title(nodes)
    W2, b2, W3, b3 = (p.data for p in model.parameters())
    a2 = {nn.Sigmoid: sigmoid, nn.Tanh: np.tanh, nn.ReLU: lambda z: np.maximum(z, 0)}[act](
        x.data @ W2.T + b2)
    delta3 = (a2 @ W3.T + b3 - y.data) / 5                # dC/dz^3 of (1/2n) sum ||z^3 - y||^2
    delta2 = (delta3 @ W3) * slope(a2)                    # BP2
    norm = float(next(s for s in nodes[title["z²"]]["lines"] if s.startswith("‖δ²‖")).split()[1])
    assert norm == pytest.approx(np.linalg.norm(delta2), rel=1e-3)
    norm = float(next(s for s in nodes[title["z³"]]["lines"] if s.startswith("‖δ³‖")).split()[1])
    assert norm == pytest.approx(np.linalg.norm(delta3), rel=1e-3)
    assert kinds(nodes)[title["z³"]] == "intermediate" and nodes[title["z³"]]["cluster"] is None
    assert named_edges(nodes, edges)[("z²", act.__name__.capitalize())] == 1


def test_book_notation_says_how_to_see_delta_when_it_was_not_kept():
    model, x, y, C = two_layer_mlp(batch=4)
    C.backward(retain_graph=True)
    nodes, _, _, label = parse(viz.draw_graph(C, book_notation=True).source)
    z2 = nodes[by_title(nodes)["z²"]]["lines"]
    assert not any(line.startswith(("δ", "‖δ")) for line in z2)
    assert "retain_grads" in label
    w2 = nodes[by_title(nodes)["w²"]]["lines"]            # leaves have grads: their norms
    norm = float(next(s for s in w2 if s.startswith("‖∂C/∂w²‖")).split()[1])
    assert norm == pytest.approx(np.linalg.norm(model[0].weight.grad.data), rel=1e-3)


def test_book_notation_without_linear_layers_says_so():
    y = (tg.randn(3, requires_grad=True).sigmoid()).sum()
    _, _, _, label = parse(viz.draw_graph(y, book_notation=True).source)
    assert "no nn.Linear layer" in label and "no LSTM step" in label


# ----- the notes' LSTM ------------------------------------------------------
def lstm_step_by_hand(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step in PyTorch's gate layout (input, forget, candidate, output)."""
    H = h.shape[-1]
    gates = nn.functional.linear(x, w_ih, b_ih) + nn.functional.linear(h, w_hh, b_hh)
    i, f = gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid()
    g, o = gates[:, 2 * H:3 * H].tanh(), gates[:, 3 * H:].sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def test_lstm_names_are_the_notes_gates():
    B, D, H = 2, 3, 4
    w_ih, w_hh = tg.randn(4 * H, D, requires_grad=True), tg.randn(4 * H, H, requires_grad=True)
    b_ih, b_hh = tg.randn(4 * H, requires_grad=True), tg.randn(4 * H, requires_grad=True)
    x, h0, c0 = tg.randn(B, D), tg.randn(B, H), tg.randn(B, H)
    h, c = lstm_step_by_hand(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    names = viz.lstm_names(h, c)
    # Eqs. 5.1-5.6 in numpy, with W_r, U_r, b_r the forget rows of PyTorch's layout.
    pre = x.data @ w_ih.data.T + b_ih.data + h0.data @ w_hh.data.T + b_hh.data
    save, rem = sigmoid(pre[:, :H]), sigmoid(pre[:, H:2 * H])
    cand, focus = np.tanh(pre[:, 2 * H:3 * H]), sigmoid(pre[:, 3 * H:])
    ltm = rem * c0.data + save * cand
    expected = {"rem": rem, "save": save, "ltm'": cand, "focus": focus, "ltm": ltm,
                "wm": focus * np.tanh(ltm), "ltm (t-1)": c0.data}
    assert set(names) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(names[name].data, value, rtol=1e-5, atol=1e-6)
    nodes, _, _, _ = parse(viz.draw_graph([h, c], params=names).source)
    assert set(expected) <= {a["lines"][0] for a in nodes.values()}
    with pytest.raises(ValueError, match="lstm_names"):
        viz.lstm_names(c, h)
    (h.sum() + c.sum()).backward()               # frees the factors the products held
    with pytest.raises(ValueError, match="lstm_names: backward.. without retain_graph"):
        viz.lstm_names(h, c)


def test_book_notation_opens_the_fused_lstm_step_into_the_notes_equations():
    cell = nn.LSTMCell(3, 2).double()
    x, h0, c0 = (tg.randn(4, n, dtype=tg.float64) for n in (3, 2, 2))
    h, c = cell(x, (h0, c0))
    assert viz.lstm_names(h, c) == {"wm": h, "ltm": c}
    nodes, edges, clusters, label = parse(
        viz.draw_graph([h, c], params={"x": x}, book_notation=cell, show_data=True).source)
    # Eqs. 5.1-5.6 by hand; the gates are PyTorch's row blocks i, f, g, o.
    z = x.data @ cell.weight_ih.data.T + h0.data @ cell.weight_hh.data.T \
        + cell.bias_ih.data + cell.bias_hh.data
    save, rem, cand, focus = sigmoid(z[:, :2]), sigmoid(z[:, 2:4]), np.tanh(z[:, 4:6]), \
        sigmoid(z[:, 6:])
    ltm = rem * c0.data + save * cand
    expected = {"rem (5.1)": rem, "ltm' (5.2)": cand, "save (5.3)": save, "ltm (5.4)": ltm,
                "focus (5.5)": focus, "wm (5.6)": focus * np.tanh(ltm)}
    title = by_title(nodes)
    step = nodes[title["LSTMStep (one op)"]]["cluster"]
    assert clusters[step]["label"] == "LSTM step: one op, eqs. 5.1-5.6"
    for name, value in expected.items():
        lines = nodes[title[name]]["lines"]
        assert nodes[title[name]]["cluster"] == step
        assert lines[2] == "(4, 2) float64"
        np.testing.assert_allclose(array_after(lines, "data"), value.ravel(), rtol=2e-3,
                                   atol=1e-6)
    wires = {(nodes[s]["lines"][0], nodes[d]["lines"][0], a.get("label")) for s, d, a in edges}
    for gate in ("rem (5.1)", "ltm' (5.2)", "save (5.3)", "focus (5.5)"):
        assert ("LSTMStep (one op)", gate, None) in wires
    for a, b in [("rem (5.1)", "ltm (5.4)"), ("save (5.3)", "ltm (5.4)"),
                 ("ltm' (5.2)", "ltm (5.4)"), ("ltm (5.4)", "wm (5.6)"),
                 ("focus (5.5)", "wm (5.6)")]:
        assert (a, b, None) in wires
    packed = "(wm, ltm)"
    assert {(a, b, c) for a, b, c in wires if b in ("LSTMStep (one op)", "ltm (5.4)")
            and a.startswith(packed)} == {(packed + " at t-1", "LSTMStep (one op)", "wm(t-1)"),
                                          (packed + " at t-1", "ltm (5.4)", "ltm(t-1)")}
    assert ("wm (5.6)", packed, "wm") in wires and ("ltm (5.4)", packed, "ltm") in wires
    # The step's other inputs: x, the weights joined, the biases summed.
    joined, summed = "w = [weight_ih | weight_hh]", "b = bias_ih + bias_hh"
    assert {"x", joined, summed} == \
        {a for a, b, _ in wires if b == "LSTMStep (one op)" and not a.startswith(packed)}
    assert {(a, b) for a, b, _ in wires if b in (joined, summed)} == \
        {("Cat", joined), ("Add", summed)}
    assert {a for a, b, _ in wires if b in ("Cat", "Add")} == \
        {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert not any(t.startswith(("z", "a¹", "w²")) for t in title) and "BP1" not in label
    kind = kinds(nodes)
    assert kind[title["wm"]] == kind[title["ltm"]] == "output"
    assert "rem = forget gate f" in label
    np.testing.assert_allclose(array_after(nodes[title["wm"]]["lines"], "data"),
                               expected["wm (5.6)"].ravel(), rtol=2e-3, atol=1e-6)


def test_an_lstm_step_opened_after_a_backward_that_freed_its_gates():
    cell = nn.LSTMCell(3, 2).double()
    x, h0, c0 = (tg.randn(4, n, dtype=tg.float64) for n in (3, 2, 2))
    h, c = cell(x, (h0, c0))
    (h.sum() + c.sum()).backward()                # frees the gates the step kept
    nodes, edges, clusters, label = parse(
        viz.draw_graph([h, c], book_notation=cell, show_data=True).source)
    title = by_title(nodes)
    step = nodes[title["LSTMStep (one op)"]]["cluster"]
    for name in ("rem (5.1)", "ltm' (5.2)", "save (5.3)", "ltm (5.4)", "focus (5.5)",
                 "wm (5.6)"):
        lines = nodes[title[name]]["lines"]
        assert nodes[title[name]]["cluster"] == step
        assert lines[2:] == ["(4, 2) float64"]            # the shape, no values any more
    wires = {(nodes[s]["lines"][0], nodes[d]["lines"][0]) for s, d, _ in edges}
    assert {("w = [weight_ih | weight_hh]", "LSTMStep (one op)"),
            ("b = bias_ih + bias_hh", "LSTMStep (one op)"), ("ltm (5.4)", "wm (5.6)"),
            ("Cat", "w = [weight_ih | weight_hh]")} <= wires
    # x and the initial state needed no gradient: freed with the step's inputs.
    assert not any(a.startswith("(wm, ltm) at t-1") or a == "x" for a, _ in wires)
    assert "Not drawn: 2 inputs needing no gradient (data or constants), freed by " \
        "backward()." in label
    kind = kinds(nodes)
    assert kind[title["wm"]] == kind[title["ltm"]] == "output"   # the roots keep their values
    np.testing.assert_allclose(array_after(nodes[title["wm"]]["lines"], "data"),
                               h.data.ravel(), rtol=2e-3, atol=1e-6)


@pytest.mark.parametrize("make", [nn.LSTM, nn.RNN])
def test_a_recurrent_layer_is_not_taken_for_an_mlp(make):
    """The input and recurrent weights of nn.LSTM and nn.RNN are not the w^l
    of an MLP: book notation names an LSTM's steps and labels no z^l."""
    model = make(2, 3)
    out1, _ = model(tg.randn(1, 2, 2))          # one step: weight_hh is used once
    for named_by in (model, nn.ModuleList([model])):   # weight_hh_l0, 0.weight_hh_l0
        nodes, _, _, label = parse(viz.draw_graph(out1.sum(), book_notation=named_by).source)
        assert not any(a["lines"][0].startswith(("z", "w²")) for a in nodes.values())
    out, _ = model(tg.randn(4, 2, 2))
    nodes, edges, _, label = parse(viz.draw_graph(out.sum(), book_notation=model).source)
    titles = {a["lines"][0] for a in nodes.values()}
    assert not any(t.startswith(("z²", "a¹", "w²")) for t in titles) and "BP1" not in label
    if make is nn.LSTM:
        assert {"P = W x + b (all steps)", "b = bias_ih + bias_hh"} <= titles
        # the projection of all steps feeds each of the 4 steps' gates, step t its P[t]
        reads = [(nodes[s]["lines"][0], nodes[d]["lines"][1]) for s, d, a in edges
                 if a.get("label") == "P[t]"]
        assert reads == [("P = W x + b (all steps)", "z = P[t] + U wm(t-1)")] * 4
        assert "rem = forget gate f" in label


def test_an_lstm_layers_outputs_are_one_op_drawn_as_wm_of_every_step():
    """nn.LSTM stacks every step's wm into its output in one op (StackedBlocks),
    which reads each step's packed state; book notation names that output."""
    tg.manual_seed(0)
    model = nn.LSTM(3, 4, dtype=np.float64)
    out, _ = model(tg.randn(5, 2, 3, dtype=tg.float64))
    nodes, edges, _, _ = parse(viz.draw_graph(out.sum(), book_notation=model).source)
    assert nodes[by_title(nodes)["wm (every step)"]]["lines"][1:] == ["(5, 2, 4) float64"]
    stack, = [k for k, a in nodes.items() if a["lines"][0] == "StackedBlocks"]
    read = [nodes[s]["lines"][0] for s, d, _ in edges if d == stack]
    assert len(read) == 5 and set(read) == {"(wm, ltm)"}
    assert [nodes[d]["lines"][0] for s, d, _ in edges if s == stack] == ["wm (every step)"]


def test_a_folded_lstm_in_book_notation_opens_its_step_inside_the_fold():
    loss, model = lstm_loss(20, cell_loop=False)
    nodes, edges, clusters, _ = parse(viz.draw_graph(loss, book_notation=model,
                                                     collapse=True).source)
    steps = [k for k, a in nodes.items() if a["lines"][0] == "LSTMProjectedStep (one op)"]
    assert len(steps) == 2                      # the first step, and the 19 folded
    inner = [nodes[k]["cluster"] for k in steps]
    folds = [clusters[c]["parent"] for c in inner if clusters[c]["parent"]]
    assert len(folds) == 1 and clusters[folds[0]]["label"].startswith("×19:")
    recurrent = {a["label"] for s, d, a in edges if "next" in a.get("label", "")}
    assert recurrent == {"wm(t-1) next", "ltm(t-1) next"}


# ----- large graphs ---------------------------------------------------------
def unrolled_rnn(T, H=4, D=3, B=2):
    """h_t = tanh(x_t W + h_(t-1) U + b), written out as a Python loop."""
    W, U = tg.randn(D, H, requires_grad=True), tg.randn(H, H, requires_grad=True)
    b = tg.zeros(H, requires_grad=True)
    xs = tg.randn(T, B, D)
    h = tg.zeros(B, H)
    for t in range(T):
        h = (xs[t] @ W + h @ U + b).tanh()
    return (h ** 2).mean(), {"W": W, "U": U, "b": b}


def fold_summary(root, params):
    nodes, edges, clusters, _ = parse(viz.draw_graph(root, params=params, collapse=True).source)
    full, _, _, _ = parse(viz.draw_graph(root, params=params).source)
    return nodes, edges, clusters, full


@settings(max_examples=8, deadline=None)
@given(T=st.integers(6, 40), H=st.integers(1, 4))
def test_an_unrolled_loop_folds_to_one_step_whatever_its_length(T, H):
    loss, params = unrolled_rnn(T, H=H)
    nodes, edges, clusters, full = fold_summary(loss, params)
    short, _, _, _ = fold_summary(*unrolled_rnn(6, H=H))
    assert len(nodes) == len(short)                        # independent of T
    assert len(nodes) < len(full)
    (name, cluster), = clusters.items()
    repeats = int(re.match(r"×(\d+)", cluster["label"]).group(1))
    assert T - 2 <= repeats <= T                            # at most first and last apart
    # Nothing is lost: every op type and every parameter is still drawn, once each.
    assert Counter(a["lines"][0] for a in nodes.values() if a["shape"] == "ellipse").keys() \
        == Counter(a["lines"][0] for a in full.values() if a["shape"] == "ellipse").keys()
    for p in params:
        assert sum(a["lines"][0] == p for a in nodes.values()) == 1
    # The recurrence h_(t-1) -> h_t is the one dashed edge into the next repeat.
    nexts = [(s, d) for s, d, a in edges if a.get("label") == "next"]
    assert len(nexts) == 1
    s, d = nexts[0]
    assert nodes[s]["cluster"] == nodes[d]["cluster"] == name
    assert nodes[d]["lines"][0] == "MatMul"


def test_identical_layers_of_a_sequential_fold_and_different_ones_do_not():
    deep = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(5, 5), nn.Tanh())])
    nodes, _, clusters, full = fold_summary(deep(tg.randn(2, 5)).sum(), deep)
    assert len(clusters) == 1 and len(nodes) < len(full) / 2
    mlp = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    nodes, _, clusters, full = fold_summary(mlp(tg.randn(2, 5)).sum(), mlp)
    assert clusters == {} and len(nodes) == len(full)


def lstm_loss(T, cell_loop):
    """The loss of a T-step nn.LSTM, or of nn.LSTMCell called in a Python loop."""
    tg.manual_seed(0)
    xs = tg.randn(T, 2, 3)
    if cell_loop:
        model, state, hs = nn.LSTMCell(3, 5), None, []
        for t in range(T):
            state = model(xs[t], state)
            hs.append(state[0])
        return tg.stack(hs).sum() + state[1].sum(), model
    model = nn.LSTM(3, 5)
    out, (h, c) = model(xs)
    return out.sum() + c.sum(), model


@pytest.mark.parametrize("cell_loop", [False, True], ids=["nn.LSTM", "nn.LSTMCell loop"])
def test_unrolled_100_step_lstm_collapses_to_a_bounded_number_of_nodes(cell_loop):
    sizes = {}
    for T in (10, 100):
        loss, model = lstm_loss(T, cell_loop)
        nodes, edges, clusters, full = fold_summary(loss, model)
        sizes[T] = len(nodes), len(full)
    assert sizes[100][0] == sizes[10][0] < 60           # bounded: the same for 10 and 100
    assert sizes[100][1] - sizes[10][1] >= 2 * 90         # unrolled: a step's op and its state, at least
    # The LSTM step is drawn once inside a cluster standing for all its repeats
    # but the first (its state is a zero leaf, not the previous step's output)
    # and, for the loop of cells, the last (its state is not packed again).
    op = "LSTMStep" if cell_loop else "LSTMProjectedStep"
    steps = [k for k, a in nodes.items() if a["lines"][0] == op]
    assert len(steps) == (3 if cell_loop else 2)
    folded = [nodes[k]["cluster"] for k in steps if nodes[k]["cluster"]]
    assert len(folded) == 1
    assert clusters[folded[0]]["label"].startswith(f"×{100 - len(steps) + 1}:")
    for name, _ in model.named_parameters():
        assert sum(a["lines"][0] == name for a in nodes.values()) == 1
    assert any(a.get("label") == "next" and d in steps for s, d, a in edges)


@settings(max_examples=10, deadline=None)
@given(max_nodes=st.integers(1, 40))
def test_max_nodes_keeps_the_nodes_nearest_the_output_and_notes_the_rest(max_nodes):
    loss, params = unrolled_rnn(5)
    full, full_edges, _, _ = parse(viz.draw_graph(loss, params=params).source)
    nodes, edges, _, _ = parse(viz.draw_graph(loss, params=params, max_nodes=max_nodes).source)
    notes = [k for k, a in nodes.items() if a["shape"] == "note"]
    drawn = [k for k in nodes if k not in notes]
    assert len(drawn) == min(max_nodes, len(full))
    if max_nodes >= len(full):
        assert notes == []
        return
    (note,) = notes
    left = len(full) - max_nodes
    assert nodes[note]["lines"][0] == f"{left} more nodes not drawn (max_nodes={max_nodes})"
    left_ops = Counter(full[k]["lines"][0] for k in full if k not in nodes
                       and full[k]["shape"] == "ellipse")
    if left_ops:
        listed = dict(re.findall(r"(\w+) ×(\d+)", nodes[note]["lines"][1]))
        assert {k: int(v) for k, v in listed.items()} == dict(left_ops)
    # Kept nodes are those nearest the output: every one but the root feeds a kept node.
    feeds = {s for s, d, _ in full_edges if d in nodes}
    root = next(k for k, a in full.items() if a.get("peripheries") == "2")
    assert all(k in feeds for k in drawn if k != root)
    # The note points at exactly the kept nodes that lost an input.
    lost = {d for s, d, _ in full_edges if d in nodes and s not in nodes}
    assert {d for s, d, _ in edges if s == note} == lost


def test_folding_and_cutting_work_after_a_backward_that_freed_the_graph():
    loss, params = unrolled_rnn(12)
    before = fold_summary(loss, params)
    loss.backward()
    after = fold_summary(loss, params)
    # Folded: the same repeats of the same ops, and the recurrence still dashed.
    assert [c["label"] for c in after[2].values()] == [c["label"] for c in before[2].values()]
    ops = [Counter(a["lines"][0] for a in d.values() if a["shape"] == "ellipse")
           for d in (before[0], after[0], before[3], after[3])]
    assert ops[0] == ops[1] and ops[2] == ops[3]
    assert [a.get("label") for _, _, a in after[1] if a.get("label") == "next"] == ["next"]
    # Unfolded: every op, parameter and intermediate is still there; what is
    # gone is the inputs that need no gradient (x_t, h_0, constants).
    kept = [Counter(k for k in kinds(d).values() if k not in ("input", "const"))
            for d in (before[3], after[3])]
    assert kept[0] == kept[1]
    assert {k for k in kinds(after[3]).values()} == {"param", "intermediate", "output", "op"}
    nodes, _, _, _ = parse(viz.draw_graph(loss, params=params, max_nodes=10).source)
    note = [a for a in nodes.values() if a["shape"] == "note"]
    assert len(nodes) == 11 and len(note) == 1
    assert note[0]["lines"][0] == f"{len(after[3]) - 10} more nodes not drawn (max_nodes=10)"


# ----- rendering ------------------------------------------------------------
@needs_dot
def test_render_writes_svg_and_png_with_the_labels(tmp_path):
    model, x, y, C = two_layer_mlp()
    C.backward()                                   # drawn after a backward that freed the graph
    g = viz.draw_graph(C, book_notation=model)
    path = g.render(tmp_path / "mlp", format="svg")
    svg = Path(path).read_text(encoding="utf-8")
    assert path.endswith(".svg") and svg.lstrip().startswith("<?xml")
    for text in ("z²", "a³", "w² (0.weight)", "LinearSigmoid (one op)", "Sigmoid", "legend"):
        assert f">{text}</text>" in svg, text
    png = g.render(tmp_path / "mlp", format="png")
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = g._repr_mimebundle_()                 # what Jupyter shows
    assert ">z³</text>" in bundle["image/svg+xml"]


@needs_dot
def test_dot_lays_out_many_opened_lstm_steps():
    # Boxes of opened steps (two layers of 6 here) made dot fail with
    # "trouble in init_rank" until the graph asked for newrank.
    model = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    out, _ = model(tg.randn(2, 6, 3))
    svg = viz.draw_graph(out.sum(), book_notation=model).pipe(format="svg", encoding="utf-8")
    assert svg.count(">rem (5.1)</text>") == 12


def test_missing_dot_says_how_to_install_it_and_source_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))      # no dot to be found
    t = micrograd_expression()
    g = viz.draw_graph(t["L"], params=t)
    assert "Mul" in g.source                       # building DOT needs no program
    for call in (lambda: g.pipe(format="svg"), lambda: g.render(tmp_path / "g", format="png"),
                 lambda: g._repr_mimebundle_()):
        with pytest.raises(viz.DotNotFoundError) as err:
            call()
        assert isinstance(err.value, graphviz.ExecutableNotFound)
        assert "apt-get install graphviz" in str(err.value)
        assert "brew install graphviz" in str(err.value)


def test_without_the_graphviz_package_the_import_error_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m.startswith("tinygrad_nndl.viz")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.delattr(tg, "viz", raising=False)
    with pytest.raises(ImportError, match=r"pip install tinygrad_nndl\[viz\]"):
        import tinygrad_nndl.viz  # noqa: F401
