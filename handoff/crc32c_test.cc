#include "handoff/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace baton::handoff {
namespace {

uint32_t BitwiseCrc32c(const std::string& s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  // RFC 3720 B.4: 32 bytes of zeros.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(SoftwareCrc32c("123456789"), 0xE3069283u);
}

TEST(Crc32cTest, SlicedMatchesBitwiseAtEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= data.size(); len += 5) {
      std::string piece = data.substr(start, len);
      ASSERT_EQ(Crc32c(piece), BitwiseCrc32c(piece)) << start << "+" << len;
      ASSERT_EQ(SoftwareCrc32c(piece), BitwiseCrc32c(piece)) << start << "+" << len;
    }
  }
}

}  // namespace
}  // namespace baton::handoff
