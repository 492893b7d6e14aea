#!/usr/bin/env python3
"""Fast checks of the pure parts (no QEMU boot): cpio format, module resolution,
the console reader of vm.VM against a fake QEMU. Run: python3 tests/qemu/unit_test.py
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from tests.qemu import cpio, handoff_scenarios, modules, vm  # noqa: E402


class CpioTest(unittest.TestCase):
    def test_roundtrip_with_gnu_cpio(self):
        entries = {"init": cpio.Data(b"#!/bin/sh\n", 0o755), "bin/sh": cpio.Symlink("busybox"),
                   "dev/console": cpio.Dev("c", 5, 1), "etc/x": b"x"}
        data = cpio.archive(entries)
        self.assertEqual(data, cpio.archive(dict(reversed(list(entries.items())))))
        out = subprocess.run(["cpio", "-itv"], input=data, capture_output=True).stdout.decode()
        for name in ("bin", "bin/sh -> busybox", "dev/console", "etc/x", "init"):
            self.assertIn(name, out)
        self.assertIn("5,   1", out)

    def test_compressed_is_reproducible(self):
        e = {"a": b"hello" * 100}
        self.assertEqual(cpio.compress_bytes(cpio.archive(e), "gzip"),
                         cpio.compress_bytes(cpio.archive(e), "gzip"))


class ModulesTest(unittest.TestCase):
    def test_deps_come_first(self):
        names = modules.resolve_names(["virtio_blk", "ext4", "raid1", "dm_crypt"])
        for before, after in [("virtio_ring", "virtio_blk"), ("jbd2", "ext4"),
                              ("crc32c_generic", "ext4"), ("md_mod", "raid1"),
                              ("dm_mod", "dm_crypt")]:
            self.assertLess(names.index(before), names.index(after), (before, after))
        self.assertEqual(len(names), len(set(names)))

    def test_paths_exist(self):
        for p in modules.resolve(modules.STORAGE):
            self.assertTrue(os.path.exists(p), p)


class VMConsoleTest(unittest.TestCase):
    def test_lines_prompts_send(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(f"#!{sys.executable}\n" + textwrap.dedent("""\
                import sys, time
                w = sys.stdout.buffer
                for c in [b"hi\\nMARK uptime=1", b"1.58\\nEnter passphrase: "]:
                    w.write(c); w.flush(); time.sleep(0.3)
                w.write(b"got " + sys.stdin.buffer.readline()); w.flush()
                """))
        os.chmod(f.name, 0o755)
        saved = vm.QEMU
        vm.QEMU = f.name  # a fake QEMU: ignores its arguments, talks on stdio
        try:
            with vm.VM("vmlinuz", None, qmp=False, timeout=20) as v:
                self.assertEqual(v.wait_for(r"MARK uptime=([0-9.]+)").group(1), "11.58")
                v.wait_for("Enter passphrase: ", partial=True)
                v.send("pw\n")
                self.assertEqual(v.wait_for("got (.*)").group(1), "pw")
                self.assertEqual(v.wait_exit(10), 0)
                with self.assertRaises(vm.VMError):
                    v.wait_for("never", timeout=1)
        finally:
            vm.QEMU = saved
            os.unlink(f.name)


class HandoffScenarioParsingTest(unittest.TestCase):
    STATUS = {"phases": [
        {"from": "stage1-start", "to": "root-mounted", "duration_ns": "3000000000"},
        {"from": "root-mounted", "to": "switch-start", "duration_ns": "6000000"},
        {"from": "switch-start", "to": "exec", "duration_ns": "400000000"},
        {"from": "exec", "to": "stage2-start", "duration_ns": "900000000"},
        {"from": "stage2-start", "to": "stage2-ready", "duration_ns": "300000000"},
        {"from": "stage1-start", "to": "stage2-ready", "duration_ns": "4606000000"}]}

    def test_switch_timing_from_phases(self):
        text, total = handoff_scenarios.switch_timing(self.STATUS)
        self.assertEqual(text, "switch-start->exec 400 ms, exec->stage2-start 900 ms, "
                               "stage2-start->stage2-ready 300 ms "
                               "(switch-start->stage2-ready 1600 ms)")
        self.assertAlmostEqual(total, 1600.0)
        self.assertEqual(handoff_scenarios.switch_timing({"phases": []}), (None, None))

    def test_hs_lines_and_json(self):
        out = 'noise\nHS-JSON {"stateless":true}\r\nHS-TEXT a\nHS-TEXT b\n'
        self.assertEqual(handoff_scenarios.hs_lines(out, "HS-TEXT"), ["a", "b"])
        self.assertEqual(handoff_scenarios.hs_json(out), {"stateless": True})
        with self.assertRaises(handoff_scenarios.Failure):
            handoff_scenarios.hs_json("HS-JSON {not json\n")


if __name__ == "__main__":
    unittest.main()
