"""Fixture disk images, built once into the cache (a builder VM where the host can't).

    from tests.qemu import fixtures
    fx = fixtures.build("raid-luks-lvm")          # description dict, see below
    fx = fixtures.build("plain", root=my_dict_or_host_dir)   # own real-root content
    fx = fixtures.build("raid1", extra_init="cat /proc/mdstat")

CLI:  python3 -m tests.qemu.fixtures [--json] [--force] [--prune] NAME...   (or `all`)
      (--prune: delete cached fixtures other than the ones just listed/built)
      tools/qemu-fixtures NAME...

build_many(names) builds all missing builder-made fixtures in ONE builder boot (disks
are found by serial in the guest): 6 fixtures took one ~105 s builder boot.

Names (the API): plain, raid1, luks-keyfile, luks-pass, luks-argon2, lvm, lvm-striped,
raid-luks-lvm, luks2x-raid-lvm, luks-lvm-swap, usr-split.

luks-lvm-swap is Debian's installer layout "guided - use entire disk and set up encrypted
LVM": one disk, LUKS2 (passphrase slot 0, key file slot 1), a VG `batonlap-vg` (named like
the installer's `<hostname>-vg`, so the dm names double the '-') with LVs `root` (the
ext4) and `swap_1` (mkswap, LABEL=batonlapswap), for the resume scenarios.

Every fixture's root filesystem is ext4 LABEL=batonroot with a fixed UUID, holding the
small real root of rootfs.real_root(): /sbin/init prints
`BATON-ROOT-INIT uptime=<s>`, the cmdline, the root mount, /proc/mdstat and
`BATON-MD-DEGRADED <sysfs file> <n>` lines, then `BATON-ROOT-DONE`, then `poweroff -f`.

The ext4 images are made on the host (mkfs.ext4 -d, fixed -U/-L). Plain and usr-split are
made on the host entirely (GPT with sgdisk, fs dd'd in at 1 MiB). The others need md/dm,
which the host kernel lacks: a builder VM (busybox + mdadm + cryptsetup + lvm + modules)
boots with the blank disks and the ext4 image attached, runs a generated script that
creates the stack and copies the ext4 image onto its top with dd, then `poweroff -f`.
LUKS uses pbkdf2 with 1000 iterations (fast unlock under TCG), except luks-argon2: a
LUKS2 argon2id root as `cryptsetup luksFormat` makes it on Debian 12 (aes-xts-plain64,
sha256, argon2id for both slots) but at a cost TCG can pay: 64 MiB, 4 passes, 1 thread
(ARGON2_PBKDF; the scenario guests have 1 GiB).

Cache: $BATON_CACHE/fixtures/<name>-<hash>/ where the hash covers the guest script,
the parameters, the root content, the kernel and the tool package versions. The
description (also description.json there):
  name, dir, disks: [{path, serial}], root_uuid, root_label ("batonroot"),
  cmdline ("root=LABEL=batonroot" ...), and as they apply: partuuid, partlabel,
  md_uuid, md_uuid_mdadm (colon form), md_device, luks_uuids, luks_name(s), passphrase,
  keyfile, keyfile_size, vg, lv,
  root_device (the device path inside the guest), usr_uuid, usr_label,
  build_seconds (time the build took when it was made).
"""

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

from . import cache, cpio, kernel, modules, rootfs
from .vm import VM, Disk, VMError

FORMAT = 6  # bump when host-side building changes in a way the hash does not see
PASSPHRASE = "baton-test-passphrase"
KEYFILE_SIZE = 64
ROOT_LABEL = "batonroot"
USR_LABEL = "batonusr"
NAMES = ["plain", "raid1", "luks-keyfile", "luks-pass", "luks-argon2", "lvm", "lvm-striped", "raid-luks-lvm",
         "luks2x-raid-lvm", "luks-lvm-swap", "usr-split"]
_NS = uuidlib.UUID("6b61746f-6e00-4000-8000-000000000000")

TOOL_PACKAGES = ["mdadm", "cryptsetup-bin", "lvm2", "e2fsprogs", "busybox-static", "gdisk",
                 "libcryptsetup12", "qemu-system-x86"]
BUILDER_BINARIES = ["/usr/sbin/mdadm", "/usr/sbin/cryptsetup", "/usr/sbin/lvm"]
BUILDER_MODULES = modules.STORAGE + modules.RAID + modules.CRYPT

LVM_CONF = """devices { obtain_device_list_from_udev = 0 }
activation { udev_sync = 0 udev_rules = 0 }
backup { backup = 0 archive = 0 }
"""


def fixed_uuid(*parts):
    return str(uuidlib.uuid5(_NS, "/".join(parts)))


def md_uuid_str(u):
    h = uuidlib.UUID(u).hex
    return ":".join(h[i:i + 8] for i in range(0, 32, 8))


def keyfile_bytes(name):
    return random.Random(f"baton-keyfile-{name}").randbytes(KEYFILE_SIZE)


def tool_versions():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}=${Version}\n"] + TOOL_PACKAGES,
                         capture_output=True, text=True).stdout
    return out.split()


# --- host-side images -------------------------------------------------------------

def make_ext4(path, size_mb, content, uuid, label):
    """ext4 image of `size_mb` MiB filled from a content dict / host dir."""
    with tempfile.TemporaryDirectory(prefix="baton-ext4-") as d:
        rootfs.stage(content, d)
        if os.path.exists(path):
            os.unlink(path)
        env = dict(os.environ, E2FSPROGS_FAKE_TIME="1600000000")
        subprocess.run(["mkfs.ext4", "-q", "-F", "-d", d, "-U", uuid, "-L", label,
                        "-E", f"root_owner=0:0,hash_seed={uuid}", "-b", "4096",
                        path, f"{size_mb}M"], check=True, env=env, capture_output=True)


def make_gpt_disk(path, size_mb, fs_image, partuuid, partlabel, disk_guid):
    """GPT disk with one partition at 1 MiB holding `fs_image`."""
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    subprocess.run(["sgdisk", "-o", "-U", disk_guid, "-n", "1:2048:0", "-t", "1:8300",
                    "-c", f"1:{partlabel}", "-u", f"1:{partuuid}", path], check=True,
                   capture_output=True)
    subprocess.run(["dd", f"if={fs_image}", f"of={path}", "bs=1M", "seek=1",
                    "conv=notrunc,sparse", "status=none"], check=True)


# --- builder VM -------------------------------------------------------------------

BUILDER_INIT = """#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run/cryptsetup /run/lock/lvm /run/mdadm /tmp /etc/lvm
for m in $(cat /etc/modules.list); do insmod /lib/modules/$m 2>/dev/null; done
echo BATON-BUILDER-READY
if sh -e /build.sh; then echo BATON-BUILD-OK; else echo "BATON-BUILD-FAIL rc=$?"; fi
sync
poweroff -f
"""


def builder_initrd():
    """The builder's base initramfs (cached); the per-fixture script goes in a second
    cpio appended to it (the kernel unpacks concatenated archives in order)."""
    k = kernel.ensure()
    mods = modules.resolve(BUILDER_MODULES)
    key = cache.hash_inputs("builder", 2, BUILDER_INIT, LVM_CONF, k["version"],
                            tool_versions(), [os.path.basename(m) for m in mods])
    final = os.path.join(cache.cache_dir("builder"), key)
    img = os.path.join(final, "initrd.img")
    if os.path.exists(img):
        return img
    with cache.locked(final):
        if not os.path.exists(img):
            _make_builder_initrd(final, mods)
    return img


def _make_builder_initrd(final, mods):
    entries = rootfs.busybox_entries()
    entries.update(rootfs.binary_entries(BUILDER_BINARIES))
    for d in ("proc", "sys", "dev", "run", "tmp"):
        entries[d] = cpio.Dir()
    names = []
    for m in mods:
        n = modules.image_name(m)
        entries[f"lib/modules/{n}"] = cpio.Data(modules.decompressed_bytes(m))
        names.append(n)
    entries["etc/modules.list"] = cpio.Data("\n".join(names) + "\n")
    entries["etc/lvm/lvm.conf"] = cpio.Data(LVM_CONF)
    entries["init"] = cpio.Data(BUILDER_INIT, 0o755)
    with cache.Building(final) as tmp:
        size = cpio.write(os.path.join(tmp, "initrd.img"), entries, compress="zstd")
        cache.log(f"builder initramfs: {size / 1e6:.1f} MB")


def run_builder(script, disks, files, log_path, timeout=600):
    """Boots the builder with `disks` (Disk objects, written in place) and /build.sh =
    `script` (+ `files`: image path -> bytes). Raises VMError unless BATON-BUILD-OK."""
    base = builder_initrd()
    with tempfile.TemporaryDirectory(prefix="baton-builder-") as d:
        initrd = os.path.join(d, "initrd.img")
        extra = {"build.sh": cpio.Data(script, 0o755)}
        extra.update({p: cpio.Data(b, 0o600) for p, b in files.items()})
        with open(initrd, "wb") as out, open(base, "rb") as f:
            shutil.copyfileobj(f, out)
            out.write(cpio.compress_bytes(cpio.archive(extra), "zstd"))
        k = kernel.ensure()
        with VM(k["vmlinuz"], initrd, disks=disks, append="quiet", qmp=False,
                timeout=timeout, console_log=log_path, name="builder") as vm:
            vm.wait_for(r"BATON-BUILD-(OK|FAIL.*)", timeout=timeout)
            m = vm.wait_for(r"BATON-BUILD-(OK|FAIL.*)", timeout=1, from_start=True)
            if m.group(1) != "OK":
                vm.dump()
                raise VMError(f"builder script failed: {m.group(0)}")
            vm.wait_exit(60)


PBKDF2_PBKDF = "--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
# argon2id at a fixed cost (no benchmark): 64 MiB, 4 passes (cryptsetup's minimum), 1 lane
ARGON2_PBKDF = ("--pbkdf argon2id --pbkdf-memory 65536 --pbkdf-parallel 1 "
                "--pbkdf-force-iterations 4")
LAPTOP_VG = "batonlap-vg"
LAPTOP_SWAP_LABEL = "batonlapswap"
# swap_1's UUID: busybox's mkswap (the builder's) has no -U, so the 16 bytes
# are written into the swap header (struct swap_header's sws_uuid, at offset
# 1036) after it; blkid reads them in this order.
LAPTOP_SWAP_UUID = "6f2c4b0e-1d3a-4e5f-9a7b-8c9d0e1f2a3b"


def swap_uuid_step(dev, uuid):
    """A builder shell line that sets the UUID of the swap area on DEV."""
    octal = "".join(f"\\{b:03o}" for b in uuidlib.UUID(uuid).bytes)
    return f"printf '{octal}' | dd of={dev} bs=1 seek=1036 count=16 conv=notrunc"


LUKS_FMT = f"cryptsetup luksFormat --batch-mode --type luks2 {PBKDF2_PBKDF}"
SH_PRELUDE = """set -x
wait_dev() { n=0; while [ ! -b "$1" ]; do n=$((n+1)); [ $n -gt 100 ] && return 1; sleep 0.1; done; }
# /dev node of the virtio disk whose serial is $1 (waits up to 10 s for it).
by_serial() {
  n=0
  while [ $n -lt 100 ]; do
    for f in /sys/block/vd*/serial; do
      [ -e "$f" ] && [ "$(cat "$f")" = "$1" ] && { d=${f%/serial}; wait_dev /dev/${d##*/}; echo /dev/${d##*/}; return 0; }
    done
    n=$((n+1)); sleep 0.1
  done
  return 1
}
"""
def _luks(dev, uuid, name, passphrase=True, keyfile=True, pbkdf=PBKDF2_PBKDF):
    """Shell lines: luksFormat `dev` (passphrase first slot, keyfile slot), open as name.
    pbkdf: the key slots' cost options."""
    fmt = f"cryptsetup luksFormat --batch-mode --type luks2 {pbkdf}"
    lines = []
    if passphrase:
        lines.append(f"printf %s '{PASSPHRASE}' | {fmt} --uuid {uuid} --key-file - {dev}")
        if keyfile:
            lines.append(f"printf %s '{PASSPHRASE}' | cryptsetup luksAddKey --batch-mode "
                         f"{pbkdf} --key-file - "
                         f"--new-keyfile-size {KEYFILE_SIZE} {dev} \"$KEY\"")
    else:
        lines.append(f"{fmt} --uuid {uuid} --key-file \"$KEY\" --keyfile-size {KEYFILE_SIZE} {dev}")
    lines.append(f"cryptsetup open --key-file \"$KEY\" --keyfile-size {KEYFILE_SIZE} {dev} {name}")
    return lines


def _md(devs, uuid):
    return [f"mdadm --create /dev/md0 --run --level=1 --raid-devices={len(devs)} "
            f"--metadata=1.2 --assume-clean --name=root --uuid={md_uuid_str(uuid)} "
            + " ".join(devs)]


def _lvm(pv, vg, lv):
    return [f"lvm pvcreate -ff -y {pv}", f"lvm vgcreate {vg} {pv}",
            f"lvm lvcreate -y -Zn -n {lv} -l 100%FREE {vg}", f"lvm vgmknodes {vg}"]


def vm_plan(name):
    """(number of disks, disk size MB, guest script lines to build the stack, final
    device, teardown lines, description extras) for the builder-made fixtures.
    In the script, $D0, $D1 are the fixture's disks, $KEY its key file."""
    d = {}
    u = lambda role: fixed_uuid(name, role)
    if name == "raid1":
        body = _md(["$D0", "$D1"], u("md"))
        top, down = "/dev/md0", ["mdadm --stop /dev/md0"]
        d.update(md_uuid=u("md"), md_device="/dev/md0")
        return 2, 64, body, top, down, d
    if name in ("luks-keyfile", "luks-pass"):
        body = _luks("$D0", u("luks"), "root", passphrase=(name == "luks-pass"),
                     keyfile=(name == "luks-pass"))
        d.update(luks_uuids=[u("luks")], luks_name="root")
        if name == "luks-pass":
            d.update(passphrase=PASSPHRASE)
        return 1, 64, body, "/dev/mapper/root", ["cryptsetup close root"], d
    if name == "luks-argon2":
        # passphrase slot 0, key file slot 1, both argon2id; the dump shows the cost
        body = _luks("$D0", u("luks"), "root", pbkdf=ARGON2_PBKDF)
        body.append("cryptsetup luksDump $D0 | grep -E 'PBKDF|Memory|Time cost|Threads|Cipher:'")
        d.update(luks_uuids=[u("luks")], luks_name="root", passphrase=PASSPHRASE)
        return 1, 64, body, "/dev/mapper/root", ["cryptsetup close root"], d
    if name == "lvm":
        body = _lvm("$D0", "vgbaton", "root")
        d.update(vg="vgbaton", lv="root")
        return 1, 64, body, "/dev/vgbaton/root", ["lvm vgchange -an vgbaton"], d
    if name == "lvm-striped":
        # one LV striped over two PVs (64 KiB chunks): each PV alone is not enough
        body = ["lvm pvcreate -ff -y $D0 $D1", "lvm vgcreate -s 1M vgstripe $D0 $D1",
                "lvm lvcreate -y -Zn -i 2 -I 64k -n root -l 100%FREE vgstripe",
                "lvm vgmknodes vgstripe"]
        d.update(vg="vgstripe", lv="root")
        return 2, 48, body, "/dev/vgstripe/root", ["lvm vgchange -an vgstripe"], d
    if name == "raid-luks-lvm":
        body = _md(["$D0", "$D1"], u("md"))
        body += _luks("/dev/md0", u("luks"), "stack")
        body += _lvm("/dev/mapper/stack", "vgstack", "root")
        down = ["lvm vgchange -an vgstack", "cryptsetup close stack", "mdadm --stop /dev/md0"]
        d.update(md_uuid=u("md"), md_device="/dev/md0", luks_uuids=[u("luks")],
                 luks_name="stack", passphrase=PASSPHRASE, vg="vgstack", lv="root")
        return 2, 96, body, "/dev/vgstack/root", down, d
    if name == "luks2x-raid-lvm":
        body = _luks("$D0", u("luks0"), "crypt0") + _luks("$D1", u("luks1"), "crypt1")
        body += _md(["/dev/mapper/crypt0", "/dev/mapper/crypt1"], u("md"))
        body += _lvm("/dev/md0", "vgcross", "root")
        down = ["lvm vgchange -an vgcross", "mdadm --stop /dev/md0", "cryptsetup close crypt0",
                "cryptsetup close crypt1"]
        d.update(md_uuid=u("md"), md_device="/dev/md0", luks_uuids=[u("luks0"), u("luks1")],
                 luks_names=["crypt0", "crypt1"], passphrase=PASSPHRASE, vg="vgcross", lv="root")
        return 2, 96, body, "/dev/vgcross/root", down, d
    if name == "luks-lvm-swap":
        vg = LAPTOP_VG
        body = _luks("$D0", u("luks"), "lapcrypt")
        body += ["lvm pvcreate -ff -y /dev/mapper/lapcrypt",
                 f"lvm vgcreate {vg} /dev/mapper/lapcrypt",
                 f"lvm lvcreate -y -Zn -n root -L 36M {vg}",
                 f"lvm lvcreate -y -Zn -n swap_1 -l 100%FREE {vg}", f"lvm vgmknodes {vg}",
                 f"wait_dev /dev/{vg}/swap_1", f"mkswap -L {LAPTOP_SWAP_LABEL} /dev/{vg}/swap_1",
                 swap_uuid_step(f"/dev/{vg}/swap_1", LAPTOP_SWAP_UUID)]
        down = [f"lvm vgchange -an {vg}", "cryptsetup close lapcrypt"]
        d.update(luks_uuids=[u("luks")], luks_name="lapcrypt", passphrase=PASSPHRASE, vg=vg,
                 lv="root", swap_lv="swap_1", swap_label=LAPTOP_SWAP_LABEL,
                 swap_uuid=LAPTOP_SWAP_UUID,
                 root_dm=dm_name(vg, "root"), swap_dm=dm_name(vg, "swap_1"))
        return 1, 320, body, f"/dev/{vg}/root", down, d
    raise KeyError(f"unknown fixture {name!r}; known: {', '.join(NAMES)}")


def dm_name(vg, lv):
    """The device-mapper name LVM gives VG/LV ('-' doubled in each, joined by '-')."""
    return vg.replace("-", "--") + "-" + lv.replace("-", "--")


def disk_serial(name, i):
    return f"{name}-{i}"[:20]


def fs_serial(name):
    return f"fs-{name}"[:20]


def _guest_script(name, ndisks, body, top, down):
    """The builder section for one fixture: finds its disks by serial (so several
    fixtures can share one builder boot), builds the stack, copies the ext4 image."""
    lines = [SH_PRELUDE, f"KEY=/key-{name}"]
    lines += [f"D{i}=$(by_serial {disk_serial(name, i)})" for i in range(ndisks)]
    lines += [f"FS=$(by_serial {fs_serial(name)})"]
    lines += body
    lines += [f"wait_dev {top}", f"dd if=$FS of={top} bs=1M conv=fsync 2>&1",
              "sync"] + down
    return "\n".join(lines) + "\n"


USR_INIT = """if grep -q ' /usr ' /proc/mounts; then echo "BATON-USR-MOUNTED yes"; else echo "BATON-USR-MOUNTED no"; fi
[ -e /usr/share/baton/usr-marker ] && echo "BATON-USR-CONTENT $(cat /usr/share/baton/usr-marker)"
"""


def _derive(desc):
    """Fields computed on load (not stored, so adding one needs no rebuild)."""
    if "md_uuid" in desc:
        desc["md_uuid_mdadm"] = md_uuid_str(desc["md_uuid"])  # mdadm's a:b:c:d form
    return desc


class _Job:
    """One fixture to build: its inputs, cache path, and (while building) temp dir."""

    def __init__(self, name, root, extra_init, root_size_mb):
        if name not in NAMES:
            raise KeyError(f"unknown fixture {name!r}; known: {', '.join(NAMES)}")
        if root is None:
            extra = extra_init if extra_init is not None else rootfs.DEFAULT_EXTRA
            if name == "usr-split":
                extra += "\n" + USR_INIT
            root = rootfs.real_root(extra_init=extra)
            if name == "usr-split":
                root["etc/fstab"] = cpio.Data(f"LABEL={USR_LABEL} /usr ext4 defaults 0 2\n")
        self.name, self.root, self.root_size_mb = name, root, root_size_mb
        self.root_uuid = fixed_uuid(name, "rootfs")
        self.desc = {"name": name, "root_uuid": self.root_uuid, "root_label": ROOT_LABEL,
                     "cmdline": f"root=LABEL={ROOT_LABEL}", "keyfile_size": KEYFILE_SIZE}
        self.plan = None if name in ("plain", "usr-split") else vm_plan(name)
        self.script = _guest_script(name, self.plan[0], *self.plan[2:5]) if self.plan else ""
        key = cache.hash_inputs(FORMAT, name, root_size_mb, rootfs.content_hash(root),
                                self.script, kernel.ensure()["version"] if self.plan else "",
                                tool_versions())
        self.final = os.path.join(cache.cache_dir("fixtures"), f"{name}-{key}")
        self.desc_path = os.path.join(self.final, "description.json")

    def cached(self):
        if os.path.exists(self.desc_path):
            with open(self.desc_path) as f:
                return _derive(json.load(f))
        return None

    def prepare(self, tmp):
        """Host part: the ext4 image, the whole disks for plain/usr-split, blank disks
        and key file for the builder ones. Returns the builder's Disk list ([] if none)."""
        self.tmp, self.t0 = tmp, time.monotonic()
        name, desc = self.name, self.desc
        fs = os.path.join(tmp, "rootfs.ext4")
        make_ext4(fs, self.root_size_mb, self.root, self.root_uuid, ROOT_LABEL)
        self.disks = []
        if name == "plain":
            partuuid, disk = fixed_uuid(name, "part"), os.path.join(tmp, "disk0.img")
            make_gpt_disk(disk, 64, fs, partuuid, "root", fixed_uuid(name, "disk"))
            os.unlink(fs)
            self.disks = [disk]
            desc.update(partuuid=partuuid, partlabel="root", root_device="/dev/vda1")
            self.prep_seconds = time.monotonic() - self.t0
            return []
        if name == "usr-split":
            disk0, disk1 = os.path.join(tmp, "disk0.img"), os.path.join(tmp, "disk1.img")
            os.rename(fs, disk0)
            usr_content = {k[4:]: v for k, v in rootfs.busybox_entries().items()
                           if k.startswith("usr/")}
            usr_content["share/baton/usr-marker"] = cpio.Data(b"usr-ok\n")
            usr_uuid = fixed_uuid(name, "usrfs")
            make_ext4(disk1, 16, usr_content, usr_uuid, USR_LABEL)
            self.disks = [disk0, disk1]
            desc.update(usr_uuid=usr_uuid, usr_label=USR_LABEL, root_device="/dev/vda",
                        usr_device="/dev/vdb")
            self.prep_seconds = time.monotonic() - self.t0
            return []
        ndisks, size_mb, body, top, down, extra_desc = self.plan
        desc.update(extra_desc, root_device=top)
        for i in range(ndisks):
            p = os.path.join(tmp, f"disk{i}.img")
            with open(p, "wb") as f:
                f.truncate(size_mb << 20)
            self.disks.append(p)
        with open(os.path.join(tmp, "keyfile"), "wb") as f:
            f.write(keyfile_bytes(name))
        if "luks_uuids" in desc:
            desc["keyfile"] = os.path.join(self.final, "keyfile")
        self.prep_seconds = time.monotonic() - self.t0
        return ([Disk(p, serial=disk_serial(name, i), snapshot=False)
                 for i, p in enumerate(self.disks)]
                + [Disk(fs, serial=fs_serial(name), snapshot=False, readonly=True)])

    def finish(self, shared_seconds=0.0):
        fs = os.path.join(self.tmp, "rootfs.ext4")
        if os.path.exists(fs):
            os.unlink(fs)
        self.desc["disks"] = [{"path": os.path.join(self.final, os.path.basename(p)),
                               "serial": disk_serial(self.name, i)}
                              for i, p in enumerate(self.disks)]
        self.desc["dir"] = self.final
        self.desc["build_seconds"] = round(self.prep_seconds + shared_seconds, 2)
        with open(os.path.join(self.tmp, "description.json"), "w") as f:
            json.dump(self.desc, f, indent=2, sort_keys=True)


def build_many(names, root=None, extra_init=None, root_size_mb=32, force=False):
    """Builds every missing fixture of `names`, all builder-made ones in ONE builder
    boot (their disks found by serial); returns {name: description}."""
    jobs = [_Job(n, root, extra_init, root_size_mb) for n in dict.fromkeys(names)]
    out = {}
    todo = []
    for j in jobs:
        d = None if force else j.cached()
        if d:
            out[j.name] = d
        else:
            todo.append(j)
    if not todo:
        return out
    with contextlib.ExitStack() as stack:
        for j in sorted(todo, key=lambda j: j.final):  # fixed order: no lock cycles
            stack.enter_context(cache.locked(j.final))
        todo = [j for j in todo if force or not j.cached()]
        out.update({j.name: j.cached() for j in jobs if j.name not in out and j.cached()})
        if not todo:
            return out
        builds = [(j, stack.enter_context(cache.Building(j.final))) for j in todo]
        vm_disks, sections, files = [], [], {}
        for j, tmp in builds:
            cache.log(f"building fixture {j.name} -> {j.final}")
            dl = j.prepare(tmp)
            if dl:
                vm_disks += dl
                sections.append(j)
                files[f"build-{j.name}.sh"] = j.script.encode()
                files[f"key-{j.name}"] = keyfile_bytes(j.name)
        t_vm = time.monotonic()
        if sections:
            driver = "\n".join(
                f"if sh -e /build-{j.name}.sh; then echo 'BATON-FIXTURE-OK {j.name}'; "
                f"else echo 'BATON-FIXTURE-FAIL {j.name}'; exit 1; fi" for j in sections)
            log = os.path.join(sections[0].tmp, "build.log")
            run_builder(driver + "\n", vm_disks, files, log)
            for j in sections[1:]:
                shutil.copyfile(log, os.path.join(j.tmp, "build.log"))
        shared = time.monotonic() - t_vm
        if sections:
            cache.log(f"builder VM for {len(sections)} fixture(s): {shared:.1f} s")
        for j, _ in builds:
            # A builder boot is shared: each fixture reports its host-side time plus
            # the whole builder boot.
            j.finish(shared if j in sections else 0.0)
            out[j.name] = _derive(dict(j.desc))
    for j in todo:
        cache.log(f"fixture {j.name} built in {j.desc['build_seconds']} s")
    return out


def build(name, root=None, extra_init=None, root_size_mb=32, force=False):
    """Builds fixture `name` if its inputs changed; returns the description dict.

    root: content dict or host dir for the root filesystem (default rootfs.real_root());
    extra_init: shell lines for the default /sbin/init (ignored when root is given)."""
    return build_many([name], root, extra_init, root_size_mb, force)[name]


def disks(fx):
    """vm.Disk objects for a fixture description (snapshot=on, the fixture's serials)."""
    return [Disk(d["path"], serial=d["serial"]) for d in fx["disks"]]


def prune(keep_dirs):
    """Deletes fixture folders in the cache other than `keep_dirs` (old inputs)."""
    base = cache.cache_dir("fixtures")
    keep = {os.path.abspath(d) for d in keep_dirs}
    for n in os.listdir(base):
        p = os.path.join(base, n)
        if os.path.isdir(p) and not n.startswith(".") and p not in keep:
            cache.log(f"prune {p}")
            shutil.rmtree(p, ignore_errors=True)
            try:
                os.unlink(p + ".lock")
            except OSError:
                pass


def main(argv):
    as_json = "--json" in argv
    names = [a for a in argv if not a.startswith("--")] or NAMES
    if names == ["all"]:
        names = NAMES
    out = {}
    out = build_many(names, force="--force" in argv)
    if "--prune" in argv:
        prune([d["dir"] for d in out.values()])
    for n in names:
        if not as_json:
            print(f"{n}: {out[n]['dir']} (built in {out[n]['build_seconds']} s)")
    if as_json:
        json.dump(out, sys.stdout, indent=2, sort_keys=True)
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
