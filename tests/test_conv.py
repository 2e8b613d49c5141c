"""Convolution, pooling, padding and batch norm against their definitions
written as plain loops, finite differences (float64) and second derivatives."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import nn
from tinygrad_nndl.autograd import gradcheck, gradgradcheck
from tinygrad_nndl.nn import functional as F


# ----- the definitions, one output element at a time ------------------------------
def loop_conv2d(x, w, b, stride, pad, dilation, groups):
    """z[n, o, y, x] = b[o] + sum over c, i, j of
    w[o, c, i, j] * xpad[n, g*C/G + c, y*s + i*d, x*s + j*d]."""
    (sh, sw), ((pt, pb), (pl, pr)), (dh, dw) = stride, pad, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    ho = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for ni in range(n):
        for oi in range(o):
            g = oi // og
            for yi in range(ho):
                for xi in range(wo):
                    s = 0.0 if b is None else b[oi]
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                s += w[oi, ci, i, j] * xp[ni, g * cg + ci, yi * sh + i * dh,
                                                          xi * sw + j * dw]
                    out[ni, oi, yi, xi] = s
    return out


def loop_pool(x, k, s, p, d, ceil_mode, kind, count_include_pad=True):
    """max or average over every window, the window clipped as PyTorch clips it."""
    n, c, h, w = x.shape
    out_hw = []
    for size, ki, si, pi, di in zip((h, w), k, s, p, d):
        o = (size + 2 * pi - di * (ki - 1) - 1 + (si - 1 if ceil_mode else 0)) // si + 1
        if ceil_mode and (o - 1) * si >= size + pi:
            o -= 1
        out_hw.append(o)
    out = np.zeros((n, c, *out_hw))
    for yi in range(out_hw[0]):
        for xi in range(out_hw[1]):
            rows = [yi * s[0] - p[0] + i * d[0] for i in range(k[0])]
            cols = [xi * s[1] - p[1] + j * d[1] for j in range(k[1])]
            inside = [(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w]
            assume(inside)   # a dilated window wholly on padding has no maximum
            vals = np.stack([x[:, :, r, q] for r, q in inside], -1)
            if kind == "max":
                out[:, :, yi, xi] = vals.max(-1)
            else:
                if count_include_pad:
                    hend = min(yi * s[0] - p[0] + k[0], h + p[0])
                    wend = min(xi * s[1] - p[1] + k[1], w + p[1])
                    count = (hend - (yi * s[0] - p[0])) * (wend - (xi * s[1] - p[1]))
                else:
                    count = len(inside)
                out[:, :, yi, xi] = vals.sum(-1) / count
    return out


def _t(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 7))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 7))
    n = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    return dict(x=rng.standard_normal((n, cg * groups, h, w)),
                w=rng.standard_normal((og * groups, cg, kh, kw)),
                b=rng.standard_normal(og * groups) if draw(st.booleans()) else None,
                stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups)


@given(conv_cases())
def test_conv2d_matches_the_loop_definition(case):
    x, w, b = case["x"], case["w"], case["b"]
    ph, pw = case["padding"]
    out = F.conv2d(_t(x, False), _t(w, False), None if b is None else _t(b, False),
                   case["stride"], case["padding"], case["dilation"], case["groups"])
    want = loop_conv2d(x, w, b, case["stride"], ((ph, ph), (pw, pw)), case["dilation"],
                       case["groups"])
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)


@given(conv_cases())
def test_conv2d_gradients_match_finite_differences(case):
    args = [_t(case["x"]), _t(case["w"])] + ([] if case["b"] is None else [_t(case["b"])])

    def f(x, w, b=None):
        return F.conv2d(x, w, b, case["stride"], case["padding"], case["dilation"],
                        case["groups"])

    assert gradcheck(f, args)


def test_conv2d_second_derivatives():
    """gradgradcheck: the input and weight gradients are ops whose own
    gradients are the other convolutions (create_graph works through them)."""
    rng = np.random.default_rng(1)
    x, w, b = (_t(rng.standard_normal(s)) for s in ((2, 4, 6, 5), (4, 2, 3, 2), (4,)))

    def f(x, w, b):
        z = F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
        return z.sigmoid()   # a curved function: the Hessian is not zero

    assert gradgradcheck(f, (x, w, b))


def test_conv2d_same_padding_and_conv1d():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, 2, 3))
    out = F.conv2d(_t(x, False), _t(w, False), padding="same", dilation=(3, 1))
    # total padding d(k - 1); PyTorch puts the odd one at the bottom/right
    want = loop_conv2d(x, w, None, (1, 1), ((1, 2), (1, 1)), (3, 1), 1)
    assert out.shape == (2, 4, 6, 7)
    np.testing.assert_allclose(out.data, want, atol=1e-10)
    assert F.conv2d(_t(x, False), _t(w, False), padding="valid").shape == (2, 4, 5, 5)
    x1, w1 = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3))
    out1 = F.conv1d(_t(x1, False), _t(w1, False), stride=2, padding=1, dilation=2, groups=2)
    want1 = loop_conv2d(x1[:, :, None], w1[:, :, None], None, (1, 2), ((0, 0), (1, 1)), (1, 2),
                        2)[:, :, 0]
    np.testing.assert_allclose(out1.data, want1, atol=1e-10)
    assert gradcheck(lambda a, b: F.conv1d(a, b, padding="same"),
                     (_t(x1[:1, :2, :5]), _t(w1[:3, :, :])))


def test_unbatched_input_and_float32():
    rng = np.random.default_rng(3)
    conv = nn.Conv2d(3, 5, 3, padding=1)
    x = tg.tensor(rng.standard_normal((3, 8, 8)).astype(np.float32))
    out = conv(x)
    assert out.shape == (5, 8, 8) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, conv(x.unsqueeze(0)).data[0], rtol=1e-6)


def test_conv2d_module_default_init_and_state_dict_names():
    conv = nn.Conv2d(4, 6, (3, 5), groups=2)
    assert conv.weight.shape == (6, 2, 3, 5) and conv.bias.shape == (6,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(2 * 3 * 5)   # PyTorch: U(+-1/sqrt(fan_in)) for both
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound
    assert nn.Conv2d(2, 3, 3, bias=False).bias is None


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes_are_pad_then_convolve(mode):
    rng = np.random.default_rng(4)
    conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    x = _t(rng.standard_normal((1, 2, 5, 6)), False)
    want = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias)
    np.testing.assert_allclose(conv(x).data, want.data, atol=1e-12)


# ----- pooling ----------------------------------------------------------------
@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    ceil_mode = draw(st.booleans())
    h = draw(st.integers(max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]), 7))
    w = draw(st.integers(max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]), 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return dict(x=rng.standard_normal((2, 2, h, w)), k=k, s=s, p=p, d=d, ceil_mode=ceil_mode)


@given(pool_cases())
def test_max_pool2d_matches_the_loop_definition_and_differences(c):
    f = lambda x: F.max_pool2d(x, c["k"], c["s"], c["p"], c["d"], c["ceil_mode"])  # noqa: E731
    x = _t(c["x"])
    want = loop_pool(c["x"], c["k"], c["s"], c["p"], c["d"], c["ceil_mode"], "max")
    np.testing.assert_array_equal(f(x).data, want)
    assert gradcheck(f, (x,))


@given(pool_cases(), st.booleans())
def test_avg_pool2d_matches_the_loop_definition_and_differences(c, count_include_pad):
    def f(x):
        return F.avg_pool2d(x, c["k"], c["s"], c["p"], c["ceil_mode"], count_include_pad)

    x = _t(c["x"])
    want = loop_pool(c["x"], c["k"], c["s"], c["p"], (1, 1), c["ceil_mode"], "avg",
                     count_include_pad)
    np.testing.assert_allclose(f(x).data, want, rtol=1e-12, atol=1e-12)
    assert gradcheck(f, (x,))


def test_max_pool_gradient_goes_to_the_first_maximum_and_indices():
    x = _t([[[[1.0, 3.0, 3.0, 0.0],
               [3.0, 2.0, 0.0, 3.0]]]])
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [[[[3.0, 3.0]]]])
    np.testing.assert_array_equal(x.grad.data, [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])
    np.testing.assert_array_equal(idx.data, [[[[1, 2]]]])   # h * W + w in the input plane
    assert idx.dtype == np.int64
    x.grad = None
    F.max_pool2d(x, 2).backward(_t([[[[np.nan, 2.0]]]], False))
    # a NaN gradient reaches the maximum only, not the window's other elements
    np.testing.assert_array_equal(x.grad.data, [[[[0, np.nan, 2, 0], [0, 0, 0, 0]]]])


def test_pool_gradients_are_zero_outside_every_window_and_exact_inside():
    """The backward writes into uninitialized memory only where the windows
    tile the input; rows and columns no window covers (odd sizes) get exact
    zeros, in float32 and in a convolution's (C, H, W, N) memory layout too."""
    rng = np.random.default_rng(11)
    for n, h, w in [(2, 5, 7), (64, 24, 24), (3, 9, 8)]:
        z = rng.standard_normal((3, h, w, n)).astype(np.float32).transpose(3, 0, 1, 2)
        for _ in range(3):   # fresh buffers each time: garbage would show
            x = tg.tensor(z, requires_grad=True)
            g = rng.standard_normal((n, 3, h // 2, w // 2)).astype(np.float32)
            F.max_pool2d(x, 2).backward(tg.tensor(g))
            want = np.zeros((n, 3, h, w), np.float32)
            windows = z[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, 3, h // 2, 2, w // 2, 2)
            flat = windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, 3, h // 2, w // 2, 4)
            first = flat.argmax(-1)   # the first maximum of each window
            for k in range(4):
                want[:, :, k // 2:h // 2 * 2:2, k % 2:w // 2 * 2:2] = np.where(first == k, g, 0)
            np.testing.assert_array_equal(x.grad.data, want)


def test_conv_bias_gradient_is_the_sum_of_delta_in_every_layout():
    """BP3 for a shared bias: dC/db_o = sum of delta over examples and positions,
    whether the gradient arrives in the convolution's own layout or in the
    user's (N, C, H, W) one."""
    rng = np.random.default_rng(12)
    x = tg.tensor(rng.standard_normal((6, 2, 9, 9)).astype(np.float32))
    conv = nn.Conv2d(2, 4, 3)
    for g in (rng.standard_normal((6, 4, 7, 7)).astype(np.float32),
              np.ascontiguousarray(rng.standard_normal((4, 7, 7, 6)).astype(np.float32))
              .transpose(3, 0, 1, 2)):
        conv.zero_grad()
        conv(x).backward(tg.tensor(g))
        np.testing.assert_allclose(conv.bias.grad.data, g.astype(np.float64).sum((0, 2, 3)),
                                   rtol=1e-5, atol=1e-5)


def test_max_pool_nan_propagates_and_second_derivatives():
    x = _t([[[[1.0, np.nan], [2.0, 0.0]]]])
    out = F.max_pool2d(x, 2)
    out.sum().backward()
    assert np.isnan(out.data).all()
    np.testing.assert_array_equal(x.grad.data, [[[[0, 1], [0, 0]]]])
    rng = np.random.default_rng(5)
    y = _t(rng.standard_normal((1, 2, 5, 5)))
    assert gradgradcheck(lambda y: F.max_pool2d(y * y, 3, 2, 1), (y,))
    assert gradgradcheck(lambda y: F.avg_pool2d(y * y, 2, 1, 1), (y,))


def test_adaptive_avg_pool2d_bins():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2, 3, 7, 5))
    out = F.adaptive_avg_pool2d(_t(a, False), (3, 2))
    # PyTorch's bins: [floor(i n / o), ceil((i + 1) n / o))
    bins = lambda n, o: [((i * n) // o, -(-(i + 1) * n // o)) for i in range(o)]  # noqa: E731
    want = np.array([[a[:, :, r0:r1, c0:c1].mean((-2, -1)) for c0, c1 in bins(5, 2)]
                     for r0, r1 in bins(7, 3)]).transpose(2, 3, 0, 1)
    np.testing.assert_allclose(out.data, want, atol=1e-12)
    assert F.adaptive_avg_pool2d(_t(a, False), (1, None)).shape == (2, 3, 1, 5)
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (_t(a[:1, :1]),))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes_and_their_gradients(mode):
    a = np.arange(12.0).reshape(1, 3, 4)
    pads = (2, 1, 1, 2) if mode != "constant" else (2, -1, 1, 2)
    out = F.pad(_t(a, False), pads, mode=mode, value=None)
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}.get(mode)
    if mode == "constant":
        want = np.pad(a[:, :, :3], ((0, 0), (1, 2), (2, 0)))
    else:
        want = np.pad(a, ((0, 0), (1, 2), (2, 1)), mode=np_mode)
    np.testing.assert_array_equal(out.data, want)
    x = _t(np.random.default_rng(7).standard_normal((1, 3, 4)))
    assert gradcheck(lambda x: F.pad(x, pads, mode=mode) ** 2, (x,))
    assert gradgradcheck(lambda x: F.pad(x, pads, mode=mode) ** 2, (x,))
    assert F.pad(_t(a, False), (1, 1), value=5.0).data[0, 0, 0] == 5.0


# ----- batch norm --------------------------------------------------------------
def test_batchnorm2d_train_eval_and_running_statistics():
    rng = np.random.default_rng(8)
    bn = nn.BatchNorm2d(3).double()
    xs = [rng.standard_normal((4, 3, 2, 5)) * 2 + 1 for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for a in xs:
        out = bn(_t(a, False))
        mean, var = a.mean((0, 2, 3)), a.var((0, 2, 3))
        want = (a - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
        np.testing.assert_allclose(out.data, want, atol=1e-10)
        rm = 0.9 * rm + 0.1 * mean
        rv = 0.9 * rv + 0.1 * var * 40 / 39   # the running variance is unbiased
    np.testing.assert_allclose(bn.running_mean.data, rm, atol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, rv, atol=1e-12)
    assert int(bn.num_batches_tracked.data) == 3
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    bn.eval()
    a = xs[0]
    np.testing.assert_allclose(bn(_t(a, False)).data,
                               (a - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5),
                               atol=1e-10)


def test_batchnorm_cumulative_momentum_no_stats_and_gradients():
    rng = np.random.default_rng(9)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [rng.standard_normal((5, 2)) for _ in range(4)]
    for a in xs:
        bn(_t(a, False))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([a.mean(0) for a in xs], 0))
    free = nn.BatchNorm1d(3, affine=False, track_running_stats=False).double()
    assert list(free.state_dict()) == []
    free.eval()   # no running statistics: the batch's are used in eval too
    a = rng.standard_normal((6, 3, 4))
    want = (a - a.mean((0, 2), keepdims=True)) / np.sqrt(a.var((0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(free(_t(a, False)).data, want, atol=1e-10)
    bn = nn.BatchNorm2d(2).double()
    bn.weight.data[:] = [1.5, -0.5]
    x = _t(rng.standard_normal((3, 2, 2, 2)))
    # through the batch statistics too: every output depends on every input of its channel
    assert gradcheck(lambda x: bn(x) ** 2, (x,))
    assert gradgradcheck(lambda x: bn(x).sigmoid(), (x,))


# ----- bad input -----------------------------------------------------------------
def test_errors_name_the_layer_and_the_shapes():
    conv = nn.Conv2d(3, 4, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*3 channels.*\(2, 2, 8, 8\)"):
        conv(tg.zeros(2, 2, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*kernel size \(5, 5\).*\(4, 4\)"):
        conv(tg.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*4-D.*\(2, 3, 8, 8, 1\)"):
        conv(tg.zeros(2, 3, 8, 8, 1))
    with pytest.raises(ValueError, match=r"conv2d: negative padding"):
        F.conv2d(tg.zeros(1, 3, 8, 8), conv.weight, padding=-1)
    with pytest.raises(ValueError, match=r"Conv2d: negative padding"):
        nn.Conv2d(3, 4, 3, padding=-1)
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(tg.zeros(1, 3, 8, 8), conv.weight, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=3.*larger than the padded "
                                         r"input.*\(1, 1, 2, 2\)"):
        nn.MaxPool2d(3)(tg.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="at most half of the kernel"):
        F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*3 channels.*\(2, 4, 1, 1\)"):
        nn.BatchNorm2d(3)(tg.zeros(2, 4, 1, 1))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.zeros(1, 3))
    with pytest.raises(ValueError, match="reflect padding"):
        F.pad(tg.zeros(1, 2, 3), (3, 0), mode="reflect")
    w = conv.weight.data.copy()
    with pytest.raises(ValueError):
        conv(tg.zeros(2, 2, 8, 8))
    np.testing.assert_array_equal(conv.weight.data, w)   # nothing changed


# ----- examples/network3.py ---------------------------------------------------------
def _network3():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "examples" / "network3.py"
    spec = importlib.util.spec_from_file_location("network3", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_network3_initialization_and_l2_are_the_books():
    network3 = _network3()
    tg.manual_seed(0)
    model = network3.build("relu").double()
    conv1, conv2 = model[0].conv.weight.data, model[1].conv.weight.data
    # n_out = filters * 5 * 5 / (2 * 2): 125 and 250
    assert abs(conv1.std() * math.sqrt(125) - 1) < 0.1
    assert abs(conv2.std() * math.sqrt(250) - 1) < 0.05
    assert abs(model[3].fc.weight.data.std() * math.sqrt(100) - 1) < 0.05
    assert not model[4].fc.weight.data.any() and not model[4].fc.bias.data.any()
    # one SGD step with the weight decay equals one step on network3's cost:
    # mean log-likelihood + lambda/2 * sum w^2 / (n / m)
    n, m, eta, lmbda = 50_000, 10, 0.03, 0.1
    nn.init.normal_(model[4].fc.weight, 0, 0.1)
    rng = np.random.default_rng(0)
    x, y = _t(rng.random((m, 1, 28, 28)), False), tg.tensor(rng.integers(0, 10, m))
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    l2 = sum((w * w).sum() for w in weights)
    cost = F.cross_entropy(model(x), y) + 0.5 * lmbda * l2 / (n / m)
    grads = tg.autograd.grad(cost, list(model.parameters()))
    want = [p.data - eta * g.data for p, g in zip(model.parameters(), grads)]
    optimizer = network3.make_optimizer(model, eta, lmbda, m, n)
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    for p, w in zip(model.parameters(), want):
        np.testing.assert_allclose(p.data, w, rtol=1e-10, atol=1e-12)


@pytest.mark.mnist
def test_network3_trains_on_mnist(capsys):
    from pathlib import Path
    data = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
    if not (data / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("MNIST is not in ../shared/data/mnist")
    _network3().main(["--net", "conv2", "--epochs", "1", "--limit", "300", "--data-dir", str(data)])
    out = capsys.readouterr().out
    assert "300 training images" in out and "corresponding test accuracy" in out
