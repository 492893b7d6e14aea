#include "supervisor/personality.h"

#include "gtest/gtest.h"

namespace baton::supervisor {
namespace {

TEST(PersonalityTest, BasenamePicksThePersonality) {
  EXPECT_EQ(PersonalityOf("modprobe"), Personality::kModprobe);
  EXPECT_EQ(PersonalityOf("/sbin/modprobe"), Personality::kModprobe);
  EXPECT_EQ(PersonalityOf("initctl"), Personality::kInitctl);
  EXPECT_EQ(PersonalityOf("/usr/sbin/initctl"), Personality::kInitctl);
  EXPECT_EQ(PersonalityOf("../bin/initctl"), Personality::kInitctl);
}

TEST(PersonalityTest, EverythingElseIsTheSupervisor) {
  EXPECT_EQ(PersonalityOf(nullptr), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf(""), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("/init"), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("baton"), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("/sbin/baton"), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("initctl2"), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("/initctl/baton"), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("xmodprobe"), Personality::kSupervisor);
  EXPECT_EQ(PersonalityOf("initctl/"), Personality::kSupervisor);
}

}  // namespace
}  // namespace baton::supervisor
