// dispatcher/kafka/offset_tracker.h — which offset of one partition may be committed.
// Jobs finish out of order; the committable offset is the lowest one not yet at a
// durable hand-off, so a crash replays only unfinished jobs (and some finished ones
// after them: at-least-once, with dedupe downstream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace bulkd::dispatcher {

// Not thread-safe: owned by the consumer thread.
class OffsetTracker {
 public:
  // Records that `offset` was consumed. Offsets must be increasing; gaps are fine.
  void Track(int64_t offset);
  // Records that `offset` reached a durable hand-off. Unknown offsets are ignored
  // (for example after a rebalance took the partition away and gave it back).
  void MarkDone(int64_t offset);
  // The offset to commit: everything below it is done. -1 before anything was tracked.
  int64_t Committable() const;
  // Consumed and not yet done.
  size_t pending() const { return pending_; }

 private:
  struct Entry {
    int64_t offset;
    bool done;
  };
  std::deque<Entry> window_;  // tracked offsets from the lowest unfinished one
  int64_t next_after_last_ = -1;
  size_t pending_ = 0;
};

}  // namespace bulkd::dispatcher
