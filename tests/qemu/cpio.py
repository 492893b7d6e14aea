"""Reproducible newc cpio archives (initramfs images).

    from tests.qemu import cpio
    entries = {
        "init": cpio.File("/host/path/init", mode=0o755),   # host file (mode from host if None)
        "etc/hello": cpio.Data(b"hi\\n"),                    # bytes
        "bin/sh": cpio.Symlink("busybox"),
        "proc": cpio.Dir(),
        "dev/console": cpio.Dev("c", 5, 1, mode=0o600),
    }
    cpio.write("/tmp/initrd.img", entries, compress="zstd")   # None | "gzip" | "zstd"

Values may also be given bare: str -> host file, bytes -> Data. Parent directories are
added automatically. Entries are sorted by path, uid/gid 0, mtime fixed (0), inode
numbers sequential: the same input gives the same bytes.
"""

import gzip
import io
import os
import stat
import subprocess


class File:
    def __init__(self, src, mode=None):
        self.src, self.mode = src, mode


class Data:
    def __init__(self, data, mode=0o644):
        self.data = data if isinstance(data, bytes) else data.encode()
        self.mode = mode


class Symlink:
    def __init__(self, target):
        self.target = target


class Dir:
    def __init__(self, mode=0o755):
        self.mode = mode


class Dev:
    def __init__(self, kind, major, minor, mode=0o600):
        assert kind in ("c", "b")
        self.kind, self.major, self.minor, self.mode = kind, major, minor, mode


def _normalize(entries):
    items = entries.items() if isinstance(entries, dict) else entries
    out = {}
    for path, v in items:
        path = path.strip("/")
        if isinstance(v, str):
            v = File(v)
        elif isinstance(v, bytes):
            v = Data(v)
        out[path] = v
    for path in list(out):
        parent = os.path.dirname(path)
        while parent and parent not in out:
            out[parent] = Dir()
            parent = os.path.dirname(parent)
    return out


def _header(ino, mode, nlink, filesize, devmajor, devminor, name):
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, filesize, 0, 0, devmajor, devminor, len(namez), 0]
    h = b"070701" + b"".join(b"%08X" % f for f in fields) + namez
    return h + b"\0" * (-len(h) % 4)


def archive(entries):
    """The uncompressed newc archive as bytes."""
    entries = _normalize(entries)
    buf = io.BytesIO()
    ino = 1
    for path in sorted(entries):
        v = entries[path]
        rdev = (0, 0)
        if isinstance(v, File):
            with open(v.src, "rb") as f:
                data = f.read()
            mode = v.mode if v.mode is not None else stat.S_IMODE(os.stat(v.src).st_mode)
            mode |= stat.S_IFREG
        elif isinstance(v, Data):
            data, mode = v.data, stat.S_IFREG | v.mode
        elif isinstance(v, Symlink):
            data, mode = v.target.encode(), stat.S_IFLNK | 0o777
        elif isinstance(v, Dir):
            data, mode = b"", stat.S_IFDIR | v.mode
        elif isinstance(v, Dev):
            data = b""
            mode = (stat.S_IFCHR if v.kind == "c" else stat.S_IFBLK) | v.mode
            rdev = (v.major, v.minor)
        else:
            raise TypeError(f"{path}: unsupported entry {v!r}")
        nlink = 2 if isinstance(v, Dir) else 1
        buf.write(_header(ino, mode, nlink, len(data), rdev[0], rdev[1], path))
        buf.write(data + b"\0" * (-len(data) % 4))
        ino += 1
    buf.write(_header(0, 0, 1, 0, 0, 0, "TRAILER!!!"))
    out = buf.getvalue()
    return out + b"\0" * (-len(out) % 512)


def compress_bytes(data, compress):
    if compress in (None, "none"):
        return data
    if compress == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    if compress == "zstd":
        # The kernel's zstd decompressor wants a bounded window; -19 keeps it at 8 MB.
        return subprocess.run(["zstd", "-q", "-19", "-c", "-T0"], input=data,
                              check=True, capture_output=True).stdout
    raise ValueError(f"unknown compression {compress}")


def write(path, entries, compress=None):
    """Writes the archive to `path`; returns its size in bytes."""
    data = compress_bytes(archive(entries), compress)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)
    return len(data)
