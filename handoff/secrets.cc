#include "handoff/secrets.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace baton::handoff {

bool IsSecretKey(absl::string_view key) {
  std::string upper = absl::AsciiStrToUpper(key);
  for (absl::string_view word : {"PASS", "SECRET", "TOKEN", "CREDENTIAL"}) {
    if (absl::StrContains(upper, word)) return true;
  }
  for (absl::string_view part : absl::StrSplit(upper, absl::ByAnyChar("_.-"))) {
    if (!absl::StrContains(part, "KEY")) continue;
    if (part == "KEYMAP" || part == "KEYBOARD" || part == "KEYTABLE") continue;
    return true;
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
