// ratelimit/quiet_hours.h — when an advertising message may be sent: the tenant policy
// (Redis hash `policy:{tenant}`), a short-lived cache of it, and a pure function that
// gives the next allowed instant in the policy's time zone, DST included.
#pragma once

#include <cctz/time_zone.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/job.h"
#include "ratelimit/redis_connection.h"

namespace bulkd::ratelimit {

// A tenant's sending policy. Times are minutes after local midnight; a window [start, end)
// wraps midnight when start > end and is empty when start == end.
struct TenantPolicy {
  int quiet_start = 21 * 60;  // field quiet_start "HH:MM": ad jobs wait from here...
  int quiet_end = 8 * 60;     // field quiet_end: ...until here (unless night consent)
  std::string tz_name = "Asia/Seoul";  // field tz (IANA)
  cctz::time_zone tz;                  // tz_name loaded; set by DefaultPolicy/PolicyFromFields
  std::string ad_prefix = "(광고)";     // field ad_prefix: first text of an ad SMS/LMS
  std::string optout_line;             // field optout_line, e.g. "무료수신거부 0801234567"
  int friendtalk_start = 8 * 60;       // field friendtalk_start: Kakao accepts Friendtalk
  int friendtalk_end = 20 * 60 + 50;   // field friendtalk_end:   only 08:00-20:50
};

// The defaults above, with Asia/Seoul loaded (fixed UTC+9 if tzdata is missing).
TenantPolicy DefaultPolicy();

// Builds a policy from the hash's field/value pairs. Unknown fields are ignored; a bad
// value (time not HH:MM, unknown zone) keeps the default and is described in *problems.
TenantPolicy PolicyFromFields(std::span<const std::pair<std::string, std::string>> fields,
                              std::vector<std::string>* problems = nullptr);

// "HH:MM" (00:00-23:59; "24:00" means midnight) -> minutes after midnight.
std::optional<int> ParseHhMm(std::string_view text);

// NextAllowedTime's answer when the policy leaves no window at all (e.g. quiet hours that
// cover the whole Friendtalk window): the job can never go and should fail or expire.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// nullopt: the message may go at now_ms. Otherwise the first epoch-ms instant >= now_ms
// at which it may go (the window opening, found in the policy's zone; a window that opens
// inside a DST gap opens at the transition). Rules: `ad` waits out [quiet_start,
// quiet_end) unless night_consent; Friendtalk (ad-only) is sent only inside
// [friendtalk_start, friendtalk_end), night consent or not, and an `ad` Friendtalk obeys
// both; `info` on other channels always passes. Pure; thread-safe.
std::optional<int64_t> NextAllowedTime(core::JobKind kind, bool channel_is_friendtalk,
                                       bool night_consent, int64_t now_ms,
                                       const TenantPolicy& policy);

// Caches tenant policies read from Redis for `ttl` (<= 1 s keeps the "policy change
// applies within a second" promise). Not thread-safe: one per shard, with its connection.
class PolicyCache {
 public:
  using Clock = std::chrono::steady_clock;
  PolicyCache(RedisConnection& redis, std::string key_prefix = "bulkd:",
              std::chrono::milliseconds ttl = std::chrono::milliseconds(1000));

  // Reloads every listed tenant whose entry is missing or older than ttl: HGETALL each,
  // all in one blocking round trip (none if all are fresh). A tenant without a hash gets
  // DefaultPolicy(). On error nothing changes and the error is returned (fail closed:
  // Get() then reports the stale tenants as unavailable).
  std::error_code Refresh(std::span<const std::string_view> tenants, Clock::time_point now);
  // The tenant's policy if loaded within ttl of `now`, else nullptr. No I/O.
  std::shared_ptr<const TenantPolicy> Find(std::string_view tenant, Clock::time_point now) const;
  // Refresh({tenant}) then Find.
  Result<std::shared_ptr<const TenantPolicy>> Get(std::string_view tenant,
                                                  Clock::time_point now);

 private:
  struct Entry {
    std::shared_ptr<const TenantPolicy> policy;
    Clock::time_point loaded;
  };
  RedisConnection& redis_;
  std::string prefix_;
  std::chrono::milliseconds ttl_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;  // one per tenant
};

}  // namespace bulkd::ratelimit
