"""The QEMU scenarios of issue 4 (the switch from stage 1 to stage 2): baton's image
booted against a real root whose /usr holds the binary under test.

    python3 -m tests.qemu.run_all --only handoff-stacked   (run_all lists them all)

Scenarios (each one boot; what it asserts is printed by the guest, lines "HS-..."):
  handoff-stacked   RAID1 -> LUKS (key file via crypttab) -> LVM root, /sbin/init is
                    baton. The stage-1 service `ticker` (stage both) keeps its pid
                    across the switch and its log continues; `initctl log ticker` in
                    stage 2 shows its stage-1 lines; `initctl handoff-status` (text
                    and --json) shows it adopted, logs and events carried, no
                    stateless fallback; a `stage root` job ran (it prints the checks).
  handoff-hotplug   plain root with systemd-udevd; a disk is hot-added (QMP) at the
                    console line stage 1 prints when the switch starts. Stage 2 must
                    replay its uevents (the replay log names it) and udevd must have
                    a database entry for it (udevd starts after the queue was
                    collected, so only the replay can have told it).
  handoff-ladder    init=/usr/sbin/baton, which is missing: the exec ladder goes
                    (a) with state, (b) stateless, then /sbin/init, a foreign script.
  handoff-broken    init=/usr/sbin/baton, a truncated copy (the first half of the file):
                    stage 1 checks each rung before its execve, says it skips
                    /usr/sbin/baton and why (a PT_LOAD segment past the end of the
                    file), and the ladder reaches /sbin/init, a foreign script, as
                    pid 1 -- no kernel panic.
  handoff-prefail   init=/usr/sbin/baton, a whole copy whose entry point is patched to
                    read address 0 (xor %eax,%eax; mov (%rax),%eax): it passes the
                    header check and dies of SIGSEGV before main. Stage 1's preflight
                    (`baton --preflight` in a child) says so, both baton rungs are
                    skipped, /sbin/init (a foreign script) runs as pid 1 -- without
                    the preflight PID 1 itself would execve it and die ("Attempted to
                    kill init!", a kernel panic).
  handoff-corrupt   init= names a wrapper called `baton` that damages 4 bytes of the
                    handoff in transit, then execs the real baton: stage 2 starts
                    stateless and says why (log and handoff-status).
  handoff-reexec    plain root with systemd-udevd: in stage 2 the check job runs
                    `initctl reexec` once with a mode-0644 file bound over /usr/sbin/baton
                    (refused, saying
                    why, PID 1 unchanged), then for real (PID 1 re-execs it in place, its state
                    carried through the handoff), waits for handoff-status to say kind
                    re-exec, and checks that ticker and udevd keep their pids, ticker's
                    log runs on without a gap, and `initctl list` answers. The line
                    gives reexec-start -> stage2-ready beside the switch's figure.
  handoff-loader    init= names a dynamic foreign init whose libc.so.6 is renamed in its
                    DT_NEEDED (a copy of Debian's /usr/bin/env): execve would succeed and
                    ld.so would exit 127 -- PID 1 gone, a kernel panic. Stage 1's loader
                    check (the binary's own ld.so in list mode, chrooted into the new
                    root) names the missing library and skips the rung; /sbin/init, a
                    good dynamic env with its libraries, passes the same check and runs
                    the foreign init script (init args after "--") as pid 1.
  handoff-systemd   /sbin/init is Debian's systemd (its binary, libraries, systemctl and
                    systemd-analyze on /usr; a target and a service of the test's own):
                    stage 1 execs it with --switched-root --system --deserialize=FD,
                    and systemd takes the initrd timestamp from that fd: its
                    InitRDTimestampMonotonic is stage 1's start, and `systemd-analyze
                    time` prints "(initrd)" with baton's part of the boot.
  handoff-foreign   /sbin/init is a shell script: it finds /run/baton/handoff.pb
                    non-empty and `initctl handoff-status --file` decodes it; its
                    timeline ends with the `exec` mark, after root-switched.
Every baton boot prints the switch timing from handoff-status's phases
(switch-start -> exec -> stage2-start -> stage2-ready) in the PASS line's details.

Disks. The binary under test changes with every build, while the stacked disks take a
builder VM (~1 min) to make. So the real root is split the merged-/usr way: the root
filesystem (on the cached fixture disks) is a fixed skeleton -- busybox, /etc/fstab
mounting LABEL=batonusr on /usr, /lib -> usr/lib, /lib64 -> usr/lib64,
/sbin/init -> /usr/sbin/init, /etc/baton -> ../usr/lib/baton-test/etc-baton -- and
each scenario's /usr is an ext4 image made on the host with `mkfs.ext4 -d` (well
under a second) in the run's work dir: baton, initctl, their libraries, the job files,
the scenario's scripts. Stage 1 mounts /usr from the root's fstab before the switch
(as the usr-split scenario checks), so stage 1 resolves init= on the full root. The
skeleton fixtures (raid-luks-lvm and plain with SKELETON as root) are built once and
cached like every fixture.
"""

import json
import os
import re
import shutil
import subprocess
import time

from . import cpio, fixtures, kernel, rootfs, scenarios
from .scenarios import Failure
from .vm import VM, Disk, VMError

USR_LABEL = "batonusr"
USR_UUID = fixtures.fixed_uuid("handoff", "usrfs")
LATE_LABEL = "batonlate"
LATE2_LABEL = "batonlate2"
SWITCH_MARKER = r"baton: switching to root "
BOOT_TIMEOUT = 240
DONE = r"^HS-DONE"

# The fixed root filesystem: everything that changes lives on /usr.
SKELETON_FSTAB = f"LABEL={USR_LABEL} /usr ext4 defaults 0 2\n"


def skeleton():
    e = {k: v for k, v in rootfs.busybox_entries().items() if not k.startswith("usr/")}
    for d in ("proc", "sys", "dev", "run", "tmp", "mnt", "etc", "root", "usr"):
        e[d] = cpio.Dir()
    e["sbin/init"] = cpio.Symlink("/usr/sbin/init")
    e["lib"] = cpio.Symlink("usr/lib")
    e["lib64"] = cpio.Symlink("usr/lib64")
    e["etc/baton"] = cpio.Symlink("../usr/lib/baton-test/etc-baton")
    e["etc/fstab"] = cpio.Data(SKELETON_FSTAB)
    e["etc/hostname"] = cpio.Data(b"batontest\n")
    return e


# --- job files and scripts ----------------------------------------------------------

# A stage-1 service that outlives the switch. Only shell builtins in its loop: after
# the switch its root is the emptied initramfs (PID 1 chroots; its children do not),
# so it could exec nothing. It sleeps on a FIFO read with a timeout and says where it
# stands: /etc/initrd-release is there in stage 1 only.
TICKER_JOB = """# baton QEMU test (tests/qemu/handoff_scenarios.py): a stage-1 service that
# keeps running across the switch; its lines carry its pid and which side it saw.
description "tick every 0.2 s (issue 4 QEMU test)"
stage both
start on initramfs or startup
console log
script
  mkfifo /run/ticker.fifo 2>/dev/null || :
  exec 3<>/run/ticker.fifo
  i=0
  while :; do
    i=$((i+1))
    if [ -e /etc/initrd-release ]; then side=initramfs; else side=after-switch; fi
    echo "tick $i pid $$ $side"
    read -t 0.2 x <&3 || :
  done
end script
"""

# The stage-2 job that prints what the test checks, then powers off.
CHECK_JOB = """# baton QEMU test: runs the scenario's checks in stage 2 (a `stage root` job).
description "print the issue 4 checks, then power off"
stage root
start on startup
task
console output
exec /bin/sh /usr/lib/baton-test/check.sh
"""

CHECK_PRELUDE = """export PATH=/usr/sbin:/usr/bin:/sbin:/bin
dmesg -n 1
read up rest < /proc/uptime
echo "HS-STAGE2-JOB pid=$$ uptime=$up"
"""

CHECK_EPILOGUE = """initctl handoff-status 2>&1 | sed 's/^/HS-TEXT /'
echo "HS-JSON $(initctl handoff-status --json 2>&1 | tr -d '\\n')"
initctl log -n 400 2>&1 | sed 's/^/HS-SUPLOG /'
echo HS-DONE
sync
poweroff -f
"""

STACKED_CHECK = CHECK_PRELUDE + """# Let the ticker write a few lines in stage 2.
usleep 1500000
initctl status ticker 2>&1 | sed 's/^/HS-STATUS /'
initctl log -n 400 ticker 2>&1 | sed 's/^/HS-TICKLOG /'
""" + CHECK_EPILOGUE

HOTPLUG_CHECK = CHECK_PRELUDE + """# The late disk: found by its serial; udevd's view of it after the replay.
udevadm settle -t 30 2>&1 | sed 's/^/HS-SETTLE /'
late=
for f in /sys/block/vd*/serial; do
  [ "$(cat "$f")" = late0 ] && { d=${f%/serial}; late=${d##*/}; }
done
if [ -n "$late" ]; then
  devno=$(cat /sys/block/$late/dev)
  echo "HS-LATE /dev/$late $devno node=$([ -b /dev/$late ] && echo yes || echo no)"
  echo "HS-LATE-DEVPATH $(cd -P /sys/block/$late && pwd)"
  sed 's/^/HS-UDEVDB /' /run/udev/data/b$devno 2>&1
else
  echo "HS-LATE none"; ls /sys/block | sed 's/^/HS-BLOCK /'
fi
# udevd's uevent socket: fd 3, made by PID 1, which holds it too.
upid=$(initctl status udevd 2>&1 | sed -n 's/.*process \\([0-9][0-9]*\\).*/\\1/p' | head -n 1)
fd3=$(readlink /proc/$upid/fd/3 2>&1)
echo "HS-UDEVD-FD3 pid=$upid $fd3"
ino=${fd3#socket:[}; ino=${ino%]}
# /proc/net/netlink walks a hash table that may change under the walk
# (udevd's workers open and close netlink sockets): a socket can be missed
# by one read. Read it whole (cat, not read's byte at a time), up to 5 times.
i=0
while [ $i -lt 5 ]; do
  line=$(cat /proc/net/netlink | while read sk eth portid groups rmem wmem dump locks drops inode; do
    [ "$inode" = "$ino" ] && echo "HS-NETLINK eth=$eth groups=$groups"
  done)
  [ -n "$line" ] && { echo "$line"; break; }
  i=$((i+1))
done
for f in /proc/1/fd/*; do
  [ "$(readlink $f)" = "$fd3" ] && echo "HS-PID1-HOLDS ${f##*/}"
done
# A disk added while udevd is stopped: its event waits in that socket for
# the next udevd.
initctl stop udevd 2>&1 | sed 's/^/HS-UDEVD-STOP /'
i=0
while [ -d /proc/$upid ] && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done
echo "HS-UDEVD-STOPPED after $i polls"
late2=
i=0
while [ -z "$late2" ] && [ $i -lt 300 ]; do
  for f in /sys/block/vd*/serial; do
    [ "$(cat "$f")" = late1 ] && { d=${f%/serial}; late2=${d##*/}; }
  done
  [ -n "$late2" ] || usleep 100000
  i=$((i+1))
done
if [ -n "$late2" ]; then
  devno2=$(cat /sys/block/$late2/dev)
  echo "HS-LATE2 /dev/$late2 $devno2"
  initctl start udevd 2>&1 | sed 's/^/HS-UDEVD-START /'
  i=0
  until udevadm control --ping -t 1 2>/dev/null || [ $i -ge 100 ]; do usleep 100000; i=$((i+1)); done
  udevadm settle -t 30 2>&1 | sed 's/^/HS-SETTLE2 /'
  sed 's/^/HS-UDEVDB2 /' /run/udev/data/b$devno2 2>&1
else
  echo "HS-LATE2 none"
fi
""" + CHECK_EPILOGUE

# console-stopped: the console stopped with XOFF (Ctrl-S) while PID 1 has far more
# to say than the serial driver's buffer holds (a warning per `initctl reload`, with
# a broken job file); the loop's result goes out on ttyS1, which is not stopped.
CONSOLE_RELOADS = 200
CONSOLE_STOP_CHECK = CHECK_PRELUDE + f"""echo "HS-XOFF-NOW"
# The harness sends XOFF on reading that line; give it time to land.
usleep 3000000
read t0 rest < /proc/uptime
i=0; answered=0
while [ $i -lt {CONSOLE_RELOADS} ]; do
  initctl reload >/dev/null 2>&1; [ $? -le 1 ] && answered=$((answered+1))
  i=$((i+1))
done
read t1 rest < /proc/uptime
echo "HS-LOOP reloads=$i answered=$answered from=$t0 to=$t1" > /dev/ttyS1
initctl status ticker > /dev/ttyS1 2>&1
echo "HS-LOOP-END" > /dev/ttyS1
echo "HS-AFTER-XON"
# PID 1's next line, preceded by what the console did not take.
initctl reload >/dev/null 2>&1
""" + CHECK_EPILOGUE

BROKEN_JOB = "this is not a job\n"

# handoff-reexec: snapshot, `initctl reexec`, wait for the new process, snapshot again.
# The check job itself is a running child of PID 1 across the re-exec (adopted too).
REEXEC_CHECK = CHECK_PRELUDE + """usleep 1000000
initctl status ticker 2>&1 | sed 's/^/HS-STATUS-BEFORE /'
initctl status udevd 2>&1 | sed 's/^/HS-UDEVD-BEFORE /'
initctl log -n 400 ticker 2>&1 | sed 's/^/HS-TICKLOG-BEFORE /'
# First a binary that fails the pre-exec check (a mode-0644 file bound over it; /usr
# is read-only): PID 1 refuses, says why, and stays as it is.
: > /run/not-executable; chmod 0644 /run/not-executable
mount -o bind /run/not-executable /usr/sbin/baton 2>&1 | sed 's/^/HS-BIND /'
out=$(initctl reexec 2>&1); rc=$?
echo "HS-REEXEC-REFUSED rc=$rc $out"
umount /usr/sbin/baton 2>&1 | sed 's/^/HS-BIND /'
out=$(initctl reexec 2>&1); rc=$?
echo "HS-REEXEC rc=$rc $out"
i=0
while [ $i -lt 300 ]; do
  case "$(initctl handoff-status --json 2>/dev/null)" in *'"kind":"re-exec"'*) break;; esac
  usleep 100000; i=$((i+1))
done
echo "HS-REEXEC-WAITED $i"
usleep 1000000
initctl status ticker 2>&1 | sed 's/^/HS-STATUS /'
initctl status udevd 2>&1 | sed 's/^/HS-UDEVD /'
initctl list 2>&1 | sed 's/^/HS-LIST /'
echo "HS-LIST-RC $(initctl list >/dev/null 2>&1; echo $?)"
initctl log -n 400 ticker 2>&1 | sed 's/^/HS-TICKLOG /'
""" + CHECK_EPILOGUE

FOREIGN_INIT = """#!/bin/sh
# baton QEMU test: a foreign /sbin/init (a shell script). Prints what it found of
# baton's handoff file, then powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
dmesg -n 1
read up rest < /proc/uptime
echo "HS-FOREIGN-INIT pid=$$ uptime=$up args=$*"
f=/run/baton/handoff.pb
if [ -s $f ]; then echo "HS-PB size=$(wc -c < $f)"; else echo "HS-PB missing-or-empty"; fi
initctl handoff-status --file $f 2>&1 | sed 's/^/HS-TEXT /'
echo "HS-JSON $(initctl handoff-status --json --file $f 2>&1 | tr -d '\\n')"
echo HS-DONE
sync
poweroff -f
"""

# Stands in for baton on init= (its name makes stage 1 hand it the handoff): damages
# the handoff in transit to the real exec (not to the preflight) -- 4 bytes of the payload overwritten in a copy, put on the
# same fd number -- then execs the real baton with the same arguments. Runs as PID 1.
CORRUPTING_WRAPPER = """#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# Stage 1's preflight (before the switch: the real root is still read-only and
# /run not yet moved) sees the handoff as stage 1 wrote it; only the real exec
# gets the damage.
case " $* " in *" --preflight "*) exec /usr/sbin/baton "$@";; esac
fd=
for a in "$@"; do case "$a" in --handoff-fd=*) fd=${a#--handoff-fd=};; esac; done
if [ -n "$fd" ]; then
  cat /proc/self/fd/$fd > /run/handoff-damaged.pb
  printf 'XXXX' | dd of=/run/handoff-damaged.pb bs=1 seek=40 conv=notrunc 2>/dev/null
  eval "exec $fd</run/handoff-damaged.pb"
  echo "HS-DAMAGED fd $fd: bytes 40..43 of $(wc -c < /run/handoff-damaged.pb) overwritten"
else
  echo "HS-DAMAGED no --handoff-fd in: $*"
fi
exec /usr/sbin/baton "$@"
"""


# --- /usr images --------------------------------------------------------------------

def _under_usr(path):
    """An absolute host path of a library -> its place on the /usr filesystem
    (/lib/x -> lib/x, /usr/lib/x -> lib/x), the skeleton's /lib pointing at usr/lib."""
    p = path.lstrip("/")
    return p[4:] if p.startswith("usr/") else p


def _binary(dest, src, extra=None):
    """dest on /usr (e.g. "sbin/baton") from host file src, plus its libraries."""
    e = {dest: cpio.File(src, 0o755)}
    for lib in rootfs.ldd_libs(src):
        e[_under_usr(lib)] = cpio.File(os.path.realpath(lib), 0o755)
    return e


UDEV_RULES = ["50-udev-default.rules", "60-block.rules", "60-persistent-storage.rules"]


def usr_content(bins, init="baton", baton=True, jobs=None, check=None, udevd=False,
                files=None):
    """The /usr filesystem of a scenario. init: "baton" (sbin/init -> baton) or a
    script's text; baton: whether sbin/baton is there; jobs: {name: text} for
    /etc/baton/jobs; check: the check.sh text; udevd: systemd-udevd + udevadm + rules."""
    e = {k[4:]: v for k, v in rootfs.busybox_entries().items() if k.startswith("usr/")}
    e.update(_binary("bin/initctl", bins.initctl))
    if baton:
        e.update(_binary("sbin/baton", bins.baton))
    e["sbin/init"] = cpio.Symlink("baton") if init == "baton" else cpio.Data(init, 0o755)
    e["lib/baton-test/etc-baton/jobs"] = cpio.Dir()
    for name, text in (jobs or {}).items():
        e[f"lib/baton-test/etc-baton/jobs/{name}.conf"] = cpio.Data(text)
    if check is not None:
        e["lib/baton-test/check.sh"] = cpio.Data(check, 0o755)
    if udevd:
        udevadm = "/usr/bin/udevadm"
        e.update(_binary("bin/udevadm", udevadm))
        e["lib/systemd/systemd-udevd"] = cpio.File(os.path.realpath(udevadm), 0o755)
        for r in UDEV_RULES:
            e[f"lib/udev/rules.d/{r}"] = cpio.File(f"/lib/udev/rules.d/{r}", 0o644)
    e.update(files or {})
    return e


def make_usr(path, content, size_mb=96):
    fixtures.make_ext4(path, size_mb, content, USR_UUID, USR_LABEL)


# --- images and fixtures ------------------------------------------------------------

def _image(images, udevd=False):
    """The handoff image (once per run): --generic, the crypttab line of the stacked
    fixture with its key file, and the ticker job; udevd: --with-udevd too (stage 1
    follows the image's udevd)."""
    name = "handoff-udevd" if udevd else "handoff"
    if name in images.built:
        return images.built[name][0]
    d = os.path.join(images.dir, "handoff")
    os.makedirs(os.path.join(d, "jobs"), exist_ok=True)
    with open(os.path.join(d, "jobs", "ticker.conf"), "w") as f:
        f.write(TICKER_JOB)
    fx = _fixture("raid-luks-lvm")
    tab = os.path.join(d, "crypttab")
    with open(tab, "w") as f:
        f.write(f"stack UUID={fx['luks_uuids'][0]} {scenarios.key_path('raid-luks-lvm')} "
                f"luks,keyfile-size={fx['keyfile_size']}\n")
    out = os.path.join(images.dir, f"{name}.img")
    secs, size = scenarios.mkinitramfs(
        images.bins, out,
        ["--generic", "--jobs", os.path.join(d, "jobs"), "--include", f"{tab}:/etc/crypttab",
         "--include", f"{fx['keyfile']}:{scenarios.key_path('raid-luks-lvm')}"] +
        (["--with-udevd"] if udevd else []))
    images.built[name] = (out, secs, size)
    return out


_FIXTURES = {}


def _fixture(name):
    if name not in _FIXTURES:
        _FIXTURES[name] = fixtures.build(name, root=skeleton())
    return _FIXTURES[name]


def _late_disk(workdir, name="late", label=LATE_LABEL):
    p = os.path.join(workdir, f"{name}.ext4")
    if not os.path.exists(p):
        fixtures.make_ext4(p, 8, {"late-marker": cpio.Data(b"late\n")},
                           fixtures.fixed_uuid("handoff", name), label)
    return p


# --- checks -------------------------------------------------------------------------

def hs_lines(out, tag):
    return [l[len(tag) + 1:].rstrip("\r") for l in out.splitlines() if l.startswith(tag + " ")]


def hs_json(out):
    lines = hs_lines(out, "HS-JSON")
    if not lines:
        raise Failure("no HS-JSON line (initctl handoff-status --json) on the console")
    try:
        return json.loads(lines[-1])
    except ValueError as e:
        raise Failure(f"handoff-status --json did not parse ({e}): {lines[-1][:300]!r}")


def phase_ms(status):
    """{"from->to": ms} of handoff-status's phases."""
    return {f"{p['from']}->{p['to']}": int(p.get("duration_ns", 0)) / 1e6
            for p in status.get("phases", [])}


def switch_timing(status):
    """"switch-start->exec 12 ms, exec->stage2-start 40 ms, ..." for the output, and
    the switch-start -> stage2-ready total."""
    marks = {}
    # Rebuild cumulative times from consecutive phases.
    t, order = 0.0, []
    for p in status.get("phases", []):
        if not order:
            order.append(p["from"])
            marks[p["from"]] = 0.0
        if p["to"] in marks:  # the total (first -> last) comes last
            continue
        t += int(p.get("duration_ns", 0)) / 1e6
        marks[p["to"]] = t
        order.append(p["to"])
    if "switch-start" not in marks or "stage2-ready" not in marks:
        return None, None
    names = [n for n in order if marks[n] >= marks["switch-start"]]
    parts = [f"{a}->{b} {marks[b] - marks[a]:.0f} ms" for a, b in zip(names, names[1:])]
    total = marks["stage2-ready"] - marks["switch-start"]
    return ", ".join(parts) + f" (switch-start->stage2-ready {total:.0f} ms)", total


def _expect(out, rx, what):
    m = re.search(rx, out, re.M)
    if not m:
        raise Failure(f"{what}: /{rx}/ not on the console")
    return m


def _stateful_common(ctx, out, st):
    _expect(out, r"^HS-STAGE2-JOB pid=\d+", "the real root's `stage root` job")
    if st.get("stateless"):
        raise Failure(f"stage 2 started stateless: {st.get('stateless_reason')}")
    if not st.get("producer_build") or not st.get("reader_build"):
        raise Failure(f"handoff-status lacks producer/reader builds: {st}")
    if int(st.get("log_lines", 0)) <= 0 or int(st.get("events", 0)) <= 0:
        raise Failure(f"handoff-status: no log lines or events carried: "
                      f"log_lines={st.get('log_lines')} events={st.get('events')}")
    text = "\n".join(hs_lines(out, "HS-TEXT"))
    if "handoff: accepted" not in text:
        raise Failure("initctl handoff-status (text) does not say 'handoff: accepted'")
    ctx.timing, ctx.switch_ms = switch_timing(st)
    if ctx.timing is None:
        raise Failure(f"handoff-status phases lack switch-start/stage2-ready: {phase_ms(st)}")


def check_stacked(ctx, out):
    _expect(out, r"^baton: switching to root /dev/dm-\d+ \(LABEL=batonroot\)",
            "the switch to the LVM volume")
    st = hs_json(out)
    _stateful_common(ctx, out, st)
    jobs = [j for j in st.get("jobs", []) if j.get("job") == "ticker"]
    if not jobs or jobs[0].get("outcome") != "adopted":
        raise Failure(f"handoff-status: ticker not adopted: {jobs or st.get('jobs')}")
    pid = int(jobs[0]["pid"])
    ticks = [re.match(r".*tick (\d+) pid (\d+) (\S+)", l) for l in hs_lines(out, "HS-TICKLOG")]
    ticks = [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in ticks if m]
    before = [t for t in ticks if t[2] == "initramfs"]
    after = [t for t in ticks if t[2] == "after-switch"]
    if not before:
        raise Failure("initctl log ticker in stage 2 shows no stage-1 line")
    if not after:
        raise Failure("initctl log ticker shows no line written after the switch")
    pids = {t[1] for t in ticks}
    if pids != {pid}:
        raise Failure(f"ticker pids in its log {sorted(pids)} != adopted pid {pid} (restarted?)")
    nums = [t[0] for t in ticks]
    if nums != list(range(nums[0], nums[0] + len(nums))):
        raise Failure(f"ticker's count is not continuous across the switch: {nums}")
    status = " ".join(hs_lines(out, "HS-STATUS"))
    if f"process {pid}" not in status:
        raise Failure(f"initctl status ticker does not show process {pid}: {status!r}")
    ctx.details = (f"ticker pid {pid} adopted, {len(before)} stage-1 + {len(after)} stage-2 "
                   f"lines; {st['log_lines']} log lines, {st['events']} events, "
                   f"{st.get('uevents_queued', 0)} uevents queued / "
                   f"{st.get('uevents_replayed', 0)} replayed")


def check_hotplug(ctx, out):
    st = hs_json(out)
    _stateful_common(ctx, out, st)
    late = _expect(out, r"^HS-LATE (/dev/vd\w+) (\d+:\d+) node=(\w+)",
                   "the hot-added disk in stage 2")
    if late.group(3) != "yes":
        raise Failure(f"{late.group(1)}: no device node in stage 2")
    devpath = _expect(out, r"^HS-LATE-DEVPATH /sys(\S+)", "the late disk's devpath").group(1)
    db = hs_lines(out, "HS-UDEVDB")
    if f"E:ID_FS_LABEL={LATE_LABEL}" not in db:
        raise Failure(f"udevd's database has no ID_FS_LABEL={LATE_LABEL} for "
                      f"{late.group(1)}: {db}")
    queued, replayed = int(st.get("uevents_queued", 0)), int(st.get("uevents_replayed", 0))
    replay_lines = [l for l in hs_lines(out, "HS-SUPLOG") if "replay: " in l]
    via_replay = any(l.rstrip().endswith(devpath) for l in replay_lines)
    ctx.details = (f"late disk {late.group(1)} seen through the "
                   f"{'replay' if via_replay else 'live udevd'}; {queued} uevents queued, "
                   f"{replayed} devices replayed (hot-added {ctx.hotplug_after:.2f} s after the "
                   f"switch marker was read)")
    if not via_replay:
        raise Failure(f"the late disk ({devpath}) was not among the replayed devices: "
                      f"{replay_lines or 'none'}; " + ctx.details)
    if queued <= 0 or replayed <= 0:
        raise Failure(f"handoff-status: {queued} uevents queued, {replayed} replayed")
    _check_udevd_socket(out)
    ctx.details += "; a disk added while udevd was stopped was processed by the next udevd"


def _check_udevd_socket(out):
    """udevd's uevent socket is PID 1's (socket activation): fd 3 of udevd, a
    NETLINK_KOBJECT_UEVENT (15) socket in group 1, held by PID 1 as well; a disk
    added while udevd is stopped is in the next udevd's database."""
    fd3 = _expect(out, r"^HS-UDEVD-FD3 pid=(\d*) (.*)$", "udevd's fd 3")
    if not re.fullmatch(r"socket:\[\d+\]", fd3.group(2).strip()):
        raise Failure(f"udevd (pid {fd3.group(1)!r}) has no socket at fd 3: {fd3.group(2)!r}")
    nl = _expect(out, r"^HS-NETLINK eth=(\d+) groups=(\w+)", "udevd's socket in /proc/net/netlink")
    if nl.group(1) != "15" or int(nl.group(2), 16) != 1:
        raise Failure(f"udevd's fd 3 is netlink protocol {nl.group(1)}, groups {nl.group(2)}; "
                      "wanted 15 (kobject-uevent), group 1")
    if not hs_lines(out, "HS-PID1-HOLDS"):
        raise Failure("PID 1 does not hold udevd's uevent socket")
    late2 = _expect(out, r"^HS-LATE2 (\S+)", "the disk added while udevd was stopped")
    if late2.group(1) == "none":
        raise Failure("the disk added while udevd was stopped never appeared in /sys/block")
    db = hs_lines(out, "HS-UDEVDB2")
    if f"E:ID_FS_LABEL={LATE2_LABEL}" not in db:
        raise Failure(f"the next udevd did not process {late2.group(1)}, added while udevd was "
                      f"stopped: its database has no ID_FS_LABEL={LATE2_LABEL}: {db}")


def _check_stage1_udevd(out):
    """Stage 1 followed the image's udevd and stopped it before the switch."""
    _expect(out, scenarios.UDEVD_FOLLOWED, "stage 1 following the image's udevd")
    m = _expect(out, r"^baton: coldplug: (\d+) devices triggered for udevd",
                "coldplug triggering for udevd")
    if int(m.group(1)) <= 0:
        raise Failure("coldplug triggered no device for udevd")
    _expect(out, scenarios.UDEVD_STOPPED, "udevd stopped before the switch")


def check_udevd_stacked(ctx, out):
    _check_stage1_udevd(out)
    check_stacked(ctx, out)
    ctx.details += "; stage 1 followed the image's udevd"


def check_udevd_hotplug(ctx, out):
    _check_stage1_udevd(out)
    check_hotplug(ctx, out)
    ctx.details += "; stage 1 followed the image's udevd"


def check_ladder(ctx, out):
    _expect(out, r"^baton: exec /usr/sbin/baton failed: No such file or directory[^\n]*"
                 r"trying /usr/sbin/baton \(baton without state\)", "rung (a) failing")
    _expect(out, r"^baton: exec /usr/sbin/baton failed: No such file or directory[^\n]*"
                 r"trying /sbin/init \(/sbin/init\)", "rung (b) failing")
    m = _expect(out, r"^HS-FOREIGN-INIT pid=(\d+)", "the foreign /sbin/init")
    if m.group(1) != "1":
        raise Failure(f"/sbin/init runs as pid {m.group(1)}, not 1")
    ctx.details = "ladder: baton with handoff -> baton stateless -> /sbin/init (pid 1)"


# The truncated /usr/sbin/baton of handoff-broken: its size, set when its /usr is made.
_BROKEN = {}


def broken_usr(bins):
    """handoff-ladder's /usr, but /usr/sbin/baton is there: the first half of it."""
    with open(bins.baton, "rb") as f:
        data = f.read()
    e = usr_content(bins, init=FOREIGN_INIT, jobs=_jobs(False))
    e["sbin/baton"] = cpio.Data(data[:len(data) // 2], 0o755)
    _BROKEN["size"], _BROKEN["whole"] = len(data) // 2, len(data)
    return e


def check_broken(ctx, out):
    skip = (r"^baton: not executing /usr/sbin/baton \(baton with handoff\): /usr/sbin/baton: "
            r"PT_LOAD segment (\d+) ends at (\d+), file is (\d+) bytes \(truncated\?\); "
            r"trying /usr/sbin/baton \(baton without state\)")
    m = _expect(out, skip, "rung (a) skipped, saying why")
    ends, size = int(m.group(2)), int(m.group(3))
    if size != _BROKEN.get("size"):
        raise Failure(f"the skip line says the file is {size} bytes; the truncated copy is "
                      f"{_BROKEN.get('size')}")
    if not size < ends <= _BROKEN.get("whole", 0):
        raise Failure(f"PT_LOAD end {ends} is not between the truncated size {size} and the "
                      f"whole binary's {_BROKEN.get('whole')}")
    _expect(out, r"^baton: not executing /usr/sbin/baton \(baton without state\): "
                 r"/usr/sbin/baton: PT_LOAD segment \d+ ends at \d+[^\n]*"
                 r"trying /sbin/init \(/sbin/init\)", "rung (b) skipped")
    if re.search(r"^baton: exec /usr/sbin/baton", out, re.M):
        raise Failure("stage 1 still tried to execve the truncated /usr/sbin/baton")
    if "Kernel panic" in out:
        raise Failure("kernel panic on the console")
    m2 = _expect(out, r"^HS-FOREIGN-INIT pid=(\d+)", "the foreign /sbin/init")
    if m2.group(1) != "1":
        raise Failure(f"/sbin/init runs as pid {m2.group(1)}, not 1")
    ctx.details = (f"baton cut to {size} of {_BROKEN['whole']} bytes: PT_LOAD segment "
                   f"{m.group(1)} ends at {ends}; both baton rungs skipped -> /sbin/init (pid 1)")


# The patched /usr/sbin/baton of handoff-prefail: where its entry point was patched.
_PREFAIL = {}
# xor %eax,%eax; mov (%rax),%eax: a read of address 0, SIGSEGV at the first instruction.
_SEGV_AT_ENTRY = bytes([0x31, 0xC0, 0x8B, 0x00])


def entry_offset(data):
    """The file offset of a 64-bit little-endian ELF's entry point (its PT_LOAD)."""
    import struct
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise Failure("the baton under test is not a 64-bit ELF")
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= entry < p_vaddr + p_filesz:
            return entry - p_vaddr + p_offset
    raise Failure("no PT_LOAD holds the entry point of the baton under test")


def prefail_usr(bins):
    """handoff-broken's /usr, but /usr/sbin/baton is whole with its entry point patched."""
    with open(bins.baton, "rb") as f:
        data = bytearray(f.read())
    at = entry_offset(data)
    data[at:at + len(_SEGV_AT_ENTRY)] = _SEGV_AT_ENTRY
    e = usr_content(bins, init=FOREIGN_INIT, jobs=_jobs(False))
    e["sbin/baton"] = cpio.Data(bytes(data), 0o755)
    _PREFAIL["offset"] = at
    return e


def check_prefail(ctx, out):
    if "Kernel panic" in out:
        raise Failure("kernel panic on the console")
    why = r"/usr/sbin/baton preflight: killed by SIGSEGV before answering \((\d+) ms\)"
    m = _expect(out, r"^baton: not executing /usr/sbin/baton \(baton with handoff\): " + why +
                r"; trying /usr/sbin/baton \(baton without state\)",
                "rung (a) skipped by its preflight, saying why")
    _expect(out, r"^baton: not executing /usr/sbin/baton \(baton without state\): " + why +
            r"; trying /sbin/init \(/sbin/init\)", "rung (b) skipped, the same verdict")
    if re.search(r"^baton: exec /usr/sbin/baton", out, re.M):
        raise Failure("stage 1 still tried to execve the patched /usr/sbin/baton")
    if len(re.findall(r"preflight: killed by SIGSEGV", out)) != 2:
        raise Failure("expected one preflight (two skip lines quoting it)")
    m2 = _expect(out, r"^HS-FOREIGN-INIT pid=(\d+)", "the foreign /sbin/init")
    if m2.group(1) != "1":
        raise Failure(f"/sbin/init runs as pid {m2.group(1)}, not 1")
    ctx.details = (f"baton's entry point (file offset {_PREFAIL.get('offset')}) patched to "
                   f"fault: preflight killed by SIGSEGV in {m.group(1)} ms; both baton rungs "
                   f"skipped -> /sbin/init (pid 1)")


def check_corrupt(ctx, out):
    _expect(out, r"^HS-DAMAGED fd \d+", "the wrapper damaging the handoff")
    st = hs_json(out)
    if not st.get("stateless"):
        raise Failure("stage 2 accepted a damaged handoff")
    reason = st.get("stateless_reason", "")
    if "checksum" not in reason:
        raise Failure(f"stateless, but the reason does not name the checksum: {reason!r}")
    text = "\n".join(hs_lines(out, "HS-TEXT"))
    if "stage 2 started stateless: " + reason not in text:
        raise Failure(f"handoff-status (text) does not give the reason: {text[:400]!r}")
    log = [l for l in hs_lines(out, "HS-SUPLOG") if "starting stateless: " + reason in l]
    if not log:
        raise Failure("the supervisor log does not say why stage 2 is stateless")
    ctx.details = f"stateless: {reason}"


# handoff-loader: where the foreign init script lies, what env-broken lacks.
LOADER_SCRIPT = "lib/baton-test/foreign-init"
LOADER_BROKEN = "lib/baton-test/env-broken"


def loader_usr(bins):
    """A /usr whose sbin/init is Debian's dynamic /usr/bin/env (with its loader and
    libraries) and whose lib/baton-test/env-broken is a copy needing libQ.so.6."""
    env = "/usr/bin/env"
    e = usr_content(bins, init=FOREIGN_INIT, jobs=_jobs(False))
    e.update(_binary("sbin/init", env))
    e[LOADER_SCRIPT] = cpio.Data(FOREIGN_INIT, 0o755)
    with open(env, "rb") as f:
        data = f.read()
    needed = b"libc.so.6\0"
    if data.count(needed) < 1:
        raise Failure(f"{env} does not name libc.so.6: cannot make the broken copy")
    e[LOADER_BROKEN] = cpio.Data(data.replace(needed, b"libQ.so.6\0", 1), 0o755)
    return e


def check_loader(ctx, out):
    if "Kernel panic" in out:
        raise Failure("kernel panic on the console")
    broken = "/usr/" + LOADER_BROKEN
    _expect(out, r"^baton: not executing " + re.escape(broken) + r" \(init=[^\n]*\): " +
            re.escape(broken) + r" loader check: [^\n]*error while loading shared libraries: "
            r"libQ\.so\.6: cannot open shared object file[^\n]*; trying /sbin/init",
            "the broken init= skipped by its loader check, naming libQ.so.6")
    if re.search(r"^baton: exec " + re.escape(broken), out, re.M):
        raise Failure("stage 1 still tried to execve the broken init=")
    ok = _expect(out, r"^baton: /sbin/init loader check: (\d+) objects found \((\d+) ms\)",
                 "/sbin/init accepted by its loader check")
    m = _expect(out, r"^HS-FOREIGN-INIT pid=(\d+)[^\n]*args=(.*)$", "the foreign init")
    if m.group(1) != "1":
        raise Failure(f"the foreign init runs as pid {m.group(1)}, not 1")
    ctx.details = (f"init= skipped (libQ.so.6 not found); /sbin/init's loader check "
                   f"{ok.group(2)} ms, {ok.group(1)} objects; foreign init pid 1")


# handoff-systemd: systemd boots baton-check.target, whose service prints what systemd
# took from the --deserialize fd and systemd-analyze's summary once boot finished.
SYSTEMD_TARGET = """[Unit]
Description=baton QEMU test target
Wants=baton-check.service
"""
SYSTEMD_SERVICE = """[Unit]
Description=baton QEMU test check
DefaultDependencies=no

[Service]
Type=simple
ExecStart=/usr/lib/baton-test/systemd-check.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
"""
SYSTEMD_CHECK = """#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "HS-SYSTEMD pid1=$(cat /proc/1/comm)"
for p in InitRDTimestampMonotonic UserspaceTimestampMonotonic; do
  echo "HS-SYSTEMD $p=$(systemctl show -p $p --value 2>&1)"
done
echo "HS-SYSTEMD running=$(systemctl is-system-running --wait 2>&1)"
systemd-analyze time 2>&1 | sed 's/^/HS-ANALYZE /'
echo HS-DONE
sync
poweroff -f
"""


def systemd_usr(bins):
    """A /usr whose sbin/init is systemd, with systemctl, systemd-analyze, their
    libraries, and the test's target and service."""
    e = usr_content(bins, init=FOREIGN_INIT, jobs=_jobs(False))
    e.update(_binary("lib/systemd/systemd", "/lib/systemd/systemd"))
    e.update(_binary("bin/systemctl", "/usr/bin/systemctl"))
    e.update(_binary("bin/systemd-analyze", "/usr/bin/systemd-analyze"))
    e["sbin/init"] = cpio.Symlink("../lib/systemd/systemd")
    e["lib/os-release"] = cpio.Data(b'NAME="baton test"\nID=batontest\n')
    e["lib/systemd/system/baton-check.target"] = cpio.Data(SYSTEMD_TARGET)
    e["lib/systemd/system/baton-check.service"] = cpio.Data(SYSTEMD_SERVICE)
    e["lib/baton-test/systemd-check.sh"] = cpio.Data(SYSTEMD_CHECK, 0o755)
    return e


def check_systemd(ctx, out):
    if "Kernel panic" in out:
        raise Failure("kernel panic on the console")
    _expect(out, r"^baton: handoff for /usr/lib/systemd/systemd written to "
                 r"/run/baton/handoff\.pb", "stage 1 writing the handoff file for systemd")
    _expect(out, r"^HS-SYSTEMD pid1=systemd", "systemd as pid 1")
    initrd = _expect(out, r"^HS-SYSTEMD InitRDTimestampMonotonic=(\S*)", "InitRDTimestamp")
    user = _expect(out, r"^HS-SYSTEMD UserspaceTimestampMonotonic=(\S*)", "UserspaceTimestamp")
    try:
        initrd_us, user_us = int(initrd.group(1)), int(user.group(1))
    except ValueError:
        raise Failure(f"systemctl show: {initrd.group(1)!r} {user.group(1)!r}") from None
    if not 0 < initrd_us < user_us:
        raise Failure(f"InitRDTimestampMonotonic {initrd_us} us is not between 0 and "
                      f"UserspaceTimestampMonotonic {user_us} us: systemd did not take "
                      f"the initrd timestamp from --deserialize")
    # Stage 1's start (the timestamp baton passes) follows the kernel's "Run /init"
    # within /init's own startup. The two are different clocks: printk stamps with
    # local_clock (sched_clock), CLOCK_MONOTONIC is the timekeeping clocksource; under
    # TCG they drift apart by tens of ms (seen: the monotonic stamp 28 ms "before" the
    # printk one), hence the 200 ms allowance below it.
    run = _expect(out, r"^\[\s*(\d+\.\d+)\] Run /init as init process", "the kernel's Run /init")
    run_us = int(float(run.group(1)) * 1e6)
    if not run_us - 200_000 <= initrd_us < run_us + 2_000_000:
        raise Failure(f"InitRDTimestampMonotonic {initrd_us} us is not stage 1's start: the "
                      f"kernel ran /init at {run_us} us")
    summary = _expect(out, r"^HS-ANALYZE (Startup finished in .*)$", "systemd-analyze time")
    if "(initrd)" not in summary.group(1):
        raise Failure(f"systemd-analyze time shows no initrd part: {summary.group(1)}")
    ctx.details = (f"InitRDTimestamp {initrd_us / 1e6:.2f} s, userspace "
                   f"{user_us / 1e6:.2f} s; {summary.group(1)}")


def check_foreign(ctx, out):
    _expect(out, r"^baton: handoff for /usr/sbin/init written to /run/baton/handoff\.pb",
            "stage 1 writing the handoff file")
    m = _expect(out, r"^HS-FOREIGN-INIT pid=(\d+)", "the foreign /sbin/init")
    if m.group(1) != "1":
        raise Failure(f"/sbin/init runs as pid {m.group(1)}, not 1")
    size = _expect(out, r"^HS-PB (size=(\d+)|missing-or-empty)", "handoff.pb")
    if not size.group(2):
        raise Failure("/run/baton/handoff.pb is missing or empty")
    st = hs_json(out)
    if st.get("stateless"):
        raise Failure(f"initctl --file did not decode handoff.pb: {st.get('stateless_reason')}")
    if int(st.get("events", 0)) <= 0 or int(st.get("log_lines", 0)) <= 0:
        raise Failure(f"handoff.pb carries no events/log lines: {st}")
    text = "\n".join(hs_lines(out, "HS-TEXT"))
    if "handoff: accepted" not in text:
        raise Failure("initctl handoff-status --file (text) does not say 'handoff: accepted'")
    # The marks in order, from the consecutive phases (with 3 marks or more, a last
    # phase first -> last is the total).
    phases = st.get("phases", [])
    phases = phases[:-1] if len(phases) >= 3 else phases
    marks = [p["from"] for p in phases[:1]] + [p["to"] for p in phases]
    if not marks or marks[-1] != "exec" or "root-switched" not in marks:
        raise Failure(f"handoff.pb's timeline does not end root-switched ... exec: {marks}")
    exec_ms = phase_ms(st).get(f"{marks[-2]}->exec")
    ctx.details = (f"handoff.pb {size.group(2)} bytes, {st['events']} events, "
                   f"{st['log_lines']} log lines, {len(st.get('jobs', []))} jobs; marks "
                   f"{' -> '.join(marks[-3:])} ({marks[-2]}->exec {exec_ms:.1f} ms)")


def mark_times(status):
    """[(mark, ms since the first)] in order, from handoff-status's consecutive phases
    (a name may repeat: a re-exec's handoff holds stage 1's, the first stage 2's and the
    re-exec's marks). The last phase is the total (first -> last) when there are 3 or
    more marks."""
    phases = status.get("phases", [])
    phases = phases[:-1] if len(phases) >= 3 else phases
    if not phases:
        return []
    out, t = [(phases[0]["from"], 0.0)], 0.0
    for p in phases:
        t += int(p.get("duration_ns", 0)) / 1e6
        out.append((p["to"], t))
    return out


def _span(marks, start, end):
    """(ms, i, j): from the first START (index i) to the first END after it (index j);
    (None, None, None) when either is missing."""
    names = [n for n, _ in marks]
    if start not in names:
        return None, None, None
    i = names.index(start)
    if end not in names[i + 1:]:
        return None, None, None
    j = names.index(end, i + 1)
    return marks[j][1] - marks[i][1], i, j


def _pid_of(lines):
    m = re.search(r"process (\d+)", " ".join(lines))
    return int(m.group(1)) if m else None


def check_reexec(ctx, out):
    r = _expect(out, r"^HS-REEXEC-REFUSED rc=(\d+) (.*)$", "initctl reexec with baton mode 0644")
    if r.group(1) != "1" or "not executable (mode 0644)" not in r.group(2):
        raise Failure(f"initctl reexec of a non-executable baton: rc={r.group(1)} {r.group(2)!r}")
    m = _expect(out, r"^HS-REEXEC rc=(\d+) (.*)$", "initctl reexec's answer")
    if m.group(1) != "0" or "re-executing /usr/sbin/baton" not in m.group(2):
        raise Failure(f"initctl reexec: rc={m.group(1)} {m.group(2)!r}")
    pf = re.search(r"/usr/sbin/baton preflight: baton preflight ok \S+ \S+ jobs=\d+ "
                   r"job-errors=0 handoff=ok \(format \d+[^)]*\) \((\d+) ms", m.group(2))
    if not pf:
        raise Failure(f"initctl reexec's answer gives no preflight with the handoff read: "
                      f"{m.group(2)!r}")
    waited = int(_expect(out, r"^HS-REEXEC-WAITED (\d+)", "the wait").group(1))
    st = hs_json(out)
    if st.get("stateless"):
        raise Failure(f"after the re-exec, stateless: {st.get('stateless_reason')}")
    if st.get("kind") != "re-exec" or waited >= 300:
        raise Failure(f"handoff-status kind {st.get('kind')!r} (waited {waited / 10:.1f} s)")
    text = "\n".join(hs_lines(out, "HS-TEXT"))
    if not re.search(r"^kind: +re-exec \(baton \S+ -> baton ", text, re.M):
        raise Failure(f"handoff-status (text) does not name the re-exec: {text[:300]!r}")
    marks = mark_times(st)
    names = [n for n, _ in marks]
    switch_ms, _, _ = _span(marks, "switch-start", "stage2-ready")
    reexec_ms, start, ready = _span(marks, "reexec-start", "stage2-ready")
    if reexec_ms is None or switch_ms is None or "exec" not in names[start:ready]:
        raise Failure(f"handoff-status lacks reexec-start -> exec -> stage2-ready: {names}")
    later = names[ready + 1:]
    if "devices-replayed" in later or "startup" in later:
        raise Failure(f"the re-exec redid stage-2 steps: marks after it {later}")
    jobs = {j["job"]: j for j in st.get("jobs", [])}
    for name in ("ticker", "udevd", "check"):
        if jobs.get(name, {}).get("outcome") != "adopted":
            raise Failure(f"handoff-status: {name} not adopted: {jobs.get(name)}")
    # udevd's uevent socket, which PID 1 holds for the next udevd, crossed too.
    roles = [f.get("role") for f in st.get("fds", [])]
    if "listen:udevd" not in roles:
        raise Failure(f"the re-exec did not carry udevd's uevent socket: fds {roles}")
    pid, pid_before = _pid_of(hs_lines(out, "HS-STATUS")), _pid_of(hs_lines(out, "HS-STATUS-BEFORE"))
    if pid is None or pid != pid_before or pid != int(jobs["ticker"]["pid"]):
        raise Failure(f"ticker pid before {pid_before}, after {pid}, carried "
                      f"{jobs['ticker']['pid']}")
    udevd, udevd_before = _pid_of(hs_lines(out, "HS-UDEVD")), _pid_of(hs_lines(out, "HS-UDEVD-BEFORE"))
    if udevd is None or udevd != udevd_before:
        raise Failure(f"udevd pid before {udevd_before}, after {udevd} (restarted?)")
    def ticks(tag):
        ms = [re.match(r".*tick (\d+) pid (\d+) (\S+)", l) for l in hs_lines(out, tag)]
        return [(int(m.group(1)), int(m.group(2))) for m in ms if m]
    before, after = ticks("HS-TICKLOG-BEFORE"), ticks("HS-TICKLOG")
    if not before or not after:
        raise Failure(f"ticker log lines: {len(before)} before, {len(after)} after the re-exec")
    last = max(n for n, _ in before)
    nums = [n for n, _ in after]
    if not any(n <= last for n in nums) or not any(n > last for n in nums):
        raise Failure(f"the log after the re-exec lacks lines from before (<= {last}) or "
                      f"after: {nums[:3]}..{nums[-3:]}")
    if nums != list(range(nums[0], nums[0] + len(nums))) or {p for _, p in after} != {pid}:
        raise Failure(f"ticker's log is not one continuous run of pid {pid}: {nums}")
    if hs_lines(out, "HS-LIST-RC") != ["0"] or not any("ticker" in l for l in hs_lines(out, "HS-LIST")):
        raise Failure(f"initctl list after the re-exec: {hs_lines(out, 'HS-LIST')[:5]}")
    ctx.details = (f"ticker pid {pid} and udevd pid {udevd} kept, ticks {nums[0]}..{nums[-1]} "
                   f"across it (re-exec after tick {last}); {st['log_lines']} log lines, "
                   f"{st['events']} events, {len(st.get('fds', []))} fds carried")
    steps = marks[start:ready + 1]
    ctx.timing = (f"reexec-start->stage2-ready {reexec_ms:.0f} ms (warm) vs switch-start->"
                  f"stage2-ready {switch_ms:.0f} ms; re-exec phases " +
                  ", ".join(f"{a}->{b} {tb - ta:.0f}" for (a, ta), (b, tb) in zip(steps, steps[1:])))


# --- the scenario class -------------------------------------------------------------

class HandoffScenario:
    """One boot: FIXTURE's skeleton disks + a /usr disk made from usr(bins);
    append(fx) the kernel command line; steps(ctx) while booting; check(ctx, out) after
    the guest printed HS-DONE."""

    own_fixture = True  # run_all: not one of fixtures.NAMES' default fixtures
    known_failure = None

    def __init__(self, name, fixture, usr, check, append=None, steps=None, doc="",
                 serial2=False, udevd_image=False):
        self.name, self.base_fixture, self.usr, self.check = name, fixture, usr, check
        self.fixture = f"{fixture}+usr"
        self.udevd_image = udevd_image  # stage 1 follows the image's udevd
        self.image = "handoff-udevd" if udevd_image else "handoff"
        self.append, self.steps, self.doc = append, steps, doc
        self.serial2 = serial2  # a second serial port (ttyS1) into ctx.serial2, a file

    def run(self, images, fxs, log_path):
        initrd = _image(images, self.udevd_image)
        fx = _fixture(self.base_fixture)
        work = os.path.join(images.dir, "handoff", self.name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        usr = os.path.join(work, "usr.ext4")
        make_usr(usr, self.usr(images.bins))
        disks = fixtures.disks(fx) + [Disk(usr, serial="usr")]
        append = fx["cmdline"] + (" " + self.append if self.append else "")
        k = kernel.ensure()
        serial2 = os.path.join(work, "ttyS1.log")
        extra = ["-serial", f"file:{serial2}"] if self.serial2 else []
        t0 = time.monotonic()
        with VM(k["vmlinuz"], initrd, disks=disks, append=append, timeout=BOOT_TIMEOUT,
                console_log=log_path, name=self.name, extra_args=extra) as vm:
            vm.dump = lambda n=60: None
            ctx = scenarios.Ctx(vm, fx)
            ctx.work, ctx.details, ctx.timing = work, "", None
            ctx.serial2 = serial2 if self.serial2 else None
            try:
                if self.steps:
                    self.steps(ctx)
                vm.wait_for(DONE, timeout=BOOT_TIMEOUT)
                self.check(ctx, vm.output)
                try:
                    vm.wait_exit(30)
                except VMError:
                    pass
            except VMError as e:
                raise Failure(scenarios._why(str(e), vm.output)) from None
        self.details = ctx.details + (f"; switch: {ctx.timing}" if ctx.timing else "")
        return time.monotonic() - t0


# --- handoff-poweroff / reboot scenario: baton takes the machine down ----------------

# A `start on shutdown` task: what it sees of the event, written to the root too (so
# the host finds it there only if it ran before / went read-only).
SHUTDOWN_EVENT_JOB = """# baton QEMU test: runs on the shutdown event, before the jobs are stopped.
description "note the shutdown event (poweroff scenario)"
stage root
start on shutdown
task
console output
exec /bin/sh -c 'echo "HS-SHUTDOWN-EVENT ACTION=$ACTION"; echo "$ACTION" > /root/shutdown-event'
"""

# The check job of handoff-poweroff / handoff-reboot. / is made writable and written
# to; a process outside every job, in its own session and deaf to SIGTERM, must go by
# the SIGKILL of step c. Then `initctl poweroff` (or reboot). the reboot scenario's second
# boot finds /root/rebooted and powers off instead.
SHUTDOWN_CHECK = CHECK_PRELUDE + """mount -o remount,rw / 2>&1 | sed 's/^/HS-REMOUNT /'
grep -E ' / | /usr ' /proc/mounts | sed 's/^/HS-MOUNTS /'
if [ -e /root/rebooted ]; then
  echo "HS-SECOND-BOOT $(cat /root/rebooted)"
  action=poweroff
else
  action=@ACTION@
  [ $action = reboot ] && echo "before the reboot" > /root/rebooted
fi
echo "written before $action" > /root/shutdown-marker
setsid sh -c "trap '' TERM; exec sleep 1000" </dev/null >/dev/null 2>&1 &
usleep 200000
out=$(initctl $action 2>&1); rc=$?
echo "HS-SHUTDOWN rc=$rc $out"
# Wait to be stopped with the other jobs (step b).
sleep 600
"""

# How long QEMU may take to exit after initctl answered: the shutdown event, the jobs'
# stop (ticker and check end on SIGTERM), 5 s of SIGTERM wait for the stubborn
# process, the unmounts, reboot(2). Generous for TCG on a shared machine.
SHUTDOWN_BOUND = 90


def _host_fs_check(image, offset, what):
    """(clean, details) of the ext4 at OFFSET of IMAGE, checked on the host: the
    partition copied out, then dumpe2fs -h and e2fsck -fn."""
    part = image + f".{what}.part"
    subprocess.run(["dd", f"if={image}", f"of={part}", "bs=1M", f"skip={offset >> 20}",
                    "status=none", "conv=sparse"], check=True)
    dump = subprocess.run(["dumpe2fs", "-h", part], capture_output=True, text=True)
    state = re.search(r"^Filesystem state:\s+(.*)$", dump.stdout, re.M)
    features = re.search(r"^Filesystem features:\s+(.*)$", dump.stdout, re.M)
    fsck = subprocess.run(["e2fsck", "-fn", part], capture_output=True, text=True)
    return part, (state.group(1).strip() if state else "?"), \
        (features.group(1).split() if features else []), fsck.returncode, fsck.stdout


def _debugfs_cat(part, path):
    r = subprocess.run(["debugfs", "-R", f"cat {path}", part], capture_output=True, text=True)
    return r.stdout


class ShutdownScenario(HandoffScenario):
    """plain skeleton root on a writable copy of the fixture disk, /usr writable too;
    the check job runs `initctl ACTION`; QEMU must exit by itself, and on the host both
    filesystems are clean and hold what was written before the shutdown."""

    def __init__(self, name, action):
        super().__init__(name, "plain",
                         lambda b: usr_content(
                             b, check=SHUTDOWN_CHECK.replace("@ACTION@", action),
                             jobs={"ticker": TICKER_JOB, "check": CHECK_JOB,
                                   "on-shutdown": SHUTDOWN_EVENT_JOB}),
                         None)
        self.action = action

    @staticmethod
    def wait_accepted(vm, action, timeout):
        """initctl ACTION was taken: its answer (HS-SHUTDOWN rc=0), or the shutdown
        event's job (HS-SHUTDOWN-EVENT ACTION=action). PID 1 answers, then stops every
        job, the check job too: on a slow host its shell can be stopped before it
        prints the answer, and the event's line is then the proof."""
        m = vm.wait_for(r"^HS-SHUTDOWN rc=(\d+) (.*)$|^HS-SHUTDOWN-EVENT ACTION=(\w+)",
                        timeout=timeout)
        if m.group(1) is not None and m.group(1) != "0":
            raise Failure(f"initctl {action}: rc={m.group(1)} {m.group(2)!r}")
        if m.group(3) is not None and m.group(3) != action:
            raise Failure(f"initctl {action}: the shutdown event says ACTION={m.group(3)}")

    def run(self, images, fxs, log_path):
        initrd = _image(images, self.udevd_image)
        fx = _fixture(self.base_fixture)
        work = os.path.join(images.dir, "handoff", self.name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        usr = os.path.join(work, "usr.ext4")
        make_usr(usr, self.usr(images.bins))
        copies = []
        for d in fx["disks"]:  # the cached fixture stays untouched
            copy = os.path.join(work, os.path.basename(d["path"]))
            subprocess.run(["cp", "--sparse=always", d["path"], copy], check=True)
            copies.append(Disk(copy, serial=d["serial"], snapshot=False))
        disks = copies + [Disk(usr, serial="usr", snapshot=False)]
        k = kernel.ensure()
        t0 = time.monotonic()
        reboot = self.action == "reboot"
        with VM(k["vmlinuz"], initrd, disks=disks, append=fx["cmdline"],
                timeout=BOOT_TIMEOUT * (2 if reboot else 1), console_log=log_path,
                name=self.name, no_reboot=not reboot) as vm:
            vm.dump = lambda n=60: None
            try:
                self.wait_accepted(vm, self.action, BOOT_TIMEOUT)
                t_answer = time.monotonic()
                if reboot:
                    vm.wait_for(r"^HS-SECOND-BOOT", timeout=BOOT_TIMEOUT)
                    self.wait_accepted(vm, "poweroff", 60)
                    t_answer2 = time.monotonic()
                if self.action == "halt":
                    # A halted machine stays on: the kernel says so, QEMU keeps running.
                    vm.wait_for(r"reboot: System halted", timeout=SHUTDOWN_BOUND, partial=True)
                    t_end = time.monotonic()
                    time.sleep(2)
                    if vm.proc.poll() is not None:
                        raise Failure("QEMU exited after a halt (expected it to stay on)")
                else:
                    try:
                        vm.wait_exit(SHUTDOWN_BOUND)
                    except VMError:
                        raise Failure(f"QEMU still running {SHUTDOWN_BOUND} s after initctl "
                                      f"answered: " + scenarios._why("", vm.output)) from None
                    t_end = time.monotonic()
                took = t_end - (t_answer2 if reboot else t_answer)
            except VMError as e:
                raise Failure(scenarios._why(str(e), vm.output)) from None
            out = vm.output
        self.details = self.check_console(out, took)
        self.details += "; " + self.check_disks(copies[0].path, usr)
        return time.monotonic() - t0

    def check_console(self, out, took):
        # The last shutdown on the console is a poweroff (reboot scenario: the second boot's)
        # or the halt.
        last = "halt" if self.action == "halt" else "poweroff"
        steps = [
            (rf"^baton: shutdown \({last}\): emitting the shutdown event", "the shutdown event"),
            (rf"^HS-SHUTDOWN-EVENT ACTION={last}", "the `start on shutdown` task"),
            (r"^baton: shutdown event done, stopping all jobs", "the event settling"),
            (r"^baton: all jobs stopped", "the jobs stopped"),
            (r"^baton: sending SIGTERM to all processes", "SIGTERM to all"),
            (r"^baton: sending SIGKILL to all processes \(1 left", "SIGKILL to the stubborn one"),
            (r"^baton: unmounting \d+ filesystems", "the unmounts"),
            (r"^baton: remounted / read-only", "/ read-only"),
        ]
        steps += ([(r"^baton: halting", "halting"), (r"reboot: System halted", "the kernel halting")]
                  if last == "halt" else
                  [(r"^baton: powering off", "powering off"),
                   (r"reboot: Power down", "the kernel powering down")])
        # From the last boot's check job on (baton's lines may come before initctl's).
        tail = out[max(out.rfind("HS-STAGE2-JOB"), 0):]
        pos = 0
        for rx, what in steps:
            m = re.compile(rx, re.M).search(tail, pos)
            if not m:
                raise Failure(f"{what}: /{rx}/ not on the console (in order) after the "
                              f"initctl answer")
            pos = m.end()
        if self.action == "reboot":
            banners = len(re.findall(r"Linux version \d", out))
            restart = re.search(r"reboot: Restarting system", out)
            if banners < 2 or not restart:
                raise Failure(f"reboot scenario: {banners} kernel banners, restart line "
                              f"{'seen' if restart else 'missing'}")
            first = out[:out.find("HS-SECOND-BOOT")]
            for rx, what in [(r"^baton: shutdown \(reboot\): emitting", "the reboot's event"),
                             (r"^HS-SHUTDOWN-EVENT ACTION=reboot", "ACTION=reboot"),
                             (r"^baton: remounted / read-only", "/ read-only before the reboot"),
                             (r"^baton: rebooting", "rebooting")]:
                if not re.search(rx, first, re.M):
                    raise Failure(f"first boot: {what} missing")
        detach = re.findall(r"^baton: umount (\S+): .*MNT_DETACH", out, re.M)
        sup = [l for l in out.splitlines() if l.startswith("baton: ") and
               ("unmount" in l or "detach" in l or "SIG" in l)]
        ended = "the kernel halted" if self.action == "halt" else "QEMU exited"
        return (f"{ended} {took:.1f} s after initctl answered; "
                f"{'detached lazily: ' + ' '.join(detach) if detach else 'nothing detached'}"
                f" ({' | '.join(sup[-4:])})")

    def check_disks(self, disk0, usr):
        part, state, features, rc, fsck = _host_fs_check(disk0, 1 << 20, "root")
        if state != "clean" or "needs_recovery" in features or rc != 0:
            raise Failure(f"root filesystem after {self.action}: state {state!r}, "
                          f"needs_recovery {'needs_recovery' in features}, e2fsck -fn rc {rc}: "
                          f"{fsck[-400:]}")
        marker = _debugfs_cat(part, "/root/shutdown-marker").strip()
        event = _debugfs_cat(part, "/root/shutdown-event").strip()
        if marker != "written before poweroff" and marker != f"written before {self.action}":
            raise Failure(f"/root/shutdown-marker on the host: {marker!r}")
        if event != ("halt" if self.action == "halt" else "poweroff"):
            raise Failure(f"/root/shutdown-event on the host: {event!r} (the event task's write)")
        upart, ustate, ufeatures, urc, ufsck = _host_fs_check(usr, 0, "usr")
        if ustate != "clean" or "needs_recovery" in ufeatures or urc != 0:
            raise Failure(f"/usr filesystem after {self.action}: state {ustate!r}, e2fsck rc "
                          f"{urc}: {ufsck[-400:]}")
        return (f"root: {state}, e2fsck -fn rc 0, marker {marker!r}, event {event!r}; "
                f"/usr: {ustate}")


def _console_stop_steps(ctx):
    ctx.vm.wait_for(r"^HS-XOFF-NOW", timeout=BOOT_TIMEOUT)
    ctx.vm.send("\x13")  # XOFF: the guest's ttyS0 stops its output
    t = time.monotonic()
    ctx.loop_seen = False
    while time.monotonic() - t < 120:
        try:
            with open(ctx.serial2, errors="replace") as f:
                ctx.serial2_text = f.read()
        except OSError:
            ctx.serial2_text = ""
        if "HS-LOOP-END" in ctx.serial2_text:
            ctx.loop_seen = True
            break
        time.sleep(0.2)
    ctx.stopped_for = time.monotonic() - t
    ctx.vm.send("\x11")  # XON


def check_console_stop(ctx, out):
    if not ctx.loop_seen:
        raise Failure(f"with the console stopped, the reload loop did not finish in "
                      f"{ctx.stopped_for:.0f} s (PID 1 blocked writing to the console?); "
                      f"ttyS1: {ctx.serial2_text[-300:]!r}")
    m = re.search(r"HS-LOOP reloads=(\d+) answered=(\d+) from=([\d.]+) to=([\d.]+)",
                  ctx.serial2_text)
    if not m or m.group(1) != str(CONSOLE_RELOADS) or m.group(2) != str(CONSOLE_RELOADS):
        raise Failure(f"initctl reload while the console was stopped: {ctx.serial2_text!r}")
    if not re.search(r"ticker: start/running, process \d+", ctx.serial2_text):
        raise Failure(f"initctl status ticker while the console was stopped: "
                      f"{ctx.serial2_text!r}")
    notice = re.search(r"^baton: warning: the console took no output for a while: (\d+) bytes "
                       r"of these lines were dropped", out, re.M)
    if not notice:
        raise Failure("after XON, no line says how much console output was dropped")
    _expect(out, r"HS-AFTER-XON", "the check job's line after XON")
    ctx.details = (f"{CONSOLE_RELOADS} reloads answered in "
                   f"{float(m.group(4)) - float(m.group(3)):.1f} s with the console stopped "
                   f"(XON after {ctx.stopped_for:.1f} s); {notice.group(1)} bytes dropped")


def _hotplug_steps(ctx):
    ctx.vm.wait_for(SWITCH_MARKER, timeout=scenarios.MARKER_TIMEOUT, partial=True)
    t = time.monotonic()
    ctx.vm.hotplug_disk(_late_disk(ctx.work), "late0", serial="late0")
    ctx.hotplug_after = time.monotonic() - t
    # The second disk while stage 2's udevd is stopped (HOTPLUG_CHECK).
    ctx.vm.wait_for(r"^HS-UDEVD-STOPPED", timeout=BOOT_TIMEOUT)
    ctx.vm.hotplug_disk(_late_disk(ctx.work, "late2", LATE2_LABEL), "late1", serial="late1")


def _jobs(check):
    return {"ticker": TICKER_JOB, "check": CHECK_JOB} if check else {"ticker": TICKER_JOB}


SCENARIOS = [
    HandoffScenario("handoff-stacked", "raid-luks-lvm",
                    lambda b: usr_content(b, jobs=_jobs(True), check=STACKED_CHECK),
                    check_stacked),
    HandoffScenario("handoff-hotplug", "plain",
                    lambda b: usr_content(b, jobs=_jobs(True), check=HOTPLUG_CHECK,
                                          udevd=True),
                    check_hotplug, steps=_hotplug_steps),
    HandoffScenario("handoff-udevd-stacked", "raid-luks-lvm",
                    lambda b: usr_content(b, jobs=_jobs(True), check=STACKED_CHECK),
                    check_udevd_stacked, udevd_image=True),
    HandoffScenario("handoff-udevd-hotplug", "plain",
                    lambda b: usr_content(b, jobs=_jobs(True), check=HOTPLUG_CHECK,
                                          udevd=True),
                    check_udevd_hotplug, steps=_hotplug_steps, udevd_image=True),
    HandoffScenario("console-stopped", "plain",
                    lambda b: usr_content(b, jobs={**_jobs(True), "broken": BROKEN_JOB},
                                          check=CONSOLE_STOP_CHECK),
                    check_console_stop, steps=_console_stop_steps, serial2=True),
    HandoffScenario("handoff-ladder", "plain",
                    lambda b: usr_content(b, init=FOREIGN_INIT, baton=False, jobs=_jobs(False)),
                    check_ladder, append="init=/usr/sbin/baton"),
    HandoffScenario("handoff-broken", "plain", broken_usr, check_broken,
                    append="init=/usr/sbin/baton"),
    HandoffScenario("handoff-prefail", "plain", prefail_usr, check_prefail,
                    append="init=/usr/sbin/baton"),
    HandoffScenario("handoff-corrupt", "plain",
                    lambda b: usr_content(b, jobs=_jobs(True), check=STACKED_CHECK, files={
                        "lib/baton-test/corrupt/baton": cpio.Data(CORRUPTING_WRAPPER, 0o755)}),
                    check_corrupt, append="init=/usr/lib/baton-test/corrupt/baton"),
    HandoffScenario("handoff-reexec", "plain",
                    lambda b: usr_content(b, jobs=_jobs(True), check=REEXEC_CHECK,
                                          udevd=True),
                    check_reexec),
    HandoffScenario("handoff-foreign", "plain",
                    lambda b: usr_content(b, init=FOREIGN_INIT, jobs=_jobs(False)),
                    check_foreign),
    HandoffScenario("handoff-systemd", "plain", systemd_usr, check_systemd,
                    append="systemd.unit=baton-check.target systemd.show_status=0"),
    HandoffScenario("handoff-loader", "plain", loader_usr, check_loader,
                    append=f"init=/usr/{LOADER_BROKEN} -- /usr/{LOADER_SCRIPT}"),
    ShutdownScenario("poweroff", "poweroff"),
    ShutdownScenario("reboot", "reboot"),
    ShutdownScenario("halt", "halt"),
]

BY_NAME = {s.name: s for s in SCENARIOS}
