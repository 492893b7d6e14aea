#include "tools/initctl_lib.h"

#include <string.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "handoff/codec.h"
#include "handoff/status.h"
#include "handoff/version.h"
#include "supervisor/event.h"
#include "sys/status_macros.h"
#include "sys/str_printf.h"

namespace baton::initctl {

namespace {

constexpr size_t kMaxResponseBytes = 1024 * 1024;

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// Checks every KEY=VALUE of ARGS[FROM..] and appends it to OUT.
absl::Status AddAssignments(const std::vector<std::string>& args, size_t from,
                            google::protobuf::RepeatedPtrField<std::string>* out) {
  for (size_t i = from; i < args.size(); ++i) {
    if (!supervisor::ParseAssignment(args[i]).has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("bad assignment '", args[i], "' (expected KEY=VALUE)"));
    }
    *out->Add() = args[i];
  }
  return absl::OkStatus();
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string(abbrev) : absl::StrCat(sig);
}

std::string Dash(absl::string_view s) { return s.empty() ? "-" : std::string(s); }

std::string LastExit(const control::JobStatus& job) {
  if (!job.has_last_exit()) return "";
  if (job.last_exit_signal() != 0) return absl::StrCat("killed by SIG", SignalName(job.last_exit_signal()));
  return absl::StrCat("exit ", job.last_exit_status());
}

std::string Summary(const control::JobStatus& job) {
  std::string name = job.instance().empty() ? job.job() : absl::StrCat(job.job(), " (", job.instance(), ")");
  std::string line = absl::StrCat(name, ": ", job.goal(), "/", job.state());
  if (job.pid() != 0) absl::StrAppend(&line, ", process ", job.pid(), " (", job.phase(), ")");
  if (job.failed()) absl::StrAppend(&line, ", failed: ", job.failure());
  return line;
}

std::string FormatList(const control::Response& response) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"JOB", "INSTANCE", "GOAL", "STATE", "PID", "RUNS", "LAST"});
  for (const control::JobStatus& job : response.jobs()) {
    std::string last = job.failed() ? absl::StrCat("failed: ", job.failure()) : LastExit(job);
    rows.push_back({job.job(), Dash(job.instance()), job.goal(), job.state(),
                    job.pid() == 0 ? "-" : absl::StrCat(job.pid()), absl::StrCat(job.runs()),
                    Dash(last)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c + 1 == row.size()) {
        absl::StrAppend(&line, row[c]);
      } else {
        absl::StrAppend(&line, row[c], std::string(width[c] - row[c].size() + 2, ' '));
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatStatus(const control::Response& response) {
  std::string out;
  for (const control::JobStatus& job : response.jobs()) {
    absl::StrAppend(&out, Summary(job), "\n");
    if (!job.description().empty()) absl::StrAppend(&out, "  description: ", job.description(), "\n");
    absl::StrAppend(&out, "  kind: ", job.task() ? "task" : "service", "\n");
    if (!job.start_on().empty()) absl::StrAppend(&out, "  start on: ", job.start_on(), "\n");
    if (!job.stop_on().empty()) absl::StrAppend(&out, "  stop on: ", job.stop_on(), "\n");
    absl::StrAppend(&out, "  runs: ", job.runs(), ", respawns: ", job.respawns(), "\n");
    if (job.has_last_exit()) absl::StrAppend(&out, "  last exit: ", LastExit(job), "\n");
    if (job.failed()) absl::StrAppend(&out, "  failed: ", job.failure(), "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<Invocation> ParseArgs(const std::vector<std::string>& args,
                                     const std::string& env_socket) {
  Invocation inv;
  inv.socket = env_socket.empty() ? kDefaultSocket : env_socket;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--socket" || arg == "-s") {
      if (i + 1 >= args.size()) return Usage("--socket needs a path");
      inv.socket = args[++i];
    } else if (arg.rfind("--socket=", 0) == 0) {
      inv.socket = arg.substr(9);
    } else if (arg == "--help" || arg == "-h") {
      return Usage("");
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage(absl::StrCat("unknown option '", arg, "'"));
    } else {
      break;
    }
  }
  if (i >= args.size()) return Usage("no command given");
  const std::string& command = args[i];
  std::vector<std::string> rest(args.begin() + i + 1, args.end());
  auto want = [&](size_t min, size_t max) -> absl::Status {
    if (rest.size() < min || rest.size() > max) {
      return Usage(absl::StrCat("wrong number of arguments for '", command, "'"));
    }
    return absl::OkStatus();
  };
  control::Request& req = inv.request;
  if (command == "list") {
    RETURN_IF_ERROR(want(0, 0));
    req.mutable_list();
  } else if (command == "status") {
    RETURN_IF_ERROR(want(1, 2));
    req.mutable_status()->set_job(rest[0]);
    if (rest.size() > 1) req.mutable_status()->set_instance(rest[1]);
  } else if (command == "start") {
    RETURN_IF_ERROR(want(1, SIZE_MAX));
    req.mutable_start()->set_job(rest[0]);
    RETURN_IF_ERROR(AddAssignments(rest, 1, req.mutable_start()->mutable_env()));
  } else if (command == "stop") {
    RETURN_IF_ERROR(want(1, 2));
    req.mutable_stop()->set_job(rest[0]);
    if (rest.size() > 1) req.mutable_stop()->set_instance(rest[1]);
  } else if (command == "restart") {
    RETURN_IF_ERROR(want(1, 2));
    req.mutable_restart()->set_job(rest[0]);
    if (rest.size() > 1) req.mutable_restart()->set_instance(rest[1]);
  } else if (command == "reexec") {
    RETURN_IF_ERROR(want(0, 0));
    req.mutable_reexec();
  } else if (command == "reload") {
    RETURN_IF_ERROR(want(0, 0));
    req.mutable_reload();
  } else if (command == "reboot" || command == "poweroff" || command == "halt") {
    RETURN_IF_ERROR(want(0, 0));
    req.mutable_shutdown()->set_action(command == "reboot"     ? control::ShutdownRequest::REBOOT
                                       : command == "poweroff" ? control::ShutdownRequest::POWEROFF
                                                               : control::ShutdownRequest::HALT);
  } else if (command == "emit") {
    RETURN_IF_ERROR(want(1, SIZE_MAX));
    req.mutable_emit()->set_event(rest[0]);
    RETURN_IF_ERROR(AddAssignments(rest, 1, req.mutable_emit()->mutable_env()));
  } else if (command == "log") {
    control::LogRequest* log = req.mutable_log();
    std::vector<std::string> words;
    for (size_t j = 0; j < rest.size(); ++j) {
      if (rest[j] == "-n") {
        uint32_t n = 0;
        if (j + 1 >= rest.size() || !absl::SimpleAtoi(rest[j + 1], &n)) {
          return Usage("-n needs a number");
        }
        log->set_lines(n);
        ++j;
      } else {
        words.push_back(rest[j]);
      }
    }
    if (words.size() > 2) return Usage("wrong number of arguments for 'log'");
    if (!words.empty()) log->set_job(words[0]);
    if (words.size() > 1) log->set_instance(words[1]);
  } else if (command == "events") {
    RETURN_IF_ERROR(want(0, 1));
    uint32_t n = 0;
    if (!rest.empty() && (!absl::SimpleAtoi(rest[0], &n) || n == 0)) {
      return Usage(absl::StrCat("events: '", rest[0], "' is not a positive number"));
    }
    req.mutable_events()->set_limit(n);
  } else if (command == "handoff-status") {
    control::HandoffStatusRequest* status = req.mutable_handoff_status();
    for (size_t j = 0; j < rest.size(); ++j) {
      if (rest[j] == "--json") {
        status->set_json(true);
      } else if (rest[j] == "--file") {
        if (j + 1 >= rest.size()) return Usage("--file needs a path");
        inv.handoff_file = rest[++j];
      } else if (rest[j].rfind("--file=", 0) == 0) {
        inv.handoff_file = rest[j].substr(7);
      } else {
        return Usage(absl::StrCat("handoff-status: unknown argument '", rest[j], "'"));
      }
    }

  } else {
    return Usage(absl::StrCat("unknown command '", command, "'"));
  }
  return inv;
}

absl::StatusOr<control::Response> Call(sys::Kernel& kernel, const std::string& socket,
                                       const control::Request& request) {
  absl::StatusOr<sys::UniqueFd> fd = kernel.UnixConnect(socket);
  if (!fd.ok()) {
    // "connect PATH: REASON (errno N)" -> REASON
    std::string reason(fd.status().message());
    size_t colon = reason.find(": ");
    if (colon != std::string::npos) reason = reason.substr(colon + 2);
    size_t paren = reason.rfind(" (errno");
    if (paren != std::string::npos) reason = reason.substr(0, paren);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", socket, ": ", reason, " (is baton running?)"));
  }
  std::string out;
  request.SerializeToString(&out);
  ASSIGN_OR_RETURN(size_t written, kernel.Write(fd->get(), out.data(), out.size()));
  if (written != out.size()) return absl::InternalError("short write to the control socket");
  std::string buf(kMaxResponseBytes, '\0');
  ASSIGN_OR_RETURN(size_t n, kernel.Read(fd->get(), buf.data(), buf.size()));
  if (n == 0) return absl::UnavailableError("baton closed the connection without answering");
  control::Response response;
  if (!response.ParseFromArray(buf.data(), static_cast<int>(n))) {
    return absl::DataLossError("malformed response from baton");
  }
  return response;
}

std::string Format(const control::Request& request, const control::Response& response) {
  std::string out;
  switch (request.command_case()) {
    case control::Request::kList:
      out = FormatList(response);
      break;
    case control::Request::kStatus:
      out = FormatStatus(response);
      break;
    case control::Request::kStart:
    case control::Request::kStop:
    case control::Request::kRestart:
      for (const control::JobStatus& job : response.jobs()) absl::StrAppend(&out, Summary(job), "\n");
      break;
    case control::Request::kLog:
      if (response.log_dropped() > 0) {
        absl::StrAppend(&out, "(", response.log_dropped(), " older lines dropped)\n");
      }
      for (const control::LogLine& line : response.log()) {
        // `initctl log JOB` of an instance job: which instance said it.
        const std::string who = line.instance().empty() ? "" : absl::StrCat(line.instance(), ": ");
        absl::StrAppend(&out, sys::StrPrintf("[%12.6f] ", line.time()), who, line.text(), "\n");
      }
      break;
    case control::Request::kEvents:
      for (const control::EventRecord& event : response.events()) {
        std::vector<std::string> env;
        for (const control::EnvVar& var : event.env()) {
          env.push_back(absl::StrCat(var.key(), "=", var.value()));
        }
        std::string line = absl::StrCat(
            sys::StrPrintf("%6llu %12.6f ", static_cast<unsigned long long>(event.seq()), event.time()),
            event.name());
        if (!env.empty()) absl::StrAppend(&line, " ", absl::StrJoin(env, " "));
        absl::StrAppend(&out, line, "\n");
      }
      break;
    case control::Request::kReexec:
    case control::Request::kReload:
    case control::Request::kShutdown:
      absl::StrAppend(&out, response.message(), "\n");
      break;
    case control::Request::kHandoffStatus:
      out = response.handoff_status();
      if (!out.empty() && out.back() != '\n') out.push_back('\n');
      break;
    default:
      break;
  }
  if (response.truncated()) absl::StrAppend(&out, "(output truncated)\n");
  return out;
}

std::string FormatHandoffFile(absl::string_view bytes, bool as_json) {
  handoff::StatusReport report = handoff::ReportFromDecode(handoff::Decode(bytes));
  report.reader_build = absl::StrCat(handoff::kProducerBuild, " (initctl --file, no stage 2)");
  std::string out = as_json ? handoff::FormatJson(report) : handoff::FormatText(report);
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  return out;
}

int Main(sys::Kernel& kernel, const std::vector<std::string>& args, const std::string& env_socket,
         int out_fd, int err_fd) {
  auto print = [&kernel](int fd, absl::string_view text) {
    (void)kernel.Write(fd, text.data(), text.size());
  };
  absl::StatusOr<Invocation> inv = ParseArgs(args, env_socket);
  if (!inv.ok()) {
    if (absl::IsInvalidArgument(inv.status())) {
      if (!inv.status().message().empty()) {
        print(err_fd, absl::StrCat("initctl: ", inv.status().message(), "\n"));
      }
      print(err_fd, kUsage);
      return 2;
    }
    print(err_fd, absl::StrCat("initctl: ", inv.status().message(), "\n"));
    return 1;
  }
  if (!inv->handoff_file.empty()) {
    absl::StatusOr<std::string> bytes = kernel.ReadFile(inv->handoff_file);
    if (!bytes.ok()) {
      print(err_fd, absl::StrCat("initctl: ", bytes.status().message(), "\n"));
      return 1;
    }
    print(out_fd, FormatHandoffFile(*bytes, inv->request.handoff_status().json()));
    return 0;
  }
  absl::StatusOr<control::Response> response = Call(kernel, inv->socket, inv->request);
  if (!response.ok()) {
    print(err_fd, absl::StrCat("initctl: ", response.status().message(), "\n"));
    return 1;
  }
  if (!response->ok()) {
    print(err_fd, absl::StrCat("initctl: ", response->error(), "\n"));
    return 1;
  }
  print(out_fd, Format(inv->request, *response));
  return 0;
}

}  // namespace baton::initctl
