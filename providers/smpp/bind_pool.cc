#include "providers/smpp/bind_pool.h"

#include <stdexcept>

namespace bulkd::providers::smpp {

BindPool::BindPool(boost::asio::io_context& io, const ClientConfig& config, uint32_t binds,
                   ClientHandlers handlers, std::function<void(size_t, bool)> on_bound)
    : on_bound_(std::move(on_bound)), queue_cap_(config.queue_cap) {
  if (binds == 0) throw std::invalid_argument("smpp: binds must be >= 1");
  binds_.reserve(binds);
  for (uint32_t i = 0; i < binds; ++i) {
    ClientHandlers h = handlers;
    h.on_bound = [this, i](bool bound) { OnBound(i, bound); };
    binds_.push_back(std::make_unique<Client>(io, config, std::move(h)));
  }
}

void BindPool::Start() {
  for (auto& b : binds_) b->Start();
}

void BindPool::Stop() {
  stopping_ = true;
  for (auto& b : binds_) b->Stop();
}

int BindPool::Pick(size_t submits) {
  const size_t n = binds_.size();
  int best = -1;
  int best_tier = 0;
  size_t best_load = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (next_ + k) % n;
    const Client& b = *binds_[i];
    if (b.stopped()) continue;
    const size_t queued = b.queued();
    if (queued > 0 && queued + submits > queue_cap_) continue;
    const int tier = b.bound() ? (b.paused() ? 1 : 0) : 2;
    const size_t load = b.inflight() + queued;
    if (best < 0 || tier < best_tier || (tier == best_tier && load < best_load)) {
      best = static_cast<int>(i);
      best_tier = tier;
      best_load = load;
    }
  }
  next_ = (next_ + 1) % n;
  return best;
}

// A bind that is down keeps its queue until it is bound again; while others are bound,
// the queue moves to them instead (nothing in it was written, so nothing is sent twice):
// when it goes down, and when another comes up (all were down, e.g. an SMSC restart).
void BindPool::OnBound(size_t bind, bool bound) {
  if (!stopping_) {
    if (!bound) {
      if (this->bound() > 0) MoveQueue(bind);
    } else {
      for (size_t other = 0; other < binds_.size(); ++other) {
        if (other != bind && !binds_[other]->bound()) MoveQueue(other);
      }
    }
  }
  if (on_bound_) on_bound_(bind, bound);
}

void BindPool::MoveQueue(size_t from) {
  if (binds_[from]->queued() == 0 || binds_[from]->stopped()) return;
  for (SubmitRequest& r : binds_[from]->TakeQueued()) {
    const int to = Pick(1);
    if (to >= 0 && static_cast<size_t>(to) != from && binds_[static_cast<size_t>(to)]->bound() &&
        binds_[static_cast<size_t>(to)]->Submit(std::move(r))) {
      ++requeued_;
      continue;
    }
    binds_[from]->Submit(std::move(r));  // its own queue was just emptied: it fits
  }
}

size_t BindPool::bound() const {
  size_t n = 0;
  for (const auto& b : binds_) n += b->bound() ? 1 : 0;
  return n;
}

size_t BindPool::inflight() const {
  size_t n = 0;
  for (const auto& b : binds_) n += b->inflight();
  return n;
}

size_t BindPool::queued() const {
  size_t n = 0;
  for (const auto& b : binds_) n += b->queued();
  return n;
}

bool BindPool::stopped() const {
  for (const auto& b : binds_) {
    if (!b->stopped()) return false;
  }
  return true;
}

ClientStats BindPool::stats() const {
  ClientStats sum;
  for (const auto& b : binds_) sum += b->stats();
  return sum;
}

}  // namespace bulkd::providers::smpp
