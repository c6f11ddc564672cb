// tools/bulkctl/commands.h — the subcommands of bulkctl, one function each.
// Each returns the process exit code and prints errors that name the bad input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace bulkd::tools
