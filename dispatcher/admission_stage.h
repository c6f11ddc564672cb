// dispatcher/admission_stage.h — runs decoded jobs through the Redis admission gate
// (dedupe, opt-out, token buckets: ratelimit/admission.h) on the consumer thread, one
// round trip per batch, and holds the jobs a bucket refused until their wait is over,
// so a slow bucket never blocks jobs for other buckets.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dispatcher/job_context.h"
#include "ratelimit/admission.h"

namespace bulkd::dispatcher {

class Metrics;

struct AdmissionResult {
  std::vector<std::unique_ptr<JobContext>> admitted;    // go to the send shard
  std::vector<std::unique_ptr<JobContext>> opted_out;   // end "suppressed"
  std::vector<std::unique_ptr<JobContext>> duplicates;  // replays: already handled
  void Clear() {
    admitted.clear();
    opted_out.clear();
    duplicates.clear();
  }
};

// Not thread-safe: owned by the consumer thread. Blocks for one Redis round trip per
// call to Admit (bounded by the connection's command timeout).
class AdmissionStage {
 public:
  // `route_name` names the carrier bucket (bucket:carrier:{name}); `metrics` may be null.
  AdmissionStage(ratelimit::Admission& admission, std::string route_name, Metrics* metrics);

  // Decides `incoming` together with every held job whose wait is over. Jobs a bucket
  // refused, and all jobs while Redis is unreachable (fail closed), are held.
  void Admit(std::vector<std::unique_ptr<JobContext>>& incoming, AdmissionResult& result);

  size_t held() const { return held_.size(); }
  // False after a failed round trip, until one succeeds.
  bool redis_available() const { return redis_available_; }
  // When the earliest held job is due; time_point::max() when none is held.
  std::chrono::steady_clock::time_point next_due() const;

 private:
  void Hold(uint64_t arrival, std::unique_ptr<JobContext> job, std::chrono::milliseconds wait);

  ratelimit::Admission& admission_;
  std::string route_name_;
  Metrics* metrics_;
  bool redis_available_ = true;
  struct Held {
    uint64_t arrival;  // order in which the job first reached the gate
    std::unique_ptr<JobContext> job;
  };
  std::multimap<std::chrono::steady_clock::time_point, Held> held_;
  uint64_t next_arrival_ = 0;
  // Reused per batch.
  std::vector<std::unique_ptr<JobContext>> batch_;
  std::vector<uint64_t> arrivals_;  // batch_'s arrival numbers
  std::vector<ratelimit::AdmissionRequest> requests_;
  std::vector<ratelimit::BucketRef> buckets_;
  std::vector<ratelimit::Decision> decisions_;
};

}  // namespace bulkd::dispatcher
