#include "handoff/secrets.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "handoff/env_pack.h"

namespace baton::handoff {

namespace {

// Case-insensitive: does HAYSTACK contain NEEDLE (upper case)?
bool ContainsUpper(absl::string_view haystack, absl::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && absl::ascii_toupper(haystack[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// Case-insensitive: does S continue at position I with UPPER?
bool MatchesAt(absl::string_view s, size_t i, absl::string_view upper) {
  if (s.size() - i < upper.size()) return false;
  for (size_t k = 0; k < upper.size(); ++k) {
    if (absl::ascii_toupper(s[i + k]) != upper[k]) return false;
  }
  return true;
}

bool EqualsUpper(absl::string_view s, absl::string_view upper) {
  return s.size() == upper.size() && MatchesAt(s, 0, upper);
}

// The KEY rule, for a key known to contain "KEY" somewhere.
bool HasSecretKeyPart(absl::string_view key) {
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find_first_of("_.-", start);
    if (end == absl::string_view::npos) end = key.size();
    absl::string_view part = key.substr(start, end - start);
    if (ContainsUpper(part, "KEY") && !EqualsUpper(part, "KEYMAP") &&
        !EqualsUpper(part, "KEYBOARD") && !EqualsUpper(part, "KEYTABLE")) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

// Allocation-free and one pass over the key in the common case (no secret
// word's first letter followed by the rest of it): it runs over every env
// entry on both sides of the switch.
bool IsSecretKey(absl::string_view key) {
  bool has_key = false;
  for (size_t i = 0; i < key.size(); ++i) {
    switch (absl::ascii_toupper(key[i])) {
      case 'P':
        if (MatchesAt(key, i, "PASS")) return true;
        break;
      case 'S':
        if (MatchesAt(key, i, "SECRET")) return true;
        break;
      case 'T':
        if (MatchesAt(key, i, "TOKEN")) return true;
        break;
      case 'C':
        if (MatchesAt(key, i, "CREDENTIAL")) return true;
        break;
      case 'K':
        has_key = has_key || MatchesAt(key, i, "KEY");
        break;
      default:
        break;
    }
  }
  return has_key && HasSecretKeyPart(key);
}

std::vector<std::string> FilterSecrets(google::protobuf::RepeatedPtrField<KeyValue>* env) {
  std::vector<std::string> removed;
  int kept = 0;
  for (int i = 0; i < env->size(); ++i) {
    if (IsSecretKey(env->Get(i).key())) {
      removed.push_back(env->Get(i).key());
      continue;
    }
    if (kept != i) env->SwapElements(kept, i);
    ++kept;
  }
  env->DeleteSubrange(kept, env->size() - kept);
  return removed;
}

std::vector<std::string> FilterPackedSecrets(std::string* packed) {
  std::vector<std::string> removed;
  std::string kept;
  PackedEnvReader reader(*packed);
  for (EnvEntry e; reader.Next(&e);) {
    if (IsSecretKey(e.key)) {
      removed.emplace_back(e.key);
    } else {
      PackEnvEntry(&kept, e.key, e.value);
    }
  }
  if (!removed.empty() || reader.damaged()) *packed = std::move(kept);
  return removed;
}

namespace {

template <typename Msg>
bool AnySecret(const Msg& msg) {
  for (const KeyValue& kv : msg.env()) {
    if (IsSecretKey(kv.key())) return true;
  }
  PackedEnvReader reader(msg.packed_env());
  for (EnvEntry e; reader.Next(&e);) {
    if (IsSecretKey(e.key)) return true;
  }
  return reader.damaged();
}

}  // namespace

bool HasSecrets(const Handoff& handoff) {
  for (const JobInstance& inst : handoff.instances()) {
    if (AnySecret(inst)) return true;
  }
  for (const Event& event : handoff.events()) {
    if (AnySecret(event)) return true;
  }
  return false;
}

}  // namespace baton::handoff
