// Runs the fuzz entry point over a corpus of mutated goldens: truncations
// at every 97th byte, single bit flips at every 3rd bit, byte overwrites
// inside the payload with the checksum fixed up (so the protobuf parser and
// the per-item checks see damaged data, not just the CRC), and appended
// junk. LLVMFuzzerTestOneInput aborts on any inconsistency.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadGolden(const std::string& name) {
  std::ifstream in("tests/golden/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Feed(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// CRC-32C, bitwise: the test keeps its own so it does not trust the codec's.
uint32_t Crc(const std::string& s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string Refit(std::string frame) {
  uint32_t crc = Crc(frame.substr(16));
  for (int i = 0; i < 4; ++i) frame[12 + i] = static_cast<char>(crc >> (8 * i));
  return frame;
}

class DecodeFuzzTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DecodeFuzzTest, MutatedGoldensNeverCrash) {
  std::string golden = ReadGolden(GetParam());
  ASSERT_GT(golden.size(), 16u);
  int runs = 0;
  for (size_t n = 0; n <= golden.size(); n += 97, ++runs) Feed(golden.substr(0, n));
  for (size_t bit = 0; bit < golden.size() * 8; bit += 3, ++runs) {
    std::string m = golden;
    m[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    Feed(m);
  }
  uint32_t seed = 12345;
  for (int i = 0; i < 4000; ++i, ++runs) {
    std::string m = golden;
    int edits = 1 + i % 4;
    for (int e = 0; e < edits; ++e) {
      seed = seed * 1103515245u + 12345u;
      size_t pos = 16 + (seed >> 8) % (golden.size() - 16);
      seed = seed * 1103515245u + 12345u;
      m[pos] = static_cast<char>(seed >> 16);
    }
    Feed(Refit(m));
  }
  Feed(golden + std::string(1000, '\xff'));
  Feed(std::string(golden.size(), '\0'));
  EXPECT_GT(runs, 4000);
}

// Every format's golden: the packed log lines (2) and environments (3) meet
// the damage too.
INSTANTIATE_TEST_SUITE_P(Goldens, DecodeFuzzTest,
                         ::testing::Values("handoff-v1.bin", "handoff-v2.bin", "handoff-v3.bin",
                                           "handoff-v4.bin", "handoff-v5.bin"));

}  // namespace
