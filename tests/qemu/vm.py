"""QEMU runner for the integration tests (TCG; KVM does not work on these machines).

    from tests.qemu.vm import VM, Disk, boot
    with VM(kernel, initrd, disks=["a.img", Disk("b.img", serial="b", snapshot=False)],
            append="root=LABEL=batonroot", mem="1G", timeout=300) as vm:
        m = vm.wait_for(r"BATON-ROOT-INIT uptime=([0-9.]+)", timeout=120)
        vm.send("passphrase\\n")                 # type on the serial console
        vm.send_keys("passphrase\\n")            # type on the PS/2 keyboard (tty0)
        vm.hotplug_disk("late.img", "late0")     # QMP blockdev-add + device_add
        vm.wait_exit(30)                          # guest ran `poweroff -f`
    vm = boot(kernel, initrd, disks=[...], append=..., mem="1G", qmp=True)  # same, a function

Console: the guest's ttyS0 is QEMU's stdio (`-display none -serial stdio -nodefaults`,
i.e. -nographic without the muxed monitor), read by a thread into a buffer of
(host-seconds-since-start, line). `console=ttyS0 panic=-1 no_timer_check` is always
put on the command line (no_timer_check: the kernel's early check that the IO-APIC
timer ticks counts ticks against a busy-wait, which under TCG on a loaded host can
fall short and end in "IO-APIC + timer doesn't work!", a panic at 0.05 s; cloud
images pass it for the same reason); `-no-reboot` turns the panic reboot into an exit (VM(no_reboot=False) leaves
it out: a guest reboot then boots again, for the `reboot` scenario).

wait_for() searches the console text from the end of the previous match on (so
successive waits move forward), and raises VMError when the timeout passes or QEMU
exits first; a VMError prints the last 60 console lines to stderr. A watchdog kills
QEMU after `timeout` seconds whatever happens, so a hung guest never hangs a test.

Disks are virtio-blk-pci with `serial=NAME` (guest: /dev/disk/by-id/virtio-NAME,
/sys/block/vdX/serial). A plain path is attached with snapshot=on (the cached fixture
is never written); pass Disk(path, snapshot=False) to write to it.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

QEMU = os.environ.get("BATON_QEMU", "qemu-system-x86_64")


class VMError(Exception):
    pass


class Disk:
    def __init__(self, path, serial=None, snapshot=True, fmt="raw", readonly=False):
        self.path = path
        # virtio-blk serials are at most 20 bytes.
        self.serial = (serial or os.path.splitext(os.path.basename(path))[0])[:20]
        self.snapshot, self.fmt, self.readonly = snapshot, fmt, readonly


class VM:
    def __init__(self, kernel, initrd=None, disks=(), append="", mem="1G", smp=1,
                 qmp=True, timeout=300, machine="pc", cpu=None, extra_args=(),
                 console_log=None, name="vm", echo=None, no_reboot=True):
        self.name = name
        self.lines = []  # (seconds since start, line)
        self._text = ""
        self._pos = 0
        self._cond = threading.Condition()
        self._closed = False
        self._qmp = None
        self._tmp = tempfile.mkdtemp(prefix="baton-vm-")
        self.qmp_path = os.path.join(self._tmp, "qmp.sock") if qmp else None
        self.echo = echo if echo is not None else bool(os.environ.get("BATON_VM_ECHO"))
        self._log = open(console_log, "w") if console_log else None
        self._disk_index = 0
        args = [QEMU, "-M", machine, "-m", str(mem), "-smp", str(smp), "-accel", "tcg",
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
                "-kernel", kernel]
        if no_reboot:  # a guest reboot (or panic) ends QEMU; no_reboot=False boots again
            args.insert(args.index("-kernel"), "-no-reboot")
        if cpu:
            args += ["-cpu", cpu]
        if initrd:
            args += ["-initrd", initrd]
        args += ["-append", f"console=ttyS0 panic=-1 no_timer_check {append}".strip()]
        for d in disks:
            args += self._disk_args(d if isinstance(d, Disk) else Disk(d))
        if qmp:
            args += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        args += list(extra_args)
        self.args = args
        self.start = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._watchdog = threading.Timer(timeout, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        self.timed_out = False

    def _disk_args(self, d):
        i = self._disk_index
        self._disk_index += 1
        opts = f"file={d.path},if=none,id=drive{i},format={d.fmt},cache=unsafe"
        if d.snapshot:
            opts += ",snapshot=on"
        if d.readonly:
            opts += ",readonly=on"
        return ["-drive", opts, "-device", f"virtio-blk-pci,drive=drive{i},serial={d.serial}"]

    # --- console ---------------------------------------------------------------

    def _read(self):
        partial = b""
        while True:
            chunk = self.proc.stdout.read1(65536) if hasattr(self.proc.stdout, "read1") \
                else os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            now = time.monotonic() - self.start
            text = chunk.decode("utf-8", "replace").replace("\r", "")
            if self._log:
                self._log.write(text)
                self._log.flush()
            if self.echo:
                sys.stderr.write(text)
            with self._cond:
                self._text += text
                partial += chunk
                *done, rest = partial.replace(b"\r", b"").split(b"\n")
                for line in done:
                    self.lines.append((now, line.decode("utf-8", "replace")))
                partial = rest
                self._cond.notify_all()
        with self._cond:
            if partial:
                self.lines.append((time.monotonic() - self.start,
                                   partial.decode("utf-8", "replace")))
            self._closed = True
            self._cond.notify_all()

    @property
    def output(self):
        with self._cond:
            return self._text

    def wait_for(self, regex, timeout=60, from_start=False, partial=False):
        """Waits for `regex` in the console text after the previous match; returns
        the re.Match. Raises VMError (and dumps the console tail) on timeout/exit.

        By default only complete lines are searched, so `uptime=([0-9.]+)` can't match
        half of a line still being written; pass partial=True for prompts that end
        without a newline ("Enter passphrase for ...: ")."""
        pat = re.compile(regex, re.M) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        with self._cond:
            pos = 0 if from_start else self._pos
            while True:
                end = len(self._text) if partial or self._closed else self._text.rfind("\n") + 1
                m = pat.search(self._text, pos, max(end, pos))
                if m:
                    self._pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    why = "QEMU exited" if self._closed else f"timeout {timeout}s"
                    if self.timed_out:
                        why = "VM watchdog expired"
                    break
                self._cond.wait(min(left, 1.0))
        self.dump()
        raise VMError(f"{self.name}: {why} waiting for {pat.pattern!r}")

    def send(self, text):
        """Types `text` on the serial console. Beware: a prompt may be printed before
        the program flushes the tty input (cryptsetup: tcsetattr(TCSAFLUSH) after the
        prompt), so text typed the instant the prompt shows can be dropped; wait a
        moment (floor.boot waits 1.5 s)."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def tail(self, n=60):
        with self._cond:
            return list(self.lines[-n:]) + ([(0, self._text.rsplit("\n", 1)[-1])]
                                             if not self._text.endswith("\n") else [])

    def dump(self, n=60):
        sys.stderr.write(f"----- {self.name}: last {n} console lines -----\n")
        for t, line in self.tail(n):
            sys.stderr.write(f"[{t:7.2f}] {line}\n")
        sys.stderr.write(f"----- {self.name}: end (qemu: {' '.join(self.args)}) -----\n")

    # --- lifetime --------------------------------------------------------------

    def _expire(self):
        self.timed_out = True
        self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()

    def wait_exit(self, timeout=60):
        """Waits for QEMU to exit (guest poweroff/reboot/panic); returns its code."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.dump()
            raise VMError(f"{self.name}: QEMU still running after {timeout}s")
        self._reader.join(5)
        return rc

    def close(self):
        self._watchdog.cancel()
        if self._qmp:
            try:
                self._qmp.close()
            except OSError:
                pass
        self.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(5)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        if self._log:
            self._log.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False

    # --- QMP -------------------------------------------------------------------

    def qmp(self, execute, **arguments):
        """Runs one QMP command; returns its "return" value, raises VMError on "error"."""
        if self.qmp_path is None:
            raise VMError("started with qmp=False")
        if self._qmp is None:
            deadline = time.monotonic() + 10
            while True:
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(self.qmp_path)
                    break
                except OSError:
                    s.close()
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            self._qmp = s
            self._qmp_file = s.makefile("rwb", buffering=0)
            self._qmp_recv()  # greeting
            self._qmp_cmd("qmp_capabilities", {})
        return self._qmp_cmd(execute, arguments)

    def _qmp_recv(self):
        while True:
            line = self._qmp_file.readline()
            if not line:
                raise VMError("QMP connection closed")
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def _qmp_cmd(self, execute, arguments):
        req = {"execute": execute}
        if arguments:
            req["arguments"] = arguments
        self._qmp_file.write(json.dumps(req).encode() + b"\n")
        msg = self._qmp_recv()
        if "error" in msg:
            raise VMError(f"QMP {execute}: {msg['error']}")
        return msg.get("return")

    def hotplug_disk(self, path, id, serial=None, snapshot=True):
        """Hot-adds a virtio-blk-pci disk (the guest sees a new /dev/vdX)."""
        file = {"driver": "file", "filename": path}
        node = {"driver": "raw", "node-name": id, "file": file}
        if snapshot:
            # Writes go to a temporary qcow2 overlay, never to the fixture.
            overlay = os.path.join(self._tmp, f"{id}.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                            os.path.abspath(path), overlay], check=True)
            node = {"driver": "qcow2", "node-name": id,
                    "file": {"driver": "file", "filename": overlay}}
        self.qmp("blockdev-add", **node)
        self.qmp("device_add", driver="virtio-blk-pci", drive=id, id=f"{id}dev",
                 serial=(serial or id)[:20])

    def unplug_disk(self, id):
        self.qmp("device_del", id=f"{id}dev")

    # --- keyboard ----------------------------------------------------------------

    def send_keys(self, text, hold_ms=50):
        """Types `text` on the guest's PS/2 keyboard (QMP send-key; the i8042 of the pc
        machine): the foreground virtual terminal gets it, i.e. tty0, a second console
        besides ttyS0 when the kernel line has `console=tty0`. Letters, digits, space,
        "-", ".", "/" and "\n" (Enter); upper case with shift."""
        names = {" ": "spc", "-": "minus", ".": "dot", "/": "slash", "\n": "ret"}
        for ch in text:
            if ch.isascii() and ch.isalnum():
                keys = [ch.lower()] if not ch.isupper() else ["shift", ch.lower()]
            elif ch in names:
                keys = [names[ch]]
            else:
                raise VMError(f"send_keys: no key for {ch!r}")
            self.qmp("send-key", keys=[{"type": "qcode", "data": k} for k in keys],
                     **{"hold-time": hold_ms})
            time.sleep(2 * hold_ms / 1000)  # released before the next one is pressed


def boot(kernel, initrd=None, disks=(), append="", mem="1G", qmp=True, **kw):
    """Starts a VM (see VM for the keyword arguments); use as a context manager or
    call close()."""
    return VM(kernel, initrd, disks=disks, append=append, mem=mem, qmp=qmp, **kw)
