#include "supervisor/stage2/reexec.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "handoff/collect.h"
#include "supervisor/exec_ladder.h"
#include "supervisor/stage1/cmdline.h"

namespace baton::stage2 {

std::string SelfPath(sys::Kernel& kernel, const std::string& fallback) {
  absl::StatusOr<std::string> exe = kernel.ReadLink("/proc/self/exe");
  if (!exe.ok() || !absl::StartsWith(*exe, "/")) return fallback;
  absl::string_view path = *exe;
  absl::ConsumeSuffix(&path, " (deleted)");
  return std::string(path);
}

namespace {

handoff::CollectInput Collect(sys::Kernel& kernel, const ReexecInput& input) {
  handoff::CollectInput in;
  in.kind = handoff::HANDOFF_KIND_REEXEC;
  in.engine = input.engine;
  in.ring = input.ring;
  in.timeline = input.timeline;
  absl::StatusOr<std::string> cmdline = kernel.ReadFile(input.proc_cmdline);
  if (cmdline.ok()) {
    in.cmdline_raw = std::string(absl::StripTrailingAsciiWhitespace(*cmdline));
    in.cmdline_params = stage1::CmdlineParams(in.cmdline_raw);
  }
  if (input.spawner != nullptr) {
    for (const supervisor::Spawner::LogPipeRef& pipe : input.spawner->LogPipes()) {
      in.fds.emplace_back(handoff::LogPipeRole(pipe.job, pipe.instance), pipe.fd);
    }
    for (const supervisor::Spawner::ListenFdRef& listen : input.spawner->ListenFds()) {
      in.fds.emplace_back(handoff::ListenRole(listen.job), listen.fd);
    }
  }
  if (input.control_socket >= 0) {
    in.fds.emplace_back(handoff::kControlSocketRole, input.control_socket);
  }
  return in;
}

}  // namespace

namespace {

absl::Status Failed(const ReexecInput& input, const std::function<void(absl::string_view)>& log,
                    const absl::Status& why) {
  if (input.timeline != nullptr) input.timeline->Mark("reexec-failed");
  log(absl::StrCat("re-exec of ", input.self_path,
                   " failed; still running the old binary: ", why.message()));
  return why;
}

// Still the old process: the carried fds become ours again.
void TakeBack(sys::Kernel& kernel, const handoff::PreparedHandoff& prepared) {
  for (int fd : prepared.fds) (void)kernel.SetCloexec(fd, true);
}

}  // namespace

absl::StatusOr<ReexecPlan> PrepareReexec(sys::Kernel& kernel, const ReexecInput& input,
                                         const std::function<void(absl::string_view)>& log) {
  // The header check first (a few reads): a binary it refuses is worth
  // neither a handoff nor a child, and nothing is marked.
  absl::Status checked = supervisor::CheckExecutable(kernel, "/", input.self_path);
  if (!checked.ok()) {
    log(absl::StrCat("re-exec of ", input.self_path, " refused: ", checked.message()));
    return absl::FailedPreconditionError(
        absl::StrCat("skipped ", input.self_path, ": ", checked.message()));
  }
  if (input.timeline != nullptr) input.timeline->Mark("reexec-start");
  // Said before collecting, so that the new process's log has it.
  log(absl::StrCat("re-exec: handing over to ", input.self_path));
  absl::StatusOr<handoff::PreparedHandoff> prepared =
      handoff::PrepareHandoff(kernel, Collect(kernel, input));
  if (!prepared.ok()) {
    return Failed(input, log,
                  absl::Status(prepared.status().code(),
                               absl::StrCat("cannot prepare the handoff: ",
                                            prepared.status().message())));
  }
  for (const std::string& w : prepared->warnings) log(w);
  log(absl::StrCat("re-exec: handoff ", prepared->bytes, " bytes, ", prepared->fds.size(),
                   " fds carried"));
  ReexecPlan plan;
  plan.handoff = *std::move(prepared);
  supervisor::PreflightRequest request;
  request.path = input.self_path;
  request.handoff_fd = plan.handoff.handoff_fd;
  request.env = input.env;
  supervisor::PreflightVerdict verdict = supervisor::Preflight(kernel, request);
  plan.preflight = verdict.Describe(input.self_path);
  if (!verdict.accepted()) {
    TakeBack(kernel, plan.handoff);
    return Failed(input, log, absl::FailedPreconditionError(absl::StrCat(
                                  "the new binary failed its preflight: ", plan.preflight)));
  }
  if (verdict.handoff_unreadable()) {
    TakeBack(kernel, plan.handoff);
    return Failed(input, log, absl::FailedPreconditionError(absl::StrCat(
                                  input.self_path, " cannot read this handoff: ",
                                  verdict.handoff.substr(verdict.handoff.find(':') + 2))));
  }
  log(plan.preflight);
  return plan;
}

absl::Status ExecReexec(sys::Kernel& kernel, const ReexecInput& input, ReexecPlan plan,
                        const std::function<void(absl::string_view)>& log) {
  const handoff::PreparedHandoff& prepared = plan.handoff;
  // The ladder's first rung only ("baton with handoff"), argv as BuildLadder
  // writes it; see the header for why no other rung. Already preflighted.
  std::vector<std::string> argv = {input.self_path,
                                   absl::StrCat("--handoff-fd=", prepared.handoff_fd)};
  if (!prepared.fds.empty()) {
    argv.push_back(absl::StrCat("--handoff-fds=", absl::StrJoin(prepared.fds, ",")));
  }
  std::vector<supervisor::ExecCandidate> rung = {
      {input.self_path, std::move(argv), input.env, "baton with handoff (re-exec)"}};
  absl::Status ran = supervisor::RunLadder(kernel, rung, log);
  if (ran.ok()) return ran;  // only FakeKernel's execve returns OK
  TakeBack(kernel, prepared);  // the memfd closes with PLAN
  return Failed(input, log, ran);
}

absl::Status Reexec(sys::Kernel& kernel, const ReexecInput& input,
                    const std::function<void(absl::string_view)>& log) {
  absl::StatusOr<ReexecPlan> plan = PrepareReexec(kernel, input, log);
  if (!plan.ok()) return plan.status();
  return ExecReexec(kernel, input, *std::move(plan), log);
}

}  // namespace baton::stage2
