#include "supervisor/stage1/luks_hash.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace baton::stage1::luks {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  return absl::BytesToHexString(std::string(reinterpret_cast<const char*>(p), n));
}

std::string Digest(HashAlg alg, const std::string& m) {
  uint8_t out[kMaxDigestSize];
  Hash(alg, m.data(), m.size(), out);
  return Hex(out, DigestSize(alg));
}

TEST(HashTest, Fips180Examples) {
  EXPECT_EQ(Digest(HashAlg::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Digest(HashAlg::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Digest(HashAlg::kSha512, "abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Digest(HashAlg::kSha1, two_blocks), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Digest(HashAlg::kSha256, two_blocks),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Digest(HashAlg::kSha512,
                   "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

// Lengths around the padding boundaries (expected values from Python's hashlib).
TEST(HashTest, PaddingBoundaries) {
  struct Case {
    size_t n;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Case cases[] = {
    {0, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
    {3, "7e240de74fb1ed08fa08d38063f6a6a91462a815",
     "9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0",
     "d6f644b19812e97b5d871658d6d3400ecd4787faeb9b8990c1e7608288664be77257104a58d033bcf1a0e0945ff06468ebe53e2dff36e248424c7273117dac09"},
    {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a",
     "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
     "b0220c772cbf6c1822e2cb38a437d0e1d58772417a4bbb21c961364f8b6143e05aa6316dca8d1d7b19e16448419076395f6086cb55101fbd6d5497b148e1745f"},
    {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699",
     "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
     "962b64aae357d2a4fee3ded8b539bdc9d325081822b0bfc55583133aab44f18bafe11d72a7ae16c79ce2ba620ae2242d5144809161945f1367f41b3972e26e04"},
    {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5",
     "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
     "c1b0f5c6d3b03dfe4a2602e67242f54e344090b66e01100a469b129f583f016c7e27dddeaa438393dcc7ec54b0b57c9ba7af007f9b56db5f6fb677d972a31362"},
    {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d",
     "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
     "01d35c10c6c38c2dcf48f7eebb3235fb5ad74a65ec4cd016e2354c637a8fb49b695ef3c1d6f7ae4cd74d78cc9c9bcac9d4f23a73019998a7f73038a5c9b2dbde"},
    {111, "ac877859d427d9192054eea8feb3b8a403ef83a5",
     "6374f73208854473827f6f6a3f43b1f53eaa3b82c21c1a6d69a2110b2a79baad",
     "fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef86818196921760b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2"},
    {112, "689993727ba37386bb032495e9dbdfb4dd1ba744",
     "f54353008a2553262ecdc4a34749563ba0950e8b0fc8652780b0a614b99683c1",
     "c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca"},
    {127, "89d95fa32ed44a7c610b7ee38517ddf57e0bb975",
     "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a",
     "828613968b501dc00a97e08c73b118aa8876c26b8aac93df128502ab360f91bab50a51e088769a5c1eff4782ace147dce3642554199876374291f5d921629502"},
    {128, "ad5b3fdbcb526778c2839d2f151ea753995e26a0",
     "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
     "b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a243667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321"},
    {1000, "291e9a6c66994949b57ba5e650361e98fc36b1ba",
     "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
     "67ba5535a46e3f86dbfbed8cbbaf0125c76ed549ff8b0b9e03e0c88cf90fa634fa7b12b47d77b694de488ace8d9a65967dc96df599727d3292a8d9d447709c97"},
  };
  for (const Case& c : cases) {
    const std::string m(c.n, 'a');
    EXPECT_EQ(Digest(HashAlg::kSha1, m), c.sha1) << c.n;
    EXPECT_EQ(Digest(HashAlg::kSha256, m), c.sha256) << c.n;
    EXPECT_EQ(Digest(HashAlg::kSha512, m), c.sha512) << c.n;
  }
}

TEST(HashTest, IncrementalEqualsOneShot) {
  std::string m;
  for (int i = 0; i < 777; ++i) m.push_back(static_cast<char>(i * 7));
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha512}) {
    Hasher h(alg);
    for (size_t off = 0; off < m.size(); off += 13) {
      h.Update(m.data() + off, std::min<size_t>(13, m.size() - off));
    }
    uint8_t out[kMaxDigestSize];
    h.Final(out);
    EXPECT_EQ(Hex(out, DigestSize(alg)), Digest(alg, m)) << HashName(alg);
  }
}

TEST(HashTest, Names) {
  EXPECT_EQ(HashByName("sha256"), HashAlg::kSha256);
  EXPECT_EQ(HashByName("sha1"), HashAlg::kSha1);
  EXPECT_EQ(HashByName("sha512"), HashAlg::kSha512);
  EXPECT_FALSE(HashByName("ripemd160").has_value());
  EXPECT_FALSE(HashByName("SHA256").has_value());
}

std::string HmacHex(HashAlg alg, const std::string& key, const std::string& data) {
  uint8_t out[kMaxDigestSize];
  Hmac(alg, key.data(), key.size()).Compute(data.data(), data.size(), out);
  return Hex(out, DigestSize(alg));
}

TEST(HmacTest, Rfc2202AndRfc4231) {
  const std::string data = "what do ya want for nothing?";
  EXPECT_EQ(HmacHex(HashAlg::kSha1, "Jefe", data), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(HmacHex(HashAlg::kSha256, "Jefe", data),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacHex(HashAlg::kSha512, "Jefe", data),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  // RFC 4231 test case 6: a key longer than the block is hashed first.
  const std::string long_key(131, '\xaa');
  const std::string msg = "Test Using Larger Than Block-Size Key - Hash Key First";
  EXPECT_EQ(HmacHex(HashAlg::kSha256, long_key, msg),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HmacHex(HashAlg::kSha512, long_key, msg), 
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
            "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

std::string Pbkdf2Hex(HashAlg alg, const std::string& p, const std::string& s, uint32_t c,
                      size_t len) {
  std::string out(len, '\0');
  Pbkdf2(alg, p.data(), p.size(), s.data(), s.size(), c, reinterpret_cast<uint8_t*>(out.data()),
         len);
  return absl::BytesToHexString(out);
}

TEST(Pbkdf2Test, Rfc6070) {
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha1, "password", "salt", 1, 20),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha1, "password", "salt", 2, 20),
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha1, "password", "salt", 4096, 20),
            "4b007901b765489abead49d926f721d065a429c1");
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha1, "passwordPASSWORDpassword",
                      "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha1, std::string("pass\0word", 9), std::string("sa\0lt", 5),
                      4096, 16),
            "56fa6aa75548099dcc37d7f03425e0c3");
}

TEST(Pbkdf2Test, Rfc7914Section11) {
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha256, "passwd", "salt", 1, 64),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha256, "Password", "NaCl", 80000, 64),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(Pbkdf2Test, Sha512SeveralBlocks) {
  // 100 bytes: two SHA-512 blocks, the second cut short (hashlib).
  EXPECT_EQ(Pbkdf2Hex(HashAlg::kSha512, "password", "salt", 3, 100), 
            "b6b07cb2cebf4ad84468391a543824fccffe0e0769dbe6bddf10a65673c4b648"
            "e612d44918f9ce9a19a1294cf5140628084ba994c3b21a4ef4741220b811c633"
            "cfc0641fccbcc4164f1bbfcb1f33f595ae9aa4a33ddcce570157775980362c0e"
            "e28aa340");
}

}  // namespace
}  // namespace baton::stage1::luks
