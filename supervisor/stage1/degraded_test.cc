#include "supervisor/stage1/degraded.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using Kind = DegradedDecision::Kind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fake timeline: T(1.5) is 1.5 s after stage 1 started.
const absl::Time kStart = absl::FromUnixSeconds(1000);
absl::Time T(double seconds) { return kStart + absl::Seconds(seconds); }

class DegradedTest : public ::testing::Test {
 protected:
  // Coldplug of two disks of a two-member RAID1 "md0", one of them missing.
  DegradedArbiter Booted(DegradedPolicy policy) {
    DegradedArbiter a(policy, kStart, absl::Seconds(180), absl::Seconds(2));
    a.SetUeventQueueEmpty(false, T(0.1));
    a.BlockDeviceAdded(T(0.2));
    a.ArrayIncomplete("md0", 1, 2, T(0.2));
    a.BlockDeviceAdded(T(0.3));
    a.ColdplugDone(T(0.4));
    a.SetUeventQueueEmpty(true, T(0.5));
    return a;
  }
};

TEST(QuietTrackerTest, SettledNeedsColdplugAnEmptyQueueAndNoBusyJob) {
  QuietTracker quiet(T(0));
  EXPECT_FALSE(quiet.Settled());
  EXPECT_EQ(quiet.Unsettled(), "coldplug running");
  quiet.SetUeventQueueEmpty(false, T(1));
  quiet.ColdplugDone(T(2));
  EXPECT_EQ(quiet.Unsettled(), "uevents queued");
  quiet.SetBusyJobs(2, T(3));
  quiet.SetUeventQueueEmpty(true, T(4));
  EXPECT_EQ(quiet.Unsettled(), "2 unlock/scan job(s) running");
  EXPECT_EQ(quiet.last_activity(), T(0));
  quiet.SetBusyJobs(0, T(5));  // the return to settled starts the window
  EXPECT_TRUE(quiet.Settled());
  EXPECT_EQ(quiet.Unsettled(), "");
  EXPECT_EQ(quiet.last_activity(), T(5));
  quiet.BlockDeviceAdded(T(7));
  EXPECT_EQ(quiet.last_activity(), T(7));
  quiet.BlockDeviceAdded(T(6));  // never backwards
  EXPECT_EQ(quiet.last_activity(), T(7));
  quiet.SetBusyJobs(-3, T(8));  // clamped: still settled, window unchanged
  EXPECT_TRUE(quiet.Settled());
  EXPECT_EQ(quiet.last_activity(), T(7));
}

TEST_F(DegradedTest, WaitsForTheQuietWindowThenStartsDegraded) {
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  EXPECT_EQ(a.Decide(T(1.0)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), T(2.5));  // 2 s after the queue drained
  EXPECT_EQ(a.Decide(T(2.4)).kind, Kind::kWait);
  DegradedDecision d = a.Decide(T(2.5));
  EXPECT_EQ(d.kind, Kind::kStartDegraded);
  EXPECT_THAT(d.arrays, ElementsAre("md0"));
  EXPECT_THAT(d.reason, HasSubstr("md0"));
  // Reported once: the next answer waits for the rootdelay point.
  EXPECT_EQ(a.Decide(T(2.6)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), T(180));
}

TEST_F(DegradedTest, LateDeviceRestartsTheQuietWindow) {
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  EXPECT_EQ(a.Decide(T(2.0)).kind, Kind::kWait);
  // A slow USB disk appears (not the member): the window starts again.
  a.SetUeventQueueEmpty(false, T(2.2));
  a.BlockDeviceAdded(T(2.2));
  EXPECT_EQ(a.Decide(T(2.5)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), std::nullopt);  // queue busy: wait for an observation
  a.SetUeventQueueEmpty(true, T(2.3));
  EXPECT_EQ(a.Decide(T(4.2)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), T(4.3));
  EXPECT_EQ(a.Decide(T(4.3)).kind, Kind::kStartDegraded);
}

TEST_F(DegradedTest, MissingMemberArrivingInTimeMeansNoDegrade) {
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  a.BlockDeviceAdded(T(1.9));
  a.ArrayGone("md0", T(1.95));  // assembled complete
  a.RootFound(T(2.0));
  DegradedDecision d = a.Decide(T(60));
  EXPECT_EQ(d.kind, Kind::kWait);
  EXPECT_EQ(d.reason, "root found");
  EXPECT_EQ(a.NextCheck(), std::nullopt);
  EXPECT_EQ(a.Decide(T(500)).kind, Kind::kWait);  // never gives up once found
}

TEST_F(DegradedTest, NeverDegradesWhileAnUnlockJobRuns) {
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  a.SetBusyJobs(1, T(1.0));  // cryptsetup waiting for a passphrase
  DegradedDecision d = a.Decide(T(30));
  EXPECT_EQ(d.kind, Kind::kWait);
  EXPECT_THAT(d.reason, HasSubstr("job"));
  EXPECT_EQ(a.NextCheck(), std::nullopt);
  // Even past rootdelay: the user is typing.
  EXPECT_EQ(a.Decide(T(400)).kind, Kind::kWait);
  // The job ends; the device it unlocked arrives a moment later. The end of
  // the job restarts the window, so that moment does not count as quiet.
  a.SetBusyJobs(0, T(401));
  EXPECT_EQ(a.Decide(T(401.05)).kind, Kind::kWait);
  a.BlockDeviceAdded(T(401.1));
  a.ArrayIncomplete("md0", 2, 2, T(401.1));
  a.ArrayGone("md0", T(401.2));
  a.RootFound(T(401.3));
  EXPECT_EQ(a.Decide(T(410)).kind, Kind::kWait);
}

TEST_F(DegradedTest, WaitsForColdplug) {
  DegradedArbiter a(DegradedPolicy::kAuto, kStart);
  a.ArrayIncomplete("md0", 1, 2, T(0.1));
  DegradedDecision d = a.Decide(T(10));
  EXPECT_EQ(d.kind, Kind::kWait);
  EXPECT_EQ(d.reason, "coldplug running");
  a.ColdplugDone(T(10));
  EXPECT_EQ(a.NextCheck(), T(12));  // the default grace is 2 s
  EXPECT_EQ(a.Decide(T(12)).kind, Kind::kStartDegraded);
}

TEST_F(DegradedTest, NeverWaitsForRootdelayThenGivesUp) {
  DegradedArbiter a = Booted(DegradedPolicy::kNever);
  EXPECT_EQ(a.Decide(T(3)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), T(180));
  EXPECT_EQ(a.Decide(T(179.9)).kind, Kind::kWait);
  DegradedDecision d = a.Decide(T(180));
  EXPECT_EQ(d.kind, Kind::kGiveUp);
  EXPECT_THAT(d.reason, HasSubstr("baton.md.degraded=never"));
  EXPECT_THAT(d.reason, HasSubstr("md0"));
  EXPECT_EQ(a.NextCheck(), std::nullopt);
}

TEST_F(DegradedTest, NeverStillTakesTheLateMember) {
  DegradedArbiter a = Booted(DegradedPolicy::kNever);
  EXPECT_EQ(a.Decide(T(60)).kind, Kind::kWait);
  a.BlockDeviceAdded(T(61));
  a.ArrayGone("md0", T(61.1));
  a.RootFound(T(61.5));
  EXPECT_EQ(a.Decide(T(200)).kind, Kind::kWait);
}

TEST_F(DegradedTest, AskAsksOnceAndFollowsTheAnswer) {
  DegradedArbiter a = Booted(DegradedPolicy::kAsk);
  DegradedDecision q = a.Decide(T(2.5));
  EXPECT_EQ(q.kind, Kind::kAsk);
  EXPECT_THAT(q.arrays, ElementsAre("md0"));
  EXPECT_EQ(a.Decide(T(3)).kind, Kind::kWait);  // question open
  a.Answer(true, T(5));
  EXPECT_EQ(a.NextCheck(), T(5));
  DegradedDecision d = a.Decide(T(5));
  EXPECT_EQ(d.kind, Kind::kStartDegraded);
  EXPECT_THAT(d.arrays, ElementsAre("md0"));
}

TEST_F(DegradedTest, AskAnsweredNoActsAsNever) {
  DegradedArbiter a = Booted(DegradedPolicy::kAsk);
  ASSERT_EQ(a.Decide(T(2.5)).kind, Kind::kAsk);
  a.Answer(false, T(4));
  EXPECT_EQ(a.Decide(T(4)).kind, Kind::kWait);
  a.ArrayIncomplete("md1", 1, 3, T(5));  // another array: not started either
  EXPECT_EQ(a.Decide(T(10)).kind, Kind::kWait);
  DegradedDecision d = a.Decide(T(180));
  EXPECT_EQ(d.kind, Kind::kGiveUp);
  EXPECT_THAT(d.reason, HasSubstr("answered no"));
}

TEST_F(DegradedTest, NoArraysGivesUpAtRootdelay) {
  DegradedArbiter a(DegradedPolicy::kAuto, kStart, absl::Seconds(30));
  a.BlockDeviceAdded(T(0.2));
  a.ColdplugDone(T(0.5));
  EXPECT_EQ(a.Decide(T(3)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), T(30));
  EXPECT_EQ(a.Decide(T(30)).kind, Kind::kGiveUp);
}

TEST_F(DegradedTest, ArraysWithNoMembersOrCompleteAreNotCandidates) {
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  a.ArrayIncomplete("md0", 2, 2, T(0.6));
  a.ArrayIncomplete("md9", 0, 2, T(0.6));
  EXPECT_EQ(a.Decide(T(5)).kind, Kind::kWait);
}

TEST_F(DegradedTest, NewMemberCountMakesAnArrayACandidateAgain) {
  DegradedArbiter a(DegradedPolicy::kAuto, kStart);
  a.ColdplugDone(T(0));
  a.ArrayIncomplete("md5", 1, 4, T(0.1));
  a.ArrayIncomplete("md0", 1, 2, T(0.1));
  DegradedDecision first = a.Decide(T(2));
  EXPECT_EQ(first.kind, Kind::kStartDegraded);
  EXPECT_THAT(first.arrays, ElementsAre("md0", "md5"));  // sorted
  // md5's start failed (too few members); another member shows up later.
  a.BlockDeviceAdded(T(10));
  a.ArrayIncomplete("md5", 3, 4, T(10));
  EXPECT_EQ(a.Decide(T(11)).kind, Kind::kWait);
  DegradedDecision second = a.Decide(T(12));
  EXPECT_EQ(second.kind, Kind::kStartDegraded);
  EXPECT_THAT(second.arrays, ElementsAre("md5"));
}

TEST_F(DegradedTest, ResumeWaitingStartsArraysAfterTheRootIsFound) {
  // The root is on a plain disk; the swap with the image may be on md0.
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  a.RootFound(T(0.3));
  a.SetResumeWaiting(true, T(0.3));
  EXPECT_TRUE(a.HasCandidates());
  EXPECT_EQ(a.last_start(), absl::InfinitePast());
  EXPECT_EQ(a.Decide(T(2.4)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), T(2.5));
  DegradedDecision d = a.Decide(T(2.5));
  EXPECT_EQ(d.kind, Kind::kStartDegraded);
  EXPECT_THAT(d.arrays, ElementsAre("md0"));
  EXPECT_THAT(d.reason, HasSubstr("resume device missing"));
  EXPECT_FALSE(a.HasCandidates());
  EXPECT_EQ(a.last_start(), T(2.5));
  // Nothing left; the root is there: no rootdelay point, never kGiveUp.
  EXPECT_EQ(a.NextCheck(), std::nullopt);
  EXPECT_EQ(a.Decide(T(500)).kind, Kind::kWait);
  // The gate decided: back to "root found".
  a.SetResumeWaiting(false, T(501));
  EXPECT_EQ(a.Decide(T(502)).reason, "root found");
}

TEST_F(DegradedTest, WithoutResumeWaitingTheFoundRootEndsIt) {
  DegradedArbiter a = Booted(DegradedPolicy::kAuto);
  a.RootFound(T(0.3));
  EXPECT_EQ(a.Decide(T(10)).kind, Kind::kWait);
  EXPECT_EQ(a.NextCheck(), std::nullopt);
  EXPECT_EQ(a.last_start(), absl::InfinitePast());
}

TEST_F(DegradedTest, HasCandidatesFollowsThePolicyAndTheAnswer) {
  DegradedArbiter never = Booted(DegradedPolicy::kNever);
  EXPECT_FALSE(never.HasCandidates());
  DegradedArbiter ask = Booted(DegradedPolicy::kAsk);
  ask.RootFound(T(0.3));
  ask.SetResumeWaiting(true, T(0.3));
  EXPECT_TRUE(ask.HasCandidates());
  ASSERT_EQ(ask.Decide(T(2.5)).kind, Kind::kAsk);
  EXPECT_EQ(ask.last_start(), T(2.5));  // the question is activity too
  EXPECT_FALSE(ask.HasCandidates());
  ask.Answer(true, T(4));
  EXPECT_TRUE(ask.HasCandidates());  // to be started at the next Decide
  EXPECT_EQ(ask.Decide(T(4)).kind, Kind::kStartDegraded);
  EXPECT_FALSE(ask.HasCandidates());
  DegradedArbiter no = Booted(DegradedPolicy::kAsk);
  ASSERT_EQ(no.Decide(T(2.5)).kind, Kind::kAsk);
  no.Answer(false, T(4));
  no.ArrayIncomplete("md1", 1, 2, T(5));
  EXPECT_FALSE(no.HasCandidates());
}

TEST(DegradedNamesTest, KindNames) {
  EXPECT_EQ(DegradedDecisionKindName(Kind::kStartDegraded), "start-degraded");
  EXPECT_EQ(DegradedDecisionKindName(Kind::kGiveUp), "give-up");
}

}  // namespace
}  // namespace baton::stage1
