"""Checkpoints (checkpoint.py): round trips of model and optimizer state,
atomic writes that survive an exception mid-write, and refusal of anything
that would need unpickling."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinygrad_nndl as tg
from tinygrad_nndl import checkpoint, nn, optim
from tinygrad_nndl.nn import functional as F


def _net():
    return nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 3))


def _train(net, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = tg.tensor(rng.standard_normal((5, 4)).astype(np.float32))
        idx = rng.integers(0, 3, 5)
        opt.zero_grad()
        F.cross_entropy(net(x), idx).backward()
        opt.step()


def _temp_files(directory):
    return [f for f in os.listdir(directory) if f.endswith(".tmp")]


def test_model_state_dict_round_trip(tmp_path):
    net = _net()
    path = tmp_path / "model.npz"
    tg.save(net.state_dict(), path)
    loaded = tg.load(path)
    assert list(loaded) == ["0.weight", "0.bias", "2.weight", "2.bias"]   # order kept
    for (name, want), got in zip(net.state_dict().items(), loaded.values()):
        assert isinstance(got, tg.Tensor)
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(got.data, want.data, err_msg=name)
    other = _net()
    other.load_state_dict(loaded)
    for a, b in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    # A plain .npz whose entries carry PyTorch's names.
    with np.load(path, allow_pickle=False) as raw:
        assert "0.weight" in raw.files and raw["2.bias"].shape == (3,)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), amsgrad=True)])
def test_model_and_optimizer_round_trip_resumes_training_exactly(tmp_path, make):
    tg.manual_seed(1)
    net = _net()
    opt = make(net.parameters())
    _train(net, opt, 3, seed=0)
    path = tmp_path / "ckpt.npz"
    tg.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    _train(net, opt, 4, seed=1)   # the uninterrupted run

    state = tg.load(path)
    assert state["epoch"] == 3
    saved_opt = state["optimizer"]
    assert sorted(saved_opt["state"]) == [0, 1, 2, 3]       # int keys come back as ints
    assert saved_opt["param_groups"][0]["params"] == [0, 1, 2, 3]
    if "betas" in saved_opt["param_groups"][0]:
        assert saved_opt["param_groups"][0]["betas"] == (0.8, 0.99)   # a tuple again
        assert saved_opt["state"][0]["step"] == 3
    tg.manual_seed(99)   # different initial weights: everything must come from the file
    resumed = _net()
    resumed.load_state_dict(state["model"])
    opt2 = make(resumed.parameters())
    opt2.load_state_dict(saved_opt)
    _train(resumed, opt2, 4, seed=1)
    for a, b in zip(net.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_nested_values_round_trip_exactly(tmp_path):
    obj = {
        "f16": np.arange(3, dtype=np.float16),
        "i32": tg.from_numpy(np.array([[1, 2]], dtype=np.int32)),
        "mask": np.array([True, False]),
        "scalar0d": np.array(2.5),
        "npscalar": np.float32(1.5),
        "empty": np.zeros((0, 3)),
        "strided": np.arange(12.0).reshape(3, 4).T,
        "nested": {0: [1, 2.5, None, "text", True], 7: (np.ones(2), {"deep": float("inf")})},
    }
    path = tmp_path / "obj.npz"
    checkpoint.save(obj, path)
    got = checkpoint.load(path)
    assert list(got) == list(obj)
    assert got["f16"].dtype == np.float16 and isinstance(got["f16"], np.ndarray)
    assert isinstance(got["i32"], tg.Tensor) and got["i32"].dtype == np.int32
    np.testing.assert_array_equal(got["i32"].data, [[1, 2]])
    np.testing.assert_array_equal(got["mask"], [True, False])
    assert got["scalar0d"].shape == () and got["scalar0d"] == 2.5
    assert type(got["npscalar"]) is np.float32 and got["npscalar"] == 1.5
    assert got["empty"].shape == (0, 3)
    np.testing.assert_array_equal(got["strided"], obj["strided"])
    assert got["nested"][0] == [1, 2.5, None, "text", True]
    assert isinstance(got["nested"][7], tuple)
    np.testing.assert_array_equal(got["nested"][7][0], np.ones(2))
    assert got["nested"][7][1] == {"deep": float("inf")}
    with np.load(path, allow_pickle=False) as raw:   # entries named by their paths
        assert {"nested[7][0]", "strided", "i32"} <= set(raw.files)


def test_plain_npz_without_structure_loads_as_flat_dict(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, **{"fc.weight": np.ones((2, 3)), "fc.bias": np.zeros(2)})
    got = tg.load(path)
    assert list(got) == ["fc.weight", "fc.bias"]
    assert all(isinstance(v, tg.Tensor) for v in got.values())


def test_loading_a_mismatched_state_dict_names_the_key_and_both_shapes(tmp_path):
    path = tmp_path / "model.npz"
    tg.save(_net().state_dict(), path)
    wider = nn.Sequential(nn.Linear(4, 7), nn.Sigmoid(), nn.Linear(7, 3))
    with pytest.raises(ValueError, match=r"'0\.weight'.*\(6, 4\).*\(7, 4\)"):
        wider.load_state_dict(tg.load(path))


# ----- atomic writes --------------------------------------------------------
def _failing_writer(monkeypatch, exc, after=1):
    """Make the array writer emit some bytes of the (after+1)-th array and then raise."""
    real = checkpoint._write_array
    calls = []

    def writer(file, array):
        calls.append(1)
        if len(calls) > after:
            file.write(b"\x93NUMPY partial")
            raise exc
        real(file, array)
    monkeypatch.setattr(checkpoint, "_write_array", writer)
    return calls


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_exception_mid_write_leaves_previous_file_intact(tmp_path, monkeypatch, exc):
    path = tmp_path / "model.npz"
    old = _net()
    tg.save(old.state_dict(), path)
    before = path.read_bytes()

    new = _net()
    calls = _failing_writer(monkeypatch, exc, after=2)
    with pytest.raises(type(exc)):
        tg.save(new.state_dict(), path)
    assert len(calls) == 3   # it really failed mid-write
    assert path.read_bytes() == before
    assert _temp_files(tmp_path) == []
    loaded = tg.load(path)
    np.testing.assert_array_equal(loaded["0.weight"].data, old[0].weight.data)


def test_exception_on_first_save_leaves_no_file(tmp_path, monkeypatch):
    _failing_writer(monkeypatch, RuntimeError("boom"), after=0)
    with pytest.raises(RuntimeError, match="boom"):
        tg.save({"w": np.ones(3)}, tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_unsupported_values_fail_before_anything_is_written(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=r"nested\.fn.*function"):
        tg.save({"ok": np.ones(2), "nested": {"fn": len}}, path)
    with pytest.raises(TypeError, match=r"objs.*Python objects"):
        tg.save({"objs": np.array([{}, []], dtype=object)}, path)
    with pytest.raises(TypeError, match="keys must be strings or ints"):
        tg.save({(1, 2): np.ones(1)}, path)
    assert os.listdir(tmp_path) == []


def test_save_overwrites_and_keeps_the_umask_permissions(tmp_path):
    path = tmp_path / "m.npz"
    tg.save({"a": np.ones(1)}, path)
    tg.save({"a": np.zeros(1)}, path)
    assert tg.load(path)["a"].data[0] == 0.0
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# ----- refusing pickles -----------------------------------------------------
class _Payload:
    """Unpickling this would create the marker file: code from a data file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_refuses_npz_holding_a_pickled_object(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.npz"
    arr = np.empty(1, dtype=object)
    arr[0] = _Payload(str(marker))
    np.savez(path, weight=np.ones(2), payload=arr)   # numpy pickles object arrays
    with pytest.raises(ValueError, match="'payload'.*pickle.*refused"):
        tg.load(path)
    assert not marker.exists()


def test_refuses_a_pickle_file(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": _Payload(str(marker))}))
    with pytest.raises(ValueError, match="not an .npz archive.*unpickling.*refused"):
        tg.load(path)
    assert not marker.exists()


def test_refuses_corrupt_or_foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": np.ones(1000)}, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(ValueError, match="truncated.npz"):
        tg.load(truncated)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        tg.load(single)
    forged = tmp_path / "forged.npz"
    with zipfile.ZipFile(forged, "w") as zf:
        with zf.open("__structure__.npy", "w") as f:
            np.lib.format.write_array(f, np.array('{"format": "other/9", "root": {}}'))
    with pytest.raises(ValueError, match="unknown checkpoint format"):
        tg.load(forged)


def test_scheduler_state_round_trips(tmp_path):
    from tinygrad_nndl.optim.lr_scheduler import ReduceLROnPlateau
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = ReduceLROnPlateau(opt, mode="max", patience=1)
    for acc in (0.5, 0.4, 0.4):
        sched.step(acc)
    tg.save({"scheduler": sched.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "s.npz")
    state = tg.load(tmp_path / "s.npz")
    opt2 = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    opt2.load_state_dict(state["optimizer"])
    sched2 = ReduceLROnPlateau(opt2, mode="max", patience=1)
    sched2.load_state_dict(state["scheduler"])
    assert opt2.param_groups[0]["lr"] == 0.5
    for acc in (0.4, 0.4, 0.6, 0.3):
        sched.step(acc)
        sched2.step(acc)
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    fresh = ReduceLROnPlateau(optim.SGD([nn.Parameter(np.ones(1))], lr=1.0), mode="min")
    fresh.load_state_dict(tg.load(tmp_path / "s.npz")["scheduler"])
    assert fresh.mode == "max" and fresh.best == 0.5
