// Test helpers for the native LUKS code: the golden images in
// testdata/luks/ (README there says how they were made) and a LUKS2 image
// with its JSON metadata replaced and both checksums made right again.
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_TESTDATA_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_TESTDATA_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "supervisor/stage1/byte_order.h"
#include "supervisor/stage1/luks_hash.h"
#include "tests/runfiles.h"

namespace baton::stage1::luks::testing {

inline constexpr char kPassphrase[] = "correct horse";
// The volume keys given to cryptsetup luksFormat --volume-key-file.
inline constexpr char kKey512Hex[] =
    "7582f70d1925a6c603da1529231f3feb4e4d61c3753ff88ed4e0a8df4a21e5b5"
    "ed7e540a61d03dc27335fc07bebaa76898702fe1959859d68978462f38df3ab7";
inline constexpr char kKey256Hex[] =
    "cee4dd9766cb6f9604f40de2ea435eadbfcdea53f46986864caa6a0375ab81d7";
inline constexpr char kKey256bHex[] =
    "b0f9a3d4d130398e5368add4e85d5efc9b66918e59777719bda8cf7aaad3e93a";

inline std::string TestData(const std::string& name) {
  return baton::runfiles::ReadRunfile("supervisor/stage1/testdata/luks/" + name);
}

// Recomputes the sha256 checksum of the LUKS2 header copy at OFF.
inline void FixChecksum(std::string& img, size_t off) {
  const uint64_t hdr_size = LoadBe64(img, off + 8);
  memset(&img[off + 448], 0, 64);
  uint8_t sum[kMaxDigestSize];
  Hash(HashAlg::kSha256, img.data() + off, hdr_size, sum);
  memcpy(&img[off + 448], sum, 32);
}

// The JSON metadata of both header copies of IMG.
inline std::string Json(const std::string& img) {
  const uint64_t hdr_size = LoadBe64(img, 8);
  std::string json = img.substr(4096, hdr_size - 4096);
  return json.substr(0, json.find('\0'));
}

// IMG with JSON as the metadata of both copies, checksums fixed.
inline std::string WithJson(std::string img, const std::string& json) {
  const uint64_t hdr_size = LoadBe64(img, 8);
  for (size_t off : {size_t{0}, static_cast<size_t>(hdr_size)}) {
    std::string area(hdr_size - 4096, '\0');
    memcpy(area.data(), json.data(), std::min(json.size(), area.size()));
    memcpy(&img[off + 4096], area.data(), area.size());
    FixChecksum(img, off);
  }
  return img;
}

}  // namespace baton::stage1::luks::testing

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_TESTDATA_H_
