#include "tools/mkinitramfs/compress.h"

#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

std::string Payload() {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "baton initramfs " + std::to_string(i % 97);
  return s;
}

class RoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(RoundTrip, CompressDetectDecompress) {
  std::string in = Payload();
  absl::StatusOr<std::string> z = Compress(in, GetParam());
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(DetectCompression(*z), GetParam());
  if (GetParam() != Compression::kNone) {
    EXPECT_LT(z->size(), in.size() / 4);
  }
  absl::StatusOr<std::string> back = Decompress(*z);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, in);
  // Reproducible.
  EXPECT_EQ(*Compress(in, GetParam()), *z);
}

INSTANTIATE_TEST_SUITE_P(All, RoundTrip,
                         ::testing::Values(Compression::kZstd, Compression::kGzip,
                                           Compression::kXz, Compression::kLz4,
                                           Compression::kNone));

TEST(CompressTest, Lz4UsesTheLegacyFrame) {
  absl::StatusOr<std::string> z = Compress("hello", Compression::kLz4);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->substr(0, 4), std::string("\x02\x21\x4c\x18"));
}

TEST(CompressTest, ParseNames) {
  EXPECT_EQ(*ParseCompression("xz"), Compression::kXz);
  EXPECT_EQ(*ParseCompression("none"), Compression::kNone);
  EXPECT_FALSE(ParseCompression("bzip2").ok());
  EXPECT_STREQ(CompressionName(Compression::kZstd), "zstd");
}

TEST(CompressTest, FilterErrors) {
  absl::StatusOr<std::string> r = RunFilter({"no-such-tool-here"}, "x");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no-such-tool-here"), absl::string_view::npos);
  EXPECT_FALSE(RunFilter({"false"}, "").ok());
  EXPECT_FALSE(Decompress("\x28\xb5\x2f\xfd garbage").ok());
  // Output larger than a pipe buffer while input is still being written.
  std::string big(8 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i * 31);
  absl::StatusOr<std::string> z = Compress(big, Compression::kZstd);
  ASSERT_TRUE(z.ok());
  absl::StatusOr<std::string> back = Decompress(*z);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), big.size());
  absl::StatusOr<std::string> cat = RunFilter({"cat"}, Payload());
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ(*cat, Payload());
}

}  // namespace
}  // namespace baton::mkinitramfs
