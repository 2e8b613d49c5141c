"""Modules (nn/module.py, linear.py, init.py, dropout.py): registration and
dotted names, containers, state dicts, train/eval, Dropout's statistics,
Linear's gradients and the initializers' distributions."""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.nn import functional as F
from tinygrad_nndl.nn import init


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("count", tg.zeros(1))
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 2)
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1, bias=False)])
        self.not_a_param = tg.ones(3)   # a plain Tensor is not registered

    def forward(self, x):
        x = self.block(self.fc1(x).sigmoid())
        for layer in self.layers:
            x = layer(x)
        return x


NET_NAMES = ["fc1.weight", "fc1.bias", "block.scale", "block.fc.weight", "block.fc.bias",
             "layers.0.weight", "layers.0.bias", "layers.1.weight"]


# ----- registration and names --------------------------------------------------
def test_named_parameters_have_pytorch_dotted_names_in_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == NET_NAMES
    assert len(list(net.parameters())) == 8
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "block", "block.fc", "layers",
                                                   "layers.0", "layers.1"]
    assert [n for n, _ in net.named_children()] == ["fc1", "block", "layers"]
    assert net.layers[1].bias is None


def test_state_dict_orders_parameters_then_buffers_then_children():
    """PyTorch's order: each module's own parameters, its buffers, then its children."""
    sd = Net().state_dict()
    assert list(sd) == ["fc1.weight", "fc1.bias", "block.scale", "block.count",
                        "block.fc.weight", "block.fc.bias", "layers.0.weight",
                        "layers.0.bias", "layers.1.weight"]
    net = Net()
    for name, t in net.state_dict().items():
        assert t.grad_fn is None and not t.requires_grad
    # The tensors share memory with the parameters, as PyTorch's do.
    assert np.shares_memory(net.state_dict()["fc1.weight"].data, net.fc1.weight.data)


def test_reassigning_and_deleting_attributes_updates_registration():
    net = Net()
    net.fc1 = nn.Linear(3, 2, bias=False)
    names = [n for n, _ in net.named_parameters()]
    assert "fc1.weight" in names and "fc1.bias" not in names and len(names) == 7
    del net.block
    assert not any(n.startswith("block") for n, _ in net.named_parameters())
    net.fc1 = tg.ones(2)   # replaced by a plain tensor: no longer a module or parameter
    assert "fc1.weight" not in dict(net.named_parameters())


def test_shared_parameters_are_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.Sigmoid(), a)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


def test_assigning_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_parameter_is_a_leaf_that_requires_grad_and_shares_memory():
    t = tg.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, tg.Tensor)
    assert np.shares_memory(p.data, t.data)
    assert repr(p).startswith("Parameter containing:")


# ----- containers --------------------------------------------------------------
def test_sequential_applies_in_order_and_indexes():
    seq = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    x = tg.randn(5, 3)
    expected = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).data, expected.data)
    assert len(seq) == 3 and list(seq)[1] is seq[1]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                      "2.bias"]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    seq.append(nn.Tanh())
    assert len(seq) == 4 and isinstance(seq[-1], nn.Tanh)


def test_sequential_from_ordered_dict_uses_the_names():
    seq = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.Sigmoid()),
                                     ("out", nn.Linear(3, 1))]))
    assert list(seq.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight",
                                      "out.bias"]


def test_module_list_registers_and_indexes():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2)).extend([nn.Linear(2, 2)])
    assert len(ml) == 3
    assert [n for n, _ in ml.named_parameters()] == [f"{i}.{k}" for i in range(3)
                                                     for k in ("weight", "bias")]
    assert ml[1].out_features == 2 and len(ml[1:]) == 2


def test_repr_is_readable():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Dropout(0.25))
    assert repr(seq) == ("Sequential(\n  (0): Linear(in_features=2, out_features=3, "
                         "bias=True)\n  (1): Sigmoid()\n  (2): Dropout(p=0.25)\n)")


# ----- load_state_dict -----------------------------------------------------------
def test_load_state_dict_copies_values():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=n)
        assert not np.shares_memory(p.data, q.data)


def test_load_state_dict_errors_name_the_key_and_both_shapes_and_change_nothing():
    net = Net()
    before = {k: v.data.copy() for k, v in net.state_dict().items()}
    sd = {k: v.data.copy() + 1 for k, v in Net().state_dict().items()}

    bad = dict(sd)
    bad["block.fc.weight"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"'block\.fc\.weight'.*\(3, 2\).*\(2, 2\)"):
        net.load_state_dict(bad)
    missing = dict(sd)
    del missing["layers.1.weight"]
    with pytest.raises(RuntimeError, match=r"missing keys \['layers\.1\.weight'\]"):
        net.load_state_dict(missing)
    extra = dict(sd, **{"layers.1.bias": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r"unexpected keys \['layers\.1\.bias'\]"):
        net.load_state_dict(extra)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k], err_msg=k)

    result = net.load_state_dict(extra, strict=False)
    assert list(result[1]) == ["layers.1.bias"]
    np.testing.assert_array_equal(net.fc1.weight.data, sd["fc1.weight"])


# ----- train / eval and Dropout ----------------------------------------------------
def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    """Each element is zeroed with probability p (binomial: the fraction of 200,000
    is within 5 sigma) and survivors are scaled by exactly 1/(1 - p), so the mean
    is kept."""
    x = tg.ones(400, 500)
    drop = nn.Dropout(p)
    y = drop(x).data
    n = y.size
    zero_fraction = np.mean(y == 0)
    assert abs(zero_fraction - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)
    assert y.dtype == np.float32


def test_dropout_is_identity_in_eval_and_masks_the_gradient():
    x = tg.tensor(np.random.default_rng(0).standard_normal((50, 40)), requires_grad=True)
    drop = nn.Dropout(0.5)
    y = drop(x)
    y.sum().backward()
    mask = y.data != 0
    np.testing.assert_array_equal(x.grad.data, np.where(mask, 2.0, 0.0))
    assert y.dtype == np.float64
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).data, np.zeros((50, 40)))


def test_dropout_uses_the_seeded_library_generator():
    tg.manual_seed(7)
    a = nn.Dropout(0.3)(tg.ones(20, 20)).data
    tg.manual_seed(7)
    b = F.dropout(tg.ones(20, 20), 0.3).data
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(tg.ones(2), -0.1)


# ----- Linear ---------------------------------------------------------------------
def test_linear_gradcheck():
    layer = nn.Linear(4, 3).double()
    x = tg.tensor(np.random.default_rng(0).standard_normal((5, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, layer.weight, layer.bias))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b).sigmoid(),
                         (x, layer.weight, layer.bias))
    assert gradcheck(lambda x: layer(x).sigmoid(), (x,))
    x3 = tg.tensor(np.random.default_rng(1).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x3, layer.weight, layer.bias))
    no_bias = nn.Linear(4, 2, bias=False).double()
    assert gradcheck(lambda x, w: F.linear(x, w), (x, no_bias.weight))


def test_linear_computes_x_wT_plus_b_and_checks_input():
    layer = nn.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(tg.tensor(x)).data,
                               x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    with pytest.raises(ValueError, match=r"last dimension 3, got shape \(4, 2\)"):
        layer(tg.ones(4, 2))


def test_module_zero_grad_double_and_requires_grad():
    net = nn.Sequential(nn.Linear(2, 2)).double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    net(tg.ones(1, 2, dtype=np.float64)).sum().backward()
    assert net[0].weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


# ----- initializers: distributions with loose statistical bounds ---------------
def _big():
    return tg.empty(300, 400)   # 120,000 samples


def _check_uniform(values, bound):
    """Inside [-bound, bound], reaching near both ends, with mean 0 and
    variance bound^2 / 3 (tolerances: 5 standard errors for this sample size)."""
    values = values.astype(np.float64).ravel()
    n = values.size
    assert values.min() >= -bound and values.max() <= bound
    # No sample within 2 bound * 12/n of an end has probability e^-12.
    reach = bound * (1 - 24 / n)
    assert values.min() < -reach and values.max() > reach
    assert abs(values.mean()) < 5 * bound / np.sqrt(3 * n)
    # The variance of U^2 is 4 bound^4 / 45.
    assert abs(values.var() - bound ** 2 / 3) < 5 * np.sqrt(4 / 45 / n) * bound ** 2


def _check_normal(values, mean, std):
    """Mean, standard deviation and the 4.55% beyond 2 standard deviations of a
    normal sample, each within 5 standard errors for this sample size."""
    values = values.astype(np.float64).ravel()
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / np.sqrt(n)
    assert abs(values.std() / std - 1) < 5 / np.sqrt(2 * n)
    tail = 0.0455
    assert abs(np.mean(np.abs(values - mean) > 2 * std) - tail) < 5 * np.sqrt(tail * (1 - tail) / n)


def test_normal_and_uniform_and_constants():
    _check_normal(init.normal_(_big(), 1.5, 0.3).data, 1.5, 0.3)
    u = init.uniform_(_big(), -2.0, 1.0).data
    assert u.min() >= -2.0 and u.max() <= 1.0 and abs(u.mean() + 0.5) < 0.02
    assert np.all(init.zeros_(_big()).data == 0)
    assert np.all(init.constant_(tg.empty(3), 2.5).data == 2.5)


def test_xavier_and_kaiming_uniform_bounds():
    t = _big()   # fan_in 400, fan_out 300
    _check_uniform(init.xavier_uniform_(t).data, np.sqrt(6 / 700))
    _check_uniform(init.xavier_uniform_(t, gain=2.0).data, 2 * np.sqrt(6 / 700))
    _check_uniform(init.kaiming_uniform_(t, nonlinearity="relu").data,
                   np.sqrt(2) * np.sqrt(3 / 400))
    _check_uniform(init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu").data,
                   np.sqrt(2) * np.sqrt(3 / 300))


def test_linear_default_init_is_pytorchs():
    """U(-1/sqrt(in), 1/sqrt(in)) for both weight and bias."""
    layer = nn.Linear(400, 300)
    _check_uniform(layer.weight.data, 1 / np.sqrt(400))
    _check_uniform(layer.bias.data, 1 / np.sqrt(400))


def test_book_initializers():
    """Chapter 1: weights and biases N(0, 1). Chapter 3: weights N(0, 1/n_in),
    biases N(0, 1)."""
    net = nn.Sequential(nn.Linear(400, 300), nn.Sigmoid(), nn.Linear(300, 400))
    init.book_large_init_(net)
    _check_normal(net[0].weight.data, 0.0, 1.0)
    _check_normal(np.concatenate([net[0].bias.data, net[2].bias.data]), 0.0, 1.0)
    init.book_default_init_(net)
    _check_normal(net[0].weight.data, 0.0, 1 / np.sqrt(400))
    _check_normal(net[2].weight.data, 0.0, 1 / np.sqrt(300))
    _check_normal(np.concatenate([net[0].bias.data, net[2].bias.data]), 0.0, 1.0)


def test_init_needs_two_dimensions_for_fans():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(tg.empty(5))


def test_assigning_a_tensor_to_a_parameters_data_sets_its_values_as_pytorch():
    m = nn.Linear(2, 1)
    m.weight.data = tg.tensor([[1.0, 2.0]])
    m.bias.data = tg.tensor([0.5])
    y = m(tg.tensor([[1.0, 1.0]]))
    assert y.tolist() == [[3.5]]
    y.sum().backward()
    tg.optim.SGD(m.parameters(), lr=0.1).step()
    np.testing.assert_allclose(m.weight.data, [[0.9, 1.9]], rtol=1e-6)
    shared = tg.tensor([3.0])
    m.bias.data = shared   # the tensor's memory, as PyTorch's
    shared.data[0] = 4.0
    assert m.bias.item() == 4.0 and isinstance(m.bias.data, np.ndarray)
    with pytest.raises(RuntimeError, match="floating point"):
        m.weight.data = tg.tensor([[1, 2]])
    with pytest.raises(TypeError, match="Tensor or a numpy array"):
        m.weight.data = [[1.0, 2.0]]
    assert m.weight.data.tolist() == [[pytest.approx(0.9), pytest.approx(1.9)]]


def test_a_plain_tensor_whose_data_is_not_an_array_fails_loudly_in_the_next_op():
    x = tg.ones(2)
    x.data = tg.ones(2)   # a slot: cannot be checked here without slowing every op
    with pytest.raises(TypeError, match=r"\.data is not a numeric array"):
        x * 2


def test_a_non_float_parameter_pickles_and_deep_copies():
    import copy
    import pickle
    p = nn.Parameter(tg.ones(2, dtype=np.int64), requires_grad=False)
    for clone in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert clone.dtype == np.int64 and clone.data.tolist() == [1, 1]


@pytest.mark.parametrize("bad", [lambda: nn.Linear(3, 2)(tg.ones(4)),
                                 lambda: nn.Conv2d(3, 2, 1)(tg.ones(1, 2, 4, 4)),
                                 lambda: nn.LSTM(3, 4)(tg.ones(2, 1, 5))])
def test_layers_given_inputs_of_the_wrong_width_raise_pytorchs_runtime_error(bad):
    with pytest.raises(RuntimeError) as caught:
        bad()
    assert isinstance(caught.value, ValueError)   # and numpy's type, as every op's
