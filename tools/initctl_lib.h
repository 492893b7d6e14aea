// initctl's logic, apart from main() so that it is unit-tested: command line
// -> control::Request, one request/response exchange over the control socket,
// and control::Response -> text for people.
//
//   initctl [--socket PATH] list | status JOB [INSTANCE] | start JOB [K=V…]
//           | stop JOB [INSTANCE] | restart JOB [INSTANCE]
//           | emit EVENT [K=V…] | log [JOB [INSTANCE]] [-n N] | events [N]
//           | handoff-status [--json] [--file PATH] | reexec | reload
//           | reboot | poweroff | halt
//
// `reboot`, `poweroff` and `halt` ask PID 1 to take the machine down
// (supervisor/shutdown.h); it answers ("powering off") before it starts.
//
// `reload` has the supervisor read its job files again (supervisor/
// reload.h, as SIGHUP does) and prints what was added, changed and
// removed; a file with errors keeps its old definition and makes initctl
// exit 1 with the file:line:col.
//
// `reexec` asks PID 1 to re-exec its own binary in place, carrying its
// state (supervisor/stage2/reexec.h); PID 1 answers first, so initctl
// prints "re-executing /usr/sbin/baton" and exits 0 before the exec.
// Whether it took: `initctl handoff-status` (kind re-exec) once PID 1
// answers again; a failed exec is in `initctl log` (baton's own).
//
// `handoff-status --file PATH` decodes a handoff file (stage 1 writes
// /run/baton/handoff.pb before it execs a foreign init) and prints it
// without asking a running baton: there is no stage-2 reader then, so
// nothing is adopted or replayed in that report.
//
// The socket is --socket, else $BATON_SOCKET, else kDefaultSocket.
// Exit codes: 0 ok, 1 error (reported by the supervisor, or cannot connect,
// or a bad KEY=VALUE), 2 usage.
#ifndef BATON_TOOLS_INITCTL_LIB_H_
#define BATON_TOOLS_INITCTL_LIB_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/control.pb.h"
#include "sys/kernel.h"

namespace baton::initctl {

inline constexpr char kDefaultSocket[] = "/run/baton/control.sock";

inline constexpr char kUsage[] =
    "usage: initctl [--socket PATH] COMMAND\n"
    "  list                      every job and instance\n"
    "  status JOB [INSTANCE]     one job in detail\n"
    "  start JOB [KEY=VALUE...]  start a job by hand\n"
    "  stop JOB [INSTANCE]       stop a job\n"
    "  restart JOB [INSTANCE]    stop and start again\n"
    "  emit EVENT [KEY=VALUE...] emit an event\n"
    "  log [JOB [INSTANCE]] [-n N]  a job's output, all its instances unless one is\n"
    "                            named, each line after its instance (no JOB: baton's own)\n"
    "  events [N]                the last N events (default 50)\n"
    "  handoff-status [--json] [--file PATH]\n"
    "                            what crossed from the initramfs to the real root\n"
    "  reexec                    re-exec baton in place (PID 1), keeping its jobs\n"
    "  reload                    read the job files again (as SIGHUP)\n"
    "  reboot | poweroff | halt  stop every job, unmount, and reboot/power off/halt\n";

struct Invocation {
  std::string socket;
  control::Request request;
  std::string handoff_file;  // handoff-status --file: read this, no socket
};

// `handoff-status --file`: the report of the handoff in BYTES (text, or
// JSON with AS_JSON).
std::string FormatHandoffFile(absl::string_view bytes, bool as_json);

// ARGS without argv[0]; ENV_SOCKET is $BATON_SOCKET or "". Errors:
// InvalidArgument for usage mistakes (exit 2), FailedPrecondition for a bad
// KEY=VALUE (exit 1), both with a message for people.
absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args,
                                     const std::string& env_socket);

// Sends REQUEST on a new connection to SOCKET and reads the response.
// Unavailable "cannot connect to PATH: REASON (is baton running?)" when the
// supervisor is not there.
absl::StatusOr<control::Response> Call(sys::Kernel& kernel, const std::string& socket,
                                       const control::Request& request);

// The text to print for a successful RESPONSE to REQUEST.
std::string Format(const control::Request& request, const control::Response& response);

// The whole command: parses, calls, prints to OUT_FD / ERR_FD, returns the
// exit code.
int Main(sys::Kernel& kernel, const std::vector<std::string>& args,
         const std::string& env_socket, int out_fd, int err_fd);

}  // namespace baton::initctl

#endif  // BATON_TOOLS_INITCTL_LIB_H_
