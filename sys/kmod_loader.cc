#include "sys/kmod_loader.h"

#include <libkmod.h>

#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::sys {
namespace {

// libkmod's own list (libkmod.c, default_config_paths), then ours.
constexpr const char* kDefaultConfigPaths[] = {"/etc/modprobe.d", "/run/modprobe.d",
                                               "/usr/local/lib/modprobe.d", "/lib/modprobe.d",
                                               kRuntimeConfigDir};

// What libkmod's command_do does when no run_install is given.
int SystemWithModule(const std::string& module, const std::string& command) {
  setenv("MODPROBE_MODULE", module.c_str(), 1);
  int status = std::system(command.c_str());
  unsetenv("MODPROBE_MODULE");
  return status;
}

}  // namespace

std::optional<int> TrivialInstallCommand(const std::string& command) {
  absl::string_view c = absl::StripAsciiWhitespace(command);
  if (c == "/bin/true") return 0;
  if (c == "/bin/false") return 1;
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<KmodLoader>> KmodLoader::Create(Options options) {
  if (options.config_paths.empty()) {
    options.config_paths.assign(std::begin(kDefaultConfigPaths), std::end(kDefaultConfigPaths));
  }
  std::vector<const char*> paths;
  for (const std::string& p : options.config_paths) paths.push_back(p.c_str());
  paths.push_back(nullptr);
  kmod_ctx* ctx = kmod_new(options.modules_dir.empty() ? nullptr : options.modules_dir.c_str(),
                           paths.data());
  if (ctx == nullptr) {
    return absl::InternalError(
        absl::StrCat("kmod_new ", options.modules_dir, ": cannot create a libkmod context"));
  }
  // Opens the indexes once; a missing index only means fewer matches.
  kmod_load_resources(ctx);
  return std::unique_ptr<KmodLoader>(new KmodLoader(ctx, std::move(options)));
}

KmodLoader::KmodLoader(kmod_ctx* ctx, Options options) : ctx_(ctx), options_(std::move(options)) {}

KmodLoader::~KmodLoader() { kmod_unref(ctx_); }

absl::Status KmodLoader::LoadAlias(const std::string& modalias_or_name) {
  if (unmatched_.count(modalias_or_name)) return absl::OkStatus();

  kmod_list* list = nullptr;
  int err = kmod_module_new_from_lookup(ctx_, modalias_or_name.c_str(), &list);
  if (err < 0) return ErrnoStatus(-err, absl::StrCat("kmod lookup ", modalias_or_name));
  if (list == nullptr) {
    unmatched_.insert(modalias_or_name);
    return absl::OkStatus();
  }

  // libkmod's print_action callback carries no user data, so the hook is
  // reached through a thread-local pointer set around the call.
  static thread_local const Options* current = nullptr;
  auto print_action = [](kmod_module* mod, bool, const char*) {
    if (current != nullptr && current->on_load) current->on_load(kmod_module_get_name(mod));
  };
  // As libkmod's command_do: a command that cannot run or exits non-zero
  // is -EINVAL.
  auto run_install = [](kmod_module* mod, const char* command, void* data) -> int {
    const Options& options = *static_cast<const Options*>(data);
    const std::string name = kmod_module_get_name(mod);
    std::optional<int> exit_status = TrivialInstallCommand(command);
    if (!exit_status) {
      int status = options.run_command ? options.run_command(name, command)
                                       : SystemWithModule(name, command);
      exit_status = status == -1 || !WIFEXITED(status) ? 1 : WEXITSTATUS(status);
    }
    return *exit_status == 0 ? 0 : -EINVAL;
  };

  absl::Status result = absl::OkStatus();
  kmod_list* it;
  kmod_list_foreach(it, list) {
    kmod_module* mod = kmod_module_get_module(it);
    int flags = KMOD_PROBE_APPLY_BLACKLIST;
    if (options_.dry_run) flags |= KMOD_PROBE_DRY_RUN;
    current = &options_;
    int rc = kmod_module_probe_insert_module(mod, flags, /*extra_options=*/nullptr, run_install,
                                             &options_, print_action);
    current = nullptr;
    // rc > 0 is KMOD_PROBE_APPLY_BLACKLIST: skipped on purpose, not an error.
    if (rc < 0 && rc != -EEXIST && result.ok()) {
      result = ErrnoStatus(-rc, absl::StrCat("load module ", kmod_module_get_name(mod),
                                             " for ", modalias_or_name));
    }
    kmod_module_unref(mod);
  }
  kmod_module_unref_list(list);
  return result;
}

}  // namespace baton::sys
