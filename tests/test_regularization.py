"""Chapter 3 regularizers (data/augment.py and training.py): mixup as convex
combinations (notes eq. 3.14-3.15), the two early-stopping criteria on
scripted histories, Gaussian input noise, and digit augmentation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import data, nn, training
from tinygrad_nndl.nn import functional as F


# ----- mixup --------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.integers(2, 5),
       st.floats(0.1, 5.0), st.integers(0, 2**31 - 1))
def test_mixup_outputs_are_convex_combinations_of_pairs(n, d, c, alpha, seed):
    """Every mixed example is lambda (x_i, y_i) + (1 - lambda)(x_j, y_j) with one
    lambda in [0, 1] and the partners j a permutation of the batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = np.eye(c)[rng.integers(0, c, n)]
    tg.manual_seed(seed)
    mx, my, lam = data.mixup(x, y, alpha)
    assert 0.0 <= lam <= 1.0
    assert mx.shape == x.shape and my.shape == y.shape
    partners = []
    for i in range(n):
        rows = [j for j in range(n)
                if np.allclose(mx[i], lam * x[i] + (1 - lam) * x[j], rtol=0, atol=1e-12)
                and np.allclose(my[i], lam * y[i] + (1 - lam) * y[j], rtol=0, atol=1e-12)]
        assert rows, f"mixed example {i} is no convex combination of x[{i}] and another row"
        partners.append(rows)
    # One partner per example, together a permutation (ties only from equal rows).
    chosen = set()
    for rows in partners:
        free = [j for j in rows if j not in chosen]
        assert free
        chosen.add(free[0])
    # The mixed targets are still probability vectors.
    np.testing.assert_allclose(my.sum(axis=1), 1.0)
    assert np.all(my >= 0)


def test_mixup_lambda_follows_beta_alpha_alpha():
    """Beta(a, a) has mean 1/2 and variance 1 / (4 (2a + 1)); 4000 draws put
    the sample mean within 0.02 and the variance within 15% (over 5 sigma)."""
    x, y = np.zeros((2, 1)), np.eye(2)
    for alpha in (0.2, 1.0, 4.0):
        lams = np.array([data.mixup(x, y, alpha)[2] for _ in range(4000)])
        var = 1 / (4 * (2 * alpha + 1))
        assert abs(lams.mean() - 0.5) < 0.02
        assert abs(lams.var() / var - 1) < 0.15


def test_mixup_keeps_tensors_and_checks_arguments():
    x = tg.randn(4, 3)
    y = F.one_hot(tg.tensor([0, 1, 2, 1]), 3).float()
    mx, my, _ = data.mixup(x, y, 0.4)
    assert isinstance(mx, tg.Tensor) and isinstance(my, tg.Tensor)
    assert mx.dtype == np.float32 and my.dtype == np.float32
    with pytest.raises(ValueError, match="one_hot"):
        data.mixup(x, np.array([0, 1, 2, 1]), 0.4)
    with pytest.raises(ValueError, match="same number of examples"):
        data.mixup(x, np.eye(3), 0.4)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        data.mixup(x, y, 0.0)


def test_training_on_mixed_targets_uses_probability_cross_entropy():
    x = tg.randn(6, 4)
    y = F.one_hot(tg.tensor([0, 1, 2, 0, 1, 2]), 3).float()
    mx, my, lam = data.mixup(x, y, 1.0)
    layer = nn.Linear(4, 3)
    loss = F.cross_entropy(layer(mx), my)
    loss.backward()
    assert np.isfinite(loss.item()) and layer.weight.grad is not None


# ----- early stopping ------------------------------------------------------------
def _first_stop(stopper, history):
    """Index of the first step that returns True (None if it never does), and
    check that it keeps returning True after that."""
    flags = [stopper.step(v) for v in history]
    first = flags.index(True) if True in flags else None
    if first is not None:
        assert all(flags[first:])
    return first


def test_error_change_criterion_stops_after_patience_epochs_without_improvement():
    errors = [0.50, 0.40, 0.41, 0.42, 0.40, 0.39, 0.45, 0.46, 0.47, 0.30]
    # Best 0.40 at epoch 1; epochs 2, 3, 4 do not beat it (0.40 is no drop).
    stopper = training.EarlyStopping(patience=3)
    assert _first_stop(stopper, errors) == 4
    assert stopper.best == 0.40 and stopper.best_epoch == 1
    # Patience 4: 0.39 at epoch 5 improves; 6, 7, 8 and 9? 0.30 improves -> never.
    assert _first_stop(training.EarlyStopping(patience=4), errors) is None
    # With min_delta 0.02 the 0.39 of epoch 5 is no real improvement either.
    assert _first_stop(training.EarlyStopping(patience=5, min_delta=0.02), errors) == 6
    # The notes: keep training a fixed number of epochs once the criterion is met.
    stopper = training.EarlyStopping(patience=3, extra_epochs=2)
    assert _first_stop(stopper, errors) == 6
    assert stopper.triggered_epoch == 4


def test_error_change_criterion_on_accuracy():
    accuracy = [0.90, 0.93, 0.95, 0.95, 0.94, 0.96, 0.96, 0.955, 0.96]
    assert _first_stop(training.EarlyStopping(patience=3, mode="max"), accuracy) == 8
    assert _first_stop(training.EarlyStopping(patience=2, mode="max"), accuracy) == 4


def test_early_stopping_argument_errors():
    with pytest.raises(ValueError, match="patience"):
        training.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        training.EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="NaN"):
        training.EarlyStopping().step(float("nan"))


# Two parameters' values per epoch. With window 2 and threshold 0.05,
# p1 alone has changed by at most 0.05 over two epochs first at epoch 5
# (0.64 - 0.62, 1.22 - 1.2); p2 still moves 0.06 then, and 0.07 at epoch 6,
# so both together stop at epoch 7.
P1 = [[0.0, 1.0], [0.5, 1.0], [0.6, 1.0], [0.62, 1.2], [0.63, 1.21], [0.64, 1.22],
      [0.645, 1.225], [0.65, 1.23]]
P2 = [3.0, 3.0, 3.0, 3.0, 3.0, 3.06, 3.07, 3.07]


def test_weight_change_criterion_stops_exactly_where_the_max_change_falls_below():
    stopper = training.WeightChangeStopping(window=2, threshold=0.05)
    assert _first_stop(stopper, [[np.array(a)] for a in P1]) == 5
    both = training.WeightChangeStopping(window=2, threshold=0.05)
    history = [[tg.tensor(a), tg.tensor([b])] for a, b in zip(P1, P2)]
    assert _first_stop(both, history) == 7
    np.testing.assert_allclose(both.last_change, 0.01, atol=1e-6)   # float32 tensors


def test_weight_change_criterion_relative_and_with_modules():
    # Relative change |w_t - w_{t-2}| / |w_t| of the first weight: 0.02 / 0.64
    # = 3.1% at epoch 5, 0.015 / 0.645 = 2.3% at epoch 6, 0.01 / 0.65 = 1.5% at 7
    # (the second weight's are smaller).
    history = [[np.array(a)] for a in P1]
    assert _first_stop(training.WeightChangeStopping(2, threshold=0.035, relative=True),
                       history) == 5
    assert _first_stop(training.WeightChangeStopping(2, threshold=0.02, relative=True),
                       history) == 7
    net = nn.Linear(3, 2)
    stopper = training.WeightChangeStopping(window=1, threshold=0.0)
    assert stopper.step(net) is False                   # nothing to compare yet
    assert stopper.step(net.named_parameters()) is True  # unchanged weights
    stopper = training.WeightChangeStopping(window=1, threshold=0.5)
    stopper.step(net)
    with tg.no_grad():
        net.weight.data[0, 0] += 1.0
    assert stopper.step(net.parameters()) is False
    np.testing.assert_allclose(stopper.last_change, 1.0)
    with pytest.raises(ValueError, match="shapes changed"):
        stopper.step([np.zeros(2)])


def test_weight_change_stopping_copies_the_weights():
    """The snapshots must not alias the parameters that training updates in place."""
    w = nn.Parameter(np.zeros(2))
    stopper = training.WeightChangeStopping(window=1, threshold=0.5)
    stopper.step([w])
    w.data += 1.0
    assert stopper.step([w]) is False


# ----- Gaussian input noise -------------------------------------------------------
def test_add_input_noise_statistics_shape_and_dtype():
    x = np.zeros((200, 100), dtype=np.float32)
    noisy = data.add_input_noise(x, 0.3)
    assert noisy.shape == x.shape and noisy.dtype == np.float32
    # 20,000 samples: the mean is within 5 sigma/sqrt(n) = 0.0106, the std within 2%.
    assert abs(noisy.mean()) < 0.0106
    assert abs(noisy.std() / 0.3 - 1) < 0.02
    np.testing.assert_array_equal(data.add_input_noise(x, 0.0), x)
    with pytest.raises(ValueError, match="sigma"):
        data.add_input_noise(x, -1.0)


def test_add_input_noise_keeps_the_graph():
    x = tg.tensor(np.ones((3, 2)), requires_grad=True)
    noisy = data.add_input_noise(x, 0.1)
    (noisy * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((3, 2), 2.0))
    assert not np.array_equal(noisy.data, x.data)


# ----- digit augmentation ---------------------------------------------------------
def _digits(n=6, side=28, seed=0):
    """Blobby 'digits' in [0, 1] on a zero background."""
    rng = np.random.default_rng(seed)
    imgs = np.zeros((n, side, side), dtype=np.float32)
    imgs[:, side // 4: 3 * side // 4, side // 3: 2 * side // 3] = rng.uniform(
        0.2, 1.0, (n, 3 * side // 4 - side // 4, 2 * side // 3 - side // 3))
    return imgs


def test_zero_shift_and_zero_rotation_is_identity():
    imgs = _digits()
    np.testing.assert_array_equal(data.shift_rotate(imgs, (0, 0), 0.0), imgs)
    np.testing.assert_array_equal(data.augment_digits(imgs, max_shift=0, max_degrees=0), imgs)
    flat = imgs.reshape(6, 784)
    np.testing.assert_array_equal(data.augment_digits(flat, 0, 0), flat)


@pytest.mark.parametrize("down,right", [(1, 0), (-2, 1), (0, -3), (2, 2)])
def test_whole_pixel_shift_moves_pixels_exactly(down, right):
    imgs = _digits()
    expected = np.zeros_like(imgs)
    h = w = 28
    src = imgs[:, max(0, -down): h - max(0, down), max(0, -right): w - max(0, right)]
    expected[:, max(0, down): h - max(0, -down), max(0, right): w - max(0, -right)] = src
    np.testing.assert_array_equal(data.shift_rotate(imgs, (down, right), 0.0), expected)


def test_rotation_by_90_degrees_is_rot90_counterclockwise():
    imgs = np.random.default_rng(3).uniform(0, 1, (2, 28, 28))
    np.testing.assert_allclose(data.shift_rotate(imgs, (0, 0), 90.0),
                               np.rot90(imgs, 1, axes=(1, 2)), atol=1e-9)
    np.testing.assert_allclose(data.shift_rotate(imgs, (0, 0), [-90.0, 180.0]),
                               [np.rot90(imgs[0], -1), np.rot90(imgs[1], 2)], atol=1e-9)


def test_small_rotation_interpolates_bilinearly():
    """A 1-pixel line through the centre rotated by a small angle stays a line
    with the same total intensity away from the border (bilinear weights sum to 1)."""
    img = np.zeros((1, 29, 29))
    img[0, 14, 4:25] = 1.0
    out = data.shift_rotate(img, (0, 0), 10.0)
    np.testing.assert_allclose(out.sum(), img.sum(), rtol=0.02)
    # The right end moved up (counterclockwise), the left end down.
    rows = np.arange(29)
    right_col, left_col = out[0, :, 23], out[0, :, 5]
    assert (rows * right_col).sum() / right_col.sum() < 14 - 1
    assert (rows * left_col).sum() / left_col.sum() > 14 + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
@pytest.mark.parametrize("shape,side", [((6, 28, 28), 28), ((6, 784), 28),
                                        ((3, 2, 28, 28), 28), ((6, 64), 8)])
def test_augment_digits_keeps_shape_dtype_and_range(dtype, shape, side):
    imgs = _digits(6, side).reshape(shape)
    if dtype == np.uint8:
        imgs = (imgs * 255).round().astype(np.uint8)
    else:
        imgs = imgs.astype(dtype)
    out = data.augment_digits(imgs, max_shift=2, max_degrees=15)
    assert out.shape == imgs.shape and out.dtype == imgs.dtype
    assert out.min() >= imgs.min() and out.max() <= imgs.max()
    assert not np.array_equal(out, imgs)


def test_augment_digits_is_seeded_and_accepts_tensors():
    imgs = _digits()
    tg.manual_seed(5)
    a = data.augment_digits(imgs)
    tg.manual_seed(5)
    b = data.augment_digits(tg.tensor(imgs))
    assert isinstance(b, tg.Tensor)
    np.testing.assert_array_equal(a, b.data)
    with pytest.raises(ValueError, match="not square"):
        data.augment_digits(np.zeros((2, 10)))


def test_expand_by_shifts_is_the_books_expanded_training_set():
    imgs = _digits(3)
    labels = np.array([4, 1, 7])
    big, big_labels = data.expand_by_shifts(imgs, labels)
    assert big.shape == (15, 28, 28) and big_labels.tolist() == [4, 1, 7] * 5
    np.testing.assert_array_equal(big[:3], imgs)
    np.testing.assert_array_equal(big[3:6, :-1], imgs[:, 1:])   # moved up one pixel
    np.testing.assert_array_equal(big[3:6, -1], 0)
    np.testing.assert_array_equal(big[12:15, :, 1:], imgs[:, :, :-1])   # moved right
