// dispatcher/pipeline.h — the consumer loop: poll jobs in batches, decode, send the bad
// ones to the DLQ, hand the good ones to the send shard, and store each partition's
// offset up to the lowest job that has reached a durable hand-off.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/job_codec.h"
#include "dispatcher/config.h"
#include "dispatcher/job_context.h"
#include "dispatcher/kafka/consumer.h"
#include "dispatcher/offset_tracker.h"

namespace bulkd::dispatcher {

class AdmissionStage;
class EventPublisher;
class KafkaProducer;
class Metrics;
class SendShard;

// Acknowledged hand-off tokens, from the producer's thread to the consumer loop.
class HandoffQueue {
 public:
  void Push(uint64_t token) {
    std::lock_guard lock(mutex_);
    tokens_.push_back(token);
  }
  void TakeAll(std::vector<uint64_t>& out) {
    std::lock_guard lock(mutex_);
    out.swap(tokens_);
    tokens_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<uint64_t> tokens_;
};

class Pipeline : public RebalanceListener {
 public:
  // `admission` and `metrics` may be null (no Redis gate; tests).
  Pipeline(const Config& config, KafkaConsumer& consumer, KafkaProducer& producer,
           EventPublisher& events, SendShard& shard, HandoffQueue& handoffs,
           AdmissionStage* admission, Metrics* metrics);

  // Consumes until `stop` is set, then stops taking jobs and waits up to
  // `drain_timeout_ms` for open jobs to finish before returning (the caller closes the
  // consumer, which commits). Blocks the calling thread.
  void Run(const std::atomic<bool>& stop, int drain_timeout_ms);

  // Thread-safe views for /readyz and metrics.
  size_t unfinished() const { return unfinished_.load(std::memory_order_relaxed); }
  // False while the admission gate cannot reach Redis (nothing is sent then).
  bool gates_available() const { return gates_available_.load(std::memory_order_relaxed); }
  uint64_t consumed() const { return consumed_.load(std::memory_order_relaxed); }
  uint64_t dead_lettered() const { return dead_lettered_.load(std::memory_order_relaxed); }

  void OnPartitionsAssigned(const std::vector<int32_t>& partitions) override;
  void OnPartitionsRevoked(const std::vector<int32_t>& partitions) override;

 private:
  void HandleBatch(std::vector<KafkaMessage>& batch);
  void DeadLetter(const KafkaMessage& message, const core::JobError& error);
  void Admit(std::vector<std::unique_ptr<JobContext>>& jobs);
  void MarkDone(int32_t partition, int64_t offset);
  void ApplyHandoffs();
  void ApplyBackpressure();
  void ReportLag();

  const Config& config_;
  KafkaConsumer& consumer_;
  KafkaProducer& producer_;
  EventPublisher& events_;
  SendShard& shard_;
  AdmissionStage* admission_;
  HandoffQueue& handoffs_;
  Metrics* metrics_;
  core::JobDecoder decoder_;
  std::chrono::steady_clock::time_point next_lag_report_{};
  std::unordered_map<int32_t, OffsetTracker> trackers_;
  std::vector<uint64_t> acked_;    // reused buffer
  std::vector<int32_t> touched_;   // partitions whose committable offset may have moved
  std::atomic<size_t> unfinished_{0};
  std::atomic<bool> gates_available_{true};
  std::atomic<uint64_t> consumed_{0};
  std::atomic<uint64_t> dead_lettered_{0};
};

}  // namespace bulkd::dispatcher
