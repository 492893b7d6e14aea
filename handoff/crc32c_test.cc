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

TEST(Crc32cTest, InterleavedStripesMatchTableAroundRoundSizes) {
  // Rounds are 3 x 8 KiB: lengths just under, at and over one and two
  // rounds, at odd alignments, against the table version.
  std::string data;
  uint32_t seed = 99;
  for (int i = 0; i < 3 * 3 * 8192 + 64; ++i) {
    seed = seed * 1103515245u + 12345u;
    data.push_back(static_cast<char>(seed >> 16));
  }
  for (size_t start : {0, 1, 5}) {
    for (size_t len : {3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 + 13, 6 * 8192 - 8, 6 * 8192,
                       6 * 8192 + 7, 9 * 8192}) {
      absl::string_view piece = absl::string_view(data).substr(start, len);
      ASSERT_EQ(piece.size(), len);
      EXPECT_EQ(Crc32c(piece), SoftwareCrc32c(piece)) << start << "+" << len;
    }
  }
  EXPECT_EQ(Crc32c(std::string(3 * 8192, '\0')), BitwiseCrc32c(std::string(3 * 8192, '\0')));
}

}  // namespace
}  // namespace baton::handoff
