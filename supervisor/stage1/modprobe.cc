#include "supervisor/stage1/modprobe.h"

#include <unistd.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sys/kmod_loader.h"

namespace baton::stage1 {

int ModprobeMain(const std::vector<std::string>& args, sys::ModuleLoader& loader,
                 const std::function<void(const std::string&)>& err) {
  bool quiet = false;
  bool options_done = false;
  std::string name;
  std::vector<std::string> params;
  for (const std::string& a : args) {
    if (!options_done && a == "--") {
      options_done = true;
    } else if (!options_done && absl::StartsWith(a, "-")) {
      if (a == "-q" || a == "--quiet") quiet = true;
    } else if (name.empty()) {
      name = a;
    } else {
      params.push_back(a);
    }
  }
  if (name.empty()) {
    err("usage: modprobe [-q] [--] NAME [PARAM=VALUE...]");
    return 2;
  }
  if (!params.empty() && !quiet) {
    err(absl::StrCat("modprobe: parameters for ", name, " ignored (", params.size(), ")"));
  }
  absl::Status st = loader.LoadAlias(name);
  if (!st.ok()) {
    if (!quiet) err(absl::StrCat("modprobe: ", name, ": ", st.message()));
    return 1;
  }
  return 0;
}

int RunModprobe(int argc, char** argv) {
  auto err = [](const std::string& line) {
    std::string text = line + "\n";
    (void)!::write(2, text.data(), text.size());
  };
  absl::StatusOr<std::unique_ptr<sys::KmodLoader>> loader = sys::KmodLoader::Create({});
  if (!loader.ok()) {
    err(absl::StrCat("modprobe: ", loader.status().message()));
    return 1;
  }
  return ModprobeMain(std::vector<std::string>(argv + 1, argv + argc), **loader, err);
}

}  // namespace baton::stage1
