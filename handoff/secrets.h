// The secret filter: environment entries that must never enter a handoff.
//
// RULE. A key is secret when, upper-cased, it
//  * contains "PASS" (PASSWORD, PASSPHRASE, PASSWD, LUKS_PASS…), "SECRET",
//    "TOKEN" or "CREDENTIAL"; or
//  * has a part containing "KEY", where parts are the pieces between '_',
//    '.' and '-' (KEY, LUKS_KEY, APIKEY, KEYFILE, rd.luks.key, SSH-KEYS),
//    unless that part is exactly KEYMAP, KEYBOARD or KEYTABLE (console
//    settings, never secret).
// Values are not inspected: a secret travelling under an innocent name is the
// job file's mistake, and job files must not put secrets into env at all
// (crypttab key files are paths, read by the unlock job itself). The rule
// errs on the side of dropping: losing a harmless variable on the switch is
// cheap; leaking a passphrase into /run/baton/handoff.pb is not.
#ifndef BATON_HANDOFF_SECRETS_H_
#define BATON_HANDOFF_SECRETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "proto/handoff.pb.h"

namespace baton::handoff {

bool IsSecretKey(absl::string_view key);

// Removes secret entries from ENV, keeping the order of the rest. Returns the
// keys removed (names only, never values).
std::vector<std::string> FilterSecrets(google::protobuf::RepeatedPtrField<KeyValue>* env);

// The same for a packed environment (handoff/env_pack.h): PACKED is
// rewritten without the secret entries, and without any damaged tail (bytes
// no reader can read are not carried either).
std::vector<std::string> FilterPackedSecrets(std::string* packed);

// True when any instance or event environment in HANDOFF, either kind, holds
// a secret key (or a packed one is damaged: it cannot be checked).
bool HasSecrets(const Handoff& handoff);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_SECRETS_H_
