"""Stage-1 job output, read in the guest the way a user debugging a boot reads it
(run by run_all after scenarios.py's).

`stage1-logs`: the raid1 fixture with one member (md-run-degraded starts the array)
and `break=premount`; in the shell, `initctl log md-incremental`, `initctl log
md-degraded` and the log files under /run/baton/log. Asserts that

  - `initctl log JOB` of an instance job shows its instances' lines, each after the
    instance (it printed nothing: the request read the stream (JOB, "") only);
  - md-incremental-_dev_vda.log holds mdadm's and md-add's lines (the task exits
    at once: its output is read after it was reaped);
  - md-run-degraded counts the members of the inactive array ("1 of 2 members",
    from the member's superblock) instead of "its member count is unknown: no
    /sys/block/md127/md" (md/raid_disks reads empty while the array is inactive).

Regexes are anchored on the timestamp that initctl and the files print, so the echo
of the typed command line cannot satisfy them.
"""

from .scenarios import PROMPT, MARKER_TIMEOUT, Scenario

_TS = r"^\[ *[0-9]+\.[0-9]+\] "

SHOW_LOGS = ("initctl log md-incremental; initctl log md-degraded; "
             "for f in /run/baton/log/md-*; do echo \"== $f\"; cat \"$f\"; done; "
             "echo LOGS-$((40+2))")

EXPECT = [
    # initctl log JOB: every instance, tagged
    _TS + r"/dev/vda: mdadm: /dev/vda attached to ",
    _TS + r"/dev/vda: baton: md-add: added /dev/vda to its array",
    _TS + r"/dev/md127: baton: md-run-degraded: WARNING: starting /dev/md127 degraded: "
          r"1 of 2 members$",
    # the files (their lines carry no instance; the console's own copy of the
    # warning no timestamp)
    r"^== /run/baton/log/md-incremental-_dev_vda\.log$",
    _TS + r"mdadm: /dev/vda attached to ",
    _TS + r"baton: md-add: added /dev/vda to its array",
    r"^== /run/baton/log/md-degraded-_dev_md127\.log$",
    _TS + r"baton: md-run-degraded: WARNING: starting /dev/md127 degraded: 1 of 2 members$",
    r"^LOGS-42",
    r"^BATON-MD-DEGRADED /sys/block/md\w+/md/degraded 1",
]

FORBID = [r"member count is unknown"]


def _logs_steps(ctx):
    ctx.wait(r"WARNING: starting /dev/md\w+ degraded", timeout=MARKER_TIMEOUT)
    ctx.wait(PROMPT, timeout=MARKER_TIMEOUT, partial=True)
    ctx.type(SHOW_LOGS)
    ctx.wait(r"^LOGS-42", timeout=60)
    ctx.type("exit")


SCENARIOS = [
    Scenario("stage1-logs", "raid1", disks=[0],
             append=lambda fx: f"{fx['cmdline']} break=premount", steps=_logs_steps,
             expect=EXPECT, forbid=FORBID,
             doc="stage-1 job output in initctl log and /run/baton/log; md-run-degraded's "
                 "member count"),
]
