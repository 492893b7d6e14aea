#include "supervisor/control_server.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "jobs/expr.h"
#include "sys/status_macros.h"

namespace baton::supervisor {

namespace {

control::Response Error(absl::string_view message) {
  control::Response response;
  response.set_ok(false);
  response.set_error(std::string(message));
  return response;
}

std::string UnknownJob(absl::string_view job) { return absl::StrCat("unknown job '", job, "'"); }

// "K=V" strings -> Env, or the first bad one as an error message.
absl::StatusOr<Env> ParseEnv(const google::protobuf::RepeatedPtrField<std::string>& list) {
  Env env;
  for (const std::string& kv : list) {
    std::optional<std::pair<std::string, std::string>> parsed = ParseAssignment(kv);
    if (!parsed.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad assignment '", kv, "' (expected KEY=VALUE)"));
    }
    env.push_back(std::move(*parsed));
  }
  return env;
}

bool ValidEventName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '=' || c == '(' || c == ')') return false;
  }
  return true;
}

// Drops the oldest log lines / events until RESPONSE serializes under LIMIT.
void Fit(control::Response& response, size_t limit) {
  while (response.ByteSizeLong() > limit) {
    if (response.log_size() > 0) {
      int drop = std::max(1, response.log_size() / 8);
      response.mutable_log()->DeleteSubrange(0, drop);
    } else if (response.events_size() > 0) {
      int drop = std::max(1, response.events_size() / 8);
      response.mutable_events()->DeleteSubrange(0, drop);
    } else if (response.jobs_size() > 0) {
      response.mutable_jobs()->RemoveLast();
    } else {
      break;
    }
    response.set_truncated(true);
  }
}

}  // namespace

control::JobStatus ToJobStatus(const InstanceInfo& info, const jobs::JobConfig* job) {
  control::JobStatus status;
  status.set_job(info.job);
  status.set_instance(info.instance);
  status.set_state(StateName(info.state));
  status.set_goal(GoalName(info.goal));
  status.set_pid(info.pid);
  if (info.pid != 0) status.set_phase(PhaseName(info.phase));
  status.set_failed(info.failed);
  status.set_failure(info.failure);
  status.set_respawns(info.respawns);
  status.set_runs(info.runs);
  if (info.last_exit.has_value()) {
    status.set_has_last_exit(true);
    status.set_last_exit_status(info.last_exit->exit_status);
    status.set_last_exit_signal(info.last_exit->signal);
  }
  if (job != nullptr) {
    if (job->start_on) status.set_start_on(jobs::FormatEventExpr(*job->start_on));
    if (job->stop_on) status.set_stop_on(jobs::FormatEventExpr(*job->stop_on));
    status.set_description(job->description);
    status.set_task(job->task);
  }
  return status;
}

ControlServer::ControlServer(sys::Kernel& kernel, Engine& engine, LogRing& ring,
                             FdWatcher& watcher, Logger& logger, Options options)
    : kernel_(kernel),
      engine_(engine),
      ring_(ring),
      watcher_(watcher),
      logger_(logger),
      options_(options) {}

ControlServer::~ControlServer() {
  for (const auto& [fd, connection] : connections_) watcher_.Unwatch(fd);
  if (listen_fd_.valid()) watcher_.Unwatch(listen_fd_.get());
}

absl::Status ControlServer::Listen(const std::string& path) {
  ASSIGN_OR_RETURN(listen_fd_, kernel_.UnixListen(path));
  return watcher_.Watch(listen_fd_.get(), [this](uint32_t) { OnAcceptable(); });
}

absl::Status ControlServer::Adopt(sys::UniqueFd fd) {
  listen_fd_ = std::move(fd);
  return watcher_.Watch(listen_fd_.get(), [this](uint32_t) { OnAcceptable(); });
}

void ControlServer::RunPendingReexec() {
  if (!reexec_pending_) return;
  reexec_pending_ = false;
  if (reexec_.run) reexec_.run();
}

void ControlServer::OnAcceptable() {
  absl::StatusOr<sys::UniqueFd> fd = kernel_.Accept(listen_fd_.get());
  if (!fd.ok()) {
    if (!absl::IsUnavailable(fd.status())) {
      logger_.Warn(absl::StrCat("control socket: accept: ", fd.status().message()));
    }
    return;
  }
  if (connections_.size() >= kMaxConnections) {
    logger_.Warn("control socket: too many connections, refusing one");
    return;  // closes it
  }
  absl::StatusOr<sys::PeerCred> peer = kernel_.GetPeerCred(fd->get());
  if (!peer.ok()) {
    logger_.Warn(absl::StrCat("control socket: ", peer.status().message()));
    return;
  }
  int raw = fd->get();
  auto connection = std::make_unique<Connection>();
  connection->fd = std::move(*fd);
  connection->peer = *peer;
  absl::Status watched = watcher_.Watch(raw, [this, raw](uint32_t) { OnReadable(raw); });
  if (!watched.ok()) {
    logger_.Warn(absl::StrCat("control socket: ", watched.message()));
    return;
  }
  connections_[raw] = std::move(connection);
}

void ControlServer::OnReadable(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  std::string buf(kMaxRequestBytes, '\0');
  absl::StatusOr<size_t> n = kernel_.Read(fd, buf.data(), buf.size());
  if (!n.ok() && absl::IsUnavailable(n.status())) return;
  if (!n.ok() || *n == 0) {
    Close(fd);
    return;
  }
  control::Request request;
  control::Response response;
  if (!request.ParseFromArray(buf.data(), static_cast<int>(*n))) {
    response = Error("malformed request");
  } else {
    response = Handle(request, it->second->peer);
  }
  std::string out;
  response.SerializeToString(&out);
  // The connection is non-blocking (Kernel::Accept): a client that leaves
  // its answers unread until no more fit is dropped, never waited for.
  absl::StatusOr<size_t> written = kernel_.Write(fd, out.data(), out.size());
  if (!written.ok()) {
    if (absl::IsUnavailable(written.status())) {
      logger_.Warn(absl::StrCat("control socket: dropped the connection of pid ",
                                it->second->peer.pid, " (uid ", it->second->peer.uid,
                                "): it does not read its answers"));
    }
    Close(fd);
  }
  RunPendingReexec();  // after the answer: initctl has it before the exec
  RunPendingShutdown();
}

void ControlServer::RunPendingShutdown() {
  ShutdownAction action = shutdown_pending_;
  shutdown_pending_ = ShutdownAction::kNone;
  if (action != ShutdownAction::kNone && shutdown_.run) shutdown_.run(action);
}

void ControlServer::Close(int fd) {
  watcher_.Unwatch(fd);
  connections_.erase(fd);
}

bool ControlServer::MayMutate(const sys::PeerCred& peer) const {
  return peer.uid == 0 || (options_.user_mode && peer.uid == options_.owner_uid);
}

std::string ControlServer::MutationDenied(const sys::PeerCred& peer, absl::string_view what) const {
  return absl::StrCat("permission denied: uid ", peer.uid, " may not ", what, " (only root",
                      options_.user_mode ? absl::StrCat(" or uid ", options_.owner_uid)
                                         : std::string(),
                      ")");
}

control::Response ControlServer::Handle(const control::Request& request,
                                        const sys::PeerCred& peer) {
  using control::Request;
  control::Response response;
  response.set_ok(true);

  // The instances of JOB (all when INSTANCE is empty), with a placeholder
  // for a job that has none yet.
  auto add_statuses = [this, &response](const jobs::JobConfig* job, absl::string_view instance) {
    bool any = false;
    for (const InstanceInfo& info : engine_.Instances()) {
      if (info.job != job->name || (!instance.empty() && info.instance != instance)) continue;
      *response.add_jobs() = ToJobStatus(info, job);
      any = true;
    }
    if (!any && instance.empty()) {
      InstanceInfo idle;
      idle.job = job->name;
      *response.add_jobs() = ToJobStatus(idle, job);
    }
    return any || instance.empty();
  };

  switch (request.command_case()) {
    case Request::kList:
      for (const jobs::JobConfig* job : engine_.Jobs()) add_statuses(job, "");
      break;

    case Request::kStatus: {
      const jobs::JobConfig* job = engine_.FindJob(request.status().job());
      if (job == nullptr) return Error(UnknownJob(request.status().job()));
      if (!add_statuses(job, request.status().instance())) {
        return Error(absl::StrCat("job '", job->name, "' has no instance '",
                                  request.status().instance(), "'"));
      }
      break;
    }

    case Request::kStart:
    case Request::kStop:
    case Request::kRestart:
    case Request::kEmit: {
      if (!MayMutate(peer)) return Error(MutationDenied(peer, "change jobs"));
      if (request.has_emit()) {
        if (!ValidEventName(request.emit().event())) {
          return Error(absl::StrCat("bad event name '", request.emit().event(), "'"));
        }
        absl::StatusOr<Env> env = ParseEnv(request.emit().env());
        if (!env.ok()) return Error(env.status().message());
        logger_.Info(absl::StrCat("event ", request.emit().event(), " emitted by uid ", peer.uid));
        engine_.Emit(request.emit().event(), std::move(*env));
        engine_.RunQueue();
        break;
      }
      std::string name = request.has_start()  ? request.start().job()
                         : request.has_stop() ? request.stop().job()
                                              : request.restart().job();
      const jobs::JobConfig* job = engine_.FindJob(name);
      if (job == nullptr) return Error(UnknownJob(name));
      absl::Status done;
      std::string instance;
      if (request.has_start()) {
        absl::StatusOr<Env> env = ParseEnv(request.start().env());
        if (!env.ok()) return Error(env.status().message());
        done = engine_.Start(name, *env);
      } else if (request.has_stop()) {
        instance = request.stop().instance();
        done = engine_.Stop(name, instance);
      } else {
        instance = request.restart().instance();
        done = engine_.Restart(name, instance);
      }
      if (!done.ok()) return Error(done.message());
      engine_.RunQueue();
      add_statuses(job, instance);
      break;
    }

    case Request::kLog: {
      const control::LogRequest& log = request.log();
      // A job without an instance named: all its streams (one per instance
      // of an instance job), each line tagged with its instance.
      const bool whole_job = !log.job().empty() && log.instance().empty();
      if (!log.job().empty() && engine_.FindJob(log.job()) == nullptr &&
          !(whole_job ? ring_.HasJob(log.job()) : ring_.HasStream(log.job(), log.instance()))) {
        return Error(UnknownJob(log.job()));
      }
      if (whole_job) {
        for (const LogRing::JobLine& line : ring_.JobLines(log.job(), log.lines())) {
          control::LogLine* out = response.add_log();
          out->set_time(absl::ToDoubleSeconds(line.line.since_start));
          out->set_text(line.line.text);
          out->set_instance(line.instance);
        }
        response.set_log_dropped(ring_.JobDropped(log.job()));
        break;
      }
      for (const LogLine& line : ring_.Lines(log.job(), log.instance(), log.lines())) {
        control::LogLine* out = response.add_log();
        out->set_time(absl::ToDoubleSeconds(line.since_start));
        out->set_text(line.text);
      }
      response.set_log_dropped(ring_.Dropped(log.job(), log.instance()));
      break;
    }

    case Request::kEvents: {
      const std::deque<Event>& history = engine_.History();
      size_t limit = request.events().limit() == 0 ? kDefaultEvents : request.events().limit();
      size_t skip = history.size() > limit ? history.size() - limit : 0;
      for (size_t i = skip; i < history.size(); ++i) {
        const Event& event = history[i];
        control::EventRecord* out = response.add_events();
        out->set_seq(event.seq);
        out->set_time(absl::ToDoubleSeconds(event.when - ring_.start()));
        out->set_name(event.name);
        for (const auto& [key, value] : event.env) {
          control::EnvVar* var = out->add_env();
          var->set_key(key);
          var->set_value(value);
        }
      }
      break;
    }

    case Request::kHandoffStatus:
      if (handoff_report_ == nullptr) {
        return Error("no handoff information: this supervisor was not started from a handoff");
      }
      response.set_handoff_status(request.handoff_status().json()
                                      ? handoff::FormatJson(*handoff_report_)
                                      : handoff::FormatText(*handoff_report_));
      break;

    case Request::kReexec: {
      if (peer.uid != 0) {
        return Error(absl::StrCat("permission denied: uid ", peer.uid,
                                  " may not re-exec the supervisor (only root)"));
      }
      if (!reexec_.check || !reexec_.run) {
        return Error("re-exec is not available here (only the system supervisor on the real "
                     "root re-execs itself, once it has emitted startup)");
      }
      absl::StatusOr<std::string> ready = reexec_.check();
      if (!ready.ok()) {
        logger_.Warn(absl::StrCat("re-exec requested by uid ", peer.uid, " refused: ",
                                  ready.status().message()));
        return Error(absl::StrCat("not re-executing: ", ready.status().message()));
      }
      logger_.Info(absl::StrCat("re-exec requested by uid ", peer.uid, ": ", *ready));
      response.set_message(*ready);
      reexec_pending_ = true;
      break;
    }

    case Request::kReload: {
      if (!MayMutate(peer)) return Error(MutationDenied(peer, "reload the job files"));
      if (!reload_) return Error("reloading the job files is not available here");
      logger_.Info(absl::StrCat("reload requested by uid ", peer.uid));
      ReloadReport report = reload_();
      engine_.RunQueue();
      // Errors are the caller's to see too (initctl exits 1); the rest of
      // the files were applied all the same.
      if (!report.errors.empty()) return Error(report.Summary());
      response.set_message(report.Summary());
      break;
    }

    case Request::kShutdown: {
      ShutdownAction action = ShutdownAction::kNone;
      switch (request.shutdown().action()) {
        case control::ShutdownRequest::REBOOT: action = ShutdownAction::kReboot; break;
        case control::ShutdownRequest::POWEROFF: action = ShutdownAction::kPoweroff; break;
        case control::ShutdownRequest::HALT: action = ShutdownAction::kHalt; break;
        default: return Error("shutdown: no action (reboot, poweroff or halt)");
      }
      const char* name = ShutdownActionName(action);
      if (peer.uid != 0) {
        return Error(absl::StrCat("permission denied: uid ", peer.uid, " may not ", name,
                                  " the machine (only root)"));
      }
      if (!shutdown_.check || !shutdown_.run) {
        return Error(absl::StrCat(name, " is not available here (only the system init on the "
                                        "real root takes the machine down)"));
      }
      absl::Status ready = shutdown_.check();
      if (!ready.ok()) return Error(absl::StrCat("not doing ", name, ": ", ready.message()));
      logger_.Info(absl::StrCat(name, " requested by uid ", peer.uid));
      response.set_message(ShutdownActionDoing(action));
      shutdown_pending_ = action;
      break;
    }

    case Request::COMMAND_NOT_SET:
      return Error("empty request");
  }
  Fit(response, kMaxResponseBytes);
  return response;
}

}  // namespace baton::supervisor
