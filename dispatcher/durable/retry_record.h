// dispatcher/durable/retry_record.h — durable retries: a job due for another attempt is written,
// unchanged, to the delay tier that holds it until it is due, with a `bulkd-retry` header
// that says where its attempts stand. The record is the job's hand-off (its original's
// offset may then be committed) and, once due, comes back through the time gate and
// admission (ratelimit/admission.h: the ledger lets exactly this record take the job).
#pragma once

#include <string>
#include <vector>

#include "dispatcher/durable/retry_state.h"

namespace bulkd::dispatcher {

class HandoffQueue;
class KafkaProducer;
struct JobContext;

// Writes retry records. Schedule() is thread-safe (it runs on the send shard's thread;
// the producer and the hand-off queue lock for themselves); it blocks only while the
// producer's queue is full.
class RetryScheduler {
 public:
  // `tier_topics[i]` holds records for `tiers_s[i]` seconds (increasing, non-empty).
  RetryScheduler(KafkaProducer& producer, std::vector<std::string> tier_topics,
                 std::vector<int> tiers_s, HandoffQueue& handoffs);

  // Writes `ctx.record` (the job's bytes, keyed by recipient) to the tier for
  // `state.due_ms - now_ms`, with `state` in its header, tracked by the job's hand-off
  // token: once Kafka acknowledges it, the pipeline settles the job as handed over to
  // retry record `state.retry`.
  void Schedule(const JobContext& ctx, const RetryState& state, int64_t now_ms);

 private:
  KafkaProducer& producer_;
  std::vector<std::string> tier_topics_;
  std::vector<int> tiers_s_;
  HandoffQueue& handoffs_;
};

}  // namespace bulkd::dispatcher
