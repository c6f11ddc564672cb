#include "dispatcher/pipeline/admission_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/text_encoding.h"
#include "dispatcher/metrics.h"

namespace bulkd::dispatcher {
namespace {

// While Redis is down, held jobs are retried this often.
constexpr std::chrono::milliseconds kUnavailableRetry{500};
// Jobs offered from one queue per round trip, and held jobs offered per round trip in
// all: bounds the script's work; the rest stay queued for the next call.
constexpr uint32_t kMaxOfferPerQueue = 1024;
constexpr size_t kMaxHeldPerBatch = 4096;
// A refusing bucket is asked again no sooner than this: at low rates its wait is a few
// milliseconds (one token), and asking that often costs a Redis round trip per token per
// worker; waiting a little longer lets the tokens of several jobs gather.
constexpr std::chrono::milliseconds kMinBucketWait{10};
// Replays of jobs another live worker holds are asked about again this often.
constexpr std::chrono::milliseconds kRecheck{2000};
// The worker's heartbeat: refreshed this often, lapses after kHeartbeatTtl (so a dead
// worker's jobs are recovered that long after it stopped, at the latest).
constexpr std::chrono::milliseconds kHeartbeatEvery{2000};
constexpr std::chrono::milliseconds kHeartbeatTtl{10000};
// Settled entries kept for removal while Redis is unreachable; beyond this they are
// dropped (the ledger hash expires by itself).
constexpr size_t kMaxSettledBacklog = 1'000'000;

// Tokens are charged in segments: a 3-part SMS costs 3 (docs/domain.md). LMS and the
// other channels are one message each.
uint32_t Segments(const core::Job& job) {
  if (job.channels.empty() || job.channels.front() != core::Channel::kSms) return 1;
  const auto encoding = core::IsGsm7(job.text) ? core::SmsEncoding::kGsm7 : core::SmsEncoding::kUcs2;
  return static_cast<uint32_t>(core::CountSegments(job.text, encoding));
}

}  // namespace

AdmissionStage::AdmissionStage(ratelimit::Admission& admission, std::string route_name,
                               Metrics* metrics)
    : admission_(admission), route_name_(std::move(route_name)), metrics_(metrics) {}

AdmissionStage::Clock::time_point AdmissionStage::next_due() const {
  Clock::time_point due = unavailable_.empty() ? Clock::time_point::max() : unavailable_due_;
  for (const auto& [key, queue] : queues_)
    if (!queue.jobs.empty()) due = std::min(due, queue.due);
  if (!in_progress_.jobs.empty()) due = std::min(due, in_progress_.due);
  // Waiting for room in the send shard: look again shortly.
  if (!ready_.empty()) due = std::min(due, last_admit_ + std::chrono::milliseconds(2));
  return due;
}

size_t AdmissionStage::BucketsOf(const core::Job& job, ratelimit::BucketRef* refs) const {
  size_t n = 0;
  refs[n++] = {"tenant", job.tenant};
  // The job's carrier hint names its carrier bucket; without one, the default route.
  refs[n++] = {"carrier", job.carrier.empty() ? std::string_view(route_name_) : job.carrier};
  if (!job.sender.empty()) refs[n++] = {"sender", job.sender};
  if (!job.template_code.empty()) refs[n++] = {"template", job.template_code};
  return n;
}

void AdmissionStage::KeyOf(const ratelimit::BucketRef& ref, std::string& key) {
  key.assign(ref.scope).push_back('\0');
  key.append(ref.name);
}

AdmissionStage::WaitQueue* AdmissionStage::QueueFor(const core::Job& job) {
  ratelimit::BucketRef refs[kMaxBuckets];
  const size_t n = BucketsOf(job, refs);
  for (size_t b = 0; b < n; ++b) {
    KeyOf(refs[b], key_);
    auto it = queues_.find(key_);
    if (it != queues_.end() && !it->second.jobs.empty()) return &it->second;
  }
  return nullptr;
}

void AdmissionStage::Enqueue(WaitQueue& queue, uint64_t arrival, std::unique_ptr<JobContext> job) {
  queue.jobs.emplace(arrival, std::move(job));
  ++held_count_;
}

void AdmissionStage::HoldUnavailable(uint64_t arrival, std::unique_ptr<JobContext> job) {
  unavailable_.emplace(arrival, std::move(job));
  ++held_count_;
}

void AdmissionStage::Take(uint64_t arrival, std::unique_ptr<JobContext> job, WaitQueue* source) {
  arrivals_.push_back(arrival);
  batch_.push_back(std::move(job));
  source_.push_back(source);
  if (source) ++source->offered_now;
  --held_count_;
}

void AdmissionStage::TakeDueQueues(Clock::time_point now, size_t limit) {
  limit = std::min(limit, kMaxHeldPerBatch);
  // Jobs held while Redis was down go first, oldest first.
  if (!unavailable_.empty() && unavailable_due_ <= now) {
    while (!unavailable_.empty() && batch_.size() < limit) {
      auto node = unavailable_.extract(unavailable_.begin());
      Take(node.key(), std::move(node.mapped()), nullptr);
    }
  }
  if (!in_progress_.jobs.empty() && in_progress_.due <= now) {
    while (!in_progress_.jobs.empty() && batch_.size() < limit) {
      auto node = in_progress_.jobs.extract(in_progress_.jobs.begin());
      Take(node.key(), std::move(node.mapped()), nullptr);
    }
  }
  for (auto& [key, queue] : queues_) {
    if (queue.jobs.empty() || queue.due > now) continue;
    while (!queue.jobs.empty() && queue.offered_now < queue.offer && batch_.size() < limit) {
      auto node = queue.jobs.extract(queue.jobs.begin());
      Take(node.key(), std::move(node.mapped()), &queue);
    }
  }
}

void AdmissionStage::Admit(std::vector<std::unique_ptr<JobContext>>& incoming,
                           AdmissionResult& result, size_t room) {
  batch_.clear();
  arrivals_.clear();
  source_.clear();
  const auto now = Clock::now();
  last_admit_ = now;
  TakeDueQueues(now, room);
  for (auto& job : incoming) {
    const uint64_t arrival = next_arrival_++;
    // Behind a bucket that is already waiting: queue it there, no round trip.
    if (!queues_.empty()) {
      if (WaitQueue* queue = QueueFor(job->job)) {
        Enqueue(*queue, arrival, std::move(job));
        ++stats_.queued_direct;
        continue;
      }
    }
    ready_.emplace(arrival, std::move(job));
    ++held_count_;
  }
  incoming.clear();
  while (!ready_.empty() && batch_.size() < room) {
    auto node = ready_.extract(ready_.begin());
    Take(node.key(), std::move(node.mapped()), nullptr);
  }
  if (batch_.empty()) return;
  if (number_map_) ResolveCarriers();

  // Views into the jobs; `buckets_` is sized first so spans into it stay valid.
  buckets_.assign(batch_.size() * kMaxBuckets, {});
  requests_.resize(batch_.size());
  for (size_t i = 0; i < batch_.size(); ++i) {
    const core::Job& job = batch_[i]->job;
    ratelimit::BucketRef* refs = &buckets_[i * kMaxBuckets];
    const size_t n = BucketsOf(job, refs);
    requests_[i] = {job.tenant, job.id, job.to, job.kind, Segments(job), {refs, n}, batch_[i]->retry};
  }
  decisions_.resize(batch_.size());
  ++stats_.round_trips;
  stats_.offered += batch_.size();
  const std::error_code ec = admission_.Admit(requests_, decisions_);
  if (ec) {
    if (redis_available_) spdlog::warn("admission: redis unavailable ({}); holding jobs", ec.message());
    redis_available_ = false;
    if (metrics_) metrics_->RedisErrors().Increment();
    for (size_t i = 0; i < batch_.size(); ++i) HoldUnavailable(arrivals_[i], std::move(batch_[i]));
    unavailable_due_ = now + kUnavailableRetry;
    for (auto& [key, queue] : queues_) queue.offered_now = 0;
    return;
  }
  if (!redis_available_) spdlog::info("admission: redis available again");
  redis_available_ = true;
  for (size_t i = 0; i < batch_.size(); ++i) {
    const ratelimit::Decision& decision = decisions_[i];
    switch (decision.verdict) {
      case ratelimit::Verdict::kAdmit:
        EnterLedger(*batch_[i]);
        result.admitted.push_back(std::move(batch_[i]));
        if (source_[i]) ++source_[i]->passed_now;
        break;
      case ratelimit::Verdict::kOptedOut:
        EnterLedger(*batch_[i]);
        result.opted_out.push_back(std::move(batch_[i]));
        if (source_[i]) ++source_[i]->passed_now;
        break;
      case ratelimit::Verdict::kRecovered:
        EnterLedger(*batch_[i]);
        result.recovered.push_back(std::move(batch_[i]));
        if (source_[i]) ++source_[i]->passed_now;
        break;
      case ratelimit::Verdict::kAdopted:
        EnterLedger(*batch_[i]);
        result.adopted.push_back(std::move(batch_[i]));
        if (source_[i]) ++source_[i]->passed_now;
        break;
      case ratelimit::Verdict::kInProgress:
        if (in_progress_.jobs.empty()) in_progress_.due = now + kRecheck;
        Enqueue(in_progress_, arrivals_[i], std::move(batch_[i]));
        if (source_[i]) ++source_[i]->passed_now;
        break;
      case ratelimit::Verdict::kDuplicate:
        result.duplicates.push_back(std::move(batch_[i]));
        if (source_[i]) ++source_[i]->passed_now;
        break;
      case ratelimit::Verdict::kWait: {
        ++stats_.refused;
        const size_t b = decision.bucket >= 0 ? static_cast<size_t>(decision.bucket) : 0;
        const ratelimit::BucketRef& ref = requests_[i].buckets[std::min(b, requests_[i].buckets.size() - 1)];
        if (metrics_) {
          metrics_->RateLimitWait(RateScopeFromString(ref.scope))
              .Observe(decision.retry_after_ms / 1000.0);
        }
        KeyOf(ref, key_);
        WaitQueue& queue = queues_[key_];
        // The first refusal of the round is the oldest job: its wait is the bucket's.
        if (!queue.refused_now) {
          queue.refused_now = true;
          queue.due = now + std::max(std::chrono::milliseconds(decision.retry_after_ms), kMinBucketWait);
        }
        Enqueue(queue, arrivals_[i], std::move(batch_[i]));
        break;
      }
      case ratelimit::Verdict::kUnavailable:
        HoldUnavailable(arrivals_[i], std::move(batch_[i]));
        unavailable_due_ = now + kUnavailableRetry;
        break;
    }
  }
  // Offer sizes: grow while the bucket grants everything offered, shrink to what it
  // granted once it refuses.
  for (auto it = queues_.begin(); it != queues_.end();) {
    WaitQueue& queue = it->second;
    if (queue.offered_now > 0) {
      if (queue.refused_now) {
        queue.offer = std::max<uint32_t>(1, queue.passed_now);
      } else {
        queue.offer = std::min(queue.offer * 2, kMaxOfferPerQueue);
        queue.due = now;  // it still grants: offer the next ones at once
      }
    }
    queue.offered_now = queue.passed_now = 0;
    queue.refused_now = false;
    it = queue.jobs.empty() ? queues_.erase(it) : std::next(it);
  }
}

void AdmissionStage::ResolveCarriers() {
  lookup_numbers_.clear();
  lookup_index_.clear();
  for (size_t i = 0; i < batch_.size(); ++i) {
    if (!batch_[i]->job.carrier.empty()) continue;  // hinted, or looked up before
    lookup_numbers_.push_back(batch_[i]->job.to);
    lookup_index_.push_back(i);
  }
  // A failure leaves the default route; the admission call that follows meets the same
  // Redis trouble and holds the jobs.
  if (lookup_numbers_.empty() || number_map_->Lookup(lookup_numbers_, lookup_carriers_)) return;
  for (size_t k = 0; k < lookup_index_.size(); ++k) {
    if (!lookup_carriers_[k].empty()) batch_[lookup_index_[k]]->job.carrier = std::move(lookup_carriers_[k]);
  }
}

void AdmissionStage::EnterLedger(const JobContext& job) {
  if (!admission_.has_ledger() || job.offset < 0) return;
  ledger_[HandoffToken(job.topic_index, job.partition, job.offset)] = ratelimit::LedgerEntry{
      job.job.tenant, ratelimit::Admission::LedgerHash(job.job.id), job.retry};
}

void AdmissionStage::Settled(uint64_t token, uint32_t retry) {
  auto it = ledger_.find(token);
  if (it == ledger_.end()) return;
  it->second.retry = retry;
  if (settled_.size() < kMaxSettledBacklog) settled_.push_back(std::move(it->second));
  ledger_.erase(it);
}

void AdmissionStage::Accepted(uint64_t token) {
  auto it = ledger_.find(token);
  if (it == ledger_.end() || accepted_.size() >= kMaxSettledBacklog) return;
  accepted_.push_back(it->second);  // retry = the record it came from: the owner's value
}

void AdmissionStage::Tick() {
  if (!admission_.has_ledger()) return;
  const auto now = Clock::now();
  if (now >= next_heartbeat_) {
    // A failure is retried at the next tick; the heartbeat's TTL leaves several tries.
    if (!admission_.Heartbeat(kHeartbeatTtl)) next_heartbeat_ = now + kHeartbeatEvery;
  }
  // Marks first: a job accepted and settled within one tick ends up removed.
  if (!accepted_.empty() && redis_available_ && !admission_.MarkAccepted(accepted_)) {
    accepted_.clear();
  }
  if (!settled_.empty() && redis_available_ && !admission_.Settle(settled_)) settled_.clear();
}

void AdmissionStage::Retire() {
  Tick();
  if (admission_.has_ledger()) admission_.Retire();
}

}  // namespace bulkd::dispatcher
