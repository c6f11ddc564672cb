#include "dispatcher/admission_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/text_encoding.h"
#include "dispatcher/metrics.h"

namespace bulkd::dispatcher {
namespace {

using Clock = std::chrono::steady_clock;

// While Redis is down, held jobs are retried this often.
constexpr std::chrono::milliseconds kUnavailableRetry{500};
constexpr size_t kBucketsPerJob = 4;  // tenant, route, sender, template
// Held jobs offered to Redis per round trip: bounds the script's work when a bucket
// keeps refusing; the rest stay held for the next call.
constexpr size_t kMaxHeldPerBatch = 1024;

// Tokens are charged in segments: a 3-part SMS costs 3 (DOMAIN.md). LMS and the
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

Clock::time_point AdmissionStage::next_due() const {
  return held_.empty() ? Clock::time_point::max() : held_.begin()->first;
}

void AdmissionStage::Hold(uint64_t arrival, std::unique_ptr<JobContext> job,
                          std::chrono::milliseconds wait) {
  held_.emplace(Clock::now() + wait, Held{arrival, std::move(job)});
}

void AdmissionStage::Admit(std::vector<std::unique_ptr<JobContext>>& incoming,
                           AdmissionResult& result) {
  batch_.clear();
  arrivals_.clear();
  // Due held jobs go first, oldest arrival first: a job that waited for a slow bucket
  // must not sort behind every job that arrived after it (it would starve).
  const auto now = Clock::now();
  std::vector<Held> due;
  while (!held_.empty() && held_.begin()->first <= now) {
    due.push_back(std::move(held_.begin()->second));
    held_.erase(held_.begin());
  }
  std::sort(due.begin(), due.end(),
            [](const Held& a, const Held& b) { return a.arrival < b.arrival; });
  for (size_t i = 0; i < due.size(); ++i) {
    if (i < kMaxHeldPerBatch) {
      arrivals_.push_back(due[i].arrival);
      batch_.push_back(std::move(due[i].job));
    } else {
      held_.emplace(now, std::move(due[i]));  // still due: offered next time
    }
  }
  for (auto& job : incoming) {
    arrivals_.push_back(next_arrival_++);
    batch_.push_back(std::move(job));
  }
  incoming.clear();
  if (batch_.empty()) return;

  // Views into the jobs; `buckets_` is sized first so spans into it stay valid.
  buckets_.assign(batch_.size() * kBucketsPerJob, {});
  requests_.resize(batch_.size());
  for (size_t i = 0; i < batch_.size(); ++i) {
    const core::Job& job = batch_[i]->job;
    ratelimit::BucketRef* refs = &buckets_[i * kBucketsPerJob];
    size_t n = 0;
    refs[n++] = {"tenant", job.tenant};
    refs[n++] = {"carrier", route_name_};
    if (!job.sender.empty()) refs[n++] = {"sender", job.sender};
    if (!job.template_code.empty()) refs[n++] = {"template", job.template_code};
    requests_[i] = {job.tenant, job.id, job.to, job.kind, Segments(job), {refs, n}};
  }
  decisions_.resize(batch_.size());
  const std::error_code ec = admission_.Admit(requests_, decisions_);
  if (ec) {
    if (redis_available_) spdlog::warn("admission: redis unavailable ({}); holding jobs", ec.message());
    redis_available_ = false;
    if (metrics_) metrics_->RedisErrors().Increment();
    for (size_t i = 0; i < batch_.size(); ++i) Hold(arrivals_[i], std::move(batch_[i]), kUnavailableRetry);
    return;
  }
  if (!redis_available_) spdlog::info("admission: redis available again");
  redis_available_ = true;
  for (size_t i = 0; i < batch_.size(); ++i) {
    const ratelimit::Decision& decision = decisions_[i];
    switch (decision.verdict) {
      case ratelimit::Verdict::kAdmit:
        result.admitted.push_back(std::move(batch_[i]));
        break;
      case ratelimit::Verdict::kOptedOut:
        result.opted_out.push_back(std::move(batch_[i]));
        break;
      case ratelimit::Verdict::kDuplicate:
        result.duplicates.push_back(std::move(batch_[i]));
        break;
      case ratelimit::Verdict::kWait: {
        if (metrics_ && decision.bucket >= 0) {
          const auto& ref = requests_[i].buckets[static_cast<size_t>(decision.bucket)];
          metrics_->RateLimitWait(RateScopeFromString(ref.scope))
              .Observe(decision.retry_after_ms / 1000.0);
        }
        Hold(arrivals_[i], std::move(batch_[i]),
             std::chrono::milliseconds(std::max<uint32_t>(decision.retry_after_ms, 1)));
        break;
      }
      case ratelimit::Verdict::kUnavailable:
        Hold(arrivals_[i], std::move(batch_[i]), kUnavailableRetry);
        break;
    }
  }
}

}  // namespace bulkd::dispatcher
