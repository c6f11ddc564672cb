#include "dispatcher/durable/receipt_map.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace bulkd::dispatcher {
namespace {

using SteadyClock = std::chrono::steady_clock;
using ratelimit::RedisReply;

// Looks each orphan's id up and stores the part's result under its job.
// ARGV: 1 job hash key prefix ("{prefix}rcpt:"), 2 ttl (ms), then per orphan: the id's
// key, the result ("D:<code>" | "U:<code>"). Returns one character per orphan:
// 'M' stored, 'S' the part had a result already (nothing changed), 'N' id not found,
// 'B' the id's value (or the job's key) is not ours: skipped.
constexpr char kRecordOrphansScript[] = R"lua(
local hash_prefix = ARGV[1]
local ttl = ARGV[2]
local out = {}
for k = 3, #ARGV - 1, 2 do
  local value = redis.pcall('GET', ARGV[k])
  local verdict = 'N'
  if type(value) == 'table' then
    verdict = 'B'  -- WRONGTYPE: a key of another kind
  elseif value then
    verdict = 'B'
    local i, n, job = string.match(value, '^(%d%d?%d?):(%d%d?%d?):(.+)$')
    if job and string.find(job, ':', 1, true) then
      i, n = tonumber(i), tonumber(n)
      if n >= 1 and i < n then
        local key = hash_prefix .. job
        local set = redis.pcall('HSETNX', key, tostring(i), ARGV[k + 1])
        if set == 1 then
          redis.call('HSET', key, 'n', tostring(n))
          redis.call('PEXPIRE', key, ttl)
          verdict = 'M'
        elseif set == 0 then
          verdict = 'S'
        end
      end
    end
  end
  out[#out + 1] = verdict
end
return table.concat(out)
)lua";

const ratelimit::RedisScript& RecordOrphansScript() {
  static const ratelimit::RedisScript script(kRecordOrphansScript);
  return script;
}

// Part indices and counts fit three digits (the script's pattern); SMS has at most 255.
constexpr size_t kMaxParts = 999;

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("dispatcher")) return existing;
    return spdlog::default_logger()->clone("dispatcher");
  }();
  return logger;
}

// True at most once per 10 s per site (pass a static atomic); for WARN lines that may repeat.
bool ShouldWarn(std::atomic<int64_t>& last_ms) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          SteadyClock::now().time_since_epoch()).count();
  int64_t last = last_ms.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 10'000) return false;
  return last_ms.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

std::optional<uint32_t> ParseCount(std::string_view text) {
  uint32_t value = 0;
  if (text.empty() || text.size() > 3) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// One job's hash (HGETALL reply) -> its result. Counts what does not parse.
FetchedResult Evaluate(const RedisReply& reply, JobKey job, std::atomic<uint64_t>& bad_values) {
  FetchedResult result;
  result.job = std::move(job);
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() % 2 != 0) {
    ++bad_values;  // WRONGTYPE or an odd reply: someone else's key
    return result;
  }
  if (reply.elements.empty()) return result;
  std::optional<uint32_t> parts;
  for (size_t k = 0; k + 1 < reply.elements.size(); k += 2) {
    if (reply.elements[k].str == "n") parts = ParseCount(reply.elements[k + 1].str);
  }
  if (!parts || *parts == 0) {
    ++bad_values;
    return result;
  }
  struct Part {
    char state = 0;  // 0 none, 'D', 'U'
    std::string_view code;
  };
  std::vector<Part> by_index(*parts);
  for (size_t k = 0; k + 1 < reply.elements.size(); k += 2) {
    const std::string& field = reply.elements[k].str;
    if (field == "n") continue;
    const std::string& value = reply.elements[k + 1].str;
    const auto index = ParseCount(field);
    if (!index || *index >= *parts || value.size() < 2 || value[1] != ':' ||
        (value[0] != 'D' && value[0] != 'U')) {
      ++bad_values;
      continue;
    }
    by_index[*index] = Part{value[0], std::string_view(value).substr(2)};
  }
  bool all_delivered = true;
  for (const Part& part : by_index) {
    if (part.state == 'U') {
      result.status = FetchedResult::Status::kUndelivered;
      result.code = std::string(part.code);
      return result;
    }
    all_delivered &= part.state == 'D';
  }
  if (all_delivered) {
    result.status = FetchedResult::Status::kDelivered;
    result.code = std::string(by_index[0].code);
  }
  return result;
}

}  // namespace

struct ReceiptMap::Queues {
  struct RememberCall {
    std::string provider, tenant, job_id;
    std::vector<std::string> ids;
  };
  struct Orphan {
    std::string key;     // {prefix}rcptid:{provider}:{id}
    std::string result;  // "D:<code>" | "U:<code>"
    SteadyClock::time_point give_up;   // not found after this: unknown
    SteadyClock::time_point next_try;  // while waiting to be looked up again
  };
  struct FetchCall {
    std::vector<JobKey> keys;
    std::function<void(std::vector<FetchedResult>)> done;
  };

  explicit Queues(const ratelimit::RedisOptions& options) : redis(options) {}

  // Shared with the callers, under `mu`.
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false, has_new = false;
  std::vector<RememberCall> new_remembers;
  std::vector<Orphan> new_orphans;
  std::vector<FetchCall> new_fetches;
  std::atomic<size_t> queued{0};
  std::thread thread;

  // The map's thread only.
  std::deque<RememberCall> remembers;
  std::deque<Orphan> orphans;   // to look up in the next batch
  std::vector<Orphan> waiting;  // not found yet: looked up again at next_try
  std::deque<FetchCall> fetches;
  ratelimit::RedisConnection redis;
  ratelimit::RedisBatch batch;
  std::vector<RedisReply> replies;
  std::string key, value;  // scratch
  bool failing = false;    // the last round trip failed (for the recovery log line)
};

ReceiptMap::ReceiptMap(ReceiptMapConfig config) : config_(std::move(config)) {
  if (config_.max_batch == 0) throw std::invalid_argument("receipt_map: max_batch must be > 0");
  if (config_.max_queued == 0) throw std::invalid_argument("receipt_map: max_queued must be > 0");
  if (config_.ttl.count() <= 0) throw std::invalid_argument("receipt_map: ttl must be > 0");
  queues_ = std::make_unique<Queues>(config_.redis);
}

ReceiptMap::~ReceiptMap() { Stop(); }

void ReceiptMap::Start() {
  std::lock_guard lock(queues_->mu);
  if (queues_->thread.joinable() || queues_->stopping) return;
  queues_->thread = std::thread([this] { Run(); });
}

void ReceiptMap::Stop() {
  {
    std::lock_guard lock(queues_->mu);
    if (!queues_->stopping && !queues_->thread.joinable()) {  // never started
      stats_.dropped += queues_->queued.exchange(0);
    }
    queues_->stopping = true;
  }
  queues_->wake.notify_one();
  if (queues_->thread.joinable() && queues_->thread.get_id() != std::this_thread::get_id()) {
    queues_->thread.join();
  }
}

size_t ReceiptMap::queued() const { return queues_->queued.load(); }

void ReceiptMap::Remember(std::string_view provider, std::span<const std::string> message_ids,
                          std::string_view tenant, std::string_view job_id) {
  if (message_ids.empty()) return;
  Queues& q = *queues_;
  Queues::RememberCall call{std::string(provider), std::string(tenant), std::string(job_id),
                            std::vector<std::string>(message_ids.begin(), message_ids.end())};
  {
    std::lock_guard lock(q.mu);
    if (message_ids.size() > kMaxParts || q.stopping ||
        q.queued.load() + message_ids.size() > config_.max_queued) {
      stats_.dropped += message_ids.size();
      return;
    }
    q.queued += message_ids.size();
    q.new_remembers.push_back(std::move(call));
    q.has_new = true;
  }
  q.wake.notify_one();
}

void ReceiptMap::RecordOrphan(std::string_view provider, const providers::OrphanReceipt& receipt) {
  Queues& q = *queues_;
  Queues::Orphan orphan;
  orphan.key.reserve(config_.key_prefix.size() + 8 + provider.size() + receipt.message_id.size());
  orphan.key.append(config_.key_prefix).append("rcptid:").append(provider).append(":");
  orphan.key.append(receipt.message_id);
  orphan.result.append(receipt.delivered ? "D:" : "U:").append(receipt.code);
  orphan.give_up = SteadyClock::now() + config_.orphan_grace;
  {
    std::lock_guard lock(q.mu);
    if (q.stopping || q.queued.load() + 1 > config_.max_queued) {
      ++stats_.dropped;
      return;
    }
    ++q.queued;
    q.new_orphans.push_back(std::move(orphan));
    q.has_new = true;
  }
  q.wake.notify_one();
}

void ReceiptMap::Fetch(std::vector<JobKey> keys,
                       std::function<void(std::vector<FetchedResult>)> done) {
  Queues& q = *queues_;
  const size_t count = std::max<size_t>(keys.size(), 1);
  {
    std::lock_guard lock(q.mu);
    if (q.stopping || q.queued.load() + count > config_.max_queued) {
      stats_.dropped += count;
      return;
    }
    q.queued += count;
    q.new_fetches.push_back(Queues::FetchCall{std::move(keys), std::move(done)});
    q.has_new = true;
  }
  q.wake.notify_one();
}

void ReceiptMap::Run() {
  Queues& q = *queues_;
  constexpr auto kNoWake = SteadyClock::time_point::max();
  SteadyClock::time_point wake_at = kNoWake;  // else: orphans to look up again, or a retry
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lock(q.mu);
      auto woken = [&] { return q.stopping || q.has_new; };
      if (wake_at != kNoWake) {
        q.wake.wait_until(lock, wake_at, woken);
      } else {
        q.wake.wait(lock, woken);
      }
      for (auto& call : q.new_remembers) q.remembers.push_back(std::move(call));
      for (auto& orphan : q.new_orphans) q.orphans.push_back(std::move(orphan));
      for (auto& call : q.new_fetches) q.fetches.push_back(std::move(call));
      q.new_remembers.clear();
      q.new_orphans.clear();
      q.new_fetches.clear();
      q.has_new = false;
      stopping = q.stopping;
    }
    const auto now = SteadyClock::now();
    // Orphans due for another look rejoin the queue (at Stop: every one, a last time).
    auto not_due = [&](const Queues::Orphan& o) { return o.next_try > now && !stopping; };
    auto due = std::partition(q.waiting.begin(), q.waiting.end(), not_due);
    for (auto it = due; it != q.waiting.end(); ++it) q.orphans.push_back(std::move(*it));
    q.waiting.erase(due, q.waiting.end());

    bool ok = true;
    while (ok && (!q.remembers.empty() || !q.orphans.empty() || !q.fetches.empty())) {
      ok = RunBatch();
    }
    if (stopping) {
      const size_t left = q.queued.exchange(0);
      stats_.dropped += left;
      if (left > 0) Log()->warn("receipt_map: stopped with entries unwritten dropped={}", left);
      return;
    }
    wake_at = kNoWake;
    if (!ok) {
      wake_at = SteadyClock::now() + config_.error_retry_interval;
    } else {
      for (const Queues::Orphan& o : q.waiting) wake_at = std::min(wake_at, o.next_try);
    }
  }
}

bool ReceiptMap::RunBatch() {
  Queues& q = *queues_;
  q.batch.Clear();
  const std::string ttl_ms = std::to_string(config_.ttl.count());

  // 1. Remembered ids: SET key value PX ttl, whole calls up to max_batch ids.
  size_t remember_calls = 0, remember_ids = 0;
  while (remember_calls < q.remembers.size() && remember_ids < config_.max_batch) {
    const Queues::RememberCall& call = q.remembers[remember_calls++];
    const std::string parts = std::to_string(call.ids.size());
    for (size_t i = 0; i < call.ids.size(); ++i) {
      q.key.assign(config_.key_prefix).append("rcptid:").append(call.provider).append(":");
      q.key.append(call.ids[i]);
      q.value.assign(std::to_string(i)).append(":").append(parts).append(":");
      q.value.append(call.tenant).append(":").append(call.job_id);
      q.batch.Append({"SET", q.key, q.value, "PX", ttl_ms});
    }
    remember_ids += call.ids.size();
  }
  // 2. Orphans: one script call, after the SETs so that a Remember and its orphan in
  // the same batch meet.
  const size_t orphans = std::min(q.orphans.size(), config_.max_batch);
  const std::string hash_prefix = config_.key_prefix + "rcpt:";
  if (orphans > 0) {
    q.batch.BeginCommand(5 + 2 * orphans, &RecordOrphansScript());
    q.batch.AddArg("EVALSHA");
    q.batch.AddArg(RecordOrphansScript().sha1());
    q.batch.AddArg("0");
    q.batch.AddArg(hash_prefix);
    q.batch.AddArg(ttl_ms);
    for (size_t k = 0; k < orphans; ++k) {
      q.batch.AddArg(q.orphans[k].key);
      q.batch.AddArg(q.orphans[k].result);
    }
  }
  // 3. Fetches: HGETALL per job, whole calls up to max_batch jobs.
  size_t fetch_calls = 0, fetch_jobs = 0;
  while (fetch_calls < q.fetches.size() && fetch_jobs < config_.max_batch) {
    const Queues::FetchCall& call = q.fetches[fetch_calls++];
    for (const JobKey& job : call.keys) {
      q.key.assign(hash_prefix).append(job.tenant).append(":").append(job.job_id);
      q.batch.Append({"HGETALL", q.key});
    }
    fetch_jobs += call.keys.size();
  }

  if (!q.batch.empty()) {
    if (std::error_code ec = q.redis.Execute(q.batch, &q.replies)) {
      ++stats_.redis_errors;
      static std::atomic<int64_t> last_warn{0};
      if (ShouldWarn(last_warn)) {
        Log()->warn("receipt_map: redis unavailable, keeping work error=\"{}\" queued={}",
                    ec.message(), q.queued.load());
      }
      q.failing = true;
      return false;
    }
    if (q.failing) {
      q.failing = false;
      Log()->info("receipt_map: redis available again queued={}", q.queued.load());
    }
  }

  // An error reply worth retrying keeps its section queued; any other is counted and
  // its entries dropped (a bad command or foreign data will not get better).
  bool all_done = true;
  auto section_error = [&](const RedisReply& reply, std::string_view section) {
    if (!reply.is_error()) return false;
    ++stats_.redis_errors;
    static std::atomic<int64_t> last_warn{0};
    if (ShouldWarn(last_warn)) {
      Log()->warn("receipt_map: redis error reply section={} reply=\"{}\"", section, reply.str);
    }
    return true;
  };
  size_t r = 0;
  bool retry_remembers = false, drop_remembers = false;
  for (size_t k = 0; k < remember_ids; ++k, ++r) {
    if (!section_error(q.replies[r], "remember")) continue;
    if (ratelimit::IsRetryable(q.replies[r].error())) {
      retry_remembers = true;
    } else {
      drop_remembers = true;
    }
  }
  if (retry_remembers) {
    all_done = false;
  } else {
    (drop_remembers ? stats_.dropped : stats_.remembered) += remember_ids;
    q.queued -= remember_ids;
    q.remembers.erase(q.remembers.begin(), q.remembers.begin() + remember_calls);
  }

  if (orphans > 0) {
    const RedisReply& reply = q.replies[r++];
    const bool wrong_shape = !reply.is_error() && (reply.type != RedisReply::Type::kString ||
                                                   reply.str.size() != orphans);
    if (section_error(reply, "orphans") && ratelimit::IsRetryable(reply.error())) {
      all_done = false;
    } else if (reply.is_error() || wrong_shape) {
      if (wrong_shape) ++stats_.redis_errors;
      stats_.dropped += orphans;
      q.queued -= orphans;
      q.orphans.erase(q.orphans.begin(), q.orphans.begin() + orphans);
    } else {
      const auto now = SteadyClock::now();
      for (size_t k = 0; k < orphans; ++k) {
        Queues::Orphan& orphan = q.orphans[k];
        switch (reply.str[k]) {
          case 'M': ++stats_.orphans_matched; break;
          case 'S': ++stats_.orphans_repeated; break;
          case 'N':
            if (now < orphan.give_up) {
              ++stats_.orphan_retries;
              orphan.next_try = now + config_.orphan_retry_interval;
              q.waiting.push_back(std::move(orphan));
              continue;  // still queued
            }
            ++stats_.orphans_unknown;
            break;
          default: ++stats_.bad_values; break;
        }
        --q.queued;
      }
      q.orphans.erase(q.orphans.begin(), q.orphans.begin() + orphans);
    }
  }

  for (size_t c = 0, done_calls = 0; c < fetch_calls; ++c) {
    Queues::FetchCall& call = q.fetches[c - done_calls];
    bool retry = false;
    for (size_t k = 0; k < call.keys.size(); ++k) {
      // Other error replies (WRONGTYPE: not our hash) count as bad values below.
      const RedisReply& reply = q.replies[r + k];
      if (reply.is_error() && ratelimit::IsRetryable(reply.error())) {
        section_error(reply, "fetch");
        retry = true;
      }
    }
    if (retry) {
      r += call.keys.size();
      all_done = false;
      continue;  // stays queued, in order
    }
    std::vector<FetchedResult> results;
    results.reserve(call.keys.size());
    for (size_t k = 0; k < call.keys.size(); ++k) {
      results.push_back(Evaluate(q.replies[r++], std::move(call.keys[k]), stats_.bad_values));
    }
    stats_.fetches += results.size();
    q.queued -= std::max<size_t>(results.size(), 1);
    auto done = std::move(call.done);
    q.fetches.erase(q.fetches.begin() + static_cast<ptrdiff_t>(c - done_calls));
    ++done_calls;
    if (done) done(std::move(results));
  }
  return all_done;
}

}  // namespace bulkd::dispatcher
