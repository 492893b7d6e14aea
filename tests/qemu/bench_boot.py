"""`tools/bench boot`: baton's initramfs vs the busybox floor vs Debian's dracut, booted
alternately (A B C A B C …) on the same fixtures in one run.

    python3 -m tests.qemu.bench_boot [--rounds N] [--no-dracut] [--only plain|raid-luks-lvm]

Scenarios: `plain` (ext4, root=LABEL=) and `raid-luks-lvm` (RAID1 → LUKS2 → LVM → ext4).
Clock: the /proc/uptime the real root's /sbin/init prints (BATON-ROOT-INIT uptime=),
which leaves out QEMU's own start-up. Every image boots with `quiet` (console output
under TCG costs time; the floor boots quiet too).

Images:
  baton   host-only, built by baton-mkinitramfs --sysroot DIR where DIR describes the
          guest (its fstab; for the stack also crypttab + key file and mdadm.conf) and
          holds hard links to this machine's tools and libraries. Built 3 times: the
          median build time is printed.
  floor   tests/qemu/floor.py: hand-written /init, exactly the needed modules.
  dracut  `dracut --no-hostonly --add "mdraid crypt lvm"` against the cached kernel's
          modules (-k), one image for both scenarios (cached: $BATON_CACHE/dracut/),
          booted with rd.auto=1 and rd.luks.key= naming the fixture's key file, which
          is included with --include. Needs dracut-core installed; otherwise
          "dracut: not measured (reason)".
A passphrase prompt is answered with the fixture's passphrase (none expected).

Prints per scenario the median (range) uptime of each image, the ratios baton/floor and
dracut/baton, the image sizes, baton's build time, beside the aims of issue 3.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from tests.qemu import cache, cpio, fixtures, floor, kernel, rootfs, scenarios  # noqa: E402
from tests.qemu.vm import VM, VMError  # noqa: E402

SCENARIOS = ["plain", "raid-luks-lvm"]
MARKER = r"BATON-ROOT-INIT uptime=([0-9.]+)"
MiB = 1048576
AIMS = {"plain": 2 * MiB, "raid-luks-lvm": 6 * MiB}
LOG_DIR = os.environ.get("BATON_TEST_LOGS", "/tmp/baton-qemu-logs")
DRACUT_KEY = "/etc/baton-bench.key"
OS_RELEASE = b'NAME="baton test root"\nID=batontest\n'

# Tools baton-mkinitramfs may take from the sysroot (host-only picks among them).
SYSROOT_TOOLS = ["busybox", "blkid", "mdadm", "cryptsetup", "lvm", "e2fsck", "fsck.ext4"]


# --- baton host-only images: a sysroot describing the guest ---------------------------

def make_sysroot(d, fx, scenario):
    """A sysroot for baton-mkinitramfs: /etc describes the guest's root stack; /usr holds
    hard links to this machine's tools and libraries (the sysroot is read chroot-style,
    so absolute symlinks to the host would loop)."""
    os.makedirs(os.path.join(d, "etc"), exist_ok=True)
    os.makedirs(os.path.join(d, "usr", "lib"), exist_ok=True)
    for sub in ("usr/bin", "usr/sbin"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    subprocess.run(["cp", "-al", "/usr/lib/x86_64-linux-gnu", os.path.join(d, "usr/lib/")],
                   check=True)
    if os.path.isdir("/usr/lib64"):
        subprocess.run(["cp", "-al", "/usr/lib64", os.path.join(d, "usr/")], check=True)
    for top in ("bin", "sbin", "lib", "lib64"):
        if os.path.islink("/" + top):
            os.symlink(os.readlink("/" + top), os.path.join(d, top))
    for t in SYSROOT_TOOLS:
        p = shutil.which(t, path="/usr/sbin:/usr/bin:/sbin:/bin")
        if not p:
            continue
        rel = p[len("/usr/"):] if p.startswith("/usr/") else p.lstrip("/")
        dest = os.path.join(d, "usr", rel) if p.startswith("/usr/") else os.path.join(d, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.lexists(dest):
            continue
        if os.path.islink(p) and not os.path.isabs(os.readlink(p)):
            # fsck.ext4 -> e2fsck: kept a link, as on the host (a second copy
            # would go into the image)
            os.symlink(os.readlink(p), dest)
        else:
            try:
                os.link(os.path.realpath(p), dest)
            except OSError:
                shutil.copy2(os.path.realpath(p), dest)
    etc = os.path.join(d, "etc")
    if scenario == "plain":
        fstab = "LABEL=batonroot / ext4 defaults 0 1\n"
    else:
        fstab = f"/dev/{fx['vg']}/{fx['lv']} / ext4 defaults 0 1\n"
        os.makedirs(os.path.join(etc, "keys"), exist_ok=True)
        shutil.copyfile(fx["keyfile"], os.path.join(etc, "keys", "root.key"))
        os.chmod(os.path.join(etc, "keys", "root.key"), 0o600)
        with open(os.path.join(etc, "crypttab"), "w") as f:
            f.write(f"{fx['luks_name']} UUID={fx['luks_uuids'][0]} /etc/keys/root.key "
                    f"luks,keyfile-size={fx['keyfile_size']}\n")
        os.makedirs(os.path.join(etc, "mdadm"), exist_ok=True)
        with open(os.path.join(etc, "mdadm", "mdadm.conf"), "w") as f:
            f.write(f"ARRAY /dev/md/root metadata=1.2 UUID={fx['md_uuid_mdadm']}\n")
    with open(os.path.join(etc, "fstab"), "w") as f:
        f.write(fstab)


def build_baton(bins, work, fx, scenario, builds=3):
    sysroot = os.path.join(work, f"sysroot-{scenario}")
    make_sysroot(sysroot, fx, scenario)
    out = os.path.join(work, f"baton-{scenario}.img")
    times = []
    for _ in range(builds):
        secs, size = scenarios.mkinitramfs(bins, out, ["--sysroot", sysroot])
        times.append(secs)
    return {"initrd": out, "size": size, "build": statistics.median(times),
            "append": "root=LABEL=batonroot quiet"}


# --- dracut --------------------------------------------------------------------------

def dracut_version():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "dracut-core"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ""


def build_dracut(fx_stack):
    """The dracut image (cached); returns a dict or raises RuntimeError(reason)."""
    if not shutil.which("dracut"):
        raise RuntimeError("dracut is not installed (apt-get install dracut-core)")
    k = kernel.ensure()
    with open(fx_stack["keyfile"], "rb") as f:
        key_bytes = f.read()
    args = ["--no-hostonly", "--add", "mdraid crypt lvm", "--kver", k["version"],
            "-k", k["modules_dir"], "--compress", "zstd", "--force"]
    key = cache.hash_inputs("dracut", 1, dracut_version(), k["version"], args, key_bytes)
    final = os.path.join(cache.cache_dir("dracut"), key)
    img, meta = os.path.join(final, "initrd.img"), os.path.join(final, "build.json")
    if not os.path.exists(meta):
        with cache.locked(final):
            if not os.path.exists(meta):
                with cache.Building(final) as tmp:
                    cache.log("building the dracut image (about 2 minutes)")
                    t0 = time.monotonic()
                    r = subprocess.run(["dracut"] + args + [
                        "--include", fx_stack["keyfile"], DRACUT_KEY,
                        os.path.join(tmp, "initrd.img")], capture_output=True, text=True)
                    took = time.monotonic() - t0
                    if r.returncode != 0:
                        raise RuntimeError(f"dracut failed (exit {r.returncode}): "
                                           f"{r.stderr.strip()[-500:]}")
                    with open(os.path.join(tmp, "build.json"), "w") as f:
                        json.dump({"seconds": took}, f)
    with open(meta) as f:
        took = json.load(f)["seconds"]
    return {"initrd": img, "size": os.path.getsize(img), "build": took,
            "append": f"root=LABEL=batonroot rd.auto=1 rd.luks.key={DRACUT_KEY} quiet"}


# --- booting -------------------------------------------------------------------------

def boot_once(img, fx, name, timeout=300):
    """Boots; returns the marker's uptime (answers a passphrase prompt if one shows)."""
    k = kernel.ensure()
    log = os.path.join(LOG_DIR, f"bench-{name}.log")
    with VM(k["vmlinuz"], img["initrd"], disks=fixtures.disks(fx), append=img["append"],
            timeout=timeout, console_log=log, name=name) as vm:
        vm.dump = lambda n=60: None
        # systemd-cryptsetup's prompt ends "(press TAB for no echo) ESC[0m", not ": "
        pat = re.compile(MARKER + r"|(passphrase for[^\n]*$)", re.M)
        while True:
            m = vm.wait_for(pat, timeout=timeout, partial=True)
            if m.group(1):
                # the marker: make sure the whole number is there (complete line)
                m = vm.wait_for(MARKER, timeout=30, from_start=True)
                return float(m.group(1))
            time.sleep(1.5)
            vm.send(fx.get("passphrase", "") + "\n")


def fmt_range(xs):
    if not xs:
        return "—"
    return f"{statistics.median(xs):6.2f} s ({min(xs):.2f}–{max(xs):.2f})"


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bench boot")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-dracut", action="store_true")
    ap.add_argument("--only", choices=SCENARIOS, action="append")
    a = ap.parse_args(argv)
    # A TERM (e.g. a timeout around us) unwinds through the VMs' close(): no QEMU
    # is left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    todo = a.only or SCENARIOS
    os.makedirs(LOG_DIR, exist_ok=True)
    work = tempfile.mkdtemp(prefix="baton-bench-")
    try:
        bins = scenarios.Bins(scenarios.find_bazel_bin(), work)
        # The fixtures' root plus an os-release: systemd in dracut's image refuses to
        # switch to a root without one ("Failed to start initrd-switch-root.service").
        root = rootfs.real_root(files={"etc/os-release": cpio.Data(OS_RELEASE)})
        fxs = fixtures.build_many(SCENARIOS, root=root)
        images = {}  # (scenario, kind) -> img dict or None
        notes = {}
        for sc in todo:
            images[(sc, "baton")] = build_baton(bins, work, fxs[sc], sc)
            fl = floor.build(sc, fxs[sc])
            images[(sc, "floor")] = {"initrd": fl["initrd"], "size": fl["size"],
                                     "append": fl["append"], "build": None}
        if a.no_dracut:
            notes["dracut"] = "not measured (--no-dracut)"
        else:
            try:
                d = build_dracut(fxs["raid-luks-lvm"])
                for sc in todo:
                    images[(sc, "dracut")] = d
            except RuntimeError as e:
                notes["dracut"] = f"not measured ({e})"
        kinds = [k for k in ("baton", "floor", "dracut") if (todo[0], k) in images]
        times = {key: [] for key in images}
        fails = {key: [] for key in images}
        for r in range(a.rounds):
            for sc in todo:
                for kind in kinds:
                    key = (sc, kind)
                    try:
                        up = boot_once(images[key], fxs[sc], f"{sc}-{kind}")
                        times[key].append(up)
                        print(f"  round {r + 1}: {sc:14} {kind:6} {up:6.2f} s", flush=True)
                    except VMError as e:
                        fails[key].append(str(e))
                        print(f"  round {r + 1}: {sc:14} {kind:6} FAILED: {e} "
                              f"(log {LOG_DIR}/bench-{sc}-{kind}.log)", flush=True)
        print()
        print(f"boot to the real root's init (/proc/uptime, median of {a.rounds}, range):")
        for sc in todo:
            print(f"{sc}:")
            for kind in kinds:
                img = images[(sc, kind)]
                extra = f", {len(fails[(sc, kind)])} failed" if fails[(sc, kind)] else ""
                build = f", built in {img['build']:.2f} s" if img.get("build") else ""
                print(f"  {kind:6} {fmt_range(times[(sc, kind)])}  image "
                      f"{img['size'] / MiB:6.2f} MiB{build}{extra}")
            med = {k: statistics.median(times[(sc, k)]) for k in kinds if times[(sc, k)]}
            if "baton" in med and "floor" in med:
                r = med["baton"] / med["floor"]
                print(f"  baton/floor  {r:5.2f}x  (aim ≤ 1.2x: {'met' if r <= 1.2 else 'NOT met'})")
            if "baton" in med and "dracut" in med:
                r = med["dracut"] / med["baton"]
                print(f"  dracut/baton {r:5.2f}x  (aim ≥ 3x: {'met' if r >= 3 else 'NOT met'})")
            size = images[(sc, "baton")]["size"]
            print(f"  baton image  {size / MiB:.2f} MiB (aim < {AIMS[sc] // MiB} MiB: "
                  f"{'met' if size < AIMS[sc] else 'NOT met'})")
            b = images[(sc, "baton")]["build"]
            print(f"  baton build  {b:.2f} s median of 3 (aim < 2 s: "
                  f"{'met' if b < 2 else 'NOT met'})")
        for k, v in notes.items():
            print(f"{k}: {v}")
        return 1 if any(fails.values()) else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
