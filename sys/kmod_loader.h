// KmodLoader: the ModuleLoader (sys/modules.h) over libkmod.
//
// Resolution and loading work as udev's kmod builtin does: the alias is
// looked up (modprobe.d aliases, modules.dep names, modules.alias, symbols,
// builtin), and each match is inserted with kmod_module_probe_insert_module
// and KMOD_PROBE_APPLY_BLACKLIST, so dependencies, soft dependencies
// ("softdep X pre: Y"), install commands and blacklists apply. A module that
// is already loaded or built in is not an error.
//
// Configuration: libkmod's modprobe.d folders plus kRuntimeConfigDir, where
// stage 1 writes what it decides at boot (supervisor/stage1/cpu_modules.h).
// Install commands run as modprobe runs them (sh -c, MODPROBE_MODULE set),
// except the idiom `install MODULE /bin/true` (or /bin/false), answered
// without a process: that is what "never load MODULE" costs nothing to say.
//
// Aliases that resolve to no module are remembered (a negative cache): during
// coldplug the same alias shows up on many devices (every PCI bridge, every
// CPU), and a lookup walks several indexes.
//
// Not thread-safe; the supervisor calls it from its one event loop.
#ifndef BATON_SYS_KMOD_LOADER_H_
#define BATON_SYS_KMOD_LOADER_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sys/modules.h"

struct kmod_ctx;

namespace baton::sys {

// modprobe.d-style files that baton's loaders read besides the system's.
inline constexpr char kRuntimeConfigDir[] = "/run/baton/modprobe.d";

// The exit status COMMAND would have when it is exactly /bin/true (0) or
// /bin/false (1), surrounding blanks aside; nullopt for anything else.
std::optional<int> TrivialInstallCommand(const std::string& command);

class KmodLoader : public ModuleLoader {
 public:
  struct Options {
    // The modules directory; empty means /lib/modules/$(uname -r).
    std::string modules_dir;
    // modprobe.d-style configuration files or folders; empty means libkmod's
    // defaults (/etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d,
    // /lib/modprobe.d) and kRuntimeConfigDir.
    std::vector<std::string> config_paths;
    // Runs an install command for MODULE and returns its wait status (as
    // system(3)); empty: `sh -c COMMAND` with MODPROBE_MODULE=MODULE, as
    // modprobe. Not called for the trivial ones (TrivialInstallCommand).
    std::function<int(const std::string& module, const std::string& command)> run_command;
    // Resolve and report, but insert nothing (KMOD_PROBE_DRY_RUN).
    bool dry_run = false;
    // Told the name of each module about to be inserted (or, with an install
    // command, run), in load order: dependencies and pre-softdeps first.
    std::function<void(const std::string& module)> on_load;
  };

  // Fails only when libkmod cannot make a context. Missing index files are
  // not fatal here: lookups then find nothing.
  static absl::StatusOr<std::unique_ptr<KmodLoader>> Create(Options options);
  ~KmodLoader() override;
  KmodLoader(const KmodLoader&) = delete;
  KmodLoader& operator=(const KmodLoader&) = delete;

  absl::Status LoadAlias(const std::string& modalias_or_name) override;

  // How many distinct aliases are in the negative cache.
  size_t unmatched_aliases() const { return unmatched_.size(); }

 private:
  KmodLoader(kmod_ctx* ctx, Options options);

  kmod_ctx* ctx_;
  Options options_;
  std::set<std::string> unmatched_;
};

}  // namespace baton::sys

#endif  // BATON_SYS_KMOD_LOADER_H_
