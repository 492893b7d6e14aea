#!/usr/bin/env python3
"""Smoke test of the QEMU test infrastructure: builds the fixtures and boots the busybox
floor image on them; asserts the real root's BATON-ROOT-INIT marker appears.

    python3 tests/qemu/smoke_test.py            # plain and raid-luks-lvm (the baseline pair)
    python3 tests/qemu/smoke_test.py --all      # every fixture
    python3 tests/qemu/smoke_test.py NAME...    # chosen fixtures
    python3 tests/qemu/smoke_test.py --rounds 3 plain raid-luks-lvm   # A B A B A B timing

Prints `PASS name` / `FAIL name` lines, a timing table (fixture build seconds as
recorded when built, floor image size, uptime at the marker), and exits non-zero on any
failure. Also reachable as tools/qemu-smoke.
"""

import os
import statistics
import sys
import time
import traceback

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from tests.qemu import fixtures, floor  # noqa: E402

DEFAULT = ["plain", "raid-luks-lvm"]


def check(name, out):
    """Scenario-specific assertions on the console text of a floor boot."""
    problems = []
    if "BATON-ROOT-DONE" not in out:
        problems.append("no BATON-ROOT-DONE")
    if name in ("raid1", "raid-luks-lvm", "luks2x-raid-lvm"):
        if "BATON-MD-DEGRADED /sys/block/md0/md/degraded 0" not in out:
            problems.append("md0 not reported clean (degraded 0)")
    if name == "usr-split":
        if "BATON-USR-MOUNTED yes" not in out or "BATON-USR-CONTENT usr-ok" not in out:
            problems.append("/usr not mounted with its content")
    return problems


def main(argv):
    rounds = 1
    if "--rounds" in argv:
        i = argv.index("--rounds")
        rounds = int(argv[i + 1])
        del argv[i:i + 2]
    names = [a for a in argv if not a.startswith("--")]
    if "--all" in argv:
        names = list(fixtures.NAMES)
    names = names or DEFAULT
    failed = False
    fx, img = {}, {}
    for n in names:
        t0 = time.monotonic()
        try:
            fx[n] = fixtures.build(n)
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
                up, out = floor.boot(n, fx[n])
                problems = check(n, out)
                if problems:
                    print(out, file=sys.stderr)
                    print(f"FAIL {label}: {'; '.join(problems)}", flush=True)
                    failed = True
                else:
                    ups[n].append(up)
                    print(f"PASS {label} (BATON-ROOT-INIT at uptime {up:.2f} s)", flush=True)
            except Exception as e:
                traceback.print_exc()
                print(f"FAIL {label}: {e}", flush=True)
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
