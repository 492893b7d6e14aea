#include "supervisor/stage1/luks_policy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace baton::stage1 {
namespace {

bool KeyIsFor(const LuksKey& key, const Env& device) {
  absl::StatusOr<RootSpec> spec = RootSpec::Parse(key.luks_device);
  return spec.ok() && spec->Matches(device);
}

}  // namespace

LuksDecision DecideLuks(const BootOptions& options,
                        const std::vector<CrypttabEntry>& crypttab, const Env& device) {
  LuksDecision d;
  d.device = std::string(EnvValueOr(device, "DEVNAME"));
  d.uuid = std::string(EnvValueOr(device, "ID_FS_UUID"));

  auto fs_type = EnvValue(device, "ID_FS_TYPE");
  if (fs_type && *fs_type != "crypto_LUKS") {
    d.reason = absl::StrCat("not a LUKS device (ID_FS_TYPE=", *fs_type, ")");
    return d;
  }
  if (!options.luks) {
    d.reason = "rd.luks=0";
    return d;
  }

  bool filtered = !options.luks_uuids.empty() || !options.luks_names.empty();
  bool listed = false;
  for (const std::string& u : options.luks_uuids) listed = listed || SameUuid(u, d.uuid);
  const LuksName* named = nullptr;
  for (const LuksName& n : options.luks_names) {
    if (SameUuid(n.uuid, d.uuid)) named = &n;  // the last one wins
  }
  listed = listed || named != nullptr;
  if (filtered && !listed) {
    d.reason = "not listed in rd.luks.uuid= or rd.luks.name=";
    return d;
  }

  const CrypttabEntry* entry = nullptr;
  for (const CrypttabEntry& e : crypttab) {
    if (e.device_spec.Matches(device)) {
      entry = &e;
      break;
    }
  }
  if (entry && entry->noauto && !listed) {
    d.reason = absl::StrCat("noauto in crypttab line ", entry->line);
    return d;
  }

  if (named) {
    d.name = named->name;
  } else if (entry) {
    d.name = entry->name;
  } else if (!d.uuid.empty()) {
    d.name = absl::StrCat("luks-", d.uuid);
  } else {
    absl::string_view dev = d.device;
    d.name = absl::StrCat("luks-", dev.substr(dev.rfind('/') + 1));
  }

  if (entry) {
    d.crypttab_line = entry->line;
    d.tries = entry->tries;
    d.header = entry->header;
    d.discard = entry->discard;
    d.read_only = entry->read_only;
  }

  const LuksKey* key = nullptr;
  for (const LuksKey& k : options.luks_keys) {
    if (!k.luks_device.empty() && KeyIsFor(k, device)) {
      key = &k;
      break;
    }
  }
  if (!key) {
    for (const LuksKey& k : options.luks_keys) {
      if (k.luks_device.empty()) {
        key = &k;
        break;
      }
    }
  }
  if (key) {
    d.action = LuksDecision::Action::kUnlockWithKeyFile;
    d.reason = "rd.luks.key";
    d.key_file = key->path;
    d.key_device = key->key_device;
  } else if (entry && !entry->key_file.empty()) {
    d.action = LuksDecision::Action::kUnlockWithKeyFile;
    d.reason = absl::StrCat("crypttab line ", entry->line);
    d.key_file = entry->key_file;
    d.key_device = entry->key_device;
    d.keyfile_size = entry->keyfile_size;
    d.keyfile_offset = entry->keyfile_offset;
  } else {
    d.action = LuksDecision::Action::kAskPassphrase;
    d.reason = entry ? absl::StrCat("crypttab line ", entry->line, " has no key file")
                     : "no key file given";
  }
  return d;
}

}  // namespace baton::stage1
