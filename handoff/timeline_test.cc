#include "handoff/timeline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::handoff {
namespace {

TEST(BootTimelineTest, MarksReadBothClocksInOrder) {
  int64_t t = 0;
  BootTimeline timeline([&t] {
    t += 10;
    return BootTimeline::Reading{t, 1000 + t};
  });
  timeline.Mark("stage1-start");
  timeline.Mark("root-mounted");
  ASSERT_EQ(timeline.marks().size(), 2u);
  EXPECT_EQ(timeline.marks()[0].name(), "stage1-start");
  EXPECT_EQ(timeline.marks()[0].monotonic_ns(), 10);
  EXPECT_EQ(timeline.marks()[0].realtime_ns(), 1010);
  EXPECT_EQ(timeline.marks()[1].monotonic_ns(), 20);
  ASSERT_NE(timeline.Find("root-mounted"), nullptr);
  EXPECT_EQ(timeline.Find("nope"), nullptr);
}

TEST(BootTimelineTest, RestoredMarksGoFirst) {
  int64_t t = 100;
  BootTimeline timeline([&t] { return BootTimeline::Reading{++t, t}; });
  timeline.Mark("stage2-ready");
  google::protobuf::RepeatedPtrField<Timestamp> carried;
  carried.Add()->set_name("stage1-start");
  carried.Add()->set_name("exec");
  timeline.Restore(carried);
  google::protobuf::RepeatedPtrField<Timestamp> out;
  timeline.CopyTo(&out);
  ASSERT_EQ(out.size(), 3);
  EXPECT_EQ(out[0].name(), "stage1-start");
  EXPECT_EQ(out[1].name(), "exec");
  EXPECT_EQ(out[2].name(), "stage2-ready");
}

TEST(BootTimelineTest, SystemClockIsPlausible) {
  BootTimeline::Reading a = BootTimeline::SystemClock();
  BootTimeline::Reading b = BootTimeline::SystemClock();
  EXPECT_GE(b.monotonic_ns, a.monotonic_ns);
  EXPECT_GT(a.realtime_ns, int64_t{1600000000} * 1000000000);
}

}  // namespace
}  // namespace baton::handoff
