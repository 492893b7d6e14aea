#include "supervisor/stage1/luks_aes.h"

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace baton::stage1::luks {
namespace {

std::string Bytes(const std::string& hex) { return absl::HexStringToBytes(hex); }
const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* U(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

// 000102…ff twice: the plaintext of IEEE 1619's 512-byte vectors.
std::string Counting512() {
  std::string s;
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  }
  return s;
}

TEST(AesTest, Fips197AppendixC) {
  const std::string pt = Bytes("00112233445566778899aabbccddeeff");
  struct Case {
    const char* key;
    const char* ct;
  };
  const Case cases[] = {
      {"000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"},
      {"000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191"},
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "8ea2b7ca516745bfeafc49904b496089"},
  };
  for (const Case& c : cases) {
    const std::string key = Bytes(c.key);
    Aes aes;
    ASSERT_TRUE(aes.SetKey(U(key), key.size()));
    uint8_t out[16];
    aes.EncryptBlock(U(pt), out);
    EXPECT_EQ(absl::BytesToHexString(std::string(reinterpret_cast<char*>(out), 16)), c.ct);
    const std::string ct = Bytes(c.ct);
    aes.DecryptBlock(U(ct), out);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 16), pt) << c.key;
  }
}

TEST(AesTest, RejectsOtherKeySizes) {
  Aes aes;
  uint8_t key[64] = {};
  EXPECT_FALSE(aes.SetKey(key, 20));
  EXPECT_FALSE(aes.SetKey(key, 64));
}

// IEEE 1619-2007 vector 4 (AES-128 halves, data unit 0).
TEST(DecryptSectorsTest, XtsIeee1619Vector4) {
  std::string data = Bytes(
      "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
      "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
      "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
      "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
      "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
      "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
      "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
      "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
      "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
      "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
      "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
      "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
      "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
      "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
      "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
      "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568");
  const std::string key =
      Bytes("27182818284590452353602874713526" "31415926535897932384626433832795");
  absl::StatusOr<CipherSpec> spec = ParseCipher("aes-xts-plain64");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(DecryptSectors(*spec, U(key), key.size(), U(data), data.size(), 0).ok());
  EXPECT_EQ(data, Counting512());
}

// IEEE 1619-2007 vector 10 (AES-256 halves, data unit 0xff) and the next
// sector (0x100: the tweak's carry into the second byte).
TEST(DecryptSectorsTest, XtsIeee1619Vector10TwoSectors) {
  std::string data = Bytes(
      "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
      "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
      "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
      "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
      "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
      "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
      "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
      "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
      "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
      "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
      "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
      "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
      "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
      "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
      "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
      "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151"
      "6be0df89e19a1840fc5f70c9d68bf667308afa5e9c24eb2ce35ab0c038f6ed44"
      "baebcb495b04432dd70450aa51411e8cab13f349a3faaf5282995a78f65c6fff"
      "c6e415810b7459c6d3a58bb64abf3f5a3da83eb4051b27cfc2b3be21668b76f7"
      "aec63a243731770ef59a37f2d1ef48ac2e7b73219b9cacfb2c2bbab0d1ba4a44"
      "9e34e2cfc9583a75d7715c0b9a44a2405105b3c21ccb8953c83762c4440aabcf"
      "87ce66138d6b4efdac665a3c81cfd432d56a14953fea868eb12892927391c7bb"
      "8eb993838cb8c1a3fa4245c4ba580e2bb0c24513231807b1fb8c0a33037be8a3"
      "41cbb43346f5e478fb887822809e0109291abbaf78f63accf6d8f66a97fa0e53"
      "ace5fb5a908b087300a32724fbbeec46384e84b87c268305e7253bc4dc80035c"
      "2fcbadd1f4a63f47382f8d6cae21b4ca50eac0e5d3860c9039860f5e30d02e4d"
      "2d26f18e6d8886831f8f2a84ea2bc05a36c71e0ea4196a66871ca3da58df3207"
      "54b21ef7733269a79ee56c396a3ab5b4537e456b299790027519544bd8f9e459"
      "38ba1dee8a81b0617fb8c238153e0d413f404da90ba0624ed593d44f0193fd3e"
      "3393cf2fad90dfef92179a83f958d14de12d45472e589914ddbc37c3ce8208c0"
      "10826246a75391e2039fb46fdd280b8453aa0c9e9d6597b0133ac688baf2aac0"
      "526b10728a1ce13558c56d50056b642f04a80224614437aed14ef05759c3b9cc");
  const std::string key = Bytes(
      "2718281828459045235360287471352662497757247093699959574966967627"
      "3141592653589793238462643383279502884197169399375105820974944592");
  absl::StatusOr<CipherSpec> spec = ParseCipher("aes", "xts-plain64");
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(DecryptSectors(*spec, U(key), key.size(), U(data), data.size(), 0xff).ok());
  std::string reversed = Counting512();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(data, Counting512() + reversed);
}

// Sectors 5 and 6 of aes-cbc-essiv:sha256 (made with Python's cryptography:
// IV = AES-256(SHA-256(key), sector), then CBC).
TEST(DecryptSectorsTest, CbcEssivSha256) {
  std::string data = Bytes(
      "48c016b397feb53b0a508d772a0084ecde018ddb544876d2bccb55ea791ac980"
      "475072191739e3bce33b2a8b354fd38d9d822a615c9b40c069fcad86fb96773d"
      "3d567f4ef800e221dc23b11a18fb0a2696afaee125ae5b80326a17a5b8a674a8"
      "8678865e8663f8171ded073b78be5321e8f60285e55e23922c9223678c7259dd"
      "37e8fa18a788b86cf90afb252f659acf220a93ddfd6d0cbd34129ea258a87c54"
      "3d33710a7f25d88bb43a08f40de56706bdd4f79c094452db446df893ed071012"
      "6addbac400558a7149ce081aa935273116dd1fa347783de2c74987ae03c22ef8"
      "c3a0ed4852103f20b35a1d8eca25fd3a55445a6f397dba7e4b6c054bfa59cc92"
      "c6489d98db2ad639a5187031a06c2bf3f8cb34796248c45c45a99d7358bd6ceb"
      "83f86b0c98d0896a515daffc5842f50a639cfa32a86089225d4c7c056d9890e8"
      "fbc97e7ebb383c98ae26f3a0130a3014eebf078fb360a2aeff3662df224dbeb9"
      "66f46ec27b6fd42f8b2dc21aa743f8a11aa364736e9b48298d47f2bba9fcf71a"
      "bfceae2c2a2f8ac599cad53ba67c96b537d97a6e37b39cfccdec77e00194a506"
      "29c4230c5acab5743a57c5f2d6b193fc7f3cdae776680f10512b9fbbe764b983"
      "e5f005f01d1b0c5ed937ab445cfed0c4eeef939fdbd25b2528a6e58b1fc1dc59"
      "4a2a60fa26a6e9fb4c0cbda0760b742482a704ef84ab0fbcc39d103b651fa1d0"
      "adbcd3892fe14f6dfa463bc510cfaeec0db7e663d72dc5b4f29cb42bbf678f3e"
      "6bcfe88cdea891c2508f94a836119c22afa39f378eb1377add775626bb987476"
      "8afc4cc0627b8b0d33df0f1fd58133fe95c75d596e1e8c581f4eaf8a61423026"
      "3b2cde22e9192cf09c15c435358462f4e3244f270556325183f1ad3bff132cc6"
      "b73987458ff4b5435d03fb66d74c8035c9cc7c95eac3591d49e77045d662a15a"
      "2be550df3de64515c64134a4af9d616c2ef1a52b765da6a83bd9d8a30e0ccf37"
      "9b419730767d2e8ef8f69e57dd66f3d7e1b2aa1ea04f3a1ef55a1eeac0170950"
      "bbfe2d836e35ad79c31cdc72b5c0922309ad4c553955e6f884f4f6446f893519"
      "3beb5eb48a6d5ea9bde129d7400d844e9b8cd1a3dab17f44694a5a1188826a99"
      "74d6a7219b260efa0093981df88f75276d7925f4b9d6663b79b7d51866c0a993"
      "9db239361fb4664336d3d896cb6e74462a952a4e464aece790ebff0005f9fe35"
      "4e07f6eeef4864deea38f6ca8d94253c525d823d275b4536069fd1dc9c9fb04b"
      "dd099810970bd1300362fc05645f581d1d27a7090793962a8732e9e5c440800e"
      "57ccbf3a2dca915521ac966b5383d884acfdaf77e1ebd61e4b41de5ddcc560ce"
      "8405b2e6b3f1c5e2bb503cd1e992e0cab4ed763d514a9291b51830c24a8954cc"
      "6336c339e70a81a93114e2c3106a1c857dfb96604c8b993ac836b3ce7520df00");
  std::string key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(i));
  absl::StatusOr<CipherSpec> spec = ParseCipher("aes", "cbc-essiv:sha256");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->DmName(), "aes-cbc-essiv:sha256");
  ASSERT_TRUE(DecryptSectors(*spec, U(key), key.size(), U(data), data.size(), 5).ok());
  std::string reversed = Counting512();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(data, Counting512() + reversed);
}

// cbc-plain: the IV is the sector number's low 32 bits.
TEST(DecryptSectorsTest, CbcPlainTruncatesTheSector) {
  std::string data = Bytes(
      "dc19781ac21a15bdac87d20349cd79cac5d9c190b34c33fa8a8f325e9c00754d"
      "4d5c24d388c2e7d372084e139b38b3f444b83982720ca9ef96f61fd09903949e"
      "84b8f19bf9c63a6a57693daa3166d2783882c2dc2752e184960cbe5e66a9af40"
      "ffcb49a43e01d6efb91670b8ac5dd20b4d3ecbec541d5469645e5d7f4e2f39d2"
      "508826c26a6b0acd8d3b59f4d4b5f5f2bd4da3df4efa38aa5825cdeb63ee05d9"
      "add5e6221c06ca3ac31b4d6f23e47c5b90424543852fa773c23e452faf853470"
      "f95326f5bcf3221d170fa4b6aed6b78e9e584d8b3664a8c79570836feacf10cc"
      "a300266cf45440268297df4c547adfdd42a21fbbe65b2187efe1266a29eab2c2"
      "3db86b1ef823fff1a9cc932124feca3213ae35ae40930a930eb705a40818ad6a"
      "50efa87955deb7c4af2572d15b200645c06643030fb6d0481239c85b20355890"
      "8c299b04c909a9c48d90b44d3aa13e3586b7ba908903fefa81d7e1037af1c969"
      "44b8ea3d7c6e1873c76d8cb962bfc164f05f59e77c75d0bd3c11c7032b460d7f"
      "705bf6e8cd1cb08419ddab0fded52082a6cd2a22164dd2b2fba3e1c368aca9f9"
      "ef2af883dffd114eb89e069be8697e0eeb1342335097d995d393b21fbbc341dc"
      "3edaf6d0cd869caa72db1d751decddf427b7238e90078804003e1465d18963a6"
      "d4ae65ae3136603ffeb37a930daab84c9da939df8a21a00d84b59721742c1599");
  std::string key;
  for (int i = 0; i < 16; ++i) key.push_back(static_cast<char>(i));
  absl::StatusOr<CipherSpec> spec = ParseCipher("aes-cbc-plain");
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(
      DecryptSectors(*spec, U(key), key.size(), U(data), data.size(), (1ull << 32) + 7).ok());
  EXPECT_EQ(data, Counting512());
}

TEST(DecryptSectorsTest, RefusesBadInput) {
  absl::StatusOr<CipherSpec> spec = ParseCipher("aes-xts-plain64");
  ASSERT_TRUE(spec.ok());
  std::string key(64, 'k');
  std::string data(100, 'd');
  EXPECT_FALSE(DecryptSectors(*spec, U(key), key.size(), U(data), data.size()).ok());
  data.assign(512, 'd');
  EXPECT_FALSE(DecryptSectors(*spec, U(key), 16, U(data), data.size()).ok());
}

TEST(ParseCipherTest, NamesWhatIsNotSupported) {
  EXPECT_EQ(ParseCipher("aes-xts-plain64")->DmName(), "aes-xts-plain64");
  EXPECT_EQ(ParseCipher("aes", "xts-plain")->DmName(), "aes-xts-plain");
  EXPECT_EQ(ParseCipher("aes-cbc-plain64")->DmName(), "aes-cbc-plain64");
  absl::StatusOr<CipherSpec> serpent = ParseCipher("serpent-xts-plain64");
  ASSERT_FALSE(serpent.ok());
  EXPECT_NE(serpent.status().message().find("serpent-xts-plain64"), std::string::npos);
  EXPECT_FALSE(ParseCipher("aes-ecb").ok());
  EXPECT_FALSE(ParseCipher("aes-cbc-essiv:sha1").ok());
  EXPECT_FALSE(ParseCipher("aes-xts-essiv:sha256").ok());
  EXPECT_FALSE(ParseCipher("capi:xts(aes)-plain64").ok());
  EXPECT_FALSE(ParseCipher("aes").ok());
}

}  // namespace
}  // namespace baton::stage1::luks
