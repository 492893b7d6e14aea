#include "supervisor/stage1/luks_header.h"

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/stage1/luks_testdata.h"

namespace baton::stage1::luks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Json;
using testing::TestData;
using testing::WithJson;

std::vector<std::string> SlotIds(const LuksHeader& h) {
  std::vector<std::string> ids;
  for (const LuksKeyslot& ks : h.keyslots) ids.push_back(ks.id);
  return ids;
}

TEST(LuksHeaderTest, Luks2Pbkdf2AsCryptsetupMakesIt) {
  const std::string img = TestData("luks2-pbkdf2.img");
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(LuksMetadataSize(img.substr(0, 4096), "/dev/vda").value(), 32768u);
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/vda");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, 2);
  EXPECT_EQ(h->uuid, "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(h->note, "");
  ASSERT_EQ(h->keyslots.size(), 1u);
  const LuksKeyslot& ks = h->keyslots[0];
  EXPECT_EQ(ks.id, "0");
  EXPECT_EQ(ks.kdf, LuksKeyslot::Kdf::kPbkdf2);
  EXPECT_EQ(ks.pbkdf2_hash, HashAlg::kSha256);
  EXPECT_EQ(ks.iterations, 1000u);
  EXPECT_EQ(ks.salt.size(), 32u);
  EXPECT_EQ(ks.volume_key_size, 64u);
  EXPECT_EQ(ks.stripes, 4000u);
  EXPECT_EQ(ks.af_hash, HashAlg::kSha256);
  EXPECT_EQ(ks.area_offset, 32768u);
  EXPECT_EQ(ks.area_size, 256000u);
  EXPECT_EQ(ks.area_cipher.DmName(), "aes-xts-plain64");
  EXPECT_EQ(ks.area_key_size, 64u);
  EXPECT_EQ(h->segment.offset, 1048576u);
  EXPECT_FALSE(h->segment.size.has_value());
  EXPECT_EQ(h->segment.iv_tweak, 0u);
  EXPECT_EQ(h->segment.cipher.DmName(), "aes-xts-plain64");
  EXPECT_EQ(h->segment.sector_size, 4096u);
  EXPECT_EQ(h->digest.hash, HashAlg::kSha256);
  EXPECT_EQ(h->digest.iterations, 1000u);
  EXPECT_EQ(h->digest.digest.size(), 32u);
  EXPECT_EQ(CryptDmUuid(*h, "root"), "CRYPT-LUKS2-11111111222233334444555555555555-root");
}

TEST(LuksHeaderTest, Luks2Argon2id) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(TestData("luks2-argon2id.img"), "/dev/vdb");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->keyslots.size(), 1u);
  const LuksKeyslot& ks = h->keyslots[0];
  EXPECT_EQ(ks.kdf, LuksKeyslot::Kdf::kArgon2id);
  EXPECT_EQ(ks.time, 4u);
  EXPECT_EQ(ks.memory_kib, 32u);
  EXPECT_EQ(ks.parallel, 1u);
  EXPECT_EQ(ks.area_key_size, 32u);
  EXPECT_EQ(ks.area_size, 128000u);
}

TEST(LuksHeaderTest, Luks1CbcEssiv) {
  const std::string img = TestData("luks1-cbc-essiv.img");
  EXPECT_EQ(LuksMetadataSize(img.substr(0, 4096), "/dev/vdc").value(), 592u);
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/vdc");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, 1);
  EXPECT_EQ(h->uuid, "11111111-2222-3333-4444-888888888888");
  ASSERT_THAT(SlotIds(*h), ElementsAre("0"));
  EXPECT_EQ(h->keyslots[0].area_offset, 4096u);
  EXPECT_EQ(h->keyslots[0].area_size, 128000u);
  EXPECT_EQ(h->keyslots[0].iterations, 1000u);
  EXPECT_EQ(h->keyslots[0].area_cipher.DmName(), "aes-cbc-essiv:sha256");
  EXPECT_EQ(h->segment.offset, 4096u * 512);
  EXPECT_EQ(h->segment.sector_size, 512u);
  EXPECT_EQ(h->digest.digest.size(), 20u);
  EXPECT_EQ(h->digest.hash, HashAlg::kSha256);
  EXPECT_EQ(CryptDmUuid(*h, "crypt0"), "CRYPT-LUKS1-11111111222233334444888888888888-crypt0");
}

TEST(LuksHeaderTest, Luks1Sha1Xts) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(TestData("luks1-xts-sha1.img"), "/dev/vdd");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->digest.hash, HashAlg::kSha1);
  EXPECT_EQ(h->keyslots[0].pbkdf2_hash, HashAlg::kSha1);
  EXPECT_EQ(h->segment.cipher.DmName(), "aes-xts-plain64");
}

TEST(LuksHeaderTest, NotLuks) {
  const std::string zeros(4096, '\0');
  absl::StatusOr<uint64_t> size = LuksMetadataSize(zeros, "/dev/vde");
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().message(), "/dev/vde is not a LUKS device (no LUKS magic)");
  EXPECT_FALSE(ParseLuksHeader(zeros, "/dev/vde").ok());
  std::string v3 = TestData("luks1-xts-sha1.img");
  v3[7] = 3;
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(v3, "/dev/vde");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("LUKS version 3"));
  EXPECT_THAT(h.status().message(), HasSubstr("cryptsetup tool is needed"));
}

TEST(LuksHeaderTest, DamagedPrimaryUsesSecondary) {
  std::string img = TestData("luks2-pbkdf2.img");
  img[4096 + 10] ^= 1;  // a byte of the primary JSON: its checksum fails
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/vda");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->note,
            "/dev/vda: primary LUKS2 header at byte 0: checksum mismatch; using the secondary "
            "header");
  EXPECT_EQ(h->keyslots.size(), 1u);
  // The binary header's hdr_size damaged too: the secondary is found by scanning.
  img[15] ^= 0x7f;
  EXPECT_EQ(LuksMetadataSize(img.substr(0, 4096), "/dev/vda").value(),
            kLuks2MaxHdrSize + kLuks2BinaryHeaderSize);
  h = ParseLuksHeader(img, "/dev/vda");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(h->note, HasSubstr("bad hdr_size"));
}

TEST(LuksHeaderTest, BothCopiesDamaged) {
  std::string img = TestData("luks2-pbkdf2.img");
  img[4096 + 10] ^= 1;
  img[16384 + 4096 + 10] ^= 1;
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/vda");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "/dev/vda: primary LUKS2 header at byte 0: checksum mismatch");
}

TEST(LuksHeaderTest, CutShort) {
  const std::string img = TestData("luks1-xts-sha1.img");
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img.substr(0, 300), "/dev/vda");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "/dev/vda: LUKS1 header cut short (300 of 592 bytes)");
}

TEST(LuksHeaderTest, Luks1BadSlotState) {
  std::string img = TestData("luks1-xts-sha1.img");
  img[208 + 48 * 3 + 3] = 1;  // slot 3: neither 0x00AC71F3 nor 0x0000DEAD
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/vda");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("LUKS1 key slot 3 is neither enabled nor disabled"));
}

// --- LUKS2 metadata edited (checksums fixed) --------------------------------

absl::StatusOr<LuksHeader> ParseEdited(
    const std::vector<std::pair<std::string, std::string>>& edits) {
  const std::string img = TestData("luks2-pbkdf2.img");
  std::string json = Json(img);
  for (const auto& [from, to] : edits) {
    EXPECT_NE(json.find(from), std::string::npos) << from;
    json = absl::StrReplaceAll(json, {{from, to}});
  }
  return ParseLuksHeader(WithJson(img, json), "/dev/vda");
}

// A second key slot "1" like "0" (same area, for the order only).
const char kSlot0Start[] = R"("keyslots":{"0":{"type":"luks2")";

std::string SecondSlot(const std::string& priority_json) {
  const std::string json = Json(TestData("luks2-pbkdf2.img"));
  const size_t start = json.find(R"({"type":"luks2")");
  const size_t end = json.find(R"(},"tokens")");
  return absl::StrCat(R"("keyslots":{"1":)", json.substr(start, end - start - 1),
                      priority_json, R"(},"0":{"type":"luks2")");
}

TEST(LuksHeaderEditedTest, PriorityOrder) {
  absl::StatusOr<LuksHeader> h =
      ParseEdited({{kSlot0Start, SecondSlot("")}, {R"("keyslots":["0"])", R"("keyslots":["0","1"])"}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(SlotIds(*h), ElementsAre("0", "1"));
  h = ParseEdited(
      {{kSlot0Start, SecondSlot(R"(,"priority":2)")}, {R"("keyslots":["0"])", R"("keyslots":["0","1"])"}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(SlotIds(*h), ElementsAre("1", "0"));
  h = ParseEdited(
      {{kSlot0Start, SecondSlot(R"(,"priority":0)")}, {R"("keyslots":["0"])", R"("keyslots":["0","1"])"}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(SlotIds(*h), ElementsAre("0"));
  // A slot the segment's digest does not list is not tried.
  h = ParseEdited({{kSlot0Start, SecondSlot("")}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(SlotIds(*h), ElementsAre("0"));
}

TEST(LuksHeaderEditedTest, TokenBoundSlots) {
  absl::StatusOr<LuksHeader> h = ParseEdited(
      {{R"("tokens":{})", R"("tokens":{"0":{"type":"systemd-tpm2","keyslots":["0"]}})"}});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(h.status().message(),
            "/dev/vda: every key slot is bound to a token (systemd-tpm2); the cryptsetup tool is "
            "needed (an image built with --storage-tools all)");
}

TEST(LuksHeaderEditedTest, RefusesWhatIsNotSupported) {
  struct Case {
    std::string from, to, message;
  };
  const std::vector<Case> cases = {
      {R"("sector_size":4096)", R"j("sector_size":4096,"integrity":{"type":"hmac(sha256)"})j",
       "authenticated encryption (dm-integrity)"},
      {R"("segments":{"0":{)",
       R"("segments":{"1":{"type":"linear","offset":"0","size":"0"},"0":{)",
       "2 data segments (a reencryption in progress?)"},
      {R"("type":"luks2")", R"("type":"reencrypt")", "a reencryption is in progress (key slot 0)"},
      {R"("encryption":"aes-xts-plain64","sector_size")",
       R"("encryption":"serpent-xts-plain64","sector_size")",
       "data segment: cipher serpent-xts-plain64 is not supported natively"},
      {R"("type":"pbkdf2","hash":"sha256","iterations":1000,"salt":"lVd)",
       R"("type":"scrypt","hash":"sha256","iterations":1000,"salt":"lVd)",
       "key slot 0 has kdf \"scrypt\""},
      {R"("config":{)", R"("config":{"requirements":{"mandatory":["online-reencrypt"]},)",
       "mandatory requirements online-reencrypt"},
      {R"("hash":"sha256"},"area")", R"("hash":"whirlpool"},"area")",
       "keyslots.0.af.hash \"whirlpool\" is not supported natively"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LuksHeader> h = ParseEdited({{c.from, c.to}});
    ASSERT_FALSE(h.ok()) << c.to;
    EXPECT_EQ(h.status().code(), absl::StatusCode::kUnimplemented) << h.status();
    EXPECT_THAT(h.status().message(), HasSubstr(c.message));
    EXPECT_THAT(h.status().message(), HasSubstr("the cryptsetup tool is needed"));
  }
}

TEST(LuksHeaderEditedTest, BadMetadataSaysWhere) {
  const std::string json = Json(TestData("luks2-pbkdf2.img"));
  absl::StatusOr<LuksHeader> h = ParseEdited({{R"("key_size":64,"af")", R"("key_size":"64","af")"}});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(),
            absl::StrCat("/dev/vda: LUKS2 metadata keyslots.0.key_size (JSON byte ",
                         json.find(R"(64,"af")"), "): expected a number, found a string"));
  h = ParseEdited({{R"("offset":"32768")", R"("offset":"32k")"}});
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(),
              HasSubstr("keyslots.0.area.offset (JSON byte "));
  EXPECT_THAT(h.status().message(), HasSubstr("expected a decimal number in a string"));
  h = ParseEdited({{R"("stripes":4000)", R"("stripes":40000)"}});
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("cannot hold 2560000 bytes of key material"));
  h = ParseEdited({{R"("tokens":{},)", R"("tokens":{},,)"}});
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("/dev/vda: LUKS2 metadata: JSON byte "));
  h = ParseEdited({{R"("salt":"lVdw)", R"("salt":"!Vdw)"}});
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("keyslots.0.kdf.salt"));
  h = ParseEdited({{R"("segments":["0"])", R"("segments":[])"}});
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("no digest covers segment 0"));
}

TEST(LuksHeaderEditedTest, FlagsAndFixedSize) {
  absl::StatusOr<LuksHeader> h =
      ParseEdited({{R"("config":{)", R"("config":{"flags":["allow-discards","no-read-workqueue"],)"},
                   {R"("size":"dynamic")", R"("size":"2097152")"},
                   {R"("iv_tweak":"0")", R"("iv_tweak":"16")"}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(h->flags, ElementsAre("allow-discards", "no-read-workqueue"));
  EXPECT_EQ(h->segment.size, 2097152u);
  EXPECT_EQ(h->segment.iv_tweak, 16u);
}

}  // namespace
}  // namespace baton::stage1::luks
