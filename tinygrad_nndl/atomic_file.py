"""Atomic file writes that leave nothing behind, even after SIGKILL.

The bytes go to a temporary file beside the destination, are flushed and
fsynced, and the temporary file is renamed over the destination
(``os.replace``): readers see the old file or the new one, never half of one.

A process killed mid-write cannot remove its temporary file, so the names
say whose they are and a lock says whether anyone still writes them: the
writer holds an exclusive ``flock`` on its temporary file until the rename,
and every write first removes the temporaries of the same destination that
nobody holds (their writer is dead; the kernel dropped its lock). Without
``fcntl`` (Windows) they are left, but still found by their name,
``.{name}.{pid}-{random}{suffix}``.
"""
import os
import re
import secrets

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["write_atomic", "temporary_names"]


def temporary_names(path, suffix=".tmp"):
    """The temporary files that writes to ``path`` (after symlinks) may have
    left in its directory, whether or not their writer still runs."""
    target = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(target)
    pattern = re.compile(re.escape(f".{name}.") + r"\d+-[0-9a-f]{12}" + re.escape(suffix) + "$")
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    return [os.path.join(directory, e) for e in entries if pattern.match(e)]


def _try_lock(fd, blocking):
    """True when the exclusive lock was taken (or locks are not available)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except BlockingIOError:
        return False
    except OSError:   # a filesystem without locks: behave as if there were none
        return blocking


def _remove_stale(path, suffix):
    if fcntl is None:
        return
    for candidate in temporary_names(path, suffix):
        try:
            fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue   # removed meanwhile, or not ours to open
        try:
            if not _try_lock(fd, blocking=False):
                continue   # its writer is alive
            try:
                if os.stat(candidate, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                    os.unlink(candidate)
            except OSError:
                pass
        finally:
            os.close(fd)


def _open_temporary(directory, name, suffix, mode):
    """(fd, path) of a new temporary file that holds our lock."""
    while True:
        tmp = os.path.join(directory, f".{name}.{os.getpid()}-{secrets.token_hex(6)}{suffix}")
        # O_EXCL: never write through someone else's file; mode 0o666 lets the
        # umask decide the permissions, as for a file opened with open().
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
        _try_lock(fd, blocking=True)
        try:
            # A cleaner may have taken the unlocked file for a dead writer's
            # between our open and our lock; then start again.
            if os.stat(tmp, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                if mode is not None:
                    os.fchmod(fd, mode)
                return fd, tmp
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where directories
    cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path, write, suffix=".tmp"):
    """Replace the file at ``path`` by what ``write(f)`` writes to the binary
    file object ``f``, atomically. Through a symlink the link's target is
    written and the link kept; an existing file keeps its permission bits.
    An exception (or a crash) leaves the previous file as it was; the
    temporary file is removed then, or by the next write to ``path``."""
    target = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    _remove_stale(target, suffix)
    fd, tmp = _open_temporary(directory, name, suffix, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
            os.replace(tmp, target)   # under our lock, so no cleaner takes it first
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    return target
