// tools/bulkctl/audit.h — the accounting audit behind `bulkctl audit`. It reads the jobs
// topic, the delay tiers, the events and the DLQ from their beginnings up to the high
// watermarks they had when it started, and accounts for every job (tenant, id) of the
// jobs topic: ended by exactly one terminal event (per state), ended by two or more,
// dead-lettered, waiting durably in a delay tier (with its due time), or missing. Given
// an smsc-sim record file it also counts numbers accepted more often than they had jobs.
//
// RunAudit throws AuditError for whatever keeps it from reading (bad options, broker
// unreachable, a topic that does not exist, an unreadable record file, the timeout);
// the message names it. Phone numbers appear in a report only masked (core/mask.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bulkd::tools {

class AuditError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AuditOptions {
  std::string brokers;
  // Topic names; the defaults are bulkd's (dispatcher/kafka/kafka_config.h).
  std::string jobs_topic;
  std::string events_topic;
  std::string dlq_topic;
  std::string defer_topic_prefix;
  std::vector<int> defer_tiers_s;  // "<prefix>.<N>s" for each; every one must exist
  // Only jobs of this campaign / tenant (a job without a campaign has campaign "").
  // Records of the jobs topic that cannot be read as JSON with an id belong to no
  // campaign or tenant: they are audited only when neither filter is set.
  std::optional<std::string> campaign;
  std::optional<std::string> tenant;
  std::string smsc_record;  // smsc-sim --record file; "" = none
  size_t list_limit = 20;   // ids (and masked numbers) listed per problem
  int timeout_s = 120;      // reading every topic to its watermark
  int64_t now_ms = 0;       // "due already" is judged against this; 0 = the clock

  AuditOptions();  // the default topic names and tiers
};

// A job as listed in a report. `where` is set instead of the id for a record of the
// jobs topic without a readable id: "bulkd.jobs[2]@17" (partition 2, offset 17).
struct AuditJobRef {
  std::string tenant;
  std::string id;
  std::string where;
};

struct AuditReport {
  std::optional<std::string> campaign, tenant;  // the filters used
  // Records read per topic (jobs, events, DLQ, then the tiers), within the filters or not.
  std::vector<std::pair<std::string, uint64_t>> records_read;

  uint64_t job_records = 0;  // records of the jobs topic within the filters
  uint64_t jobs = 0;         // distinct (tenant, id) among them; jobs produced
  uint64_t unreadable_job_records = 0;  // among `jobs`: no readable id (ended only by DLQ)
  uint64_t unattributed_job_records = 0;  // unreadable, left out because a filter is set

  uint64_t ended_once = 0;  // exactly one terminal event
  std::map<std::string, uint64_t> ended_once_by_state;  // "delivered", "failed", ...

  uint64_t ended_more_than_once = 0;  // two or more terminal events
  uint64_t extra_terminal_events = 0;  // terminal events beyond each such job's first
  std::vector<AuditJobRef> ended_more_than_once_ids;  // the first list_limit

  uint64_t dead_lettered = 0;  // no terminal event, a DLQ record: ended

  // No terminal event, no DLQ record, and a delay-tier record holds the job.
  struct Waiting {
    uint64_t jobs = 0;
    uint64_t due_already = 0;    // due at or before now_ms: a worker should take it now
    int64_t earliest_due_ms = 0;  // 0 when jobs == 0
    int64_t latest_due_ms = 0;
    // "not_before", "quiet_hours" (from the job's deferred event), "retry" (a
    // bulkd-retry record), "parked" (a deferral without a deferred event: held while
    // the tenant policy could not be read from Redis).
    std::map<std::string, uint64_t> by_reason;
  } waiting;

  uint64_t missing = 0;  // no terminal event, no DLQ record, nothing waiting
  // By the job's last event: "none", "submitted", "retrying", "fallback", "deferred".
  std::map<std::string, uint64_t> missing_by_last_event;
  std::vector<AuditJobRef> missing_ids;  // the first list_limit

  uint64_t ended_not_on_jobs_topic = 0;  // terminal events or DLQ records of jobs not read

  bool smsc_record_read = false;
  uint64_t smsc_submits = 0;  // lines of the record (of the audited jobs' numbers, filtered)
  uint64_t numbers_accepted_twice = 0;  // accepted more times than they had jobs
  std::vector<std::string> numbers_accepted_twice_masked;  // the first list_limit

  int64_t now_ms = 0;
  double seconds = 0;  // reading and accounting
};

AuditReport RunAudit(const AuditOptions& options);

// 0 when nothing is missing and no job ended twice, else 1.
int AuditExitCode(const AuditReport& report);
// The report as an aligned text table / as one JSON object with a trailing newline.
std::string AuditTable(const AuditReport& report);
std::string AuditJson(const AuditReport& report);

}  // namespace bulkd::tools
