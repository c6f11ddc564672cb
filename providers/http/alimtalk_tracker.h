// providers/http/alimtalk_tracker.h — follows the messages a dealer accepted until their
// final result, keyed by (requestId, recipientSeq), and schedules the polls that ask for
// them. Order-insensitive: results may come by poll or webhook, late, twice, or before
// the send reply that names their request; each message yields at most one final.
//
// Pure bookkeeping: no I/O, time is passed in. Not thread-safe (one per provider, on its
// io thread). Never throws except std::bad_alloc.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "providers/http/alimtalk_wire.h"

namespace bulkd::providers::http {

class AlimtalkTracker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Millis = std::chrono::milliseconds;

  struct Config {
    Millis poll_interval{2000};     // between two polls of one request
    Millis result_timeout{360000};  // stop following a message accepted this long ago
    Millis early_retention{60000};  // keep a result for an unknown request this long,
    size_t early_cap = 100000;      // and at most this many such results
  };

  struct Final {
    uint64_t cookie = 0;
    int code = 0;
  };

  explicit AlimtalkTracker(Config config) : config_(config) {}

  // Starts following a request: cookies_by_seq[i] is the cookie of recipientSeq i+1, or
  // 0 for a recipient not to follow (refused, or already final in the send reply). The
  // first poll is due poll_interval from `now`. Returns the finals that arrived before
  // (webhook ahead of the send reply), to report now. A request id seen before is
  // ignored (returns nothing).
  std::vector<Final> AddRequest(const std::string& request_id,
                                std::vector<uint64_t> cookies_by_seq, TimePoint now);

  // One result from a poll or webhook. Returns the cookie and code the first time a
  // followed message gets a final result; nullopt when still in progress, a duplicate,
  // late (no longer followed) or for an unknown request (then kept, see Config).
  std::optional<Final> OnResult(const FinalResult& result, TimePoint now);

  // Appends up to `max` request ids whose poll is due at `now` and reschedules each one
  // poll_interval later.
  void DuePolls(TimePoint now, size_t max, std::vector<std::string>& out);
  // When the earliest poll falls due; nullopt when nothing is followed.
  std::optional<TimePoint> NextPoll() const;

  // Stops following messages accepted more than result_timeout before `now`, and drops
  // expired early results. Returns how many messages were dropped without a final.
  size_t Expire(TimePoint now);

  size_t awaiting() const { return awaiting_; }   // followed messages without a final
  size_t requests() const { return requests_.size(); }
  size_t early() const { return early_.size(); }  // held results for unknown requests

 private:
  struct Request {
    std::vector<uint64_t> cookies;  // by seq - 1; 0 once final or never followed
    size_t open = 0;                // non-zero cookies
    TimePoint expires_at;
  };
  struct Early {
    int code = 0;
    TimePoint expires_at;
  };
  static std::string EarlyKey(const std::string& request_id, uint32_t seq);

  Config config_;
  std::unordered_map<std::string, Request> requests_;
  std::deque<std::pair<TimePoint, std::string>> polls_;       // due time order
  std::deque<std::pair<TimePoint, std::string>> expiries_;    // acceptance order
  std::unordered_map<std::string, Early> early_;
  std::deque<std::pair<TimePoint, std::string>> early_order_;
  size_t awaiting_ = 0;
};

}  // namespace bulkd::providers::http
