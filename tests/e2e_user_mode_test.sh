#!/usr/bin/env bash
# End to end: `baton --user` on jobs/examples, driven and inspected with
# initctl. Conditions are awaited by polling with a deadline, never a fixed
# sleep.
set -u

runfiles=${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-baton}
baton=$runfiles/supervisor/baton
initctl_bin=$runfiles/tools/initctl
examples=$runfiles/jobs/examples

# A unix socket path must fit in sun_path (108 bytes): keep it short.
work=$(mktemp -d /tmp/baton-e2e.XXXXXX)
sock=$work/control.sock
export BATON_DEMO_DIR=$work/demo
mkdir -p "$BATON_DEMO_DIR"
failures=0
baton_pid=

cleanup() {
  if [ -n "$baton_pid" ] && kill -0 "$baton_pid" 2>/dev/null; then
    kill -KILL "$baton_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

initctl() { "$initctl_bin" --socket "$sock" "$@"; }
pass() { echo "ok - $*"; }
fail() {
  echo "FAIL - $*"
  failures=$((failures + 1))
}
# wait_for SECONDS COMMAND…: true once COMMAND succeeds, false at the deadline.
wait_for() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
check() {  # check DESCRIPTION COMMAND…
  local what=$1
  shift
  if wait_for 10 "$@"; then pass "$what"; else fail "$what"; fi
}
list_has() { initctl list | grep -Eq "$1"; }
status_has() { initctl status "$1" | grep -q "$2"; }
events_have() { initctl events 1000 | grep -Eq "$1"; }

# A copy, so that the reload checks can change it.
jobs=$work/jobs
mkdir -p "$jobs" && cp "$examples"/*.conf "$jobs"/ && chmod u+w "$jobs"/*.conf
"$baton" --user --jobs "$jobs" --socket "$sock" --log-dir "$work/log" >"$work/baton.out" 2>&1 &
baton_pid=$!

check "control socket appears" test -S "$sock"
check "hello.out written by the startup task" test -f "$BATON_DEMO_DIR/hello.out"
check "ticker is running" list_has '^ticker +- +start +running +[0-9]+'
check "crasher failed: respawning too fast" status_has crasher "respawning too fast"
check "prestart wrote its pre-start and post-stop files" \
  test -f "$BATON_DEMO_DIR/prestart.pre" -a -f "$BATON_DEMO_DIR/prestart.post"

if initctl emit greet NAME=alice; then pass "emit greet NAME=alice"; else fail "emit greet"; fi
check "greet-alice.out written by the greeter instance" test -f "$BATON_DEMO_DIR/greet-alice.out"
check "greeter instance alice stopped" events_have '^ +[0-9]+ +[0-9.]+ stopped JOB=greeter INSTANCE=alice'

if initctl start sandboxed >/dev/null; then pass "start sandboxed"; else fail "start sandboxed"; fi
check "sandboxed killed by seccomp (EXIT_SIGNAL=SYS)" \
  events_have 'stopped JOB=sandboxed .*EXIT_SIGNAL=SYS'
if [ -e "$BATON_DEMO_DIR/forbidden" ]; then fail "seccomp let mkdir through"; else pass "no forbidden dir"; fi

check "initctl log ticker shows ticks" sh -c "'$initctl_bin' --socket '$sock' log ticker | grep -q 'tick [0-9]'"
test -s "$work/log/ticker.log" && pass "ticker.log on disk" || fail "ticker.log on disk"
# An instance job's output: one stream per instance, which `initctl log JOB`
# shows merged (each line after its instance), as well as one instance alone.
# The task exits at once: its output is read after it was reaped.
if initctl emit greet NAME=bob; then pass "emit greet NAME=bob"; else fail "emit greet NAME=bob"; fi
check "greeter instance bob stopped" events_have 'stopped JOB=greeter INSTANCE=bob'
check "initctl log greeter shows every instance" \
  sh -c "'$initctl_bin' --socket '$sock' log greeter | grep -q '^\[ *[0-9.]*\] alice: greeted alice\$' &&
         '$initctl_bin' --socket '$sock' log greeter | grep -q '^\[ *[0-9.]*\] bob: greeted bob\$'"
check "initctl log greeter bob shows that instance" \
  sh -c "'$initctl_bin' --socket '$sock' log greeter bob | grep -q '^\[ *[0-9.]*\] greeted bob\$'"
check "greeter-alice.log on disk" grep -q 'greeted alice$' "$work/log/greeter-alice.log"
for ev in "starting JOB=hello" "started JOB=ticker" "stopped JOB=hello"; do
  if events_have " $ev( |$)"; then pass "event: $ev"; else fail "event: $ev"; fi
done

out=$(initctl emit greet NAME 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$out" = "initctl: bad assignment 'NAME' (expected KEY=VALUE)" ]; then
  pass "bad K=V is a clear error"
else
  fail "bad K=V: rc=$rc out=$out"
fi
out=$(initctl start nosuch 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$out" = "initctl: unknown job 'nosuch'" ]; then
  pass "unknown job is a clear error"
else
  fail "unknown job: rc=$rc out=$out"
fi
out=$("$initctl_bin" --socket "$work/nobody.sock" list 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "cannot connect to $work/nobody.sock: No such file or directory (is baton running?)"; then
  pass "missing supervisor is a clear error"
else
  fail "missing supervisor: rc=$rc out=$out"
fi
# Reloading the job files: `initctl reload`, then SIGHUP.
printf 'task\nexec touch %s/added.out\n' "$BATON_DEMO_DIR" >"$jobs/added.conf"
out=$(initctl reload 2>&1)
if echo "$out" | grep -q "reloaded $jobs: 1 added (added), 0 changed, 0 removed"; then
  pass "initctl reload names the new job"
else
  fail "initctl reload: $out"
fi
initctl start added >/dev/null && check "the reloaded job runs" test -f "$BATON_DEMO_DIR/added.out"
printf 'task\nexce touch nothing\n' >"$jobs/broken.conf"
out=$(initctl reload 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "$jobs/broken.conf:2:1: .*(old definition kept)"; then
  pass "reload of a bad file is exit 1 with file:line:col"
else
  fail "bad file reload: rc=$rc out=$out"
fi
check "the reloaded job has stopped" events_have 'stopped JOB=added '
rm -f "$jobs/broken.conf" "$jobs/added.conf"
kill -HUP "$baton_pid"
check "SIGHUP reloads: the removed job is gone" sh -c "! '$initctl_bin' --socket '$sock' status added >/dev/null 2>&1"
check "SIGHUP's reload is in baton's log" sh -c "'$initctl_bin' --socket '$sock' log | grep -q 'removed (added)'"

"$initctl_bin" --socket "$sock" frobnicate >/dev/null 2>&1
[ $? -eq 2 ] && pass "usage error exits 2" || fail "usage error exit code"

ticker_pid=$(initctl list | awk '$1 == "ticker" { print $5 }')
kill -TERM "$baton_pid"
if wait_for 15 sh -c "! kill -0 $baton_pid"; then
  wait "$baton_pid"
  rc=$?
  baton_pid=
  [ $rc -eq 0 ] && pass "baton exits 0 on SIGTERM" || fail "baton exit status $rc"
else
  fail "baton did not exit after SIGTERM"
fi
if [ -n "$ticker_pid" ] && ! kill -0 "$ticker_pid" 2>/dev/null; then
  pass "ticker (pid $ticker_pid) was stopped"
else
  fail "ticker (pid '$ticker_pid') still running"
fi
[ ! -e "$sock" ] && pass "control socket removed" || fail "control socket left behind"

if [ $failures -ne 0 ]; then
  echo "--- baton output ---"
  cat "$work/baton.out"
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
