"""Fixture disk images, built once into the cache (a builder VM where the host can't).

    from tests.qemu import fixtures
    fx = fixtures.build("raid-luks-lvm")          # description dict, see below
    fx = fixtures.build("plain", root=my_dict_or_host_dir)   # own real-root content
    fx = fixtures.build("raid1", extra_init="cat /proc/mdstat")

CLI:  python3 -m tests.qemu.fixtures [--json] NAME...   (or `all`)
      tools/qemu-fixtures NAME...

Names (the API): plain, raid1, luks-keyfile, luks-pass, lvm, raid-luks-lvm,
luks2x-raid-lvm, usr-split.

Every fixture's root filesystem is ext4 LABEL=batonroot with a fixed UUID, holding the
small real root of rootfs.real_root(): /sbin/init prints
`BATON-ROOT-INIT uptime=<s>`, the cmdline, the root mount, /proc/mdstat and
`BATON-MD-DEGRADED <sysfs file> <n>` lines, then `BATON-ROOT-DONE`, then `poweroff -f`.

The ext4 images are made on the host (mkfs.ext4 -d, fixed -U/-L). Plain and usr-split are
made on the host entirely (GPT with sgdisk, fs dd'd in at 1 MiB). The others need md/dm,
which the host kernel lacks: a builder VM (busybox + mdadm + cryptsetup + lvm + modules)
boots with the blank disks and the ext4 image attached, runs a generated script that
creates the stack and copies the ext4 image onto its top with dd, then `poweroff -f`.
LUKS uses pbkdf2 with 1000 iterations (fast unlock under TCG).

Cache: $BATON_CACHE/fixtures/<name>-<hash>/ where the hash covers the guest script,
the parameters, the root content, the kernel and the tool package versions. The
description (also description.json there):
  name, dir, disks: [{path, serial}], root_uuid, root_label ("batonroot"),
  cmdline ("root=LABEL=batonroot" ...), and as they apply: partuuid, partlabel,
  md_uuid, md_device, luks_uuids, luks_name(s), passphrase, keyfile, keyfile_size, vg, lv,
  root_device (the device path inside the guest), usr_uuid, usr_label,
  build_seconds (time the build took when it was made).
"""

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

FORMAT = 4  # bump when host-side building changes in a way the hash does not see
PASSPHRASE = "baton-test-passphrase"
KEYFILE_SIZE = 64
ROOT_LABEL = "batonroot"
USR_LABEL = "batonusr"
NAMES = ["plain", "raid1", "luks-keyfile", "luks-pass", "lvm", "raid-luks-lvm",
         "luks2x-raid-lvm", "usr-split"]
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


LUKS_FMT = ("cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 "
            "--pbkdf-force-iterations 1000")
SH_PRELUDE = """set -x
wait_dev() { n=0; while [ ! -b "$1" ]; do n=$((n+1)); [ $n -gt 100 ] && return 1; sleep 0.1; done; }
"""


def _luks(dev, uuid, name, passphrase=True, keyfile=True):
    """Shell lines: luksFormat `dev` (passphrase first slot, keyfile slot), open as name."""
    lines = []
    if passphrase:
        lines.append(f"printf %s '{PASSPHRASE}' | {LUKS_FMT} --uuid {uuid} --key-file - {dev}")
        if keyfile:
            lines.append(f"printf %s '{PASSPHRASE}' | cryptsetup luksAddKey --batch-mode "
                         f"--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "
                         f"--new-keyfile-size {KEYFILE_SIZE} {dev} /key")
    else:
        lines.append(f"{LUKS_FMT} --uuid {uuid} --key-file /key --keyfile-size {KEYFILE_SIZE} {dev}")
    lines.append(f"cryptsetup open --key-file /key --keyfile-size {KEYFILE_SIZE} {dev} {name}")
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
    device, teardown lines, description extras) for the builder-made fixtures."""
    d = {}
    u = lambda role: fixed_uuid(name, role)
    if name == "raid1":
        body = _md(["/dev/vda", "/dev/vdb"], u("md"))
        top, down = "/dev/md0", ["mdadm --stop /dev/md0"]
        d.update(md_uuid=u("md"), md_device="/dev/md0")
        return 2, 64, body, top, down, d
    if name in ("luks-keyfile", "luks-pass"):
        body = _luks("/dev/vda", u("luks"), "root", passphrase=(name == "luks-pass"),
                     keyfile=(name == "luks-pass"))
        d.update(luks_uuids=[u("luks")], luks_name="root")
        if name == "luks-pass":
            d.update(passphrase=PASSPHRASE)
        return 1, 64, body, "/dev/mapper/root", ["cryptsetup close root"], d
    if name == "lvm":
        body = _lvm("/dev/vda", "vgbaton", "root")
        d.update(vg="vgbaton", lv="root")
        return 1, 64, body, "/dev/vgbaton/root", ["lvm vgchange -an vgbaton"], d
    if name == "raid-luks-lvm":
        body = _md(["/dev/vda", "/dev/vdb"], u("md"))
        body += _luks("/dev/md0", u("luks"), "stack")
        body += _lvm("/dev/mapper/stack", "vgstack", "root")
        down = ["lvm vgchange -an vgstack", "cryptsetup close stack", "mdadm --stop /dev/md0"]
        d.update(md_uuid=u("md"), md_device="/dev/md0", luks_uuids=[u("luks")],
                 luks_name="stack", passphrase=PASSPHRASE, vg="vgstack", lv="root")
        return 2, 96, body, "/dev/vgstack/root", down, d
    if name == "luks2x-raid-lvm":
        body = _luks("/dev/vda", u("luks0"), "crypt0") + _luks("/dev/vdb", u("luks1"), "crypt1")
        body += _md(["/dev/mapper/crypt0", "/dev/mapper/crypt1"], u("md"))
        body += _lvm("/dev/md0", "vgcross", "root")
        down = ["lvm vgchange -an vgcross", "mdadm --stop /dev/md0", "cryptsetup close crypt0",
                "cryptsetup close crypt1"]
        d.update(md_uuid=u("md"), md_device="/dev/md0", luks_uuids=[u("luks0"), u("luks1")],
                 luks_names=["crypt0", "crypt1"], passphrase=PASSPHRASE, vg="vgcross", lv="root")
        return 2, 96, body, "/dev/vgcross/root", down, d
    raise KeyError(f"unknown fixture {name!r}; known: {', '.join(NAMES)}")


def _guest_script(name, ndisks, body, top, down):
    lines = [SH_PRELUDE]
    lines += [f"wait_dev /dev/vd{chr(ord('a') + i)}" for i in range(ndisks + 1)]
    fs_dev = f"/dev/vd{chr(ord('a') + ndisks)}"
    lines += body
    lines += [f"wait_dev {top}", f"dd if={fs_dev} of={top} bs=1M conv=fsync 2>&1",
              "sync"] + down
    return "\n".join(lines) + "\n"


USR_INIT = """if grep -q ' /usr ' /proc/mounts; then echo "BATON-USR-MOUNTED yes"; else echo "BATON-USR-MOUNTED no"; fi
[ -e /usr/share/baton/usr-marker ] && echo "BATON-USR-CONTENT $(cat /usr/share/baton/usr-marker)"
"""


def build(name, root=None, extra_init=None, root_size_mb=32, force=False):
    """Builds fixture `name` if its inputs changed; returns the description dict.

    root: content dict or host dir for the root filesystem (default rootfs.real_root());
    extra_init: shell lines for the default /sbin/init (ignored when root is given)."""
    if name not in NAMES:
        raise KeyError(f"unknown fixture {name!r}; known: {', '.join(NAMES)}")
    if root is None:
        extra = extra_init if extra_init is not None else rootfs.DEFAULT_EXTRA
        if name == "usr-split":
            extra += "\n" + USR_INIT
        root = rootfs.real_root(extra_init=extra)
        if name == "usr-split":
            root["etc/fstab"] = cpio.Data(f"LABEL={USR_LABEL} /usr ext4 defaults 0 2\n")
    root_uuid = fixed_uuid(name, "rootfs")
    desc = {"name": name, "root_uuid": root_uuid, "root_label": ROOT_LABEL,
            "cmdline": f"root=LABEL={ROOT_LABEL}", "keyfile_size": KEYFILE_SIZE}
    plan = None if name in ("plain", "usr-split") else vm_plan(name)
    script = _guest_script(name, *plan[:1], *plan[2:5]) if plan else ""
    key = cache.hash_inputs(FORMAT, name, root_size_mb, rootfs.content_hash(root), script,
                            kernel.ensure()["version"] if plan else "", tool_versions())
    final = os.path.join(cache.cache_dir("fixtures"), f"{name}-{key}")
    desc_path = os.path.join(final, "description.json")
    if os.path.exists(desc_path) and not force:
        with open(desc_path) as f:
            return json.load(f)
    with cache.locked(final):
        if os.path.exists(desc_path) and not force:
            with open(desc_path) as f:
                return json.load(f)
        return _build_locked(name, root, root_size_mb, root_uuid, desc, plan, script, final)


def _build_locked(name, root, root_size_mb, root_uuid, desc, plan, script, final):
    t0 = time.monotonic()
    cache.log(f"building fixture {name} -> {final}")
    with cache.Building(final) as tmp:
        fs = os.path.join(tmp, "rootfs.ext4")
        make_ext4(fs, root_size_mb, root, root_uuid, ROOT_LABEL)
        disks = []
        if name == "plain":
            partuuid, disk = fixed_uuid(name, "part"), os.path.join(tmp, "disk0.img")
            make_gpt_disk(disk, 64, fs, partuuid, "root", fixed_uuid(name, "disk"))
            disks = [disk]
            desc.update(partuuid=partuuid, partlabel="root", root_device="/dev/vda1")
        elif name == "usr-split":
            disk0, disk1 = os.path.join(tmp, "disk0.img"), os.path.join(tmp, "disk1.img")
            os.rename(fs, disk0)
            usr_content = {k[4:]: v for k, v in rootfs.busybox_entries().items()
                           if k.startswith("usr/")}
            usr_content["share/baton/usr-marker"] = cpio.Data(b"usr-ok\n")
            usr_uuid = fixed_uuid(name, "usrfs")
            make_ext4(disk1, 16, usr_content, usr_uuid, USR_LABEL)
            disks = [disk0, disk1]
            desc.update(usr_uuid=usr_uuid, usr_label=USR_LABEL, root_device="/dev/vda",
                        usr_device="/dev/vdb")
        else:
            ndisks, size_mb, body, top, down, extra_desc = plan
            desc.update(extra_desc, root_device=top)
            for i in range(ndisks):
                p = os.path.join(tmp, f"disk{i}.img")
                with open(p, "wb") as f:
                    f.truncate(size_mb << 20)
                disks.append(p)
            keyfile = os.path.join(tmp, "keyfile")
            with open(keyfile, "wb") as f:
                f.write(keyfile_bytes(name))
            run_builder(script,
                        [Disk(p, serial=f"{name}-{i}"[:20], snapshot=False)
                         for i, p in enumerate(disks)] + [Disk(fs, serial="fs", snapshot=False,
                                                               readonly=True)],
                        {"key": keyfile_bytes(name)}, os.path.join(tmp, "build.log"))
            if "luks_uuids" in desc:
                desc["keyfile"] = os.path.join(final, "keyfile")
            os.unlink(fs)
        desc["disks"] = [{"path": os.path.join(final, os.path.basename(p)),
                          "serial": f"{name}-{i}"[:20]} for i, p in enumerate(disks)]
        desc["dir"] = final
        desc["build_seconds"] = round(time.monotonic() - t0, 2)
        with open(os.path.join(tmp, "description.json"), "w") as f:
            json.dump(desc, f, indent=2, sort_keys=True)
    cache.log(f"fixture {name} built in {desc['build_seconds']} s")
    return desc


def disks(fx):
    """vm.Disk objects for a fixture description (snapshot=on, the fixture's serials)."""
    return [Disk(d["path"], serial=d["serial"]) for d in fx["disks"]]


def main(argv):
    as_json = "--json" in argv
    names = [a for a in argv if not a.startswith("--")] or NAMES
    if names == ["all"]:
        names = NAMES
    out = {}
    for n in names:
        out[n] = build(n, force="--force" in argv)
        if not as_json:
            print(f"{n}: {out[n]['dir']} (built in {out[n]['build_seconds']} s)")
    if as_json:
        json.dump(out, sys.stdout, indent=2, sort_keys=True)
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
