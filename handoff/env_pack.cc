#include "handoff/env_pack.h"

#include <cstdint>

#include "handoff/varint.h"

namespace baton::handoff {

void PackEnvEntry(std::string* packed, absl::string_view key, absl::string_view value) {
  PutVarint(packed, key.size());
  packed->append(key.data(), key.size());
  PutVarint(packed, value.size());
  packed->append(value.data(), value.size());
}

bool PackedEnvReader::Next(EnvEntry* entry) {
  if (damaged_ || offset_ == packed_.size()) return false;
  const auto* begin = reinterpret_cast<const unsigned char*>(packed_.data());
  const unsigned char* end = begin + packed_.size();
  const unsigned char* p = begin + offset_;
  uint64_t key_length = 0;
  uint64_t value_length = 0;
  if (!GetVarint(&p, end, &key_length) || key_length > static_cast<uint64_t>(end - p)) {
    damaged_ = true;
    return false;
  }
  const unsigned char* key = p;
  p += key_length;
  if (!GetVarint(&p, end, &value_length) || value_length > static_cast<uint64_t>(end - p)) {
    damaged_ = true;
    return false;
  }
  entry->key = absl::string_view(reinterpret_cast<const char*>(key), key_length);
  entry->value = absl::string_view(reinterpret_cast<const char*>(p), value_length);
  offset_ = (p - begin) + value_length;
  return true;
}

}  // namespace baton::handoff
