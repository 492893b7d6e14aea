#include "supervisor/stage1/device_env.h"

#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

TEST(DeviceEnvTest, EnvValueFindsFirst) {
  Env env = {{"A", "1"}, {"B", "2"}, {"A", "3"}};
  EXPECT_EQ(EnvValue(env, "A"), "1");
  EXPECT_EQ(EnvValue(env, "C"), std::nullopt);
  EXPECT_EQ(EnvValueOr(env, "C"), "");
}

TEST(DeviceEnvTest, NormalizeUuidDropsSeparatorsCaseAndLuksPrefix) {
  EXPECT_EQ(NormalizeUuid("ABCD-1234"), "abcd1234");
  EXPECT_EQ(NormalizeUuid("luks-0A1B-2C"), "0a1b2c");
  EXPECT_EQ(NormalizeUuid("1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d"),
            "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d");
  EXPECT_TRUE(SameUuid("1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
                       "1A2B3C4D:5E6F7A8B:9C0D1E2F:3A4B5C6D"));
  EXPECT_FALSE(SameUuid("", ""));
  EXPECT_FALSE(SameUuid("abcd", "abce"));
}

TEST(DeviceEnvTest, DecodeUdevEscapes) {
  EXPECT_EQ(DecodeUdevEscapes("my\\x20root"), "my root");
  EXPECT_EQ(DecodeUdevEscapes("a\\x2fb"), "a/b");
  EXPECT_EQ(DecodeUdevEscapes("bad\\xZZ"), "bad\\xZZ");
  EXPECT_EQ(DecodeUdevEscapes("end\\x2"), "end\\x2");
  EXPECT_EQ(DecodeUdevEscapes("plain"), "plain");
}

TEST(DeviceEnvTest, HasDevicePathLooksAtDevnameAndDevlinks) {
  Env env = {{"DEVNAME", "/dev/sda1"},
             {"DEVLINKS", "/dev/disk/by-id/ata-X-part1 /dev/disk/by-uuid/u1"}};
  EXPECT_TRUE(HasDevicePath(env, "/dev/sda1"));
  EXPECT_TRUE(HasDevicePath(env, "/dev/disk/by-uuid/u1"));
  EXPECT_FALSE(HasDevicePath(env, "/dev/disk/by-uuid/u"));
  EXPECT_FALSE(HasDevicePath(env, ""));
}

}  // namespace
}  // namespace baton::stage1
