#include "supervisor/stage1/boot.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "supervisor/stage1/fstab.h"
#include "supervisor/stage1/rescue.h"
#include "supervisor/stage2/udev.h"
#include "sys/str_printf.h"

namespace baton::stage1 {

namespace {

using supervisor::Env;

bool IsUnlockJob(absl::string_view job) {
  return absl::StrContains(job, "luks") || absl::StrContains(job, "crypt") ||
         absl::StrContains(job, "unlock");
}

std::string Trim(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

}  // namespace

Stage1Boot::Stage1Boot(sys::Kernel& kernel, supervisor::Engine& engine, supervisor::Clock& clock,
                       sys::ModuleLoader& modules, sys::BlockProber& prober, Options options,
                       LogFn log, SwitchFn switch_fn)
    : kernel_(kernel),
      engine_(engine),
      clock_(clock),
      modules_(modules),
      options_(std::move(options)),
      log_(std::move(log)),
      switch_fn_(std::move(switch_fn)),
      // The rootdelay point is handled here (it comes again after each
      // rescue shell); the arbiter only decides about degraded arrays.
      arbiter_(options_.boot.md_degraded, options_.start, absl::InfiniteDuration(),
               options_.quiet_grace),
      resume_(kernel_, options_.boot, options_.start,
              {options_.sys_root, options_.quiet_grace, options_.page_size,
               kImageResumeConf, &arbiter_},
              [this](absl::string_view line) { Console(line); },
              [this](absl::string_view line) { log_(line); }) {
  supervisor::UeventBridge::Options bridge_options;
  bridge_options.dev_root = options_.dev_root;
  bridge_options.sys_root = options_.sys_root;
  bridge_options.group = options_.follow_udevd ? 2 : 1;
  bridge_options.log = [this](absl::string_view line) { log_(line); };
  bridge_ = std::make_unique<supervisor::UeventBridge>(
      kernel_, modules, prober,
      [this](std::string name, Env env) { OnDeviceEvent(name, env); }, bridge_options);
  wait_deadline_ = options_.start + options_.boot.rootdelay;
  if (options_.boot.root.empty()) {
    root_spec_error_ = "no root= on the kernel command line";
  } else {
    absl::StatusOr<RootSpec> spec = RootSpec::Parse(options_.boot.root);
    if (spec.ok()) {
      root_spec_ = *std::move(spec);
    } else {
      root_spec_error_ = absl::StrCat("root=", options_.boot.root, ": ", spec.status().message());
    }
  }
}

Stage1Boot::~Stage1Boot() = default;

absl::string_view Stage1Boot::PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kTop: return "top";
    case Phase::kModules: return "modules";
    case Phase::kWaitRoot: return "wait-root";
    case Phase::kPremount: return "premount";
    case Phase::kFsck: return "fsck";
    case Phase::kMountBreak: return "mount-break";
    case Phase::kMount: return "mount";
    case Phase::kWaitUsr: return "wait-usr";
    case Phase::kBottom: return "bottom";
    case Phase::kWaitJobs: return "wait-jobs";
    case Phase::kInitBreak: return "init-break";
    case Phase::kStopUdevd: return "stop-udevd";
    case Phase::kSwitch: return "switch";
  }
  return "?";
}

absl::StatusOr<int> Stage1Boot::Start() {
  absl::StatusOr<sys::UniqueFd> console = kernel_.Open(options_.console, O_RDWR | O_NOCTTY);
  if (console.ok()) {
    console_ = *std::move(console);
  } else {
    log_(absl::StrCat("no console for messages and shells: ", console.status().message()));
  }
  for (const std::string& warning : options_.boot.warnings) log_(absl::StrCat("cmdline: ", warning));
  bridge_->Pause();
  return bridge_->Start();
}

void Stage1Boot::Begin() {
  Advance();
  engine_.RunQueue();
}

void Stage1Boot::Console(absl::string_view text) {
  if (console_.get() < 0) {
    log_(text);
    return;
  }
  (void)kernel_.Write(console_.get(), text.data(), text.size());
}

void Stage1Boot::Emit(const std::string& name, Env env) {
  log_(absl::StrCat("emit ", name));
  engine_.Emit(name, std::move(env));
  if (options_.on_emit) options_.on_emit(name);
}

void Stage1Boot::OnUeventReadable() { bridge_->OnReadable(); }

void Stage1Boot::OnDeviceEvent(const std::string& name, const Env& env) {
  engine_.Emit(name, env);
  if (!absl::StartsWith(name, "block-device-")) return;
  absl::Time now = clock_.Now();
  if (name == "block-device-added") arbiter_.BlockDeviceAdded(now);
  if (name == "block-device-added") resume_.BlockDeviceAdded(now);
  if (name != "block-device-added" && name != "block-device-changed") return;
  if (phase_ <= Phase::kWaitRoot) resume_.OnBlockDevice(env);
  if (phase_ <= Phase::kWaitRoot && !root_ && root_spec_) {
    std::optional<FoundDevice> found = MatchDevice(*root_spec_, env);
    if (found) {
      root_ = std::move(found);
      arbiter_.RootFound(now);
      log_(absl::StrCat("root device ", root_->devname, " (", root_->fs_type, ") found"));
    }
  }
  if (phase_ == Phase::kWaitUsr && !usr_ && usr_spec_) usr_ = MatchDevice(*usr_spec_, env);
  // Acted upon in AfterWakeup: this runs inside the bridge's handling.
}

bool Stage1Boot::UdevdRunning() const {
  std::optional<supervisor::InstanceInfo> udevd = engine_.Find(stage2::kUdevdJob);
  // A process of it runs, or one is about to (respawning).
  return udevd && (udevd->pid != 0 || udevd->goal == supervisor::Goal::kStart);
}

void Stage1Boot::StartUdevd() {
  udevd_started_ = true;
  absl::Status started = engine_.Start(stage2::kUdevdJob);
  if (!started.ok() && !absl::IsAlreadyExists(started)) {
    FollowNoMore(absl::StrCat("cannot start udevd: ", started.message()));
  }
}

void Stage1Boot::FollowNoMore(const std::string& why) {
  options_.follow_udevd = false;
  const std::string line = absl::StrCat(why, "; baton's own uevent bridge handles the devices");
  log_(line);
  // The log's lines are not on a `quiet` console; this one must be.
  if (options_.boot.quiet) Console(absl::StrCat("baton: ", line, "\n"));
  bridge_->StopFollowingUdevd();
  // What it wrote of its database is not the real root's udevd's business.
  (void)stage2::CleanUpUdevDb(kernel_, options_.run_udev);
  if (bridge_->paused()) return;  // the switch: nothing left to find
  absl::Status coldplug = bridge_->Coldplug();
  if (!coldplug.ok()) log_(absl::StrCat("coldplug: ", coldplug.message()));
  ScanColdplugged();
}

void Stage1Boot::ScanColdplugged() {
  resume_.Scan(bridge_->BlockDevices());
  if (!root_ && root_spec_) root_ = FindDevice(*root_spec_, bridge_->BlockDevices());
}

bool Stage1Boot::WatchUdevd() {
  if (!options_.follow_udevd || !udevd_started_ || udevd_stop_sent_) return false;
  std::optional<supervisor::InstanceInfo> udevd = engine_.Find(stage2::kUdevdJob);
  if (!UdevdRunning()) {
    FollowNoMore(absl::StrCat("udevd stopped in stage 1",
                              udevd && !udevd->failure.empty()
                                  ? absl::StrCat(" (", udevd->failure, ")")
                                  : std::string()));
    return true;
  }
  const pid_t pid = udevd->pid;
  const bool gone = udevd_pid_ != 0 && pid != udevd_pid_ && bridge_->AwaitingUdevd() > 0;
  if (gone) {
    const size_t left = bridge_->AwaitingUdevd();
    const size_t written = bridge_->Retrigger();
    log_(absl::StrCat("udevd (pid ", udevd_pid_, ") went away with ", left,
                      " events unfinished: ", written, " devices triggered again for the next"));
  }
  udevd_pid_ = pid;
  return gone;
}

bool Stage1Boot::StopUdevd(absl::Time now) {
  const bool past = now >= wait_deadline_;
  if (!bridge_->paused()) {
    bridge_->Pause();
    if (options_.mark) options_.mark("udevd-stop");
    log_(absl::StrCat("switch: device events paused; udevd has ", bridge_->AwaitingUdevd(),
                      " to finish before it stops"));
  }
  if (!udevd_stop_sent_) {
    size_t left = bridge_->AwaitingUdevd();
    if (left > 0 && UdevdRunning() && !past) return false;  // udevd's events wake the loop
    if (left > 0) {
      log_(absl::StrCat("udevd did not finish ", left, " events (",
                        UdevdRunning() ? "rootdelay= passed" : "it is not running",
                        "): they are replayed on the real root"));
    }
    udevd_stop_sent_ = true;
    if (UdevdRunning()) {
      absl::Status stopped = engine_.Stop(stage2::kUdevdJob);
      if (!stopped.ok()) log_(absl::StrCat("cannot stop udevd: ", stopped.message()));
      engine_.RunQueue();
    }
  }
  if (UdevdRunning()) {
    if (!past) return false;  // its exit wakes the loop
    log_("udevd has not exited by the rootdelay= deadline: switching with it running");
  }
  size_t removed = stage2::CleanUpUdevDb(kernel_, options_.run_udev);
  // What only a running udevd may have: its control socket would pass for
  // the next udevd's readiness, its queue mark would hold `udevadm settle`.
  for (const char* name : {"/control", "/queue"}) {
    (void)kernel_.Unlink(options_.run_udev + name);
  }
  if (options_.mark) options_.mark("udevd-stopped");
  log_(absl::StrCat("udevd stopped; its database cleaned (", removed,
                    " entries removed, db_persist kept)"));
  return true;
}

bool Stage1Boot::OnChildExit(const sys::ChildExit& exit) {
  if (exit.pid != 0 && exit.pid == fsck_pid_) {
    fsck_pid_ = 0;
    FsckVerdict verdict = JudgeFsck(exit);
    if (!verdict.message.empty()) log_(verdict.message);
    if (verdict.ok) {
      phase_ = Phase::kMountBreak;
      break_done_ = false;
    } else {
      fsck_failed_ = true;
      Fatal(absl::StrCat(verdict.message, " on ", root_->devname));
    }
    Advance();
    return true;
  }
  if (exit.pid != 0 && exit.pid == shell_pid_) {
    ShellKind kind = shell_kind_;
    shell_pid_ = 0;
    shell_kind_ = ShellKind::kNone;
    log_("shell exited; resuming the boot");
    if (kind == ShellKind::kRescue) {
      // Another rootdelay period for whatever is still awaited.
      wait_deadline_ = clock_.Now() + options_.boot.rootdelay;
      deadline_reported_ = false;
      if (phase_ == Phase::kFsck && fsck_failed_) {
        fsck_failed_ = false;
        phase_ = Phase::kMountBreak;
        break_done_ = false;
      }
    }
    Advance();
    engine_.RunQueue();
    return true;
  }
  return false;
}

int Stage1Boot::RunningTasks() const {
  int count = 0;
  for (const supervisor::InstanceInfo& info : engine_.Instances()) {
    const jobs::JobConfig* job = engine_.FindJob(info.job);
    if (job != nullptr && job->task && info.state != supervisor::State::kWaiting) ++count;
  }
  return count;
}

void Stage1Boot::ScanEngineEvents() {
  for (const supervisor::Event& event : engine_.History()) {
    if (event.seq <= last_seq_) continue;
    last_seq_ = event.seq;
    if (event.name == "stopped" && phase_ <= Phase::kWaitRoot && !root_) {
      std::string job(event.Get("JOB").value_or(""));
      if (IsUnlockJob(job) && event.Get("RESULT").value_or("") == "failed") {
        std::string instance(event.Get("INSTANCE").value_or(""));
        pending_fatal_ = absl::StrCat("unlocking failed (job ", job,
                                      instance.empty() ? "" : absl::StrCat(" ", instance), ")");
      }
    } else if (event.name == "md-degraded-answer") {
      std::string answer = absl::AsciiStrToLower(event.Get("ANSWER").value_or(""));
      arbiter_.Answer(answer == "y" || answer == "yes", clock_.Now());
    }
  }
}

void Stage1Boot::ScanArrays(absl::Time now) {
  const std::string block = absl::StrCat(options_.sys_root, "/block");
  absl::StatusOr<std::vector<std::string>> names = kernel_.ListDir(block);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    if (!absl::StartsWith(name, "md")) continue;
    const std::string md = absl::StrCat(block, "/", name, "/md");
    absl::StatusOr<std::string> state = kernel_.ReadFile(md + "/array_state");
    if (!state.ok()) continue;
    std::string s = Trim(*state);
    int members = 0;
    absl::StatusOr<std::vector<std::string>> entries = kernel_.ListDir(md);
    if (entries.ok()) {
      for (const std::string& e : *entries) members += absl::StartsWith(e, "dev-") ? 1 : 0;
    }
    int expected = 0;
    absl::StatusOr<std::string> disks = kernel_.ReadFile(md + "/raid_disks");
    if (disks.ok() && !absl::SimpleAtoi(Trim(*disks), &expected)) expected = 0;
    // mdadm --incremental keeps an array inactive until every member is
    // there, and sysfs has no raid_disks for it until it runs: an inactive
    // array with members is short of at least one.
    if (s == "inactive" && expected <= members) expected = members + 1;
    if (s == "inactive" || (s == "clear" && members > 0)) {
      arbiter_.ArrayIncomplete(name, members, expected, now);
    } else {
      arbiter_.ArrayGone(name, now);
    }
  }
}

void Stage1Boot::FeedArbiter(absl::Time now) {
  // Arrays are started while the root or the resume device is missing.
  if (phase_ != Phase::kWaitRoot || (root_ && resume_.Decided())) return;
  arbiter_.SetResumeWaiting(!resume_.Decided(), now);
  arbiter_.SetUeventQueueEmpty(bridge_->Settled(), now);
  arbiter_.SetBusyJobs(RunningTasks(), now);
  ScanArrays(now);
  DegradedDecision decision = arbiter_.Decide(now);
  switch (decision.kind) {
    case DegradedDecision::Kind::kWait:
      break;
    case DegradedDecision::Kind::kStartDegraded:
      for (const std::string& array : decision.arrays) {
        log_(absl::StrCat("starting /dev/", array, " degraded: ", decision.reason));
        Emit("md-start-degraded", {{"MD_DEVNAME", absl::StrCat("/dev/", array)}});
      }
      break;
    case DegradedDecision::Kind::kAsk: {
      std::vector<std::string> devs;
      for (const std::string& array : decision.arrays) devs.push_back(absl::StrCat("/dev/", array));
      Emit("md-degraded-ask", {{"MD_DEVNAMES", absl::StrJoin(devs, " ")}});
      break;
    }
    case DegradedDecision::Kind::kGiveUp:
      pending_fatal_ = decision.reason;
      break;
  }
}

void Stage1Boot::RebootNow() {
  reboot_at_.reset();
  log_("rebooting (panic=)");
  absl::Status rebooted = kernel_.Reboot(RB_AUTOBOOT);
  if (!rebooted.ok()) log_(absl::StrCat("reboot failed: ", rebooted.message()));
  idle_forever_ = true;
}

void Stage1Boot::AfterWakeup() {
  absl::Time now = clock_.Now();
  if (reboot_at_ && now >= *reboot_at_) RebootNow();
  ScanEngineEvents();
  FeedArbiter(now);
  if (phase_ == Phase::kWaitRoot && !resume_.Decided()) {
    resume_.SetUeventQueueEmpty(bridge_->Settled(), now);
    resume_.SetBusyJobs(RunningTasks(), now);
  }
  Advance();
  engine_.RunQueue();
  // After the queue ran: a udevd that exited is respawned or given up by now.
  if (WatchUdevd()) {
    Advance();
    engine_.RunQueue();
  }
}

std::optional<absl::Time> Stage1Boot::NextDeadline() const {
  std::optional<absl::Time> next;
  auto consider = [&next](absl::Time t) {
    if (t == absl::InfiniteFuture()) return;
    if (!next || t < *next) next = t;
  };
  if (reboot_at_) consider(*reboot_at_);
  if (idle_forever_ || reboot_at_) return next;
  bool waiting = (phase_ == Phase::kWaitRoot && !root_) || (phase_ == Phase::kWaitUsr && !usr_) ||
                 phase_ == Phase::kWaitJobs || phase_ == Phase::kStopUdevd;
  // While the rootdelay= point is held (Step: a task runs, or the arbiter
  // still has an array to start), a task's end or the arbiter's own check
  // wakes the loop; the point itself, maybe past, would make it spin.
  const bool held =
      phase_ == Phase::kWaitRoot && !root_ && (RunningTasks() > 0 || arbiter_.HasCandidates());
  if (waiting && shell_pid_ == 0 && !deadline_reported_ && !held) consider(wait_deadline_);
  if (phase_ == Phase::kWaitRoot && (!root_ || !resume_.Decided())) {
    std::optional<absl::Time> check = arbiter_.NextCheck();
    if (check) consider(*check);
  }
  if (phase_ == Phase::kWaitRoot && shell_pid_ == 0) {
    std::optional<absl::Time> check = resume_.NextCheck(root_.has_value());
    if (check) consider(*check);
  }
  return next;
}

void Stage1Boot::Advance() {
  if (advancing_) return;
  advancing_ = true;
  while (Step()) {
  }
  advancing_ = false;
}

void Stage1Boot::BreakShell(BreakPoint point) {
  break_done_ = true;
  Console(absl::StrCat("baton: break=", BreakPointName(point),
                       ": starting a shell; the boot goes on when it exits\n"));
  SpawnShell(ShellKind::kBreak, absl::StrCat("break=", BreakPointName(point)));
}

void Stage1Boot::SpawnShell(ShellKind kind, const std::string& reason) {
  sys::SpawnRequest request = RescueShellRequest(kernel_, console_.get(), reason);
  absl::StatusOr<pid_t> pid = kernel_.Spawn(request);
  if (!pid.ok()) {
    Console(absl::StrCat("baton: cannot start a shell: ", pid.status().message(), "\n"));
    // Nothing to wait for: a break point is passed, a failure leaves PID 1
    // idle (events still handled).
    if (kind == ShellKind::kRescue) idle_forever_ = true;
    return;
  }
  shell_pid_ = *pid;
  shell_kind_ = kind;
}

std::string Stage1Boot::WaitedFor() const {
  if (phase_ == Phase::kWaitUsr && usr_spec_) return absl::StrCat(usr_spec_->Describe(), " for /usr");
  if (root_spec_) return root_spec_->Describe();
  return root_spec_error_;
}

void Stage1Boot::Fatal(const std::string& message) {
  std::string text = absl::StrCat("baton: ", message, "\nbaton: waited for ", WaitedFor(),
                                  "\nbaton: block devices seen:\n",
                                  DescribeDevices(bridge_->BlockDevices()));
  FatalAction action = DecideFatal(options_.boot);
  switch (action.kind) {
    case FatalAction::Kind::kReboot:
      absl::StrAppend(&text, "baton: rebooting ",
                      action.reboot_after == absl::ZeroDuration()
                          ? std::string("now")
                          : absl::StrCat("in ", absl::FormatDuration(action.reboot_after)),
                      " (panic=)\n");
      Console(text);
      reboot_at_ = clock_.Now() + action.reboot_after;
      if (action.reboot_after == absl::ZeroDuration()) RebootNow();
      return;
    case FatalAction::Kind::kWait:
      absl::StrAppend(&text, "baton: rd.shell=0: no rescue shell; still waiting\n");
      Console(text);
      deadline_reported_ = true;
      if (phase_ != Phase::kWaitRoot && phase_ != Phase::kWaitUsr) idle_forever_ = true;
      return;
    case FatalAction::Kind::kShell:
      absl::StrAppend(&text, "baton: starting a rescue shell; exit it to resume the boot\n");
      Console(text);
      SpawnShell(ShellKind::kRescue, message);
      return;
  }
}

bool Stage1Boot::StartFsck() {
  if (options_.boot.fsck_mode == FsckMode::kSkip) return false;
  std::optional<std::vector<std::string>> argv =
      FsckCommand(kernel_, root_->fs_type, root_->devname, options_.boot);
  if (!argv) {
    log_(absl::StrCat("no fsck for ", root_->fs_type, " in the image; not checking ",
                      root_->devname));
    return false;
  }
  sys::SpawnRequest request;
  request.argv = *argv;
  request.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=linux"};
  request.stdout_fd = console_.get();
  request.stderr_fd = console_.get();
  log_(absl::StrCat("checking ", root_->devname, ": ", absl::StrJoin(*argv, " ")));
  absl::StatusOr<pid_t> pid = kernel_.Spawn(request);
  if (!pid.ok()) {
    log_(absl::StrCat("cannot run fsck: ", pid.status().message(), "; not checking"));
    return false;
  }
  fsck_pid_ = *pid;
  return true;
}

void Stage1Boot::LoadFilesystem(const std::string& type) {
  if (type.empty() || !filesystems_loaded_.insert(type).second) return;
  // What the kernel's request_module("fs-TYPE") would do: no modprobe here.
  absl::Status loaded = modules_.LoadAlias(absl::StrCat("fs-", type));
  if (!loaded.ok()) log_(absl::StrCat("module for ", type, ": ", loaded.message()));
}

std::string Stage1Boot::ExpectedRootFsType() const {
  const std::string& listed = options_.boot.rootfstype;
  if (!listed.empty()) return listed.substr(0, listed.find(','));
  absl::StatusOr<std::string> text = kernel_.ReadFile(options_.image_fstab);
  if (!text.ok()) return "";
  // Errors were the build's to report; a hint is taken only from a good line.
  for (const FstabEntry& entry : ParseFstab(*text, options_.image_fstab).entries) {
    if (entry.mount_point == "/" && entry.fstype != "auto") return entry.fstype;
  }
  return "";
}

bool Stage1Boot::MountRoot() {
  absl::StatusOr<std::vector<sys::MountEntry>> mounts = kernel_.Mounts();
  if (mounts.ok()) {
    for (const sys::MountEntry& m : *mounts) {
      if (m.target == options_.new_root) {
        log_(absl::StrCat(options_.new_root, " is mounted already; using it"));
        return true;
      }
    }
  }
  (void)kernel_.MkdirAll(options_.new_root, 0755);
  MountArgs args = ParseMountOptions(options_.boot.rootflags);
  if (options_.boot.read_only) {
    args.flags |= MS_RDONLY;
  } else {
    args.flags &= ~MS_RDONLY;
  }
  std::vector<std::string> types;
  if (!options_.boot.rootfstype.empty()) {
    types = absl::StrSplit(options_.boot.rootfstype, ',', absl::SkipEmpty());
  } else {
    types = {root_->fs_type};
  }
  std::vector<std::string> errors;
  for (const std::string& type : types) {
    LoadFilesystem(type);
    absl::Status mounted =
        kernel_.Mount(root_->devname, options_.new_root, type, args.flags, args.data);
    if (mounted.ok()) {
      root_->fs_type = type;
      log_(absl::StrCat("mounted ", root_->devname, " (", type, ") on ", options_.new_root));
      return true;
    }
    errors.push_back(std::string(mounted.message()));
  }
  Fatal(absl::StrCat("cannot mount ", root_->devname, " on ", options_.new_root, ": ",
                     absl::StrJoin(errors, "; ")));
  return false;
}

bool Stage1Boot::PrepareUsr() {
  // The real root's file: a fifo or device there must not stall the boot.
  constexpr size_t kMaxFstabBytes = 1 << 20;
  absl::StatusOr<std::string> text =
      kernel_.ReadRegularFile(options_.new_root + "/etc/fstab", kMaxFstabBytes);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      log_(absl::StrCat("the real root's /etc/fstab: ", text.status().message(),
                        " (no /usr mounted from it)"));
    }
    return false;
  }
  ParseResult<FstabEntry> fstab = ParseFstab(*text, "/etc/fstab");
  for (const auto& error : fstab.errors) log_(absl::StrCat(error.message(), " (ignored)"));
  for (const FstabEntry& entry : fstab.entries) {
    std::string point = entry.mount_point;
    while (point.size() > 1 && point.back() == '/') point.pop_back();
    if (point != "/usr" || entry.HasOption("noauto")) continue;
    absl::StatusOr<RootSpec> spec = RootSpec::Parse(entry.spec);
    if (!spec.ok()) {
      log_(absl::StrCat("/etc/fstab:", entry.line, ": /usr: ", spec.status().message(),
                        " (not mounting /usr)"));
      return false;
    }
    usr_spec_ = *std::move(spec);
    usr_options_ = entry.options;
    usr_fstype_ = entry.fstype;
    return true;
  }
  return false;
}

bool Stage1Boot::MountUsr() {
  MountArgs args = ParseMountOptions(usr_options_);
  bool explicit_rw = false;
  for (absl::string_view opt : absl::StrSplit(usr_options_, ',')) explicit_rw |= opt == "rw";
  if (options_.boot.read_only && !explicit_rw) args.flags |= MS_RDONLY;
  std::string type = usr_fstype_ == "auto" || usr_fstype_.empty() ? usr_->fs_type : usr_fstype_;
  std::string target = options_.new_root + "/usr";
  LoadFilesystem(type);
  absl::Status mounted = kernel_.Mount(usr_->devname, target, type, args.flags, args.data);
  if (!mounted.ok()) {
    Fatal(absl::StrCat("cannot mount ", usr_->devname, " on ", target, ": ", mounted.message()));
    return false;
  }
  log_(absl::StrCat("mounted ", usr_->devname, " (", type, ") on ", target));
  return true;
}

std::string Stage1Boot::SwitchMarker(absl::Time now) const {
  std::string id = options_.boot.root;
  if (id.empty() || id == root_->devname) {
    absl::string_view uuid = EnvValueOr(root_->env, "ID_FS_UUID");
    id = uuid.empty() ? root_->fs_type : absl::StrCat("UUID=", uuid);
  }
  return absl::StrCat("baton: switching to root ", root_->devname, " (", id, ") after ",
                      sys::StrPrintf("%.2f", absl::ToDoubleSeconds(now - options_.start)), " s\n");
}

bool Stage1Boot::Step() {
  if (shell_pid_ != 0 || fsck_pid_ != 0 || reboot_at_ || idle_forever_) return false;
  if (!pending_fatal_.empty()) {
    std::string message = std::move(pending_fatal_);
    pending_fatal_.clear();
    Fatal(message);
    return true;
  }
  const BootOptions& boot = options_.boot;
  absl::Time now = clock_.Now();
  auto next = [this](Phase phase) {
    phase_ = phase;
    break_done_ = false;
    return true;
  };
  auto maybe_break = [&](BreakPoint point) {
    if (break_done_ || !boot.HasBreak(point)) return false;
    BreakShell(point);
    return true;
  };
  switch (phase_) {
    case Phase::kTop:
      if (maybe_break(BreakPoint::kTop)) return true;
      return next(Phase::kModules);
    case Phase::kModules: {
      if (maybe_break(BreakPoint::kModules)) return true;
      phase_ = Phase::kWaitRoot;
      break_done_ = false;
      if (!root_spec_) log_(root_spec_error_);
      Emit("initramfs", boot.ToEnv());
      bridge_->Resume();
      if (options_.follow_udevd) StartUdevd();
      absl::Status coldplug = bridge_->Coldplug();
      if (!coldplug.ok()) log_(absl::StrCat("coldplug: ", coldplug.message()));
      arbiter_.ColdplugDone(clock_.Now());
      resume_.Begin();
      resume_.ColdplugDone(clock_.Now());
      ScanColdplugged();
      LoadFilesystem(ExpectedRootFsType());
      return true;
    }
    case Phase::kWaitRoot:
      // Nothing of the root is checked or mounted before the resume decision.
      resume_.Act(now, root_.has_value());
      if (root_ && resume_.Decided()) {
        Emit("root-device-ready", {{"ROOT_DEVNAME", root_->devname},
                                   {"ROOT_FSTYPE", root_->fs_type},
                                   {"ROOT", boot.root}});
        return next(Phase::kPremount);
      }
      if (!root_ && !deadline_reported_ && now >= wait_deadline_) {
        // Let the queue hand out an md-start-degraded just emitted: its job
        // running holds the point.
        engine_.RunQueue();
        int tasks = RunningTasks();
        if (tasks > 0) return false;  // a prompt owns the console; checked again when it ends
        // An array the arbiter will start at the next quiet (a "yes" typed
        // after rootdelay=, or auto with the quiet still to come): the
        // arbiter gives up itself once nothing is left to start.
        if (arbiter_.HasCandidates()) return false;
        deadline_reported_ = true;
        Fatal(absl::StrCat("the root device did not appear within ",
                           absl::FormatDuration(boot.rootdelay), " (rootdelay=)"));
        return true;
      }
      return false;
    case Phase::kPremount:
      if (maybe_break(BreakPoint::kPremount)) return true;
      phase_ = Phase::kFsck;
      if (StartFsck()) {
        LoadFilesystem(options_.boot.rootfstype.empty() ? root_->fs_type
                                                        : ExpectedRootFsType());
        return false;
      }
      return next(Phase::kMountBreak);
    case Phase::kFsck:
      return false;  // left by OnChildExit
    case Phase::kMountBreak:
      if (maybe_break(BreakPoint::kMount)) return true;
      return next(Phase::kMount);
    case Phase::kMount:
      if (!MountRoot()) return true;
      if (PrepareUsr()) {
        wait_deadline_ = now + boot.rootdelay;
        deadline_reported_ = false;
        usr_ = FindDevice(*usr_spec_, bridge_->BlockDevices());
      }
      return next(Phase::kWaitUsr);
    case Phase::kWaitUsr:
      if (usr_spec_ && !usr_) {
        if (!deadline_reported_ && now >= wait_deadline_) {
          deadline_reported_ = true;
          Fatal("the /usr device did not appear (rootdelay=)");
          return true;
        }
        return false;
      }
      if (usr_spec_ && !MountUsr()) {
        usr_.reset();  // retried when the shell exits
        return true;
      }
      Emit("root-mounted", {{"ROOT_DEVNAME", root_->devname},
                            {"ROOT_FSTYPE", root_->fs_type},
                            {"ROOT_MOUNTPOINT", options_.new_root}});
      wait_deadline_ = now + boot.rootdelay;
      deadline_reported_ = false;
      return next(Phase::kBottom);
    case Phase::kBottom:
      if (maybe_break(BreakPoint::kBottom)) return true;
      return next(Phase::kWaitJobs);
    case Phase::kWaitJobs: {
      // Let the queue hand out root-mounted (and `stopping`) first.
      engine_.RunQueue();
      int tasks = RunningTasks();
      if (tasks > 0 && now < wait_deadline_) return false;
      if (tasks > 0) log_(absl::StrCat("switching with ", tasks, " task(s) still running"));
      return next(Phase::kInitBreak);
    }
    case Phase::kInitBreak:
      if (maybe_break(BreakPoint::kInit)) return true;
      return next(options_.follow_udevd ? Phase::kStopUdevd : Phase::kSwitch);
    case Phase::kStopUdevd:
      if (!StopUdevd(now)) return false;
      return next(Phase::kSwitch);
    case Phase::kSwitch: {
      Emit("switching-root", {{"ROOT_DEVNAME", root_->devname}});
      engine_.RunQueue();
      Console(SwitchMarker(now));
      absl::Status switched = switch_fn_(SwitchRequest{*root_, options_.new_root});
      if (switched.ok()) {  // only a test's exec comes back
        idle_forever_ = true;
        return false;
      }
      Fatal(absl::StrCat("switching to the real root failed: ", switched.message()));
      return true;
    }
  }
  return false;
}

}  // namespace baton::stage1
