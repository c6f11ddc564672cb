#include "ratelimit/admission.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "ratelimit/admission_script.h"
#include "ratelimit/log.h"

namespace bulkd::ratelimit {
namespace {

const RedisScript& AdmitScript() {
  static const RedisScript script(internal::kAdmitScript);
  return script;
}

const RedisScript& MarkAcceptedScript() {
  static const RedisScript script(internal::kMarkAcceptedScript);
  return script;
}

const RedisScript& ReleaseScript() {
  static const RedisScript script(internal::kReleaseScript);
  return script;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Claim identity: 64-bit hash of the job id; the high 32 bits pick the shard.
struct JobHash {
  char member[24];  // signed decimal: Redis stores it in an intset
  size_t member_len;
  uint32_t selector;
};

JobHash HashJob(std::string_view job_id) {
  const uint64_t h = XXH3_64bits(job_id.data(), job_id.size());
  JobHash out{};
  auto r = std::to_chars(out.member, out.member + sizeof out.member, static_cast<int64_t>(h));
  out.member_len = static_cast<size_t>(r.ptr - out.member);
  out.selector = static_cast<uint32_t>(h >> 32);
  return out;
}

class Number {
 public:
  template <class T>
  explicit Number(T v) {
    auto r = std::to_chars(buf_, buf_ + sizeof buf_, v);
    len_ = static_cast<size_t>(r.ptr - buf_);
  }
  std::string_view view() const { return {buf_, len_}; }

 private:
  char buf_[32];
  size_t len_;
};

}  // namespace

struct Admission::BucketArgs {
  std::string key;
  std::string rate, burst;  // decimal, short: no heap (SSO)
};

Admission::~Admission() = default;

struct Admission::RuleSet {
  std::unordered_map<std::string, Rule, StringHash, std::equal_to<>> exact;     // "scope:name"
  std::unordered_map<std::string, Rule, StringHash, std::equal_to<>> defaults;  // "scope"

  const Rule* Find(std::string_view scope, std::string_view name, std::string* scratch) const {
    scratch->assign(scope);
    scratch->push_back(':');
    scratch->append(name);
    if (auto it = exact.find(std::string_view(*scratch)); it != exact.end()) return &it->second;
    if (auto it = defaults.find(scope); it != defaults.end()) return &it->second;
    return nullptr;
  }
};

std::string_view ToString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAdmit: return "admit";
    case Verdict::kDuplicate: return "duplicate";
    case Verdict::kOptedOut: return "opted_out";
    case Verdict::kWait: return "wait";
    case Verdict::kUnavailable: return "unavailable";
    case Verdict::kInProgress: return "in_progress";
    case Verdict::kRecovered: return "recovered";
    case Verdict::kAdopted: return "adopted";
  }
  return "unknown";
}

std::string Admission::ValidateRules(std::span<const Rule> rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    const std::string where =
        "ratelimit.rules[" + std::to_string(i) + "] (" + r.scope + ":" + r.name + ")";
    if (r.scope.empty() || r.name.empty()) return where + ": scope and name are required";
    if (r.scope.find(':') != std::string::npos) return where + ": scope must not contain ':'";
    if (!std::isfinite(r.rate_per_sec) || r.rate_per_sec < 0) {
      return where + ": rate_per_sec must be a finite number >= 0";
    }
    if (!std::isfinite(r.burst) || r.burst < 0) return where + ": burst must be >= 0";
    if (r.rate_per_sec == 0 && r.burst == 0) return where + ": rate 0 and burst 0 blocks all";
    for (size_t j = 0; j < i; ++j) {
      if (rules[j].scope == r.scope && rules[j].name == r.name) return where + ": duplicate";
    }
  }
  return {};
}

Admission::Admission(RedisConnection& redis, AdmissionConfig config, std::vector<Rule> rules)
    : redis_(redis), config_(std::move(config)) {
  if (config_.dedupe_window.count() < 1) {
    throw std::invalid_argument("ratelimit.dedupe_window must be >= 1 s");
  }
  if (config_.dedupe_min_shards < 1 || config_.dedupe_max_shards < config_.dedupe_min_shards) {
    throw std::invalid_argument("ratelimit.dedupe_min_shards/max_shards: need 1 <= min <= max");
  }
  if (config_.max_wait.count() < 1) throw std::invalid_argument("ratelimit.max_wait must be > 0");
  if (config_.worker_id.size() > 64 ||
      !std::all_of(config_.worker_id.begin(), config_.worker_id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      })) {
    throw std::invalid_argument("admission worker_id: at most 64 of [A-Za-z0-9_.-]");
  }
  if (config_.ledger_shards < 1) throw std::invalid_argument("admission ledger_shards must be >= 1");
  std::string error;
  if (!SetRules(std::move(rules), &error)) throw std::invalid_argument(error);
}

bool Admission::SetRules(std::vector<Rule> rules, std::string* error) {
  std::string why = ValidateRules(rules);
  if (!why.empty()) {
    if (error) *error = std::move(why);
    return false;
  }
  auto set = std::make_shared<RuleSet>();
  for (Rule& r : rules) {
    if (r.name == "*") {
      std::string key = r.scope;
      set->defaults.emplace(std::move(key), std::move(r));
    } else {
      std::string key = r.scope + ":" + r.name;
      set->exact.emplace(std::move(key), std::move(r));
    }
  }
  std::lock_guard lock(rules_mu_);
  rules_ = std::move(set);
  return true;
}

std::shared_ptr<const Admission::RuleSet> Admission::Snapshot() const {
  std::lock_guard lock(rules_mu_);
  return rules_;
}

std::error_code Admission::Admit(std::span<const AdmissionRequest> batch,
                                 std::span<Decision> out, std::string_view batch_key) {
  if (out.size() != batch.size()) return std::make_error_code(std::errc::invalid_argument);
  auto fail = [&](std::error_code ec) {
    for (Decision& d : out) d = Decision{};
    stats_.unavailable += out.size();
    static std::atomic<int64_t> last_log{0};
    if (internal::ShouldLog(last_log)) {
      internal::Log().warn("admission unavailable error=\"{}\" retryable={} messages={}",
                           ec.message(), IsRetryable(ec), out.size());
    }
    return ec;
  };
  if (batch.empty()) return {};
  ++stats_.batches;
  const auto rules = Snapshot();

  // Pass 1: intern tenants and buckets; per message, the script indices of its buckets
  // (deduplicated, rule-less ones dropped) and their positions in the request.
  // script_idx_: 1-based bucket index per (message, bucket); request_idx_: its position
  // in AdmissionRequest::buckets; msg_begin_[m]: where message m's entries start.
  auto& buckets = buckets_;
  auto& msg_tenant = msg_tenant_;
  auto& msg_begin = msg_begin_;
  auto& script_idx = script_idx_;
  auto& request_idx = request_idx_;
  buckets.clear();
  msg_tenant.assign(batch.size(), 0);
  msg_begin.assign(batch.size() + 1, 0);
  script_idx.clear();
  request_idx.clear();
  tenants_.clear();
  bucket_index_.clear();
  constexpr uint32_t kNoRule = 0;
  for (size_t m = 0; m < batch.size(); ++m) {
    const AdmissionRequest& r = batch[m];
    uint32_t t = 0;
    while (t < tenants_.size() && tenants_[t] != r.tenant) ++t;
    if (t == tenants_.size()) tenants_.push_back(r.tenant);
    msg_tenant[m] = t + 1;
    msg_begin[m] = static_cast<uint32_t>(script_idx.size());
    for (size_t k = 0; k < r.buckets.size() && k < 32767; ++k) {
      const BucketRef& ref = r.buckets[k];
      scratch_.assign(ref.scope);
      scratch_.push_back(':');
      scratch_.append(ref.name);
      uint32_t idx;
      if (auto it = bucket_index_.find(scratch_); it != bucket_index_.end()) {
        idx = it->second;
      } else {
        std::string rule_scratch;
        const Rule* rule = rules->Find(ref.scope, ref.name, &rule_scratch);
        if (rule == nullptr) {
          idx = kNoRule;
        } else {
          buckets.push_back({config_.key_prefix + "bucket:" + scratch_,
                             std::string(Number(rule->rate_per_sec).view()),
                             std::string(Number(rule->burst).view())});
          idx = static_cast<uint32_t>(buckets.size());
        }
        bucket_index_.emplace(scratch_, idx);
      }
      if (idx == kNoRule) continue;
      bool repeated = false;
      for (size_t j = msg_begin[m]; j < script_idx.size(); ++j) repeated |= script_idx[j] == idx;
      if (repeated) continue;
      script_idx.push_back(idx);
      request_idx.push_back(static_cast<int16_t>(k));
    }
  }
  msg_begin[batch.size()] = static_cast<uint32_t>(script_idx.size());

  // Pass 2: the EVALSHA command, formatted straight into the reusable batch buffer.
  const size_t argc = 3 + 12 + tenants_.size() + 3 * buckets.size() + 8 * batch.size() +
                      script_idx.size();
  std::string ack_key;
  if (!batch_key.empty()) ack_key = config_.key_prefix + "admit-ack:" + std::string(batch_key);
  command_.Clear();
  command_.BeginCommand(argc, &AdmitScript());
  command_.AddArg("EVALSHA");
  command_.AddArg(AdmitScript().sha1());
  command_.AddArg("0");
  command_.AddArg(config_.key_prefix);
  command_.AddArg(Number(config_.dedupe_window.count()).view());
  command_.AddArg(Number(config_.dedupe_min_shards).view());
  command_.AddArg(Number(config_.dedupe_max_shards).view());
  command_.AddArg(Number(config_.max_wait.count()).view());
  command_.AddArg(ack_key);
  command_.AddArg(Number(config_.batch_key_ttl.count()).view());
  command_.AddArg(Number(tenants_.size()).view());
  command_.AddArg(Number(buckets.size()).view());
  command_.AddArg(Number(batch.size()).view());
  command_.AddArg(config_.worker_id);
  command_.AddArg(Number(config_.ledger_shards).view());
  for (std::string_view t : tenants_) command_.AddArg(t);
  for (const BucketArgs& b : buckets) {
    command_.AddArg(b.key);
    command_.AddArg(b.rate);
    command_.AddArg(b.burst);
  }
  for (size_t m = 0; m < batch.size(); ++m) {
    const AdmissionRequest& r = batch[m];
    const JobHash h = HashJob(r.job_id);
    const bool check_optout = config_.optout_applies_to_info || r.kind == core::JobKind::kAd;
    command_.AddArg(Number(msg_tenant[m]).view());
    command_.AddArg({h.member, h.member_len});
    command_.AddArg(Number(h.selector).view());
    command_.AddArg(r.recipient);
    command_.AddArg(check_optout ? "1" : "0");
    command_.AddArg(Number(r.segments).view());
    command_.AddArg(Number(r.retry).view());
    command_.AddArg(Number(msg_begin[m + 1] - msg_begin[m]).view());
    for (uint32_t j = msg_begin[m]; j < msg_begin[m + 1]; ++j) {
      command_.AddArg(Number(script_idx[j]).view());
    }
  }

  if (auto ec = redis_.Execute(command_, &replies_)) return fail(ec);
  const RedisReply& reply = replies_.front();
  if (reply.is_error()) {
    static std::atomic<int64_t> last_log{0};
    if (internal::ShouldLog(last_log)) {
      internal::Log().warn("admission script error reply=\"{}\"", reply.str);
    }
    return fail(reply.error());
  }
  if (reply.type != RedisReply::Type::kString) return fail(Errc::kUnexpectedReply);

  // Parse 'A' | 'D' | 'O' | 'W<ms>:<k>;' per message.
  std::string_view s = reply.str;
  size_t pos = 0;
  uint64_t admitted = 0, duplicates = 0, opted_out = 0, waits = 0;
  for (size_t m = 0; m < batch.size(); ++m) {
    if (pos >= s.size()) return fail(Errc::kUnexpectedReply);
    Decision d;
    switch (s[pos++]) {
      case 'A': d.verdict = Verdict::kAdmit, ++admitted; break;
      case 'D': d.verdict = Verdict::kDuplicate, ++duplicates; break;
      case 'O': d.verdict = Verdict::kOptedOut, ++opted_out; break;
      case 'P': d.verdict = Verdict::kInProgress, ++duplicates; break;
      case 'R': d.verdict = Verdict::kRecovered, ++duplicates; break;
      case 'T': d.verdict = Verdict::kAdopted, ++duplicates; break;
      case 'W': {
        uint32_t ms = 0, k = 0;
        auto r1 = std::from_chars(s.data() + pos, s.data() + s.size(), ms);
        if (r1.ec != std::errc() || r1.ptr >= s.data() + s.size() || *r1.ptr != ':') {
          return fail(Errc::kUnexpectedReply);
        }
        auto r2 = std::from_chars(r1.ptr + 1, s.data() + s.size(), k);
        if (r2.ec != std::errc() || r2.ptr >= s.data() + s.size() || *r2.ptr != ';' ||
            msg_begin[m] + k >= msg_begin[m + 1]) {
          return fail(Errc::kUnexpectedReply);
        }
        pos = static_cast<size_t>(r2.ptr + 1 - s.data());
        d.verdict = Verdict::kWait;
        d.retry_after_ms = ms;
        d.bucket = request_idx[msg_begin[m] + k];
        ++waits;
        break;
      }
      default:
        return fail(Errc::kUnexpectedReply);
    }
    out[m] = d;
  }
  if (pos != s.size()) return fail(Errc::kUnexpectedReply);
  stats_.admitted += admitted;
  stats_.duplicates += duplicates;
  stats_.opted_out += opted_out;
  stats_.waits += waits;
  return {};
}

uint64_t Admission::LedgerHash(std::string_view job_id) {
  return XXH3_64bits(job_id.data(), job_id.size());
}

std::error_code Admission::Settle(std::span<const LedgerEntry> entries) {
  if (config_.worker_id.empty() || entries.empty()) return {};
  RedisBatch batch;
  std::string key;
  const Number ledger_ttl(static_cast<int64_t>(config_.dedupe_window.count()) * 2000);
  for (const LedgerEntry& entry : entries) {
    key = LedgerKey(entry);
    const Number field(static_cast<int64_t>(entry.hash));
    if (entry.retry == 0) {
      batch.Append({"HDEL", key, field.view()});
    } else {
      // Handed over to a delay tier: the retry record takes it from here ("~k").
      const std::string value = "~" + std::to_string(entry.retry);
      batch.Append({"HSET", key, field.view(), value});
      batch.Append({"PEXPIRE", key, ledger_ttl.view()});
    }
  }
  std::vector<RedisReply> replies;
  if (auto ec = redis_.Execute(batch, &replies)) return ec;
  for (const RedisReply& reply : replies)
    if (reply.is_error()) return reply.error();
  return {};
}

std::error_code Admission::MarkAccepted(std::span<const LedgerEntry> entries) {
  if (config_.worker_id.empty() || entries.empty()) return {};
  std::vector<std::string> keys, fields, retries;
  keys.reserve(entries.size());
  fields.reserve(entries.size());
  retries.reserve(entries.size());
  std::vector<std::string_view> args{config_.worker_id};
  for (const LedgerEntry& entry : entries) {
    keys.push_back(LedgerKey(entry));
    fields.emplace_back(Number(static_cast<int64_t>(entry.hash)).view());
    retries.emplace_back(Number(entry.retry).view());
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    args.push_back(keys[i]);
    args.push_back(fields[i]);
    args.push_back(retries[i]);
  }
  auto reply = redis_.Eval(MarkAcceptedScript(), {}, args);
  if (!reply) return reply.error();
  return reply.value().is_error() ? reply.value().error() : std::error_code{};
}

std::string Admission::LedgerKey(const LedgerEntry& entry) const {
  const uint32_t selector = static_cast<uint32_t>(entry.hash >> 32);
  std::string key = config_.key_prefix;
  key.append("flight:").append(entry.tenant).push_back(':');
  key.append(Number(selector % config_.ledger_shards).view());
  return key;
}

std::error_code Admission::Heartbeat(std::chrono::milliseconds ttl) {
  if (config_.worker_id.empty()) return {};
  const std::string key = config_.key_prefix + "worker:" + config_.worker_id;
  const Number ms(ttl.count());
  auto reply = redis_.Command({"SET", key, "1", "PX", ms.view()});
  if (!reply) return reply.error();
  return reply.value().is_error() ? reply.value().error() : std::error_code{};
}

std::error_code Admission::Retire() {
  if (config_.worker_id.empty()) return {};
  const std::string key = config_.key_prefix + "worker:" + config_.worker_id;
  auto reply = redis_.Command({"DEL", key});
  if (!reply) return reply.error();
  return reply.value().is_error() ? reply.value().error() : std::error_code{};
}

Result<bool> Admission::Release(std::string_view tenant, std::string_view job_id) {
  const JobHash h = HashJob(job_id);
  const std::string base = config_.key_prefix + "dedupe:" + std::string(tenant) + ":";
  const Number window(config_.dedupe_window.count());
  const Number selector(h.selector);
  const std::string_view args[] = {base, window.view(), {h.member, h.member_len},
                                   selector.view()};
  auto reply = redis_.Eval(ReleaseScript(), {}, args);
  if (!reply) return reply.error();
  if (reply.value().is_error()) return reply.value().error();
  if (reply.value().type != RedisReply::Type::kInteger) return Errc::kUnexpectedReply;
  return reply.value().integer > 0;
}

}  // namespace bulkd::ratelimit
