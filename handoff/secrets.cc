#include "handoff/secrets.h"

#include "absl/strings/ascii.h"

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

bool EqualsUpper(absl::string_view s, absl::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (absl::ascii_toupper(s[i]) != upper[i]) return false;
  }
  return true;
}

}  // namespace

// Allocation-free: it runs over every env entry on both sides of the switch.
bool IsSecretKey(absl::string_view key) {
  for (absl::string_view word : {"PASS", "SECRET", "TOKEN", "CREDENTIAL"}) {
    if (ContainsUpper(key, word)) return true;
  }
  if (!ContainsUpper(key, "KEY")) return false;
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

namespace {

bool AnySecret(const google::protobuf::RepeatedPtrField<KeyValue>& env) {
  for (const KeyValue& kv : env) {
    if (IsSecretKey(kv.key())) return true;
  }
  return false;
}

}  // namespace

bool HasSecrets(const Handoff& handoff) {
  for (const JobInstance& inst : handoff.instances()) {
    if (AnySecret(inst.env())) return true;
  }
  for (const Event& event : handoff.events()) {
    if (AnySecret(event.env())) return true;
  }
  return false;
}

}  // namespace baton::handoff
