#include "supervisor/stage1/byte_order.h"

#include <string>

#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

// Known patterns at every offset 0..7 of a buffer, so most reads and writes
// are unaligned; ASan/UBSan builds check that nothing strays outside them.
TEST(ByteOrderTest, ReadsKnownPatternsAtUnalignedOffsets) {
  const uint8_t pattern[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  for (size_t at = 0; at < 8; ++at) {
    uint8_t buf[16] = {};
    for (size_t i = 0; i < 8; ++i) buf[at + i] = pattern[i];
    const uint8_t* p = buf + at;
    EXPECT_EQ(LoadBe16(p), 0x0123) << at;
    EXPECT_EQ(LoadBe32(p), 0x01234567u) << at;
    EXPECT_EQ(LoadBe64(p), 0x0123456789abcdefull) << at;
    EXPECT_EQ(LoadLe32(p), 0x67452301u) << at;
    EXPECT_EQ(LoadLe64(p), 0xefcdab8967452301ull) << at;
    // The string forms read the same bytes at the same offset.
    std::string s(reinterpret_cast<const char*>(buf), sizeof(buf));
    EXPECT_EQ(LoadBe16(s, at), 0x0123) << at;
    EXPECT_EQ(LoadBe32(s, at), 0x01234567u) << at;
    EXPECT_EQ(LoadBe64(s, at), 0x0123456789abcdefull) << at;
    EXPECT_EQ(LoadLe32(s, at), 0x67452301u) << at;
    EXPECT_EQ(LoadLe64(s, at), 0xefcdab8967452301ull) << at;
  }
}

TEST(ByteOrderTest, HighBitsAreNotSignExtended) {
  // chars above 0x7f are negative where char is signed.
  const std::string s("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", 8);
  EXPECT_EQ(LoadBe16(s, 0), 0xfffe);
  EXPECT_EQ(LoadBe32(s, 0), 0xfffefdfcu);
  EXPECT_EQ(LoadBe64(s, 0), 0xfffefdfcfbfaf9f8ull);
  EXPECT_EQ(LoadLe32(s, 4), 0xf8f9fafbu);
  EXPECT_EQ(LoadLe64(s, 0), 0xf8f9fafbfcfdfeffull);
}

TEST(ByteOrderTest, WritesKnownPatternsAtUnalignedOffsets) {
  for (size_t at = 0; at < 8; ++at) {
    uint8_t buf[16];
    for (uint8_t& b : buf) b = 0xaa;
    StoreBe32(buf + at, 0x01234567u);
    const uint8_t want32[4] = {0x01, 0x23, 0x45, 0x67};
    for (size_t i = 0; i < 16; ++i) {
      const bool inside = i >= at && i < at + 4;
      EXPECT_EQ(buf[i], inside ? want32[i - at] : 0xaa) << at << " " << i;
    }
    for (uint8_t& b : buf) b = 0xaa;
    StoreBe64(buf + at, 0x0123456789abcdefull);
    const uint8_t want64[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    for (size_t i = 0; i < 16; ++i) {
      const bool inside = i >= at && i < at + 8;
      EXPECT_EQ(buf[i], inside ? want64[i - at] : 0xaa) << at << " " << i;
    }
    // And back.
    EXPECT_EQ(LoadBe64(buf + at), 0x0123456789abcdefull);
  }
}

// The helpers are usable in constant expressions (no hidden call).
constexpr uint8_t kConst[8] = {0x80, 0, 0, 0, 0, 0, 0, 0x01};
static_assert(LoadBe64(kConst) == 0x8000000000000001ull);
static_assert(LoadLe64(kConst) == 0x0100000000000080ull);
static_assert(LoadBe16(kConst + 6) == 0x0001);
constexpr uint32_t RoundTrip(uint32_t v) {
  uint8_t b[4] = {};
  StoreBe32(b, v);
  return LoadBe32(b);
}
static_assert(RoundTrip(0xdeadbeefu) == 0xdeadbeefu);

}  // namespace
}  // namespace baton::stage1
