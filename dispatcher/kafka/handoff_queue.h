// dispatcher/kafka/handoff_queue.h — acknowledged hand-offs, passed from the producer's
// delivery-report thread to the consumer loop, which settles offsets and the in-flight
// ledger with them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace bulkd::dispatcher {

// Acknowledged hand-offs, from the producer's thread to the consumer loop. A hand-off is
// a terminal event, DLQ or deferral record, or a retry record (announced with
// ExpectRetry before it is produced). Thread-safe.
struct Handoff {
  uint64_t token = 0;
  uint32_t retry = 0;  // > 0: the job was handed over as this retry record
};

class HandoffQueue {
 public:
  // Called (under the queue's lock: keep it short) when a hand-off arrives in an empty
  // queue. It wakes the consumer loop, so the ledger is settled within milliseconds of
  // the acknowledgement: until then a crash leaves a finished job to be recovered and
  // ended a second time. Empty (the default) = no wake-up.
  void SetWake(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
  }

  void Push(uint64_t token) {
    std::lock_guard lock(mutex_);
    uint32_t retry = 0;
    if (!retries_.empty()) {
      if (auto it = retries_.find(token); it != retries_.end()) {
        retry = it->second;
        retries_.erase(it);
      }
    }
    handoffs_.push_back({token, retry});
    if (handoffs_.size() == 1) {
      if (wake_) wake_();
      arrived_.notify_one();
    }
  }
  // Waits until a hand-off is queued or `timeout` passes (the consumer loop, while it
  // takes no records).
  void WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [this] { return !handoffs_.empty(); });
  }
  void ExpectRetry(uint64_t token, uint32_t retry) {
    std::lock_guard lock(mutex_);
    retries_[token] = retry;
  }
  void TakeAll(std::vector<Handoff>& out) {
    std::lock_guard lock(mutex_);
    out.swap(handoffs_);
    handoffs_.clear();
  }

  // Jobs a provider accepted whose receipt is awaited (not hand-offs: their offsets wait
  // for the terminal event), to be marked in the in-flight ledger.
  void PushAccepted(uint64_t token) {
    std::lock_guard lock(mutex_);
    accepted_.push_back(token);
  }
  void TakeAccepted(std::vector<uint64_t>& out) {
    std::lock_guard lock(mutex_);
    out.swap(accepted_);
    accepted_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Handoff> handoffs_;
  std::unordered_map<uint64_t, uint32_t> retries_;  // announced retry records by token
  std::function<void()> wake_;
  std::vector<uint64_t> accepted_;
};

}  // namespace bulkd::dispatcher
