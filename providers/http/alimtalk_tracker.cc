#include "providers/http/alimtalk_tracker.h"

namespace bulkd::providers::http {

std::string AlimtalkTracker::EarlyKey(const std::string& request_id, uint32_t seq) {
  std::string key = request_id;
  key += '#';
  key += std::to_string(seq);
  return key;
}

std::vector<AlimtalkTracker::Final> AlimtalkTracker::AddRequest(
    const std::string& request_id, std::vector<uint64_t> cookies_by_seq, TimePoint now) {
  std::vector<Final> finals;
  if (requests_.count(request_id)) return finals;
  Request request;
  request.cookies = std::move(cookies_by_seq);
  request.expires_at = now + config_.result_timeout;
  for (size_t i = 0; i < request.cookies.size(); ++i) {
    uint64_t& cookie = request.cookies[i];
    if (cookie == 0) continue;
    if (!early_.empty()) {
      auto it = early_.find(EarlyKey(request_id, static_cast<uint32_t>(i + 1)));
      if (it != early_.end()) {
        finals.push_back({cookie, it->second.code});
        early_.erase(it);  // its early_order_ entry finds nothing when it expires
        cookie = 0;
        continue;
      }
    }
    ++request.open;
  }
  if (request.open == 0) return finals;
  awaiting_ += request.open;
  requests_.emplace(request_id, std::move(request));
  polls_.emplace_back(now + config_.poll_interval, request_id);
  expiries_.emplace_back(now + config_.result_timeout, request_id);
  return finals;
}

std::optional<AlimtalkTracker::Final> AlimtalkTracker::OnResult(const FinalResult& result,
                                                                TimePoint now) {
  if (!result.final || result.seq == 0) return std::nullopt;
  auto it = requests_.find(result.request_id);
  if (it == requests_.end()) {
    // Perhaps ahead of its send reply; perhaps late or a duplicate. Hold it a while.
    if (early_.size() < config_.early_cap) {
      std::string key = EarlyKey(result.request_id, result.seq);
      if (early_.try_emplace(key, Early{result.code, now + config_.early_retention}).second) {
        early_order_.emplace_back(now + config_.early_retention, std::move(key));
      }
    }
    return std::nullopt;
  }
  Request& request = it->second;
  if (result.seq > request.cookies.size()) return std::nullopt;
  uint64_t& cookie = request.cookies[result.seq - 1];
  if (cookie == 0) return std::nullopt;  // already final, or never followed
  const Final final{cookie, result.code};
  cookie = 0;
  --awaiting_;
  if (--request.open == 0) requests_.erase(it);  // queued polls and expiry find nothing
  return final;
}

void AlimtalkTracker::DuePolls(TimePoint now, size_t max, std::vector<std::string>& out) {
  size_t taken = 0;
  while (taken < max && !polls_.empty() && polls_.front().first <= now) {
    std::string id = std::move(polls_.front().second);
    polls_.pop_front();
    if (!requests_.count(id)) continue;  // finished or expired
    out.push_back(id);
    polls_.emplace_back(now + config_.poll_interval, std::move(id));
    ++taken;
  }
}

std::optional<AlimtalkTracker::TimePoint> AlimtalkTracker::NextPoll() const {
  if (requests_.empty() || polls_.empty()) return std::nullopt;
  return polls_.front().first;
}

size_t AlimtalkTracker::Expire(TimePoint now) {
  size_t dropped = 0;
  while (!expiries_.empty() && expiries_.front().first <= now) {
    auto it = requests_.find(expiries_.front().second);
    if (it != requests_.end()) {
      dropped += it->second.open;
      awaiting_ -= it->second.open;
      requests_.erase(it);
    }
    expiries_.pop_front();
  }
  while (!early_order_.empty() && early_order_.front().first <= now) {
    auto it = early_.find(early_order_.front().second);
    if (it != early_.end() && it->second.expires_at <= now) early_.erase(it);
    early_order_.pop_front();
  }
  // Polls of requests no longer followed fall out when they reach the front.
  while (!polls_.empty() && !requests_.count(polls_.front().second)) polls_.pop_front();
  return dropped;
}

}  // namespace bulkd::providers::http
