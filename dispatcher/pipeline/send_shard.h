// dispatcher/pipeline/send_shard.h — one io thread that owns provider connections and takes each
// admitted job to its terminal event: route to a channel, send, retry with backoff,
// fall back along the job's chain, wait for the receipt.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "providers/circuit_breaker.h"
#include "dispatcher/config.h"
#include "dispatcher/kafka/event_publisher.h"
#include "dispatcher/job_context.h"
#include "dispatcher/durable/receipt_map.h"
#include "dispatcher/durable/retry_record.h"
#include "providers/provider.h"
#include "providers/router.h"

namespace bulkd::dispatcher {

class HandoffQueue;

struct ShardSettings {
  int max_attempts_per_channel = 5;
  std::chrono::milliseconds retry_base{200};
  std::chrono::milliseconds retry_max{30000};
  // A job is retried only while its next attempt would be within this long of its first;
  // then it falls back or fails.
  std::chrono::seconds retry_max_age{600};
  std::chrono::seconds receipt_timeout{300};
  // An undelivered result this soon after acceptance sends the job's next channel
  // instead of ending it (RCS or Alimtalk that did not arrive -> SMS); 0 = never.
  std::chrono::seconds fallback_on_undelivered{0};
  providers::CircuitBreakerSettings breaker;  // per provider
};

class SendShard {
 public:
  // `metrics` may be null (tests).
  SendShard(ShardSettings settings, EventPublisher& events, const core::Clock& clock,
            Metrics* metrics);
  ~SendShard();  // Stop()s

  // The shard's io_context, for constructing providers that live on it.
  boost::asio::io_context& io() { return io_; }
  // Adds a provider for the channels it serves, with its route: a carrier tag ("" =
  // default route for every job) and a weight among the providers of equal standing.
  // Before Start() only.
  void AddProvider(std::unique_ptr<providers::Provider> provider, std::string carrier = {},
                   uint32_t weight = 1);

  // With a scheduler, retries are durable: a job due for another attempt is written to a
  // delay tier (dispatcher/durable/retry_record.h) and leaves this shard; the scheduler must
  // outlive the shard. Without one (the default), retries wait here on a timer and a
  // restart loses them. Jobs without their record bytes (JobContext::record) always
  // retry here. Before Start() only.
  void SetRetryScheduler(RetryScheduler* scheduler) { retry_scheduler_ = scheduler; }
  // With a receipt map, the SMPP message ids of accepted jobs are kept in Redis and the
  // jobs are announced on `accepted` (to mark them in the in-flight ledger), so a receipt
  // that reaches another worker, or comes after a restart, still ends its job: adopted
  // jobs are polled in the map once a second, and any job at its receipt timeout is
  // looked up once before it ends NO_RECEIPT. Both must outlive the shard. Before Start().
  void SetReceiptMap(ReceiptMap* map, HandoffQueue* accepted) {
    receipt_map_ = map;
    accepted_queue_ = accepted;
  }

  // Starts the io thread and the providers.
  void Start();
  // Stops providers and the thread. Jobs still open stay unfinished: their offsets were
  // never committed, so the group replays them.
  void Stop();

  // Hands jobs over; thread-safe (posts to the io thread).
  void Submit(std::vector<std::unique_ptr<JobContext>> jobs);
  // Jobs a dead worker had sent and a provider accepted (admission's kAdopted): their
  // receipt is awaited through the receipt map, never resent; without a map, or with no
  // result by the receipt timeout, they end undelivered NO_RECEIPT. Thread-safe.
  void Adopt(std::vector<std::unique_ptr<JobContext>> jobs);

  // Jobs handed over and not yet at a terminal event. Thread-safe.
  size_t open_jobs() const { return open_jobs_.load(std::memory_order_relaxed); }
  // Jobs handed over that no provider has answered yet (queued, batching, in a window).
  // Thread-safe.
  size_t unsent() const { return unsent_.load(std::memory_order_relaxed); }
  // At least one provider is connected. Thread-safe.
  bool ready() const { return ready_.load(std::memory_order_relaxed); }

 private:
  void Dispatch(uint64_t cookie);
  void OnReport(const providers::AttemptReport& report);
  void Finish(uint64_t cookie, core::EventType type, std::string_view code,
              std::string_view detail);
  void FallBackOrFail(uint64_t cookie, std::string_view code, std::string_view detail);
  // Retries the job after a backoff (or falls back/fails once its time budget is spent).
  void RetryLater(uint64_t cookie, std::string_view code);
  std::chrono::milliseconds Backoff(uint32_t attempt);
  void CountReceipt(const JobContext& ctx, std::string_view status);
  void ArmHousekeeping();
  void Housekeeping();
  // Asks the receipt map for the results of adopted and overdue jobs (one fetch at a
  // time, at most once a second).
  void PollReceiptMap(std::chrono::steady_clock::time_point now);
  void OnFetched(const std::vector<uint64_t>& cookies, const std::vector<FetchedResult>& results);
  // Adds what the receipt map counted since the last call to bulkd_receipt_map_total.
  void SyncReceiptMapMetrics();
  // A provider for the job's channel that is up and whose breaker lets an attempt
  // through (by carrier hint and weight, providers/router.h); else one that serves it
  // but is down (it queues meanwhile); null when every one is paused by its breaker.
  providers::Provider* Route(core::Channel channel, std::string_view carrier);
  void RecordHealth(providers::Provider* provider, providers::AttemptOutcome outcome);

  ShardSettings settings_;
  std::vector<std::unique_ptr<providers::Provider>> providers_;
  providers::Router router_;
  std::unordered_map<const providers::Provider*, providers::CircuitBreaker> breakers_;
  RetryScheduler* retry_scheduler_ = nullptr;
  ReceiptMap* receipt_map_ = nullptr;
  HandoffQueue* accepted_queue_ = nullptr;
  std::vector<uint64_t> awaiting_map_;  // adopted or overdue jobs, by cookie
  std::chrono::steady_clock::time_point next_map_poll_{};
  bool map_fetch_pending_ = false;
  struct MapCounts {
    uint64_t remembered = 0, orphans_matched = 0, orphans_unknown = 0, dropped = 0, errors = 0;
  } map_counts_;  // as last added to the metrics
  EventPublisher& events_;
  const core::Clock& clock_;
  Metrics* metrics_;
  boost::asio::io_context io_{1};
  boost::asio::steady_timer housekeeping_timer_{io_};
  std::thread thread_;
  uint64_t next_cookie_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<JobContext>> jobs_;
  std::deque<uint64_t> refused_;  // providers were full or down: send again soon
  // Accepted jobs in acceptance order with their receipt deadline (constant timeout,
  // so the queue stays sorted).
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> receipt_deadlines_;
  std::atomic<size_t> open_jobs_{0};
  std::atomic<size_t> unsent_{0};
  std::atomic<bool> ready_{false};
  uint64_t jitter_state_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace bulkd::dispatcher
