// dispatcher/durable/receipt_map.h — delivery receipts matched to jobs across workers and restarts.
// The worker that sends a message remembers its parts' message ids in Redis; a worker that
// gets a receipt it cannot match itself (an OrphanReceipt) records the part's result under
// the job; the job's owner fetches the results. Ids and results expire after `ttl`.
//
// Redis keys (prefix default "bulkd:"):
//   {prefix}rcptid:{provider}:{message_id}  string "<i>:<n>:<tenant>:<job_id>" (part i of
//                                           n, 0-based), PX ttl
//   {prefix}rcpt:{tenant}:{job_id}          hash  "<i>" -> "D:<code>" | "U:<code>" and
//                                           "n" -> n; expiry reset to ttl by each new part
// Memory, measured by receipt_map_test on redis-server 7.0 (16-digit ids, provider
// "smpp-main", tenant "shop1", 12-character job ids): about 181 bytes per remembered id,
// 181 MB per million. Ids live `ttl`: Redis holds rate x ttl x 181 B (1,000 ids/s for
// 6 h: 3.9 GB), so size ttl to how late receipts really come.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider.h"
#include "ratelimit/redis_connection.h"

namespace bulkd::dispatcher {

struct ReceiptMapConfig {
  ratelimit::RedisOptions redis;  // its own connection: host/port or unix socket, timeouts
  std::string key_prefix = "bulkd:";
  std::chrono::milliseconds ttl = std::chrono::hours(6);  // ids and results kept this long
  // An orphan whose id is not in Redis (yet: the sender's Remember may still be in flight)
  // is looked up again every orphan_retry_interval until orphan_grace has passed since
  // RecordOrphan, then counted in orphans_unknown and dropped. Defaults 10 s and 250 ms.
  std::chrono::milliseconds orphan_grace = std::chrono::seconds(10);
  std::chrono::milliseconds orphan_retry_interval{250};
  // After a failed round trip (Redis down, timeout), the work is kept and retried this
  // much later. Default 200 ms (the connection adds its own reconnect backoff).
  std::chrono::milliseconds error_retry_interval{200};
  size_t max_batch = 1024;  // ids, orphans and fetched jobs per round trip, each
  // Entries held (ids to write, orphans, jobs to fetch) while Redis is slow or down;
  // calls beyond it are dropped and counted in `dropped`. Default 1,000,000.
  size_t max_queued = 1'000'000;
};

struct ReceiptMapStats {  // monotonic; written by the map's thread, read from any thread
  std::atomic<uint64_t> remembered{0};        // ids written
  std::atomic<uint64_t> orphans_matched{0};   // results stored under their job
  std::atomic<uint64_t> orphans_repeated{0};  // found, but the part had a result already
  std::atomic<uint64_t> orphans_unknown{0};   // id not found within orphan_grace: dropped
  std::atomic<uint64_t> orphan_retries{0};    // lookups that found no id yet: tried again
  std::atomic<uint64_t> fetches{0};           // jobs looked up
  std::atomic<uint64_t> redis_errors{0};      // failed round trips or error replies
  std::atomic<uint64_t> dropped{0};           // entries refused at max_queued or left at Stop()
  std::atomic<uint64_t> bad_values{0};        // values in Redis that do not parse: skipped
};

struct JobKey {
  std::string tenant;
  std::string job_id;
};

struct FetchedResult {
  enum class Status : uint8_t {
    kPending,      // no result, or not for every part yet
    kDelivered,    // every part D; code of part 0
    kUndelivered,  // some part U; code of the first U part by index
  };
  JobKey job;
  Status status = Status::kPending;
  std::string code;  // e.g. "DELIVRD", "UNDELIV"; empty when pending
};

// Thread-safe. No call blocks on Redis or throws: work is queued for the map's own thread
// and connection, which writes it in pipelined batches (one round trip per batch). While
// Redis is down the work is kept (up to max_queued) and written once it is back.
class ReceiptMap {
 public:
  // Throws std::invalid_argument on a bad config (zero batch, ttl or cap).
  explicit ReceiptMap(ReceiptMapConfig config);
  ~ReceiptMap();  // Stop()
  ReceiptMap(const ReceiptMap&) = delete;
  ReceiptMap& operator=(const ReceiptMap&) = delete;

  void Start();  // starts the map's thread; connects lazily
  // Writes what is queued if Redis answers (one try per batch), drops the rest (counted;
  // fetch callbacks not run), joins the thread. Idempotent.
  void Stop();

  // Part i of message_ids.size() of job (tenant, job_id) was sent as message_ids[i] by
  // `provider` (the provider's name: ids are unique per SMSC account only).
  void Remember(std::string_view provider, std::span<const std::string> message_ids,
                std::string_view tenant, std::string_view job_id);
  // A receipt `provider` could not match: stored under its job once its id is found.
  // Recording the same receipt again changes nothing (the first result of a part stays).
  void RecordOrphan(std::string_view provider, const providers::OrphanReceipt& receipt);
  // Looks the jobs up (one HGETALL each, one round trip for the call); results[i] is
  // keys[i]. `done` runs on the map's own thread: post it to your own io thread; it must
  // be short and must not throw. A value that does not parse counts in bad_values and is
  // ignored. Reads what has landed: a RecordOrphan still waiting for its id is not seen.
  void Fetch(std::vector<JobKey> keys, std::function<void(std::vector<FetchedResult>)> done);

  const ReceiptMapStats& stats() const { return stats_; }
  size_t queued() const;  // entries waiting, orphans not found yet included

 private:
  struct Queues;
  void Run();       // the map's thread: gathers work, runs batches, waits
  bool RunBatch();  // one round trip; false when work was kept for a retry

  ReceiptMapConfig config_;
  ReceiptMapStats stats_;
  std::unique_ptr<Queues> queues_;
};

}  // namespace bulkd::dispatcher
