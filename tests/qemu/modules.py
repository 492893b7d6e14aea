"""Kernel module dependency resolution for the hand-made test images.

    from tests.qemu import modules
    paths = modules.resolve(["virtio_pci", "virtio_blk", "ext4"])   # load order
    names = modules.resolve_names([...])

Reads modules.dep, modules.softdep, modules.alias and modules.builtin of the cached
Debian kernel (kernel.ensure(); depmod was run there). Names may be module names
(`-`/`_` are the same), or aliases such as `crypto-crc32c` (every module the alias
matches is taken: e.g. crc32c_intel *and* crc32c_generic, since the first may not load
on a TCG CPU). Softdeps `pre:` are loaded before, `post:` after. Built-in modules are
dropped. The result is ordered so that each module comes after its dependencies.

Facts (Debian 12, 6.1): CONFIG_MODULE_COMPRESS_NONE=y, modules are plain `.ko`, so
busybox `insmod FILE` loads them as they are; the helpers also cope with .ko.xz/.ko.zst
(`decompressed_bytes`) in case a later kernel compresses them. The product's image
builder uses libkmod; this is only for the test infrastructure.
"""

import fnmatch
import lzma
import os
import subprocess

from . import kernel as kernel_mod


def _norm(name):
    return name.replace("-", "_")


def _modname(relpath):
    base = os.path.basename(relpath)
    for ext in (".ko.xz", ".ko.zst", ".ko.gz", ".ko"):
        if base.endswith(ext):
            return _norm(base[: -len(ext)])
    return _norm(base)


class ModuleIndex:
    def __init__(self, modules_dir=None):
        if modules_dir is None:
            modules_dir = kernel_mod.ensure()["modules_dir"]
        self.dir = modules_dir
        self.path = {}  # name -> relative path
        self.deps = {}  # name -> [names]
        with open(os.path.join(modules_dir, "modules.dep")) as f:
            for line in f:
                if ":" not in line:
                    continue
                mod, deps = line.split(":", 1)
                name = _modname(mod)
                self.path[name] = mod.strip()
                self.deps[name] = [_modname(d) for d in deps.split()]
        self.builtin = set()
        p = os.path.join(modules_dir, "modules.builtin")
        if os.path.exists(p):
            with open(p) as f:
                self.builtin = {_modname(line.strip()) for line in f if line.strip()}
        self.softpre, self.softpost = {}, {}
        p = os.path.join(modules_dir, "modules.softdep")
        if os.path.exists(p):
            with open(p) as f:
                for line in f:
                    words = line.split()
                    if len(words) < 3 or words[0] != "softdep":
                        continue
                    name, mode = _norm(words[1]), None
                    for w in words[2:]:
                        if w in ("pre:", "post:"):
                            mode = w
                        elif mode == "pre:":
                            self.softpre.setdefault(name, []).append(w)
                        elif mode == "post:":
                            self.softpost.setdefault(name, []).append(w)
        self.alias_exact = {}  # alias -> [modules]
        self.alias_glob = []  # (pattern, module), only patterns with wildcards
        p = os.path.join(modules_dir, "modules.alias")
        if os.path.exists(p):
            with open(p) as f:
                for line in f:
                    words = line.split()
                    if len(words) == 3 and words[0] == "alias":
                        if any(c in words[1] for c in "*?["):
                            self.alias_glob.append((words[1], _norm(words[2])))
                        else:
                            self.alias_exact.setdefault(words[1], []).append(_norm(words[2]))

    def lookup(self, name):
        """Module names for a name or alias ([] if built in, KeyError if unknown)."""
        n = _norm(name)
        if n in self.path:
            return [n]
        if n in self.builtin:
            return []
        found = list(dict.fromkeys(self.alias_exact.get(name, [])))
        if not found:
            for pat, mod in self.alias_glob:
                if fnmatch.fnmatchcase(name, pat) and mod not in found:
                    found.append(mod)
        if not found and name.startswith("platform:"):
            return []
        if not found:
            raise KeyError(f"unknown module or alias: {name}")
        return found

    def resolve_names(self, names, softdeps=True):
        order, seen = [], set()

        def visit(n, stack):
            if n in seen:
                return
            if n in stack:
                return  # dependency cycle (softdeps can make one): break it
            stack = stack | {n}
            if softdeps:
                for s in self.softpre.get(n, []):
                    for m in self.lookup(s):
                        visit(m, stack)
            for d in self.deps.get(n, []):
                visit(d, stack)
            seen.add(n)
            order.append(n)
            if softdeps:
                for s in self.softpost.get(n, []):
                    for m in self.lookup(s):
                        visit(m, stack)

        for name in names:
            for m in self.lookup(name):
                visit(m, set())
        return order

    def resolve(self, names, softdeps=True):
        """Absolute .ko paths in load order."""
        return [os.path.join(self.dir, self.path[n]) for n in self.resolve_names(names, softdeps)]


_default = None


def default_index():
    global _default
    if _default is None:
        _default = ModuleIndex()
    return _default


def resolve(names, softdeps=True):
    return default_index().resolve(names, softdeps)


def resolve_names(names, softdeps=True):
    return default_index().resolve_names(names, softdeps)


def decompressed_bytes(path):
    """Contents of a module as busybox insmod wants them (plain ELF)."""
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    with open(path, "rb") as f:
        return f.read()


def image_name(path):
    """Plain file name for a module inside an image (compression suffix dropped)."""
    base = os.path.basename(path)
    for ext in (".xz", ".zst", ".gz"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


# Module sets the scenarios need.
STORAGE = ["virtio_pci", "virtio_blk", "ext4"]
RAID = ["md_mod", "raid1"]
CRYPT = ["dm_mod", "dm_crypt", "xts", "ecb", "algif_skcipher", "algif_hash"]
LVM = ["dm_mod"]


if __name__ == "__main__":
    import sys

    for p in resolve(sys.argv[1:]):
        print(p)
