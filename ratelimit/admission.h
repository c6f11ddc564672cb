// ratelimit/admission.h — the batch admission gate shared by every worker through one
// Redis: dedupe claim, opt-out, and token buckets per scope, decided for a whole batch by
// one Lua script in one round trip (EVALSHA), on the server's clock (TIME).
//
// Per message, in batch order (earlier grants consume tokens seen by later ones):
//   - opted out (recipient in optout:{tenant} or optout:_global) -> claim -> kOptedOut
//   - else every bucket that applies must hold `segments` tokens; if one refuses, none is
//     charged and the message gets kWait (the longest wait of the refusing buckets)
//   - else claim the job id for the tenant -> kAdmit, and charge every bucket
//   - a claim that already exists (a replay, or the same id earlier in the batch) ->
//     kDuplicate, nothing charged
// Claims are made for kAdmit and kOptedOut (the job reached its outcome: a replay must
// not be sent, nor produce a second "suppressed"), so a duplicate of a suppressed job is
// kDuplicate. kWait and kUnavailable never claim: the job can be admitted later. A replay
// that meets an empty bucket gets kWait first and kDuplicate when retried (checking the
// claim only for messages that could go saves a Redis call per waiting message).
//
// Dedupe memory: claims are 64-bit XXH3 hashes of the job id stored as integers in sets
// `dedupe:{tenant}:{generation}:{shard}` (Redis "intset" encoding while a set holds <= 512
// members: 8 bytes each). A generation lasts `dedupe_window`; lookups check the current and
// the previous one, so a claim is remembered for at least one window and at most two. The
// shard count of a generation is fixed when it starts, from the previous generation's
// claim count (target 256 per set; dedupe_min_shards for a tenant's first window).
// Measured (tests/integration/ratelimit/admission_memory_test.cc, redis 7.0.15): 9.3 bytes
// per claimed job = 9.3 MB per million (one key per job: ~126 MB); a generation sized too
// small (first window above ~256 x dedupe_min_shards jobs) degrades to hashtable sets at
// ~74 B per job until the next window. Memory held: up to two windows of claims. The sets
// of a generation get their expiry (end of the next generation) from a sweep that runs
// inside later batches, at most 128 keys per batch, once the generation has ended plus a
// grace of min(60 s, window/4): one PEXPIREAT per set instead of one per claim. With no
// traffic at all, the last generations stay until the next batch comes.
// A false duplicate needs a 64-bit hash collision within one tenant and two windows.
//
// Bucket state: hash `bucket:{scope}:{name}` {v: tokens (string, fractional), t: server
// time in µs}; expires once it would be full again (a missing bucket is a full bucket).
// Rate 0 with burst N is a fixed quota of N. A message costing more than a bucket's burst
// passes when that bucket is full and leaves it in debt, so it is not starved forever.
//
// In-flight ledger (with a worker id): a claim also enters the job in
// `flight:{tenant}:{shard}` under this worker's id, until Settle() removes it once the
// job's terminal event is durable. A replayed claimed job is then kDuplicate only if its
// entry is gone (finished); kInProgress while the claiming worker is alive (its
// `worker:{id}` key, kept by Heartbeat(), exists: hold the replay and ask again); and
// kRecovered when that worker is gone: the entry now names this worker, which must end
// the job itself. A job marked accepted (MarkAccepted: a provider took it and its
// receipt is awaited) is kAdopted instead: the new owner follows its receipt. Ledger
// hashes expire two dedupe windows after their last claim.
//
// Durable retries: a job due for another attempt is written to a delay tier as retry
// record k and settled with LedgerEntry::retry = k, which leaves "~k" in the ledger; the
// retry record is then admitted with AdmissionRequest::retry = k (opt-out and buckets
// checked again, no dedupe claim) and taken only while the ledger says "~k" (or its dead
// owner was at an earlier retry, so it had handed this one over). A replay of the
// original or of an older retry record is kDuplicate; kInProgress and kRecovered work as
// above. So a retry survives a restart and is never sent twice from two records.
//
// Keys are not declared to EVALSHA: one Redis (or one cluster slot) only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "core/job.h"
#include "ratelimit/redis_connection.h"

namespace bulkd::ratelimit {

// A rate rule from config (`ratelimit.rules`). name "*" is the default for its scope.
struct Rule {
  std::string scope;       // "tenant", "route", "sender", "template", ...
  std::string name;        // "shop1", or "*"
  double rate_per_sec = 0;  // >= 0; tokens (segments) added per second
  double burst = 0;         // >= 0; bucket capacity
};

// A bucket that applies to a message: {"route", "smpp-main"} -> key bucket:route:smpp-main.
// A bucket without a matching rule (exact name, else "*") does not limit.
struct BucketRef {
  std::string_view scope;
  std::string_view name;
};

// One message to admit. Views must stay valid during Admit().
struct AdmissionRequest {
  std::string_view tenant;
  std::string_view job_id;
  std::string_view recipient;  // E.164
  core::JobKind kind = core::JobKind::kInfo;
  uint32_t segments = 1;        // cost in tokens in every applicable bucket
  std::span<const BucketRef> buckets;  // duplicates in the list are charged once
  // 0 for the job's own record; k > 0 for its k-th durable retry record, which is taken
  // from the in-flight ledger instead of being claimed (see below).
  uint32_t retry = 0;
};

enum class Verdict : uint8_t {
  kAdmit, kDuplicate, kOptedOut, kWait, kUnavailable,
  kInProgress,  // a replay of a job another live worker (or this one) still works on
  kRecovered,   // a replay of a job whose worker is gone: now this worker's to end
  kAdopted,     // like kRecovered, but a provider had accepted it: follow its receipt
};
std::string_view ToString(Verdict verdict);  // "admit", "duplicate", ...

struct Decision {
  Verdict verdict = Verdict::kUnavailable;
  uint32_t retry_after_ms = 0;  // kWait: when the refusing bucket will hold enough tokens
  int16_t bucket = -1;          // kWait: index into the request's `buckets` that refused
};

struct AdmissionConfig {
  std::string key_prefix = "bulkd:";                // prepended to every key
  std::chrono::seconds dedupe_window{3600};         // claim kept >= 1 and <= 2 windows
  uint32_t dedupe_min_shards = 256;                 // sets per tenant in a first window
  uint32_t dedupe_max_shards = 1u << 20;
  std::chrono::milliseconds max_wait{60'000};       // cap on retry_after_ms (rate 0 -> cap)
  std::chrono::milliseconds batch_key_ttl{300'000};  // how long a batch_key replays
  bool optout_applies_to_info = true;               // false: only kAd jobs are checked
  // Identity of this worker process in the in-flight ledger; "" = no ledger (a replay of
  // a claimed job is always kDuplicate). At most 64 bytes of [A-Za-z0-9_.-].
  std::string worker_id;
  uint32_t ledger_shards = 64;  // hashes per tenant
};

// A job entered in the in-flight ledger, for Settle().
struct LedgerEntry {
  std::string tenant;
  uint64_t hash = 0;   // LedgerHash(job id)
  // Settle: > 0 = handed over as retry record k ("~k") instead of finished.
  // MarkAccepted: the retry record the owner works on (0 = the job's own record).
  uint32_t retry = 0;
};

// Counters for metrics; readable from any thread.
struct AdmissionStats {
  std::atomic<uint64_t> batches{0}, admitted{0}, duplicates{0}, opted_out{0}, waits{0},
      unavailable{0};
};

// One per shard (it uses the shard's RedisConnection); Admit/Release are not
// thread-safe, SetRules is. Never throws after construction.
class Admission {
 public:
  // Throws std::invalid_argument if `rules` or `config` are invalid (start-up only).
  Admission(RedisConnection& redis, AdmissionConfig config, std::vector<Rule> rules);
  ~Admission();

  // Decides every message of `batch` into `out` (out.size() == batch.size()) in one
  // blocking round trip (two after SCRIPT FLUSH or a Redis restart). On error returns it
  // and sets every decision to kUnavailable (fail closed; IsRetryable tells whether to
  // wait and try again). If a call fails with IsOutcomeUnknown (the script may have run),
  // calling again with the same non-empty `batch_key` and the same messages within
  // batch_key_ttl returns the first decisions instead of reporting the earlier claims as
  // duplicates. Without a batch_key such a retry errs towards kDuplicate (never a double
  // send).
  std::error_code Admit(std::span<const AdmissionRequest> batch, std::span<Decision> out,
                        std::string_view batch_key = {});

  // Undoes a claim (a send that certainly never reached a provider), so the job can be
  // admitted again. Tokens are not refunded. Blocks one round trip.
  Result<bool> Release(std::string_view tenant, std::string_view job_id);

  // The ledger field of a job id (the dedupe claim's 64-bit hash).
  static uint64_t LedgerHash(std::string_view job_id);
  // Removes finished jobs from the in-flight ledger (marks retries handed over, see
  // LedgerEntry::retry), in one pipelined round trip. Blocks. No-op without a worker id.
  std::error_code Settle(std::span<const LedgerEntry> entries);
  // Marks jobs this worker owns as accepted by a provider (their receipt is awaited), so
  // that a replay after this worker is gone is kAdopted instead of kRecovered. Entries
  // settled or taken over meanwhile are left alone. One round trip; blocks. No-op
  // without a worker id.
  std::error_code MarkAccepted(std::span<const LedgerEntry> entries);
  // Marks this worker alive for `ttl` (`worker:{id}`); call well within ttl. Blocks.
  std::error_code Heartbeat(std::chrono::milliseconds ttl);
  // Marks this worker gone at once (graceful exit): replays of what it did not finish are
  // recovered by the next owner without waiting for the heartbeat to lapse. Blocks.
  std::error_code Retire();

  // Replaces the rules; the next Admit uses them. Thread-safe. Returns false (and keeps
  // the old rules) if a rule is invalid, with the reason in *error.
  bool SetRules(std::vector<Rule> rules, std::string* error = nullptr);
  // Empty if the rules are valid, else why not (names the offending rule).
  static std::string ValidateRules(std::span<const Rule> rules);

  const AdmissionStats& stats() const { return stats_; }
  bool has_ledger() const { return !config_.worker_id.empty(); }

 private:
  struct RuleSet;
  std::shared_ptr<const RuleSet> Snapshot() const;
  std::string LedgerKey(const LedgerEntry& entry) const;  // flight:{tenant}:{shard}

  RedisConnection& redis_;
  AdmissionConfig config_;
  mutable std::mutex rules_mu_;
  std::shared_ptr<const RuleSet> rules_;
  AdmissionStats stats_;
  // Per-batch scratch, reused to avoid heap churn.
  struct BucketArgs;
  RedisBatch command_;
  std::vector<RedisReply> replies_;
  std::unordered_map<std::string, uint32_t> bucket_index_;
  std::vector<BucketArgs> buckets_;
  std::vector<std::string_view> tenants_;
  std::vector<uint32_t> msg_tenant_, msg_begin_, script_idx_;
  std::vector<int16_t> request_idx_;
  std::string scratch_;
};

}  // namespace bulkd::ratelimit
