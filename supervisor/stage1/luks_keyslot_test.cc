#include "supervisor/stage1/luks_keyslot.h"

#include <sys/sysmacros.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/stage1/luks_testdata.h"

namespace baton::stage1::luks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::kKey256bHex;
using testing::kKey256Hex;
using testing::kKey512Hex;
using testing::kPassphrase;
using testing::TestData;

ReadAtFn ReadFrom(const std::string& img) {
  return [&img](uint64_t offset, uint8_t* buf, size_t len) -> absl::Status {
    if (offset + len > img.size()) return absl::OutOfRangeError("read past the end");
    memcpy(buf, img.data() + offset, len);
    return absl::OkStatus();
  };
}

std::string Hex(const SecretBytes& key) {
  return absl::BytesToHexString(
      std::string(reinterpret_cast<const char*>(key.data()), key.size()));
}

absl::StatusOr<RecoveredKey> Recover(const std::string& img, const std::string& passphrase) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/vda");
  if (!h.ok()) return h.status();
  return RecoverVolumeKey(*h, ReadFrom(img), passphrase.data(), passphrase.size());
}

// End to end on the golden images: passphrase → the key luksFormat was given.
TEST(RecoverVolumeKeyTest, GoldenImages) {
  struct Case {
    const char* file;
    const char* key_hex;
  };
  const Case cases[] = {
      {"luks2-pbkdf2.img", kKey512Hex},
      {"luks2-argon2id.img", kKey256Hex},
      {"luks1-xts-sha1.img", kKey256Hex},
      {"luks1-cbc-essiv.img", kKey256bHex},
  };
  for (const Case& c : cases) {
    const std::string img = TestData(c.file);
    ASSERT_FALSE(img.empty()) << c.file;
    const absl::Time start = absl::Now();
    absl::StatusOr<RecoveredKey> key = Recover(img, kPassphrase);
    ASSERT_TRUE(key.ok()) << c.file << ": " << key.status();
    EXPECT_EQ(Hex(key->volume_key), c.key_hex) << c.file;
    EXPECT_EQ(key->slot_id, "0");
    std::cerr << c.file << ": key recovered in " << absl::Now() - start << "\n";
  }
}

TEST(RecoverVolumeKeyTest, WrongPassphrase) {
  for (const char* file : {"luks2-pbkdf2.img", "luks2-argon2id.img", "luks1-cbc-essiv.img"}) {
    absl::StatusOr<RecoveredKey> key = Recover(TestData(file), "correct horse!");
    ASSERT_FALSE(key.ok()) << file;
    EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(key.status().message(), "No key available with this passphrase.");
  }
}

TEST(RecoverVolumeKeyTest, DamagedKeySlotAreaOpensNothing) {
  std::string img = TestData("luks2-pbkdf2.img");
  img[32768 + 1000] ^= 0x40;
  absl::StatusOr<RecoveredKey> key = Recover(img, kPassphrase);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(RecoverVolumeKeyTest, ReadErrorIsNotAWrongPassphrase) {
  const std::string img = TestData("luks2-pbkdf2.img");
  const std::string cut = img.substr(0, 40000);  // the key slot area is cut off
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(cut, "/dev/vda");
  ASSERT_TRUE(h.ok()) << h.status();
  absl::StatusOr<RecoveredKey> key =
      RecoverVolumeKey(*h, ReadFrom(cut), kPassphrase, strlen(kPassphrase));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(key.status().message(), "key slot 0: read past the end");
}

TEST(AfMergeTest, OneStripeIsTheKeyAndTwoDiffuse) {
  uint8_t split[2 * 40];
  for (int i = 0; i < 80; ++i) split[i] = static_cast<uint8_t>(i);
  uint8_t out[40];
  AfMerge(split, 40, 1, HashAlg::kSha1, out);
  EXPECT_EQ(memcmp(out, split, 40), 0);
  // Two stripes: out = H(0||s0[0..20]) H(1||s0[20..40]) xor s1 (blocks of the digest size).
  AfMerge(split, 40, 2, HashAlg::kSha1, out);
  uint8_t expect[40];
  for (uint32_t b = 0; b < 2; ++b) {
    uint8_t in[24] = {0, 0, 0, static_cast<uint8_t>(b)};
    memcpy(in + 4, split + 20 * b, 20);
    uint8_t d[kMaxDigestSize];
    Hash(HashAlg::kSha1, in, 24, d);
    for (int i = 0; i < 20; ++i) expect[20 * b + i] = d[i] ^ split[40 + 20 * b + i];
  }
  EXPECT_EQ(memcmp(out, expect, 40), 0);
}

SecretBytes KeyFromHex(const char* hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  SecretBytes key(bytes.size());
  memcpy(key.data(), bytes.data(), bytes.size());
  return key;
}

TEST(CryptTargetTest, Luks2AsCryptsetupLoadsIt) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(TestData("luks2-pbkdf2.img"), "/dev/md0");
  ASSERT_TRUE(h.ok());
  const SecretBytes key = KeyFromHex(kKey512Hex);
  absl::StatusOr<sys::DmTarget> t =
      CryptTarget(*h, key, 4 << 20, makedev(9, 0), false, "/dev/md0");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->start, 0u);
  EXPECT_EQ(t->length, 6144u);  // (4 MiB - 1 MiB) / 512
  EXPECT_EQ(t->type, "crypt");
  EXPECT_EQ(t->params, absl::StrCat("aes-xts-plain64 ", kKey512Hex, " 0 9:0 2048 1 sector_size:4096"));
  t = CryptTarget(*h, key, 4 << 20, makedev(253, 17), true, "/dev/md0");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->params, absl::StrCat("aes-xts-plain64 ", kKey512Hex,
                                    " 0 253:17 2048 2 allow_discards sector_size:4096"));
  h->flags = {"no-write-workqueue", "allow-discards", "same-cpu-crypt"};
  t = CryptTarget(*h, key, 4 << 20, makedev(9, 0), false, "/dev/md0");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->params, HasSubstr(
                             " 4 allow_discards same_cpu_crypt no_write_workqueue sector_size:4096"));
}

TEST(CryptTargetTest, Luks1) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(TestData("luks1-cbc-essiv.img"), "/dev/vdb");
  ASSERT_TRUE(h.ok());
  absl::StatusOr<sys::DmTarget> t =
      CryptTarget(*h, KeyFromHex(kKey256bHex), 4 << 20, makedev(254, 16), false, "/dev/vdb");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->length, 4096u);
  EXPECT_EQ(t->params, absl::StrCat("aes-cbc-essiv:sha256 ", kKey256bHex, " 0 254:16 4096"));
}

TEST(CryptTargetTest, SizesItRefuses) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(TestData("luks2-pbkdf2.img"), "/dev/vda");
  ASSERT_TRUE(h.ok());
  const SecretBytes key = KeyFromHex(kKey512Hex);
  absl::StatusOr<sys::DmTarget> t = CryptTarget(*h, key, 1 << 20, makedev(9, 0), false, "/dev/vda");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "/dev/vda: the device (1048576 bytes) ends before its LUKS data offset (1048576)");
  t = CryptTarget(*h, key, (4 << 20) + 512, makedev(9, 0), false, "/dev/vda");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "/dev/vda: the data size (3146240 bytes) is not whole 4096-byte sectors");
  EXPECT_THAT(t.status().message(), Not(HasSubstr(kKey512Hex)));
  h->segment.size = 4 << 20;
  t = CryptTarget(*h, key, 4 << 20, makedev(9, 0), false, "/dev/vda");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("goes past the end of the device"));
  h->segment.size = 1 << 20;
  t = CryptTarget(*h, key, 4 << 20, makedev(9, 0), false, "/dev/vda");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->length, 2048u);
}

}  // namespace
}  // namespace baton::stage1::luks

namespace baton::stage1::luks {
namespace {

// Damaged headers: random bytes of a LUKS1 header and random edits of LUKS2
// metadata (checksums fixed, so the parser sees them) must give an error or
// a header that recovers no key or the right one, never a crash (run under
// --config=asan too). Deterministic: a fixed-seed xorshift.
class Rng {
 public:
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_ = 0x9e3779b97f4a7c15ull;
};

// Recovery only where it is cheap (a damaged count could ask for hours).
bool Cheap(const LuksHeader& h) {
  if (h.digest.iterations > 5000) return false;
  for (const LuksKeyslot& ks : h.keyslots) {
    if (ks.kdf == LuksKeyslot::Kdf::kPbkdf2 && ks.iterations > 5000) return false;
    if (ks.kdf != LuksKeyslot::Kdf::kPbkdf2 && (ks.memory_kib > 1024 || ks.time > 8)) return false;
  }
  return true;
}

void TryAll(const std::string& img, const std::string& key_hex, int* parsed, int* opened) {
  absl::StatusOr<LuksHeader> h = ParseLuksHeader(img, "/dev/fuzz");
  if (!h.ok()) {
    EXPECT_FALSE(h.status().message().empty());
    return;
  }
  ++*parsed;
  SecretBytes key(32);
  (void)CryptTarget(*h, key, 4 << 20, makedev(8, 0), true, "/dev/fuzz");
  if (!Cheap(*h)) return;
  absl::StatusOr<RecoveredKey> got = RecoverVolumeKey(*h, ReadFrom(img), kPassphrase, 13);
  if (got.ok()) {
    ++*opened;
    EXPECT_EQ(Hex(got->volume_key), key_hex);
  }
}

TEST(DamagedHeaderTest, Luks1RandomBytes) {
  const std::string golden = TestData("luks1-xts-sha1.img");
  Rng rng;
  int parsed = 0, opened = 0;
  for (int i = 0; i < 150; ++i) {
    std::string img = golden;
    const int flips = 1 + static_cast<int>(rng.Below(4));
    for (int f = 0; f < flips; ++f) img[rng.Below(kLuks1HeaderSize)] = static_cast<char>(rng.Next());
    TryAll(img, kKey256Hex, &parsed, &opened);
  }
  std::cerr << "LUKS1: " << parsed << " of 150 parsed, " << opened << " opened\n";
  EXPECT_GT(parsed, 0);
}

TEST(DamagedHeaderTest, Luks2RandomMetadataEdits) {
  const std::string golden = TestData("luks2-argon2id.img");
  const std::string json = testing::Json(golden);
  const std::string alphabet = "{}[]\",:0123456789-+eE.\\ aZ\x01\xff";
  Rng rng;
  int parsed = 0, opened = 0;
  for (int i = 0; i < 300; ++i) {
    std::string edited = json;
    switch (rng.Below(3)) {
      case 0:  // replace bytes
        for (int f = 0; f < 1 + static_cast<int>(rng.Below(3)); ++f) {
          edited[rng.Below(edited.size())] = alphabet[rng.Below(alphabet.size())];
        }
        break;
      case 1:  // cut
        edited.resize(rng.Below(edited.size()));
        break;
      case 2: {  // swap a number for another
        const size_t at = edited.find_first_of("0123456789", rng.Below(edited.size()));
        if (at != std::string::npos) edited.replace(at, 1, std::to_string(rng.Next() % 100000));
        break;
      }
    }
    TryAll(testing::WithJson(golden, edited), kKey256Hex, &parsed, &opened);
  }
  std::cerr << "LUKS2: " << parsed << " of 300 parsed, " << opened << " opened\n";
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace baton::stage1::luks
