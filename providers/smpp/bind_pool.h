// providers/smpp/bind_pool.h — N transceiver binds to one SMPP account used as one: picks
// the bind for the next message (bound, not throttled, least loaded), hands the queued
// (never written) requests of a bind that is down to bound ones, and sums the counters.
//
// Thread-safety: like Client, confined to the io_context's thread; never blocks or
// throws (config errors aside: the constructor throws std::invalid_argument for
// binds == 0 or a ClientConfig that Client refuses).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "providers/smpp/client.h"

namespace bulkd::providers::smpp {

class BindPool {
 public:
  // Every bind gets `handlers` (submit results, receipts, MO: from any bind, matched by
  // the caller's cookie or message id); `on_bound` is told which bind came up or went
  // down, after a dropped bind's queue has moved.
  BindPool(boost::asio::io_context& io, const ClientConfig& config, uint32_t binds,
           ClientHandlers handlers, std::function<void(size_t bind, bool bound)> on_bound);
  BindPool(const BindPool&) = delete;
  BindPool& operator=(const BindPool&) = delete;

  void Start();  // connects every bind (each reconnects on its own until Stop())
  void Stop();   // Client::Stop() on every bind: each drains its window and unbinds

  // The bind that should take the next message of `submits` requests: among binds whose
  // queue can take them all (an empty queue always can), bound and unpaused ones first,
  // then bound but throttled, then not bound yet; least loaded (in flight + queued)
  // within that, ties in turn. -1 when none can (every queue full, or stopped).
  int Pick(size_t submits);
  // Client::Submit on bind `bind` (an index from Pick).
  bool Submit(size_t bind, SubmitRequest&& request) {
    return binds_[bind]->Submit(std::move(request));
  }

  size_t size() const { return binds_.size(); }
  const Client& bind(size_t i) const { return *binds_[i]; }
  size_t bound() const;     // binds bound now
  size_t inflight() const;  // submit_sm written, no response yet, over every bind
  size_t queued() const;
  bool stopped() const;     // every bind stopped
  ClientStats stats() const;  // summed over the binds
  uint64_t requeued() const { return requeued_; }  // requests moved off a dropped bind

 private:
  void OnBound(size_t bind, bool bound);
  void MoveQueue(size_t from);  // to bound binds, as far as their queues take it

  std::vector<std::unique_ptr<Client>> binds_;
  std::function<void(size_t, bool)> on_bound_;
  size_t queue_cap_;
  size_t next_ = 0;  // where the next tie-break starts
  bool stopping_ = false;
  uint64_t requeued_ = 0;
};

}  // namespace bulkd::providers::smpp
