#include "supervisor/stage1/luks_header.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "supervisor/stage1/byte_order.h"
#include "supervisor/stage1/luks_json.h"
#include "sys/status_macros.h"

namespace baton::stage1::luks {
namespace {

constexpr absl::string_view kMagic1("LUKS\xba\xbe", 6);
constexpr absl::string_view kMagic2("SKUL\xba\xbe", 6);
constexpr uint32_t kLuks1SlotActive = 0x00AC71F3;
constexpr uint32_t kLuks1SlotDisabled = 0x0000DEAD;
constexpr size_t kSector = 512;
// Far beyond what cryptsetup makes (4000 stripes, 64-byte keys), small
// enough that a corrupt header cannot make stage 1 read or allocate much.
constexpr uint64_t kMaxAfBytes = 16 * 1024 * 1024;

const char kToolNeeded[] = "; the cryptsetup tool is needed (an image built with --storage-tools all)";

// A NUL-terminated string in a fixed field of LEN bytes.
std::string CString(absl::string_view s, size_t at, size_t len) {
  absl::string_view field = s.substr(at, len);
  return std::string(field.substr(0, field.find('\0')));
}
uint64_t RoundUpSector(uint64_t n) { return (n + kSector - 1) / kSector * kSector; }

bool ValidHdrSize(uint64_t size) {
  for (uint64_t s = 16 * 1024; s <= kLuks2MaxHdrSize; s *= 2) {
    if (size == s) return true;
  }
  return false;
}

absl::Status Unsupported(absl::string_view what, absl::string_view message) {
  return absl::UnimplementedError(absl::StrCat(what, ": ", message, kToolNeeded));
}

// ---------------------------------------------------------------- LUKS1 ---

absl::StatusOr<LuksHeader> ParseLuks1(absl::string_view b, absl::string_view what) {
  if (b.size() < kLuks1HeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": LUKS1 header cut short (", b.size(), " of 592 bytes)"));
  }
  LuksHeader h;
  h.version = 1;
  const std::string cipher_name = CString(b, 8, 32);
  const std::string cipher_mode = CString(b, 40, 32);
  const std::string hash_spec = CString(b, 72, 32);
  const uint32_t payload_offset = LoadBe32(b, 104);
  const uint32_t key_bytes = LoadBe32(b, 108);
  h.uuid = CString(b, 168, 40);

  absl::StatusOr<CipherSpec> cipher = ParseCipher(cipher_name, cipher_mode);
  if (!cipher.ok()) return Unsupported(what, cipher.status().message());
  std::optional<HashAlg> hash = HashByName(hash_spec);
  if (!hash) return Unsupported(what, absl::StrCat("LUKS1 hash spec \"", hash_spec, "\""));
  if (!cipher->ValidKeySize(key_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": LUKS1 key bytes ", key_bytes,
                                                   " do not fit ", cipher->DmName()));
  }
  h.digest.hash = *hash;
  h.digest.digest = std::string(b.substr(112, 20));
  h.digest.salt = std::string(b.substr(132, 32));
  h.digest.iterations = LoadBe32(b, 164);
  h.segment.offset = uint64_t{payload_offset} * kSector;
  h.segment.cipher = *cipher;
  h.segment.sector_size = kSector;

  for (int i = 0; i < 8; ++i) {
    const size_t at = 208 + 48 * i;
    const uint32_t active = LoadBe32(b, at);
    if (active == kLuks1SlotDisabled) continue;
    if (active != kLuks1SlotActive) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": LUKS1 key slot ", i, " is neither enabled nor disabled (", active, ")"));
    }
    LuksKeyslot ks;
    ks.id = absl::StrCat(i);
    ks.kdf = LuksKeyslot::Kdf::kPbkdf2;
    ks.pbkdf2_hash = *hash;
    ks.iterations = LoadBe32(b, at + 4);
    ks.salt = std::string(b.substr(at + 8, 32));
    ks.stripes = LoadBe32(b, at + 44);
    ks.volume_key_size = key_bytes;
    ks.af_hash = *hash;
    ks.area_offset = uint64_t{LoadBe32(b, at + 40)} * kSector;
    ks.area_cipher = *cipher;
    ks.area_key_size = key_bytes;
    if (ks.stripes == 0 || uint64_t{key_bytes} * ks.stripes > kMaxAfBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": LUKS1 key slot ", i, " has ", ks.stripes, " stripes"));
    }
    ks.area_size = RoundUpSector(uint64_t{key_bytes} * ks.stripes);
    if (ks.area_offset < kLuks1HeaderSize) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": LUKS1 key slot ", i, " overlaps the header"));
    }
    h.keyslots.push_back(std::move(ks));
  }
  return h;
}

// ---------------------------------------------------------------- LUKS2 ---

struct Luks2Copy {
  uint64_t hdr_size = 0;
  uint64_t seqid = 0;
  std::string uuid;
  absl::string_view json;
};

absl::StatusOr<Luks2Copy> CheckLuks2Copy(absl::string_view b, uint64_t off,
                                         absl::string_view magic, absl::string_view what,
                                         absl::string_view which) {
  const std::string name = absl::StrCat(what, ": ", which, " LUKS2 header at byte ", off);
  if (off + kLuks2BinaryHeaderSize > b.size()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": beyond the end of the device"));
  }
  absl::string_view h = b.substr(off);
  if (h.substr(0, 6) != magic) return absl::InvalidArgumentError(absl::StrCat(name, ": no magic"));
  if (LoadBe16(h, 6) != 2) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": version ", LoadBe16(h, 6), ", not 2"));
  }
  Luks2Copy copy;
  copy.hdr_size = LoadBe64(h, 8);
  copy.seqid = LoadBe64(h, 16);
  if (!ValidHdrSize(copy.hdr_size)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": bad hdr_size ", copy.hdr_size));
  }
  if (copy.hdr_size > h.size()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": cut short"));
  }
  if (LoadBe64(h, 256) != off) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": hdr_offset ", LoadBe64(h, 256)));
  }
  const std::string alg_name = CString(h, 72, 32);
  std::optional<HashAlg> alg = HashByName(alg_name);
  if (!alg) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": unknown checksum algorithm \"", alg_name, "\""));
  }
  Hasher hasher(*alg);
  const uint8_t zeros[64] = {};
  hasher.Update(h.data(), 448);
  hasher.Update(zeros, 64);
  hasher.Update(h.data() + 512, copy.hdr_size - 512);
  uint8_t sum[kMaxDigestSize];
  hasher.Final(sum);
  if (memcmp(sum, h.data() + 448, DigestSize(*alg)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": checksum mismatch"));
  }
  copy.uuid = CString(h, 168, 40);
  copy.json = h.substr(kLuks2BinaryHeaderSize, copy.hdr_size - kLuks2BinaryHeaderSize);
  copy.json = copy.json.substr(0, copy.json.find('\0'));
  return copy;
}

// Reads typed members of the JSON metadata; errors name the member's path
// and where it is.
class Meta {
 public:
  explicit Meta(absl::string_view what) : what_(what) {}

  absl::Status Bad(const JsonValue& at, absl::string_view path, absl::string_view msg) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": LUKS2 metadata ", path,
                                                   " (JSON byte ", at.offset(), "): ", msg));
  }

  absl::StatusOr<const JsonValue*> Get(const JsonValue& obj, absl::string_view key,
                                       absl::string_view path, JsonValue::Type type) const {
    const JsonValue* v = obj.Find(key);
    if (v == nullptr) return Bad(obj, path, absl::StrCat("no member \"", key, "\""));
    if (v->type() != type) {
      return Bad(*v, absl::StrCat(path, ".", key),
                 absl::StrCat("expected a ", JsonValue::TypeName(type), ", found a ",
                              JsonValue::TypeName(v->type())));
    }
    return v;
  }
  absl::StatusOr<std::string> String(const JsonValue& obj, absl::string_view key,
                                     absl::string_view path) const {
    absl::StatusOr<const JsonValue*> v = Get(obj, key, path, JsonValue::Type::kString);
    if (!v.ok()) return v.status();
    return (*v)->text();
  }
  // A JSON number (LUKS2 stores small integers so).
  absl::StatusOr<uint64_t> Number(const JsonValue& obj, absl::string_view key,
                                  absl::string_view path, uint64_t max) const {
    absl::StatusOr<const JsonValue*> v = Get(obj, key, path, JsonValue::Type::kNumber);
    if (!v.ok()) return v.status();
    std::optional<uint64_t> n = (*v)->AsUint64();
    if (!n || *n > max) {
      return Bad(**v, absl::StrCat(path, ".", key),
                 absl::StrCat("expected an integer from 0 to ", max));
    }
    return *n;
  }
  // A decimal string (LUKS2 stores 64-bit offsets and sizes so).
  absl::StatusOr<uint64_t> NumberString(const JsonValue& obj, absl::string_view key,
                                        absl::string_view path) const {
    absl::StatusOr<const JsonValue*> v = Get(obj, key, path, JsonValue::Type::kString);
    if (!v.ok()) return v.status();
    uint64_t n;
    const std::string& t = (*v)->text();
    if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos ||
        !absl::SimpleAtoi(t, &n)) {
      return Bad(**v, absl::StrCat(path, ".", key), "expected a decimal number in a string");
    }
    return n;
  }
  absl::StatusOr<std::string> Base64(const JsonValue& obj, absl::string_view key,
                                     absl::string_view path) const {
    absl::StatusOr<const JsonValue*> v = Get(obj, key, path, JsonValue::Type::kString);
    if (!v.ok()) return v.status();
    std::string out;
    if (!absl::Base64Unescape((*v)->text(), &out) || out.empty()) {
      return Bad(**v, absl::StrCat(path, ".", key), "expected base64");
    }
    return out;
  }
  absl::StatusOr<HashAlg> Hash(const JsonValue& obj, absl::string_view key,
                               absl::string_view path) const {
    absl::StatusOr<std::string> name = String(obj, key, path);
    if (!name.ok()) return name.status();
    std::optional<HashAlg> alg = HashByName(*name);
    if (!alg) {
      return Unsupported(what_, absl::StrCat(path, ".", key, " \"", *name,
                                             "\" is not supported natively"));
    }
    return *alg;
  }
  // An array of strings (digests' keyslots and segments lists).
  absl::StatusOr<std::vector<std::string>> Strings(const JsonValue& obj, absl::string_view key,
                                                   absl::string_view path) const {
    absl::StatusOr<const JsonValue*> v = Get(obj, key, path, JsonValue::Type::kArray);
    if (!v.ok()) return v.status();
    std::vector<std::string> out;
    for (const JsonValue& item : (*v)->items()) {
      if (!item.is_string()) return Bad(item, absl::StrCat(path, ".", key), "expected strings");
      out.push_back(item.text());
    }
    return out;
  }
  const std::string& what() const { return what_; }

 private:
  std::string what_;
};


absl::StatusOr<LuksKeyslot> ParseKeyslot(const Meta& m, const std::string& id,
                                         const JsonValue& ks) {
  const std::string path = absl::StrCat("keyslots.", id);
  LuksKeyslot out;
  out.id = id;
  ASSIGN_OR_RETURN(std::string type, m.String(ks, "type", path));
  if (type == "reencrypt") {
    return Unsupported(m.what(), "a reencryption is in progress (key slot " + id + ")");
  }
  if (type != "luks2") {
    return Unsupported(m.what(), absl::StrCat("key slot ", id, " has type \"", type, "\""));
  }
  ASSIGN_OR_RETURN(out.volume_key_size, m.Number(ks, "key_size", path, 512));

  ASSIGN_OR_RETURN(const JsonValue* af, m.Get(ks, "af", path, JsonValue::Type::kObject));
  const std::string af_path = path + ".af";
  ASSIGN_OR_RETURN(std::string af_type, m.String(*af, "type", af_path));
  if (af_type != "luks1") {
    return Unsupported(m.what(), absl::StrCat("key slot ", id, " has af type \"", af_type, "\""));
  }
  ASSIGN_OR_RETURN(out.stripes, m.Number(*af, "stripes", af_path, UINT32_MAX));
  ASSIGN_OR_RETURN(out.af_hash, m.Hash(*af, "hash", af_path));

  ASSIGN_OR_RETURN(const JsonValue* area, m.Get(ks, "area", path, JsonValue::Type::kObject));
  const std::string area_path = path + ".area";
  ASSIGN_OR_RETURN(std::string area_type, m.String(*area, "type", area_path));
  if (area_type != "raw") {
    return Unsupported(m.what(),
                       absl::StrCat("key slot ", id, " has area type \"", area_type, "\""));
  }
  ASSIGN_OR_RETURN(out.area_offset, m.NumberString(*area, "offset", area_path));
  ASSIGN_OR_RETURN(uint64_t area_size, m.NumberString(*area, "size", area_path));
  ASSIGN_OR_RETURN(std::string encryption, m.String(*area, "encryption", area_path));
  absl::StatusOr<CipherSpec> cipher = ParseCipher(encryption);
  if (!cipher.ok()) {
    return Unsupported(m.what(), absl::StrCat("key slot ", id, ": ", cipher.status().message()));
  }
  out.area_cipher = *cipher;
  ASSIGN_OR_RETURN(out.area_key_size, m.Number(*area, "key_size", area_path, 512));
  if (!out.area_cipher.ValidKeySize(out.area_key_size)) {
    return m.Bad(*area, area_path,
                 absl::StrCat(encryption, " cannot use a ", out.area_key_size * 8, "-bit key"));
  }

  const uint64_t af_bytes = uint64_t{out.volume_key_size} * out.stripes;
  if (out.volume_key_size == 0 || out.stripes == 0 || af_bytes > kMaxAfBytes) {
    return m.Bad(ks, path, absl::StrCat(out.volume_key_size, "-byte key in ", out.stripes,
                                        " stripes"));
  }
  out.area_size = RoundUpSector(af_bytes);
  if (out.area_size > area_size || out.area_offset % kSector != 0) {
    return m.Bad(*area, area_path,
                 absl::StrCat("area of ", area_size, " bytes at ", out.area_offset,
                              " cannot hold ", af_bytes, " bytes of key material"));
  }

  ASSIGN_OR_RETURN(const JsonValue* kdf, m.Get(ks, "kdf", path, JsonValue::Type::kObject));
  const std::string kdf_path = path + ".kdf";
  ASSIGN_OR_RETURN(std::string kdf_type, m.String(*kdf, "type", kdf_path));
  ASSIGN_OR_RETURN(out.salt, m.Base64(*kdf, "salt", kdf_path));
  if (kdf_type == "pbkdf2") {
    out.kdf = LuksKeyslot::Kdf::kPbkdf2;
    ASSIGN_OR_RETURN(out.pbkdf2_hash, m.Hash(*kdf, "hash", kdf_path));
    ASSIGN_OR_RETURN(out.iterations, m.Number(*kdf, "iterations", kdf_path, UINT32_MAX));
  } else if (kdf_type == "argon2i" || kdf_type == "argon2id") {
    out.kdf = kdf_type == "argon2i" ? LuksKeyslot::Kdf::kArgon2i : LuksKeyslot::Kdf::kArgon2id;
    ASSIGN_OR_RETURN(out.time, m.Number(*kdf, "time", kdf_path, UINT32_MAX));
    // cryptsetup's limits: 4 GiB, 16 lanes.
    ASSIGN_OR_RETURN(out.memory_kib, m.Number(*kdf, "memory", kdf_path, 4 * 1024 * 1024));
    ASSIGN_OR_RETURN(out.parallel, m.Number(*kdf, "cpus", kdf_path, 16));
  } else {
    return Unsupported(m.what(), absl::StrCat("key slot ", id, " has kdf \"", kdf_type, "\""));
  }
  return out;
}

int Priority(const JsonValue& ks) {
  const JsonValue* p = ks.Find("priority");
  if (p == nullptr) return 1;
  std::optional<uint64_t> n = p->AsUint64();
  return n && *n <= 2 ? static_cast<int>(*n) : 1;
}

absl::StatusOr<LuksHeader> ParseLuks2Json(const Meta& m, const JsonValue& root) {
  if (!root.is_object()) return m.Bad(root, "", "expected an object");
  LuksHeader h;
  h.version = 2;

  // config: mandatory requirements (e.g. online-reencrypt) and flags.
  if (const JsonValue* config = root.Find("config"); config != nullptr && config->is_object()) {
    if (const JsonValue* req = config->Find("requirements"); req != nullptr && req->is_object()) {
      if (const JsonValue* mandatory = req->Find("mandatory");
          mandatory != nullptr && mandatory->is_array() && !mandatory->items().empty()) {
        std::vector<std::string> names;
        for (const JsonValue& item : mandatory->items()) names.push_back(item.text());
        return Unsupported(m.what(), absl::StrCat("mandatory requirements ",
                                                  absl::StrJoin(names, ", ")));
      }
    }
    if (config->Find("flags") != nullptr) {
      ASSIGN_OR_RETURN(h.flags, m.Strings(*config, "flags", "config"));
    }
  }

  // The one data segment.
  ASSIGN_OR_RETURN(const JsonValue* segments, m.Get(root, "segments", "", JsonValue::Type::kObject));
  if (segments->members().size() != 1) {
    return Unsupported(m.what(), absl::StrCat(segments->members().size(),
                                              " data segments (a reencryption in progress?)"));
  }
  const std::string& seg_id = segments->members()[0].first;
  const JsonValue& seg = segments->members()[0].second;
  const std::string seg_path = "segments." + seg_id;
  if (!seg.is_object()) return m.Bad(seg, seg_path, "expected an object");
  ASSIGN_OR_RETURN(std::string seg_type, m.String(seg, "type", seg_path));
  if (seg_type != "crypt") {
    return Unsupported(m.what(), absl::StrCat("segment of type \"", seg_type, "\""));
  }
  if (seg.Find("integrity") != nullptr) {
    return Unsupported(m.what(), "authenticated encryption (dm-integrity)");
  }
  ASSIGN_OR_RETURN(h.segment.offset, m.NumberString(seg, "offset", seg_path));
  ASSIGN_OR_RETURN(std::string size, m.String(seg, "size", seg_path));
  if (size != "dynamic") {
    ASSIGN_OR_RETURN(h.segment.size, m.NumberString(seg, "size", seg_path));
  }
  ASSIGN_OR_RETURN(h.segment.iv_tweak, m.NumberString(seg, "iv_tweak", seg_path));
  ASSIGN_OR_RETURN(std::string encryption, m.String(seg, "encryption", seg_path));
  absl::StatusOr<CipherSpec> cipher = ParseCipher(encryption);
  if (!cipher.ok()) {
    return Unsupported(m.what(), absl::StrCat("data segment: ", cipher.status().message()));
  }
  h.segment.cipher = *cipher;
  ASSIGN_OR_RETURN(h.segment.sector_size, m.Number(seg, "sector_size", seg_path, 4096));
  if (h.segment.sector_size < 512 || (h.segment.sector_size & (h.segment.sector_size - 1))) {
    return m.Bad(*seg.Find("sector_size"), seg_path + ".sector_size",
                 "expected 512, 1024, 2048 or 4096");
  }
  if (h.segment.offset % kSector != 0) {
    return m.Bad(seg, seg_path, "offset is not whole sectors");
  }

  // The digest covering that segment, and the key slots it covers.
  ASSIGN_OR_RETURN(const JsonValue* digests, m.Get(root, "digests", "", JsonValue::Type::kObject));
  std::vector<std::string> digest_slots;
  bool found = false;
  for (const auto& [id, d] : digests->members()) {
    const std::string path = "digests." + id;
    if (!d.is_object()) return m.Bad(d, path, "expected an object");
    ASSIGN_OR_RETURN(std::vector<std::string> segs, m.Strings(d, "segments", path));
    if (std::find(segs.begin(), segs.end(), seg_id) == segs.end()) continue;
    ASSIGN_OR_RETURN(std::string type, m.String(d, "type", path));
    if (type != "pbkdf2") {
      return Unsupported(m.what(), absl::StrCat("digest ", id, " of type \"", type, "\""));
    }
    ASSIGN_OR_RETURN(h.digest.hash, m.Hash(d, "hash", path));
    ASSIGN_OR_RETURN(h.digest.iterations, m.Number(d, "iterations", path, UINT32_MAX));
    ASSIGN_OR_RETURN(h.digest.salt, m.Base64(d, "salt", path));
    ASSIGN_OR_RETURN(h.digest.digest, m.Base64(d, "digest", path));
    ASSIGN_OR_RETURN(digest_slots, m.Strings(d, "keyslots", path));
    found = true;
    break;
  }
  if (!found) return m.Bad(*digests, "digests", "no digest covers segment " + seg_id);

  // Key slots bound to a token (a TPM, a FIDO2 key) hold a secret the token
  // gives, not a passphrase.
  std::set<std::string> token_slots;
  std::set<std::string> token_types;
  if (const JsonValue* tokens = root.Find("tokens"); tokens != nullptr && tokens->is_object()) {
    for (const auto& [id, t] : tokens->members()) {
      if (!t.is_object()) continue;
      const JsonValue* slots = t.Find("keyslots");
      if (slots == nullptr || !slots->is_array()) continue;
      for (const JsonValue& s : slots->items()) token_slots.insert(s.text());
      if (const JsonValue* type = t.Find("type"); type != nullptr && type->is_string()) {
        token_types.insert(type->text());
      }
    }
  }

  ASSIGN_OR_RETURN(const JsonValue* keyslots, m.Get(root, "keyslots", "", JsonValue::Type::kObject));
  struct Ranked {
    int priority;
    uint64_t number;
    LuksKeyslot slot;
  };
  std::vector<Ranked> ranked;
  size_t bound = 0;
  for (const auto& [id, ks] : keyslots->members()) {
    if (!ks.is_object()) return m.Bad(ks, "keyslots." + id, "expected an object");
    const JsonValue* type = ks.Find("type");
    if (type != nullptr && type->text() == "reencrypt") {
      return Unsupported(m.what(), "a reencryption is in progress (key slot " + id + ")");
    }
    if (std::find(digest_slots.begin(), digest_slots.end(), id) == digest_slots.end()) continue;
    if (token_slots.count(id)) {
      ++bound;
      continue;
    }
    const int priority = Priority(ks);
    if (priority == 0) continue;  // "ignore": only when named explicitly
    ASSIGN_OR_RETURN(LuksKeyslot slot, ParseKeyslot(m, id, ks));
    uint64_t number = UINT64_MAX;
    (void)absl::SimpleAtoi(id, &number);
    ranked.push_back({priority, number, std::move(slot)});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.number < b.number;
  });
  for (Ranked& r : ranked) h.keyslots.push_back(std::move(r.slot));
  if (h.keyslots.empty() && bound > 0) {
    return Unsupported(m.what(),
                       absl::StrCat("every key slot is bound to a token (",
                                    absl::StrJoin(token_types, ", "), ")"));
  }
  return h;
}

absl::StatusOr<LuksHeader> ParseLuks2(absl::string_view b, absl::string_view what) {
  absl::StatusOr<Luks2Copy> primary = CheckLuks2Copy(b, 0, kMagic1, what, "primary");
  absl::StatusOr<Luks2Copy> secondary = absl::NotFoundError("");
  if (primary.ok()) {
    secondary = CheckLuks2Copy(b, primary->hdr_size, kMagic2, what, "secondary");
  } else {
    for (uint64_t off = 16 * 1024; off <= kLuks2MaxHdrSize && !secondary.ok(); off *= 2) {
      if (off + kLuks2BinaryHeaderSize > b.size()) break;
      secondary = CheckLuks2Copy(b, off, kMagic2, what, "secondary");
    }
  }
  if (!primary.ok() && !secondary.ok()) return primary.status();
  const bool use_secondary = !primary.ok() || (secondary.ok() && secondary->seqid > primary->seqid);
  const Luks2Copy& copy = use_secondary ? *secondary : *primary;
  std::string note;
  if (!primary.ok()) {
    note = absl::StrCat(primary.status().message(), "; using the secondary header");
  } else if (use_secondary) {
    note = absl::StrCat(what, ": the secondary LUKS2 header is newer (seqid ", secondary->seqid,
                        " > ", primary->seqid, "); using it");
  }
  const Meta meta(what);
  absl::StatusOr<JsonValue> json = ParseJson(copy.json, absl::StrCat(what, ": LUKS2 metadata"));
  if (!json.ok()) return json.status();
  absl::StatusOr<LuksHeader> h = ParseLuks2Json(meta, *json);
  if (!h.ok()) return h.status();
  h->uuid = copy.uuid;
  h->note = note;
  return h;
}

}  // namespace

absl::StatusOr<uint64_t> LuksMetadataSize(absl::string_view start, absl::string_view what) {
  if (start.size() < 8 || start.substr(0, 6) != kMagic1) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a LUKS device (no LUKS magic)"));
  }
  const uint16_t version = LoadBe16(start, 6);
  if (version == 1) return kLuks1HeaderSize;
  if (version != 2) return Unsupported(what, absl::StrCat("LUKS version ", version));
  if (start.size() >= 16 && ValidHdrSize(LoadBe64(start, 8))) return 2 * LoadBe64(start, 8);
  // A damaged hdr_size: read as far as the last place a secondary can be.
  return kLuks2MaxHdrSize + kLuks2BinaryHeaderSize;
}

absl::StatusOr<LuksHeader> ParseLuksHeader(absl::string_view bytes, absl::string_view what) {
  if (bytes.size() < 8 || bytes.substr(0, 6) != kMagic1) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a LUKS device (no LUKS magic)"));
  }
  const uint16_t version = LoadBe16(bytes, 6);
  if (version == 1) return ParseLuks1(bytes, what);
  if (version == 2) return ParseLuks2(bytes, what);
  return Unsupported(what, absl::StrCat("LUKS version ", version));
}

std::string CryptDmUuid(const LuksHeader& header, absl::string_view name) {
  return absl::StrCat("CRYPT-LUKS", header.version, "-",
                      absl::StrReplaceAll(header.uuid, {{"-", ""}}), "-", name);
}

}  // namespace baton::stage1::luks
