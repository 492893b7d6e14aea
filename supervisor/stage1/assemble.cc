#include "supervisor/stage1/assemble.h"

#include <fcntl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/lvm_native.h"
#include "supervisor/stage1/lvm_policy.h"
#include "supervisor/stage1/md_policy.h"
#include "supervisor/stage1/mdadm_conf.h"

namespace baton::stage1 {
namespace {

bool Succeeded(const sys::ChildExit& exit) { return exit.signal == 0 && exit.exit_status == 0; }

std::string Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
}

// An integer sysfs attribute, or -1.
int ReadSysInt(const ToolContext& ctx, const std::string& path) {
  absl::StatusOr<std::string> text = ctx.kernel.ReadFile(path);
  int value = -1;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) return -1;
  return value;
}

// Writes LINE to the console as well as the log (a console that cannot be
// opened leaves the log line only).
void Warn(const ToolContext& ctx, const std::string& line) {
  ctx.Log(line);
  absl::StatusOr<sys::UniqueFd> console = ctx.kernel.Open(ctx.console, O_WRONLY | O_NOCTTY);
  if (!console.ok()) return;
  std::string text = absl::StrCat(ctx.command, ": ", line, "\n");
  (void)ctx.kernel.Write(console->get(), text.data(), text.size());
}

// /dev/KNAME of a member listed as md/dev-KNAME ("cciss!c0d0": a '/' in the
// kernel's name).
std::string MemberDevice(std::string kname) {
  std::replace(kname.begin(), kname.end(), '!', '/');
  return absl::StrCat("/dev/", kname);
}

// The member count of MEMBER's array as MEMBER's superblock says: MD_DEVICES
// of `mdadm --examine --export MEMBER` (not --detail of an inactive array,
// whose MD_DEVICES counts only the members present).
absl::StatusOr<int> MembersFromSuperblock(const ToolContext& ctx, const std::string& member) {
  const std::vector<std::string> argv = {"mdadm", "--examine", "--export", member};
  absl::StatusOr<ToolOutput> out = RunToolOutput(ctx, argv);
  if (!out.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot run ", JoinArgv(argv), ": ", out.status().message()));
  }
  if (!Succeeded(out->exit)) {
    return absl::UnavailableError(
        absl::StrCat(JoinArgv(argv), " failed (", DescribeExit(out->exit), ")"));
  }
  for (absl::string_view line : absl::StrSplit(out->stdout_text, '\n')) {
    int count = 0;
    if (absl::ConsumePrefix(&line, "MD_DEVICES=") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &count) && count > 0) {
      return count;
    }
  }
  return absl::NotFoundError(absl::StrCat(JoinArgv(argv), " printed no MD_DEVICES"));
}

// An md array as md-add sees it. NAME empty: no array found.
struct MdArray {
  std::string name;               // kernel name, "md127"
  std::string state;              // md/array_state: inactive, read-auto, clean, active, …
  int degraded = -1;              // md/degraded: members missing, -1 unknown
  bool started_degraded = false;  // md-run-degraded started it
  bool has_member = false;        // md/dev-KNAME of the member exists

  bool running() const {
    return !name.empty() && !state.empty() && state != "inactive" && state != "clear";
  }
  bool wants_late_member() const {
    return running() && degraded > 0 && started_degraded && !has_member;
  }
  std::string device() const { return absl::StrCat("/dev/", name); }
};

// The kernel name of DEVNAME ("/dev/vdb" → "vdb"), following a link (a
// /dev/disk/... path given by hand).
std::string KernelName(const ToolContext& ctx, const std::string& devname) {
  absl::StatusOr<std::string> target = ctx.kernel.ReadLink(devname);
  return Basename(target.ok() ? *target : devname);
}

bool Exists(const ToolContext& ctx, const std::string& path) { return ctx.kernel.Stat(path).ok(); }

// The array whose UUID is ARRAY_UUID (any form: SameUuid), found through the
// by-id links; MEMBER_KNAME is checked for membership.
MdArray FindMdArray(const ToolContext& ctx, const Stage1Files& files, const std::string& array_uuid,
                    const std::string& member_kname) {
  MdArray array;
  if (array_uuid.empty()) return array;
  absl::StatusOr<std::vector<std::string>> links = ctx.kernel.ListDir(kDiskByIdDir);
  if (!links.ok()) return array;
  constexpr absl::string_view kPrefix = "md-uuid-";
  for (const std::string& link : *links) {
    if (!absl::StartsWith(link, kPrefix) ||
        !SameUuid(absl::string_view(link).substr(kPrefix.size()), array_uuid)) {
      continue;
    }
    absl::StatusOr<std::string> target = ctx.kernel.ReadLink(absl::StrCat(kDiskByIdDir, "/", link));
    if (!target.ok()) continue;
    array.name = Basename(*target);
    break;
  }
  if (array.name.empty()) return array;
  const std::string md_dir = absl::StrCat(files.sys_block, "/", array.name, "/md");
  absl::StatusOr<std::string> state = ctx.kernel.ReadFile(absl::StrCat(md_dir, "/array_state"));
  if (state.ok()) array.state = std::string(absl::StripAsciiWhitespace(*state));
  array.degraded = ReadSysInt(ctx, absl::StrCat(md_dir, "/degraded"));
  array.started_degraded = Exists(ctx, absl::StrCat(kMdStartedDegradedDir, "/", array.name));
  array.has_member = Exists(ctx, absl::StrCat(md_dir, "/dev-", member_kname));
  return array;
}

// Runs ARGV; true when it exited 0. A failure is logged, naming the command.
bool RunMdadm(const ToolContext& ctx, const std::vector<std::string>& argv) {
  absl::StatusOr<sys::ChildExit> exit = RunTool(ctx, argv);
  if (!exit.ok()) {
    ctx.Log(absl::StrCat("cannot run ", JoinArgv(argv), ": ", exit.status().message()));
    return false;
  }
  if (!Succeeded(*exit)) {
    ctx.Log(absl::StrCat(JoinArgv(argv), " failed (", DescribeExit(*exit), ")"));
    return false;
  }
  return true;
}

// Puts MEMBER back into ARRAY, running degraded (see assemble.h).
int AddLateMember(const ToolContext& ctx, const MdArray& array, const std::string& member) {
  const std::string device = array.device();
  if (array.state == "read-auto") {
    // A failure is not fatal: the kernel also leaves auto-read-only on an add.
    (void)RunMdadm(ctx, {"mdadm", "--readwrite", device});
  }
  if (RunMdadm(ctx, {"mdadm", "--re-add", device, member})) {
    ctx.Log(absl::StrCat("re-added ", member, " to ", device, " (it was running degraded)"));
    return 0;
  }
  if (RunMdadm(ctx, {"mdadm", "--add", device, member})) {
    ctx.Log(absl::StrCat("added ", member, " to ", device,
                         " (it was running degraded; a re-add was refused, so md rebuilds it)"));
    return 0;
  }
  ctx.Log(absl::StrCat("cannot put ", member, " back into ", device));
  return 1;
}

}  // namespace

int MdAdd(const ToolContext& ctx, const Stage1Files& files, const Env& member) {
  BootOptions options = ReadBootOptions(ctx, files);
  bool exists = false;
  std::string conf_path = files.mdadm_conf;
  std::string text = ReadConfig(ctx, conf_path, &exists);
  if (!exists && !files.mdadm_conf_alt.empty()) {
    conf_path = files.mdadm_conf_alt;
    text = ReadConfig(ctx, conf_path);
  }
  MdadmConf conf = ParseMdadmConf(text, conf_path);
  for (const absl::Status& error : conf.errors) {
    ctx.Log(absl::StrCat("ignoring a line: ", error.message()));
  }
  MdDecision d = DecideMd(options, conf, member);
  if (d.member.empty()) {
    ctx.Log("no device given (DEVNAME)");
    return 2;
  }
  if (d.action == MdDecision::Action::kSkip) {
    ctx.Log(absl::StrCat("not assembling ", d.member, ": ", d.reason));
    return 0;
  }
  const std::string kname = KernelName(ctx, d.member);
  MdArray array = FindMdArray(ctx, files, d.array_uuid, kname);
  if (array.has_member) {
    ctx.Log(absl::StrCat(d.member, " is in ", array.device(), " already"));
    return 0;
  }
  if (array.wants_late_member()) return AddLateMember(ctx, array, d.member);

  if (!RunMdadm(ctx, {"mdadm", "--incremental", d.member})) {
    // md-run-degraded may have started the array while mdadm ran; then
    // --incremental refuses this member ("not adding ... to active array").
    array = FindMdArray(ctx, files, d.array_uuid, kname);
    if (array.wants_late_member()) return AddLateMember(ctx, array, d.member);
    return 1;
  }
  ctx.Log(absl::StrCat("added ", d.member, " to its array",
                       d.array_uuid.empty() ? "" : absl::StrCat(" ", d.array_uuid), " (",
                       d.reason, ")"));
  return 0;
}

int MdRunDegraded(const ToolContext& ctx, const Stage1Files& files,
                  const std::string& md_device) {
  if (md_device.empty()) {
    ctx.Log("no md device given");
    return 2;
  }
  std::string name = Basename(md_device);
  if (absl::StartsWith(md_device, "/dev/md/")) {
    absl::StatusOr<std::string> target = ctx.kernel.ReadLink(md_device);
    if (target.ok()) name = Basename(*target);
  }
  const std::string device =
      absl::StartsWith(md_device, "/") ? md_device : absl::StrCat("/dev/", name);
  const std::string md_dir = absl::StrCat(files.sys_block, "/", name, "/md");

  std::vector<std::string> members;  // kernel names: "vda"
  absl::StatusOr<std::vector<std::string>> entries = ctx.kernel.ListDir(md_dir);
  if (entries.ok()) {
    for (const std::string& entry : *entries) {
      if (absl::StartsWith(entry, "dev-")) members.push_back(entry.substr(4));
    }
  }
  const int present = static_cast<int>(members.size());
  int raid_disks = ReadSysInt(ctx, absl::StrCat(md_dir, "/raid_disks"));
  std::string unknown_why;  // why RAID_DISKS stayed unknown
  if (raid_disks <= 0 && entries.ok()) {
    // md/raid_disks reads empty until the array runs, and an array that
    // waits for md-run-degraded is inactive: its members' superblocks carry
    // the count.
    unknown_why = absl::StrCat(md_dir, "/raid_disks is empty while the array is inactive");
    if (members.empty()) {
      absl::StrAppend(&unknown_why, ", and it has no members");
    } else {
      absl::StatusOr<int> counted = MembersFromSuperblock(ctx, MemberDevice(members.front()));
      if (counted.ok()) {
        raid_disks = *counted;
      } else {
        absl::StrAppend(&unknown_why, ", and ", counted.status().message());
      }
    }
  } else if (!entries.ok()) {
    unknown_why = absl::StrCat("no ", md_dir);
  }
  if (raid_disks > 0 && entries.ok()) {
    Warn(ctx, absl::StrCat("WARNING: starting ", device, " degraded: ", present, " of ",
                           raid_disks, raid_disks == 1 ? " member" : " members"));
  } else {
    Warn(ctx, absl::StrCat("WARNING: starting ", device, " degraded (its member count is unknown: ",
                           unknown_why, ")"));
  }

  // Recorded before mdadm runs: a member that arrives while it runs finds the
  // record when its own --incremental is refused.
  const std::string record = absl::StrCat(kMdStartedDegradedDir, "/", name);
  absl::Status recorded = ctx.kernel.MkdirAll(kMdStartedDegradedDir);
  if (recorded.ok()) {
    recorded = ctx.kernel.WriteFile(record, absl::StrCat(device, " started degraded\n"), 0644);
  }
  if (!recorded.ok()) {
    const std::string why = "a member that comes late will not be put back";
    ctx.Log(absl::StrCat("cannot record ", record, " (", why, "): ", recorded.message()));
  }

  if (!RunMdadm(ctx, {"mdadm", "--run", device})) return 1;
  const int missing = ReadSysInt(ctx, absl::StrCat(md_dir, "/degraded"));
  if (missing >= 0) {
    ctx.Log(absl::StrCat(device, " is running with ", missing,
                         missing == 1 ? " member" : " members", " missing"));
  } else {
    ctx.Log(absl::StrCat(device, " is running"));
  }
  return 0;
}

int LvmActivate(const ToolContext& ctx, const Stage1Files& files, const Env& pv) {
  BootOptions options = ReadBootOptions(ctx, files);
  LvmDecision d = DecideLvm(options, pv);
  const std::string devname(EnvValueOr(pv, "DEVNAME"));
  if (d.action == LvmDecision::Action::kSkip) {
    ctx.Log(absl::StrCat("not activating volumes on ", devname, ": ", d.reason));
    return 0;
  }
  if (absl::StatusOr<std::string> lvm = FindTool(ctx, "lvm"); !lvm.ok()) {
    // No lvm tool in the image (--storage-tools native): baton makes the
    // linear and striped volumes itself.
    LvmNativeRequest request;
    request.devname = devname;
    request.filtered = d.filtered;
    request.vgs = d.vgs;
    request.lvs = d.lvs;
    const bool ok = ActivateLvmNative(
        ctx.kernel, [&ctx](const std::string& line) { ctx.Log(line); }, request);
    return ok ? 0 : 1;
  }
  std::vector<std::vector<std::string>> commands = d.commands;
  commands.push_back({"lvm", "vgmknodes"});
  bool all_ok = true;
  for (const std::vector<std::string>& argv : commands) {
    absl::StatusOr<sys::ChildExit> exit = RunTool(ctx, argv);
    if (!exit.ok()) {
      ctx.Log(absl::StrCat("cannot activate volumes on ", devname, ": ", exit.status().message()));
      return 1;
    }
    if (!Succeeded(*exit)) {
      all_ok = false;
      ctx.Log(absl::StrCat(JoinArgv(argv), " (for ", devname, ") ended with ",
                           DescribeExit(*exit),
                           "; a volume group may still miss physical volumes"));
    }
  }
  ctx.Log(absl::StrCat(all_ok ? "activated volumes for " : "activation incomplete for ", devname,
                       d.vg.empty() ? "" : absl::StrCat(" (volume group ", d.vg, ")")));
  return 0;
}

absl::StatusOr<int> MdMembersFromSuperblock(const ToolContext& ctx, const std::string& kname) {
  return MembersFromSuperblock(ctx, MemberDevice(kname));
}

}  // namespace baton::stage1
