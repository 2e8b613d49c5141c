"""Fetching a data file from public mirrors: SHA-256 verified, bounded in
time and size, written atomically.

Each mirror gets an overall ``deadline`` (the socket's ``timeout`` only
bounds one read, so a server dripping a byte at a time could hold it for
ever): when it passes, the connection is shut down. No more than the file's
expected size is read (a server sending endless data is cut off there). The
bytes are checked against a SHA-256 fixed in the code before anything is
written, then written through ``atomic_file.write_atomic``, so a crash or a
bad download never leaves a partial or wrong file under the real name.
"""
import hashlib
import http.client
import os
import socket
import threading
import time
import urllib.error
import urllib.request

from ..atomic_file import write_atomic as _write_atomic


class DownloadError(OSError):
    """No mirror gave the file with the expected SHA-256 (offline, or a bad copy)."""


class BadResponse(OSError):
    """A mirror answered, but not with the file: too slow, too long or cut short."""


# A download whose size is not given stops after this many bytes.
DEFAULT_MAX_BYTES = 256 << 20
DEFAULT_DEADLINE = 600.0   # seconds per mirror: 26 MB at 50 KB/s


class _Watchdog:
    """Shuts down the connections of one fetch when its deadline passes,
    which wakes a read blocked in any phase (connect, TLS, headers, body)."""

    def __init__(self, seconds):
        self.fired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock):
        # A duplicate of the socket: shutting it down ends the connection
        # even if urllib has meanwhile closed (and the OS reused) its own fd.
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._sockets.append(dup)
            if self.fired:
                _shutdown(dup)
        return sock

    def _fire(self):
        with self._lock:
            self.fired = True
            for s in self._sockets:
                _shutdown(s)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        with self._lock:
            for s in self._sockets:
                s.close()
            self._sockets.clear()


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _opener(watchdog):
    """A urllib opener whose connections register their socket with ``watchdog``."""
    def watched(conn_class):
        class Watched(conn_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                create = self._create_connection
                self._create_connection = lambda *a, **k: watchdog.watch(create(*a, **k))
        return Watched

    class HTTP(urllib.request.HTTPHandler):
        def do_open(self, http_class, req, **kwargs):
            return super().do_open(watched(http_class), req, **kwargs)

    class HTTPS(urllib.request.HTTPSHandler):
        def do_open(self, http_class, req, **kwargs):
            return super().do_open(watched(http_class), req, **kwargs)

    return urllib.request.build_opener(HTTP, HTTPS)


def fetch(url, timeout=60, deadline=DEFAULT_DEADLINE, max_bytes=DEFAULT_MAX_BYTES):
    """The bytes at ``url`` (the one function that touches the network).

    ``timeout`` bounds each blocking read and ``deadline`` the whole fetch
    (seconds); more than ``max_bytes`` bytes is refused without reading
    them. Raises urllib's URLError when no connection could be made,
    HTTPError for an HTTP error status, BadResponse for a response too slow,
    too long or cut short."""
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_nndl"})
    start = time.monotonic()
    with _Watchdog(deadline) as watchdog:
        try:
            with _opener(watchdog).open(request, timeout=min(timeout, deadline)) as response:
                length = response.headers.get("Content-Length")
                length = int(length) if length is not None and length.isdigit() else None
                if length is not None and length > max_bytes:
                    raise BadResponse(f"the server announces {length} bytes, more than "
                                      f"the {max_bytes} expected; nothing read")
                data = _read_capped(response, max_bytes)
                if watchdog.fired:   # the shutdown reads as an early end of the data
                    raise BadResponse("deadline")
                if length is not None and len(data) != length:
                    raise BadResponse(f"the response was cut short: {len(data)} of the "
                                      f"{length} bytes announced")
                return data
        except (OSError, http.client.HTTPException) as e:
            if isinstance(e, urllib.error.HTTPError):
                e.close()   # its body is not wanted; an open one would leak the socket
            if watchdog.fired:
                raise BadResponse(f"no complete response within the deadline of {deadline:g} "
                                  f"s (after {time.monotonic() - start:.1f} s)") from None
            if isinstance(e, http.client.IncompleteRead):
                raise BadResponse(f"the response was cut short: {len(e.partial)} bytes "
                                  f"received, {e.expected} more announced") from None
            raise


def _read_capped(response, max_bytes):
    chunks, total = [], 0
    while True:
        chunk = response.read(min(1 << 16, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise BadResponse(f"the response goes on past the {max_bytes} bytes expected; "
                              f"stopped reading there")


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def write_atomic(path, data):
    """Write ``data`` to ``path`` atomically (see ``atomic_file``)."""
    _write_atomic(path, lambda f: f.write(data), suffix=".part")


def download_file(urls, path, sha256, size=None, timeout=60, deadline=DEFAULT_DEADLINE):
    """Fetch the file from the first of ``urls`` that answers with bytes whose
    SHA-256 is ``sha256``, and write it atomically to ``path``.

    ``size`` is the file's expected length in bytes: no mirror is read past
    it (without it, past DEFAULT_MAX_BYTES). Each mirror gets ``deadline``
    seconds in all and ``timeout`` seconds per read. Raises DownloadError
    listing every mirror tried and why it failed (no connection, HTTP error,
    too slow, too long, checksum mismatch); ``path`` is then left untouched.
    """
    failures = []
    unreachable = 0
    max_bytes = DEFAULT_MAX_BYTES if size is None else int(size)
    for url in urls:
        try:
            data = fetch(url, timeout=timeout, deadline=deadline, max_bytes=max_bytes)
        except urllib.error.HTTPError as e:
            failures.append(f"{url}: HTTP error {e.code}: {e.reason}")
            continue
        except urllib.error.URLError as e:   # no connection: DNS, refused, unreachable
            unreachable += 1
            failures.append(f"{url}: cannot connect: {e.reason}")
            continue
        except (OSError, http.client.HTTPException, ValueError) as e:
            failures.append(f"{url}: {e or type(e).__name__}")
            continue
        digest = sha256_of(data)
        if digest != sha256:
            expected = f", expected {size}" if size is not None and len(data) != size else ""
            failures.append(f"{url}: checksum mismatch: SHA-256 {digest}, expected {sha256} "
                            f"({len(data)} bytes received{expected})")
            continue
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        write_atomic(path, data)
        return path
    # Only when no mirror could even be reached is being offline the likely cause.
    hint = (" Are you offline? Copy the file into that folder by hand, or retry with network "
            "access." if failures and unreachable == len(failures) else "")
    raise DownloadError(f"download of {os.path.basename(path)} to {path} failed from every "
                        f"mirror:\n  " + "\n  ".join(failures) + "\n" + hint.strip())
