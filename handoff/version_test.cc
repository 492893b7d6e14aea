#include "handoff/version.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::handoff {
namespace {

using ::testing::HasSubstr;

TEST(VersionTest, SameVersionAcceptedWithoutWarning) {
  VersionCheck c = CheckVersions(kFormatVersion, kMinReaderVersion);
  EXPECT_TRUE(c.accepted);
  EXPECT_FALSE(c.warning.has_value());
  EXPECT_LE(kMinReaderVersion, kFormatVersion);
  EXPECT_LE(kFormatVersion, kReaderVersion);
}

TEST(VersionTest, MinReaderTooNewRejectedNamingBothVersions) {
  VersionCheck c = CheckVersions(7, 5, 3);
  EXPECT_FALSE(c.accepted);
  EXPECT_THAT(c.reason, HasSubstr("needs reader version 5"));
  EXPECT_THAT(c.reason, HasSubstr("this reader is version 3"));
}

TEST(VersionTest, NewerFormatWithCompatibleMinReaderWarns) {
  VersionCheck c = CheckVersions(4, 3, 3);
  EXPECT_TRUE(c.accepted);
  ASSERT_TRUE(c.warning.has_value());
  EXPECT_THAT(*c.warning, HasSubstr("version skew: handoff format 4, reader version 3"));
}

TEST(VersionTest, OlderFormatAcceptedQuietly) {
  VersionCheck c = CheckVersions(1, 1, 3);
  EXPECT_TRUE(c.accepted);
  EXPECT_FALSE(c.warning.has_value());
}

TEST(VersionTest, MissingHeaderRejected) {
  EXPECT_FALSE(CheckVersions(0, 1).accepted);
  EXPECT_FALSE(CheckVersions(1, 0).accepted);
  EXPECT_EQ(CheckVersions(0, 0).reason, "handoff has no format version");
}

}  // namespace
}  // namespace baton::handoff
