#include "ratelimit/quiet_hours.h"

#include <algorithm>

#include "ratelimit/log.h"

namespace bulkd::ratelimit {
namespace {

using Seconds = cctz::time_point<cctz::seconds>;

cctz::time_zone SeoulZone() {
  static const cctz::time_zone zone = [] {
    cctz::time_zone tz;
    if (!cctz::load_time_zone("Asia/Seoul", &tz)) {
      internal::Log().warn("tzdata has no Asia/Seoul; using fixed UTC+09:00");
      tz = cctz::fixed_time_zone(cctz::seconds(9 * 3600));
    }
    return tz;
  }();
  return zone;
}

// Minute of day in [start, end), wrapping midnight when start > end; empty if equal.
bool InWindow(int minute, int start, int end) {
  if (start == end) return false;
  if (start < end) return minute >= start && minute < end;
  return minute >= start || minute < end;
}

struct Rules {
  bool quiet = false;  // the ad quiet window applies
  bool friendtalk = false;
};

bool AllowedAt(const cctz::civil_second& local, const Rules& rules, const TenantPolicy& p) {
  const int minute = local.hour() * 60 + local.minute();
  if (rules.friendtalk && !InWindow(minute, p.friendtalk_start, p.friendtalk_end)) return false;
  if (rules.quiet && InWindow(minute, p.quiet_start, p.quiet_end)) return false;
  return true;
}

int64_t ToMs(const Seconds& t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::optional<int> ParseHhMm(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h == 24 && m == 0) return 0;
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

TenantPolicy DefaultPolicy() {
  TenantPolicy p;
  p.tz = SeoulZone();
  return p;
}

TenantPolicy PolicyFromFields(std::span<const std::pair<std::string, std::string>> fields,
                              std::vector<std::string>* problems) {
  TenantPolicy p = DefaultPolicy();
  auto problem = [&](std::string text) {
    if (problems) problems->push_back(std::move(text));
  };
  auto time_field = [&](const std::string& name, const std::string& value, int* out) {
    if (auto minutes = ParseHhMm(value)) {
      *out = *minutes;
    } else {
      problem(name + ": not HH:MM, default kept");
    }
  };
  for (const auto& [name, value] : fields) {
    if (name == "quiet_start") {
      time_field(name, value, &p.quiet_start);
    } else if (name == "quiet_end") {
      time_field(name, value, &p.quiet_end);
    } else if (name == "friendtalk_start") {
      time_field(name, value, &p.friendtalk_start);
    } else if (name == "friendtalk_end") {
      time_field(name, value, &p.friendtalk_end);
    } else if (name == "tz") {
      cctz::time_zone tz;
      // cctz loads "UTC" and fixed offsets too; anything unknown falls back to UTC with
      // false, which we refuse rather than silently send at the wrong hour.
      if (!value.empty() && cctz::load_time_zone(value, &tz)) {
        p.tz = tz;
        p.tz_name = value;
      } else {
        problem("tz: unknown time zone, default Asia/Seoul kept");
      }
    } else if (name == "ad_prefix") {
      p.ad_prefix = value;
    } else if (name == "optout_line") {
      p.optout_line = value;
    }
  }
  return p;
}

std::optional<int64_t> NextAllowedTime(core::JobKind kind, bool channel_is_friendtalk,
                                       bool night_consent, int64_t now_ms,
                                       const TenantPolicy& policy) {
  Rules rules;
  rules.quiet = kind == core::JobKind::kAd && !night_consent &&
                policy.quiet_start != policy.quiet_end;
  rules.friendtalk = channel_is_friendtalk;
  if (!rules.quiet && !rules.friendtalk) return std::nullopt;

  const auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms));
  const cctz::civil_second local = cctz::convert(now, policy.tz);
  if (AllowedAt(local, rules, policy)) return std::nullopt;

  // Allowed-ness changes only where local time crosses a window boundary: at the boundary
  // itself (both occurrences when the clock falls back), or at a DST transition that jumps
  // over it. Those instants, from yesterday to two days ahead, are the only candidates.
  std::vector<int> boundaries;
  if (rules.quiet) boundaries.insert(boundaries.end(), {policy.quiet_start, policy.quiet_end});
  if (rules.friendtalk) {
    boundaries.insert(boundaries.end(), {policy.friendtalk_start, policy.friendtalk_end});
  }
  std::vector<Seconds> candidates;
  const cctz::civil_day today(local);
  for (int offset = -1; offset <= 2; ++offset) {
    const cctz::civil_day day = today + offset;
    for (int b : boundaries) {
      const cctz::civil_second at(day.year(), day.month(), day.day(), b / 60, b % 60, 0);
      const auto lookup = policy.tz.lookup(at);
      candidates.insert(candidates.end(), {lookup.pre, lookup.trans, lookup.post});
    }
  }
  std::sort(candidates.begin(), candidates.end());
  for (const Seconds& c : candidates) {
    const int64_t ms = ToMs(c);
    if (ms < now_ms) continue;
    if (AllowedAt(cctz::convert(c, policy.tz), rules, policy)) return ms;
  }
  return kNever;
}

PolicyCache::PolicyCache(RedisConnection& redis, std::string key_prefix,
                         std::chrono::milliseconds ttl)
    : redis_(redis), prefix_(std::move(key_prefix)), ttl_(ttl) {}

std::error_code PolicyCache::Refresh(std::span<const std::string_view> tenants,
                                     Clock::time_point now) {
  std::vector<std::string_view> stale;
  for (std::string_view t : tenants) {
    if (Find(t, now) == nullptr &&
        std::find(stale.begin(), stale.end(), t) == stale.end()) {
      stale.push_back(t);
    }
  }
  if (stale.empty()) return {};
  RedisBatch batch;
  std::string key;
  for (std::string_view t : stale) {
    key.assign(prefix_).append("policy:").append(t);
    batch.Append({"HGETALL", key});
  }
  std::vector<RedisReply> replies;
  if (auto ec = redis_.Execute(batch, &replies)) return ec;
  for (size_t i = 0; i < stale.size(); ++i) {
    const RedisReply& r = replies[i];
    if (r.is_error()) return r.error();
    if (r.type != RedisReply::Type::kArray || r.elements.size() % 2 != 0) {
      return Errc::kUnexpectedReply;
    }
  }
  static const auto kDefault = std::make_shared<const TenantPolicy>(DefaultPolicy());
  for (size_t i = 0; i < stale.size(); ++i) {
    const RedisReply& r = replies[i];
    std::shared_ptr<const TenantPolicy> policy = kDefault;
    if (!r.elements.empty()) {
      std::vector<std::pair<std::string, std::string>> fields;
      for (size_t j = 0; j + 1 < r.elements.size(); j += 2) {
        fields.emplace_back(r.elements[j].str, r.elements[j + 1].str);
      }
      std::vector<std::string> problems;
      policy = std::make_shared<const TenantPolicy>(PolicyFromFields(fields, &problems));
      static std::atomic<int64_t> last_log{0};
      if (!problems.empty() && internal::ShouldLog(last_log)) {
        std::string joined;
        for (const std::string& p : problems) joined.append(joined.empty() ? "" : "; ").append(p);
        internal::Log().warn("tenant policy has bad fields tenant={} problems=\"{}\"",
                             stale[i], joined);
      }
    }
    entries_[std::string(stale[i])] = Entry{std::move(policy), now};
  }
  return {};
}

std::shared_ptr<const TenantPolicy> PolicyCache::Find(std::string_view tenant,
                                                      Clock::time_point now) const {
  auto it = entries_.find(tenant);
  if (it == entries_.end() || now - it->second.loaded >= ttl_) return nullptr;
  return it->second.policy;
}

Result<std::shared_ptr<const TenantPolicy>> PolicyCache::Get(std::string_view tenant,
                                                             Clock::time_point now) {
  const std::string_view one[] = {tenant};
  if (auto ec = Refresh(one, now)) return ec;
  return Find(tenant, now);
}

}  // namespace bulkd::ratelimit
