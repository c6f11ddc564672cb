// dispatcher/pipeline/pipeline.h — the consumer loop: poll jobs (and due deferred jobs) in
// batches, decode, dead-letter the bad ones, apply the time gate (expiry, not_before,
// quiet hours: deferral through Kafka delay tiers), admit through Redis, hand admitted
// jobs to the send shard, and store each partition's offset up to the lowest record that
// has reached a durable hand-off.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/job_codec.h"
#include "dispatcher/config.h"
#include "dispatcher/job_context.h"
#include "dispatcher/kafka/consumer.h"
#include "dispatcher/kafka/handoff_queue.h"
#include "dispatcher/kafka/offset_tracker.h"

namespace bulkd::core {
class Clock;
}
namespace bulkd::ratelimit {
class PolicyCache;
}

namespace bulkd::dispatcher {

class AdmissionStage;
class EventPublisher;
class KafkaProducer;
class Metrics;
class SendShard;

// What the pipeline works with; every pointer may be null (no Redis gate, tests).
struct PipelineParts {
  KafkaConsumer* consumer = nullptr;
  KafkaProducer* producer = nullptr;
  EventPublisher* events = nullptr;
  SendShard* shard = nullptr;
  HandoffQueue* handoffs = nullptr;
  const core::Clock* clock = nullptr;
  AdmissionStage* admission = nullptr;       // optional: dedupe, opt-out, buckets
  ratelimit::PolicyCache* policies = nullptr;  // optional: quiet hours, ad format
  Metrics* metrics = nullptr;                // optional
  // Optional: durable retries are on (jobs keep their record bytes for the shard's
  // retry records, dispatcher/durable/retry_record.h).
  bool durable_retries = false;
};

class Pipeline : public RebalanceListener {
 public:
  Pipeline(const Config& config, PipelineParts parts);

  // Consumes until `stop` is set, then stops taking jobs and waits up to
  // `drain_timeout_ms` for open jobs to finish before returning (the caller closes the
  // consumer, which commits). Blocks the calling thread.
  void Run(const std::atomic<bool>& stop, int drain_timeout_ms);

  // Thread-safe views for /readyz and metrics.
  size_t unfinished() const { return unfinished_.load(std::memory_order_relaxed); }
  uint64_t consumed() const { return consumed_.load(std::memory_order_relaxed); }
  uint64_t dead_lettered() const { return dead_lettered_.load(std::memory_order_relaxed); }
  uint64_t deferred() const { return deferred_.load(std::memory_order_relaxed); }
  // False while the Redis gates cannot be checked (nothing is sent then).
  bool gates_available() const { return gates_available_.load(std::memory_order_relaxed); }

  void OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) override;

 private:
  struct Decoded {
    std::unique_ptr<JobContext> context;
    const KafkaMessage* message;
  };
  struct HeldPartition {
    uint8_t topic_index;
    int32_t partition;
    int64_t resume_at_ms;
  };

  static uint32_t Key(uint8_t topic_index, int32_t partition) {
    return (static_cast<uint32_t>(topic_index) << 16) | static_cast<uint32_t>(partition);
  }
  int TopicIndex(std::string_view topic) const;
  void HandleBatch(std::vector<KafkaMessage>& batch);
  // Reads a tier record's bulkd-retry header into `ctx`; false (with `error`) when it is
  // malformed.
  static bool ReadRetryState(const KafkaMessage& message, JobContext& ctx, core::JobError& error);
  void GateByTime(std::vector<Decoded>& decoded, std::vector<std::unique_ptr<JobContext>>& go);
  void Defer(const JobContext& context, const KafkaMessage& message, int64_t due_ms,
             std::string_view code);
  void DeadLetter(const KafkaMessage& message, uint8_t topic_index, const core::JobError& error);
  void Admit(std::vector<std::unique_ptr<JobContext>>& jobs);
  // Hands admitted jobs to the shard; an ad that breaks the advertising rules ends
  // "failed" with its code instead.
  void SubmitOrFail(std::vector<std::unique_ptr<JobContext>> jobs);
  void MarkDone(uint8_t topic_index, int32_t partition, int64_t offset);
  void ApplyHandoffs();
  void ReleaseDueTiers();
  size_t PollSize() const;  // records the next poll may take (0: wait for room)
  void ApplyBackpressure();
  void ReportLag();

  const Config& config_;
  PipelineParts parts_;
  std::vector<std::string> topics_;     // 0: jobs topic, then the delay tiers
  std::vector<int64_t> tier_delay_ms_;  // per topic index; 0 for the jobs topic
  core::JobDecoder decoder_;
  std::unordered_map<uint32_t, OffsetTracker> trackers_;  // by Key(topic, partition)
  std::vector<HeldPartition> held_partitions_;            // tiers whose head is not due
  std::vector<Handoff> acked_;    // reused buffer
  std::vector<uint64_t> accepted_;  // reused buffer
  std::vector<uint32_t> touched_;  // trackers whose committable offset may have moved
  std::chrono::steady_clock::time_point next_lag_report_{};
  std::chrono::steady_clock::time_point next_takeover_log_{};
  std::atomic<size_t> unfinished_{0};
  std::atomic<uint64_t> consumed_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<uint64_t> deferred_{0};
  std::atomic<bool> gates_available_{true};
};

}  // namespace bulkd::dispatcher
