#include "dispatcher/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "dispatcher/admission_stage.h"
#include "dispatcher/event_publisher.h"
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
                   EventPublisher& events, SendShard& shard, HandoffQueue& handoffs,
                   AdmissionStage* admission, Metrics* metrics)
    : config_(config), consumer_(consumer), producer_(producer), events_(events),
      shard_(shard), admission_(admission), handoffs_(handoffs), metrics_(metrics) {}

void Pipeline::Run(const std::atomic<bool>& stop, int drain_timeout_ms) {
  consumer_.Subscribe(config_.kafka.jobs_topic);
  std::vector<KafkaMessage> batch;
  batch.reserve(config_.pipeline.poll_batch);
  while (!stop.load(std::memory_order_relaxed)) {
    batch.clear();
    consumer_.PollBatch(batch, config_.pipeline.poll_batch, consumer_.paused() ? 5 : 50);
    if (!batch.empty()) {
      HandleBatch(batch);
    } else if (admission_ && admission_->next_due() <= std::chrono::steady_clock::now()) {
      std::vector<std::unique_ptr<JobContext>> none;
      Admit(none);  // release held jobs whose wait is over
    }
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
  Admit(jobs);
}

void Pipeline::Admit(std::vector<std::unique_ptr<JobContext>>& jobs) {
  if (!admission_) {
    if (!jobs.empty()) shard_.Submit(std::move(jobs));
    return;
  }
  AdmissionResult result;
  admission_->Admit(jobs, result);
  gates_available_.store(admission_->redis_available(), std::memory_order_relaxed);
  for (const auto& job : result.opted_out) {
    events_.Publish(*job, core::EventType::kSuppressed,
                    {"", "", "OPTED_OUT", "recipient opted out"});
  }
  // A replay of a job already claimed: its own outcome is (or will be) published by
  // whoever claimed it, so this record is simply done.
  for (const auto& job : result.duplicates) MarkDone(job->partition, job->offset);
  if (!result.admitted.empty()) shard_.Submit(std::move(result.admitted));
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
  spdlog::debug("pipeline: consumed={} unfinished={} held={} paused={} shard_open={}",
                consumed(), unfinished(), admission_ ? admission_->held() : 0, consumer_.paused(),
                shard_.open_jobs());
}

void Pipeline::MarkDone(int32_t partition, int64_t offset) {
  auto it = trackers_.find(partition);
  if (it == trackers_.end()) return;  // partition revoked meanwhile
  const size_t before = it->second.pending();
  it->second.MarkDone(offset);
  if (it->second.pending() != before) {
    unfinished_.fetch_sub(1, std::memory_order_relaxed);
    touched_.push_back(partition);
  }
}

void Pipeline::ApplyHandoffs() {
  acked_.clear();
  handoffs_.TakeAll(acked_);
  for (uint64_t token : acked_) MarkDone(TokenPartition(token), TokenOffset(token));
  if (touched_.empty()) return;
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  for (int32_t partition : touched_) {
    auto it = trackers_.find(partition);
    if (it == trackers_.end()) continue;
    const int64_t committable = it->second.Committable();
    if (committable >= 0) consumer_.StoreOffset(partition, committable);
  }
  touched_.clear();
}

void Pipeline::ApplyBackpressure() {
  // Above the cap, or while the gates cannot be checked (fail closed), stop fetching
  // rather than buffer: the jobs stay in Kafka.
  const size_t open = unfinished();
  const bool gates_down = !gates_available();
  if (!consumer_.paused() && (open >= config_.pipeline.max_inflight || gates_down)) {
    consumer_.PauseAll();
  } else if (consumer_.paused() && !gates_down && open <= config_.pipeline.max_inflight / 2) {
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
