#include "handoff/codec.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "handoff/crc32c.h"
#include "handoff/secrets.h"
#include "handoff/validate.h"
#include "handoff/version.h"
#include "sys/str_printf.h"

namespace baton::handoff {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetU32(absl::string_view in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

DecodeResult Stateless(std::string reason) {
  DecodeResult result;
  result.stateless_reason = std::move(reason);
  return result;
}

}  // namespace

void StampVersion(Handoff* handoff) {
  handoff->set_format_version(kFormatVersion);
  handoff->set_min_reader_version(kMinReaderVersion);
  handoff->set_producer_build(kProducerBuild);
}

absl::StatusOr<std::string> Encode(const Handoff& handoff) {
  if (handoff.format_version() == 0 || handoff.min_reader_version() == 0) {
    return absl::InvalidArgumentError("handoff header missing (format_version/min_reader_version)");
  }
  const Handoff* source = &handoff;
  Handoff filtered;
  if (HasSecrets(handoff)) {
    filtered = handoff;
    for (JobInstance& inst : *filtered.mutable_instances()) {
      FilterSecrets(inst.mutable_env());
      FilterPackedSecrets(inst.mutable_packed_env());
    }
    for (Event& event : *filtered.mutable_events()) {
      FilterSecrets(event.mutable_env());
      FilterPackedSecrets(event.mutable_packed_env());
    }
    source = &filtered;
  }
  size_t size = source->ByteSizeLong();
  if (size > kMaxPayloadBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("handoff too large: ", size, " bytes (limit ", kMaxPayloadBytes, ")"));
  }
  std::string out;
  out.reserve(kHeaderBytes + size);
  out.append(kMagic.data(), kMagic.size());
  PutU32(&out, static_cast<uint32_t>(size));
  PutU32(&out, 0);  // crc, filled in below
  out.resize(kHeaderBytes + size);
  // ByteSizeLong above cached every sub-message's size; SerializeToArray
  // would walk the whole tree to compute them a second time.
  uint8_t* end =
      source->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&out[kHeaderBytes]));
  if (end != reinterpret_cast<uint8_t*>(&out[0]) + out.size()) {
    return absl::InternalError("handoff does not serialize to its computed size");
  }
  uint32_t crc = Crc32c(absl::string_view(out).substr(kHeaderBytes));
  for (int i = 0; i < 4; ++i) out[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  return out;
}

DecodeResult Decode(absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes) {
    if (bytes.substr(0, kMagic.size()) != kMagic.substr(0, bytes.size())) {
      return Stateless("not a handoff: bad magic");
    }
    return Stateless(
        absl::StrCat("handoff truncated: ", bytes.size(), " of ", kHeaderBytes, " bytes"));
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) return Stateless("not a handoff: bad magic");
  uint64_t length = GetU32(bytes.substr(8, 4));
  uint32_t stored_crc = GetU32(bytes.substr(12, 4));
  if (length > kMaxPayloadBytes) {
    return Stateless(
        absl::StrCat("handoff too large: ", length, " bytes (limit ", kMaxPayloadBytes, ")"));
  }
  uint64_t total = kHeaderBytes + length;
  if (bytes.size() < total) {
    return Stateless(absl::StrCat("handoff truncated: ", bytes.size(), " of ", total, " bytes"));
  }
  absl::string_view payload = bytes.substr(kHeaderBytes, length);
  uint32_t crc = Crc32c(payload);
  if (crc != stored_crc) {
    return Stateless(
        sys::StrPrintf("handoff checksum mismatch: stored %08x, computed %08x", stored_crc, crc));
  }
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 * 1024;
  options.max_block_size = 1 << 20;
  auto arena = std::make_unique<google::protobuf::Arena>(options);
  Handoff& handoff = *google::protobuf::Arena::CreateMessage<Handoff>(arena.get());
  if (!handoff.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Stateless("handoff payload does not parse");
  }
  DecodeResult result;
  VersionCheck check = CheckVersions(handoff.format_version(), handoff.min_reader_version());
  if (!check.accepted) return Stateless(std::move(check.reason));
  if (bytes.size() > total) {
    result.warnings.push_back(
        absl::StrCat(bytes.size() - total, " bytes after the handoff frame ignored"));
  }
  if (check.warning) result.warnings.push_back(*check.warning);
  std::vector<std::string> skipped = Sanitize(&handoff);
  result.warnings.insert(result.warnings.end(), std::make_move_iterator(skipped.begin()),
                         std::make_move_iterator(skipped.end()));
  result.handoff = &handoff;
  result.arena = std::move(arena);
  return result;
}

}  // namespace baton::handoff
