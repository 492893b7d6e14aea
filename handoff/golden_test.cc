// Every released format's golden encoding must keep decoding with today's
// reader, to the same values (tests/golden/README.md).
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "handoff/env_pack.h"
#include "handoff/golden_v1.h"
#include "handoff/golden_v2.h"
#include "handoff/golden_v3.h"
#include "handoff/golden_v4.h"
#include "handoff/golden_v5.h"
#include "handoff/log_pack.h"

namespace baton::handoff {
namespace {

std::string ReadGolden(const std::string& name) {
  std::ifstream in("tests/golden/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::pair<int64_t, std::string>> Lines(const LogRing& ring) {
  std::vector<std::pair<int64_t, std::string>> out;
  ForEachLogLine(ring, [&](int64_t ns, absl::string_view text) { out.emplace_back(ns, text); });
  return out;
}

template <typename Msg>
std::vector<std::pair<std::string, std::string>> Env(const Msg& msg) {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachEnv(msg, [&](absl::string_view k, absl::string_view v) { out.emplace_back(k, v); });
  return out;
}

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(GoldenTest, V1DecodesToKnownValues) {
  std::string bytes = ReadGolden("handoff-v1.bin");
  ASSERT_FALSE(bytes.empty());
  DecodeResult r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
  const Handoff& h = *r.handoff;
  EXPECT_EQ(h.format_version(), 1u);
  EXPECT_EQ(h.min_reader_version(), 1u);
  EXPECT_EQ(h.producer_build(), "baton 0.1.0");
  ASSERT_EQ(h.timestamps_size(), 7);
  EXPECT_EQ(h.timestamps(5).name(), "exec");
  EXPECT_EQ(h.timestamps(5).monotonic_ns(), 1872000000);
  EXPECT_EQ(h.cmdline().params(1).key(), "rd.luks.uuid");
  ASSERT_EQ(h.instances_size(), 3);
  EXPECT_EQ(h.instances(0).job(), "mdmon");
  EXPECT_EQ(h.instances(0).pid(), 212);
  EXPECT_EQ(h.instances(0).state(), JOB_STATE_RUNNING);
  EXPECT_EQ(h.instances(0).exits(0).signal(), 9);
  EXPECT_EQ(h.instances(2).failure(), "main exit 4");
  EXPECT_EQ(h.events(1).env(1).value(), "linux_raid_member");
  // Today's reader sees format 1's environments through ForEachEnv.
  EXPECT_THAT(Env(h.instances(0)),
              ElementsAre(Pair("MD_UUID", "9d2e"), Pair("DEVNAME", "/dev/md0")));
  EXPECT_EQ(h.logs(0).dropped(), 3u);
  EXPECT_EQ(h.supervisor_log().lines(1).text(), "switching root to /root");
  // Today's reader sees format 1's lines through ForEachLogLine.
  EXPECT_THAT(Lines(h.logs(0)), ElementsAre(Pair(901000000, "mdmon: monitoring md0"),
                                            Pair(1500000000, "mdmon: md0 clean")));
  ASSERT_EQ(h.uevents_size(), 1);
  EXPECT_EQ(h.uevents(0).datagram().size(), 105u);
  EXPECT_EQ(h.uevents(0).datagram().substr(0, 4), std::string("add@"));
  EXPECT_EQ(h.fds(1).role(), "log-pipe:mdmon/md0");
  EXPECT_EQ(h.warnings_size(), 1);
  // And the whole of it, field by field.
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(GoldenV1(), h)) << diff;
}

TEST(GoldenTest, V1EncodingIsStable) {
  // Not a compatibility rule (readers never need byte equality), but if this
  // fails the encoder changed: check the golden still decodes, don't regenerate.
  absl::StatusOr<std::string> bytes = Encode(GoldenV1());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, ReadGolden("handoff-v1.bin"));
}

TEST(GoldenTest, V2DecodesToKnownValues) {
  std::string bytes = ReadGolden("handoff-v2.bin");
  ASSERT_FALSE(bytes.empty());
  DecodeResult r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
  const Handoff& h = *r.handoff;
  EXPECT_EQ(h.format_version(), 2u);
  EXPECT_EQ(h.min_reader_version(), 2u);
  EXPECT_EQ(h.producer_build(), "baton 0.1.0");
  ASSERT_EQ(h.timestamps_size(), 7);
  EXPECT_EQ(h.timestamps(5).name(), "exec");
  ASSERT_EQ(h.instances_size(), 3);
  EXPECT_EQ(h.instances(0).pid(), 212);
  EXPECT_EQ(h.events(1).env(1).value(), "linux_raid_member");
  ASSERT_EQ(h.logs_size(), 1);
  EXPECT_EQ(h.logs(0).dropped(), 3u);
  EXPECT_EQ(h.logs(0).lines_size(), 0);
  EXPECT_THAT(Lines(h.logs(0)), ElementsAre(Pair(901000000, "mdmon: monitoring md0"),
                                            Pair(1500000000, "mdmon: md0 clean")));
  EXPECT_THAT(Lines(h.supervisor_log()),
              ElementsAre(Pair(1000, "baton 0.1.0 starting in the initramfs"),
                          Pair(1860000000, "switching root to /root")));
  EXPECT_EQ(h.uevents(0).datagram().size(), 105u);
  EXPECT_EQ(h.fds(1).role(), "log-pipe:mdmon/md0");
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(GoldenV2(), h)) << diff;
}

TEST(GoldenTest, V2EncodingIsStable) {
  absl::StatusOr<std::string> bytes = Encode(GoldenV2());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, ReadGolden("handoff-v2.bin"));
}

TEST(GoldenTest, V2PackedLinesAreWhatLogPackWrites) {
  // The golden's literal bytes and today's writer agree.
  LogRing ring;
  AppendLogLine(&ring, 901000000, "mdmon: monitoring md0");
  AppendLogLine(&ring, 1500000000, "mdmon: md0 clean");
  EXPECT_EQ(ring.packed_lines(), GoldenV2().logs(0).packed_lines());
}

TEST(GoldenTest, V3DecodesToKnownValues) {
  std::string bytes = ReadGolden("handoff-v3.bin");
  ASSERT_FALSE(bytes.empty());
  DecodeResult r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
  const Handoff& h = *r.handoff;
  EXPECT_EQ(h.format_version(), 3u);
  EXPECT_EQ(h.min_reader_version(), 3u);
  EXPECT_EQ(h.producer_build(), "baton 0.1.0");
  ASSERT_EQ(h.timestamps_size(), 7);
  EXPECT_EQ(h.timestamps(5).name(), "exec");
  ASSERT_EQ(h.instances_size(), 3);
  EXPECT_EQ(h.instances(0).pid(), 212);
  EXPECT_EQ(h.instances(0).env_size(), 0);
  EXPECT_THAT(Env(h.instances(0)),
              ElementsAre(Pair("MD_UUID", "9d2e"), Pair("DEVNAME", "/dev/md0")));
  EXPECT_THAT(Env(h.instances(1)), ElementsAre(Pair("ID_FS_UUID", "5a1c")));
  EXPECT_THAT(Env(h.instances(2)), ::testing::IsEmpty());
  EXPECT_THAT(Env(h.events(1)),
              ElementsAre(Pair("DEVNAME", "/dev/sda1"), Pair("ID_FS_TYPE", "linux_raid_member")));
  EXPECT_THAT(Lines(h.logs(0)), ElementsAre(Pair(901000000, "mdmon: monitoring md0"),
                                            Pair(1500000000, "mdmon: md0 clean")));
  EXPECT_EQ(h.uevents(0).datagram().size(), 105u);
  EXPECT_EQ(h.fds(1).role(), "log-pipe:mdmon/md0");
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(GoldenV3(), h)) << diff;
}

TEST(GoldenTest, V3EncodingIsStable) {
  absl::StatusOr<std::string> bytes = Encode(GoldenV3());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, ReadGolden("handoff-v3.bin"));
}

TEST(GoldenTest, V3PackedEnvIsWhatEnvPackWrites) {
  std::string packed;
  PackEnvEntry(&packed, "MD_UUID", "9d2e");
  PackEnvEntry(&packed, "DEVNAME", "/dev/md0");
  EXPECT_EQ(packed, GoldenV3().instances(0).packed_env());
}

TEST(GoldenTest, V4DecodesToKnownValues) {
  std::string bytes = ReadGolden("handoff-v4.bin");
  ASSERT_FALSE(bytes.empty());
  DecodeResult r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
  const Handoff& h = *r.handoff;
  EXPECT_EQ(h.format_version(), 4u);
  EXPECT_EQ(h.min_reader_version(), 3u);
  EXPECT_EQ(h.kind(), HANDOFF_KIND_REEXEC);
  ASSERT_EQ(h.timestamps_size(), 10);
  EXPECT_EQ(h.timestamps(8).name(), "reexec-start");
  EXPECT_EQ(h.timestamps(9).name(), "exec");
  EXPECT_EQ(h.uevents_size(), 0);
  ASSERT_EQ(h.fds_size(), 3);
  EXPECT_EQ(h.fds(2).role(), "control-socket");
  EXPECT_EQ(h.fds(2).index(), 2u);
  EXPECT_THAT(Env(h.instances(0)),
              ElementsAre(Pair("MD_UUID", "9d2e"), Pair("DEVNAME", "/dev/md0")));
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(GoldenV4(), h)) << diff;
}

TEST(GoldenTest, V4EncodingIsStable) {
  absl::StatusOr<std::string> bytes = Encode(GoldenV4());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, ReadGolden("handoff-v4.bin"));
}

// A format-3 handoff has no kind: it came from stage 1's switch.
TEST(GoldenTest, V3HasNoKind) {
  DecodeResult r = Decode(ReadGolden("handoff-v3.bin"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.handoff->kind(), HANDOFF_KIND_UNSPECIFIED);
}

TEST(GoldenTest, V5DecodesToKnownValues) {
  std::string bytes = ReadGolden("handoff-v5.bin");
  ASSERT_FALSE(bytes.empty());
  DecodeResult r = Decode(bytes);
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
  const Handoff& h = *r.handoff;
  EXPECT_EQ(h.format_version(), 5u);
  EXPECT_EQ(h.min_reader_version(), 3u);
  const JobInstance& web = h.instances(h.instances_size() - 1);
  EXPECT_EQ(web.job(), "web");
  EXPECT_EQ(web.state(), JOB_STATE_STOPPING);
  EXPECT_TRUE(web.term_sent());
  EXPECT_EQ(web.kill_deadline_ns(), h.timestamps(h.timestamps_size() - 1).monotonic_ns() + 4000000000);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(GoldenV5(), h)) << diff;
}

TEST(GoldenTest, V5EncodingIsStable) {
  absl::StatusOr<std::string> bytes = Encode(GoldenV5());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, ReadGolden("handoff-v5.bin"));
}

}  // namespace
}  // namespace baton::handoff
