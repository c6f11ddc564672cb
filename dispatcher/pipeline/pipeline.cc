#include "dispatcher/pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_set>

#include "core/ad_format.h"
#include "core/clock.h"
#include "dispatcher/pipeline/admission_stage.h"
#include "dispatcher/kafka/event_publisher.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/metrics.h"
#include "dispatcher/durable/retry_record.h"
#include "dispatcher/pipeline/send_shard.h"
#include "dispatcher/pipeline/time_gate.h"
#include "ratelimit/quiet_hours.h"

namespace bulkd::dispatcher {
namespace {

// A retry record this close to its due time goes now rather than hopping another tier.
constexpr int64_t kRetryDueSlackMs = 50;

DlqReason ClassifyRejection(const core::JobError& error) {
  if (!error.field.empty()) return DlqReason::kSchema;
  if (error.reason.find("UTF-8") != std::string::npos) return DlqReason::kEncoding;
  if (error.reason.find("bytes") != std::string::npos &&
      error.reason.find("JSON") == std::string::npos)
    return DlqReason::kSize;
  return error.reason.find("JSON") != std::string::npos ? DlqReason::kJson : DlqReason::kSchema;
}

bool UsesText(const core::Job& job) {
  for (core::Channel c : job.channels) {
    if (c == core::Channel::kSms || c == core::Channel::kLms || c == core::Channel::kMms) return true;
  }
  return false;
}

}  // namespace

Pipeline::Pipeline(const Config& config, PipelineParts parts) : config_(config), parts_(parts) {
  topics_.push_back(config.kafka.jobs_topic);
  tier_delay_ms_.push_back(0);
  for (int delay : config.kafka.defer_tiers_s) {
    topics_.push_back(DeferTopic(config.kafka, delay));
    tier_delay_ms_.push_back(static_cast<int64_t>(delay) * 1000);
  }
}

int Pipeline::TopicIndex(std::string_view topic) const {
  for (size_t i = 0; i < topics_.size(); ++i)
    if (topics_[i] == topic) return static_cast<int>(i);
  return -1;
}

void Pipeline::Run(const std::atomic<bool>& stop, int drain_timeout_ms) {
  KafkaConsumer& consumer = *parts_.consumer;
  consumer.Subscribe(topics_);
  std::vector<KafkaMessage> batch;
  batch.reserve(config_.pipeline.poll_batch);
  auto next_forced_poll = std::chrono::steady_clock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    batch.clear();
    // Wait for records no longer than until held jobs are due again.
    int poll_ms = consumer.paused() ? 5 : 50;
    if (parts_.admission) {
      const auto until_due = parts_.admission->next_due() - std::chrono::steady_clock::now();
      if (until_due < std::chrono::milliseconds(poll_ms)) {
        poll_ms = static_cast<int>(std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(until_due).count()));
      }
    }
    const size_t poll_size = PollSize();
    const auto now = std::chrono::steady_clock::now();
    if (poll_size == 0 && now < next_forced_poll) {
      // At the cap: wait for jobs to finish instead of taking records one by one (each
      // would cost an admission round trip). A poll still runs every 50 ms, so
      // rebalances are served.
      parts_.handoffs->WaitFor(std::chrono::milliseconds(std::min(poll_ms, 5)));
    } else {
      consumer.PollBatch(batch, std::max<size_t>(poll_size, 1), poll_ms);
      next_forced_poll = now + std::chrono::milliseconds(50);
    }
    if (!batch.empty()) {
      HandleBatch(batch);
    } else if (parts_.admission &&
               parts_.admission->next_due() <= std::chrono::steady_clock::now()) {
      std::vector<std::unique_ptr<JobContext>> none;
      Admit(none);  // release held jobs whose wait is over
    }
    ApplyHandoffs();
    ReleaseDueTiers();
    ApplyBackpressure();
    ReportLag();
  }
  // Graceful stop: no new jobs; let open ones reach their hand-off so their offsets
  // are committed and they are not replayed by the next owner.
  consumer.PauseAll();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_timeout_ms);
  while (unfinished() > 0 && std::chrono::steady_clock::now() < deadline) {
    batch.clear();
    consumer.PollBatch(batch, 1, 20);  // serves rebalances; paused, so no records
    ApplyHandoffs();
  }
  if (parts_.admission) parts_.admission->Retire();
  spdlog::info("pipeline: stopped unfinished={}", unfinished());
}

void Pipeline::HandleBatch(std::vector<KafkaMessage>& batch) {
  const int64_t now_ms = parts_.clock->NowMs();
  std::unordered_set<uint32_t> held_now;  // tiers rewound in this batch: skip the rest
  std::vector<Decoded> decoded;
  decoded.reserve(batch.size());
  for (const KafkaMessage& message : batch) {
    const int topic = TopicIndex(message.topic());
    if (topic < 0) continue;
    const auto topic_index = static_cast<uint8_t>(topic);
    const uint32_t key = Key(topic_index, message.partition());
    if (held_now.count(key)) continue;
    auto tracker = trackers_.find(key);
    if (tracker == trackers_.end()) continue;  // not ours (revoked meanwhile)
    if (topic_index > 0) {
      // A delay tier is read in order; its head decides when the partition moves on.
      const int64_t ready_at = message.timestamp_ms() + tier_delay_ms_[topic_index];
      if (ready_at > now_ms) {
        parts_.consumer->HoldPartition(topics_[topic_index], message.partition(), message.offset());
        held_partitions_.push_back({topic_index, message.partition(), ready_at});
        held_now.insert(key);
        continue;
      }
    }
    tracker->second.Track(message.offset());
    unfinished_.fetch_add(1, std::memory_order_relaxed);
    auto context = std::make_unique<JobContext>();
    core::JobError error;
    if (!decoder_.Decode(message.value(), context->job, error)) {
      DeadLetter(message, topic_index, error);
      continue;
    }
    if (topic_index > 0 && !ReadRetryState(message, *context, error)) {
      DeadLetter(message, topic_index, error);
      continue;
    }
    context->topic_index = topic_index;
    context->partition = message.partition();
    context->offset = message.offset();
    context->enqueued_ms = message.timestamp_ms();
    if (parts_.durable_retries) context->record.assign(message.value());
    decoded.push_back({std::move(context), &message});
  }
  consumed_.fetch_add(batch.size(), std::memory_order_relaxed);
  if (parts_.metrics) parts_.metrics->JobsConsumed().Increment(static_cast<double>(batch.size()));
  std::vector<std::unique_ptr<JobContext>> go;
  go.reserve(decoded.size());
  GateByTime(decoded, go);
  Admit(go);
}

bool Pipeline::ReadRetryState(const KafkaMessage& message, JobContext& ctx,
                              core::JobError& error) {
  const auto header = message.header(kRetryHeader);
  if (!header) return true;  // a deferral record, not a retry
  const auto state = ParseRetryHeader(*header);
  if (!state || state->channel_index >= ctx.job.channels.size()) {
    error.field = kRetryHeader;
    error.reason = "header bulkd-retry is malformed or names a channel the job does not have";
    return false;
  }
  ctx.retry = state->retry;
  ctx.channel_index = state->channel_index;
  ctx.attempt = state->attempt;
  ctx.total_attempts = state->total_attempts;
  ctx.first_attempt_ms = state->first_attempt_ms;
  ctx.retry_due_ms = state->due_ms;
  return true;
}

void Pipeline::GateByTime(std::vector<Decoded>& decoded,
                          std::vector<std::unique_ptr<JobContext>>& go) {
  // One round trip loads the policies of every tenant in the batch that needs one.
  const auto steady_now = std::chrono::steady_clock::now();
  if (parts_.policies) {
    std::vector<std::string_view> tenants;
    for (const Decoded& d : decoded)
      if (NeedsTenantPolicy(d.context->job)) tenants.push_back(d.context->job.tenant);
    std::sort(tenants.begin(), tenants.end());
    tenants.erase(std::unique(tenants.begin(), tenants.end()), tenants.end());
    // On error Find() reports the stale tenants as unknown, handled below.
    if (!tenants.empty()) (void)parts_.policies->Refresh(tenants, steady_now);
  }
  const int64_t now_ms = parts_.clock->NowMs();
  const ratelimit::TenantPolicy default_policy = ratelimit::DefaultPolicy();
  for (Decoded& d : decoded) {
    JobContext& ctx = *d.context;
    std::shared_ptr<const ratelimit::TenantPolicy> policy;
    if (NeedsTenantPolicy(ctx.job)) {
      if (parts_.policies) policy = parts_.policies->Find(ctx.job.tenant, steady_now);
      if (!policy && parts_.policies) {
        // Redis did not answer: the quiet hours are unknown, so the job may not go.
        // Park it on the shortest tier; it is looked at again in a second.
        Defer(ctx, *d.message, now_ms + tier_delay_ms_[1], "");
        continue;
      }
    }
    // A retry record released by its tier before its backoff is over hops on.
    if (ctx.retry_due_ms > now_ms + kRetryDueSlackMs) {
      Defer(ctx, *d.message, ctx.retry_due_ms, "");
      continue;
    }
    const TimeDecision decision =
        DecideTime(ctx.job, now_ms, policy ? policy.get() : &default_policy);
    if (decision.kind == TimeDecision::Kind::kExpired) {
      parts_.events->Publish(ctx, core::EventType::kExpired,
                             {"", "", decision.code, "not sent before expires_at"});
      continue;
    }
    if (decision.kind == TimeDecision::Kind::kDefer) {
      if (ctx.retry > 0 &&
          decision.due_ms - ctx.first_attempt_ms > int64_t{config_.pipeline.retry_max_age_s} * 1000) {
        // Its send window opens only after the retry budget is spent.
        parts_.events->Publish(ctx, core::EventType::kFailed,
                               {"", "", "RETRY_BUDGET",
                                "the send window opens after the retry time budget"});
        continue;
      }
      Defer(ctx, *d.message, decision.due_ms, decision.code);
      continue;
    }
    // Ads carry the "(광고)" prefix and the tenant's free opt-out line (docs/domain.md).
    if (ctx.job.kind == core::JobKind::kAd && UsesText(ctx.job)) {
      const ratelimit::TenantPolicy& p = policy ? *policy : default_policy;
      core::AdFormatResult formatted =
          core::FormatAdBody(core::AdPolicyMode::kAdd, ctx.job.text, p.ad_prefix, p.optout_line);
      if (!formatted.ok()) {
        // Fails after admission, so an opted-out recipient still ends "suppressed".
        ctx.ad_format_error = formatted.error;
      } else {
        ctx.job.text = std::move(formatted.text);
      }
    }
    go.push_back(std::move(d.context));
  }
}

void Pipeline::Defer(const JobContext& context, const KafkaMessage& message, int64_t due_ms,
                     std::string_view code) {
  const int64_t wait_ms = due_ms - parts_.clock->NowMs();
  const size_t tier = ChooseTier(config_.kafka.defer_tiers_s, wait_ms);
  const std::string due = std::to_string(due_ms);
  // The deferral record is the job's durable hand-off: once Kafka has it, the offset
  // of the original may be committed.
  std::vector<RecordHeader> headers{{"bulkd-due-ms", due}};
  // A retry record keeps its attempt state through any hop (quiet hours included).
  if (context.retry > 0) {
    if (const auto retry = message.header(kRetryHeader)) headers.push_back({kRetryHeader, *retry});
  }
  parts_.producer->Produce(topics_[tier + 1], message.key(), message.value(),
                           HandoffToken(context.topic_index, context.partition, context.offset),
                           headers);
  deferred_.fetch_add(1, std::memory_order_relaxed);
  // One "deferred" event per job, when it first meets its window; later hops between
  // tiers are silent.
  if (context.topic_index == 0 && !code.empty()) {
    parts_.events->Publish(context, core::EventType::kDeferred,
                           {"", "", code, "held until its send window opens"});
  }
}

void Pipeline::DeadLetter(const KafkaMessage& message, uint8_t topic_index,
                          const core::JobError& error) {
  const std::string partition = std::to_string(message.partition());
  const std::string offset = std::to_string(message.offset());
  parts_.producer->Produce(config_.kafka.dlq_topic, message.key(), message.value(),
                           HandoffToken(topic_index, message.partition(), message.offset()),
                           {{"reason", error.reason},
                            {"field", error.field},
                            {"source_topic", message.topic()},
                            {"source_partition", partition},
                            {"source_offset", offset}});
  dead_lettered_.fetch_add(1, std::memory_order_relaxed);
  if (parts_.metrics) parts_.metrics->Dlq(ClassifyRejection(error)).Increment();
}

void Pipeline::SubmitOrFail(std::vector<std::unique_ptr<JobContext>> jobs) {
  std::erase_if(jobs, [this](const std::unique_ptr<JobContext>& job) {
    if (job->ad_format_error.empty()) return false;
    parts_.events->Publish(*job, core::EventType::kFailed,
                           {"", "", job->ad_format_error, "advertising rules not met"});
    return true;
  });
  if (!jobs.empty()) parts_.shard->Submit(std::move(jobs));
}

void Pipeline::Admit(std::vector<std::unique_ptr<JobContext>>& jobs) {
  if (!parts_.admission) {
    SubmitOrFail(std::move(jobs));
    jobs.clear();
    return;
  }
  AdmissionResult result;
  // Claim jobs (and spend their tokens) only when they can go: while no provider is
  // connected they would wait in a queue and leave in one burst when it connects.
  const size_t unsent = parts_.shard->unsent();
  const size_t room = !parts_.shard->ready() ? 0
                      : unsent < config_.pipeline.max_unsent ? config_.pipeline.max_unsent - unsent
                                                             : 0;
  parts_.admission->Admit(jobs, result, room);
  gates_available_.store(parts_.admission->redis_available(), std::memory_order_relaxed);
  for (const auto& job : result.opted_out) {
    parts_.events->Publish(*job, core::EventType::kSuppressed,
                           {"", "", "OPTED_OUT", "recipient opted out"});
  }
  // A replay of a job already claimed: its own outcome is (or will be) published by
  // whoever claimed it, so this record is simply done.
  for (const auto& job : result.duplicates) MarkDone(job->topic_index, job->partition, job->offset);
  // Its worker died before ending it: it may have reached the person, so it is ended
  // here, never resent.
  for (const auto& job : result.recovered) {
    parts_.events->Publish(*job, core::EventType::kFailed,
                           {"", "", "WORKER_LOST",
                            "the worker sending it stopped before its outcome was known; "
                            "not resent to avoid a duplicate"});
  }
  if (!result.recovered.empty() || !result.adopted.empty()) {
    // Only after a worker died: worth a line, at most one a second.
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_takeover_log_) {
      next_takeover_log_ = now + std::chrono::seconds(1);
      spdlog::warn("pipeline: took over a dead worker's jobs: {} accepted (following their "
                   "receipts), {} ended WORKER_LOST",
                   result.adopted.size(), result.recovered.size());
    }
  }
  SubmitOrFail(std::move(result.admitted));
  if (!result.adopted.empty()) parts_.shard->Adopt(std::move(result.adopted));
}

void Pipeline::MarkDone(uint8_t topic_index, int32_t partition, int64_t offset) {
  const uint32_t key = Key(topic_index, partition);
  auto it = trackers_.find(key);
  if (it == trackers_.end()) return;  // partition revoked meanwhile
  const size_t before = it->second.pending();
  it->second.MarkDone(offset);
  if (it->second.pending() != before) {
    unfinished_.fetch_sub(1, std::memory_order_relaxed);
    touched_.push_back(key);
  }
}

void Pipeline::ApplyHandoffs() {
  if (parts_.admission) {
    accepted_.clear();
    parts_.handoffs->TakeAccepted(accepted_);
    for (uint64_t token : accepted_) parts_.admission->Accepted(token);
  }
  acked_.clear();
  parts_.handoffs->TakeAll(acked_);
  for (const Handoff& handoff : acked_) {
    const uint64_t token = handoff.token;
    MarkDone(TokenTopic(token), TokenPartition(token), TokenOffset(token));
    if (parts_.admission) parts_.admission->Settled(token, handoff.retry);
  }
  if (parts_.admission) parts_.admission->Tick();
  if (touched_.empty()) return;
  std::sort(touched_.begin(), touched_.end());
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  for (uint32_t key : touched_) {
    auto it = trackers_.find(key);
    if (it == trackers_.end()) continue;
    const int64_t committable = it->second.Committable();
    if (committable >= 0)
      parts_.consumer->StoreOffset(topics_[key >> 16], static_cast<int32_t>(key & 0xFFFF), committable);
  }
  touched_.clear();
}

void Pipeline::ReleaseDueTiers() {
  if (held_partitions_.empty()) return;
  const int64_t now_ms = parts_.clock->NowMs();
  std::erase_if(held_partitions_, [&](const HeldPartition& held) {
    if (held.resume_at_ms > now_ms) return false;
    parts_.consumer->ReleasePartition(topics_[held.topic_index], held.partition);
    return true;
  });
}

size_t Pipeline::PollSize() const {
  // Up to max_inflight open jobs, take only what fits, and nothing while less than a
  // sixteenth of the cap (or of a poll batch) is free: room comes back in chunks worth an
  // admission round trip. Meanwhile the jobs wait in librdkafka's queue.
  const size_t open = unfinished();
  const size_t cap = config_.pipeline.max_inflight;
  const size_t room = open < cap ? cap - open : 0;
  const size_t chunk = std::max<size_t>(1, std::min(config_.pipeline.poll_batch, cap / 16));
  return room < chunk ? 0 : std::min(room, config_.pipeline.poll_batch);
}

void Pipeline::ApplyBackpressure() {
  // Pausing costs: librdkafka 2.0.2 drops what it had fetched and starts a resumed
  // partition on its next one-second scan (measured: a worker capped at 10,000 open jobs
  // ran at 11k msg/s, one pause per second). Below twice the cap PollSize() alone holds
  // the jobs back. Pause only when that is not enough (jobs that stay open a long
  // time), or while the gates cannot be checked (fail closed): the jobs stay in Kafka.
  KafkaConsumer& consumer = *parts_.consumer;
  const size_t open = unfinished();
  const bool gates_down = !gates_available();
  if (!consumer.paused() && (open >= 2 * config_.pipeline.max_inflight || gates_down)) {
    consumer.PauseAll();
  } else if (consumer.paused() && !gates_down && open <= config_.pipeline.max_inflight) {
    consumer.ResumeAll();
  }
}

void Pipeline::ReportLag() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_lag_report_) return;
  next_lag_report_ = now + std::chrono::seconds(1);
  if (parts_.metrics) {
    for (const auto& [partition, lag] : parts_.consumer->Lag())
      parts_.metrics->SetConsumerLag(partition, lag);
  }
  spdlog::debug("pipeline: consumed={} unfinished={} deferred={} held={} paused={} shard_open={}",
                consumed(), unfinished(), deferred(),
                parts_.admission ? parts_.admission->held() : 0, parts_.consumer->paused(),
                parts_.shard->open_jobs());
}

void Pipeline::OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) {
  held_partitions_.clear();
  for (const TopicPartition& tp : partitions) {
    const int topic = TopicIndex(tp.topic);
    if (topic >= 0) trackers_[Key(static_cast<uint8_t>(topic), tp.partition)] = OffsetTracker();
  }
}

void Pipeline::OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) {
  ApplyHandoffs();
  for (const TopicPartition& tp : partitions) {
    const int topic = TopicIndex(tp.topic);
    if (topic < 0) continue;
    if (topic == 0 && parts_.metrics) parts_.metrics->RemoveConsumerLag(tp.partition);
    std::erase_if(held_partitions_, [&](const HeldPartition& h) {
      return h.topic_index == topic && h.partition == tp.partition;
    });
    auto it = trackers_.find(Key(static_cast<uint8_t>(topic), tp.partition));
    if (it == trackers_.end()) continue;
    const int64_t committable = it->second.Committable();
    if (committable >= 0) parts_.consumer->StoreOffset(tp.topic, tp.partition, committable);
    // Open jobs of this partition will be replayed by its next owner; stop counting
    // them here (their late acknowledgements are ignored).
    unfinished_.fetch_sub(it->second.pending(), std::memory_order_relaxed);
    trackers_.erase(it);
  }
}

}  // namespace bulkd::dispatcher
