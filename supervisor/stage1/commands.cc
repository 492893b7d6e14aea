#include "supervisor/stage1/commands.h"

#include <unistd.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "supervisor/stage1/assemble.h"
#include "supervisor/stage1/unlock.h"
#include "sys/kmod_loader.h"
#include "sys/linux_kernel.h"

extern char** environ;

namespace baton::stage1 {
namespace {

constexpr char kLuksUnlock[] = "luks-unlock";
constexpr char kMdAdd[] = "md-add";
constexpr char kMdRunDegraded[] = "md-run-degraded";
constexpr char kLvmActivate[] = "lvm-activate";

Env ProcessEnvironment() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

// ENVIRONMENT with KEY set to VALUE (first in the list, so it wins).
Env WithValue(Env environment, const std::string& key, const std::string& value) {
  for (auto it = environment.begin(); it != environment.end();) {
    it = it->first == key ? environment.erase(it) : it + 1;
  }
  environment.insert(environment.begin(), {key, value});
  return environment;
}

// Usage check: between MIN and MAX arguments.
bool Usage(const ToolContext& ctx, const std::vector<std::string>& args, size_t min, size_t max,
           absl::string_view usage) {
  if (args.size() >= min && args.size() <= max) return true;
  ctx.Log(absl::StrCat("usage: baton ", usage));
  return false;
}

std::vector<std::string> Args(int argc, char** argv) {
  return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>{};
}

// Loads MODULES (with their dependencies) before a tool that needs them runs:
// cryptsetup and lvm open /dev/mapper/control, which exists only once dm_mod
// is in, and nothing in the initramfs creates the node on demand. Several
// jobs may load the same module at once; libkmod treats "already loaded" as
// done. A failure is reported and the tool runs anyway (the module may be
// built in).
void LoadModules(std::initializer_list<const char*> modules) {
  absl::StatusOr<std::unique_ptr<sys::KmodLoader>> loader = sys::KmodLoader::Create({});
  for (const char* module : modules) {
    absl::Status st = loader.ok() ? (*loader)->LoadAlias(module) : loader.status();
    if (!st.ok()) {
      std::string text = absl::StrCat("baton: cannot load ", module, ": ", st.message(), "\n");
      (void)!::write(2, text.data(), text.size());
    }
  }
}

template <typename Main>
int RunWithLinux(int argc, char** argv, Main main) {
  sys::LinuxKernel kernel;
  ToolContext ctx(kernel);
  return main(Args(argc, argv), ctx);
}

}  // namespace

int LuksUnlockMain(const std::vector<std::string>& args, const Env& environment,
                   ToolContext& ctx, const Stage1Files& files) {
  ctx.command = absl::StrCat("baton: ", kLuksUnlock);
  if (!Usage(ctx, args, 1, 2, "luks-unlock DEVNAME [UUID]")) return 2;
  Env device = WithValue(environment, "DEVNAME", args[0]);
  if (args.size() > 1) device = WithValue(std::move(device), "ID_FS_UUID", args[1]);
  // Run by hand the device type may be unknown; the job's event says it.
  if (!EnvValue(device, "ID_FS_TYPE")) device.emplace_back("ID_FS_TYPE", "crypto_LUKS");
  return LuksUnlock(ctx, files, device);
}

int MdAddMain(const std::vector<std::string>& args, const Env& environment, ToolContext& ctx,
              const Stage1Files& files) {
  ctx.command = absl::StrCat("baton: ", kMdAdd);
  if (!Usage(ctx, args, 1, 1, "md-add DEVNAME")) return 2;
  Env member = WithValue(environment, "DEVNAME", args[0]);
  if (!EnvValue(member, "ID_FS_TYPE")) member.emplace_back("ID_FS_TYPE", "linux_raid_member");
  return MdAdd(ctx, files, member);
}

int MdRunDegradedMain(const std::vector<std::string>& args, ToolContext& ctx,
                      const Stage1Files& files) {
  ctx.command = absl::StrCat("baton: ", kMdRunDegraded);
  if (!Usage(ctx, args, 1, 1, "md-run-degraded MDDEV")) return 2;
  return MdRunDegraded(ctx, files, args[0]);
}

int LvmActivateMain(const std::vector<std::string>& args, const Env& environment,
                    ToolContext& ctx, const Stage1Files& files) {
  ctx.command = absl::StrCat("baton: ", kLvmActivate);
  if (!Usage(ctx, args, 1, 1, "lvm-activate DEVNAME")) return 2;
  Env pv = WithValue(environment, "DEVNAME", args[0]);
  if (!EnvValue(pv, "ID_FS_TYPE")) pv.emplace_back("ID_FS_TYPE", "LVM2_member");
  return LvmActivate(ctx, files, pv);
}

int RunLuksUnlock(int argc, char** argv) {
  LoadModules({"dm_crypt"});
  return RunWithLinux(argc, argv, [](const std::vector<std::string>& args, ToolContext& ctx) {
    return LuksUnlockMain(args, ProcessEnvironment(), ctx);
  });
}

int RunMdAdd(int argc, char** argv) {
  return RunWithLinux(argc, argv, [](const std::vector<std::string>& args, ToolContext& ctx) {
    return MdAddMain(args, ProcessEnvironment(), ctx);
  });
}

int RunMdRunDegraded(int argc, char** argv) {
  return RunWithLinux(argc, argv, [](const std::vector<std::string>& args, ToolContext& ctx) {
    return MdRunDegradedMain(args, ctx);
  });
}

int RunLvmActivate(int argc, char** argv) {
  LoadModules({"dm_mod"});
  return RunWithLinux(argc, argv, [](const std::vector<std::string>& args, ToolContext& ctx) {
    return LvmActivateMain(args, ProcessEnvironment(), ctx);
  });
}

bool IsStage1Command(absl::string_view name) {
  return name == kLuksUnlock || name == kMdAdd || name == kMdRunDegraded || name == kLvmActivate;
}

}  // namespace baton::stage1
