"""The busybox "floor" initramfs (notes/baseline.md): the fastest hand-written boot, the
figure baton is measured against, and an end-to-end check of the fixtures.

    from tests.qemu import floor, fixtures
    fx = fixtures.build("raid-luks-lvm")
    img = floor.build("raid-luks-lvm", fx)      # {"initrd", "size", "append", "modules"}

Scenarios (one per fixture name; the baseline ones are plain and raid-luks-lvm):
  plain          insmod virtio + ext4 modules, wait for /dev/vda1, mount, switch_root.
  raid-luks-lvm  + md/dm modules; mdadm --assemble /dev/md0 /dev/vda /dev/vdb; cryptsetup
                 open with the fixture's key file baked in; lvm vgchange -ay; mount.
  raid1, luks-keyfile, lvm, luks2x-raid-lvm, usr-split: the same idea for the others;
  luks-pass: cryptsetup prompts on the console and boot() types the passphrase.
  raid1-degraded: the raid1 fixture with one disk, `mdadm --assemble --run`: the real
                 root reports BATON-MD-DEGRADED /sys/block/md0/md/degraded 1.
The /init loads exactly the needed modules in order (insmod; crc32c_intel is left out:
the TCG CPU lacks SSE4.2), uses fixed device names, no udev, no sleeps beyond polling
for the device node, then `switch_root /root /sbin/init`.

Cached in $BATON_CACHE/floor/<hash>/initrd.img (hash of the init script, the modules,
tool versions, the key file).

CLI: python3 -m tests.qemu.floor SCENARIO [--boot]    (tools/qemu-floor)
"""

import os
import sys
import time

from . import cache, cpio, fixtures, kernel, modules, rootfs

MDADM, CRYPTSETUP, LVM = "/usr/sbin/mdadm", "/usr/sbin/cryptsetup", "/usr/sbin/lvm"
MD_MODS = ["md_mod", "raid1"]
DM_MODS = ["dm_mod"]
CRYPT_MODS = ["dm_mod", "dm_crypt", "xts", "ecb", "algif_skcipher"]
KEY = "--key-file /etc/keyfile --keyfile-size 64"

# Scenario names are fixture names (else "fixture" names it, "ndisks" limits the
# disks attached). "steps" run after the modules are loaded and must
# leave the root mounted on /root.
SCENARIOS = {
    "plain": {
        "modules": modules.STORAGE,
        "binaries": [],
        "steps": ["wait_dev /dev/vda1", "mount -t ext4 /dev/vda1 /root"],
    },
    "raid1": {
        "modules": modules.STORAGE + MD_MODS,
        "binaries": [MDADM],
        "steps": ["wait_dev /dev/vda", "wait_dev /dev/vdb",
                  "mdadm --assemble /dev/md0 /dev/vda /dev/vdb",
                  "mount -t ext4 /dev/md0 /root"],
    },
    "luks-keyfile": {
        "modules": modules.STORAGE + CRYPT_MODS,
        "binaries": [CRYPTSETUP],
        "steps": ["wait_dev /dev/vda", f"cryptsetup open {KEY} /dev/vda root",
                  "mount -t ext4 /dev/mapper/root /root"],
    },
    "luks-pass": {  # the passphrase is typed on the console (boot() sends it)
        "modules": modules.STORAGE + CRYPT_MODS,
        "binaries": [CRYPTSETUP],
        "steps": ["wait_dev /dev/vda", "cryptsetup open /dev/vda root",
                  "mount -t ext4 /dev/mapper/root /root"],
    },
    "lvm": {
        "modules": modules.STORAGE + DM_MODS,
        "binaries": [LVM],
        "steps": ["wait_dev /dev/vda", "lvm vgchange -ay vgbaton", "lvm vgmknodes vgbaton",
                  "mount -t ext4 /dev/vgbaton/root /root"],
    },
    "raid-luks-lvm": {
        "modules": modules.STORAGE + MD_MODS + CRYPT_MODS,
        "binaries": [MDADM, CRYPTSETUP, LVM],
        "steps": [
            "wait_dev /dev/vda", "wait_dev /dev/vdb",
            "mdadm --assemble /dev/md0 /dev/vda /dev/vdb",
            f"cryptsetup open {KEY} /dev/md0 stack",
            "lvm vgchange -ay vgstack",
            "lvm vgmknodes vgstack",
            "mount -t ext4 /dev/vgstack/root /root",
        ],
    },
    "luks2x-raid-lvm": {
        "modules": modules.STORAGE + MD_MODS + CRYPT_MODS,
        "binaries": [MDADM, CRYPTSETUP, LVM],
        "steps": [
            "wait_dev /dev/vda", "wait_dev /dev/vdb",
            f"cryptsetup open {KEY} /dev/vda crypt0",
            f"cryptsetup open {KEY} /dev/vdb crypt1",
            "mdadm --assemble /dev/md0 /dev/mapper/crypt0 /dev/mapper/crypt1",
            "lvm vgchange -ay vgcross",
            "lvm vgmknodes vgcross",
            "mount -t ext4 /dev/vgcross/root /root",
        ],
    },
    "raid1-degraded": {  # the raid1 fixture booted with its first disk only
        "fixture": "raid1",
        "ndisks": 1,
        "modules": modules.STORAGE + MD_MODS,
        "binaries": [MDADM],
        "steps": ["wait_dev /dev/vda", "mdadm --assemble --run /dev/md0 /dev/vda",
                  "mount -t ext4 /dev/md0 /root"],
    },
    "usr-split": {
        "modules": modules.STORAGE,
        "binaries": [],
        "steps": ["wait_dev /dev/vda", "wait_dev /dev/vdb", "mount -t ext4 /dev/vda /root",
                  "mount -t ext4 /dev/vdb /root/usr"],
    },
}

# Left out of every floor image: cannot load on the TCG CPU, crc32c_generic serves.
SKIP_MODULES = {"crc32c_intel"}

INIT = """#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
wait_dev() { while [ ! -b "$1" ]; do usleep 20000; done; }
read up rest < /proc/uptime; echo "FLOOR-INIT uptime=$up"
{insmods}
{steps}
read up rest < /proc/uptime; echo "FLOOR-SWITCH uptime=$up"
mount --move /dev /root/dev
mount --move /sys /root/sys
mount --move /proc /root/proc
exec switch_root /root /sbin/init
"""


def init_script(scenario):
    sc = SCENARIOS[scenario]
    names = [n for n in modules.resolve_names(sc["modules"]) if n not in SKIP_MODULES]
    idx = modules.default_index()
    files = [modules.image_name(idx.path[n]) for n in names]
    insmods = "\n".join(f"insmod /lib/modules/{f}" for f in files)
    return INIT.replace("{insmods}", insmods).replace("{steps}", "\n".join(sc["steps"])), names


def fixture_name(scenario):
    """The fixture a floor scenario boots."""
    return SCENARIOS[scenario].get("fixture", scenario)


def build(scenario, fixture=None, compress="zstd"):
    """Builds (or finds in the cache) the floor image; returns its description."""
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown floor scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    sc = SCENARIOS[scenario]
    script, names = init_script(scenario)
    key_bytes = b""
    if fixture and fixture.get("keyfile"):
        with open(fixture["keyfile"], "rb") as f:
            key_bytes = f.read()
    k = kernel.ensure()
    key = cache.hash_inputs("floor", 1, scenario, script, names, k["version"], compress,
                            fixtures.tool_versions(), key_bytes, fixtures.LVM_CONF)
    final = os.path.join(cache.cache_dir("floor"), f"{scenario}-{key}")
    img = os.path.join(final, "initrd.img")
    if not os.path.exists(img):
        with cache.locked(final):
            if not os.path.exists(img):
                _make(final, sc, names, script, key_bytes, compress, scenario)
    return {"scenario": scenario, "initrd": img, "size": os.path.getsize(img),
            "modules": names, "append": "quiet", "kernel": k["vmlinuz"]}


def _make(final, sc, names, script, key_bytes, compress, scenario):
    """Writes the floor image into `final` (called with the cache lock held)."""
    idx = modules.default_index()
    entries = rootfs.busybox_entries()
    entries.update(rootfs.binary_entries(sc["binaries"]))
    for d in ("proc", "sys", "dev", "run/cryptsetup", "run/lock", "root", "tmp"):
        entries[d] = cpio.Dir()
    for n in names:
        p = os.path.join(idx.dir, idx.path[n])
        entries[f"lib/modules/{modules.image_name(p)}"] = cpio.Data(
            modules.decompressed_bytes(p))
    if LVM in sc["binaries"]:
        entries["etc/lvm/lvm.conf"] = cpio.Data(fixtures.LVM_CONF)
    if key_bytes:
        entries["etc/keyfile"] = cpio.Data(key_bytes, 0o600)
    entries["init"] = cpio.Data(script, 0o755)
    with cache.Building(final) as tmp:
        size = cpio.write(os.path.join(tmp, "initrd.img"), entries, compress=compress)
        cache.log(f"floor {scenario}: {size / 1e6:.2f} MB ({compress})")


def boot(scenario, fixture=None, timeout=180, **vm_kw):
    """Builds the fixture and the floor image, boots them, returns (uptime at the real
    root's marker in seconds, console text). Raises VMError on failure."""
    from .vm import VM
    sc = SCENARIOS[scenario]
    fx = fixture or fixtures.build(fixture_name(scenario))
    img = build(scenario, fx)
    with VM(img["kernel"], img["initrd"], disks=fixtures.disks(fx)[:sc.get("ndisks")],
            append=img["append"], timeout=timeout, name=f"floor-{scenario}", **vm_kw) as vm:
        if scenario == "luks-pass":
            vm.wait_for(r"Enter passphrase for", timeout=timeout, partial=True)
            # cryptsetup prints the prompt *before* tcsetattr(TCSAFLUSH) turns echo off,
            # which drops input typed too early: give it a moment.
            time.sleep(1.5)
            vm.send(fx["passphrase"] + "\n")
        m = vm.wait_for(r"BATON-ROOT-INIT uptime=([0-9.]+)", timeout=timeout)
        vm.wait_for(r"BATON-ROOT-DONE", timeout=30)
        vm.wait_exit(30)
        return float(m.group(1)), vm.output


if __name__ == "__main__":
    sc = sys.argv[1] if len(sys.argv) > 1 else "plain"
    if "--boot" in sys.argv:
        up, out = boot(sc)
        print(out)
        print(f"{sc}: BATON-ROOT-INIT at uptime {up:.2f} s")
    else:
        print(build(sc, fixtures.build(fixture_name(sc))))
