"""Runs the QEMU scenarios with baton's own image: stage 1's (tests/qemu/scenarios.py,
then tests/qemu/log_scenarios.py: stage-1 job output), then the switch's
(tests/qemu/handoff_scenarios.py, issue 4), then PID 1's crash handler
(tests/qemu/crash_scenarios.py).

    python3 -m tests.qemu.run_all [--only NAME...] [--list] [--keep]

Expects the binaries built (`bazel build //supervisor:baton //tools:initctl
//tools/mkinitramfs:baton-mkinitramfs`; tools/test does it); they are found in
$BATON_BAZEL_BIN, bazel-out/k8-fastbuild/bin or `bazel info bazel-bin`, and copied
before use. Builds each needed baton image once (baton-mkinitramfs), the fixtures
(cached), then boots every scenario and prints exactly one line per scenario:

    PASS name (N.N s)
        name: what was seen       (scenarios that report details, e.g. switch timings)
    FAIL name: reason            (+ the last console lines, indented, and the log path)

Console logs: $BATON_TEST_LOGS (default /tmp/baton-qemu-logs)/<name>.log. Each boot has a
hard timeout (scenarios.BOOT_TIMEOUT). Exit status 0 only when none failed.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from tests.qemu import (crash_scenarios, fixtures, handoff_scenarios, log_scenarios,  # noqa: E402
                        scenarios)
from tests.qemu.scenarios import Failure  # noqa: E402

# Stage-1 scenarios (boot, then stage-1 job output), then issue 4's switch
# scenarios (they make their own fixtures).
SCENARIOS = (list(scenarios.SCENARIOS) + list(log_scenarios.SCENARIOS)
             + list(handoff_scenarios.SCENARIOS) + list(crash_scenarios.SCENARIOS))
BY_NAME = {s.name: s for s in SCENARIOS}

LOG_DIR = os.environ.get("BATON_TEST_LOGS", "/tmp/baton-qemu-logs")
TAIL = 40


def tail(path, n=TAIL):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().replace("\r", "").splitlines()
    except OSError:
        return []
    return lines[-n:]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="run_all")
    ap.add_argument("--only", nargs="+", metavar="NAME", default=[])
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (images)")
    a = ap.parse_args(argv)
    # A TERM (e.g. a timeout around us) unwinds through the VMs' close(): no QEMU
    # is left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.list:
        for s in SCENARIOS:
            print(f"{s.name:18} fixture={s.fixture} image={s.image}")
        return 0
    unknown = [n for n in a.only if n not in BY_NAME]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    todo = [BY_NAME[n] for n in a.only] if a.only else list(SCENARIOS)
    if not a.only:
        for s in [s for s in todo if s.known_failure]:
            print(f"SKIP {s.name}: known failure: {s.known_failure}", flush=True)
        todo = [s for s in todo if not s.known_failure]
    os.makedirs(LOG_DIR, exist_ok=True)
    work = tempfile.mkdtemp(prefix="baton-qemu-run-")
    failed = 0
    t_all = time.monotonic()
    try:
        try:
            bins = scenarios.Bins(scenarios.find_bazel_bin(), work)
            fxs = fixtures.build_many(scenarios.fixtures_needed(
                [s for s in todo if not getattr(s, "own_fixture", False)]))
        except Exception as e:  # noqa: BLE001 -- every scenario fails the same way
            for s in todo:
                print(f"FAIL {s.name}: setup: {e}", flush=True)
            return 1
        images = scenarios.Images(bins, work, fxs)
        for s in todo:
            log = os.path.join(LOG_DIR, f"{s.name}.log")
            try:
                secs = s.run(images, fxs, log)
                print(f"PASS {s.name} ({secs:.1f} s)", flush=True)
                if getattr(s, "details", None):
                    print(f"    {s.name}: {s.details}", flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                reason = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
                print(f"FAIL {s.name}: {reason}", flush=True)
                lines = tail(log)
                if lines:
                    print(f"    --- last {len(lines)} console lines ({log}) ---")
                    for line in lines:
                        print(f"    | {line}")
                sys.stdout.flush()
        for name, (path, secs, size) in sorted(images.built.items()):
            print(f"    image {name}: {size / 1048576:.2f} MiB, built in {secs:.2f} s")
        print(f"    {len(todo) - failed} of {len(todo)} scenarios passed in "
              f"{time.monotonic() - t_all:.0f} s; logs in {LOG_DIR}")
    finally:
        if a.keep:
            print(f"    work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
