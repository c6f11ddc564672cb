#include "dispatcher/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "dispatcher/job_context.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/metrics.h"
#include "dispatcher/send_shard.h"

namespace bulkd::dispatcher {
namespace {

DlqReason ClassifyRejection(const core::JobError& error) {
  if (!error.field.empty()) return DlqReason::kSchema;
  if (error.reason.find("UTF-8") != std::string::npos) return DlqReason::kEncoding;
  if (error.reason.find("bytes") != std::string::npos &&
      error.reason.find("JSON") == std::string::npos)
    return DlqReason::kSize;
  return error.reason.find("JSON") != std::string::npos ? DlqReason::kJson : DlqReason::kSchema;
}

}  // namespace

Pipeline::Pipeline(const Config& config, KafkaConsumer& consumer, KafkaProducer& producer,
                   SendShard& shard, HandoffQueue& handoffs, Metrics* metrics)
    : config_(config), consumer_(consumer), producer_(producer), shard_(shard),
      handoffs_(handoffs), metrics_(metrics) {}

void Pipeline::Run(const std::atomic<bool>& stop, int drain_timeout_ms) {
  consumer_.Subscribe(config_.kafka.jobs_topic);
  std::vector<KafkaMessage> batch;
  batch.reserve(config_.pipeline.poll_batch);
  while (!stop.load(std::memory_order_relaxed)) {
    batch.clear();
    consumer_.PollBatch(batch, config_.pipeline.poll_batch, consumer_.paused() ? 5 : 50);
    if (!batch.empty()) HandleBatch(batch);
    ApplyHandoffs();
    ApplyBackpressure();
    ReportLag();
  }
  // Graceful stop: no new jobs; let open ones reach their hand-off so their offsets
  // are committed and they are not replayed by the next owner.
  consumer_.PauseAll();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_timeout_ms);
  while (unfinished() > 0 && std::chrono::steady_clock::now() < deadline) {
    batch.clear();
    consumer_.PollBatch(batch, 1, 20);  // serves rebalances; paused, so no records
    ApplyHandoffs();
  }
  spdlog::info("pipeline: stopped unfinished={}", unfinished());
}

void Pipeline::HandleBatch(std::vector<KafkaMessage>& batch) {
  std::vector<std::unique_ptr<JobContext>> jobs;
  jobs.reserve(batch.size());
  for (const KafkaMessage& message : batch) {
    auto tracker = trackers_.find(message.partition());
    if (tracker == trackers_.end()) {
      // A record of a partition we do not own (should not happen): leave it.
      continue;
    }
    tracker->second.Track(message.offset());
    unfinished_.fetch_add(1, std::memory_order_relaxed);
    auto context = std::make_unique<JobContext>();
    core::JobError error;
    if (!decoder_.Decode(message.value(), context->job, error)) {
      DeadLetter(message, error);
      continue;
    }
    context->partition = message.partition();
    context->offset = message.offset();
    context->enqueued_ms = message.timestamp_ms();
    jobs.push_back(std::move(context));
  }
  consumed_.fetch_add(batch.size(), std::memory_order_relaxed);
  if (metrics_) metrics_->JobsConsumed().Increment(static_cast<double>(batch.size()));
  if (!jobs.empty()) shard_.Submit(std::move(jobs));
}

void Pipeline::DeadLetter(const KafkaMessage& message, const core::JobError& error) {
  const std::string partition = std::to_string(message.partition());
  const std::string offset = std::to_string(message.offset());
  producer_.Produce(config_.kafka.dlq_topic, message.key(), message.value(),
                    HandoffToken(message.partition(), message.offset()),
                    {{"reason", error.reason},
                     {"field", error.field},
                     {"source_topic", config_.kafka.jobs_topic},
                     {"source_partition", partition},
                     {"source_offset", offset}});
  dead_lettered_.fetch_add(1, std::memory_order_relaxed);
  if (metrics_) metrics_->Dlq(ClassifyRejection(error)).Increment();
}

void Pipeline::ReportLag() {
  if (!metrics_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_lag_report_) return;
  next_lag_report_ = now + std::chrono::seconds(1);
  for (const auto& [partition, lag] : consumer_.Lag()) metrics_->SetConsumerLag(partition, lag);
}

void Pipeline::ApplyHandoffs() {
  acked_.clear();
  handoffs_.TakeAll(acked_);
  if (acked_.empty()) return;
  std::vector<int32_t> touched;
  for (uint64_t token : acked_) {
    auto it = trackers_.find(TokenPartition(token));
    if (it == trackers_.end()) continue;  // partition revoked meanwhile
    const size_t before = it->second.pending();
    it->second.MarkDone(TokenOffset(token));
    if (it->second.pending() != before) {
      unfinished_.fetch_sub(1, std::memory_order_relaxed);
      touched.push_back(it->first);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (int32_t partition : touched) {
    const int64_t committable = trackers_[partition].Committable();
    if (committable >= 0) consumer_.StoreOffset(partition, committable);
  }
}

void Pipeline::ApplyBackpressure() {
  const size_t open = unfinished();
  if (!consumer_.paused() && open >= config_.pipeline.max_inflight) {
    consumer_.PauseAll();
  } else if (consumer_.paused() && open <= config_.pipeline.max_inflight / 2) {
    consumer_.ResumeAll();
  }
}

void Pipeline::OnPartitionsAssigned(const std::vector<int32_t>& partitions) {
  for (int32_t p : partitions) trackers_[p] = OffsetTracker();
}

void Pipeline::OnPartitionsRevoked(const std::vector<int32_t>& partitions) {
  ApplyHandoffs();
  for (int32_t p : partitions) {
    if (metrics_) metrics_->RemoveConsumerLag(p);
    auto it = trackers_.find(p);
    if (it == trackers_.end()) continue;
    const int64_t committable = it->second.Committable();
    if (committable >= 0) consumer_.StoreOffset(p, committable);
    // Open jobs of this partition will be replayed by its next owner; stop counting
    // them here (their late acknowledgements are ignored).
    unfinished_.fetch_sub(it->second.pending(), std::memory_order_relaxed);
    trackers_.erase(it);
  }
}

}  // namespace bulkd::dispatcher
