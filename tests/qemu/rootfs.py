"""Building blocks for the images the tests make: busybox, ELF binaries with their
shared libraries, and the small "real root" the fixtures carry.

    entries = busybox_entries()                      # /bin/busybox + applet links
    entries.update(binary_entries(["/sbin/mdadm"]))  # binary + libs found with ldd
    content = real_root(extra_init="cat /proc/mdstat")  # dict for fixtures' root fs
    stage(content, "/tmp/dir")                       # materialise such a dict on disk

Content dicts map an image path to a host path (str), bytes, or a cpio.File / Data /
Symlink / Dir entry (device nodes are not needed: the root gets /dev moved in).
"""

import os
import re
import shutil
import subprocess

from . import cpio

BUSYBOX = os.environ.get("BATON_BUSYBOX", "/bin/busybox")


def busybox_applets():
    out = subprocess.run([BUSYBOX, "--list-full"], check=True, capture_output=True,
                         text=True).stdout
    return sorted(line.strip() for line in out.splitlines() if line.strip())


def busybox_entries(prefix=""):
    """busybox-static at /bin/busybox and a symlink for every applet (usr/sbin/x...)."""
    e = {f"{prefix}bin/busybox": cpio.File(BUSYBOX, 0o755)}
    for applet in busybox_applets():
        if applet == "bin/busybox":
            continue
        depth = applet.count("/")
        e[prefix + applet] = cpio.Symlink("../" * depth + "bin/busybox")
    return e


def ldd_libs(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            libs.append(m.group(1))
    return libs


def binary_entries(binaries):
    """Each binary at its own path plus its shared libraries (resolved, not symlinks)."""
    e = {}
    for b in binaries:
        e[b.lstrip("/")] = cpio.File(os.path.realpath(b), 0o755)
        for lib in ldd_libs(b):
            e[lib.lstrip("/")] = cpio.File(os.path.realpath(lib), 0o755)
    # Debian is merged-/usr; make /lib64 and /lib point where the loader is asked for.
    return e


ROOT_INIT = """#!/bin/sh
# baton test fixture: the "real root" init. Prints a marker with the uptime, then
# whatever the test asked, then powers off.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
read up rest < /proc/uptime
echo "BATON-ROOT-INIT uptime=$up"
echo "BATON-ROOT-CMDLINE $(cat /proc/cmdline)"
echo "BATON-ROOT-MOUNT $(grep ' / ' /proc/mounts | tail -n 1)"
{extra}
echo "BATON-ROOT-DONE"
sync
poweroff -f
"""

DEFAULT_EXTRA = """if [ -e /proc/mdstat ]; then cat /proc/mdstat; fi
for f in /sys/block/md*/md/degraded; do [ -e "$f" ] && echo "BATON-MD-DEGRADED $f $(cat $f)"; done"""


def real_root(extra_init=DEFAULT_EXTRA, files=None, init_script=None):
    """Content dict of the fixtures' small real root: busybox, /sbin/init (ROOT_INIT with
    `extra_init` shell lines, or `init_script` verbatim), empty mount points, `files`."""
    e = busybox_entries()
    for d in ("proc", "sys", "dev", "run", "tmp", "mnt", "etc", "root", "usr"):
        e[d] = cpio.Dir()
    # busybox lists sbin/init as an applet; replace it by the marker script.
    script = init_script if init_script is not None else ROOT_INIT.replace("{extra}", extra_init)
    e["sbin/init"] = cpio.Data(script, 0o755)
    e["etc/hostname"] = cpio.Data(b"batontest\n")
    if files:
        e.update(files)
    return e


def stage(entries, dest):
    """Writes a content dict (or copies a host dir given as str) into `dest`."""
    if isinstance(entries, str):
        shutil.copytree(entries, dest, symlinks=True, dirs_exist_ok=True)
        return
    os.makedirs(dest, exist_ok=True)
    for path in sorted(entries):
        v = entries[path]
        if isinstance(v, str):
            v = cpio.File(v)
        elif isinstance(v, bytes):
            v = cpio.Data(v)
        p = os.path.join(dest, path.strip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(v, cpio.Dir):
            os.makedirs(p, exist_ok=True)
            os.chmod(p, v.mode)
        elif isinstance(v, cpio.Symlink):
            if os.path.lexists(p):
                os.unlink(p)
            os.symlink(v.target, p)
        elif isinstance(v, cpio.File):
            shutil.copyfile(v.src, p)
            os.chmod(p, v.mode if v.mode is not None else os.stat(v.src).st_mode & 0o7777)
        elif isinstance(v, cpio.Data):
            with open(p, "wb") as f:
                f.write(v.data)
            os.chmod(p, v.mode)
        elif isinstance(v, cpio.Dev):
            kind = 0o020000 if v.kind == "c" else 0o060000
            os.mknod(p, kind | v.mode, os.makedev(v.major, v.minor))
        else:
            raise TypeError(f"{path}: unsupported entry {v!r}")


def content_hash(entries):
    """Hash of a content dict or host dir, for cache keys."""
    from . import cache
    if isinstance(entries, str):
        return cache.tree_hash(entries)
    items = []
    for path in sorted(entries):
        v = entries[path]
        if isinstance(v, str):
            v = cpio.File(v)
        elif isinstance(v, bytes):
            v = cpio.Data(v)
        if isinstance(v, cpio.File):
            st = os.stat(v.src)
            items.append([path, "F", v.src, st.st_size, st.st_mtime_ns, v.mode])
        elif isinstance(v, cpio.Data):
            items.append([path, "D", cache.hash_inputs(v.data), v.mode])
        elif isinstance(v, cpio.Symlink):
            items.append([path, "L", v.target])
        elif isinstance(v, cpio.Dir):
            items.append([path, "d", v.mode])
        elif isinstance(v, cpio.Dev):
            items.append([path, "c", v.kind, v.major, v.minor, v.mode])
    return cache.hash_inputs(items)
