"""Boot any initramfs against a fixture, for hand testing and scripts.

    python3 -m tests.qemu.run --initrd IMG --fixture raid-luks-lvm \\
        [--append 'root=LABEL=batonroot rd.luks.key=...'] [--expect REGEX] \\
        [--send-on REGEX TEXT] [--timeout S] [--mem 1G] [--smp 1] [--kernel VMLINUZ] [--echo]

Without --initrd it boots the floor image of that fixture. Default --append is the
fixture's `cmdline`. Echoes the console (--echo) and exits 0 when --expect (default
`BATON-ROOT-INIT uptime=`) is seen, printing `uptime=<s>` of the marker when present;
non-zero with the console tail otherwise. --send-on REGEX TEXT types TEXT (a trailing
newline added) --send-delay (1.5) s after REGEX shows up, e.g. --send-on 'Enter passphrase' PASS;
'@passphrase' stands for the fixture's passphrase.
"""

import argparse
import sys
import time

from . import fixtures, floor, kernel
from .vm import VM, VMError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="qemu-run")
    ap.add_argument("--fixture", default="plain", choices=fixtures.NAMES)
    ap.add_argument("--initrd")
    ap.add_argument("--kernel")
    ap.add_argument("--append")
    ap.add_argument("--expect", default=r"BATON-ROOT-INIT uptime=([0-9.]+)")
    ap.add_argument("--send-on", nargs=2, action="append", default=[],
                    metavar=("REGEX", "TEXT"))
    ap.add_argument("--send-delay", type=float, default=1.5)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--echo", action="store_true")
    a = ap.parse_args(argv)
    fx = fixtures.build(a.fixture)
    initrd, append = a.initrd, a.append
    if initrd is None:
        img = floor.build(a.fixture, fx)
        initrd = img["initrd"]
        append = append if append is not None else img["append"]
    if append is None:
        append = fx["cmdline"]
    vmlinuz = a.kernel or kernel.ensure()["vmlinuz"]
    with VM(vmlinuz, initrd, disks=fixtures.disks(fx), append=append,
            mem=a.mem, smp=a.smp, timeout=a.timeout, echo=a.echo, name=a.fixture) as vm:
        try:
            for regex, text in a.send_on:
                vm.wait_for(regex, timeout=a.timeout, partial=True)
                time.sleep(a.send_delay)  # prompts may flush tty input after printing
                vm.send((fx.get("passphrase", "") if text == "@passphrase" else text) + "\n")
            m = vm.wait_for(a.expect, timeout=a.timeout)
        except VMError as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        if m.groups():
            print(f"uptime={m.group(1)}")
        print(f"OK: matched {m.group(0)!r}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
