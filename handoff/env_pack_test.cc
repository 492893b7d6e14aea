#include "handoff/env_pack.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::handoff {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

template <typename Msg>
std::vector<std::pair<std::string, std::string>> All(const Msg& msg) {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachEnv(msg, [&](absl::string_view k, absl::string_view v) { out.emplace_back(k, v); });
  return out;
}

TEST(EnvPackTest, RoundTripKeepsOrderAndBytes) {
  JobInstance inst;
  PackEnvEntry(inst.mutable_packed_env(), "DEVNAME", "/dev/sda");
  PackEnvEntry(inst.mutable_packed_env(), "EMPTY", "");
  PackEnvEntry(inst.mutable_packed_env(), "", "no key");
  PackEnvEntry(inst.mutable_packed_env(), "BIN", std::string("a\0=b\xff", 5));
  PackEnvEntry(inst.mutable_packed_env(), "LONG", std::string(300, 'v'));
  EXPECT_THAT(All(inst), ElementsAre(Pair("DEVNAME", "/dev/sda"), Pair("EMPTY", ""),
                                     Pair("", "no key"), Pair("BIN", std::string("a\0=b\xff", 5)),
                                     Pair("LONG", std::string(300, 'v'))));
}

TEST(EnvPackTest, Layout) {
  std::string packed;
  PackEnvEntry(&packed, "K", "vv");
  PackEnvEntry(&packed, "", std::string(130, 'x'));
  EXPECT_EQ(packed.substr(0, 5), std::string("\x01K\x02vv", 5));
  EXPECT_EQ(packed.substr(5, 3), std::string("\x00\x82\x01", 3));
  EXPECT_EQ(packed.size(), 5u + 3u + 130u);
}

TEST(EnvPackTest, KeyValueEntriesComeFirst) {
  Event event;
  KeyValue* kv = event.add_env();
  kv->set_key("OLD");
  kv->set_value("1");
  PackEnvEntry(event.mutable_packed_env(), "NEW", "2");
  EXPECT_THAT(All(event), ElementsAre(Pair("OLD", "1"), Pair("NEW", "2")));
}

TEST(EnvPackTest, ReaderStopsAtDamage) {
  std::string packed;
  PackEnvEntry(&packed, "GOOD", "yes");
  size_t good_end = packed.size();
  PackEnvEntry(&packed, "CUT", "off here");
  for (size_t cut = good_end + 1; cut < packed.size(); ++cut) {
    PackedEnvReader reader(absl::string_view(packed).substr(0, cut));
    EnvEntry e;
    ASSERT_TRUE(reader.Next(&e));
    EXPECT_EQ(e.key, "GOOD");
    EXPECT_FALSE(reader.Next(&e)) << cut;
    EXPECT_TRUE(reader.damaged()) << cut;
    EXPECT_EQ(reader.offset(), good_end);
  }
}

TEST(EnvPackTest, HugeLengthsAreDamage) {
  for (const std::string& packed :
       {std::string(11, '\xff'),
        std::string("\x05"
                    "ab",
                    3),
        std::string("\x01K", 2) + std::string(9, '\xff') + std::string("\x01", 1)}) {
    PackedEnvReader reader(packed);
    EnvEntry e;
    EXPECT_FALSE(reader.Next(&e));
    EXPECT_TRUE(reader.damaged());
  }
}

}  // namespace
}  // namespace baton::handoff
