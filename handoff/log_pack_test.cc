#include "handoff/log_pack.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::handoff {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::vector<std::pair<int64_t, std::string>> All(const LogRing& ring) {
  std::vector<std::pair<int64_t, std::string>> out;
  ForEachLogLine(ring, [&](int64_t ns, absl::string_view text) { out.emplace_back(ns, text); });
  return out;
}

TEST(LogPackTest, RoundTripKeepsOrderTimesAndBytes) {
  LogRing ring;
  AppendLogLine(&ring, 0, "first");
  AppendLogLine(&ring, 1234567890123, "");
  AppendLogLine(&ring, -5, std::string("nul\0and \xff bytes", 15));
  AppendLogLine(&ring, std::numeric_limits<int64_t>::max(), std::string(300, 'x'));
  AppendLogLine(&ring, std::numeric_limits<int64_t>::min(), "min");
  EXPECT_EQ(ring.lines_size(), 0);
  EXPECT_THAT(All(ring),
              ElementsAre(Pair(0, "first"), Pair(1234567890123, ""),
                          Pair(-5, std::string("nul\0and \xff bytes", 15)),
                          Pair(std::numeric_limits<int64_t>::max(), std::string(300, 'x')),
                          Pair(std::numeric_limits<int64_t>::min(), "min")));
  EXPECT_EQ(LogLineCount(ring), 5u);
}

TEST(LogPackTest, Layout) {
  std::string packed;
  PackLogLine(&packed, 0x0102030405060708, "ab");
  PackLogLine(&packed, -1, std::string(200, 'c'));
  // Time little-endian, length as a varint, text.
  EXPECT_EQ(packed.substr(0, 11), std::string("\x08\x07\x06\x05\x04\x03\x02\x01\x02"
                                              "ab",
                                              11));
  EXPECT_EQ(packed.substr(11, 10), std::string(8, '\xff') + "\xc8\x01");
  EXPECT_EQ(packed.size(), 11u + 10u + 200u);
}

TEST(LogPackTest, FormatOneLinesComeFirst) {
  LogRing ring;
  LogLine* old = ring.add_lines();
  old->set_since_start_ns(7);
  old->set_text("v1");
  AppendLogLine(&ring, 8, "v2");
  EXPECT_THAT(All(ring), ElementsAre(Pair(7, "v1"), Pair(8, "v2")));
  EXPECT_EQ(LogLineCount(ring), 2u);
}

TEST(LogPackTest, ReaderStopsAtDamage) {
  std::string packed;
  PackLogLine(&packed, 10, "good");
  size_t good_end = packed.size();
  PackLogLine(&packed, 20, "cut off here");
  for (size_t cut = good_end + 1; cut < packed.size(); ++cut) {
    PackedLogReader reader(absl::string_view(packed).substr(0, cut));
    PackedLogLine line;
    ASSERT_TRUE(reader.Next(&line));
    EXPECT_EQ(line.text, "good");
    EXPECT_FALSE(reader.Next(&line)) << cut;
    EXPECT_TRUE(reader.damaged()) << cut;
    EXPECT_EQ(reader.offset(), good_end);
  }
}

TEST(LogPackTest, OverlongVarintIsDamage) {
  std::string packed = std::string(8, '\0') + std::string(11, '\xff');
  PackedLogReader reader(packed);
  PackedLogLine line;
  EXPECT_FALSE(reader.Next(&line));
  EXPECT_TRUE(reader.damaged());
}

TEST(LogPackTest, HugeLengthIsDamage) {
  std::string packed = std::string(8, '\0') + std::string(9, '\xff') + std::string("\x01", 1);
  PackedLogReader reader(packed);
  PackedLogLine line;
  EXPECT_FALSE(reader.Next(&line));
  EXPECT_TRUE(reader.damaged());
}

TEST(LogPackTest, EmptyReadsNothing) {
  PackedLogReader reader("");
  PackedLogLine line;
  EXPECT_FALSE(reader.Next(&line));
  EXPECT_FALSE(reader.damaged());
}

}  // namespace
}  // namespace baton::handoff
