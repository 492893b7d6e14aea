#include "supervisor/stage1/resume.h"

#include <fcntl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "supervisor/stage1/root_finder.h"

namespace baton::stage1 {
namespace {

// The signatures the kernel (S1SUSPEND) and userland suspend tools put at
// PAGE_SIZE-10 of a swap area holding an image (libblkid's swsuspend list).
constexpr absl::string_view kImageSignatures[] = {"S1SUSPEND", "S2SUSPEND", "ULSUSPEND",
                                                   "LINHIB0001"};
constexpr absl::string_view kSwapSignatures[] = {"SWAPSPACE2", "SWAP-SPACE"};

// A device the resume device can be: probed, and not a container whose
// content is another device (the assembly jobs make that one).
bool UsableContent(absl::string_view type) {
  return type == "swap" || IsMountableFilesystem(type);
}

std::string Identity(const Env& env) {
  std::string out(EnvValueOr(env, "ID_FS_TYPE"));
  absl::string_view uuid = EnvValueOr(env, "ID_FS_UUID");
  if (!uuid.empty()) absl::StrAppend(&out, " UUID=", uuid);
  return out;
}

}  // namespace

absl::string_view ResumeStateName(ResumeGate::State state) {
  switch (state) {
    case ResumeGate::State::kOff: return "off";
    case ResumeGate::State::kWaiting: return "waiting";
    case ResumeGate::State::kSeen: return "seen";
    case ResumeGate::State::kDone: return "done";
  }
  return "?";
}

std::optional<std::string> HexDevToMajorMinor(absl::string_view spec) {
  absl::string_view hex = spec;
  if (absl::StartsWithIgnoreCase(hex, "0x")) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 8) return std::nullopt;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  uint32_t dev = 0;
  if (!absl::SimpleHexAtoi(hex, &dev)) return std::nullopt;
  // The kernel's new_decode_dev(): minor bits 0-7 and 20-31, major 8-19.
  uint32_t major = (dev & 0xfff00) >> 8;
  uint32_t minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return absl::StrCat(major, ":", minor);
}

bool HasHibernationSignature(absl::string_view page) {
  if (page.size() < 10) return false;
  absl::string_view tail = page.substr(page.size() - 10);
  for (absl::string_view sig : kImageSignatures) {
    if (absl::StartsWith(tail, sig)) return true;
  }
  return false;
}

ResumePlan PlanResume(const BootOptions& boot) {
  ResumePlan plan;
  if (boot.resume.empty() || boot.resume == "none") return plan;
  if (boot.noresume) {
    plan.message = absl::StrCat("noresume: not resuming from resume=", boot.resume,
                                " (an image there is left alone)");
    return plan;
  }
  if (!boot.bad_resume_offset.empty()) {
    plan.kind = ResumePlan::Kind::kBad;
    plan.message = absl::StrCat(boot.bad_resume_offset, ": not a whole number of pages");
    return plan;
  }
  std::string spec = boot.resume;
  // A bare name the kernel reads as hex ("801", "fe01"); "/dev/…", tags and
  // MAJ:MIN are RootSpec's.
  if (std::optional<std::string> majmin = HexDevToMajorMinor(spec)) spec = *majmin;
  absl::StatusOr<RootSpec> parsed = RootSpec::Parse(spec);
  if (!parsed.ok()) {
    plan.kind = ResumePlan::Kind::kBad;
    plan.message = absl::StrCat("resume=", boot.resume, ": ", parsed.status().message());
    return plan;
  }
  plan.kind = ResumePlan::Kind::kWait;
  plan.spec = *std::move(parsed);
  plan.offset = boot.resume_offset;
  return plan;
}

ResumeConf ParseResumeConf(absl::string_view text) {
  ResumeConf conf;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    for (absl::string_view word : absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      if (absl::StartsWith(word, "#")) break;
      size_t eq = word.find('=');
      if (eq == absl::string_view::npos) continue;
      absl::string_view key = word.substr(0, eq);
      absl::string_view value = word.substr(eq + 1);
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      }
      if (key == "RESUME") conf.resume = std::string(value);
      if (key == "resume_offset" || key == "RESUME_OFFSET") conf.offset = std::string(value);
    }
  }
  return conf;
}

BootOptions WithResumeDefault(BootOptions boot, const ResumeConf& conf,
                              absl::string_view source) {
  if (!boot.resume.empty() || conf.resume.empty()) return boot;
  boot.resume = conf.resume;
  if (boot.resume_offset || !boot.bad_resume_offset.empty() || conf.offset.empty()) return boot;
  uint64_t pages;
  if (absl::ascii_isdigit(static_cast<unsigned char>(conf.offset.front())) &&
      absl::SimpleAtoi(conf.offset, &pages)) {
    boot.resume_offset = pages;
  } else {
    boot.bad_resume_offset = absl::StrCat("resume_offset=", conf.offset, " in ", source);
  }
  return boot;
}

ResumeGate::ResumeGate(sys::Kernel& kernel, const BootOptions& boot, absl::Time start,
                       Options options, LineFn console, LineFn log)
    : kernel_(kernel),
      options_(std::move(options)),
      console_(std::move(console)),
      log_(std::move(log)),
      quiet_(start) {
  BootOptions with_default = boot;
  if (boot.resume.empty() && !options_.image_conf.empty()) {
    absl::StatusOr<std::string> text = kernel_.ReadFile(options_.image_conf);
    if (text.ok()) {
      with_default = WithResumeDefault(boot, ParseResumeConf(*text), options_.image_conf);
      if (!with_default.resume.empty()) {
        log_(absl::StrCat("resume=", with_default.resume, " from ", options_.image_conf));
      }
    }
  }
  plan_ = PlanResume(with_default);
  if (plan_.kind == ResumePlan::Kind::kWait) state_ = State::kWaiting;
}

void ResumeGate::Begin() {
  if (began_) return;
  began_ = true;
  if (plan_.kind == ResumePlan::Kind::kBad) {
    console_(absl::StrCat("baton: ", plan_.message, "; booting without resume\n"));
  } else if (!plan_.message.empty()) {
    log_(plan_.message);
  } else if (state_ == State::kWaiting) {
    log_(absl::StrCat("resume: waiting for ", plan_.spec.Describe(),
                      plan_.offset ? absl::StrCat(" (resume_offset=", *plan_.offset, ")") : ""));
  }
}

void ResumeGate::ColdplugDone(absl::Time now) { quiet_.ColdplugDone(now); }
void ResumeGate::SetUeventQueueEmpty(bool empty, absl::Time now) {
  quiet_.SetUeventQueueEmpty(empty, now);
}
void ResumeGate::SetBusyJobs(int count, absl::Time now) { quiet_.SetBusyJobs(count, now); }
void ResumeGate::BlockDeviceAdded(absl::Time now) { quiet_.BlockDeviceAdded(now); }

void ResumeGate::OnBlockDevice(const Env& env) {
  if (state_ != State::kWaiting || !plan_.spec.Matches(env)) return;
  absl::string_view type = EnvValueOr(env, "ID_FS_TYPE");
  absl::string_view devname = EnvValueOr(env, "DEVNAME");
  if (devname.empty()) return;
  if (!UsableContent(type)) {
    // e.g. resume=/dev/md0 while the array is inactive, or a LUKS container
    // named instead of its mapping: its content may still come.
    type_seen_ = absl::StrCat(devname, " (", type.empty() ? "nothing recognised" : type, ")");
    return;
  }
  device_ = env;
  devname_ = std::string(devname);
  state_ = State::kSeen;
  log_(absl::StrCat("resume device ", devname_, " (", Identity(env), ") found"));
}

void ResumeGate::Scan(const std::map<std::string, Env>& devices) {
  for (const auto& [node, env] : devices) OnBlockDevice(env);
}

std::optional<absl::Time> ResumeGate::QuietAt() const {
  if (!quiet_.Settled()) return std::nullopt;
  absl::Time last = quiet_.last_activity();
  if (options_.arbiter != nullptr) {
    if (options_.arbiter->HasCandidates()) return std::nullopt;  // its NextCheck wakes the loop
    last = std::max(last, options_.arbiter->last_start());
  }
  return last + options_.grace;
}

std::optional<absl::Time> ResumeGate::NextCheck(bool root_found) const {
  if (state_ == State::kSeen) return quiet_.last_activity();  // at once
  if (state_ != State::kWaiting || !root_found) return std::nullopt;
  return QuietAt();
}

void ResumeGate::Act(absl::Time now, bool root_found) {
  if (state_ == State::kSeen) {
    Decide();
    return;
  }
  if (state_ != State::kWaiting || !root_found) return;
  std::optional<absl::Time> quiet_at = QuietAt();
  if (!quiet_at || now < *quiet_at) return;
  std::string seen =
      type_seen_.empty() ? "" : absl::StrCat("; it matched only ", type_seen_);
  std::string after = "coldplug";
  if (options_.arbiter != nullptr && options_.arbiter->last_start() != absl::InfinitePast()) {
    after = "starting or asking about incomplete md arrays";
  }
  Done("not-seen",
       absl::StrCat("baton: resume: the resume device resume=", plan_.spec.raw(),
                    " was not seen (no new block device for ",
                    absl::FormatDuration(options_.grace), " after ", after, seen,
                    "); booting without resume\n"));
}

void ResumeGate::Done(const std::string& outcome, const std::string& console_line) {
  state_ = State::kDone;
  outcome_ = outcome;
  console_(console_line);
}

bool ResumeGate::ProbeImage(std::string& detail) {
  if (!plan_.offset) {
    std::string type(EnvValueOr(device_, "ID_FS_TYPE"));
    absl::string_view version = EnvValueOr(device_, "ID_FS_VERSION");
    detail = absl::StrCat("TYPE=", type);
    if (type == "swsuspend") {
      if (!version.empty()) absl::StrAppend(&detail, " VERSION=", version);
      return true;
    }
    return false;
  }
  uint64_t at = *plan_.offset * options_.page_size;
  std::string page(options_.page_size, '\0');
  absl::StatusOr<sys::UniqueFd> fd = kernel_.Open(devname_, O_RDONLY | O_CLOEXEC);
  absl::StatusOr<size_t> n = fd.ok() ? kernel_.PRead(fd->get(), page.data(), page.size(), at)
                                     : absl::StatusOr<size_t>(fd.status());
  if (!n.ok()) {
    detail = absl::StrCat("cannot read page ", *plan_.offset, ": ", n.status().message());
    return false;
  }
  page.resize(*n);
  if (HasHibernationSignature(page)) {
    detail = absl::StrCat("signature ", page.substr(page.size() - 10, 9), " at page ",
                          *plan_.offset);
    return true;
  }
  bool swap = false;
  if (page.size() == options_.page_size) {
    for (absl::string_view sig : kSwapSignatures) {
      swap |= absl::StartsWith(absl::string_view(page).substr(page.size() - 10), sig);
    }
  }
  detail = swap ? absl::StrCat("swap header at page ", *plan_.offset)
                : absl::StrCat("no swap header at page ", *plan_.offset,
                               ": is resume_offset= right?");
  return false;
}

void ResumeGate::Decide() {
  std::string detail;
  if (!ProbeImage(detail)) {
    Done("no-image", absl::StrCat("baton: resume: no hibernation image on ", devname_, " (",
                                  detail, "); booting on\n"));
    return;
  }
  Resume();
}

void ResumeGate::Resume() {
  std::string majmin = absl::StrCat(EnvValueOr(device_, "MAJOR"), ":",
                                    EnvValueOr(device_, "MINOR"));
  console_(absl::StrCat("baton: resume: hibernation image found on ", devname_, " (",
                        Identity(device_), ", ", majmin, "); resuming\n"));
  const std::string power = absl::StrCat(options_.sys_root, "/power");
  std::string why;
  if (!kernel_.Stat(power + "/resume").ok()) {
    why = absl::StrCat("the kernel has no hibernation support (no ", power, "/resume)");
  } else if (absl::Status s = plan_.offset ? kernel_.WriteFile(power + "/resume_offset",
                                                               absl::StrCat(*plan_.offset, "\n"))
                                           : absl::OkStatus();
             !s.ok()) {
    why = absl::StrCat("cannot set resume_offset: ", s.message());
  } else if (absl::Status w = kernel_.WriteFile(power + "/resume", majmin + "\n"); !w.ok()) {
    why = absl::StrCat("writing ", majmin, " to ", power, "/resume failed: ", w.message());
  } else {
    // The kernel came back: it read the header and refused the image (a
    // different kernel, a bad checksum…); it said why in its "PM:" lines.
    why = "the kernel refused the image (see its \"PM:\" messages)";
  }
  Done("refused", absl::StrCat("baton: resume: not resumed from ", devname_, ": ", why,
                               "; booting on\n"));
}

}  // namespace baton::stage1
