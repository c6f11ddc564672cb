#include "dispatcher/kafka/offset_tracker.h"

#include <algorithm>

namespace bulkd::dispatcher {

void OffsetTracker::Track(int64_t offset) {
  if (offset < next_after_last_) return;  // replayed after a seek: already tracked
  window_.push_back({offset, false});
  next_after_last_ = offset + 1;
  ++pending_;
}

void OffsetTracker::MarkDone(int64_t offset) {
  auto it = std::lower_bound(window_.begin(), window_.end(), offset,
                             [](const Entry& e, int64_t o) { return e.offset < o; });
  if (it == window_.end() || it->offset != offset || it->done) return;
  it->done = true;
  --pending_;
  while (!window_.empty() && window_.front().done) window_.pop_front();
}

int64_t OffsetTracker::Committable() const {
  return window_.empty() ? next_after_last_ : window_.front().offset;
}

}  // namespace bulkd::dispatcher
