"""The graph as PyTorch shapes it: nodes that know the nodes of their inputs
(``next_functions``), saved values released by backward while the topology
stays, version counters, in-place ops recorded on non-leaf tensors, grad mode
per thread, and the layering of the package (no import cycles)."""
import ast
import gc
import pathlib
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import Tensor, nn, optim
from tinygrad_nndl.autograd import backward as autograd_backward
from tinygrad_nndl.autograd import grad
from tinygrad_nndl.autograd.function import AccumulateGrad
from tinygrad_nndl.nn import functional as F


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ----- the graph of nodes --------------------------------------------------------
def test_next_functions_lead_to_the_nodes_of_the_inputs_and_to_leaves_accumulators():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    h = x * w
    loss = (h + 1.0).sum()
    (add, _), = loss.grad_fn.next_functions
    assert type(add).__name__ == "Add"
    (mul, _), (const, _) = add.next_functions
    assert mul is h.grad_fn and const is None   # a constant needs no gradient
    (acc_x, _), (acc_w, _) = mul.next_functions
    assert isinstance(acc_x, AccumulateGrad) and acc_x.variable is x and acc_w.variable is w
    # a leaf has one accumulator, whichever op reaches it
    assert (x + 1).grad_fn.next_functions[0][0] is acc_x


def test_inputs_that_need_no_gradient_have_no_next_node():
    x = leaf([1.0, 2.0])
    plain = Tensor([5.0, 6.0], dtype=np.float64)
    (n_x, _), (n_plain, _) = (x * plain).grad_fn.next_functions
    assert isinstance(n_x, AccumulateGrad) and n_plain is None


def test_nodes_hold_their_inputs_values_not_the_input_tensors():
    """As PyTorch's SavedVariable: an intermediate Tensor that the user drops is
    freed though an op saved its values, and backward (first order and
    recorded) still finds them."""
    x = leaf([1.0, 2.0, 3.0])
    h = x * x
    gone = weakref.ref(h)
    y = (h * h).sum()    # Mul saves h's values for its backward
    del h
    assert gone() is None
    (g,) = grad(y, x, create_graph=True)   # d/dx x^4 = 4x^3
    np.testing.assert_allclose(g.data, 4 * x.data ** 3)
    g.sum().backward()                     # d/dx sum 4x^3 = 12x^2, into x.grad
    np.testing.assert_allclose(x.grad.data, 12 * x.data ** 2)


def test_a_recorded_backward_reads_the_saved_values_of_a_leaf_whose_data_was_replaced():
    """A leaf's .data replaced after forward: the first-order and the recorded
    backward both use the values saved at forward, and the recorded one's
    gradient still reaches the leaf's .grad (the node keeps its accumulator).
    (PyTorch, where .data assignment is untracked, reads the new values for a
    leaf in both: 201 and 804 here. Ours read them only in the recorded one.)"""
    x = leaf([1.0, 2.0])
    y = (x * x * x).sum()
    old = x.data
    x.data = np.array([10.0, 20.0])
    (g,) = grad(y, x, create_graph=True, retain_graph=True)   # 3 old^2, not 3 new^2
    np.testing.assert_allclose(g.data, 3 * old ** 2)
    g.sum().backward(retain_graph=True)                        # 6 old
    np.testing.assert_allclose(x.grad.data, 6 * old)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 6 * old + 3 * old ** 2)


def test_a_leaf_and_its_accumulator_make_no_cycle_and_a_dropped_leaf_is_freed():
    """The leaf keeps its AccumulateGrad, which refers to it weakly: a leaf the
    user dropped is freed by reference counting alone, and backward passes it
    by (nobody could read its .grad). PyTorch's graph would keep it alive: a
    difference the README lists."""
    def loss():
        x = leaf([1.0, 2.0])
        return (x * 2).sum(), weakref.ref(x)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        y, x = loss()
        assert x() is None
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        assert isinstance(acc, AccumulateGrad) and acc.variable is None
        y.backward()
        kept = leaf([3.0])
        same = (kept * 2).grad_fn.next_functions[0][0]
        assert same is (kept + 1).grad_fn.next_functions[0][0] and same.variable is kept
    finally:
        if gc_was:
            gc.enable()


def test_a_leafs_hooks_run_in_every_later_graph():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    for k in (2.0, 3.0):
        (x * k).sum().backward()
    np.testing.assert_array_equal(np.array(seen), [[2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_the_topology_stays_after_backward_and_a_node_that_saved_nothing_runs_again():
    b = leaf([1.0, 2.0])
    c = (b + 1).sum()
    c.backward()
    c.backward()   # Add and Sum save only shapes: nothing was released that they need
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0])
    assert c.grad_fn.next_functions[0][0].next_functions[0][0].variable is b


def test_a_second_backward_through_released_values_raises_and_names_the_node():
    b = leaf([1.0, 2.0])
    loss = (b * b).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"second time.*MulBackward.*retain_graph"):
        loss.backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 4.0])   # the failed call added nothing


def test_autograd_grad_twice_on_one_loss_where_nothing_saved_was_freed():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * 3.0 - 1.0).sum()   # Mul saved x and 3.0: x is a leaf, kept by the user
    first = grad(y, x, retain_graph=False)[0]
    y2 = (x - 1.0).sum()
    assert np.array_equal(grad(y2, x)[0].data, grad(y2, x)[0].data)
    np.testing.assert_array_equal(first.data, [3.0, 3.0, 3.0])


def test_backward_releases_activations_and_kept_losses_hold_no_memory():
    """100 kept losses of the [784, 100, 10] network at batch 128 hold almost
    nothing once backward ran: the nodes keep shapes and class indices only."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10))
    opt = optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4)
    x = tg.rand(128, 784)
    y = tg.randint(0, 10, (128,))
    history = []
    tracemalloc.start()
    try:
        for _ in range(3):   # warm up: .grad buffers exist from here on
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append(loss)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    one_activation = 128 * 100 * 4
    assert held < 1_000_000, held
    assert held < 100 * one_activation / 4   # far less than one activation per kept loss
    assert history[-1].grad_fn.next_functions   # the graphs are still there to look at


# ----- version counters ------------------------------------------------------
def test_every_inplace_op_bumps_the_version_shared_by_views_and_aliases():
    t = Tensor([1.0, 2.0, 3.0])
    alias, view = t.detach(), t[1:]
    assert t._version == 0
    t.add_(1)
    t.mul_(2)
    t[0] = 5.0
    assert t._version == alias._version == view._version == 3
    assert Tensor([1.0])._version == 0   # a fresh tensor starts at 0


def test_backward_names_the_op_the_shape_and_both_versions_after_an_inplace_change():
    x = leaf([1.0, 2.0])
    h = x * 2
    y = h.exp()   # Exp saves its output
    y.add_(1)     # recorded in place on y: Exp's saved output changed
    with pytest.raises(RuntimeError, match=r"ExpBackward.*\[2\].*version 1; expected version 0"):
        y.sum().backward()


def test_an_inplace_change_of_a_saved_leaf_value_is_detected():
    w = leaf([1.0, 2.0])
    x = Tensor([3.0, 4.0], dtype=np.float64)
    loss = (w * x).sum()
    x.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


# ----- in-place ops on non-leaf tensors are recorded ------------------------------
def test_inplace_ops_on_non_leaf_tensors_differentiate_as_their_out_of_place_forms():
    x = leaf([1.0, -2.0, 3.0])
    h = x * 2
    h.add_(1)        # h = 2x + 1
    h.mul_(x)        # h = (2x + 1) x: mul_ saw the old h, not the new one
    h.clamp_(-5.0, 5.0)
    h.sum().backward()
    xs = np.array([1.0, -2.0, 3.0])
    value = (2 * xs + 1) * xs
    inside = (value >= -5) & (value <= 5)
    np.testing.assert_allclose(x.grad.data, (4 * xs + 1) * inside)
    np.testing.assert_allclose(h.data, np.clip(value, -5, 5))
    assert h.grad_fn.name() == "ClampBackward"


def test_augmented_assignment_with_a_grad_input_joins_the_graph():
    """The issue's example: ``a += b`` with a plain and b requiring grad;
    d/db of (a w).sum() + b.sum() is w + 1."""
    a = Tensor([1.0, 2.0], dtype=np.float64)
    b = leaf([0.5, 0.5])
    w = Tensor([3.0, 4.0], dtype=np.float64)
    a += b
    assert a.requires_grad and not a.is_leaf
    ((a * w).sum() + b.sum()).backward()
    np.testing.assert_array_equal(b.grad.data, [4.0, 5.0])


def test_setitem_on_a_non_leaf_sends_the_overwritten_elements_gradient_to_the_value():
    x = leaf([1.0, 2.0, 3.0])
    v = leaf(7.0)
    y = x * 1
    y[0] = 0
    y[2] = v
    (y * Tensor([1.0, 10.0, 100.0], dtype=np.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 10.0, 0.0])
    np.testing.assert_array_equal(v.grad.data, 100.0)
    np.testing.assert_array_equal(y.data, [0.0, 2.0, 7.0])


def test_zero_fill_and_copy_on_non_leaf_tensors():
    x = leaf([1.0, 2.0])
    src = leaf([5.0, 6.0])
    y, z = x * 3, x * 3
    y.zero_()
    z.copy_(src)
    (y.sum() + (z * z).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    np.testing.assert_array_equal(src.grad.data, [10.0, 12.0])


def test_inplace_on_a_leaf_that_requires_grad_raises_outside_no_grad_only():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"add_: a leaf tensor that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="__setitem__"):
        w[0] = 3.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])   # nothing changed
    with tg.no_grad():
        w.add_(1)
    np.testing.assert_array_equal(w.data, [2.0, 3.0])


def test_inplace_on_a_view_in_the_graph_is_refused_before_anything_changes():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    h = x * 1
    v = h[1:3]
    with pytest.raises(RuntimeError, match="view"):
        v.mul_(2)
    with pytest.raises(RuntimeError, match="live views"):
        h.add_(1)
    np.testing.assert_array_equal(h.data, [1.0, 2.0, 3.0, 4.0])


def test_a_view_made_under_no_grad_refuses_an_inplace_change_with_grad_on():
    for base in (leaf([1.0, 2.0, 3.0]), leaf([1.0, 2.0, 3.0]) * 1):
        with tg.no_grad():
            v = base[:2]
            w = v[1:]   # a view of that view: the same, through the chain
        for view in (v, w):
            with pytest.raises(RuntimeError, match=r"mul_: .* view, made under no_grad"):
                view.mul_(2)
        np.testing.assert_array_equal(base.data, [1.0, 2.0, 3.0])   # nothing changed
        with tg.no_grad():   # both under no_grad: allowed, as in PyTorch
            v.mul_(2)
        np.testing.assert_array_equal(base.data, [2.0, 4.0, 3.0])
    free = leaf([1.0, 2.0]).detach()[:1]   # a detached tensor's view: not the base's business
    free.add_(1)
    assert free.data.tolist() == [2.0]


def test_a_failed_inplace_cast_names_the_op_and_both_dtypes():
    t = tg.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match=r"add_: result type float32 can't be cast .* int64"):
        t.add_(0.5)
    np.testing.assert_array_equal(t.data, [1, 2, 3])


# ----- grad mode per thread, and as call, context and decorator -----------------
def test_grad_mode_is_per_thread():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with tg.no_grad():
            inside.set()
            release.wait(5)
            seen["other"] = (leaf([1.0]) * 2).requires_grad

    thread = threading.Thread(target=evaluate)
    thread.start()
    inside.wait(5)
    try:
        assert tg.is_grad_enabled()   # the other thread's no_grad is not ours
        x = leaf([1.0, 2.0])
        (x * x).sum().backward()
        np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    finally:
        release.set()
        thread.join()
    assert seen["other"] is False


def test_set_grad_enabled_works_as_a_call_a_context_and_a_decorator():
    x = leaf([1.0])
    try:
        tg.set_grad_enabled(False)
        assert not (x * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def off():
        return (x * 2).requires_grad

    assert tg.is_grad_enabled() and off() is False and tg.is_grad_enabled()


def test_no_grad_on_a_generator_function_applies_at_every_resumption():
    x = leaf([1.0])

    @tg.no_grad()
    def gen():
        for _ in range(3):
            yield (x * 2).requires_grad, tg.is_grad_enabled()

    results = []
    for flags in gen():
        results.append(flags)
        assert tg.is_grad_enabled()   # restored between resumptions
    assert results == [(False, False)] * 3

    @tg.enable_grad()
    def on():
        yield tg.is_grad_enabled()

    with tg.no_grad():
        assert list(on()) == [True]


# ----- the rest of the list: retain_grad, sequences, sign, error types ----------
def test_retain_grad_accumulates_like_a_leafs_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_array_equal(y.grad.data, [4.0, 8.0])
    z.backward()
    np.testing.assert_array_equal(y.grad.data, [8.0, 16.0])


def test_autograd_backward_takes_sequences_of_tensors_and_gradients():
    x = leaf([1.0, 2.0])
    a, b = x * 2, x * x
    autograd_backward([a, b], [Tensor([1.0, 1.0], dtype=np.float64),
                               Tensor([10.0, 10.0], dtype=np.float64)])
    np.testing.assert_array_equal(x.grad.data, [2.0 + 20.0, 2.0 + 40.0])


def test_backward_with_inputs_touches_only_those_grads():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0])


def test_sign_and_other_piecewise_constant_ops_give_zero_gradients():
    x = leaf([-2.0, 0.5, 3.0])
    (x.sign() * x).sum().backward()   # d/dx sign(x) x = sign(x): the product rule's other term is 0
    np.testing.assert_array_equal(x.grad.data, [-1.0, 1.0, 1.0])


def test_grad_output_shape_mismatch_is_a_runtime_error_as_in_pytorch():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape"):
        grad(x * 2, x, grad_outputs=Tensor([1.0, 2.0, 3.0]))


# ----- layering -------------------------------------------------------------------
PACKAGE = pathlib.Path(tg.__file__).parent


def _module_imports():
    """module -> the package modules it imports (every import statement, at any depth)."""
    files = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).replace(".__init__", ""): p
             for p in PACKAGE.rglob("*.py")}
    graph = {}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                head = ".".join((base[:len(base) - node.level + 1] if node.level else [])
                                + ([node.module] if node.module else []))
                names = [f"{head}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for n in names:
                while n and n not in files:
                    n = n.rpartition(".")[0]
                if n and n != mod:
                    deps.add(n)
        graph[mod] = deps
    return graph


def test_no_module_imports_one_that_imports_it_back():
    graph = _module_imports()
    assert len(graph) > 40 and "tinygrad_nndl.autograd.engine" in graph

    def reaches(start, target):
        seen, stack = set(), list(graph[start])
        while stack:
            m = stack.pop()
            if m == target:
                return True
            if m not in seen:
                seen.add(m)
                stack.extend(graph.get(m, ()))
        return False

    cycles = [m for m in graph if reaches(m, m)]
    assert cycles == []


# The layers, lowest first: the Tensor data type; the engine; the ops; what is
# written with ops (the Tensor's methods and free functions, the functional
# API and gradcheck); then nn and optim.
LAYERS = [
    {"tensor.tensor", "tensor.dtypes", "tensor.version", "tensor.device", "tensor.random",
     "tensor.creation"},
    {"autograd.grad_mode", "autograd.function", "autograd.engine", "autograd.api"},
    {"ops.*"},
    {"tensor.methods", "tensor.functions", "tensor", "autograd.functional",
     "autograd.gradcheck", "autograd"},
    {"nn.*", "nn"},
    {"optim.*", "optim"},
]


def _layer(mod):
    name = mod.removeprefix("tinygrad_nndl.")
    for i, members in enumerate(LAYERS):
        if name in members or f"{name.split('.')[0]}.*" in members and "." in name:
            return i
    return None


def test_the_layers_point_one_way():
    """No module imports one of a higher layer (ops know nothing of nn, nn
    nothing of optim, the engine nothing of any op)."""
    for mod, deps in _module_imports().items():
        if _layer(mod) is None:
            continue
        for dep in deps:
            if _layer(dep) is not None:
                assert _layer(dep) <= _layer(mod), f"{mod} imports {dep}"


# ----- found by a second reading ----------------------------------------------------------
def test_a_trained_model_deep_copies_and_pickles_and_its_copy_gets_its_own_grads():
    import copy
    import pickle
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    x = tg.randn(3, 2)
    model(x).sum().backward()
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        twin.zero_grad()
        model.zero_grad()
        twin(x).sum().backward()
        assert model[0].weight.grad is None and twin[0].weight.grad is not None
        np.testing.assert_array_equal(twin[0].weight.data, model[0].weight.data)
    with pytest.raises(RuntimeError, match="leaves"):
        copy.deepcopy(x * leaf([1.0, 2.0]).float())


def test_backward_with_inputs_never_makes_two_grads_share_memory():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * 2).sum().backward(inputs=[a, b])
    assert not np.shares_memory(a.grad.data, b.grad.data)
    ((a + b) * 2).sum().backward(inputs=[a])
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(a.grad.data, [4.0, 4.0])


def test_retain_grad_follows_the_tensor_through_an_inplace_op():
    x = leaf([1.0, 2.0])
    y = x * 1
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.data, 2 * 3 * np.array([1.0, 2.0]))   # d(y^2)/dy


def test_a_hook_on_an_lstm_weight_sees_an_array():
    tg.manual_seed(0)
    lstm = nn.LSTM(3, 4)
    seen = []
    lstm.weight_hh_l0.register_hook(lambda g: seen.append(type(g.data)) or g * 2)
    lstm(tg.randn(5, 2, 3))[0].sum().backward()
    assert seen == [np.ndarray] and lstm.weight_hh_l0.grad is not None


def test_an_inplace_change_recorded_on_a_tensor_with_a_plain_view_is_refused():
    w = leaf([1.0])
    buf = Tensor(np.zeros(2))
    view = buf[0:1]
    with pytest.raises(RuntimeError, match="view"):
        buf.add_(w * 3)   # the view would read w's values without its graph
    with pytest.raises(RuntimeError, match="view"):
        view.add_(w)
    assert view.shape == (1,)


def test_the_walk_measures_the_reference_count_of_a_buffer_only_it_holds():
    from tinygrad_nndl.autograd.sinks import add_into
    table = {0: np.ones(3)}
    kept = table[0]   # someone else holds it: no in-place sum
    assert add_into(table.get(0), np.ones(3)) is not kept
    del kept
    prev = table.get(0)
    assert add_into(prev, np.ones(3)) is prev   # only the table (and this frame) hold it


def test_taking_many_views_of_one_tensor_keeps_its_bookkeeping_bounded():
    data = Tensor(np.arange(1000.0))
    for i in range(1000):
        data[i:i + 1].sum()
    assert len(data._views) <= 16


# ----- what a backward reads, and when it runs: as PyTorch ---------------------------
def test_an_inplace_change_of_a_value_no_wanted_gradient_reads_is_allowed():
    """Only what the gradients asked for read is checked (PyTorch checks only
    the tensors a backward unpacks): dividing by a constant reads the divisor,
    not the quotient; a product's factor is read for the other factor only."""
    x = leaf([1.0, 2.0])
    y = x / 2
    y += 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.5])
    x.grad = None
    y = x ** 2
    y += 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])   # 2x: x itself unchanged
    x.grad = None
    a = x * 1
    b = a * 3
    a += 1
    (a + b).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    w = leaf([3.0, 4.0])
    a = x * 1
    b = a * w            # w's gradient reads a: changing a must be refused
    a += 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        b.sum().backward()


def test_mean_is_one_node_that_a_second_backward_runs_through():
    x = leaf([1.0, 2.0, 6.0])
    y = x.mean()
    assert y.grad_fn.name() == "MeanBackward"
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2 / 3] * 3)
    np.testing.assert_allclose(y.data, 3.0)
    assert np.isnan(Tensor(np.zeros((0, 2))).mean().data)   # 0/0, as PyTorch


def test_a_plain_backward_runs_with_grad_mode_off_and_create_graph_with_it_on():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append((tg.is_grad_enabled(), (g * w).requires_grad)))
    total = y.sum()
    total.backward(retain_graph=True)
    with tg.no_grad():
        grad(total, x, create_graph=True)
    assert seen == [(False, False), (True, True)]
    assert tg.is_grad_enabled()


def test_writes_into_a_grad_bump_its_version():
    """A graph that read a .grad must see it accumulated into (PyTorch raises)."""
    x, z = leaf([1.0, 2.0]), leaf([1.0, 1.0])
    (x * x).sum().backward()
    y = (x.grad * z).sum()
    before = x.grad._version
    (x * x).sum().backward()
    assert x.grad._version == before + 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    opt = optim.SGD([x], lr=0.1)
    v = x.grad._version
    opt.zero_grad(set_to_none=False)
    assert x.grad._version == v + 1
    tg.nn.utils.clip_grad_norm_([x], 1.0)
    assert x.grad._version == v + 2


def test_grad_mode_switches_decorate_without_parentheses():
    x = leaf([1.0])

    @tg.no_grad
    def off(t):
        return (t * 2).requires_grad

    @tg.enable_grad
    def on(t):
        return (t * 2).requires_grad

    assert off(x) is False
    with tg.no_grad():
        assert on(x) is True


def test_a_hook_that_changes_a_saved_value_during_backward_is_caught():
    x = leaf([1.0, 2.0])
    a = x * 1
    b = a * a

    def change(g):
        with tg.no_grad():
            a.add_(10)
    b.register_hook(change)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        b.sum().backward()


def test_a_leaf_changed_since_the_graph_was_made():
    """No longer requiring grad: it gets no .grad. Made an op's output by an
    in-place op: backward refuses to give it one (both as PyTorch)."""
    x, seen = leaf([1.0, 2.0]), []
    x.register_hook(lambda g: seen.append(g.data.tolist()))
    y = (x * 2).sum()
    x.requires_grad_(False)
    y.backward()
    assert x.grad is None and seen == [[2.0, 2.0]]   # its hooks still run, as PyTorch's
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x + 1).sum()
    x.requires_grad_(False)
    x.mul_(w)
    with pytest.raises(RuntimeError, match="moved into the graph interior"):
        y.backward()


def test_repeat_and_tile_copy_as_pytorchs_do():
    x = Tensor([1.0, 2.0])
    y = x.repeat(1)
    y.mul_(3)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    z = Tensor([[1.0, 2.0]]).repeat(2, 1)
    z.mul_(3)                                   # writeable: a broadcast view was not
    np.testing.assert_array_equal(z.data, [[3.0, 6.0], [3.0, 6.0]])
    w = leaf([[1.0, 2.0]])
    t = w.tile((1, 1)) * 1
    t.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1.0, 1.0]])


def test_anomaly_mode_as_a_call_a_context_and_a_decorator_with_check_nan():
    from tinygrad_nndl.autograd import detect_anomaly, set_detect_anomaly
    x = leaf([0.0, 1.0])
    with detect_anomaly():
        assert tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
        with pytest.raises(RuntimeError, match="log forward produced inf"):
            x.log()
    with detect_anomaly(check_nan=False):
        assert tg.is_anomaly_enabled() and not tg.is_anomaly_check_nan_enabled()
        y = x.log()   # -inf is a value; the op still records where it was made
        assert y.grad_fn.created_at.startswith(__file__)
    assert not tg.is_anomaly_enabled()
    set_detect_anomaly(True)
    assert tg.is_anomaly_enabled()
    set_detect_anomaly(False)
    assert not tg.is_anomaly_enabled()

    @set_detect_anomaly(True)
    def inside():
        return tg.is_anomaly_enabled()
    assert not tg.is_anomaly_enabled() and inside() and not tg.is_anomaly_enabled()


@pytest.mark.parametrize("case, error", [
    ("backward with no inputs", RuntimeError),
    ("backward into an input that needs no grad", RuntimeError),
    ("a hook that changes the dtype", RuntimeError),
    ("a hook that returns a number", TypeError),
    ("materialize_grads with allow_unused=False", ValueError),
    ("detach_ of a view", RuntimeError),
])
def test_misuse_of_the_autograd_api_raises_pytorchs_exception_type(case, error):
    with pytest.raises(error):
        misuse(tg, case)


def misuse(lib, case):
    """One misuse of the API, the same code for PyTorch and for ours."""
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    if case == "backward with no inputs":
        y.sum().backward(inputs=[])
    elif case == "backward into an input that needs no grad":
        y.sum().backward(inputs=[lib.tensor([1.0])])
    elif case == "a hook that changes the dtype":
        y.register_hook(lambda g: g.double())
        y.sum().backward()
    elif case == "a hook that returns a number":
        y.register_hook(lambda g: 3)
        y.sum().backward()
    elif case == "materialize_grads with allow_unused=False":
        lib.autograd.grad(y.sum(), [x], materialize_grads=True, allow_unused=False)
    elif case == "detach_ of a view":
        y[0:1].detach_()


def test_tril_saves_nothing_and_maximum_reads_its_inputs_only():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.tril().sum()
    y.backward()
    y.backward()                           # the mask is tril's argument, not a saved value
    np.testing.assert_array_equal(x.grad.data, [[2.0, 0.0], [2.0, 2.0]])
    a, b = leaf([1.0, np.nan, 3.0]), leaf([2.0, 1.0, 3.0])
    m = tg.maximum(a, b)
    m += 1                                 # the result changed: its gradient does not read it
    m.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.0, 1.0, 0.5])   # NaN won: all of g, to both
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0, 0.5])   # a tie: halves


def test_set_grad_enabled_takes_pytorchs_keyword():
    tg.set_grad_enabled(mode=False)
    try:
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(mode=True)
    assert tg.is_grad_enabled()


def test_accumulating_into_a_grad_no_graph_saved_keeps_older_graphs_fast():
    """Its version still counts; the clock that sends older nodes to the
    version check moves only when something besides the .grad holds it."""
    from tinygrad_nndl.tensor.version import clock
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    before, version = clock.last_inplace, x.grad._version
    (x * x).sum().backward()
    assert clock.last_inplace == before and x.grad._version == version + 1
    kept = x.grad.data   # held elsewhere: a graph could have saved it
    (x * x).sum().backward()
    assert clock.last_inplace > before and kept is x.grad.data


def test_derivatives_of_the_functional_api_are_taken_under_no_grad_too():
    from tinygrad_nndl.autograd.functional import hessian, jacobian
    with tg.no_grad():
        j = jacobian(lambda x: x * x, Tensor([1.0, 2.0]))
        h = hessian(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]))
    np.testing.assert_array_equal(j.data, [[2.0, 0.0], [0.0, 4.0]])
    np.testing.assert_array_equal(h.data, [[6.0, 0.0], [0.0, 12.0]])


def test_threads_adding_into_one_grad_lose_nothing():
    w = leaf([0.0])
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        for _ in range(100):
            (w * 1.0).sum().backward()
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.grad.data[0] == 800.0


def test_create_graph_is_read_as_a_bool():
    x, seen = leaf([1.0, 2.0]), []
    y = x * x
    y.register_hook(lambda g: seen.append(tg.is_grad_enabled()))
    total = y.sum()
    with tg.no_grad():
        total.backward(create_graph=None, retain_graph=True)
        (g,) = grad(total, x, create_graph=2)
    assert seen == [False, True] and g.requires_grad


def test_a_float16_mean_sums_in_float32():
    x = Tensor(np.full(10, 60000.0, np.float16))
    assert x.mean().dtype == np.float16 and x.mean().data == 60000.0


def test_backward_into_inputs_records_the_second_sum_under_no_grad_with_create_graph():
    w = leaf([1.0, 2.0])
    for _ in range(2):
        y = (w * w).sum()
        with tg.no_grad():
            y.backward(inputs=[w], create_graph=True)
    assert w.grad.requires_grad   # 2w + 2w, still a function of w
    (h,) = grad(w.grad.sum(), w)
    np.testing.assert_array_equal(h.data, [4.0, 4.0])
    assert tg.is_anomaly_check_nan_enabled()   # PyTorch's default while anomaly mode is off


def test_accumulating_into_a_grad_that_is_a_view_is_seen_by_a_graph_that_read_it():
    """.grad may be a view of a larger buffer (passed on without a copy); a graph
    that saved another view of that buffer must see the accumulation."""
    b, x = leaf([1.0]), leaf([0.0, 1.0, 2.0])
    w = Tensor(np.array([[1.0, 2.0, 3.0]]))

    def step():
        ((b * 2).sum() + (x.reshape(1, 3) * w).sum()).backward()
    step()
    z = leaf([1.0, 1.0])
    y = (x.grad[:2] * z).sum()
    step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_a_leaf_hook_may_wait_on_another_threads_backward():
    """Hooks run outside the lock that guards .grad (a data-parallel all-reduce
    waits for the other replicas' hooks)."""
    barrier = threading.Barrier(2, timeout=10)
    errors = []

    def all_reduce(g):
        barrier.wait()

    def replica():
        w = leaf([1.0, 2.0])
        w.register_hook(all_reduce)
        try:
            (w * 3).sum().backward()
            np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])
        except Exception as e:   # collected: a thread's failure must fail the test
            errors.append(e)
    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_diag_of_a_matrix_is_a_copy_as_pytorchs():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    x.diag().fill_(-1.0)
    np.testing.assert_array_equal(x.data, [[1.0, 2.0], [3.0, 4.0]])


def test_backward_into_a_retained_non_leaf_adds_its_gradient_once():
    x = leaf([1.0, 1.0])
    z = x * 2
    z.retain_grad()
    tg.autograd.backward([(z * z).sum()], inputs=[z])
    np.testing.assert_array_equal(z.grad.data, [4.0, 4.0])   # 2z, as PyTorch's
    assert x.grad is None


def test_a_non_leaf_given_as_backward_input_retains_its_grad_from_then_on():
    """PyTorch calls retain_grad on a non-leaf in ``inputs``: later backwards
    accumulate into its .grad (2z, then 2z again)."""
    x = leaf([1.0, 2.0])
    z = x * 2
    (z * z).sum().backward(inputs=[z], retain_graph=True)
    assert z.retains_grad and x.grad is None
    np.testing.assert_array_equal(z.grad.data, [4.0, 8.0])
    (z * z).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [8.0, 16.0])
    np.testing.assert_array_equal(x.grad.data, [8.0, 16.0])   # 2 * 2z


def test_a_retained_grad_recorded_by_create_graph_loses_its_graph_in_a_plain_backward():
    """PyTorch: after backward(create_graph=True), y.grad (2y) requires grad; a
    plain backward then sums out of place with grad mode off: 4y, no graph.
    A leaf's .grad is added into in place, and keeps requiring grad."""
    x = leaf([1.0, 2.0])
    y = x * x
    y.retain_grad()
    (y * y).sum().backward(create_graph=True)
    assert y.grad.requires_grad and x.grad.requires_grad
    np.testing.assert_array_equal(y.grad.data, [2.0, 8.0])
    (y * y).sum().backward()
    assert not y.grad.requires_grad and y.grad.grad_fn is None
    np.testing.assert_array_equal(y.grad.data, [4.0, 16.0])
    assert x.grad.requires_grad
    np.testing.assert_array_equal(x.grad.data, [8.0, 64.0])   # twice 4x^3


def test_a_retained_grad_the_user_kept_is_not_changed_by_a_later_backward():
    """PyTorch's retain_grad sums out of place: a kept .grad, and a graph that
    saved it, stay as they were."""
    x = leaf([1.0, 2.0])
    y = x * x
    y.retain_grad()
    (y * y).sum().backward(retain_graph=True)
    kept = y.grad
    w = leaf([1.0, 1.0])
    uses_kept = (kept * w).sum()   # saves kept for w's gradient
    (y * y).sum().backward()
    np.testing.assert_array_equal(kept.data, [2.0, 8.0])
    np.testing.assert_array_equal(y.grad.data, [4.0, 16.0])
    uses_kept.backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 8.0])


def test_backward_with_a_non_leaf_input_frees_its_node_as_pytorch():
    """PyTorch runs the node of a non-leaf in ``inputs`` and frees what it saved
    (not with retain_graph=True, and not in autograd.grad)."""
    x = leaf([1.0, 2.0])
    z = x * x
    (z * 3).sum().backward(inputs=[z])
    with pytest.raises(RuntimeError, match="second time"):
        (z * 3).sum().backward()
    z = x * x
    (z * 3).sum().backward(inputs=[z], retain_graph=True)
    tg.autograd.grad((z * 3).sum(), [z])
    (z * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 12.0])


def test_grad_with_no_inputs_raises_as_pytorch():
    y = (leaf([1.0, 2.0]) * 2).sum()
    with pytest.raises(RuntimeError, match="inputs.*empty"):
        tg.autograd.grad(y, [])


def test_a_recorded_grad_never_shares_the_callers_gradient():
    """Under create_graph the first .grad may be a view of the gradient the
    caller passed (through reshape's backward): it is a copy, as PyTorch's."""
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    u = Tensor(np.ones(4))
    x.reshape(4).backward(u, create_graph=True)
    with tg.no_grad():
        u.mul_(5)
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 2)))


def test_grad_with_create_graph_under_no_grad_stays_differentiable():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = (x.reshape(4) ** 3).sum()
    with tg.no_grad():
        (g,) = grad(y, x, create_graph=True)   # 3x^2, through reshape's backward: a view
    assert g.requires_grad
    (h,) = grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, 6 * x.data)
