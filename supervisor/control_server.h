// The control socket: initctl's way in (proto/control.proto).
//
// Listen() creates a SOCK_SEQPACKET unix socket and watches it through the
// FdWatcher; each accepted connection is watched too. Every packet read is
// one Request; the Response goes back as one packet. A packet that does not
// parse gets an error response; a connection that errors is closed. At most
// kMaxConnections are open at once (further ones are closed on accept).
//
// Permissions, from SO_PEERCRED of the connection:
//   - list, status, log, events, handoff_status: anyone;
//   - start, stop, restart, emit: uid 0, or (user mode) the uid the
//     supervisor runs as; anyone else gets "permission denied: …";
//   - reexec: uid 0 only, and only when the supervisor set ReexecHooks
//     (system mode, stage 2): Handle answers "re-executing PATH" after
//     ReexecHooks::check, and the re-exec itself (ReexecHooks::run) runs
//     once that answer is written (RunPendingReexec), so initctl returns
//     before PID 1 execs. A failed check is the answer's error. (baton's
//     check collects the handoff and preflights the new binary with it,
//     supervisor/stage2/reexec.h PrepareReexec, so that a binary that
//     cannot start or cannot read the handoff is refused to initctl.)
//   - reload: as start/stop (root, or the owner in user mode); the job
//     files are read again (supervisor/reload.h) and the answer says what
//     changed; a file with errors makes it an error (the rest is applied).
//   - shutdown (reboot/poweroff/halt): uid 0 only, and only when the
//     supervisor set ShutdownHooks (system mode on the real root): Handle
//     answers after ShutdownHooks::check, and ShutdownHooks::run starts the
//     shutdown once that answer is written (RunPendingShutdown).
//
// Handle() is the pure request -> response mapping used by the socket code
// and by tests. Errors are spelled for people: "unknown job 'foo'",
// "bad assignment 'FOO' (expected KEY=VALUE)". Responses are kept under
// kMaxResponseBytes by dropping the oldest log lines or events (the response
// then says truncated).
#ifndef BATON_SUPERVISOR_CONTROL_SERVER_H_
#define BATON_SUPERVISOR_CONTROL_SERVER_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "handoff/status.h"
#include "proto/control.pb.h"
#include "supervisor/engine.h"
#include "supervisor/reload.h"
#include "supervisor/fd_watcher.h"
#include "supervisor/log_ring.h"
#include "supervisor/logger.h"
#include "supervisor/shutdown.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::supervisor {

class ControlServer {
 public:
  static constexpr size_t kMaxConnections = 64;
  static constexpr size_t kMaxRequestBytes = 64 * 1024;
  static constexpr size_t kMaxResponseBytes = 128 * 1024;
  static constexpr uint32_t kDefaultEvents = 50;

  struct Options {
    uid_t owner_uid = 0;     // the uid the supervisor runs as
    bool user_mode = false;  // OWNER_UID may mutate too
  };

  ControlServer(sys::Kernel& kernel, Engine& engine, LogRing& ring, FdWatcher& watcher,
                Logger& logger, Options options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the socket at PATH (replacing a stale one) and starts accepting.
  absl::Status Listen(const std::string& path);
  // Starts accepting on FD, a listening socket carried across a re-exec.
  absl::Status Adopt(sys::UniqueFd fd);
  int listen_fd() const { return listen_fd_.get(); }

  struct ReexecHooks {
    // "re-executing /usr/sbin/baton", or why a re-exec cannot be tried.
    std::function<absl::StatusOr<std::string>()> check;
    // The re-exec; returns only when it failed (the old binary goes on).
    std::function<void()> run;
  };
  void set_reexec(ReexecHooks hooks) { reexec_ = std::move(hooks); }
  // `reload`: reads the job files again (supervisor/reload.h); unset: the
  // request is refused.
  void set_reload(std::function<ReloadReport()> reload) { reload_ = std::move(reload); }
  // Runs a re-exec that Handle accepted (OnReadable calls it right after
  // writing the answer); nothing when none is pending.
  void RunPendingReexec();

  struct ShutdownHooks {
    // OK, or why no shutdown can start now ("already shutting down …").
    std::function<absl::Status()> check;
    std::function<void(ShutdownAction)> run;
  };
  void set_shutdown(ShutdownHooks hooks) { shutdown_ = std::move(hooks); }
  // Starts a shutdown that Handle accepted (after its answer is written).
  void RunPendingShutdown();

  // One request from a peer with credentials PEER.
  control::Response Handle(const control::Request& request, const sys::PeerCred& peer);

  size_t connections() const { return connections_.size(); }

  // The report `handoff_status` answers with (stage 2 keeps it alive and
  // updates it in place); null: "no handoff information".
  void set_handoff_report(const handoff::StatusReport* report) { handoff_report_ = report; }

 private:
  void OnAcceptable();
  void OnReadable(int fd);
  void Close(int fd);
  bool MayMutate(const sys::PeerCred& peer) const;
  // "permission denied: uid U may not WHAT (only root[ or uid OWNER])".
  std::string MutationDenied(const sys::PeerCred& peer, absl::string_view what) const;

  sys::Kernel& kernel_;
  Engine& engine_;
  LogRing& ring_;
  FdWatcher& watcher_;
  Logger& logger_;
  Options options_;
  sys::UniqueFd listen_fd_;
  struct Connection {
    sys::UniqueFd fd;
    sys::PeerCred peer;
  };
  std::map<int, std::unique_ptr<Connection>> connections_;
  const handoff::StatusReport* handoff_report_ = nullptr;
  ReexecHooks reexec_;
  bool reexec_pending_ = false;
  std::function<ReloadReport()> reload_;
  ShutdownHooks shutdown_;
  ShutdownAction shutdown_pending_ = ShutdownAction::kNone;
};

// The protobuf view of one instance (shared with tests).
control::JobStatus ToJobStatus(const InstanceInfo& info, const jobs::JobConfig* job);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_CONTROL_SERVER_H_
