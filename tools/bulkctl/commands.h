// tools/bulkctl/commands.h — the subcommands of bulkctl, one function each.
// Each returns the process exit code and prints errors that name the bad input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/bulkctl/audit.h"

namespace bulkd::tools {

struct GenCsvOptions {
  uint64_t count = 100000;
  std::string out;               // "-" for stdout
  std::string prefix = "+8210";  // numbers are prefix + zero-padded serial
};
int GenCsv(const GenCsvOptions& options);

// One job per CSV row. The CSV header names the columns; `to` is required; every other
// column is a variable: `#{name}` in the text or subject is replaced by its value, and
// it is sent in the job's `vars`.
struct EnqueueOptions {
  std::string brokers;
  std::string topic = "bulkd.jobs";
  std::string csv;
  std::string tenant;
  std::string campaign;
  std::string kind = "info";
  std::string channels = "sms";  // comma-separated fallback chain
  std::string text;
  std::string subject;
  std::string template_code;
  std::string sender;
  bool night_consent = false;
  std::string not_before;  // RFC 3339; the jobs wait until then
  std::string expires_at;  // RFC 3339; not sent after this
  double rate = 0;         // jobs per second, paced evenly; 0 = as fast as Kafka takes them
};
int Enqueue(const EnqueueOptions& options);

struct ReportOptions {
  std::string brokers;
  std::string jobs_topic = "bulkd.jobs";
  std::string events_topic = "bulkd.events";
  std::string dlq_topic = "bulkd.dlq";
  uint64_t expect = 0;   // stop once this many jobs reached a terminal event or the DLQ
  int timeout_s = 600;
  bool json = false;     // one JSON object instead of the table
};
int Report(const ReportOptions& options);

// The accounting audit (tools/bulkctl/audit.h): prints its table, or one JSON object
// with `json`. Exit codes: 0 every job is accounted for; 1 jobs are missing or ended more
// than once; 2 bad usage, or the topics could not be read (stderr names the broker, the
// topic or the file).
int Audit(const AuditOptions& options, bool json);

// The opt-out sets in Redis (`{key_prefix}optout:{tenant}`; tenant "_global" is the set
// that applies to every tenant). Numbers are normalised to E.164 (ratelimit::
// NormalizeNumber). Errors never echo a phone number: bad numbers are named by argument
// position, bad import lines by line number. Exit codes: 0 all good; 3 some numbers or
// lines were bad (the good ones were applied); 1 Redis error, or output not writable
// (an import stopped by Redis keeps its earlier batches); 2 bad usage or unreadable file.
struct OptOutOptions {
  std::string action;  // add | remove | check | import | export
  std::string redis_host = "127.0.0.1";
  int redis_port = 6379;
  int redis_timeout_ms = 2000;        // connect and per-command bound
  std::string key_prefix = "bulkd:";
  std::string tenant;                 // required
  std::vector<std::string> numbers;   // add, remove, check
  std::string country_code;           // "82": 010-1234-5678 -> +821012345678; empty = none
  std::string file = "-";             // import: CSV path, "-" = stdin
  size_t column = 1;                  // import: 1-based field holding the number
  std::string delimiter = ",";        // import: one character, or "tab"
  std::string out = "-";              // export: file (written via temp + rename) or "-"
};
// add/remove: prints a summary. check: per number "<e164>\t<opted_out|not_opted_out>\t
// <global|tenant|->". import: bad lines on stderr, summary on stdout. export: one number
// per line (stdout or --out), summary on stderr.
int OptOut(const OptOutOptions& options);

}  // namespace bulkd::tools
