"""The stage-1 QEMU scenarios of issue 3 (item 5): baton's own image booted against the
fixture disks, each scenario asserting the real root's `BATON-ROOT-INIT` marker plus its
own checks on what the guest printed.

    from tests.qemu import scenarios
    imgs = scenarios.Images(bins)               # builds baton images on demand
    for sc in scenarios.SCENARIOS: sc.run(imgs, log_path) -> seconds  (raises Failure)

Images (built by baton-mkinitramfs from the bazel-built binaries, once per run):
  generic   --generic: every storage/RAID/dm/crypt/fs module and tool; no crypttab, so
            every LUKS device is offered for a passphrase, every RAID member assembled,
            every volume group activated (the rd.auto behaviour).
  crypttab  generic + an /etc/crypttab naming the key file of each keyfile fixture
            (luks-keyfile, raid-luks-lvm, luks2x-raid-lvm), the key files included at
            /etc/baton/keys/<fixture>.key.
$BATON_TEST_MKINITRAMFS_ARGS adds words to every baton-mkinitramfs command (experiments).
Host-only images made for a guest (a sysroot that describes it) are in bench_boot.py.

Everything a scenario checks is printed by the guest: the fixture root's /sbin/init
(rootfs.ROOT_INIT: marker, cmdline, root mount, /proc/mdstat, md degraded flags,
usr-split's /usr lines) or a shell the scenario types into.
"""

import gzip
import json
import os
import re
import struct
import shutil
import subprocess
import tempfile
import time

from . import fixtures, kernel, rootfs
from .vm import VM, Disk, VMError

MARKER = r"BATON-ROOT-INIT uptime=([0-9.]+)"
# busybox sh -i prompt ("(baton rescue) # "), then ash's cursor-position query ESC[6n
PROMPT = r"[#$] (\x1b\[6n)?$"
SEND_DELAY = 1.5            # prompts print before input is flushed (README gotchas)
BOOT_TIMEOUT = 180          # hard limit per boot (the VM watchdog)
MARKER_TIMEOUT = 120


class Failure(Exception):
    pass


# --- images ------------------------------------------------------------------------

KEYFILE_FIXTURES = {  # fixture -> crypttab lines (name, index into luks_uuids)
    "luks-keyfile": [("root", 0)],
    "raid-luks-lvm": [("stack", 0)],
    "luks2x-raid-lvm": [("crypt0", 0), ("crypt1", 1)],
}


def key_path(fixture):
    return f"/etc/baton/keys/{fixture}.key"


def crypttab_text(fxs):
    lines = ["# baton QEMU tests: key files of the keyfile fixtures"]
    for name, entries in KEYFILE_FIXTURES.items():
        fx = fxs[name]
        for mapping, i in entries:
            lines.append(f"{mapping} UUID={fx['luks_uuids'][i]} {key_path(name)} "
                         f"luks,keyfile-size={fx['keyfile_size']}")
    return "\n".join(lines) + "\n"


IMAGE_BUILD = "bazel build --config=image //supervisor:baton //tools:initctl " \
              "//tools/mkinitramfs:baton-mkinitramfs"


class Bins:
    """The binaries the image is made of, as users get them: `--config=image`
    (.bazelrc: optimized, stripped, fully static). Copied once so a rebuild
    during the run (other engineers share the tree) can't change them under the
    tests."""

    def __init__(self, bazel_bin, workdir):
        self.dir = os.path.join(workdir, "bin")
        os.makedirs(self.dir, exist_ok=True)
        src = {"baton": "supervisor/baton", "initctl": "tools/initctl",
               "baton-mkinitramfs": "tools/mkinitramfs/baton-mkinitramfs"}
        for name, rel in src.items():
            p = os.path.join(bazel_bin, rel)
            if not os.path.exists(p):
                raise Failure(f"{p} not built ({IMAGE_BUILD})")
            shutil.copy2(p, os.path.join(self.dir, name))
        self.baton = os.path.join(self.dir, "baton")
        self.initctl = os.path.join(self.dir, "initctl")
        self.mkinitramfs = os.path.join(self.dir, "baton-mkinitramfs")


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_bazel_bin():
    """$BATON_BAZEL_BIN, else the image build's output (bazel-out/k8-optimage/bin:
    `--config=image` is -c opt with platform suffix "image"; the bazel-bin symlink
    follows whatever configuration was built last)."""
    env = os.environ.get("BATON_BAZEL_BIN")
    if env:
        return env
    return os.path.join(repo_root(), "bazel-out", "k8-optimage", "bin")


def mkinitramfs(bins, output, args, modules_dir=None, notes=None):
    """Runs baton-mkinitramfs; returns (seconds, size). Raises Failure with its stderr.
    NOTES (a list), when given, gets the lines saying which storage tools went in and
    why (--storage-tools auto)."""
    k = kernel.ensure()
    cmd = [bins.mkinitramfs, "-o", output, "--modules-dir", modules_dir or k["modules_dir"],
           "--init", bins.baton,  # /sbin/initctl: a link to /init (multi-call)
           "--jobs", os.path.join(repo_root(), "jobs", "stage1")] + list(args)
    # For experiments only (e.g. "--include /bin/busybox:/sbin/modprobe"): extra words
    # for every image, split on spaces.
    cmd += os.environ.get("BATON_TEST_MKINITRAMFS_ARGS", "").split()
    if "--keymap" not in cmd and "--sysroot" not in cmd:
        # Not the build host's console keymap (console-setup's, when it has one):
        # every machine builds the same image. A --sysroot's keymap is its own
        # (luks-native-pass-azerty's sysroot has one; the others none).
        cmd += ["--keymap", "none"]
    env = dict(os.environ, SOURCE_DATE_EPOCH="1600000000")
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    took = time.monotonic() - t0
    if r.returncode != 0 or not os.path.exists(output):
        raise Failure(f"baton-mkinitramfs failed (exit {r.returncode}): "
                      f"{(r.stderr or r.stdout).strip()[-2000:]}\n  command: {' '.join(cmd)}")
    if notes is not None:
        notes += [line[len("baton-mkinitramfs: "):] for line in r.stdout.splitlines()
                  if line.startswith("baton-mkinitramfs: ")]
    return took, os.path.getsize(output)


class Images:
    """Baton images by configuration name, built on first use (once per run)."""

    def __init__(self, bins, workdir, fxs):
        self.bins, self.dir, self.fxs = bins, os.path.join(workdir, "images"), fxs
        os.makedirs(self.dir, exist_ok=True)
        self.built = {}   # name -> (path, seconds, size)
        self.errors = {}

    def get(self, name):
        if name in self.errors:
            raise Failure(self.errors[name])
        if name not in self.built:
            try:
                self.built[name] = self._build(name)
            except Failure as e:
                self.errors[name] = f"image {name}: {e}"
                raise Failure(self.errors[name])
        return self.built[name][0]

    def _build(self, name):
        out = os.path.join(self.dir, f"{name}.img")
        args = ["--generic"]
        if name in ("crypttab", "udevd-crypttab"):
            tab = os.path.join(self.dir, "crypttab")
            with open(tab, "w") as f:
                f.write(crypttab_text(self.fxs))
            args += ["--include", f"{tab}:/etc/crypttab"]
            for fx_name in KEYFILE_FIXTURES:
                args += ["--include", f"{self.fxs[fx_name]['keyfile']}:{key_path(fx_name)}"]
            if name == "udevd-crypttab":
                args += ["--with-udevd"]
        elif name == "keymap":
            args += ["--keymap", KEYMAP_TEST]
        elif name == "udevd":
            args += ["--with-udevd"]
        elif name == "udevd-broken":
            jobs = os.path.join(self.dir, "udevd-broken-jobs")
            os.makedirs(jobs, exist_ok=True)
            with open(os.path.join(jobs, "udevd.conf"), "w") as f:
                f.write(BROKEN_UDEVD_JOB)
            args += ["--with-udevd", "--jobs", jobs]
        elif name == "dynbusybox":
            args = ["--sysroot", dynbusybox_sysroot(self.dir)]
        elif name == "statictools":
            args = ["--sysroot", statictools_sysroot(self.dir)]
        elif name in LVM_NATIVE_IMAGES:
            fx = self.fxs[LVM_NATIVE_IMAGES[name]]
            # --storage-tools auto (the default): the sysroot's /etc/lvm/backup shows a
            # linear LV, so the lvm tool is left out (NoLvmToolScenario checks)
            args = ["--sysroot", lvm_native_sysroot(self.dir, fx)]
        elif name in LUKS_NATIVE_IMAGES:
            args = ["--sysroot", luks_native_sysroot(self.dir, name, self.fxs),
                    "--storage-tools", "native"]
        elif name != "generic":
            raise Failure(f"unknown image configuration {name}")
        secs, size = mkinitramfs(self.bins, out, args)
        return out, secs, size


def dynbusybox_sysroot(workdir):
    """The host-only plain sysroot of `tools/bench boot` (bench_boot.make_sysroot) with
    Debian's dynamic busybox, which runs no applet without a link: the image must link
    them all. Raises Failure when that busybox cannot be had or is not dynamic."""
    from . import bench_boot  # bench_boot imports this module
    try:
        bb = bench_boot.dynamic_busybox()
    except (OSError, subprocess.CalledProcessError, RuntimeError) as e:
        raise Failure(f"Debian's dynamic busybox: cannot fetch it: {e}")
    with open(bb, "rb") as f:
        if b"/lib64/ld-linux-x86-64.so.2" not in f.read(4096):
            raise Failure(f"{bb} is not dynamically linked")
    d = os.path.join(workdir, "sysroot-dynbusybox")
    if not os.path.exists(d):
        bench_boot.make_sysroot(d, {}, "plain", busybox="dynamic")
    with open(os.path.join(d, "usr", "bin", "busybox"), "rb") as f:
        if b"/lib64/ld-linux-x86-64.so.2" not in f.read(4096):
            raise Failure("the sysroot's busybox is not the dynamic one")
    return d


def statictools_sysroot(workdir):
    """The host-only plain sysroot of `tools/bench boot` for a host with busybox-static
    and e2fsck-static (bench_boot.make_sysroot busybox="static"): every binary the
    image needs is static."""
    from . import bench_boot  # bench_boot imports this module
    d = os.path.join(workdir, "sysroot-statictools")
    if not os.path.exists(d):
        try:
            bench_boot.make_sysroot(d, {}, "plain", busybox="static")
        except (OSError, subprocess.CalledProcessError, RuntimeError) as e:
            raise Failure(f"e2fsck-static: cannot fetch it: {e}")
    return d


# host-only images without the lvm tool -> the fixture whose LV is their root
LVM_NATIVE_IMAGES = {"lvm-native": "lvm", "lvm-striped-native": "lvm-striped"}


def lvm_native_sysroot(workdir, fx):
    """A host-only sysroot whose root is the lvm fixture's LV (fstab /dev/VG/LV and
    /etc/lvm/backup/VG, as a host has them), for an image built with the default
    --storage-tools auto, which the backup's linear LV lets leave the lvm tool out:
    baton activates the LV itself."""
    from . import bench_boot  # bench_boot imports this module
    d = os.path.join(workdir, f"sysroot-{fx['name']}-native")
    if not os.path.exists(d):
        bench_boot.make_sysroot(d, {}, "plain", busybox="static")
        etc = os.path.join(d, "etc")
        with open(os.path.join(etc, "fstab"), "w") as f:
            f.write(f"/dev/{fx['vg']}/{fx['lv']} / ext4 defaults 0 1\n")
        os.makedirs(os.path.join(etc, "lvm", "backup"), exist_ok=True)
        with open(os.path.join(etc, "lvm", "backup", fx["vg"]), "w") as f:
            f.write(bench_boot.LVM_BACKUP.format(vg=fx["vg"], lv=fx["lv"], pv="vda"))
    return d


LUKS_NATIVE_IMAGES = {  # image -> fixture; host-only, --storage-tools native
    "luks-native-keyfile": "luks-keyfile",
    "luks-native-pass": "luks-pass",
    "stack-native": "raid-luks-lvm",
    "luks-argon2-native": "luks-argon2",
    "luks-argon2-native-keyfile": "luks-argon2",
    "luks2x-native-pass": "luks2x-raid-lvm",
    "luks-native-pass-azerty": "luks-pass",
}


def luks_native_sysroot(workdir, image, fxs):
    """A host-only sysroot for a LUKS fixture, for an image built with
    --storage-tools native (no cryptsetup: baton luks-unlock opens LUKS itself).
    luks-native-keyfile, luks-argon2-native-keyfile: crypttab with the key file;
    luks-native-pass: crypttab with
    none (the passphrase is asked), as luks-argon2-native; stack-native: bench_boot's
    RAID1 -> LUKS -> LVM sysroot (key file, mdadm.conf, LVM backup), so no lvm tool
    either; luks2x-native-pass: two LUKS members (crypttab `none`, both asked) under
    RAID1 -> LVM, no lvm tool either."""
    from . import bench_boot  # bench_boot imports this module
    fx = fxs[LUKS_NATIVE_IMAGES[image]]
    d = os.path.join(workdir, f"sysroot-{image}")
    if os.path.exists(d):
        return d
    if image == "stack-native":
        bench_boot.make_sysroot(d, fx, "stacked", busybox="static")
        return d
    bench_boot.make_sysroot(d, {}, "plain", busybox="static")
    etc = os.path.join(d, "etc")
    if image == "luks2x-native-pass":
        with open(os.path.join(etc, "fstab"), "w") as f:
            f.write(f"/dev/{fx['vg']}/{fx['lv']} / ext4 defaults 0 1\n")
        with open(os.path.join(etc, "crypttab"), "w") as f:
            for name, uuid in zip(fx["luks_names"], fx["luks_uuids"]):
                f.write(f"{name} UUID={uuid} none luks\n")
        os.makedirs(os.path.join(etc, "mdadm"), exist_ok=True)
        with open(os.path.join(etc, "mdadm", "mdadm.conf"), "w") as f:
            f.write(f"ARRAY /dev/md/root level=raid1 metadata=1.2 "
                    f"UUID={fx['md_uuid_mdadm']}\n")
        os.makedirs(os.path.join(etc, "lvm", "backup"), exist_ok=True)
        with open(os.path.join(etc, "lvm", "backup", fx["vg"]), "w") as f:
            f.write(bench_boot.LVM_BACKUP.format(vg=fx["vg"], lv=fx["lv"], pv="PV")
                    .replace("/dev/mapper/PV", "/dev/md/root"))
        return d
    with open(os.path.join(etc, "fstab"), "w") as f:
        f.write(f"/dev/mapper/{fx['luks_name']} / ext4 defaults 0 1\n")
    key = "none"
    if image.endswith("-keyfile"):
        os.makedirs(os.path.join(etc, "keys"), exist_ok=True)
        shutil.copyfile(fx["keyfile"], os.path.join(etc, "keys", "root.key"))
        os.chmod(os.path.join(etc, "keys", "root.key"), 0o600)
        key = f"/etc/keys/root.key luks,keyfile-size={fx['keyfile_size']}"
    else:
        key = "none luks"
    with open(os.path.join(etc, "crypttab"), "w") as f:
        f.write(f"{fx['luks_name']} UUID={fx['luks_uuids'][0]} {key}\n")
    if image.endswith("-azerty"):
        # A French host: console-setup's cache holds its compiled XKB layout
        # (here the AZERTY test map); baton-mkinitramfs takes it as the host's.
        os.makedirs(os.path.join(etc, "console-setup"), exist_ok=True)
        with open(KEYMAP_TEST, "rb") as src, gzip.open(
                os.path.join(etc, "console-setup", "cached_UTF-8_del.kmap.gz"), "wb") as dst:
            dst.write(src.read())
    return d


def image_listing(bins, image):
    """The paths in IMAGE, from `baton-mkinitramfs --list`."""
    r = subprocess.run([bins.mkinitramfs, "--list", image], capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"baton-mkinitramfs --list {image}: {(r.stderr or r.stdout).strip()}")
    return r.stdout.splitlines()


# --- scenarios ---------------------------------------------------------------------

class Ctx:
    """What a scenario's steps get: the VM, the fixture, helpers."""

    def __init__(self, vm, fx):
        self.vm, self.fx = vm, fx

    def wait(self, regex, timeout=MARKER_TIMEOUT, partial=False):
        return self.vm.wait_for(regex, timeout=timeout, partial=partial)

    def type(self, text, delay=SEND_DELAY):
        time.sleep(delay)
        self.vm.send(text + "\n")

    def wait_started(self):
        """Waits until baton (PID 1) is running in the guest."""
        return self.wait(r"baton: (starting|emit initramfs)", timeout=MARKER_TIMEOUT)

    def hotplug(self, index, delay=0.0):
        time.sleep(delay)
        d = self.fx["disks"][index]
        self.vm.hotplug_disk(d["path"], f"late{index}", serial=d["serial"])
        return time.monotonic() - self.vm.start


class Scenario:
    """One boot. fixture: fixture name; image: Images configuration; append: kernel
    command line (str, or fx -> str); disks: indexes of the fixture's disks attached at
    start (None = all); steps(ctx): interaction before the marker; expect: regexes that
    must appear in the console (after the marker unless before_marker); forbid: regexes
    that must not."""

    def __init__(self, name, fixture, append=None, image="generic", disks=None, steps=None,
                 expect=(), forbid=(), post=None, doc="", known_failure=None):
        self.name, self.fixture, self.image = name, fixture, image
        # A scenario that does not pass yet: run_all reports it as SKIP with
        # this reason (run it with --only NAME to see it fail).
        self.known_failure = known_failure
        self.append = append
        self.disks, self.steps, self.expect, self.forbid = disks, steps, expect, forbid
        self.post = post
        self.doc = doc

    def cmdline(self, fx):
        if self.append is None:
            return fx["cmdline"]
        return self.append(fx) if callable(self.append) else self.append

    def run(self, images, fxs, log_path):
        fx = fxs[self.fixture]
        initrd = images.get(self.image)
        k = kernel.ensure()
        all_disks = fixtures.disks(fx)
        disks = all_disks if self.disks is None else [all_disks[i] for i in self.disks]
        t0 = time.monotonic()
        with VM(k["vmlinuz"], initrd, disks=disks, append=self.cmdline(fx),
                timeout=BOOT_TIMEOUT, console_log=log_path, name=self.name) as vm:
            vm.dump = lambda n=60: None  # the runner prints the tail itself
            ctx = Ctx(vm, fx)
            ctx.vmerror = None
            try:
                if self.steps:
                    self.steps(ctx)
                m = vm.wait_for(MARKER, timeout=MARKER_TIMEOUT)
                ctx.uptime = float(m.group(1))
                vm.wait_for(r"BATON-ROOT-DONE", timeout=60)
                out = vm.output
                for rx in self.expect:
                    if not re.search(rx, out, re.M):
                        raise Failure(f"expected /{rx}/ on the console, not seen")
                for rx in self.forbid:
                    m2 = re.search(rx, out, re.M)
                    if m2:
                        raise Failure(f"unexpected {m2.group(0)!r} on the console")
                if self.post:
                    self.post(ctx, out)
                try:
                    vm.wait_exit(30)
                except VMError:
                    pass  # the checks passed; poweroff is the root's business
            except VMError as e:
                raise Failure(_why(str(e), vm.output)) from None
        return time.monotonic() - t0


def _why(err, out):
    """A short reason: the VMError plus baton's last message, when there is one."""
    msgs = [l.strip() for l in out.splitlines() if l.startswith("baton:")]
    if not msgs:
        return err.split(": ", 1)[-1] + "; baton printed nothing"
    bad = [l for l in msgs if re.search(r"cannot|fail|error|waited for|not found", l, re.I)]
    first = f"; first complaint: {bad[0]!r}" if bad else ""
    return err.split(": ", 1)[-1] + first + f"; last baton message: {msgs[-1]!r}"


# --- scenario steps ----------------------------------------------------------------

def _luks_pass_steps(ctx):
    ctx.wait(r"passphrase", partial=True)
    ctx.type("not-the-passphrase")
    ctx.t_wrong = time.monotonic() - ctx.vm.start
    # the second prompt, after cryptsetup refused the first one
    ctx.wait(r"passphrase[^\n]*:\s*$", timeout=60, partial=True)
    ctx.type(ctx.fx["passphrase"])
    ctx.t_right = time.monotonic() - ctx.vm.start


def luks2_kdfs(path):
    """{key slot: kdf dict} from the LUKS2 header at the start of disk image PATH."""
    with open(path, "rb") as f:
        hdr = f.read(4096)
        if hdr[:6] != b"LUKS\xba\xbe" or struct.unpack(">H", hdr[6:8])[0] != 2:
            raise Failure(f"{path}: no LUKS2 header")
        size = struct.unpack(">Q", hdr[8:16])[0]
        area = f.read(size - 4096)
    meta = json.loads(area.split(b"\0", 1)[0])
    return {k: v["kdf"] for k, v in meta["keyslots"].items()}


def _argon2_steps(ctx):
    # the fixture must be what it claims: every key slot argon2id
    kdfs = luks2_kdfs(ctx.fx["disks"][0]["path"])
    bad = {k: v.get("type") for k, v in kdfs.items() if v.get("type") != "argon2id"}
    if len(kdfs) != 2 or bad:
        raise Failure(f"fixture {ctx.fx['name']}: key slots {kdfs}, expected 2 argon2id")
    ctx.kdfs = kdfs
    _luks_pass_steps(ctx)


def _unlock_times(ctx, out):
    """Prints how long the guest took (host time of the console lines) to refuse the
    wrong passphrase (every key slot tried) and to open with the right one (slot 0)."""
    refused = next((t for t, l in ctx.vm.lines
                    if t > ctx.t_wrong and "No key available with this passphrase" in l), None)
    opened = next((t for t, l in ctx.vm.lines
                   if t > ctx.t_right and re.search(r"Unlocked \S+ as ", l)), None)
    if refused is None or opened is None:
        raise Failure("no 'No key available' / 'Unlocked' console line after the passphrases")
    kdf = ctx.kdfs["0"]
    print(f"unlock times ({kdf['type']} {kdf['memory']} KiB x{kdf['time']}, "
          f"{len(ctx.kdfs)} slots): wrong passphrase refused "
          f"{refused - ctx.t_wrong:.2f} s, right one opened {opened - ctx.t_right:.2f} s "
          f"after typing", flush=True)


PROMPT_FOR = r"Please enter passphrase for disk (\S+) \(([^)]*)\): *$"


def _two_prompts_steps(ctx):
    # Both LUKS members of luks2x-raid-lvm appear at once and, with no crypttab, each
    # unlock job asks for a passphrase. The console lock must keep them apart: the
    # first device's retry after a wrong passphrase comes before the second device is
    # asked at all.
    first = ctx.wait(PROMPT_FOR, partial=True).group(1)
    ctx.type("not-the-passphrase")
    again = ctx.wait(PROMPT_FOR, timeout=60, partial=True).group(1)
    if again != first:
        raise Failure(f"asked for {again} while {first}'s retry was due: prompts interleaved")
    ctx.type(ctx.fx["passphrase"])
    second = ctx.wait(PROMPT_FOR, timeout=60, partial=True).group(1)
    if second == first:
        raise Failure(f"asked for {first} again after its right passphrase")
    ctx.type(ctx.fx["passphrase"])
    ctx.prompted = [first, again, second]


def _check_prompts(ctx, out):
    asked = re.findall(r"Please enter passphrase for disk (\S+) \(", out)
    if asked != ctx.prompted:
        raise Failure(f"prompts on the console {asked}, expected exactly {ctx.prompted}")


def _hotplug_root_steps(ctx):
    ctx.wait_started()
    ctx.hotplug_at = ctx.hotplug(0, delay=5.0)


def _hotplug_raid_steps(ctx):
    ctx.wait_started()
    ctx.hotplug(0, delay=5.0)
    ctx.hotplug(1, delay=0.5)


def _check_after_hotplug(ctx, out):
    # The root must have been mounted after the disk arrived: the marker line comes
    # after the hot-add in host time.
    t_marker = next((t for t, l in ctx.vm.lines if "BATON-ROOT-INIT" in l), None)
    if t_marker is None or t_marker < getattr(ctx, "hotplug_at", 0):
        raise Failure("the real root started before the disk was hot-added?")


# Waits (in the guest) until md shows the hot-added member rebuilding or in sync, then
# prints /proc/mdstat. The scenario's expectations are written so that the echo of this
# command line can't satisfy them.
READD_SHELL = ("i=0; while [ $i -lt 600 ]; do grep -qE '\\[UU\\]|recovery' /proc/mdstat "
               "&& break; i=$((i+1)); usleep 100000; done; cat /proc/mdstat; "
               "grep -qE '\\[UU\\]|recovery' /proc/mdstat && echo READD-$((40+2))")
# The array line names both members, and md rebuilds the late one or is done.
READD_EXPECT = [r"md/raid1:md\d+: active with 1 out of 2 mirrors",
                r"^md\d+ : active raid1 (?=.*\bvda\[\d+\])(?=.*\bvdb\[\d+\])",
                r"\[2/2\] \[UU\]|recovery = +\d"]


def _readd_steps(ctx):
    # Degraded start (one member), then the break=premount shell: the second member
    # is hot-added while stage 1 still runs; md-incremental (baton md-add) must put
    # it back into the array md-run-degraded started.
    ctx.wait(r"WARNING: starting /dev/md\w+ degraded", timeout=MARKER_TIMEOUT)
    ctx.wait(PROMPT, timeout=MARKER_TIMEOUT, partial=True)
    ctx.hotplug(1, delay=1.0)
    ctx.type(READD_SHELL)
    ctx.wait(r"^READD-42", timeout=90)
    ctx.type("exit")


def _rescue_steps(ctx):
    ctx.wait(r"waited for[^\n]*(LABEL=batonroot|batonroot)", timeout=MARKER_TIMEOUT)
    ctx.wait(PROMPT, timeout=60, partial=True)
    ctx.type("echo RESCUE-$((40+2))")
    ctx.wait(r"^RESCUE-42", timeout=30)
    ctx.rescued = True
    raise _Done()


class _Done(Exception):
    pass


# baton.md.degraded=ask: md-degraded-ask.conf runs `baton md-ask-degraded`, which says
# what the arrays miss and asks on the console (jobs/stage1/md-degraded-ask.conf).
MD_ASK_PROMPT = r"Start them degraded\? \[y/N\] $"
MD_ASK_SAYS = r"^  /dev/md\w+: 1 of 2 members present, 1 missing\r?$"
ASK_THINK = 8.0             # s the "human" takes to answer, > rootdelay=5


def _md_ask_yes_steps(ctx):
    ctx.wait(MD_ASK_SAYS, timeout=MARKER_TIMEOUT)
    ctx.wait(MD_ASK_PROMPT, timeout=30, partial=True)
    ctx.asked_at = time.monotonic() - ctx.vm.start
    # Past rootdelay= before the answer: the open question holds the rescue shell off.
    ctx.type("y", delay=ASK_THINK)


def _check_md_ask_yes(ctx, out):
    # The array was started after the answer, not before the question.
    started = next((t for t, l in ctx.vm.lines
                    if re.search(r"WARNING: starting /dev/md\w+ degraded", l)), None)
    if started is None or started < ctx.asked_at:
        raise Failure("the array was not started degraded after the answer")


def _md_ask_no_steps(ctx):
    ctx.wait(MD_ASK_SAYS, timeout=MARKER_TIMEOUT)
    ctx.wait(MD_ASK_PROMPT, timeout=30, partial=True)
    ctx.type("n")
    ctx.wait(r"answered no: leaving them as they are", timeout=30)
    # No timer on the question; after the answer rootdelay= has passed: rescue shell.
    ctx.wait(r"waited for[^\n]*batonroot", timeout=MARKER_TIMEOUT)
    ctx.wait(PROMPT, timeout=60, partial=True)
    ctx.type("cat /sys/block/md*/md/array_state; grep -c '^md' /proc/mdstat; "
             "echo ASKNO-$((40+2))")
    m = ctx.wait(r"^(\S+)\r?\n(\d+)\r?\nASKNO-42", timeout=30)
    if m.group(1) != "inactive":
        raise Failure(f"the array is {m.group(1)!r} after the answer no, not inactive")
    if re.search(r"WARNING: starting /dev/md\w+ degraded", ctx.vm.output):
        raise Failure("the array was started degraded after the answer no")
    raise _Done()


def _break_steps(ctx):
    ctx.wait(PROMPT, timeout=MARKER_TIMEOUT, partial=True)
    # the root must not be mounted yet at break=premount
    ctx.type("grep -c ' /root ' /proc/mounts; echo BREAK-$((40+2))")
    ctx.wait(r"^BREAK-42", timeout=30)
    ctx.type("exit")


# Applets by name in the rescue shell of an image whose busybox is Debian's dynamic one
# (no FEATURE_SH_STANDALONE: each works only through its link in the image). tr and
# wc (in /usr/bin) were not in the image's old fixed list of links.
DYNBB_SHELL = ("ls -1 /etc/baton/jobs; cat /etc/initrd-release; mkdir -p /tmp/bbm && "
               "mount -t tmpfs bbtest /tmp/bbm && grep bbtest /proc/mounts && "
               "umount /tmp/bbm; echo abc | tr a-c x-z; echo BB-WC-$(echo abcd | wc -c); "
               "echo BB-$((40+2))")
DYNBB_EXPECT = [r"^md-incremental\.conf\r?$", r"^ID=baton-initrd\r?$",
                r"^bbtest /tmp/bbm tmpfs ", r"^xyz\r?$", r"^BB-WC-5\r?$",
                r"^BB-42"]


# keymap-premount: the image carries tools/mkinitramfs' AZERTY test keymap (baton-
# mkinitramfs compiled it with loadkeys -b); at break=premount busybox's dumpkmap reads
# the kernel's tables back (KDGKBENT; its file: "bkeymap", 256 flags, 128 keys of each
# of tables 0-2, 4-6, 8-10, 12). Table 0: the US 'q' key (16) types 'a' (K(KT_LETTER,
# 'a') = 0x0b61, little-endian), the 'a' key (30) 'q'; table 1, key 16: 'A'; table 2
# (AltGr), not in the keymap, was freed: its key 0 reads K_NOSUCHMAP (0x027f). The
# kernel's own US map gives 71 0b / 61 0b / 51 0b and an AltGr table.
KEYMAP_TEST = os.path.join(repo_root(), "tools", "mkinitramfs", "testdata", "azerty-test.kmap")
KEYMAP_SHELL = ("dumpkmap > /tmp/k; for o in 295 323 551 775; do echo KM-$o $(od -An -tx1 "
                "-j$o -N2 /tmp/k); done; echo KM-$((40+2))")
KEYMAP_EXPECT = [r"console keymap loaded from /etc/baton/keymap\.bmap \(2 tables of 128 keys\)",
                 r"^KM-295 61 0b\r?$", r"^KM-323 71 0b\r?$", r"^KM-551 41 0b\r?$",
                 r"^KM-775 7f 02\r?$"]


def _keymap_steps(ctx):
    ctx.wait(PROMPT, timeout=MARKER_TIMEOUT, partial=True)
    ctx.type(KEYMAP_SHELL)
    ctx.wait(r"^KM-42", timeout=30)
    ctx.type("exit")


def _dynbusybox_steps(ctx):
    ctx.wait(PROMPT, timeout=MARKER_TIMEOUT, partial=True)
    ctx.type(DYNBB_SHELL)
    ctx.wait(r"^BB-42", timeout=30)
    ctx.type("exit")


CLEAN_MD = r"^BATON-MD-DEGRADED /sys/block/md\w+/md/degraded 0"
ROOT_EXT4 = r"^BATON-ROOT-MOUNT \S+ / ext4"
# A job file that wins over the image's udevd job: a udevd that dies at once.
BROKEN_UDEVD_JOB = """description "a udevd that cannot run (QEMU udevd-broken)"
stage initramfs
respawn
exec /bin/false
"""
# A --with-udevd image: stage 1 followed the image's udevd and stopped it.
UDEVD_FOLLOWED = r"^baton: following udevd: /lib/systemd/systemd-udevd"
UDEVD_STOPPED = r"^baton: udevd stopped; its database cleaned"


# lvm-native: at break=premount (the root LV found, not yet mounted) the job's log file
# and the /dev/VG/LV link the uevent bridge made; anchored on the log's timestamp and
# the link's arrow so that the echo of the typed line cannot match.
LVM_NATIVE_SHELL = ("cat /run/baton/log/lvm-activate-*.log; ls -l /dev/vg*/; "
                    "echo LVM-$((40+2))")
LVM_NATIVE_EXPECT = [
    r"^\[ *[0-9]+\.[0-9]+\] baton: lvm-activate: activated vgbaton/root as "
    r"/dev/mapper/vgbaton-root \(253:\d+, linear\)$",
    r" root -> \.\./dm-\d+",
    r"^LVM-42",
]


# lvm-striped-native: each PV's lvm-activate run; the one that sees both makes the
# striped device (which of vda/vdb comes second is up to the kernel).
LVM_STRIPED_EXPECT = [
    r"^\[ *[0-9]+\.[0-9]+\] baton: lvm-activate: activated vgstripe/root as "
    r"/dev/mapper/vgstripe-root \(253:\d+, striped\)$",
    r" root -> \.\./dm-\d+",
    r"^LVM-42",
]


def _lvm_native_steps(ctx):
    ctx.wait(PROMPT, timeout=MARKER_TIMEOUT, partial=True)
    ctx.type(LVM_NATIVE_SHELL)
    ctx.wait(r"^LVM-42", timeout=60)
    ctx.type("exit")


def _lvm_striped_late_steps(ctx):
    # vda's run finds vgstripe short of vdb and waits; vdb, hot-added later, runs the
    # job again and that run makes the device
    ctx.wait_started()
    ctx.hotplug(1, delay=10.0)
    _lvm_native_steps(ctx)


class NoLvmToolScenario(Scenario):
    """Boots an image that must carry no lvm tool (nor libdevmapper): checked with
    `baton-mkinitramfs --list` before the boot, so the LV can only be baton's own."""

    def run(self, images, fxs, log_path):
        listing = image_listing(images.bins, images.get(self.image))
        bad = [l for l in listing
               if re.search(r"(^|/)(lvm|lvm2|dmsetup|vgchange)(\s|$)|libdevmapper", l)]
        if bad:
            raise Failure(f"image {self.image} carries {', '.join(bad[:5])}")
        if not any(re.search(r"(^|/)init(\s|$)", l) for l in listing):
            raise Failure(f"--list of image {self.image} shows no /init: {listing[:5]}")
        return super().run(images, fxs, log_path)


class StaticToolsScenario(Scenario):
    """Boots an image that must hold no shared object at all (no ld.so, no libc.so):
    /init, busybox-static and e2fsck.static (as e2fsck) only, checked with
    `baton-mkinitramfs --list` before the boot; the boot must check the root with it."""

    def run(self, images, fxs, log_path):
        image = images.get(self.image)
        listing = image_listing(images.bins, image)
        bad = [l for l in listing if re.search(r"\.so(\.[0-9.]+)?(\s|$)|ld-linux", l)]
        if bad:
            raise Failure(f"image {self.image} carries {', '.join(bad[:5])}")
        if not any(re.search(r"/usr/sbin/e2fsck(\s|$)", l) for l in listing):
            raise Failure(f"--list of image {self.image} shows no /usr/sbin/e2fsck")
        print(f"{self.name}: image {os.path.getsize(image) / 2**20:.2f} MiB, "
              f"no shared objects", flush=True)
        return super().run(images, fxs, log_path)


class NoCryptsetupScenario(Scenario):
    """Boots an image that must carry no cryptsetup (nor libcryptsetup, nor lvm when
    NO_LVM): checked with `baton-mkinitramfs --list` before the boot, so the LUKS
    device can only be opened by baton's native unlock (its log says "natively")."""

    def __init__(self, *args, no_lvm=False, **kw):
        super().__init__(*args, **kw)
        self.no_lvm = no_lvm

    def run(self, images, fxs, log_path):
        image = images.get(self.image)
        listing = image_listing(images.bins, image)
        rx = r"(^|/)(cryptsetup)(\s|$)|libcryptsetup|libargon2\.so|libcrypto\.so"
        if self.no_lvm:
            rx += r"|(^|/)(lvm|lvm2|dmsetup)(\s|$)|libdevmapper"
        bad = [l for l in listing if re.search(rx, l)]
        if bad:
            raise Failure(f"image {self.image} carries {', '.join(bad[:5])}")
        if not any(re.search(r"(^|/)init(\s|$)", l) for l in listing):
            raise Failure(f"--list of image {self.image} shows no /init: {listing[:5]}")
        print(f"{self.name}: image {os.path.getsize(image) / 2**20:.2f} MiB, no cryptsetup",
              flush=True)
        return super().run(images, fxs, log_path)


# `console=tty0 console=ttyS0`, as on many servers: /dev/console is ttyS0 (the last
# console=), where the harness reads; the passphrases are typed on the PS/2 keyboard,
# i.e. on tty0 (the foreground virtual terminal), the console a user at the screen has.
# baton must ask on both (/sys/class/tty/console/active) and tell ttyS0 where the
# answer came from. (Two serial consoles cannot do this: the 8250 driver registers one
# console, so `console=ttyS0 console=ttyS1` leaves only one of them active.)
ANSWERED_ON_TTY0 = r"^\(answered on tty0\)$"


def _answer_on_tty0(ctx, prompt, keys, what, timeout=MARKER_TIMEOUT):
    """Once PROMPT shows on ttyS0, types KEYS on the keyboard (tty0) and waits for
    ttyS0's "(answered on tty0)"; WHAT names the answer when it was not taken."""
    ctx.wait(prompt, timeout=timeout, partial=True)
    time.sleep(SEND_DELAY)
    ctx.vm.send_keys(keys)
    try:
        ctx.wait(ANSWERED_ON_TTY0, timeout=60)
    except VMError:
        raise Failure(f"{what} typed on tty0 (the keyboard) was not taken: the prompt "
                      "reads /dev/console (ttyS0) only") from None


def _tty0_steps(ctx):
    _answer_on_tty0(ctx, PROMPT_FOR, "not-the-passphrase\n", "the line")
    ctx.wait(r"No key available with this passphrase", timeout=60)
    _answer_on_tty0(ctx, PROMPT_FOR, ctx.fx["passphrase"] + "\n", "the passphrase", timeout=60)
    ctx.wait(r"^Unlocked \S+ as root\.$", timeout=60)


# luks-pass-azerty-tty0-native: the host is French (its console-setup cache in the
# sysroot holds the AZERTY test map), the passphrase is typed on the keyboard as a
# French user types it: the key labelled A sits where a US keyboard has Q, "-" on the
# US 6 key. The kernel's US map would read "bqton6test6pqssphrqse".
AZERTY_KEYS = {"a": "q", "q": "a", "z": "w", "w": "z", "m": ";", "-": "6"}


def _azerty_steps(ctx):
    _answer_on_tty0(ctx, PROMPT_FOR,
                    "".join(AZERTY_KEYS.get(c, c) for c in ctx.fx["passphrase"]) + "\n",
                    "the passphrase")
    try:
        ctx.wait(r"^Unlocked \S+ as root\.$|No key available", timeout=60)
    except VMError:
        raise Failure("no answer to the passphrase typed on tty0") from None
    if re.search(r"No key available", ctx.vm.output):
        raise Failure("the passphrase typed on an AZERTY keyboard was refused: the "
                      "console keymap was not loaded before the prompt")


def _md_ask_tty0_steps(ctx):
    ctx.wait(MD_ASK_SAYS, timeout=MARKER_TIMEOUT)
    _answer_on_tty0(ctx, MD_ASK_PROMPT, "y\n", "the y", timeout=30)


def _check_tty0(ctx, out):
    asked = re.findall(r"Please enter passphrase for disk", out)
    if len(asked) != 2:
        raise Failure(f"{len(asked)} passphrase prompts on ttyS0, expected 2")
    if ctx.fx["passphrase"] in out or "not-the-passphrase" in out:
        raise Failure("a typed passphrase shows on ttyS0")


class RescueScenario(Scenario):
    """No marker: the rescue shell is the end. disks: the fixture's disks attached
    (None: none)."""

    def run(self, images, fxs, log_path):
        fx = fxs[self.fixture]
        initrd = images.get(self.image)
        k = kernel.ensure()
        t0 = time.monotonic()
        all_disks = fixtures.disks(fx) if self.disks else []
        disks = [all_disks[i] for i in self.disks or []]
        with VM(k["vmlinuz"], initrd, disks=disks, append=self.cmdline(fx),
                timeout=BOOT_TIMEOUT, console_log=log_path, name=self.name) as vm:
            vm.dump = lambda n=60: None
            ctx = Ctx(vm, fx)
            try:
                self.steps(ctx)
            except _Done:
                pass
            except VMError as e:
                raise Failure(_why(str(e), vm.output)) from None
        return time.monotonic() - t0


# --- resume from hibernation ---------------------------------------------------------

RESUME_SWAP_UUID = fixtures.fixed_uuid("resume", "swap")
RESUME_SWAP_MB = 256
RESUME_MEM = "512M"

# The real root of the resume scenario. With baton.test.hibernate=1 on the command
# line it enables the swap disk and hibernates to it; the line after the write to
# /sys/power/state runs only in the system that was *resumed* (a hibernation that
# powers off never comes back in the same boot), and prints the boot's random token.
RESUME_INIT = """#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
read up rest < /proc/uptime
echo "BATON-ROOT-INIT uptime=$up"
echo "BATON-ROOT-MOUNT $(grep ' / ' /proc/mounts | tail -n 1)"
if grep -q 'baton.test.hibernate=1' /proc/cmdline; then
  token=$(cat /proc/sys/kernel/random/uuid)
  swapon /dev/vdb && echo "BATON-SWAP-ON $(grep -c vdb /proc/swaps)"
  echo "BATON-HIBERNATE-TOKEN $token"
  echo shutdown > /sys/power/disk
  if echo disk > /sys/power/state; then
    echo "BATON-RESUMED-$token"
  else
    echo "BATON-HIBERNATE-FAILED"
  fi
fi
echo "BATON-ROOT-DONE"
sync
poweroff -f
"""


def make_swap_disk(path, size_mb=RESUME_SWAP_MB, uuid=RESUME_SWAP_UUID):
    """A whole-disk swap area (mkswap on the host), sparse."""
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    subprocess.run(["mkswap", "-U", uuid, "-L", "batonswap", path], check=True,
                   capture_output=True)


def blkid_type(path):
    r = subprocess.run(["blkid", "-p", "-o", "value", "-s", "TYPE", path],
                       capture_output=True, text=True)
    return r.stdout.strip()


def _first_of(out, lines_rx, want):
    """What stage 1 did first among the lines matching LINES_RX: a Failure unless it
    starts with WANT (the resume decision before anything of the root)."""
    order = [l for l in out.splitlines() if re.match(lines_rx, l)]
    if not order or not order[0].startswith(want):
        return order[:3]
    return None


def hibernate_boot(k, initrd, disks, append, log, name, no_image_rx, steps=None):
    """Boot 1 of a resume scenario: stage 1 prints NO_IMAGE_RX (no image yet) before
    anything of the root, the root's init swapon's and hibernates, QEMU exits.
    STEPS(vm), when given, runs first (e.g. types a passphrase).
    Returns (boot 1's token, its console)."""
    with VM(k["vmlinuz"], initrd, disks=disks, mem=RESUME_MEM,
            append=append + " baton.test.hibernate=1", timeout=BOOT_TIMEOUT,
            console_log=log, name=name) as vm:
        vm.dump = lambda n=60: None
        try:
            if steps:
                steps(vm)
            vm.wait_for(no_image_rx, timeout=MARKER_TIMEOUT)
            vm.wait_for(MARKER, timeout=MARKER_TIMEOUT)
            vm.wait_for(r"^BATON-SWAP-ON 1", timeout=30)
            token = vm.wait_for(r"^BATON-HIBERNATE-TOKEN (\S+)", timeout=30).group(1)
            rc = vm.wait_exit(BOOT_TIMEOUT)
        except VMError as e:
            raise Failure("boot 1: " + _why(str(e), vm.output)) from None
        out = vm.output
    if re.search(r"BATON-RESUMED-|BATON-HIBERNATE-FAILED", out):
        raise Failure(f"boot 1 did not power off after writing the image "
                      f"(QEMU exit {rc}); see {log}")
    early = _first_of(out, r"baton: (resume: no hibernation image|checking|mounted) ",
                      "baton: resume: no hibernation image")
    if early is not None:
        raise Failure(f"boot 1: the root was checked or mounted before the resume "
                      f"decision: {early}")
    return token, out


def resume_boot(k, initrd, disks, append, log, name, found_rxs, token, steps=None):
    """Boot 2 of a resume scenario: each of FOUND_RXS in turn, then boot 1's init
    printing its TOKEN (the image restored) and powering off; the root was neither
    checked nor mounted first. STEPS(vm), when given, runs first. Returns the console."""
    with VM(k["vmlinuz"], initrd, disks=disks, mem=RESUME_MEM, append=append,
            timeout=BOOT_TIMEOUT, console_log=log, name=name) as vm:
        vm.dump = lambda n=60: None
        try:
            if steps:
                steps(vm)
            for rx in found_rxs:
                vm.wait_for(rx, timeout=MARKER_TIMEOUT)
            vm.wait_for(r"^BATON-RESUMED-" + re.escape(token) + r"\s*$", timeout=BOOT_TIMEOUT)
            vm.wait_for(r"^BATON-ROOT-DONE", timeout=60)
            vm.wait_exit(60)
        except VMError as e:
            raise Failure("boot 2: " + _why(str(e), vm.output)) from None
        out = vm.output
    if re.search(r"was not seen|BATON-ROOT-INIT|baton: switching to root", out):
        raise Failure("boot 2 booted the root afresh: it did not resume")
    if re.search(r"^BATON-ROOT-MOUNT", out, re.M):
        raise Failure("boot 2 printed the fresh init's mount line")
    early = _first_of(out, r"baton: (resume: hibernation image found|checking|mounted) ",
                      "baton: resume: hibernation image found")
    if early is not None:
        raise Failure(f"boot 2: the root was checked or mounted before the resume: {early}")
    return out


class ResumeScenario(Scenario):
    """Two boots of the generic image with `resume=UUID=<swap>` and a swap disk (vdb).
    Boot 1: the swap holds no image (stage 1 says so and boots on), the real root
    hibernates to it (QEMU exits: the guest powered off). Boot 2: stage 1 finds the
    image and writes /sys/power/resume; the kernel restores boot 1's system, whose
    init prints BATON-RESUMED-<boot 1's token>; the fresh init never runs."""

    own_fixture = True
    init_script = RESUME_INIT
    found = r"\(swsuspend UUID=" + RESUME_SWAP_UUID
    # Boot 1's line for vdb without an image, and what the image probes as after it.
    no_image = r"\(TYPE=swap\)"
    written_type = "swsuspend"

    def make_swap(self, work):
        """The swap disk (vdb) in WORK; returns (its path, the resume= options)."""
        swap = os.path.join(work, "swap.img")
        make_swap_disk(swap)
        return swap, f"resume=UUID={RESUME_SWAP_UUID}"

    def run(self, images, fxs, log_path):
        fx = fixtures.build("plain", root=rootfs.real_root(init_script=self.init_script))
        initrd = images.get(self.image)
        k = kernel.ensure()
        t0 = time.monotonic()
        work = tempfile.mkdtemp(prefix="baton-resume-")
        try:
            swap, resume = self.make_swap(work)
            append = f"root=LABEL=batonroot {resume} no_console_suspend"
            disks = fixtures.disks(fx) + [Disk(swap, serial="swap", snapshot=False)]
            token, _ = hibernate_boot(
                k, initrd, disks, append, log_path.replace(".log", "-1.log"), self.name + "-1",
                r"^baton: resume: no hibernation image on /dev/vdb " + self.no_image +
                r"; booting on")
            t1 = time.monotonic() - t0
            if self.written_type and blkid_type(swap) != self.written_type:
                raise Failure(f"after boot 1 the swap disk probes as "
                              f"TYPE={blkid_type(swap)!r}, not {self.written_type}: no image "
                              f"written")
            self.check_written(swap)
            resume_boot(k, initrd, disks, append, log_path, self.name,
                        [r"^baton: resume: hibernation image found on /dev/vdb " + self.found],
                        token)
            t2 = time.monotonic() - t0 - t1
            self.details = (f"boot 1 (no image, hibernate, power off) {t1:.1f} s; boot 2 "
                            f"(image found, resumed boot 1's init, token {token[:8]}…) "
                            f"{t2:.1f} s")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return time.monotonic() - t0

    def check_written(self, swap):
        pass


# A swap FILE on an ext4 disk (vdb), found by the filesystem's UUID and resume_offset=.
RESUME_FILE_FS_UUID = fixtures.fixed_uuid("resume", "swapfs")
RESUME_FILE_INIT = RESUME_INIT.replace(
    'swapon /dev/vdb && echo "BATON-SWAP-ON $(grep -c vdb /proc/swaps)"',
    'mkdir -p /mnt && mount -t ext4 /dev/vdb /mnt && swapon /mnt/swapfile && '
    'echo "BATON-SWAP-ON $(grep -c "^/mnt/swapfile " /proc/swaps)"')


class ResumeFileScenario(ResumeScenario):
    """resume=UUID=<ext4> resume_offset=<the swap file's first block>: the swap is a file
    on an ext4 disk (made on the host: mkswap on a file filled with a pattern, so that
    mkfs.ext4 -d allocates every block; its first physical block from debugfs bmap).
    Boot 1: "swap header at page N" (libblkid says ext4; stage 1 reads the page itself),
    the root's init mounts vdb, swapon's the file and hibernates into it. Boot 2: the
    signature at resume_offset; stage 1 writes resume_offset and the device; resumed."""

    init_script = RESUME_FILE_INIT
    no_image = r"\(swap header at page \d+\)"
    written_type = "ext4"
    found = r"\(ext4 UUID=" + RESUME_FILE_FS_UUID + r", \d+:\d+\); resuming"

    def make_swap(self, work):
        tree = os.path.join(work, "swapfs")
        os.makedirs(tree)
        swapfile = os.path.join(tree, "swapfile")
        with open(swapfile, "wb") as f:
            chunk = b"\x55" * (1 << 20)
            for _ in range(RESUME_SWAP_MB):
                f.write(chunk)
        subprocess.run(["mkswap", "-U", RESUME_SWAP_UUID, swapfile], check=True,
                       capture_output=True)
        os.chmod(swapfile, 0o600)
        image = os.path.join(work, "swapfs.img")
        with open(image, "wb") as f:
            f.truncate((RESUME_SWAP_MB + 48) << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-U", RESUME_FILE_FS_UUID,
                        "-d", tree, image], check=True, capture_output=True)
        shutil.rmtree(tree)
        r = subprocess.run(["debugfs", "-R", "bmap /swapfile 0", image], capture_output=True,
                           text=True, check=True)
        self.offset = int(r.stdout.split()[-1])
        return image, f"resume=UUID={RESUME_FILE_FS_UUID} resume_offset={self.offset}"

    def check_written(self, image):
        with open(image, "rb") as f:
            f.seek(self.offset * 4096 + 4096 - 10)
            sig = f.read(10)
        if not sig.startswith(b"S1SUSPEND"):
            raise Failure(f"after boot 1 page {self.offset} of vdb ends {sig!r}, not the "
                          f"hibernation signature: no image written into the swap file")

# Swap on a two-member RAID1 (md 1.2 metadata), root elsewhere (the plain fixture).
RESUME_MD_LABEL = "batonmdswap"
RESUME_MD_MB = 288
# RESUME_INIT with the swap on the active md array instead of vdb.
RESUME_MD_INIT = RESUME_INIT.replace(
    'swapon /dev/vdb && echo "BATON-SWAP-ON $(grep -c vdb /proc/swaps)"',
    'md=$(sed -n "s/^\\(md[0-9]*\\) : active.*/\\1/p" /proc/mdstat | head -n 1)\n'
    '  swapon /dev/$md && echo "BATON-SWAP-ON $(grep -c "^/dev/$md " /proc/swaps)"')
RESUME_MD_BUILD = fixtures.SH_PRELUDE + f"""
A=$(by_serial swapa)
B=$(by_serial swapb)
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 --assume-clean \\
  --name=swap $A $B
wait_dev /dev/md0
mkswap -L {RESUME_MD_LABEL} /dev/md0
sync
mdadm --stop /dev/md0
"""


class ResumeDegradedScenario(Scenario):
    """resume=LABEL= of a swap on a RAID1 whose second member is missing in boot 2,
    the root on another disk (found at once). Boot 1: both members; stage 1 assembles
    the array, finds plain swap; the root's init hibernates onto the array. Boot 2:
    member 2 replaced by a blank disk: stage 1 must start the array degraded at quiet
    and resume the image on it before anything of the root is touched."""

    own_fixture = True

    def run(self, images, fxs, log_path):
        fx = fixtures.build("plain", root=rootfs.real_root(init_script=RESUME_MD_INIT))
        initrd = images.get(self.image)
        k = kernel.ensure()
        append = f"root=LABEL=batonroot resume=LABEL={RESUME_MD_LABEL} no_console_suspend"
        t0 = time.monotonic()
        work = tempfile.mkdtemp(prefix="baton-resume-md-")
        try:
            a, b, blank = (os.path.join(work, n) for n in ("swapa.img", "swapb.img",
                                                           "blank.img"))
            for path in (a, b, blank):
                with open(path, "wb") as f:
                    f.truncate(RESUME_MD_MB << 20)
            fixtures.run_builder(RESUME_MD_BUILD, [Disk(a, serial="swapa", snapshot=False),
                                                   Disk(b, serial="swapb", snapshot=False)],
                                 {}, log_path.replace(".log", "-builder.log"))
            tb = time.monotonic() - t0
            disks1 = fixtures.disks(fx) + [Disk(a, serial="swapa", snapshot=False),
                                           Disk(b, serial="swapb", snapshot=False)]
            token, _ = hibernate_boot(
                k, initrd, disks1, append, log_path.replace(".log", "-1.log"), self.name + "-1",
                r"^baton: resume: no hibernation image on /dev/md\d+ \(TYPE=swap\); booting on")
            t1 = time.monotonic() - t0 - tb
            # Boot 2: the second member is gone (a blank disk in its place keeps the
            # device layout the resumed kernel knows).
            disks2 = fixtures.disks(fx) + [Disk(a, serial="swapa", snapshot=False),
                                           Disk(blank, serial="swapb", snapshot=False)]
            resume_boot(k, initrd, disks2, append, log_path, self.name,
                        [r"WARNING: starting /dev/md\d+ degraded",
                         r"^baton: resume: hibernation image found on /dev/md\d+ \(swsuspend"],
                        token)
            t2 = time.monotonic() - t0 - tb - t1
            self.details = (f"builder {tb:.1f} s; boot 1 (both members, no image, hibernate) "
                            f"{t1:.1f} s; boot 2 (one member: started degraded, image "
                            f"found, resumed boot 1's init, token {token[:8]}…) {t2:.1f} s")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return time.monotonic() - t0


# Debian's installer layout (fixtures' luks-lvm-swap): LUKS on the disk, a VG with the
# root LV and swap_1. RESUME_INIT with the swap on swap_1 (found by its dm name in sysfs:
# the root's /dev is stage 1's devtmpfs, which has /dev/dm-N but no /dev/mapper names).
RESUME_LAPTOP_INIT = RESUME_INIT.replace(
    'swapon /dev/vdb && echo "BATON-SWAP-ON $(grep -c vdb /proc/swaps)"',
    'for d in /sys/block/dm-*; do\n'
    f'    [ "$(cat $d/dm/name)" = {fixtures.dm_name(fixtures.LAPTOP_VG, "swap_1")} ] && '
    'sw=/dev/${d##*/}\n'
    '  done\n'
    '  swapon $sw && echo "BATON-SWAP-ON $(grep -c "^$sw " /proc/swaps)"')


# The laptop's own host-only image: its LVM backup (vgcfgbackup's shape) with both LVs.
LAPTOP_LVM_BACKUP = """# Generated by the QEMU tests: luks-lvm-swap's VG as vgcfgbackup describes it
contents = "Text Format Volume Group"
version = 1

{vg} {{
	physical_volumes {{
		pv0 {{
			device = "/dev/mapper/{pv}"
		}}
	}}
	logical_volumes {{
		root {{
			segment_count = 1
			segment1 {{
				start_extent = 0
				type = "striped"
				stripe_count = 1
				stripes = ["pv0", 0]
			}}
		}}
		swap_1 {{
			segment_count = 1
			segment1 {{
				start_extent = 0
				type = "striped"
				stripe_count = 1
				stripes = ["pv0", 9]
			}}
		}}
	}}
}}
"""


def laptop_native_image(images, fx):
    """The host-only image of a laptop installed as luks-lvm-swap, built with
    --storage-tools native (neither cryptsetup nor lvm in it): its sysroot has the
    installer's files: fstab (/dev/mapper/<vg>-root), crypttab (`none`: the passphrase
    is asked), /etc/initramfs-tools/conf.d/resume (RESUME=/dev/mapper/<vg>-swap_1: the
    image's resume default, no resume= on the command line) and the VG's backup.
    Returns the image's path (built once per run)."""
    from . import bench_boot  # bench_boot imports this module
    out = os.path.join(images.dir, "resume-laptop-native.img")
    if os.path.exists(out):
        return out
    d = os.path.join(images.dir, "sysroot-resume-laptop-native")
    if os.path.exists(d):
        shutil.rmtree(d)
    bench_boot.make_sysroot(d, {}, "plain", busybox="static")
    etc = os.path.join(d, "etc")
    files = {
        "fstab": f"/dev/mapper/{fx['root_dm']} / ext4 errors=remount-ro 0 1\n",
        "crypttab": f"{fx['luks_name']} UUID={fx['luks_uuids'][0]} none luks,discard\n",
        "initramfs-tools/conf.d/resume": f"RESUME=/dev/mapper/{fx['swap_dm']}\n",
        f"lvm/backup/{fx['vg']}": LAPTOP_LVM_BACKUP.format(vg=fx["vg"], pv=fx["luks_name"]),
    }
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(etc, rel)), exist_ok=True)
        with open(os.path.join(etc, rel), "w") as f:
            f.write(text)
    mkinitramfs(images.bins, out, ["--sysroot", d, "--storage-tools", "native"])
    listing = image_listing(images.bins, out)
    bad = [l for l in listing if re.search(r"(^|/)(cryptsetup|lvm|lvm2|dmsetup)(\s|$)|"
                                           r"libcryptsetup|libdevmapper", l)]
    if bad:
        raise Failure(f"{out}: --storage-tools native still has {bad[:5]}")
    if not any(re.search(r"(^|/)conf/conf\.d/resume(\s|$)", l) for l in listing):
        raise Failure(f"{out}: no /conf/conf.d/resume (the sysroot's RESUME=)")
    return out


class ResumeLuksLvmScenario(Scenario):
    """resume=/dev/mapper/<vg>-swap_1 and root=/dev/mapper/<vg>-root on one LUKS2
    container holding a VG (the installer's "guided, encrypted LVM"), generic image (no
    crypttab: baton asks for the passphrase). Both boots: the passphrase is typed at the
    prompt; the unlock and the VG's activation come before the resume decision, the
    decision before anything of the root. Boot 1: plain swap on swap_1, the root's init
    hibernates onto it. Boot 2 (same disk, written through a qcow2 overlay of the cached
    fixture): the image found on swap_1 and resumed.
    ROOT_ELSEWHERE: the root is the plain fixture's (vda, found at once; the encrypted
    disk is vdb), the passphrase typed PASS_DELAY s after the prompt, well past the
    quiet grace: the gate must wait for the prompt, not say "not seen".
    BY_UUID: resume=UUID= of swap_1's swap area instead of its /dev/mapper name: the
    UUID only exists once the container is unlocked and the VG active."""

    own_fixture = True

    def __init__(self, *args, root_elsewhere=False, pass_delay=SEND_DELAY, by_uuid=False,
                 **kw):
        super().__init__(*args, **kw)
        self.root_elsewhere, self.pass_delay = root_elsewhere, pass_delay
        self.by_uuid = by_uuid

    def run(self, images, fxs, log_path):
        root = rootfs.real_root(init_script=RESUME_LAPTOP_INIT)
        fx = fixtures.build("luks-lvm-swap", root=root)
        k = kernel.ensure()
        append = f"root=/dev/mapper/{fx['root_dm']} no_console_suspend"
        root_disks = []
        if self.root_elsewhere:
            plain = fixtures.build("plain", root=root)
            root_disks = fixtures.disks(plain)
            append = f"root=PARTUUID={plain['partuuid']} no_console_suspend"
        if self.image == "resume-laptop-native":
            # the resume device is the image's default (the sysroot's RESUME=)
            initrd = laptop_native_image(images, fx)
        else:
            initrd = images.get(self.image)
            append += (f" resume=UUID={fx['swap_uuid']}" if self.by_uuid
                       else f" resume=/dev/mapper/{fx['swap_dm']}")
        t0 = time.monotonic()
        work = tempfile.mkdtemp(prefix="baton-resume-luks-")
        try:
            # Both boots write the one disk; the overlay keeps the cached fixture as built.
            src = fx["disks"][0]
            overlay = os.path.join(work, "disk0.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                            src["path"], overlay], check=True)
            disks = root_disks + [Disk(overlay, serial=src["serial"], snapshot=False,
                                       fmt="qcow2")]
            unlocks = []

            def passphrase(vm):
                ctx = Ctx(vm, fx)
                ctx.wait(r"passphrase[^\n]*:\s*$", partial=True)
                ctx.type(fx["passphrase"], delay=self.pass_delay)
                m = ctx.wait(r"unlocked \S+ as \S+ with a passphrase.*$")
                unlocks.append(m.group(0))
                if self.image == "resume-laptop-native" and "natively" not in m.group(0):
                    raise Failure(f"expected baton's own unlock, saw {m.group(0)!r}")

            dm = r"/dev/dm-\d+"
            token, out1 = hibernate_boot(
                k, initrd, disks, append, log_path.replace(".log", "-1.log"),
                self.name + "-1",
                rf"^baton: resume: no hibernation image on {dm} \(TYPE=swap\); booting on",
                steps=passphrase)
            t1 = time.monotonic() - t0
            out2 = resume_boot(k, initrd, disks, append, log_path, self.name,
                               [rf"^baton: resume: hibernation image found on {dm} "
                                r"\(swsuspend"], token, steps=passphrase)
            t2 = time.monotonic() - t0 - t1
            for i, out in enumerate((out1, out2), 1):
                self.check_order(i, out)
                if self.root_elsewhere:
                    self.check_held(i, out)
                if self.image == "resume-laptop-native":
                    self.check_native(i, out, fx)
            self.details = (f"boot 1 (passphrase, no image on swap_1, hibernate) {t1:.1f} s; "
                            f"boot 2 (passphrase, image found on swap_1, resumed boot 1's "
                            f"init, token {token[:8]}…) {t2:.1f} s; fixture built in "
                            f"{fx['build_seconds']} s")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return time.monotonic() - t0

    def check_held(self, boot, out):
        """Root elsewhere: the root was found before the prompt was answered, and still
        the decision came after the unlock (checked by check_order): the gate held."""
        lines = out.splitlines()
        found = next((i for i, l in enumerate(lines)
                      if re.match(r"baton: root device \S+ \(ext4\) found", l)), None)
        unlock = next((i for i, l in enumerate(lines)
                       if re.search(r"unlocked \S+ as \S+ with a passphrase", l)), None)
        if found is None or unlock is None or found > unlock:
            raise Failure(f"boot {boot}: expected the root found before the unlock (root "
                          f"line {found}, unlock line {unlock})")

    @staticmethod
    def check_native(boot, out, fx):
        """The image's RESUME= default was read (the LVs were activated by baton: the
        image has no lvm tool, laptop_native_image checked)."""
        want = [rf"^baton: resume=/dev/mapper/{re.escape(fx['swap_dm'])} from "
                r"/conf/conf\.d/resume$"]
        for rx in want:
            if not re.search(rx, out, re.M):
                raise Failure(f"boot {boot}: expected /{rx}/ on the console, not seen")

    @staticmethod
    def check_order(boot, out):
        """The unlock, then the resume decision, in that order on the console."""
        lines = out.splitlines()
        unlock = next((i for i, l in enumerate(lines)
                       if re.search(r"unlocked \S+ as \S+ with a passphrase", l)), None)
        decided = next((i for i, l in enumerate(lines)
                        if re.match(r"baton: resume: (no hibernation image|hibernation "
                                    r"image found) ", l)), None)
        if unlock is None or decided is None or unlock > decided:
            raise Failure(f"boot {boot}: expected the unlock before the resume decision "
                          f"(unlock line {unlock}, decision line {decided})")


SCENARIOS = [
    # QEMU's TCG CPU has no SSE4.2: crc32c_intel (ext4's softdep) is not tried.
    Scenario("plain-label", "plain", lambda fx: "root=LABEL=batonroot",
             expect=[ROOT_EXT4, r"^baton: not loaded, for CPU features this CPU lacks: "
                                r"(\S+ )*crc32c_intel( |$)"]),
    Scenario("plain-uuid", "plain", lambda fx: f"root=UUID={fx['root_uuid']}",
             expect=[ROOT_EXT4]),
    Scenario("plain-partuuid", "plain", lambda fx: f"root=PARTUUID={fx['partuuid']}",
             expect=[ROOT_EXT4]),
    Scenario("plain-devname", "plain", "root=/dev/vda1", expect=[r"^BATON-ROOT-MOUNT /dev/vda1 / ext4"]),
    Scenario("raid1", "raid1", expect=[CLEAN_MD, r"\[UU\]"]),
    Scenario("udevd-plain", "plain", lambda fx: "root=LABEL=batonroot", image="udevd",
             expect=[ROOT_EXT4, UDEVD_FOLLOWED, UDEVD_STOPPED]),
    Scenario("udevd-raid1-degraded", "raid1", disks=[0], image="udevd",
             expect=[r"^BATON-MD-DEGRADED /sys/block/md\w+/md/degraded 1", UDEVD_FOLLOWED,
                     r"^baton: starting /dev/md\w+ degraded: quiet for ", UDEVD_STOPPED]),
    Scenario("udevd-broken", "plain", "root=LABEL=batonroot", image="udevd-broken",
             expect=[ROOT_EXT4, UDEVD_FOLLOWED,
                     r"^baton: udevd stopped in stage 1 \(respawning too fast\); baton's own "
                     r"uevent bridge handles the devices"],
             forbid=[UDEVD_STOPPED]),
    Scenario("udevd-off", "plain", "root=LABEL=batonroot baton.udevd=0", image="udevd",
             expect=[ROOT_EXT4, r"^baton: baton.udevd=0: /lib/systemd/systemd-udevd is not "
                                r"started"],
             forbid=[UDEVD_FOLLOWED]),
    Scenario("raid1-degraded", "raid1", disks=[0],
             expect=[r"^BATON-MD-DEGRADED /sys/block/md\w+/md/degraded 1"]),
    Scenario("raid1-degraded-ask", "raid1", disks=[0],
             append=lambda fx: f"{fx['cmdline']} baton.md.degraded=ask rootdelay=5",
             steps=_md_ask_yes_steps, post=_check_md_ask_yes,
             expect=[r"^BATON-MD-DEGRADED /sys/block/md\w+/md/degraded 1",
                     r"answered yes: starting them degraded"],
             forbid=[r"rootdelay=\)", r"rescue shell"],
             doc="baton.md.degraded=ask, one member of two: the console question is "
                 "answered y 8 s after it shows (past rootdelay=5: no timer on it), the "
                 "array runs degraded and the root boots"),
    Scenario("raid1-degraded-ask-tty0", "raid1", disks=[0],
             append=lambda fx: f"{fx['cmdline']} baton.md.degraded=ask rootdelay=5 "
                               "console=tty0 console=ttyS0",
             steps=_md_ask_tty0_steps,
             expect=[r"^BATON-MD-DEGRADED /sys/block/md\w+/md/degraded 1", ANSWERED_ON_TTY0,
                     r"answered yes: starting them degraded"],
             doc="raid1-degraded-ask with console=tty0 console=ttyS0: the question is "
                 "answered y on the keyboard (tty0), not on /dev/console"),
    RescueScenario("raid1-degraded-ask-no", "raid1",
                   lambda fx: f"{fx['cmdline']} baton.md.degraded=ask rootdelay=5 panic=0",
                   disks=[0], steps=_md_ask_no_steps,
                   doc="the same question answered n: the array stays inactive and, the "
                       "root on it, the boot ends at the rescue shell after rootdelay="),
    Scenario("luks-keyfile", "luks-keyfile", image="crypttab", expect=[ROOT_EXT4],
             forbid=[r"Please enter passphrase"]),
    Scenario("luks-pass", "luks-pass", steps=_luks_pass_steps, expect=[ROOT_EXT4]),
    Scenario("lvm", "lvm", expect=[r"^BATON-ROOT-MOUNT /dev/(mapper/vgbaton-root|vgbaton/root|dm-\d+) / ext4"]),
    NoLvmToolScenario("lvm-native", "lvm",
                      lambda fx: f"root=/dev/{fx['vg']}/{fx['lv']} break=premount",
                      image="lvm-native", steps=_lvm_native_steps,
                      expect=LVM_NATIVE_EXPECT + [
                          r"^BATON-ROOT-MOUNT /dev/(vgbaton/root|mapper/vgbaton-root|dm-\d+) "
                          r"/ ext4"],
                      forbid=[r"needs the lvm tool", r"cannot activate"],
                      doc="host-only image built with the default --storage-tools auto, which "
                          "leaves lvm out (the backup's LV is linear): baton activates the "
                          "LV itself, root=/dev/VG/LV"),
    Scenario("raid-luks-lvm", "raid-luks-lvm", image="crypttab", expect=[CLEAN_MD, ROOT_EXT4],
             forbid=[r"Please enter passphrase"]),
    NoCryptsetupScenario("luks-keyfile-native", "luks-keyfile", image="luks-native-keyfile",
                         expect=[ROOT_EXT4, r"unlocked \S+ as root with key file .*natively"],
                         forbid=[r"Please enter passphrase"],
                         doc="host-only image built with --storage-tools native: no "
                             "cryptsetup, baton opens LUKS2 with the crypttab key file"),
    NoCryptsetupScenario("luks-pass-native", "luks-pass", image="luks-native-pass",
                         steps=_luks_pass_steps,
                         expect=[ROOT_EXT4, r"No key available with this passphrase",
                                 r"unlocked \S+ as root with a passphrase .*natively"],
                         doc="no cryptsetup: a wrong passphrase, then the right one"),
    NoCryptsetupScenario("luks-pass-tty0-native", "luks-pass",
                         lambda fx: f"{fx['cmdline']} console=tty0 console=ttyS0",
                         image="luks-native-pass", steps=_tty0_steps, post=_check_tty0,
                         expect=[ROOT_EXT4, ANSWERED_ON_TTY0,
                                 r"No key available with this passphrase",
                                 r"unlocked \S+ as root with a passphrase .*natively"],
                         doc="console=tty0 console=ttyS0 (/dev/console is ttyS0): a wrong "
                             "then the right passphrase typed on the keyboard (tty0); "
                             "ttyS0 is told both answers came from tty0"),
    NoCryptsetupScenario("luks-pass-azerty-tty0-native", "luks-pass",
                         lambda fx: f"{fx['cmdline']} console=tty0 console=ttyS0",
                         image="luks-native-pass-azerty", steps=_azerty_steps,
                         expect=[ROOT_EXT4, ANSWERED_ON_TTY0,
                                 r"console keymap loaded from /etc/baton/keymap\.bmap",
                                 r"unlocked \S+ as root with a passphrase .*natively"],
                         forbid=[r"No key available"],
                         doc="a French host's image (its console-setup keymap carried by "
                             "default): the passphrase typed on the AZERTY keyboard (tty0) "
                             "opens the root at the first try"),
    NoLvmToolScenario("lvm-striped-native", "lvm-striped",
                      lambda fx: f"root=/dev/{fx['vg']}/{fx['lv']} break=premount",
                      image="lvm-striped-native", steps=_lvm_native_steps,
                      expect=LVM_STRIPED_EXPECT + [
                          r"^BATON-ROOT-MOUNT /dev/(vgstripe/root|mapper/vgstripe-root|dm-\d+)"
                          r" / ext4"],
                      forbid=[r"needs the lvm tool", r"cannot activate"],
                      doc="an LV striped over two PVs, host-only --storage-tools auto (no lvm): "
                          "baton's striped table reads the ext4 lvm wrote (fsck, mount)"),
    NoLvmToolScenario("lvm-striped-late-native", "lvm-striped",
                      lambda fx: f"root=/dev/{fx['vg']}/{fx['lv']} break=premount",
                      image="lvm-striped-native", disks=[0], steps=_lvm_striped_late_steps,
                      expect=LVM_STRIPED_EXPECT + [
                          r"^\[ *[0-9]+\.[0-9]+\] baton: lvm-activate: vgstripe/root waits "
                          r"for PV \S+$",
                          r"^BATON-ROOT-MOUNT /dev/(vgstripe/root|mapper/vgstripe-root|dm-\d+)"
                          r" / ext4"],
                      forbid=[r"needs the lvm tool", r"cannot activate"],
                      doc="the striped LV's second PV hot-added 10 s after baton starts: the "
                          "first PV's run waits, the second's activates"),
    NoCryptsetupScenario("raid-luks-lvm-native", "raid-luks-lvm", image="stack-native",
                         no_lvm=True,
                         expect=[CLEAN_MD, ROOT_EXT4, r"unlocked \S+ as stack with key file"
                                 r" .*natively"],
                         forbid=[r"Please enter passphrase"],
                         doc="RAID1 -> LUKS2 -> LVM, host-only --storage-tools native: "
                             "neither cryptsetup nor lvm in the image"),
    Scenario("luks2x-raid-lvm", "luks2x-raid-lvm", image="crypttab",
             expect=[CLEAN_MD, ROOT_EXT4], forbid=[r"Please enter passphrase"]),
    Scenario("luks2x-two-prompts", "luks2x-raid-lvm", steps=_two_prompts_steps,
             post=_check_prompts, expect=[CLEAN_MD, ROOT_EXT4],
             doc="two LUKS devices prompting at once: one prompt at a time"),
    NoCryptsetupScenario("luks2x-two-prompts-native", "luks2x-raid-lvm",
                         image="luks2x-native-pass", no_lvm=True, steps=_two_prompts_steps,
                         post=_check_prompts,
                         expect=[CLEAN_MD, ROOT_EXT4] + [
                             rf"unlocked \S+ as crypt{i} with a passphrase .*natively"
                             for i in (0, 1)],
                         doc="luks2x-two-prompts on a host-only --storage-tools native image "
                             "(crypttab `none` for both): neither cryptsetup nor lvm"),
    Scenario("luks-argon2", "luks-argon2", steps=_argon2_steps, post=_unlock_times,
             expect=[ROOT_EXT4, r"No key available with this passphrase",
                     r"unlocked \S+ as \S+ with a passphrase\r?$"],
             forbid=[r"natively"],
             doc="LUKS2 argon2id key slots (Debian's default kdf), generic image: "
                 "cryptsetup opens it after a wrong passphrase"),
    NoCryptsetupScenario("luks-argon2-native", "luks-argon2", image="luks-argon2-native",
                         steps=_argon2_steps, post=_unlock_times,
                         expect=[ROOT_EXT4, r"No key available with this passphrase",
                                 r"unlocked \S+ as root with a passphrase \(key slot 0, "
                                 r"natively\)"],
                         doc="the same argon2id root, host-only --storage-tools native: "
                             "baton derives the argon2id key itself"),
    NoCryptsetupScenario("luks-argon2-keyfile-native", "luks-argon2",
                         image="luks-argon2-native-keyfile",
                         expect=[ROOT_EXT4, r"unlocked \S+ as root with key file \S+ "
                                 r"\(key slot 1, natively\)"],
                         forbid=[r"Please enter passphrase"],
                         doc="the argon2id root with the crypttab key file: slot 0 (the "
                             "passphrase's) refuses it, slot 1 opens"),
    Scenario("hotplug-root", "plain", disks=[], steps=_hotplug_root_steps,
             post=_check_after_hotplug, expect=[ROOT_EXT4]),
    Scenario("hotplug-raid1", "raid1", disks=[], steps=_hotplug_raid_steps,
             expect=[CLEAN_MD]),
    Scenario("raid1-readd", "raid1", disks=[0],
             append=lambda fx: f"{fx['cmdline']} break=premount", steps=_readd_steps,
             expect=READD_EXPECT),
    RescueScenario("rescue-no-root", "plain", "root=LABEL=batonroot rootdelay=3 panic=0",
                   steps=_rescue_steps),
    Scenario("break-premount", "plain", "root=LABEL=batonroot break=premount",
             steps=_break_steps, expect=[ROOT_EXT4]),
    Scenario("keymap-premount", "plain", "root=LABEL=batonroot break=premount", image="keymap",
             steps=_keymap_steps, expect=KEYMAP_EXPECT + [ROOT_EXT4],
             doc="the image's console keymap is the kernel's before stage 1 asks for input"),
    Scenario("dynbusybox-premount", "plain", "root=LABEL=batonroot break=premount",
             image="dynbusybox", steps=_dynbusybox_steps,
             expect=DYNBB_EXPECT + [ROOT_EXT4],
             forbid=[r"(^|\s)(-?/bin/)?(sh|ash): \S+: not found"],
             doc="host-only image with Debian's dynamic busybox: applets by name at "
                 "break=premount, then the boot goes on"),
    StaticToolsScenario("static-tools", "plain", "root=LABEL=batonroot",
                        image="statictools",
                        expect=[r"^baton: checking /dev/vda1: /usr/sbin/fsck\.ext4 -a",
                                r"^batonroot: clean, ", ROOT_EXT4],
                        doc="host-only image for a host with busybox-static and "
                            "e2fsck-static: no shared object in it; e2fsck.static "
                            "checks the root"),
    ResumeScenario("resume", "plain",
                   doc="resume=UUID= of a swap disk: boot 1 finds no image and hibernates; "
                       "boot 2 finds the image and resumes boot 1's system"),
    ResumeFileScenario("resume-swapfile", "plain",
                       doc="resume=UUID=<ext4> resume_offset=N of a swap file: boot 1 "
                           "hibernates into the file, boot 2 finds the signature at page N "
                           "and resumes"),
    ResumeDegradedScenario("resume-degraded", "plain",
                           doc="resume=LABEL= of a swap on a RAID1, root elsewhere: boot 1 "
                               "hibernates onto the array; boot 2 lacks a member: the array "
                               "is started degraded at quiet and the image resumed before "
                               "the root is touched"),
    ResumeLuksLvmScenario("resume-luks-lvm", "luks-lvm-swap",
                          doc="Debian's encrypted-LVM layout: resume=/dev/mapper/VG-swap_1, "
                              "root on the same VG in one LUKS2 container, the passphrase "
                              "typed at baton's prompt in both boots: unlock, VG, then the "
                              "resume decision, then the root; boot 2 resumes boot 1"),
    ResumeLuksLvmScenario("resume-luks-lvm-native", "luks-lvm-swap",
                          image="resume-laptop-native",
                          doc="the same disk with the laptop's own host-only image "
                              "(--storage-tools native: baton unlocks and activates both "
                              "LVs itself), no resume= on the command line: the resume "
                              "device is the installer's RESUME=/dev/mapper/VG-swap_1"),
    ResumeLuksLvmScenario("resume-luks-lvm-uuid", "luks-lvm-swap", by_uuid=True,
                          doc="the same layout with resume=UUID= of swap_1's swap area "
                              "(initramfs-tools' RESUME=UUID= form): found only after the "
                              "unlock and the VG's activation, then boot 2 resumes"),
    ResumeLuksLvmScenario("resume-luks-lvm-root-elsewhere", "luks-lvm-swap",
                          root_elsewhere=True, pass_delay=8,
                          doc="swap_1 of the encrypted VG on vdb, the root on the plain "
                              "disk (found at once); the passphrase typed 8 s after the "
                              "prompt (past the 2 s quiet): the gate waits for it and "
                              "resumes from swap_1"),
    Scenario("resume-not-seen", "plain",
             f"root=LABEL=batonroot resume=UUID={fixtures.fixed_uuid('resume', 'absent')}",
             expect=[r"^baton: resume: the resume device resume=UUID=\S+ was "
                     r"not seen \(no new block device for 2s after coldplug\); booting "
                     r"without resume", ROOT_EXT4],
             doc="resume= names a device that never appears: the boot goes on at quiet"),
    Scenario("usr-split", "usr-split",
             expect=[r"^BATON-USR-MOUNTED yes", r"^BATON-USR-CONTENT usr-ok"]),
]

BY_NAME = {s.name: s for s in SCENARIOS}


def fixtures_needed(scs):
    names = {s.fixture for s in scs}
    if any(s.image == "crypttab" for s in scs):
        names |= set(KEYFILE_FIXTURES)
    return sorted(names)
