// dispatcher/pipeline/admission_stage.h — runs decoded jobs through the Redis admission gate
// (dedupe, opt-out, token buckets: ratelimit/admission.h) on the consumer thread, one
// round trip per batch, and holds the jobs a bucket refused until that bucket can grant
// again, so a slow bucket never blocks jobs for other buckets.
//
// Waiting is per bucket: a job a bucket refused joins that bucket's queue (arrival
// order). New jobs that need a bucket with a queue join the queue without asking Redis
// (they could only be refused, and would overtake older jobs). When the bucket's wait is
// over, the head of its queue is offered: a few jobs first, then, like TCP slow start,
// twice as many while every offered job passes, and as many as passed last time once the
// bucket refuses again. So a saturated bucket costs about one refusal per round trip, not
// one per waiting job, whatever the backlog; workers sharing the bucket each settle on
// their share.
//
// In-flight ledger (when the Admission has a worker id): every job admitted, suppressed
// or recovered here stays in the Redis ledger until Settled() is called with its hand-off
// token (its terminal event is durable); Tick() keeps this worker's heartbeat and removes
// settled entries in one round trip. A replay of a job a live worker still holds is kept
// back (re-asked every 2 s) instead of being dropped, so it cannot lose its terminal event
// if that worker dies.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dispatcher/job_context.h"
#include "ratelimit/admission.h"
#include "ratelimit/number_map.h"

namespace bulkd::dispatcher {

class Metrics;

struct AdmissionResult {
  std::vector<std::unique_ptr<JobContext>> admitted;    // go to the send shard
  std::vector<std::unique_ptr<JobContext>> opted_out;   // end "suppressed"
  std::vector<std::unique_ptr<JobContext>> duplicates;  // replays: already handled
  // Replays of jobs whose worker died before ending them: this worker must end them.
  std::vector<std::unique_ptr<JobContext>> recovered;
  // Likewise, but a provider had accepted them: follow their receipt (never resend).
  std::vector<std::unique_ptr<JobContext>> adopted;
  void Clear() {
    admitted.clear();
    opted_out.clear();
    duplicates.clear();
    recovered.clear();
    adopted.clear();
  }
};

struct AdmissionStageStats {  // monotonic, for tests and debug logs
  uint64_t round_trips = 0;
  uint64_t offered = 0;        // messages sent to the script
  uint64_t refused = 0;        // kWait answers
  uint64_t queued_direct = 0;  // new jobs queued behind a waiting bucket without a round trip
};

// Not thread-safe: owned by the consumer thread. Blocks for one Redis round trip per
// call to Admit (bounded by the connection's command timeout).
class AdmissionStage {
 public:
  using Clock = std::chrono::steady_clock;

  // `route_name` names the carrier bucket (bucket:carrier:{name}); `metrics` may be null.
  AdmissionStage(ratelimit::Admission& admission, std::string route_name, Metrics* metrics);

  // Decides `incoming` together with the head of every bucket queue whose wait is over,
  // offering at most `room` jobs to Redis (the send shard's free room: a job is claimed
  // only when it can go); the rest wait here, unclaimed, in arrival order. Jobs a bucket
  // refused, and all jobs while Redis is unreachable (fail closed), are held.
  // `incoming` is left empty.
  void Admit(std::vector<std::unique_ptr<JobContext>>& incoming, AdmissionResult& result,
             size_t room = SIZE_MAX);

  size_t held() const { return held_count_; }
  // False after a failed round trip, until one succeeds.
  bool redis_available() const { return redis_available_; }
  // When some held job should be offered again; time_point::max() when none is held.
  Clock::time_point next_due() const;
  const AdmissionStageStats& stats() const { return stats_; }

  // Jobs without a carrier hint take their carrier from this map (one lookup per
  // batch) before their buckets are charged; null (the default) = no lookup. The map
  // must outlive the stage.
  void SetNumberMap(ratelimit::NumberMap* number_map) { number_map_ = number_map; }

  // The job with this hand-off token reached its durable terminal event or DLQ record,
  // or (retry > 0) was handed over as that durable retry record.
  void Settled(uint64_t token, uint32_t retry = 0);
  // A provider accepted the job with this hand-off token and its receipt is awaited:
  // marked in the ledger at the next Tick, so its next owner follows the receipt.
  void Accepted(uint64_t token);
  // Heartbeat (every kHeartbeatEvery), accepted marks and settled ledger entries to
  // Redis. Blocks for a round trip when there is something to send; call from the
  // consumer loop.
  void Tick();
  // Graceful exit: this worker's heartbeat is removed, so replays of jobs it did not end
  // are recovered by their next owner at once.
  void Retire();

 private:
  struct Held {
    uint64_t arrival;  // order in which the job first reached the gate
    std::unique_ptr<JobContext> job;
  };
  // Jobs refused by one bucket, by arrival.
  struct WaitQueue {
    std::map<uint64_t, std::unique_ptr<JobContext>> jobs;
    Clock::time_point due;  // when the bucket should hold tokens for the head again
    uint32_t offer = 1;     // jobs to offer next time
    uint32_t offered_now = 0, passed_now = 0;  // this round
    bool refused_now = false;
  };
  static constexpr size_t kMaxBuckets = 4;  // tenant, carrier, sender, template

  // The bucket keys ("scope\0name") of `job`, as BucketRefs into `refs`.
  size_t BucketsOf(const core::Job& job, ratelimit::BucketRef* refs) const;
  static void KeyOf(const ratelimit::BucketRef& ref, std::string& key);
  // The queue of the first of the job's buckets that has one, or null.
  WaitQueue* QueueFor(const core::Job& job);
  void Enqueue(WaitQueue& queue, uint64_t arrival, std::unique_ptr<JobContext> job);
  void TakeDueQueues(Clock::time_point now, size_t limit);
  void Take(uint64_t arrival, std::unique_ptr<JobContext> job, WaitQueue* source);
  void HoldUnavailable(uint64_t arrival, std::unique_ptr<JobContext> job);
  void EnterLedger(const JobContext& job);
  void ResolveCarriers();

  ratelimit::Admission& admission_;
  ratelimit::NumberMap* number_map_ = nullptr;
  std::vector<std::string_view> lookup_numbers_;
  std::vector<size_t> lookup_index_;
  std::vector<std::string> lookup_carriers_;
  std::string route_name_;
  Metrics* metrics_;
  bool redis_available_ = true;
  std::unordered_map<std::string, WaitQueue> queues_;
  // Jobs held while Redis was unreachable, retried after a pause, by arrival.
  std::map<uint64_t, std::unique_ptr<JobContext>> unavailable_;
  Clock::time_point unavailable_due_ = Clock::time_point::max();
  // Jobs not offered yet for want of room in the send shard, by arrival.
  std::map<uint64_t, std::unique_ptr<JobContext>> ready_;
  Clock::time_point last_admit_{};
  // Replays of jobs a live worker still works on, asked about again every kRecheck.
  WaitQueue in_progress_;
  size_t held_count_ = 0;
  // Ledger entries by hand-off token, and those settled but not yet removed in Redis.
  std::unordered_map<uint64_t, ratelimit::LedgerEntry> ledger_;
  std::vector<ratelimit::LedgerEntry> settled_;
  std::vector<ratelimit::LedgerEntry> accepted_;  // to mark at the next Tick
  Clock::time_point next_heartbeat_{};
  uint64_t next_arrival_ = 0;
  AdmissionStageStats stats_;
  // Reused per batch.
  std::vector<std::unique_ptr<JobContext>> batch_;
  std::vector<uint64_t> arrivals_;       // batch_'s arrival numbers
  std::vector<WaitQueue*> source_;       // the queue a batch_ job was offered from, or null
  std::vector<ratelimit::AdmissionRequest> requests_;
  std::vector<ratelimit::BucketRef> buckets_;
  std::vector<ratelimit::Decision> decisions_;
  std::string key_;
};

}  // namespace bulkd::dispatcher
