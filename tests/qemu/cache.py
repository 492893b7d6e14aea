"""Cache directory and input hashing.

Everything the test infrastructure builds lives under ${BATON_CACHE:-/var/cache/baton},
in folders keyed by a hash of the inputs, so reruns are instant and any change of
inputs (script text, package versions, parameters) builds afresh.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile


def cache_dir(*parts):
    """Returns (and creates) ${BATON_CACHE:-/var/cache/baton}/<parts...>."""
    base = os.environ.get("BATON_CACHE", "/var/cache/baton")
    path = os.path.join(base, *parts)
    os.makedirs(path, exist_ok=True)
    return path


def hash_inputs(*items):
    """Stable short hash of JSON-able items, bytes, or ('file', path) pairs."""
    h = hashlib.sha256()
    for item in items:
        if isinstance(item, bytes):
            h.update(b"B" + item)
        elif isinstance(item, tuple) and len(item) == 2 and item[0] == "file":
            h.update(b"F")
            with open(item[1], "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(b"J" + json.dumps(item, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def tree_hash(root):
    """Hash of a host directory tree: relative paths, modes, link targets, contents."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            h.update(f"{rel}\0{st.st_mode:o}\0".encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def locked(final):
    """Holds an exclusive flock on `final`.lock: concurrent test processes that need
    the same artefact wait for the first builder instead of building it twice.
    Usage: check for the artefact, and if missing: with locked(final): check again, build."""
    os.makedirs(os.path.dirname(final), exist_ok=True)
    with open(final + ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class Building:
    """Context manager: a temp dir next to `final` that becomes `final` on success.

    with Building(final) as tmp: ...write into tmp...
    An existing complete `final` is never touched; a failed build leaves nothing.
    """

    def __init__(self, final):
        self.final = final

    def __enter__(self):
        parent = os.path.dirname(self.final)
        os.makedirs(parent, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=".build-", dir=parent)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        if os.path.exists(self.final):
            shutil.rmtree(self.final, ignore_errors=True)
        os.rename(self.tmp, self.final)
        return False


def log(msg):
    print(f"[qemu-infra] {msg}", file=sys.stderr, flush=True)
