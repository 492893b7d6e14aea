#include "handoff/status.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "handoff/golden_v1.h"

namespace baton::handoff {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StatusReport GoldenReport() {
  Handoff golden = GoldenV1();
  DecodeResult decoded;
  decoded.handoff = &golden;
  decoded.warnings.push_back("job x: invalid pid 1, skipped");
  StatusReport report = ReportFromDecode(decoded);
  report.reader_build = "baton 0.2.0";
  report.reader_version = 2;
  report.adopted.insert({"mdmon", "md0"});
  report.restarted.insert({"fsck-root", ""});
  report.uevents_replayed = 1;
  report.warnings.push_back("fd #1 (log-pipe:mdmon/md0): inode mismatch");
  return report;
}

TEST(StatusTest, ProtoCountsAndPhases) {
  HandoffStatus s = ToProto(GoldenReport());
  EXPECT_FALSE(s.stateless());
  EXPECT_EQ(s.producer_build(), "baton 0.1.0");
  EXPECT_EQ(s.reader_version(), 2u);
  // 7 timestamps: 6 gaps and a total.
  ASSERT_EQ(s.phases_size(), 7);
  EXPECT_EQ(s.phases(0).from(), "stage1-start");
  EXPECT_EQ(s.phases(0).to(), "root-step:md0");
  EXPECT_EQ(s.phases(0).duration_ns(), 500000000);
  EXPECT_EQ(s.phases(4).to(), "exec");
  EXPECT_EQ(s.phases(4).duration_ns(), 12000000);
  EXPECT_EQ(s.phases(6).duration_ns(), 1490000000);
  ASSERT_EQ(s.jobs_size(), 3);
  EXPECT_EQ(s.jobs(0).outcome(), "adopted");
  EXPECT_EQ(s.jobs(1).outcome(), "not running");
  EXPECT_EQ(s.jobs(2).outcome(), "restarted");
  EXPECT_EQ(s.log_lines(), 4u);
  EXPECT_EQ(s.log_lines_dropped(), 3u);
  EXPECT_EQ(s.events(), 3u);
  EXPECT_EQ(s.uevents_queued(), 1u);
  EXPECT_EQ(s.uevents_replayed(), 1u);
  EXPECT_EQ(s.fds_size(), 2);
  ASSERT_EQ(s.warnings_size(), 3);
  EXPECT_EQ(s.warnings(0), "stage 1: job plymouth: not carried (stage initramfs only)");
}

TEST(StatusTest, TextShowsEverything) {
  std::string text = FormatText(GoldenReport());
  EXPECT_THAT(text, HasSubstr("handoff: accepted\n"));
  EXPECT_THAT(text, HasSubstr("producer: baton 0.1.0, format 1 (min reader 1)"));
  EXPECT_THAT(text, HasSubstr("reader:   baton 0.2.0, version 2"));
  EXPECT_THAT(text, HasSubstr("switch-start -> exec"));
  EXPECT_THAT(text, HasSubstr("12.000 ms"));
  EXPECT_THAT(text, HasSubstr("stage1-start -> stage2-ready"));
  EXPECT_THAT(text, HasSubstr("1490.000 ms"));
  EXPECT_THAT(text, ::testing::ContainsRegex("mdmon +md0 +running +212  adopted"));
  EXPECT_THAT(text, ::testing::ContainsRegex("fsck-root +- +waiting +0  restarted"));
  EXPECT_THAT(text, HasSubstr("log lines carried: 4 (3 dropped before the switch)"));
  EXPECT_THAT(text, HasSubstr("events carried: 3"));
  EXPECT_THAT(text, HasSubstr("uevents: 1 queued, 1 replayed"));
  EXPECT_THAT(text, HasSubstr("#0 uevent-socket"));
  EXPECT_THAT(text, HasSubstr("warnings (3):"));
  EXPECT_THAT(text, HasSubstr("  - job x: invalid pid 1, skipped\n"));
  EXPECT_THAT(text, HasSubstr("inode mismatch"));
}

TEST(StatusTest, ReportTakesTheDecodedHandoffWithoutACopy) {
  absl::StatusOr<std::string> bytes = Encode(GoldenV1());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  DecodeResult decoded = Decode(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.stateless_reason;
  decoded.warnings.push_back("a decode warning");
  const std::string copied_json = FormatJson(ReportFromDecode(decoded));
  const Handoff* on_arena = decoded.handoff;
  StatusReport report = ReportFromDecode(std::move(decoded));
  // The very message the decoder made, now owned (with its arena) by the report.
  ASSERT_NE(report.handoff, nullptr);
  EXPECT_EQ(report.handoff.get(), on_arena);
  EXPECT_EQ(report.handoff->GetArena(), on_arena->GetArena());
  EXPECT_NE(report.handoff->GetArena(), nullptr);
  EXPECT_EQ(decoded.arena, nullptr);
  EXPECT_EQ(decoded.handoff, nullptr);
  EXPECT_THAT(report.warnings, ::testing::ElementsAre("a decode warning"));
  // Shows what a copy would.
  EXPECT_EQ(FormatJson(report), copied_json);
  // A copy of the report shares it; it outlives the DecodeResult and grows.
  StatusReport kept = report;
  report = StatusReport();
  kept.handoff->add_timestamps()->set_name("stage2-ready");
  EXPECT_EQ(kept.handoff->timestamps(kept.handoff->timestamps_size() - 1).name(), "stage2-ready");
  EXPECT_EQ(kept.handoff->producer_build(), GoldenV1().producer_build());
}

TEST(StatusTest, ReportFromARejectedDecodeHoldsNoHandoff) {
  DecodeResult decoded = Decode("not a handoff at all");
  ASSERT_FALSE(decoded.ok());
  StatusReport report = ReportFromDecode(std::move(decoded));
  EXPECT_EQ(report.handoff, nullptr);
  EXPECT_THAT(report.stateless_reason, HasSubstr("bad magic"));
}

TEST(StatusTest, StatelessSaysWhy) {
  DecodeResult decoded;
  decoded.stateless_reason = "handoff checksum mismatch: stored 1, computed 2";
  StatusReport report = ReportFromDecode(decoded);
  std::string text = FormatText(report);
  EXPECT_THAT(text, HasSubstr("stage 2 started stateless: handoff checksum mismatch"));
  EXPECT_THAT(text, Not(HasSubstr("jobs (")));
  std::string json = FormatJson(report);
  EXPECT_THAT(json, HasSubstr("\"stateless\":true"));
  EXPECT_THAT(json, HasSubstr("\"stateless_reason\":\"handoff checksum mismatch"));
}

TEST(StatusTest, BackwardsClockWarnedNotNegative) {
  StatusReport report = GoldenReport();
  report.handoff->mutable_timestamps(2)->set_monotonic_ns(1);
  HandoffStatus s = ToProto(report);
  EXPECT_EQ(s.phases(1).duration_ns(), 0);
  EXPECT_EQ(s.warnings(s.warnings_size() - 1),
            "timestamp root-step:luks-5a1c is before root-step:md0");
}

TEST(StatusTest, JsonIsTheSameReport) {
  std::string json = FormatJson(GoldenReport());
  EXPECT_THAT(json, HasSubstr("\"stateless\":false"));
  EXPECT_THAT(json, HasSubstr("\"producer_build\":\"baton 0.1.0\""));
  EXPECT_THAT(json, HasSubstr("\"outcome\":\"adopted\""));
  EXPECT_THAT(json, HasSubstr("\"state\":\"JOB_STATE_RUNNING\""));
  EXPECT_THAT(json, HasSubstr("\"uevents_replayed\":\"1\""));  // uint64 as a string
  EXPECT_THAT(json, HasSubstr("\"role\":\"uevent-socket\""));
}

// FormatJson is written by hand (the image links protobuf-lite); the tests
// link full protobuf, whose JSON printer it must match byte for byte.
std::string ReflectionJson(const StatusReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(ToProto(report), &json, options).ok());
  return json;
}

TEST(StatusTest, KindSaysWhoHandedOver) {
  StatusReport report = GoldenReport();  // format 1: no kind, from stage 1
  EXPECT_EQ(ToProto(report).kind(), "switch");
  EXPECT_THAT(FormatText(report), HasSubstr("kind:     switch (baton 0.1.0 -> baton 0.2.0)\n"));
  report.handoff->set_kind(HANDOFF_KIND_REEXEC);
  EXPECT_EQ(ToProto(report).kind(), "re-exec");
  EXPECT_THAT(FormatText(report), HasSubstr("kind:     re-exec (baton 0.1.0 -> baton 0.2.0)\n"));
  EXPECT_THAT(FormatJson(report), HasSubstr("\"kind\":\"re-exec\""));
}

TEST(StatusTest, JsonMatchesProtobufsPrinter) {
  StatusReport report = GoldenReport();
  EXPECT_EQ(FormatJson(report), ReflectionJson(report));
  report.warnings.push_back("quote \" backslash \\ tab \t nl \n <tag> \x01 \x7f é");
  report.handoff->mutable_instances(0)->set_state(static_cast<JobState>(42));
  report.handoff->mutable_fds(0)->set_type(static_cast<FdType>(9));
  EXPECT_EQ(FormatJson(report), ReflectionJson(report));
  report.handoff->set_kind(HANDOFF_KIND_REEXEC);
  EXPECT_EQ(FormatJson(report), ReflectionJson(report));
  DecodeResult none;
  none.stateless_reason = "no handoff";
  EXPECT_EQ(FormatJson(ReportFromDecode(none)), ReflectionJson(ReportFromDecode(none)));
}

}  // namespace
}  // namespace baton::handoff
