#include "supervisor/stage1/device_env.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace baton::stage1 {

std::optional<absl::string_view> EnvValue(const Env& env, absl::string_view key) {
  for (const auto& [k, v] : env) {
    if (k == key) return absl::string_view(v);
  }
  return std::nullopt;
}

absl::string_view EnvValueOr(const Env& env, absl::string_view key) {
  return EnvValue(env, key).value_or(absl::string_view());
}

std::string NormalizeUuid(absl::string_view uuid) {
  if (absl::StartsWithIgnoreCase(uuid, "luks-")) uuid.remove_prefix(5);
  std::string out;
  out.reserve(uuid.size());
  for (char c : uuid) {
    if (c == '-' || c == ':') continue;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool SameUuid(absl::string_view a, absl::string_view b) {
  std::string na = NormalizeUuid(a);
  return !na.empty() && na == NormalizeUuid(b);
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string DecodeUdevEscapes(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      int hi = HexDigit(s[i + 2]);
      int lo = HexDigit(s[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool HasDevicePath(const Env& env, absl::string_view path) {
  if (path.empty()) return false;
  if (EnvValueOr(env, "DEVNAME") == path) return true;
  for (absl::string_view link :
       absl::StrSplit(EnvValueOr(env, "DEVLINKS"), ' ', absl::SkipEmpty())) {
    if (link == path) return true;
  }
  return false;
}

}  // namespace baton::stage1
