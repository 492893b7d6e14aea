#!/usr/bin/env python3
"""Smoke test of the QEMU test infrastructure: builds the fixtures and boots the busybox
floor image on them; asserts the real root's BATON-ROOT-INIT marker appears.

    python3 tests/qemu/smoke_test.py            # plain and raid-luks-lvm (the baseline pair)
    python3 tests/qemu/smoke_test.py --all      # every fixture, and --hotplug
    python3 tests/qemu/smoke_test.py --hotplug  # + QMP hot-add of the plain disk
    python3 tests/qemu/smoke_test.py NAME...    # chosen fixtures
    python3 tests/qemu/smoke_test.py --rounds 3 plain raid-luks-lvm   # A B A B A B timing

Prints `PASS name` / `FAIL name` lines, a timing table (fixture build seconds as
recorded when built, floor image size, uptime at the marker), and exits non-zero on any
failure. Console logs go to $BATON_TEST_LOGS (default /tmp/baton-qemu-logs).
Also reachable as tools/qemu-smoke.
"""

import os
import re
import statistics
import sys
import time
import traceback

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from tests.qemu import fixtures, floor  # noqa: E402

DEFAULT = ["plain", "raid-luks-lvm"]
LOG_DIR = os.environ.get("BATON_TEST_LOGS", "/tmp/baton-qemu-logs")


def check(name, out):
    """Scenario-specific assertions on the console text of a floor boot."""
    problems = []
    if "BATON-ROOT-DONE" not in out:
        problems.append("no BATON-ROOT-DONE")
    if name == "raid1-degraded":
        if "BATON-MD-DEGRADED /sys/block/md0/md/degraded 1" not in out:
            problems.append("md0 not reported degraded (degraded 1)")
    if name in ("raid1", "raid-luks-lvm", "luks2x-raid-lvm"):
        if "BATON-MD-DEGRADED /sys/block/md0/md/degraded 0" not in out:
            problems.append("md0 not reported clean (degraded 0)")
    if name == "usr-split":
        if "BATON-USR-MOUNTED yes" not in out or "BATON-USR-CONTENT usr-ok" not in out:
            problems.append("/usr not mounted with its content")
    return problems


def hotplug_case():
    """Boots the plain floor image with no disk, hot-adds the plain disk through QMP
    after the floor /init started polling for /dev/vda1, expects the marker."""
    from tests.qemu.vm import VM
    fx = fixtures.build("plain")
    img = floor.build("plain", fx)
    with VM(img["kernel"], img["initrd"], append=img["append"], timeout=180,
            name="hotplug-plain") as vm:
        vm.wait_for(r"FLOOR-INIT uptime=", timeout=120)
        time.sleep(2)
        t0 = time.monotonic()
        vm.hotplug_disk(fx["disks"][0]["path"], "late0", serial="late0")
        m = vm.wait_for(r"BATON-ROOT-INIT uptime=([0-9.]+)", timeout=60)
        took = time.monotonic() - t0
        vm.wait_exit(30)
        return float(m.group(1)), took


def main(argv):
    rounds = 1
    if "--rounds" in argv:
        i = argv.index("--rounds")
        rounds = int(argv[i + 1])
        del argv[i:i + 2]
    names = [a for a in argv if not a.startswith("--")]
    if "--all" in argv:
        names = list(floor.SCENARIOS)
    names = names or DEFAULT
    failed = False
    os.makedirs(LOG_DIR, exist_ok=True)
    fx, img = {}, {}
    t0 = time.monotonic()
    try:  # one builder boot for every missing fixture
        fixtures.build_many([floor.fixture_name(n) for n in names])
        print(f"PASS fixtures ({time.monotonic() - t0:.1f} s)", flush=True)
    except Exception as e:
        traceback.print_exc()
        print(f"FAIL fixtures: {e}", flush=True)
        return 1
    for n in names:
        t0 = time.monotonic()
        try:
            fx[n] = fixtures.build(floor.fixture_name(n))
            img[n] = floor.build(n, fx[n])
            print(f"PASS build-{n} (fixture {fx[n]['build_seconds']} s when built, "
                  f"this call {time.monotonic() - t0:.1f} s)", flush=True)
        except Exception:
            traceback.print_exc()
            print(f"FAIL build-{n}", flush=True)
            failed = True
    ups = {n: [] for n in fx}
    for r in range(rounds):
        for n in fx:
            label = f"floor-{n}" + (f"#{r + 1}" if rounds > 1 else "")
            try:
                log = os.path.join(LOG_DIR, f"{label}.log")
                up, out = floor.boot(n, fx[n], console_log=log)
                problems = check(n, out)
                if problems:
                    print(out, file=sys.stderr)
                    print(f"FAIL {label}: {'; '.join(problems)}", flush=True)
                    failed = True
                else:
                    ups[n].append(up)
                    stamps = " ".join(re.findall(r"FLOOR-\w+ uptime=[0-9.]+", out))
                    print(f"PASS {label} (BATON-ROOT-INIT at uptime {up:.2f} s; {stamps})",
                          flush=True)
            except Exception as e:
                traceback.print_exc()
                print(f"FAIL {label}: {e}", flush=True)
                failed = True
    if "--hotplug" in argv or "--all" in argv:
        try:
            up, took = hotplug_case()
            print(f"PASS hotplug-plain (marker {took:.2f} s after device_add, uptime {up:.2f} s)",
                  flush=True)
        except Exception as e:
            traceback.print_exc()
            print(f"FAIL hotplug-plain: {e}", flush=True)
            failed = True
    print("\n| fixture | fixture build (s) | floor image (MB) | uptime at marker (s) |")
    print("|---|---|---|---|")
    for n in fx:
        u = ups[n]
        ut = "-" if not u else (f"{u[0]:.2f}" if len(u) == 1 else
                                f"{statistics.median(u):.2f} ({min(u):.2f}-{max(u):.2f})")
        print(f"| {n} | {fx[n]['build_seconds']} | {img[n]['size'] / 1e6:.2f} | {ut} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
