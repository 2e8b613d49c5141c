"""tinygrad_nndl.data: IDX parsing, MNIST datasets, downloads (network replaced
by a fake ``fetch``), the restricted unpickler, DataLoader and splits."""
import gzip
import hashlib
import io
import os
import pickle
import struct
import sys
import tempfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl.data import (MNIST, DataLoader, DownloadError, FashionMNIST, IDXError,
                                Subset, TensorDataset, book_split, digits_split, load_digits,
                                load_mnist_pkl, random_split, read_idx)
from tinygrad_nndl.data import download as download_module
from tinygrad_nndl.testing import shapes

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}


# ----- an IDX writer independent of the reader: the format spelled out ---------
def idx_bytes(array, magic=None):
    array = np.asarray(array)
    code = IDX_CODES[array.dtype.type]
    head = magic if magic is not None else struct.pack(">HBB", 0, code, array.ndim)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return head + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload, gz=True):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return path


def fake_mnist(folder, n_train=7, n_test=3, seed=0):
    """Four small IDX gz files named as MNIST's; returns {name: (array, bytes)}."""
    rng = np.random.default_rng(seed)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = gzip.compress(idx_bytes(array), mtime=0)
            if folder is not None:
                write(Path(folder) / name, data, gz=False)
            out[name] = (array, data)
    return out


# ----- IDX ---------------------------------------------------------------------
@given(shape=shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
       dtype=st.sampled_from(sorted(IDX_CODES, key=str)), gz=st.booleans())
def test_read_idx_round_trips_every_type_and_shape(shape, dtype, gz):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal(shape) * 100).astype(dtype)
    with tempfile.TemporaryDirectory() as d:
        path = write(Path(d) / "a.idx", idx_bytes(array), gz=gz)
        got = read_idx(path)
    assert got.shape == array.shape and got.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(got, array)


def test_read_idx_result_is_a_native_writable_array(tmp_path):
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    got = read_idx(write(tmp_path / "a.gz", idx_bytes(array)))
    assert got.dtype.isnative and got.flags.writeable
    np.testing.assert_array_equal(got, array)


@pytest.mark.parametrize("payload, problem", [
    (b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 28, 28), "truncated IDX data"),
    (b"\x00\x00\x08\x03" + struct.pack(">2I", 2, 28), "truncated IDX header"),
    (b"\x00\x00", "truncated IDX file"),
    (b"\x12\x34\x08\x03" + struct.pack(">3I", 1, 1, 1) + b"\x00", "bad magic number"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "bad magic number"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x01\x02\x03", "trailing bytes"),
    (b"\x00\x00\x0e\x04" + struct.pack(">4I", *[2 ** 32 - 1] * 4), "more than the file can hold"),
])
@pytest.mark.parametrize("gz", [True, False])
def test_malformed_idx_names_the_file_and_the_problem(tmp_path, payload, problem, gz):
    path = write(tmp_path / "bad-file.gz", payload, gz=gz)
    with pytest.raises(IDXError, match=problem) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_truncated_gzip_stream_is_named(tmp_path):
    data = gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8)))
    path = write(tmp_path / "cut.gz", data[: len(data) // 2], gz=False)
    with pytest.raises(IDXError, match="truncated gzip") as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_gzip_crc_mismatch_is_named(tmp_path):
    data = bytearray(gzip.compress(idx_bytes(np.arange(50, dtype=np.uint8))))
    data[-8] ^= 0xFF   # the CRC-32 of the gzip trailer
    path = write(tmp_path / "crc.gz", bytes(data), gz=False)
    with pytest.raises(IDXError, match="corrupt gzip.*CRC") as e:
        read_idx(path)
    assert str(path) in str(e.value)


# ----- MNIST on small files ----------------------------------------------------------
@pytest.mark.parametrize("layout", ["flat", "subfolder"])
def test_mnist_reads_files_in_root_or_root_slash_mnist(tmp_path, layout):
    folder = tmp_path if layout == "flat" else tmp_path / "mnist"
    files = fake_mnist(folder)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = MNIST(tmp_path, train=train)
        images = files[f"{prefix}-images-idx3-ubyte.gz"][0]
        labels = files[f"{prefix}-labels-idx1-ubyte.gz"][0]
        assert ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64
        np.testing.assert_array_equal(ds.data, images)
        np.testing.assert_array_equal(ds.targets, labels)
        assert len(ds) == len(labels)
        x, y = ds[1]
        assert x.dtype == np.float32 and x.shape == (28, 28) and y == labels[1]
        np.testing.assert_allclose(x.numpy(), images[1] / 255.0, rtol=1e-6)


def test_fashion_mnist_looks_in_its_own_folder(tmp_path):
    fake_mnist(tmp_path / "mnist", seed=1)
    files = fake_mnist(tmp_path / "fashion-mnist", seed=2)
    ds = FashionMNIST(tmp_path)
    np.testing.assert_array_equal(ds.data, files["train-images-idx3-ubyte.gz"][0])
    assert len(ds.classes) == 10 and ds.classes[9] == "Ankle boot"


def test_mnist_batch_equals_its_items(tmp_path):
    fake_mnist(tmp_path)
    ds = MNIST(tmp_path)
    idx = np.array([4, 0, 4, 2])
    xb, yb = ds.get_batch(idx)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    for row, i in enumerate(idx):
        x, y = ds[int(i)]
        np.testing.assert_array_equal(xb[row], x.numpy())
        assert yb[row] == y
    assert 0.0 <= xb.min() and xb.max() <= 1.0
    with pytest.raises(IndexError, match="index 7 is out of range for a dataset of 7"):
        ds.get_batch(np.array([1, 7]))


def test_mnist_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        MNIST(tmp_path)


@pytest.mark.parametrize("broken, problem", [
    ("train-labels-idx1-ubyte.gz", "3 labels for the 7 images"),
    ("train-images-idx3-ubyte.gz", r"expected images of shape \(N, 28, 28\)"),
    ("label-range", "label 10 out of range"),
    ("swapped", "expected a 3-dimensional IDX array of uint8"),
])
def test_mnist_rejects_inconsistent_files_naming_them(tmp_path, broken, problem):
    files = fake_mnist(tmp_path)
    if broken == "train-labels-idx1-ubyte.gz":
        bad, name = np.zeros(3, np.uint8), broken
    elif broken == "train-images-idx3-ubyte.gz":
        bad, name = np.zeros((7, 27, 28), np.uint8), broken
    elif broken == "label-range":
        bad, name = np.full(7, 10, np.uint8), "train-labels-idx1-ubyte.gz"
    else:   # the labels file where the images belong
        bad, name = files["train-labels-idx1-ubyte.gz"][0], "train-images-idx3-ubyte.gz"
    write(tmp_path / name, idx_bytes(bad))
    with pytest.raises(IDXError, match=problem) as e:
        MNIST(tmp_path)
    assert str(tmp_path / name) in str(e.value)


def test_book_split_is_first_50000_then_last_10000():
    ds = TensorDataset(np.arange(60_000), np.arange(60_000) % 10)
    train, valid = book_split(ds)
    assert (len(train), len(valid)) == (50_000, 10_000)
    np.testing.assert_array_equal(train.get_batch(np.arange(50_000))[0], np.arange(50_000))
    np.testing.assert_array_equal(valid.get_batch(np.arange(10_000))[0],
                                  np.arange(50_000, 60_000))
    with pytest.raises(ValueError, match="book_split: train_size 50000 .* length 10000"):
        book_split(TensorDataset(np.arange(10_000)))


# ----- the real files, when present -------------------------------------------------
def _real(name):
    folder = SHARED / name
    if not (folder / "train-labels-idx1-ubyte.gz").exists():
        pytest.skip(f"real data not found in {folder}")
    return folder


def _sums(folder):
    lines = (folder / "SHA256SUMS").read_text().split("\n")
    return dict(reversed(line.split()) for line in lines if line.strip())


@pytest.mark.mnist
def test_real_mnist_matches_its_readme():
    folder = _real("mnist")
    train, test = MNIST(folder), MNIST(folder.parent, train=False)
    assert train.data.shape == (60_000, 28, 28) and test.data.shape == (10_000, 28, 28)
    # Class counts and first labels as listed in shared/data/README.md.
    assert np.bincount(train.targets).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                   6265, 5851, 5949]
    assert np.bincount(test.targets).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                  974, 1009]
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The unpacked training images are byte-identical to the README's MD5.
    raw = gzip.decompress((folder / "train-images-idx3-ubyte.gz").read_bytes())
    assert hashlib.md5(raw).hexdigest() == "6bbc9ace898e44ae57da46a324031adb"
    np.testing.assert_array_equal(train.data.reshape(-1), np.frombuffer(raw[16:], np.uint8))
    tr, va = book_split(train)
    assert (len(tr), len(va)) == (50_000, 10_000)
    np.testing.assert_allclose(va.get_batch(np.array([0]))[0][0], train.data[50_000] / 255,
                               rtol=1e-6)


@pytest.mark.mnist
def test_real_fashion_mnist_class_counts():
    folder = _real("fashion-mnist")
    train, test = FashionMNIST(folder), FashionMNIST(folder, train=False)
    assert np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10


@pytest.mark.mnist
@pytest.mark.parametrize("cls, name", [(MNIST, "mnist"), (FashionMNIST, "fashion-mnist")])
def test_checksum_constants_are_the_published_sums(cls, name):
    folder = _real(name)
    sums = _sums(folder)
    assert dict(cls.resources) == sums
    for file, sha in cls.resources:
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == sha


# ----- downloads, with the network replaced -------------------------------------------
@pytest.fixture
def served(monkeypatch):
    """Replace ``fetch`` by a fake web: {url: bytes}; a missing url is unreachable."""
    web, asked = {}, []

    def fetch(url, timeout=60, **limits):
        asked.append(url)
        if url not in web:
            raise urllib.error.URLError(OSError(101, "Network is unreachable"))
        return web[url]

    monkeypatch.setattr(download_module, "fetch", fetch)
    return web, asked


def _tiny_mnist_class(files):
    class Tiny(MNIST):
        mirrors = ("https://first.example/", "https://second.example/")
        resources = tuple((name, hashlib.sha256(data).hexdigest())
                          for name, (_, data) in files.items())
    return Tiny


def _leftovers(folder):
    return [p.name for p in Path(folder).rglob("*") if p.name.endswith(".part")]


def test_download_fetches_verifies_and_writes_every_file(tmp_path, served):
    web, asked = served
    files = fake_mnist(None)
    Tiny = _tiny_mnist_class(files)
    for name, (_, data) in files.items():
        web["https://second.example/" + name] = data   # the first mirror is down
    ds = Tiny(tmp_path, download=True)
    for name, (_, data) in files.items():
        assert (tmp_path / "mnist" / name).read_bytes() == data
    assert asked[:2] == ["https://first.example/train-images-idx3-ubyte.gz",
                         "https://second.example/train-images-idx3-ubyte.gz"]
    np.testing.assert_array_equal(ds.data, files["train-images-idx3-ubyte.gz"][0])
    assert _leftovers(tmp_path) == []
    asked.clear()
    Tiny(tmp_path, train=False, download=True)   # everything present: no fetch at all
    assert asked == []


def test_download_rejects_a_wrong_checksum_and_writes_nothing(tmp_path, served):
    web, _ = served
    files = fake_mnist(None)
    Tiny = _tiny_mnist_class(files)
    for name, (_, data) in files.items():
        web["https://first.example/" + name] = data[:-1] + bytes([data[-1] ^ 1])
        web["https://second.example/" + name] = b"<html>not found</html>"
    with pytest.raises(DownloadError, match="checksum mismatch") as e:
        Tiny(tmp_path, download=True)
    name, sha = Tiny.resources[0]
    assert name in str(e.value) and sha in str(e.value)
    assert not (tmp_path / "mnist" / name).exists() and _leftovers(tmp_path) == []


def test_download_offline_gives_a_clear_error(tmp_path, served):
    files = fake_mnist(None)
    with pytest.raises(DownloadError, match="offline") as e:
        _tiny_mnist_class(files)(tmp_path, download=True)
    assert "Network is unreachable" in str(e.value)
    assert "first.example" in str(e.value) and "second.example" in str(e.value)
    assert not any((tmp_path / "mnist").glob("*.gz"))


@pytest.mark.mnist
def test_real_mnist_checksums_accept_the_real_bytes(tmp_path, served):
    folder = _real("mnist")
    web, _ = served
    for name, _ in MNIST.resources:
        web[MNIST.mirrors[0] + name] = (folder / name).read_bytes()
    ds = MNIST(tmp_path, train=False, download=True)
    assert ds.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_interrupted_write_leaves_the_old_file(tmp_path, served, monkeypatch):
    web, _ = served
    path = tmp_path / "f.gz"
    path.write_bytes(b"old contents")
    new = b"new contents"
    web["https://m/f.gz"] = new

    def crash(src, dst):
        raise KeyboardInterrupt   # a crash between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        download_module.download_file(["https://m/f.gz"], path, hashlib.sha256(new).hexdigest())
    assert path.read_bytes() == b"old contents" and _leftovers(tmp_path) == []
    monkeypatch.undo()
    served_again = {"https://m/f.gz": new}
    monkeypatch.setattr(download_module, "fetch", lambda url, **kw: served_again[url])
    download_module.download_file(["https://m/f.gz"], path, hashlib.sha256(new).hexdigest())
    assert path.read_bytes() == new


# ----- the book's pickle, through the restricted unpickler --------------------------------
def _book_like_splits():
    rng = np.random.default_rng(3)
    return tuple((rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n))
                 for n in (5, 3, 2))


class _Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 strings (BINSTRING), as the book's cPickle file does."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        n = len(obj)
        self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj if n < 256
                   else pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def _py2_pickle(obj):
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


@pytest.mark.parametrize("style", ["python3", "python2"])
def test_load_mnist_pkl_reads_a_genuine_pickle(tmp_path, style):
    splits = _book_like_splits()
    data = pickle.dumps(splits, protocol=2) if style == "python3" else _py2_pickle(splits)
    path = write(tmp_path / "mnist.pkl.gz", data)
    got = load_mnist_pkl(path)
    assert len(got) == 3
    for (x, y), (gx, gy) in zip(splits, got):
        assert gx.dtype == np.float32 and gy.dtype == np.int64
        np.testing.assert_array_equal(gx, x)
        np.testing.assert_array_equal(gy, y)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_pkl_refuses_a_pickle_that_runs_code(tmp_path, gz):
    marker = tmp_path / "pwned"
    path = write(tmp_path / "evil.pkl.gz", pickle.dumps(_RunsCode(marker), protocol=2), gz=gz)
    with pytest.raises(pickle.UnpicklingError, match=rf"refused .*{os.system.__module__}\.system"
                       ) as e:
        load_mnist_pkl(path)
    assert str(path) in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize("payload, problem", [
    (pickle.dumps(eval, protocol=2), r"refused .*(__builtin__|builtins)\.eval"),
    (pickle.dumps(np.save, protocol=2), r"numpy\.save"),
    # A protocol-2 bytes object is _codecs.encode(text, codec): only latin1 is let through.
    (b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.",
     "refused _codecs.encode with encoding 'rot13'"),
])
def test_restricted_unpickler_refuses_other_globals(tmp_path, payload, problem):
    with pytest.raises(pickle.UnpicklingError, match=problem):
        load_mnist_pkl(write(tmp_path / "x.pkl", payload, gz=False))


def test_load_mnist_pkl_rejects_the_wrong_structure(tmp_path):
    path = write(tmp_path / "one.pkl.gz", pickle.dumps(np.zeros((2, 784)), protocol=2))
    with pytest.raises(ValueError, match="expected a .train, validation, test. tuple"):
        load_mnist_pkl(path)
    (a, b), v, t = _book_like_splits()
    path = write(tmp_path / "two.pkl.gz", pickle.dumps(((a, b[:2]), v, t), protocol=2))
    with pytest.raises(ValueError, match=r"training set has images of shape \(5, 784\) and "
                                         r"labels of shape \(2,\)"):
        load_mnist_pkl(path)


# ----- DataLoader ------------------------------------------------------------------
@given(n=st.integers(1, 60), batch_size=st.integers(1, 17), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2 ** 32))
def test_loader_visits_each_sample_once_in_len_batches(n, batch_size, shuffle, drop_last,
                                                       seed):
    ds = TensorDataset(np.arange(n, dtype=np.float32) / n, np.arange(n))
    loader = DataLoader(ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                        seed=seed)
    batches = list(loader)
    assert len(batches) == len(loader) == (n // batch_size if drop_last
                                           else (n + batch_size - 1) // batch_size)
    sizes = [len(y) for _, y in batches]
    assert all(s == batch_size for s in sizes[:-1]) and (not sizes or 0 < sizes[-1] <= batch_size)
    seen = np.concatenate([y.numpy() for _, y in batches]) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen) == (n - n % batch_size if drop_last else n)
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(len(seen)))
    for x, y in batches:   # fields stay paired
        np.testing.assert_array_equal(x.numpy(), y.numpy().astype(np.float32) / n)


def test_loader_yields_tensors_float32_images_int64_labels(tmp_path):
    fake_mnist(tmp_path)
    x, y = next(iter(DataLoader(MNIST(tmp_path), batch_size=4)))
    assert isinstance(x, tg.Tensor) and isinstance(y, tg.Tensor)
    assert x.dtype == np.float32 and x.shape == (4, 28, 28)
    assert y.dtype == np.int64 and y.shape == (4,)
    assert not x.requires_grad


def _orders(loader, epochs=2):
    return [np.concatenate([y.numpy() for _, y in loader]) for _ in range(epochs)]


def test_shuffling_is_determined_by_the_seed():
    ds = TensorDataset(np.zeros((100, 2), np.float32), np.arange(100))
    a, b = _orders(DataLoader(ds, 10, shuffle=True, seed=5)), _orders(DataLoader(ds, 10, True,
                                                                                 seed=5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])      # a fresh permutation each epoch
    assert not np.array_equal(a[0], _orders(DataLoader(ds, 10, True, seed=6))[0])
    # Without a seed the library generator decides: manual_seed makes it reproducible.
    tg.manual_seed(11)
    c = _orders(DataLoader(ds, 10, shuffle=True))
    tg.manual_seed(11)
    d = _orders(DataLoader(ds, 10, shuffle=True))
    np.testing.assert_array_equal(c[0], d[0])


class _CountingDataset(TensorDataset):
    calls = 0

    def __getitem__(self, index):
        type(self).calls += 1
        return super().__getitem__(index)


class _PlainDataset:
    """A dataset with no get_batch: the loader must collate its samples."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


def test_array_datasets_are_batched_by_index_and_agree_with_per_sample_collation():
    rng = np.random.default_rng(0)
    x, y = rng.random((53, 3, 2), dtype=np.float32), rng.integers(0, 10, 53)
    fast = DataLoader(_CountingDataset(x, y), batch_size=8, shuffle=True, seed=1)
    slow = DataLoader(_PlainDataset(x, y), batch_size=8, shuffle=True, seed=1)
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype == np.float32 and fy.dtype == sy.dtype == np.int64
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())
    assert _CountingDataset.calls == 0


def test_subset_and_random_split():
    ds = TensorDataset(np.arange(10) * 10)
    parts = random_split(ds, [6, 3, 1], seed=0)
    got = [p.get_batch(np.arange(len(p)))[0] for p in parts]
    assert [len(g) for g in got] == [6, 3, 1]
    np.testing.assert_array_equal(np.sort(np.concatenate(got)), np.arange(10) * 10)
    again = random_split(ds, [6, 3, 1], seed=0)
    np.testing.assert_array_equal(again[0].indices, parts[0].indices)
    assert [len(p) for p in random_split(ds, [0.5, 0.3, 0.2], seed=1)] == [5, 3, 2]
    assert [len(p) for p in random_split(TensorDataset(np.arange(7)), [0.5, 0.5])] == [4, 3]
    sub = Subset(ds, [3, 1])
    assert sub[0][0].item() == 30 and len(sub) == 2
    with pytest.raises(ValueError, match="random_split: lengths .* summing to the dataset's "
                                         "length 10"):
        random_split(ds, [6, 3])
    with pytest.raises(IndexError, match="Subset: index 10 is out of range"):
        Subset(ds, [1, 10])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(batch_size=0), ValueError, "DataLoader: batch_size must be a positive integer"),
    (dict(batch_size=2.5), ValueError, "DataLoader: batch_size must be a positive integer"),
    (dict(seed="x"), TypeError, "DataLoader: seed must be an int"),
])
def test_loader_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(np.arange(3)), **kwargs)


def test_tensor_dataset_needs_equal_lengths():
    with pytest.raises(ValueError, match=r"same first dimension .* \(3,\), \(4, 2\)"):
        TensorDataset(np.arange(3), np.zeros((4, 2)))


# ----- the embedded digits -------------------------------------------------------------
def test_load_digits_are_sklearns_scaled_to_unit_interval():
    datasets = pytest.importorskip("sklearn.datasets")
    images, labels = load_digits()
    ref = datasets.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.min() == 0 and labels.max() == 9
    np.testing.assert_allclose(images, ref.images / 16.0, rtol=1e-6)
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_array_equal(labels, ref.target)


def test_digits_split_is_deterministic_and_disjoint():
    pytest.importorskip("sklearn")
    a, b = digits_split(seed=0), digits_split(seed=0)
    assert [len(s) for s in a] == [1197, 300, 300]
    for s, t in zip(a, b):
        np.testing.assert_array_equal(s.indices, t.indices)
    everything = np.concatenate([s.indices for s in a])
    assert len(np.unique(everything)) == 1797
    assert not np.array_equal(digits_split(seed=1)[0].indices, a[0].indices)


def test_load_digits_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"tinygrad_nndl\[examples\]"):
        load_digits()


def test_loader_keeps_order_by_default_as_pytorch_and_shuffles_when_asked():
    ds = TensorDataset(np.arange(100), np.arange(100))
    shuffled = np.concatenate([x.data for x, _ in DataLoader(ds, 10, shuffle=True, seed=0)])
    in_order = np.concatenate([x.data for x, _ in DataLoader(ds, 10)])
    assert sorted(shuffled.tolist()) == list(range(100))
    assert shuffled.tolist() != list(range(100))
    assert in_order.tolist() == list(range(100))
