#include "supervisor/stage1/md_ask.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "supervisor/stage1/assemble.h"
#include "supervisor/stage1/console_prompt.h"
#include "sys/linux_kernel.h"

namespace baton::stage1 {
namespace {

constexpr char kCommand[] = "md-ask-degraded";
constexpr char kQuestion[] = "Start them degraded? [y/N] ";

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// An integer sysfs attribute, or -1.
int ReadSysInt(const ToolContext& ctx, const std::string& path) {
  absl::StatusOr<std::string> text = ctx.kernel.ReadFile(path);
  int value = -1;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) return -1;
  return value;
}

enum class Answer { kYes, kNo, kAgain };

Answer Parse(std::string line) {
  line = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line));
  if (line == "y" || line == "yes") return Answer::kYes;
  if (line.empty() || line == "n" || line == "no") return Answer::kNo;
  return Answer::kAgain;
}

}  // namespace

std::string DescribeIncompleteArray(const ToolContext& ctx, const Stage1Files& files,
                                    const std::string& md_device) {
  std::string name = Basename(md_device);
  if (absl::StartsWith(md_device, "/dev/md/")) {
    absl::StatusOr<std::string> target = ctx.kernel.ReadLink(md_device);
    if (target.ok()) name = Basename(*target);
  }
  const std::string md_dir = absl::StrCat(files.sys_block, "/", name, "/md");
  absl::StatusOr<std::vector<std::string>> entries = ctx.kernel.ListDir(md_dir);
  if (!entries.ok()) return absl::StrCat(md_device, ": no ", md_dir, " (gone?)");
  std::vector<std::string> members;
  for (const std::string& entry : *entries) {
    if (absl::StartsWith(entry, "dev-")) members.push_back(entry.substr(4));
  }
  const int present = static_cast<int>(members.size());
  int expected = ReadSysInt(ctx, absl::StrCat(md_dir, "/raid_disks"));
  if (expected <= 0 && !members.empty()) {
    absl::StatusOr<int> counted = MdMembersFromSuperblock(ctx, members.front());
    if (counted.ok()) {
      expected = *counted;
    } else {
      ctx.Log(absl::StrCat("member count of ", md_device, " unknown: ", counted.status().message()));
    }
  }
  const std::string have =
      absl::StrCat(present, present == 1 ? " member" : " members", " present");
  if (expected > present) {
    return absl::StrCat(md_device, ": ", present, " of ", expected,
                        expected == 1 ? " member" : " members", " present, ",
                        expected - present, " missing");
  }
  return absl::StrCat(md_device, ": ", have, ", at least one missing");
}

bool AskStartDegraded(const ToolContext& ctx, const Stage1Files& files,
                      const std::vector<std::string>& md_devices) {
  absl::StatusOr<std::unique_ptr<ConsoleSession>> session = ConsoleSession::Open(ctx);
  if (!session.ok()) {
    ctx.Log(absl::StrCat("cannot ask whether to start ", absl::StrJoin(md_devices, " "),
                         " degraded: ", session.status().message(), "; not starting them"));
    return false;
  }
  ConsoleSession& console = **session;
  std::string text = "WARNING: these RAID arrays are missing members:\n";
  for (const std::string& device : md_devices) {
    absl::StrAppend(&text, "  ", DescribeIncompleteArray(ctx, files, device), "\n");
  }
  absl::StrAppend(&text,
                  "Started degraded, an array runs without its redundancy; not started,\n"
                  "whatever lives on it stays missing.");
  ctx.Log(text);
  (void)console.Say(text);
  for (;;) {
    std::string line;
    absl::StatusOr<bool> got = console.ReadLine(kQuestion, &line);
    if (!got.ok() && got.status().code() != absl::StatusCode::kInvalidArgument) {
      const std::string why = absl::StrCat("no answer (", got.status().message(),
                                           "): not starting them degraded");
      ctx.Log(why);
      (void)console.Say(why);
      return false;
    }
    if (got.ok() && !*got) {
      const std::string why =
          absl::StrCat("no answer (end of input on ", console.path(), "): not starting them degraded");
      ctx.Log(why);
      (void)console.Say(why);
      return false;
    }
    Answer answer = got.ok() ? Parse(line) : Answer::kAgain;
    if (answer == Answer::kAgain) {
      (void)console.Say("Please answer y or n.");
      continue;
    }
    const std::string said = answer == Answer::kYes ? "answered yes: starting them degraded"
                                                    : "answered no: leaving them as they are";
    ctx.Log(said);
    (void)console.Say(said);
    return answer == Answer::kYes;
  }
}

int MdAskDegradedMain(const std::vector<std::string>& args, ToolContext& ctx,
                      const Stage1Files& files) {
  ctx.command = absl::StrCat("baton: ", kCommand);
  if (args.empty()) {
    ctx.Log("usage: baton md-ask-degraded MDDEV...");
    return 2;
  }
  return AskStartDegraded(ctx, files, args) ? 0 : 1;
}

int RunMdAskDegraded(int argc, char** argv) {
  sys::LinuxKernel kernel;
  ToolContext ctx(kernel);
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return MdAskDegradedMain(args, ctx);
}

}  // namespace baton::stage1
