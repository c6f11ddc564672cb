#include "dispatcher/kafka/offset_tracker.h"

#include <gtest/gtest.h>

namespace bulkd::dispatcher {
namespace {

TEST(OffsetTrackerTest, StartsWithNothingToCommit) {
  OffsetTracker tracker;
  EXPECT_EQ(tracker.Committable(), -1);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(OffsetTrackerTest, CommitsOnlyUpToTheLowestUnfinishedOffset) {
  OffsetTracker tracker;
  for (int64_t o = 10; o < 15; ++o) tracker.Track(o);
  EXPECT_EQ(tracker.Committable(), 10);
  tracker.MarkDone(12);
  tracker.MarkDone(11);
  EXPECT_EQ(tracker.Committable(), 10);  // 10 still open
  tracker.MarkDone(10);
  EXPECT_EQ(tracker.Committable(), 13);
  tracker.MarkDone(14);
  EXPECT_EQ(tracker.Committable(), 13);
  tracker.MarkDone(13);
  EXPECT_EQ(tracker.Committable(), 15);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(OffsetTrackerTest, ToleratesGapsInOffsets) {
  OffsetTracker tracker;
  tracker.Track(3);
  tracker.Track(7);
  tracker.MarkDone(3);
  EXPECT_EQ(tracker.Committable(), 7);
  tracker.MarkDone(7);
  EXPECT_EQ(tracker.Committable(), 8);
}

TEST(OffsetTrackerTest, IgnoresUnknownAndRepeatedCompletions) {
  OffsetTracker tracker;
  tracker.Track(0);
  tracker.Track(1);
  tracker.MarkDone(5);
  tracker.MarkDone(1);
  tracker.MarkDone(1);
  EXPECT_EQ(tracker.pending(), 1u);
  EXPECT_EQ(tracker.Committable(), 0);
}

TEST(OffsetTrackerTest, IgnoresReplayedOffsetsAlreadyTracked) {
  OffsetTracker tracker;
  tracker.Track(0);
  tracker.Track(1);
  tracker.Track(1);
  EXPECT_EQ(tracker.pending(), 2u);
}

}  // namespace
}  // namespace bulkd::dispatcher
