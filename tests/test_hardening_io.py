"""Hardening of everything that reads or writes files (issue 17): hostile
pickles, IDX and npz files that announce more than they hold, downloads that
drip or never end, saves killed mid-write, checkpoint keys of any string."""
import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import random
import signal
import socket
import struct
import threading
import time
import tracemalloc
import urllib.error
import zipfile

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl import atomic_file, checkpoint, nn
from tinygrad_nndl.data import IDXError, load_mnist_pkl, read_idx
from tinygrad_nndl.data import download as download_module
from tinygrad_nndl.data import pickle_safe
from tinygrad_nndl.data.download import BadResponse, DownloadError, download_file, fetch

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover
    from numpy.core.multiarray import _reconstruct


def _peak_bytes(fn, *args):
    """(result or exception, peak bytes traced while ``fn`` ran); numpy's
    allocations are traced too."""
    tracemalloc.start()
    try:
        try:
            out = fn(*args)
        except Exception as e:   # noqa: BLE001 - the caller inspects it
            out = e
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----- item 1: the book's pickle ----------------------------------------------------------
class _Calls:
    """Pickles as a call of ``fn(*args)``: what a hostile file can ask for."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _pkl(tmp_path, obj, gz=True):
    data = pickle.dumps(obj, protocol=2)
    path = tmp_path / ("m.pkl.gz" if gz else "m.pkl")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _splits(n=4, labels=None, images=None):
    rng = np.random.default_rng(0)
    imgs = rng.random((n, 784), dtype=np.float32) if images is None else images
    labs = rng.integers(0, 10, n) if labels is None else labels
    return ((imgs, labs), (imgs[:2], labs[:2]), (imgs[:1], labs[:1]))


@pytest.mark.parametrize("shape", [(3,), (10 ** 12,)])
def test_pkl_never_calls_ndarray_to_allocate_what_the_file_asks(tmp_path, shape):
    # numpy.ndarray(shape, dtype) returns uninitialized memory of any size.
    images = np.zeros((3, 784), np.float32)
    hostile = ((images, _Calls(np.ndarray, shape, "i8")), (images, np.arange(3)),
               (images, np.arange(3)))
    path = _pkl(tmp_path, hostile)
    got, peak = _peak_bytes(load_mnist_pkl, path)
    assert isinstance(got, pickle.UnpicklingError) and "numpy.ndarray" in str(got)
    assert peak < 16 << 20


def test_pkl_refuses_reconstruct_with_a_shape_of_its_own(tmp_path):
    images = np.zeros((3, 784), np.float32)
    hostile = ((images, _Calls(_reconstruct, np.ndarray, (10 ** 10,), b"b")),
               (images, np.arange(3)), (images, np.arange(3)))
    got, peak = _peak_bytes(load_mnist_pkl, _pkl(tmp_path, hostile))
    assert isinstance(got, pickle.UnpicklingError) and "_reconstruct" in str(got)
    assert peak < 16 << 20


@pytest.mark.parametrize("splits, problem", [
    (_splits(labels=np.array([0, 1, 10, 2])), "label 10"),
    (_splits(labels=np.array([0, -1, 1, 2])), "label -1"),
    (_splits(images=np.full((4, 784), 2.0, np.float32)), r"outside \[0, 1\]"),
    (_splits(images=np.full((4, 784), np.nan, np.float32)), r"outside \[0, 1\]"),
    (_splits(images=np.zeros((4, 100), np.float32)), r"expected \(N, 784\)"),
])
def test_pkl_checks_labels_and_images(tmp_path, splits, problem):
    with pytest.raises(ValueError, match=problem):
        load_mnist_pkl(_pkl(tmp_path, splits))


def test_pkl_stops_inflating_at_what_mnist_can_take(tmp_path, monkeypatch):
    monkeypatch.setattr(pickle_safe, "MAX_PICKLE_BYTES", 100_000)
    path = tmp_path / "bomb.pkl.gz"
    path.write_bytes(gzip.compress(b"\0" * 1_000_000))
    got, peak = _peak_bytes(load_mnist_pkl, path)
    assert isinstance(got, ValueError) and "inflates to more than 100000" in str(got)
    assert peak < 4 << 20
    plain = tmp_path / "big.pkl"
    plain.write_bytes(b"\0" * 200_000)
    with pytest.raises(ValueError, match="more than the 100000"):
        load_mnist_pkl(plain)


_PKL_BASES = [pickle.dumps(_splits(n=3), protocol=2)]
_PKL_BASES.append(gzip.compress(_PKL_BASES[0], mtime=0))


@settings(max_examples=100)
@given(base=st.sampled_from(range(len(_PKL_BASES))),
       damage=st.tuples(st.none() | st.integers(0, 30_000),
                        st.lists(st.integers(0, 1 << 18), max_size=3)))
def test_fuzz_pkl_reader_raises_only_named_errors_with_bounded_memory(tmp_path_factory, base,
                                                                      damage):
    # A flipped bit in a bytes opcode's length once made the C unpickler
    # reserve gigabytes for a 3 KB file.
    data = _damage(_PKL_BASES[base], *damage)
    path = tmp_path_factory.mktemp("pkl") / "f"
    path.write_bytes(data)
    got, peak = _peak_bytes(load_mnist_pkl, path)
    assert isinstance(got, (tuple, ValueError, pickle.UnpicklingError)), repr(got)
    if not isinstance(got, tuple):
        assert str(path) in str(got)
    assert peak < (2 << 20) + 20 * len(data)


# ----- IDX: bounded before allocating, and fuzzed ----------------------------------------
def _idx(array, code=0x08):
    return struct.pack(">HBB", 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape) + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_idx_header_larger_than_the_file_is_refused_before_allocating(tmp_path):
    path = tmp_path / "short-idx"
    path.write_bytes(struct.pack(">HBB3I", 0, 8, 3, 10_000, 28, 28) + b"\0" * 100)
    got, peak = _peak_bytes(read_idx, path)
    assert isinstance(got, IDXError) and "more than the file can hold" in str(got)
    assert peak < 1 << 20   # the 7.8 MB the header announces were never reserved


def test_idx_limit_bounds_what_a_caller_accepts(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(_idx(np.zeros(100, np.uint8))))
    assert read_idx(path, limit=100).shape == (100,)
    with pytest.raises(IDXError, match="more than the 50 bytes expected"):
        read_idx(path, limit=50)


_IDX_BASES = [_idx(np.arange(60, dtype=np.uint8).reshape(3, 4, 5)),
              _idx(np.linspace(-1, 1, 12).reshape(3, 4), code=0x0D)]
_IDX_BASES += [gzip.compress(b, mtime=0) for b in _IDX_BASES]


def _damage(data, cut, flips):
    data = bytearray(data[:cut] if cut is not None else data)
    for bit in flips:
        if data:
            data[bit % len(data)] ^= 1 << (bit // len(data) % 8)
    return bytes(data)


_damages = st.tuples(st.none() | st.integers(0, 400),
                     st.lists(st.integers(0, 1 << 16), max_size=3))


@settings(max_examples=150)
@given(base=st.sampled_from(range(len(_IDX_BASES))), damage=_damages)
def test_fuzz_idx_reader_raises_only_idx_errors_with_bounded_memory(tmp_path_factory, base,
                                                                    damage):
    data = _damage(_IDX_BASES[base], *damage)
    path = tmp_path_factory.mktemp("idx") / "f"
    path.write_bytes(data)
    got, peak = _peak_bytes(read_idx, path)
    assert isinstance(got, (np.ndarray, IDXError)), repr(got)
    if isinstance(got, IDXError):
        assert str(path) in str(got)
    assert peak < (1 << 20) + 1100 * len(data)


# ----- npz checkpoints: fuzzed, and malformed structure records ---------------------------
def _npz_bases():
    out = []
    buf = io.BytesIO()
    np.savez_compressed(buf, a=np.arange(40.0).reshape(5, 8), b=np.ones(3, np.int32))
    out.append(buf.getvalue())
    buf = io.BytesIO()
    arrays = {"w": np.arange(24, dtype=np.float32).reshape(4, 6), "__structure__": np.array(
        json.dumps({"format": checkpoint.FORMAT,
                    "root": {"d": [["w", {"r": "w"}], ["n", {"v": 3}]]}}))}
    checkpoint._write_npz(buf, arrays)
    out.append(buf.getvalue())
    return out


_NPZ_BASES = _npz_bases()


@settings(max_examples=150)
@given(base=st.sampled_from(range(len(_NPZ_BASES))),
       damage=st.tuples(st.none() | st.integers(0, 1500),
                        st.lists(st.integers(0, 1 << 16), max_size=3)))
def test_fuzz_npz_reader_raises_only_named_value_errors_with_bounded_memory(
        tmp_path_factory, base, damage):
    data = _damage(_NPZ_BASES[base], *damage)
    path = tmp_path_factory.mktemp("npz") / "f.npz"
    path.write_bytes(data)
    got, peak = _peak_bytes(tg.load, path)
    assert isinstance(got, (dict, ValueError)), repr(got)
    if isinstance(got, ValueError):
        assert str(path) in str(got)
    assert peak < (1 << 20) + 1100 * len(data)


def test_npz_entry_announcing_more_than_it_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "liar.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 6,)})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", header.getvalue() + b"\0" * 64)
    got, peak = _peak_bytes(tg.load, path)
    assert isinstance(got, ValueError) and "more than the" in str(got)
    assert peak < 1 << 20


def _forged(tmp_path, root, raw=None):
    path = tmp_path / "forged.npz"
    record = raw if raw is not None else json.dumps({"format": checkpoint.FORMAT, "root": root})
    checkpoint._write_npz(str(path), {"w": np.ones(2), "__structure__": np.array(record)})
    return path


@pytest.mark.parametrize("root", [
    {"d": 5}, {"d": [["k"]]}, {"d": [[1.5, {"v": 1}]]}, {"d": [["k", 7]]},
    {"l": {"x": 1}}, {"t": 5}, {"t": ["w"]}, {"v": [1, 2]}, {"zz": 1}, [],
    {"d": [["k", {"v": 1}], ["k", {"v": 2}]]}, {"g": "w"}, {"t": "missing"},
])
def test_malformed_structure_records_raise_a_clear_value_error(tmp_path, root):
    with pytest.raises(ValueError, match=r"forged\.npz"):
        tg.load(_forged(tmp_path, root))


def test_deeply_nested_structure_record_raises_a_clear_value_error(tmp_path):
    deep = '{"format": "%s", "root": %s}' % (checkpoint.FORMAT, '{"l": [' * 50_000 + "]}" * 50_000)
    with pytest.raises(ValueError, match=r"forged\.npz.*__structure__"):
        tg.load(_forged(tmp_path, None, raw=deep))


# ----- item 4: keys, cycles, requires_grad ------------------------------------------------
def test_keys_that_npz_would_confuse_round_trip_exactly(tmp_path):
    keys = ["x", "x.npy", "a\0b", "a/b", "\ud800", "__structure__", "%41", "A", "k" * 1000,
            "a.b", "", " "]
    obj = {k: np.array([float(i)]) for i, k in enumerate(keys)}
    obj["a"] = {"b": np.array([99.0])}
    tg.save(obj, tmp_path / "k.npz")
    got = tg.load(tmp_path / "k.npz")
    assert list(got) == list(obj)
    for k in keys:
        assert got[k][0] == obj[k][0], repr(k)
    assert got["a"]["b"][0] == 99.0


@settings(max_examples=40)
@example({"x": "array", "x.npy": "array", "a\0": "array", "\ud800": "a\0\udfff", 3: None})
@given(st.dictionaries(st.text() | st.integers(-2 ** 70, 2 ** 70),
                       st.text() | st.floats(allow_nan=False) | st.none() | st.just("array"),
                       max_size=6))
def test_any_keys_and_values_round_trip(tmp_path_factory, obj):
    obj = {k: (np.array([len(str(k))]) if v == "array" else v) for k, v in obj.items()}
    path = tmp_path_factory.mktemp("keys") / "k.npz"
    tg.save({"nested": obj, "list": [obj]}, path)
    got = tg.load(path)
    for loaded in (got["nested"], got["list"][0]):
        assert list(loaded) == list(obj)
        for k, v in obj.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(loaded[k], v)
            else:
                assert loaded[k] == v and type(loaded[k]) is type(v)


def test_self_referencing_objects_are_refused_before_writing(tmp_path):
    d = {"w": np.ones(2)}
    d["me"] = d
    with pytest.raises(ValueError, match="contains itself"):
        tg.save(d, tmp_path / "c.npz")
    lst = [1]
    lst.append({"x": lst})
    with pytest.raises(ValueError, match="contains itself"):
        tg.save(lst, tmp_path / "c.npz")
    shared = np.ones(2)
    tg.save({"a": shared, "b": [shared, shared]}, tmp_path / "ok.npz")   # sharing is no cycle
    assert os.listdir(tmp_path) == ["ok.npz"]


def test_load_returns_leaves_with_requires_grad_as_saved(tmp_path):
    p = nn.Parameter(np.ones(2, np.float32))
    frozen = nn.Parameter(np.ones(2, np.float32), requires_grad=False)
    obj = {"p": p, "frozen": frozen, "t": tg.ones(3, requires_grad=True), "plain": tg.ones(3),
           "ints": tg.tensor([1, 2])}
    tg.save(obj, tmp_path / "rg.npz")
    got = tg.load(tmp_path / "rg.npz")
    assert type(got["p"]) is nn.Parameter and got["p"].requires_grad
    assert type(got["frozen"]) is nn.Parameter and not got["frozen"].requires_grad
    assert got["t"].requires_grad and got["t"].is_leaf and type(got["t"]) is tg.Tensor
    assert not got["plain"].requires_grad and not got["ints"].requires_grad
    (got["t"] * 2).sum().backward()
    np.testing.assert_array_equal(got["t"].grad.data, [2, 2, 2])


# ----- item 3 and 4: atomic writes ----------------------------------------------------------
def test_saving_through_a_symlink_writes_the_target_and_keeps_its_mode(tmp_path):
    target = tmp_path / "real" / "model.npz"
    target.parent.mkdir()
    tg.save({"w": np.zeros(2)}, target)
    os.chmod(target, 0o640)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    tg.save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.stat().st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(tg.load(target)["w"], [1, 1])
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "real"]
    assert os.listdir(target.parent) == ["model.npz"]


def _stale_name(path, pid=999_999):
    return path.parent / f".{path.name}.{pid}-{'ab' * 6}.tmp"


@pytest.mark.skipif(atomic_file.fcntl is None, reason="needs flock")
def test_next_save_removes_temporaries_of_dead_writers_only(tmp_path):
    path = tmp_path / "m.npz"
    stale = _stale_name(path)
    stale.write_bytes(b"half a checkpoint")
    live = _stale_name(path, pid=os.getpid()).with_name(f".m.npz.{os.getpid()}-{'cd' * 6}.tmp")
    live.write_bytes(b"being written")
    unrelated = tmp_path / ".m.npz.notes.tmp"
    unrelated.write_bytes(b"someone else's")
    import fcntl
    with open(live, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)   # a writer still at work
        tg.save({"w": np.ones(1)}, path)
    assert not stale.exists()
    assert live.exists() and unrelated.exists()
    assert atomic_file.temporary_names(path) == [str(live)]


def test_download_parts_of_a_killed_download_are_removed_too(tmp_path):
    path = tmp_path / "f.gz"
    stale = tmp_path / f".f.gz.123456-{'ef' * 6}.part"
    stale.write_bytes(b"partial")
    download_module.write_atomic(path, b"data")
    assert os.listdir(tmp_path) == ["f.gz"] and path.read_bytes() == b"data"


def _payloads():
    rng = np.random.default_rng(1)
    return [{"w": rng.standard_normal(500_000), "tag": i} for i in range(2)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_at_random_moments_leaves_a_loadable_file_and_no_debris(tmp_path):
    path = tmp_path / "ckpt.npz"
    payloads = _payloads()
    tg.save(payloads[0], path)
    started = time.monotonic()
    tg.save(payloads[1], path)
    one_save = max(time.monotonic() - started, 1e-3)
    rng = random.Random(0)
    seen = set()
    for _ in range(24):
        pid = os.fork()
        if pid == 0:   # the child saves for ever, alternating the payloads
            try:
                i = 0
                while True:
                    tg.save(payloads[i % 2], path)
                    i += 1
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, 3 * one_save))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        loaded = tg.load(path)   # the old file or the new one, never half of one
        np.testing.assert_array_equal(loaded["w"], payloads[loaded["tag"]]["w"])
        leftovers = atomic_file.temporary_names(path)
        seen.add(len(leftovers))
        assert len(leftovers) <= 1   # the killed child's own temporary file at most
        tg.save(payloads[1 - loaded["tag"]], path)   # the next save clears it
        assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert max(seen) == 1   # some kills really landed mid-write


# ----- item 2: downloads against a local server ---------------------------------------------
class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass   # a client hanging up on a drip is expected here


def _handler(stop):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, data, length=None):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) if length is None else length))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/ok":
                self._send(b"hello")
            elif self.path == "/drip":   # one byte every 0.2 s, 100 announced
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    if stop.is_set():
                        return
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            elif self.path == "/drip-headers":
                for byte in b"HTTP/1.0 200 OK\r\n":
                    if stop.is_set():
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            elif self.path == "/endless":
                self.send_response(200)
                self.end_headers()
                while not stop.is_set():
                    self.wfile.write(b"y" * 65536)
            elif self.path == "/huge":
                self.send_response(200)
                self.send_header("Content-Length", str(10 ** 12))
                self.end_headers()
            elif self.path == "/short":
                self._send(b"z" * 10, length=1000)
            elif self.path == "/500":
                self.send_error(500)
            else:
                self.send_error(404)
    return Handler


@pytest.fixture(scope="module")
def server():
    stop = threading.Event()
    srv = _Server(("127.0.0.1", 0), _handler(stop))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    stop.set()
    srv.shutdown()
    srv.server_close()
    thread.join()


def _refused_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing"


@pytest.mark.parametrize("route, problem", [
    ("/drip", "within the deadline of 1 s"),
    ("/drip-headers", "within the deadline of 1 s"),
    ("/endless", "past the 100000 bytes expected"),
    ("/huge", "announces 1000000000000 bytes"),
    ("/short", "cut short: 10 of the 1000 bytes"),
])
def test_fetch_bounds_time_and_size(server, route, problem):
    with pytest.raises(BadResponse, match=problem):
        fetch(server + route, timeout=30, deadline=1.0, max_bytes=100_000)


def test_fetch_reads_a_good_response_and_reports_http_errors(server):
    assert fetch(server + "/ok", deadline=5, max_bytes=5) == b"hello"
    with pytest.raises(urllib.error.HTTPError, match="404"):
        fetch(server + "/missing", deadline=5)


def test_offline_hint_only_when_no_mirror_could_be_reached(server, tmp_path):
    sha = hashlib.sha256(b"hello").hexdigest()
    path = tmp_path / "f"
    for urls in ([server + "/missing", server + "/500"], [server + "/short"],
                 [server + "/missing", _refused_url()]):
        with pytest.raises(DownloadError) as e:
            download_file(urls, path, sha, deadline=2)
        assert "Are you offline" not in str(e.value), urls
    with pytest.raises(DownloadError, match=r"cannot connect(.|\n)*Are you offline"):
        download_file([_refused_url()], path, sha, deadline=2)
    assert not path.exists()
    download_file([server + "/missing", server + "/ok"], path, sha, size=5, deadline=5)
    assert path.read_bytes() == b"hello" and os.listdir(tmp_path) == ["f"]


def test_download_refuses_a_mirror_sending_more_than_the_known_size(server, tmp_path):
    with pytest.raises(DownloadError, match="past the 5 bytes expected"):
        download_file([server + "/endless"], tmp_path / "f", "0" * 64, size=5, deadline=5)
    assert os.listdir(tmp_path) == []


def test_zero_sized_shapes_whose_product_overflows_are_named_errors(tmp_path):
    path = tmp_path / "zero-idx"
    path.write_bytes(struct.pack(">HBB4I", 0, 0x0E, 4, 0, *[2 ** 32 - 1] * 3))
    with pytest.raises(IDXError, match="numpy cannot represent"):
        read_idx(path)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (0,) + (2 ** 40,) * 3})
    npz = tmp_path / "zero.npz"
    with zipfile.ZipFile(npz, "w") as zf:
        zf.writestr("w.npy", header.getvalue())
    with pytest.raises(ValueError, match=r"zero\.npz.*numpy cannot represent"):
        tg.load(npz)
