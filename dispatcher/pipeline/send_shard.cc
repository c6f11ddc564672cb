#include "dispatcher/pipeline/send_shard.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.h"
#include "dispatcher/metrics.h"
#include "dispatcher/kafka/handoff_queue.h"

namespace bulkd::dispatcher {

using providers::AttemptOutcome;
using providers::AttemptReport;
using std::chrono::steady_clock;

SendShard::SendShard(ShardSettings settings, EventPublisher& events, const core::Clock& clock,
                     Metrics* metrics)
    : settings_(settings), events_(events), clock_(clock), metrics_(metrics) {}

SendShard::~SendShard() { Stop(); }

void SendShard::Start() {
  for (auto& provider : providers_) {
    breakers_.emplace(provider.get(), providers::CircuitBreaker(settings_.breaker));
    provider->Start([this](const AttemptReport& report) { OnReport(report); });
  }
  ArmHousekeeping();
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(io_);
    io_.run();
  });
}

void SendShard::Stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    for (auto& provider : providers_) provider->Stop();
    housekeeping_timer_.cancel();
  });
  // Give providers a moment to unbind, then stop the loop.
  boost::asio::steady_timer stop_timer(io_, std::chrono::milliseconds(500));
  stop_timer.async_wait([this](auto) { io_.stop(); });
  thread_.join();
}

void SendShard::Submit(std::vector<std::unique_ptr<JobContext>> jobs) {
  open_jobs_.fetch_add(jobs.size(), std::memory_order_relaxed);
  unsent_.fetch_add(jobs.size(), std::memory_order_relaxed);
  boost::asio::post(io_, [this, jobs = std::move(jobs)]() mutable {
    for (auto& job : jobs) {
      const uint64_t cookie = next_cookie_++;
      jobs_.emplace(cookie, std::move(job));
      Dispatch(cookie);
    }
  });
}

void SendShard::Adopt(std::vector<std::unique_ptr<JobContext>> jobs) {
  open_jobs_.fetch_add(jobs.size(), std::memory_order_relaxed);
  boost::asio::post(io_, [this, jobs = std::move(jobs)]() mutable {
    const auto deadline = steady_clock::now() + settings_.receipt_timeout;
    for (auto& job : jobs) {
      const uint64_t cookie = next_cookie_++;
      job->accepted = true;
      job->answered = true;  // never counted as unsent
      job->adopted = true;
      job->receipt_deadline_ns = deadline.time_since_epoch().count();
      receipt_deadlines_.emplace_back(deadline, cookie);
      jobs_.emplace(cookie, std::move(job));
      if (receipt_map_) awaiting_map_.push_back(cookie);
    }
  });
}

void SendShard::AddProvider(std::unique_ptr<providers::Provider> provider, std::string carrier,
                            uint32_t weight) {
  std::vector<core::Channel> channels;
  for (core::Channel channel : core::kAllChannels)
    if (provider->Serves(channel)) channels.push_back(channel);
  if (!channels.empty()) router_.Add(*provider, channels, std::move(carrier), weight);
  providers_.push_back(std::move(provider));
}

providers::Provider* SendShard::Route(core::Channel channel, std::string_view carrier) {
  const auto now = steady_clock::now();
  providers::Provider* picked = router_.Pick(channel, carrier, [&](const providers::Provider& p) {
    return p.ready() && breakers_.at(&p).WouldAllow(now);
  });
  if (picked) {
    breakers_.at(picked).Allow(now);  // counts a half-open probe
    return picked;
  }
  // None is up: one that is down but not paused by its breaker takes it and queues it
  // (or refuses it, and the job is offered again shortly).
  providers::Provider* down = router_.Pick(channel, carrier, [&](const providers::Provider& p) {
    return breakers_.at(&p).WouldAllow(now);
  });
  if (down) breakers_.at(down).Allow(now);
  return down;
}

void SendShard::RecordHealth(providers::Provider* provider, AttemptOutcome outcome) {
  auto it = breakers_.find(provider);
  if (it == breakers_.end()) return;
  providers::CircuitBreaker& breaker = it->second;
  const auto before = breaker.state();
  if (outcome == AttemptOutcome::kRetry || outcome == AttemptOutcome::kUncertain) {
    breaker.OnFailure(steady_clock::now());
  } else {
    breaker.OnSuccess();
  }
  if (breaker.state() != before) {
    spdlog::warn("shard: provider={} circuit {} -> {}", provider->name(), ToString(before),
                 ToString(breaker.state()));
  }
}

void SendShard::Dispatch(uint64_t cookie) {
  auto it = jobs_.find(cookie);
  if (it == jobs_.end()) return;
  JobContext& ctx = *it->second;
  const int64_t now_ms = clock_.NowMs();
  if (ctx.job.expires_at_ms && now_ms >= *ctx.job.expires_at_ms) {
    Finish(cookie, core::EventType::kExpired, "EXPIRED", "expires_at passed before sending");
    return;
  }
  // Skip channels no provider serves; the job's chain says which come next.
  while (ctx.channel_index < ctx.job.channels.size() &&
         !router_.HasRoute(ctx.job.channels[ctx.channel_index], ctx.job.carrier)) {
    ++ctx.channel_index;
    ctx.attempt = 0;
  }
  if (ctx.channel_index >= ctx.job.channels.size()) {
    Finish(cookie, core::EventType::kFailed, "NO_ROUTE",
           "no configured provider serves any channel of the job");
    return;
  }
  const core::Channel channel = ctx.job.channels[ctx.channel_index];
  providers::Provider* provider = Route(channel, ctx.job.carrier);
  if (!provider) {  // every provider of the channel is paused by its breaker
    refused_.push_back(cookie);
    return;
  }
  ++ctx.attempt;
  ++ctx.total_attempts;
  if (ctx.first_attempt_ms == 0) ctx.first_attempt_ms = now_ms;
  ctx.provider = provider;
  ctx.accepted = false;
  ctx.receipt_deadline_ns = 0;
  ctx.sent_steady_ns = steady_clock::now().time_since_epoch().count();
  if (!provider->Send(cookie, ctx.job, channel)) {
    --ctx.attempt;  // not an attempt: the provider could not take it yet
    --ctx.total_attempts;
    refused_.push_back(cookie);
  }
}

void SendShard::OnReport(const AttemptReport& report) {
  auto it = jobs_.find(report.cookie);
  if (it == jobs_.end()) return;  // already finished (e.g. receipt after timeout)
  JobContext& ctx = *it->second;
  if (!ctx.answered) {
    ctx.answered = true;
    unsent_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (ctx.provider) RecordHealth(ctx.provider, report.outcome);
  const std::string_view channel = core::ToString(ctx.job.channels[ctx.channel_index]);
  const std::string_view provider = ctx.provider ? ctx.provider->name() : "";
  switch (report.outcome) {
    case AttemptOutcome::kAccepted:
    {
      ctx.accepted = true;
      if (metrics_) {
        const auto elapsed = steady_clock::now().time_since_epoch().count() - ctx.sent_steady_ns;
        metrics_->SendLatency(ctx.job.channels[ctx.channel_index], metrics_->Provider(provider))
            .Observe(static_cast<double>(elapsed) / 1e9);
      }
      events_.Publish(ctx, core::EventType::kSubmitted, {channel, provider, report.code, ""});
      if (receipt_map_ && !report.message_ids.empty()) {
        // Kept in Redis, so the receipt finds this job on any worker, also after a restart.
        receipt_map_->Remember(provider, report.message_ids, ctx.job.tenant, ctx.job.id);
        if (ctx.offset >= 0) {
          accepted_queue_->PushAccepted(HandoffToken(ctx.topic_index, ctx.partition, ctx.offset));
        }
      }
      const auto deadline = steady_clock::now() + settings_.receipt_timeout;
      ctx.receipt_deadline_ns = deadline.time_since_epoch().count();
      receipt_deadlines_.emplace_back(deadline, report.cookie);
    }
      break;
    case AttemptOutcome::kDelivered:
      CountReceipt(ctx, report.code);
      Finish(report.cookie, core::EventType::kDelivered, report.code, report.detail);
      break;
    case AttemptOutcome::kUndelivered: {
      CountReceipt(ctx, report.code);
      const auto accepted_for = std::chrono::steady_clock::now().time_since_epoch() -
                                std::chrono::nanoseconds(ctx.sent_steady_ns);
      if (settings_.fallback_on_undelivered.count() > 0 &&
          accepted_for <= settings_.fallback_on_undelivered &&
          ctx.channel_index + 1 < ctx.job.channels.size()) {
        FallBackOrFail(report.cookie, report.code, "undelivered; trying the next channel");
      } else {
        Finish(report.cookie, core::EventType::kUndelivered, report.code, report.detail);
      }
      break;
    }
    case AttemptOutcome::kRetry:
      if (ctx.attempt < static_cast<uint32_t>(settings_.max_attempts_per_channel)) {
        RetryLater(report.cookie, report.code);
      } else {
        FallBackOrFail(report.cookie, report.code, "attempts exhausted");
      }
      break;
    case AttemptOutcome::kFallback:
      FallBackOrFail(report.cookie, report.code, report.detail);
      break;
    case AttemptOutcome::kFailed:
      Finish(report.cookie, core::EventType::kFailed, report.code, report.detail);
      break;
    case AttemptOutcome::kUncertain:
      // It may have reached the person: neither resend nor fall back.
      Finish(report.cookie, core::EventType::kFailed, report.code.empty() ? "UNCERTAIN" : report.code,
             "outcome unknown; not resent to avoid a duplicate");
      break;
  }
}

void SendShard::FallBackOrFail(uint64_t cookie, std::string_view code, std::string_view detail) {
  JobContext& ctx = *jobs_.at(cookie);
  if (ctx.channel_index + 1 >= ctx.job.channels.size()) {
    Finish(cookie, core::EventType::kFailed, code, detail);
    return;
  }
  const std::string_view from = core::ToString(ctx.job.channels[ctx.channel_index]);
  if (metrics_) {
    metrics_->Fallbacks(ctx.job.channels[ctx.channel_index], ctx.job.channels[ctx.channel_index + 1])
        .Increment();
  }
  events_.Publish(ctx, core::EventType::kFallback,
                  {from, ctx.provider ? ctx.provider->name() : "", code, detail});
  ++ctx.channel_index;
  ctx.attempt = 0;
  Dispatch(cookie);
}

std::chrono::milliseconds SendShard::Backoff(uint32_t attempt) {
  // Exponential backoff with full jitter (xorshift: no shared RNG state to lock).
  const int64_t cap = std::min<int64_t>(settings_.retry_max.count(),
                                        settings_.retry_base.count() << std::min(attempt, 20u));
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  return std::chrono::milliseconds(jitter_state_ % static_cast<uint64_t>(cap + 1));
}

void SendShard::RetryLater(uint64_t cookie, std::string_view code) {
  auto it = jobs_.find(cookie);
  if (it == jobs_.end()) return;
  JobContext& ctx = *it->second;
  const auto delay = Backoff(ctx.attempt);
  const int64_t now_ms = clock_.NowMs();
  const int64_t due_ms = now_ms + delay.count();
  const auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.retry_max_age);
  if (due_ms - ctx.first_attempt_ms > budget.count()) {
    FallBackOrFail(cookie, code, "retry time budget spent");
    return;
  }
  const core::Channel channel = ctx.job.channels[ctx.channel_index];
  if (metrics_) metrics_->Retries(channel).Increment();
  events_.Publish(ctx, core::EventType::kRetrying,
                  {core::ToString(channel), ctx.provider ? ctx.provider->name() : "", code, ""});
  if (retry_scheduler_ && !ctx.record.empty() && ctx.offset >= 0) {
    // Durable: the retry record carries the job from here; it is no longer this shard's.
    RetryState state;
    state.retry = ctx.retry + 1;
    state.channel_index = static_cast<uint32_t>(ctx.channel_index);
    state.attempt = ctx.attempt;
    state.total_attempts = ctx.total_attempts;
    state.first_attempt_ms = ctx.first_attempt_ms;
    state.due_ms = due_ms;
    retry_scheduler_->Schedule(ctx, state, now_ms);
    jobs_.erase(it);
    open_jobs_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([this, cookie, timer](auto ec) {
    if (!ec) Dispatch(cookie);
  });
}

void SendShard::Finish(uint64_t cookie, core::EventType type, std::string_view code,
                       std::string_view detail) {
  auto it = jobs_.find(cookie);
  if (it == jobs_.end()) return;
  JobContext& ctx = *it->second;
  const bool has_channel = ctx.channel_index < ctx.job.channels.size();
  events_.Publish(ctx, type,
                  {has_channel ? core::ToString(ctx.job.channels[ctx.channel_index]) : "",
                   ctx.provider ? ctx.provider->name() : "", code, detail});
  if (!ctx.answered) unsent_.fetch_sub(1, std::memory_order_relaxed);
  jobs_.erase(it);
  open_jobs_.fetch_sub(1, std::memory_order_relaxed);
}

void SendShard::CountReceipt(const JobContext& ctx, std::string_view status) {
  if (!metrics_ || !ctx.provider) return;
  metrics_->Receipts(ctx.job.channels[ctx.channel_index], metrics_->Provider(ctx.provider->name()),
                     ReceiptStatusFromStat(status))
      .Increment();
}

void SendShard::ArmHousekeeping() {
  housekeeping_timer_.expires_after(std::chrono::milliseconds(10));
  housekeeping_timer_.async_wait([this](auto ec) {
    if (ec) return;
    Housekeeping();
    ArmHousekeeping();
  });
}

void SendShard::Housekeeping() {
  bool any_ready = false;
  for (const auto& provider : providers_) {
    any_ready |= provider->ready();
    if (metrics_) {
      metrics_->Inflight(metrics_->Provider(provider->name()))
          .Set(static_cast<double>(provider->inflight()));
    }
  }
  ready_.store(any_ready, std::memory_order_relaxed);
  // Jobs a provider could not take: offer them again, in order.
  for (size_t n = refused_.size(); n > 0; --n) {
    const uint64_t cookie = refused_.front();
    refused_.pop_front();
    Dispatch(cookie);
  }
  const auto now = steady_clock::now();
  while (!receipt_deadlines_.empty() && receipt_deadlines_.front().first <= now) {
    const auto [deadline, cookie] = receipt_deadlines_.front();
    receipt_deadlines_.pop_front();
    auto it = jobs_.find(cookie);
    // A job accepted again after a retry has a later deadline of its own.
    if (it != jobs_.end() && it->second->accepted &&
        it->second->receipt_deadline_ns == deadline.time_since_epoch().count()) {
      if (receipt_map_) {
        // Its receipt may have reached another worker: look once before giving up.
        if (!it->second->adopted) awaiting_map_.push_back(cookie);
        it->second->overdue = true;
      } else {
        Finish(cookie, core::EventType::kUndelivered, "NO_RECEIPT",
               "no delivery receipt within the receipt timeout");
      }
    }
  }
  if (receipt_map_) PollReceiptMap(now);
}

void SendShard::SyncReceiptMapMetrics() {
  if (!metrics_) return;
  const ReceiptMapStats& stats = receipt_map_->stats();
  const auto add = [this](ReceiptMapResult result, uint64_t now, uint64_t& last) {
    if (now > last) metrics_->ReceiptMap(result).Increment(static_cast<double>(now - last));
    last = now;
  };
  add(ReceiptMapResult::kRemembered, stats.remembered.load(), map_counts_.remembered);
  add(ReceiptMapResult::kOrphanMatched, stats.orphans_matched.load(), map_counts_.orphans_matched);
  add(ReceiptMapResult::kOrphanUnknown, stats.orphans_unknown.load(), map_counts_.orphans_unknown);
  add(ReceiptMapResult::kDropped, stats.dropped.load(), map_counts_.dropped);
  add(ReceiptMapResult::kRedisError, stats.redis_errors.load(), map_counts_.errors);
}

void SendShard::PollReceiptMap(steady_clock::time_point now) {
  if (now < next_map_poll_) return;
  next_map_poll_ = now + std::chrono::seconds(1);
  SyncReceiptMapMetrics();
  if (map_fetch_pending_ || awaiting_map_.empty()) return;
  std::erase_if(awaiting_map_, [this](uint64_t cookie) { return !jobs_.count(cookie); });
  if (awaiting_map_.empty()) return;
  std::vector<JobKey> keys;
  keys.reserve(awaiting_map_.size());
  for (uint64_t cookie : awaiting_map_) {
    const core::Job& job = jobs_.at(cookie)->job;
    keys.push_back({job.tenant, job.id});
  }
  map_fetch_pending_ = true;
  receipt_map_->Fetch(std::move(keys), [this, cookies = awaiting_map_](
                                           std::vector<FetchedResult> results) mutable {
    boost::asio::post(io_, [this, cookies = std::move(cookies), results = std::move(results)] {
      OnFetched(cookies, results);
    });
  });
}

void SendShard::OnFetched(const std::vector<uint64_t>& cookies,
                          const std::vector<FetchedResult>& results) {
  map_fetch_pending_ = false;
  for (size_t i = 0; i < cookies.size() && i < results.size(); ++i) {
    auto it = jobs_.find(cookies[i]);
    if (it == jobs_.end()) continue;  // ended meanwhile (its own receipt came)
    const FetchedResult& result = results[i];
    switch (result.status) {
      case FetchedResult::Status::kDelivered:
        if (metrics_) metrics_->ReceiptMap(ReceiptMapResult::kAdoptedReceipt).Increment();
        Finish(cookies[i], core::EventType::kDelivered, result.code, "receipt via the receipt map");
        break;
      case FetchedResult::Status::kUndelivered:
        if (metrics_) metrics_->ReceiptMap(ReceiptMapResult::kAdoptedReceipt).Increment();
        Finish(cookies[i], core::EventType::kUndelivered, result.code, "receipt via the receipt map");
        break;
      case FetchedResult::Status::kPending:
        if (it->second->overdue) {
          Finish(cookies[i], core::EventType::kUndelivered, "NO_RECEIPT",
                 "no delivery receipt within the receipt timeout");
        }
        break;
    }
  }
}

}  // namespace bulkd::dispatcher
