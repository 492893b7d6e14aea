"""QEMU scenarios of PID 1's crash handler (sys/crash.h, supervisor/crash_plan.h):
baton crashes as PID 1 and the kernel does not panic.

    python3 -m tests.qemu.run_all --only crash-kill crash-fault crash-panic crash-stage1

  crash-kill    real root with baton as /sbin/init (handoff_scenarios' plain skeleton +
                /usr), panic=0. In stage 2 a `stage root` job runs `kill -SEGV 1`: the
                console shows "baton: PID 1 got SIGSEGV from pid <the job's pid>" and
                the plan "exec /bin/sh" (/sbin/init is baton itself: same file, left
                out); the rescue shell answers on the console as pid 1.
  crash-fault   a real fault: init=/usr/sbin/baton, /sbin/init a foreign script. The job
                zeroes PID 1's whole [stack] through /proc/1/mem (busybox dd); PID 1's
                next return jumps to 0: "baton: PID 1 crashed: SIGSEGV at address ..."
                (the handler runs on its alternate stack), init= is baton itself and
                skipped, /sbin/init (the script) runs as pid 1. Before the crash
                handler this was "Kernel panic - not syncing: Attempted to kill init!"
                (a `kill -SEGV 1` was not: the kernel drops a signal that init does not
                handle).
  crash-panic   as crash-kill with the runner's panic=-1: "next: reboot in 0 s
                (panic=)", sync, reboot(2): "reboot: Restarting system", QEMU exits.
  crash-stage1  stage 1, no disks: a stage-1 job (image built with an extra --jobs
                DIR) runs `kill -SEGV 1` at the `initramfs` event; the initramfs' rescue
                shell answers as pid 1 (/proc/1/exe is busybox, /etc/initrd-release is
                there).
Every scenario fails on "Kernel panic" anywhere on the console.
"""

import os
import re
import shutil
import time

from . import handoff_scenarios as hs
from . import fixtures, kernel, scenarios
from .scenarios import Failure
from .vm import VM, Disk, VMError

BOOT_TIMEOUT = 240
PANIC = re.compile(r"Kernel panic|Attempted to kill init")

# The stage-2 job that crashes PID 1 with a signal. It sleeps afterwards: it must not
# end the boot itself.
KILL_CHECK = """export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "CRASH-KILLER pid=$$"
usleep 500000
kill -SEGV 1
sleep 600
"""

# The stage-2 job that makes PID 1 fault for real: its stack zeroed through
# /proc/1/mem, so the next return of PID 1 (a wakeup: the ticker's log lines come
# every 0.2 s) jumps to address 0.
FAULT_CHECK = """export PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -- $(grep '\\[stack\\]' /proc/1/maps)
start=$((0x${1%-*})); end=$((0x${1#*-}))
echo "CRASH-SMASH stack $1: $(((end - start) / 4096)) pages"
dd if=/dev/zero of=/proc/1/mem bs=4096 seek=$((start / 4096)) count=$(((end - start) / 4096)) \\
  conv=notrunc 2>&1 | sed 's/^/CRASH-DD /'
sleep 600
"""

CHECK_JOB = """# baton QEMU test (tests/qemu/crash_scenarios.py): crashes PID 1 in stage 2.
description "crash PID 1"
stage root
start on startup
task
console output
exec /bin/sh /usr/lib/baton-test/check.sh
"""

# /sbin/init of crash-fault: what PID 1 becomes after the crash.
FALLBACK_INIT = """#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "CRASH-FALLBACK-INIT pid=$$ exe=$(readlink /proc/1/exe)"
sync
poweroff -f
"""

STAGE1_JOB = """# baton QEMU test (tests/qemu/crash_scenarios.py): crashes PID 1 in stage 1.
description "crash PID 1 in the initramfs"
stage initramfs
start on initramfs
task
console output
exec /bin/sh -c 'echo "CRASH-KILLER pid=$$"; kill -SEGV 1; sleep 600'
"""


def _expect(out, rx, what):
    m = re.search(rx, out, re.M)
    if not m:
        raise Failure(f"{what}: /{rx}/ not on the console")
    return m


def _no_panic(out):
    m = PANIC.search(out)
    if m:
        raise Failure(f"the kernel panicked: {m.group(0)!r}")


def _shell_answers(ctx):
    """The crash shell's prompt, then what it says about itself."""
    ctx.wait(r"\(baton crashed\) [#$] (\x1b\[6n)?$", timeout=60, partial=True)
    ctx.type('echo "CRASH-SHELL-$((40+2)) pid=$$ exe=$(readlink /proc/1/exe) '
             'initrd=$(test -e /etc/initrd-release && echo yes || echo no)"')
    m = ctx.wait(r"^CRASH-SHELL-42 pid=(\d+) exe=(\S*) initrd=(\w+)", timeout=30)
    pid, exe, initrd = m.group(1), m.group(2), m.group(3)
    if pid != "1":
        raise Failure(f"the crash shell runs as pid {pid}, not 1")
    ctx.type("poweroff -f")
    return exe, initrd


def drive_kill(ctx):
    m = ctx.wait(r"^CRASH-KILLER pid=(\d+)", timeout=BOOT_TIMEOUT)
    killer = m.group(1)
    line = ctx.wait(r"^baton: PID 1 got SIGSEGV from pid (\d+) \(uid 0\); next: (.*)$",
                    timeout=60)
    if line.group(1) != killer:
        raise Failure(f"the crash line names pid {line.group(1)}, the job was {killer}")
    if line.group(2).strip() != "exec /bin/sh, then freeze":
        raise Failure(f"plan {line.group(2)!r}: expected only the shell (/sbin/init is "
                      f"baton itself)")
    exe, initrd = _shell_answers(ctx)
    out = ctx.vm.output
    _expect(out, r"baton: crash handler \(real root\): PID 1 crash -> exec /bin/sh, then "
                 r"freeze", "stage 2's crash plan at start")
    if initrd != "no":
        raise Failure("the crash shell runs in the initramfs, not on the real root")
    return f"kill -SEGV 1 from pid {killer} -> /bin/sh as pid 1 (exe {exe})"


def drive_fault(ctx):
    ctx.wait(r"^CRASH-SMASH stack", timeout=BOOT_TIMEOUT)
    line = ctx.wait(r"^baton: PID 1 crashed: (SIG\w+) at address (0x[0-9a-f]+) "
                    r"\(code (-?\d+)\); next: (.*)$", timeout=60)
    if line.group(4).strip() != "exec /sbin/init, then exec /bin/sh, then freeze":
        raise Failure(f"plan {line.group(4)!r}: expected /sbin/init (init= is baton itself)"
                      f" then the shell")
    m = ctx.wait(r"^CRASH-FALLBACK-INIT pid=(\d+) exe=(\S*)", timeout=60)
    if m.group(1) != "1":
        raise Failure(f"/sbin/init runs as pid {m.group(1)}, not 1")
    try:
        ctx.vm.wait_exit(30)
    except VMError:
        pass
    return (f"{line.group(1)} at {line.group(2)} (code {line.group(3)}) -> /sbin/init "
            f"(script) as pid 1")


def drive_panic(ctx):
    ctx.wait(r"^CRASH-KILLER pid=(\d+)", timeout=BOOT_TIMEOUT)
    ctx.wait(r"^baton: PID 1 got SIGSEGV from pid \d+ \(uid 0\); next: reboot in 0 s "
             r"\(panic=\), then freeze$", timeout=60)
    ctx.wait(r"^baton: crash fallback: rebooting in 0 s \(panic=\)", timeout=30)
    ctx.wait(r"reboot: Restarting system", timeout=60, partial=True)
    t = time.monotonic()
    ctx.vm.wait_exit(60)
    return f"rebooted; QEMU exited {time.monotonic() - t:.1f} s after the kernel's line"


def drive_stage1(ctx):
    m = ctx.wait(r"^CRASH-KILLER pid=(\d+)", timeout=BOOT_TIMEOUT)
    line = ctx.wait(r"^baton: PID 1 got SIGSEGV from pid (\d+) \(uid 0\); next: (.*)$",
                    timeout=60)
    if line.group(1) != m.group(1):
        raise Failure(f"the crash line names pid {line.group(1)}, the job was {m.group(1)}")
    if line.group(2).strip() != "exec /bin/sh, then freeze":
        raise Failure(f"plan {line.group(2)!r}: expected the initramfs' shell only")
    exe, initrd = _shell_answers(ctx)
    if initrd != "yes":
        raise Failure("the crash shell is not in the initramfs (/etc/initrd-release missing)")
    if "busybox" not in exe:
        raise Failure(f"/proc/1/exe is {exe!r}, not busybox")
    _expect(ctx.vm.output, r"baton: crash handler \(initramfs\): PID 1 crash -> exec /bin/sh",
            "stage 1's crash plan")
    try:
        ctx.vm.wait_exit(30)
    except VMError:
        pass
    return f"kill -SEGV 1 in stage 1 -> the initramfs' /bin/sh as pid 1 (exe {exe})"


def _stage1_image(images):
    built = images.built.get("crash-stage1")
    if built:
        return built[0]
    d = os.path.join(images.dir, "crash-stage1-jobs")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "crash.conf"), "w") as f:
        f.write(STAGE1_JOB)
    out = os.path.join(images.dir, "crash-stage1.img")
    secs, size = scenarios.mkinitramfs(images.bins, out, ["--generic", "--jobs", d])
    images.built["crash-stage1"] = (out, secs, size)
    return out


class CrashScenario:
    """One boot of the plain skeleton root with /usr from usr(bins) (stage 2), or of
    the stage-1 crash image with no disks; drive(ctx) waits, types and asserts, and
    returns the details line."""

    own_fixture = True  # run_all: makes its own fixture
    known_failure = None

    def __init__(self, name, usr, drive, append="", stage1=False):
        self.name, self.usr, self.drive, self.append = name, usr, drive, append
        self.stage1 = stage1
        self.fixture = "none" if stage1 else "plain+usr"
        self.image = "crash-stage1" if stage1 else "handoff"

    def run(self, images, fxs, log_path):
        work = os.path.join(images.dir, "crash", self.name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        if self.stage1:
            initrd = _stage1_image(images)
            disks, fx = [], {}
            append = "root=LABEL=batonroot rootdelay=120 " + self.append
        else:
            initrd = hs._image(images)
            fx = hs._fixture("plain")
            usr = os.path.join(work, "usr.ext4")
            hs.make_usr(usr, self.usr(images.bins))
            disks = fixtures.disks(fx) + [Disk(usr, serial="usr")]
            append = fx["cmdline"] + " " + self.append
        k = kernel.ensure()
        t0 = time.monotonic()
        with VM(k["vmlinuz"], initrd, disks=disks, append=append.strip(),
                timeout=BOOT_TIMEOUT + 60, console_log=log_path, name=self.name) as vm:
            vm.dump = lambda n=60: None
            ctx = scenarios.Ctx(vm, fx)
            ctx.work = work
            try:
                self.details = self.drive(ctx)
            except VMError as e:
                _no_panic(vm.output)
                raise Failure(scenarios._why(str(e), vm.output)) from None
            _no_panic(vm.output)
        return time.monotonic() - t0


def _usr(check, init="baton"):
    return lambda b: hs.usr_content(b, init=init, jobs={"check": CHECK_JOB}, check=check)


SCENARIOS = [
    CrashScenario("crash-kill", _usr(KILL_CHECK), drive_kill, append="panic=0"),
    CrashScenario("crash-fault", _usr(FAULT_CHECK, init=FALLBACK_INIT), drive_fault,
                  append="init=/usr/sbin/baton panic=0"),
    CrashScenario("crash-panic", _usr(KILL_CHECK), drive_panic),
    CrashScenario("crash-stage1", None, drive_stage1, append="panic=0", stage1=True),
]

BY_NAME = {s.name: s for s in SCENARIOS}
