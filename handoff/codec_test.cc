#include "handoff/codec.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "handoff/crc32c.h"
#include "handoff/golden_v1.h"
#include "handoff/golden_v2.h"
#include "handoff/golden_v3.h"
#include "handoff/version.h"

namespace baton::handoff {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string MustEncode(const Handoff& h) {
  absl::StatusOr<std::string> bytes = Encode(h);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

std::string Frame(const std::string& payload) {
  std::string out(kMagic);
  uint32_t len = payload.size();
  uint32_t crc = Crc32c(payload);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(len >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out + payload;
}

TEST(CodecTest, RoundTripKeepsEveryField) {
  Handoff h = GoldenV1();
  // Every field of every message set at least once (GoldenV1 leaves a few).
  h.mutable_instances(0)->mutable_exits(0)->set_core_dumped(true);
  h.mutable_instances(0)->mutable_exits(0)->set_exit_status(3);
  h.mutable_instances(0)->set_failed(true);
  h.mutable_instances(0)->set_failure("respawning too fast");
  h.mutable_supervisor_log()->set_dropped(9);
  h.mutable_supervisor_log()->set_packed_lines(GoldenV2().supervisor_log().packed_lines());
  h.mutable_instances(2)->set_packed_env(GoldenV3().instances(1).packed_env());
  h.mutable_events(0)->set_packed_env(GoldenV3().events(1).packed_env());
  h.mutable_fds(0)->set_dev(0x803);
  h.mutable_fds(0)->set_ino(4242);
  DecodeResult r = Decode(MustEncode(h));
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, IsEmpty());
  std::string diff;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(h, *r.handoff)) << diff;
  EXPECT_EQ(r.handoff->instances(0).exits(0).exit_status(), 3);
  EXPECT_EQ(r.handoff->fds(0).ino(), 4242u);
}

TEST(CodecTest, FrameLayout) {
  std::string bytes = MustEncode(GoldenV1());
  ASSERT_GT(bytes.size(), kHeaderBytes);
  EXPECT_EQ(bytes.substr(0, 8), "BATONHO1");
  uint32_t len = 0;
  for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[8 + i]);
  EXPECT_EQ(len, bytes.size() - kHeaderBytes);
  EXPECT_EQ(bytes, Frame(bytes.substr(kHeaderBytes)));
}

TEST(CodecTest, StampVersionWritesThisBuild) {
  Handoff h;
  EXPECT_EQ(Encode(h).status().code(), absl::StatusCode::kInvalidArgument);
  StampVersion(&h);
  EXPECT_EQ(h.format_version(), kFormatVersion);
  EXPECT_EQ(h.min_reader_version(), kMinReaderVersion);
  EXPECT_EQ(h.producer_build(), kProducerBuild);
  EXPECT_TRUE(Decode(MustEncode(h)).ok());
}

TEST(CodecTest, EveryTruncationIsStatelessWithSizes) {
  std::string bytes = MustEncode(GoldenV1());
  for (size_t n = 0; n < bytes.size(); ++n) {
    DecodeResult r = Decode(absl::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    size_t total = n < kHeaderBytes ? kHeaderBytes : bytes.size();
    ASSERT_EQ(r.stateless_reason,
              "handoff truncated: " + std::to_string(n) + " of " + std::to_string(total) + " bytes")
        << n;
  }
}

TEST(CodecTest, EverySingleBitFlipIsCaught) {
  std::string bytes = MustEncode(GoldenV1());
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    DecodeResult r = Decode(flipped);
    ASSERT_FALSE(r.ok()) << "bit " << bit;
    if (bit / 8 < 8) {
      ASSERT_EQ(r.stateless_reason, "not a handoff: bad magic");
    } else if (bit / 8 >= 12) {
      ASSERT_THAT(r.stateless_reason, StartsWith("handoff checksum mismatch: stored")) << bit;
    } else {
      ASSERT_FALSE(r.stateless_reason.empty());
    }
  }
}

TEST(CodecTest, BadPayloadWithGoodChecksumDoesNotParse) {
  DecodeResult r = Decode(Frame("\xff\xff\xff\xff"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.stateless_reason, "handoff payload does not parse");
}

TEST(CodecTest, HugeLengthRejectedBeforeReading) {
  std::string bytes = MustEncode(GoldenV1());
  bytes[11] = '\x7f';
  DecodeResult r = Decode(bytes);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.stateless_reason, StartsWith("handoff too large"));
}

TEST(CodecTest, TrailingBytesWarned) {
  DecodeResult r = Decode(MustEncode(GoldenV1()) + "junk");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.warnings, Contains("4 bytes after the handoff frame ignored"));
}

TEST(CodecTest, MinReaderTooNewIsStatelessNamingBothVersions) {
  Handoff h = GoldenV1();
  h.set_format_version(kReaderVersion + 3);
  h.set_min_reader_version(kReaderVersion + 2);
  DecodeResult r = Decode(MustEncode(h));
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.stateless_reason,
              HasSubstr("needs reader version " + std::to_string(kReaderVersion + 2)));
  EXPECT_THAT(r.stateless_reason,
              HasSubstr("this reader is version " + std::to_string(kReaderVersion)));
}

TEST(CodecTest, NewerFormatWithCompatibleMinReaderWarns) {
  Handoff h = GoldenV1();
  h.set_format_version(kReaderVersion + 1);
  h.set_min_reader_version(kReaderVersion);
  DecodeResult r = Decode(MustEncode(h));
  ASSERT_TRUE(r.ok()) << r.stateless_reason;
  EXPECT_THAT(r.warnings, Contains(HasSubstr("version skew")));
  EXPECT_EQ(r.handoff->instances_size(), 3);
}

TEST(CodecTest, UnknownFieldsSurviveDecodeEncode) {
  Handoff h = GoldenV1();
  h.GetReflection()->MutableUnknownFields(&h)->AddLengthDelimited(999, "from the future");
  JobInstance* inst = h.mutable_instances(0);
  inst->GetReflection()->MutableUnknownFields(inst)->AddVarint(77, 12345);
  std::string first = MustEncode(h);
  DecodeResult r = Decode(first);
  ASSERT_TRUE(r.ok());
  const auto& top = r.handoff->GetReflection()->GetUnknownFields(*r.handoff);
  ASSERT_EQ(top.field_count(), 1);
  EXPECT_EQ(top.field(0).number(), 999);
  EXPECT_EQ(top.field(0).length_delimited(), "from the future");
  const JobInstance& got = r.handoff->instances(0);
  ASSERT_EQ(got.GetReflection()->GetUnknownFields(got).field_count(), 1);
  EXPECT_EQ(got.GetReflection()->GetUnknownFields(got).field(0).varint(), 12345u);
  EXPECT_EQ(MustEncode(*r.handoff), first);
}

TEST(CodecTest, SecretsNeverEncoded) {
  Handoff h = GoldenV1();
  KeyValue* kv = h.mutable_instances(1)->add_env();
  kv->set_key("LUKS_PASSPHRASE");
  kv->set_value("correct horse battery staple");
  KeyValue* ev = h.mutable_events(1)->add_env();
  ev->set_key("KEY");
  ev->set_value("0xdeadbeefcafe");
  std::string bytes = MustEncode(h);
  EXPECT_EQ(bytes.find("correct horse"), std::string::npos);
  EXPECT_EQ(bytes.find("deadbeefcafe"), std::string::npos);
  EXPECT_EQ(bytes.find("LUKS_PASSPHRASE"), std::string::npos);
  DecodeResult r = Decode(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.handoff->instances(1).env_size(), 1);
  EXPECT_EQ(r.handoff->instances(1).env(0).key(), "ID_FS_UUID");
  // The caller's message is left alone.
  EXPECT_EQ(h.instances(1).env_size(), 2);
}

TEST(CodecTest, InvalidItemsSkippedRestKept) {
  Handoff h = GoldenV1();
  h.add_instances()->set_pid(55);  // no job name
  JobInstance* pid1 = h.add_instances();
  pid1->set_job("bogus");
  pid1->set_pid(1);
  DecodeResult r = Decode(MustEncode(h));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.handoff->instances_size(), 3);
  EXPECT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.handoff->logs_size(), 1);
  EXPECT_EQ(r.handoff->uevents_size(), 1);
}

TEST(CodecTest, NotAHandoff) {
  EXPECT_EQ(Decode("BATONHO2 and more bytes").stateless_reason, "not a handoff: bad magic");
  EXPECT_EQ(Decode("hello").stateless_reason, "not a handoff: bad magic");
  EXPECT_EQ(Decode("").stateless_reason, "handoff truncated: 0 of 16 bytes");
}

}  // namespace
}  // namespace baton::handoff
