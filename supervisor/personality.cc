#include "supervisor/personality.h"

namespace baton::supervisor {

Personality PersonalityOf(const char* argv0) {
  if (argv0 == nullptr) return Personality::kSupervisor;
  absl::string_view name(argv0);
  size_t slash = name.rfind('/');
  if (slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  if (name == "modprobe") return Personality::kModprobe;
  if (name == "initctl") return Personality::kInitctl;
  return Personality::kSupervisor;
}

}  // namespace baton::supervisor
