"""Fetching a data file from public mirrors: SHA-256 verified, written atomically.

The bytes are checked against a SHA-256 fixed in the code before anything is
written, then written to a temporary file in the destination folder and
renamed over the destination (``os.replace``), so a crash or a bad download
never leaves a partial or wrong file under the real name.
"""
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request


class DownloadError(OSError):
    """No mirror gave the file with the expected SHA-256 (offline, or a bad copy)."""


def fetch(url, timeout=60):
    """The bytes at ``url`` (the one function that touches the network)."""
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_nndl"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def write_atomic(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same folder
    and ``os.replace``: readers see the old file or the new one, never half."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def download_file(urls, path, sha256):
    """Fetch the file from the first of ``urls`` that answers with bytes whose
    SHA-256 is ``sha256``, and write it atomically to ``path``.

    Raises DownloadError listing every mirror tried and why it failed (no
    network, HTTP error, checksum mismatch); ``path`` is then left untouched.
    """
    failures = []
    for url in urls:
        try:
            data = fetch(url)
        except (OSError, http.client.HTTPException, ValueError) as e:  # URLError is an OSError
            failures.append(f"{url}: {getattr(e, 'reason', None) or e}")
            continue
        digest = sha256_of(data)
        if digest != sha256:
            failures.append(f"{url}: checksum mismatch: SHA-256 {digest}, expected {sha256} "
                            f"({len(data)} bytes received)")
            continue
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        write_atomic(path, data)
        return path
    offline = all("checksum mismatch" not in f for f in failures)
    hint = (" Are you offline? Copy the file into that folder by hand, or retry with network "
            "access." if offline else "")
    raise DownloadError(f"download of {os.path.basename(path)} to {path} failed from every "
                        f"mirror:\n  " + "\n  ".join(failures) + "\n" + hint.strip())
