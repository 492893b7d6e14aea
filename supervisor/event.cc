#include "supervisor/event.h"

#include "absl/strings/ascii.h"

namespace baton::supervisor {

std::optional<absl::string_view> Event::Get(absl::string_view key) const {
  for (const auto& [k, v] : env) {
    if (k == key) return absl::string_view(v);
  }
  return std::nullopt;
}

namespace {

bool IsName(absl::string_view s) {
  if (s.empty()) return false;
  if (!(absl::ascii_isalpha(s[0]) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(c) || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseAssignment(absl::string_view kv) {
  size_t eq = kv.find('=');
  if (eq == absl::string_view::npos) return std::nullopt;
  absl::string_view key = kv.substr(0, eq);
  if (!IsName(key)) return std::nullopt;
  return std::make_pair(std::string(key), std::string(kv.substr(eq + 1)));
}

}  // namespace baton::supervisor
