"""`tools/bench handoff`, the QEMU half: the time from `switch-start` (stage 1 pauses
the uevent queue) to `stage2-ready` (stage 2 has restored the state, watches the adopted
children and listens on its control socket), median of several boots.

    python3 -m tests.qemu.bench_switch [--boots N] [--append WORDS]

Each boot: a --generic image with one stage-1 service, `sleeper` (a `sleep` that
stage 2 adopts; not handoff_scenarios' `ticker`, whose shell loop keeps the guest's one
CPU busy and would be measured too), against handoff_scenarios' `plain` skeleton root,
whose /usr holds baton as /sbin/init and a `stage root` job that prints
`initctl handoff-status --json` and powers off. The clock is the guest's CLOCK_MONOTONIC: the timeline marks the handoff
carries (handoff/timeline.h), read back from handoff-status's phases. Every mark between
switch-start and stage2-ready is a row (median and range over the boots), then the
total, beside issue 4's aim; marks stage 2 makes after ready (udevd, replay, startup)
follow, outside the total.
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from tests.qemu import fixtures, handoff_scenarios as hs, kernel, scenarios  # noqa: E402
from tests.qemu.vm import VM, Disk, VMError  # noqa: E402

AIM_MS = 50.0
LOG_DIR = os.environ.get("BATON_TEST_LOGS", "/tmp/baton-qemu-logs")

SLEEPER_JOB = """# baton switch benchmark (tests/qemu/bench_switch.py): a stage-1 service
# that stage 2 adopts.
description "a stage-1 service carried across the switch"
stage both
start on initramfs or startup
exec sleep 100000
"""

BENCH_CHECK = hs.CHECK_PRELUDE + """echo "HS-JSON $(initctl handoff-status --json 2>&1 | tr -d '\\n')"
echo HS-DONE
poweroff -f
"""


def marks_ms(status):
    """[(name, ms since the first mark)] in timeline order, from handoff-status's
    consecutive phases (the last phase, first -> last, is the total: skipped)."""
    out, t = [], 0.0
    for p in status.get("phases", []):
        if not out:
            out.append((p["from"], 0.0))
        if p["from"] != out[-1][0]:  # the closing total phase
            continue
        t += int(p.get("duration_ns", 0)) / 1e6
        out.append((p["to"], t))
    return out


def boot_once(initrd, fx, usr, append, log_path):
    disks = fixtures.disks(fx) + [Disk(usr, serial="usr")]
    k = kernel.ensure()
    with VM(k["vmlinuz"], initrd, disks=disks, append=fx["cmdline"] + append,
            timeout=hs.BOOT_TIMEOUT, console_log=log_path, name="bench-switch") as vm:
        vm.dump = lambda n=60: None
        vm.wait_for(hs.DONE, timeout=hs.BOOT_TIMEOUT)
        out = vm.output
        try:
            vm.wait_exit(30)
        except VMError:
            pass
    st = hs.hs_json(out)
    if st.get("stateless"):
        raise scenarios.Failure(f"stage 2 started stateless: {st.get('stateless_reason')}")
    # The boot's total: the guest's uptime when stage 2's first job (the check)
    # starts; and the stage-1 preflight's own time, when the log gives one.
    up = re.search(r"^HS-STAGE2-JOB pid=\d+ uptime=([\d.]+)", out, re.M)
    pf = re.search(r"preflight: baton preflight ok .*\((\d+) ms, bound", out)
    extra = {"uptime": float(up.group(1)) * 1000 if up else None,
             "preflight": float(pf.group(1)) if pf else None}
    return marks_ms(st), extra


def fmt(values):
    return (f"{statistics.median(values):7.1f} ms  ({min(values):.1f} .. {max(values):.1f})")


def report(boots):
    """Rows: consecutive marks from switch-start on, named as in the first boot, kept
    when every boot has both ends."""
    first = [n for n, _ in boots[0]]
    if "switch-start" not in first or "stage2-ready" not in first:
        print(f"  no switch-start/stage2-ready marks: {first}")
        return None
    names = first[first.index("switch-start"):]
    rows, prev = [], None
    for name in names:
        if prev is not None:
            ds = []
            for b in boots:
                d = dict(b)
                if prev in d and name in d:
                    ds.append(d[name] - d[prev])
            if len(ds) == len(boots):
                rows.append((f"{prev} -> {name}", ds))
        prev = name
    # Marks stage 1 makes before the pause (since the switch's early work moved there:
    # init= resolved, readahead, plan, preflight): shown, not in the total.
    early = []
    if "root-mounted" in first:
        before = first[first.index("root-mounted"):first.index("switch-start") + 1]
        for a, b in zip(before, before[1:]):
            ds = [dict(x)[b] - dict(x)[a] for x in boots if a in dict(x) and b in dict(x)]
            if len(ds) == len(boots):
                early.append((f"{a} -> {b}", ds))
    totals = [dict(b)["stage2-ready"] - dict(b)["switch-start"] for b in boots]
    ready = names.index("stage2-ready")
    width = max(len(r[0]) for r in rows + early) if rows + early else 30
    print(f"switch in QEMU (TCG), {len(boots)} boots, guest CLOCK_MONOTONIC: median (range)")
    if early:
        print("  before the pause (not in the total):")
        for label, ds in early:
            print(f"  {label:<{width}}  {fmt(ds)}")
        print("  the window:")
    for i, (label, ds) in enumerate(rows):
        if i == ready:
            print("  after ready (not in the total):")
        print(f"  {label:<{width}}  {fmt(ds)}")
        if i == ready - 1:
            total = "switch-start -> stage2-ready"
            print(f"  {total:<{width}}  {fmt(totals)}  (aim < {AIM_MS:.0f} ms)")
    return statistics.median(totals)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boots", type=int, default=5)
    ap.add_argument("--append", default="", help="extra kernel command-line words")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    a = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="baton-bench-switch.")
    os.makedirs(LOG_DIR, exist_ok=True)
    try:
        bins = scenarios.Bins(scenarios.find_bazel_bin(), work)
        images = scenarios.Images(bins, work, {})
        jobs = os.path.join(images.dir, "bench-jobs")
        os.makedirs(jobs)
        with open(os.path.join(jobs, "sleeper.conf"), "w") as f:
            f.write(SLEEPER_JOB)
        initrd = os.path.join(images.dir, "bench-switch.img")
        scenarios.mkinitramfs(bins, initrd, ["--generic", "--jobs", jobs])
        fx = hs._fixture("plain")
        usr = os.path.join(work, "usr.ext4")
        hs.make_usr(usr, hs.usr_content(bins, jobs={"sleeper": SLEEPER_JOB,
                                                     "check": hs.CHECK_JOB},
                                        check=BENCH_CHECK))
        append = (" " + a.append) if a.append else ""
        boots, extras = [], []
        for i in range(a.boots):
            t0 = time.monotonic()
            log = os.path.join(LOG_DIR, f"bench-switch-{i + 1}.log")
            marks, extra = boot_once(initrd, fx, usr, append, log)
            d = dict(marks)
            total = d.get("stage2-ready", 0) - d.get("switch-start", 0)
            pf = extra["preflight"]
            print(f"  boot {i + 1}: switch-start -> stage2-ready {total:.1f} ms, "
                  f"first stage-2 job at uptime {extra['uptime'] or 0:.0f} ms"
                  f"{f', stage-1 preflight {pf:.0f} ms' if pf is not None else ''} "
                  f"({time.monotonic() - t0:.0f} s boot; {log})", flush=True)
            boots.append(marks)
            extras.append(extra)
        report(boots)
        whole = [dict(b)["stage2-ready"] - dict(b)["stage1-start"] for b in boots
                 if "stage1-start" in dict(b) and "stage2-ready" in dict(b)]
        if len(whole) == len(boots):
            print(f"  stage1-start -> stage2-ready (the boot through the switch)  {fmt(whole)}")
        ups = [e["uptime"] for e in extras if e["uptime"] is not None]
        if len(ups) == len(boots):
            print(f"  uptime at the first stage-2 job (the boot's total)  {fmt(ups)}")
        pfs = [e["preflight"] for e in extras if e["preflight"] is not None]
        if pfs:
            print(f"  stage-1 preflight of baton ({len(pfs)} boots)  {fmt(pfs)}")
    except (scenarios.Failure, VMError) as e:
        print(f"bench switch: FAILED: {e}")
        return 1
    finally:
        if a.keep:
            print(f"  work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
