#include "sys/kmod_loader.h"

#include <libkmod.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::sys {
absl::StatusOr<std::unique_ptr<KmodLoader>> KmodLoader::Create(Options options) {
  std::vector<const char*> paths;
  for (const std::string& p : options.config_paths) paths.push_back(p.c_str());
  paths.push_back(nullptr);
  kmod_ctx* ctx = kmod_new(options.modules_dir.empty() ? nullptr : options.modules_dir.c_str(),
                           options.config_paths.empty() ? nullptr : paths.data());
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

  absl::Status result = absl::OkStatus();
  kmod_list* it;
  kmod_list_foreach(it, list) {
    kmod_module* mod = kmod_module_get_module(it);
    int flags = KMOD_PROBE_APPLY_BLACKLIST;
    if (options_.dry_run) flags |= KMOD_PROBE_DRY_RUN;
    current = &options_;
    int rc = kmod_module_probe_insert_module(mod, flags, /*extra_options=*/nullptr,
                                             /*run_install=*/nullptr, /*data=*/nullptr,
                                             print_action);
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
