// bulkctl report: reads bulkd.jobs, bulkd.events and bulkd.dlq from the beginning (no
// consumer group) and tallies one outcome per job.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/bulkctl/commands.h"
#include "tools/bulkctl/topic_reader.h"

namespace bulkd::tools {
namespace {

struct JobOutcome {
  int64_t enqueued_ms = -1;
  int64_t finished_ms = -1;
  std::string terminal;  // empty until a terminal event arrives
  bool fell_back = false;
  bool deferred = false;
  bool retried = false;
  int terminal_events = 0;
};

bool IsTerminalName(std::string_view e) {
  return e == "delivered" || e == "undelivered" || e == "failed" || e == "suppressed" ||
         e == "expired" || e == "dead";
}

double Percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

}  // namespace

int Report(const ReportOptions& options) {
  TopicReader reader(options.brokers);
  reader.Assign({options.jobs_topic, options.events_topic, options.dlq_topic},
                TopicReader::Until::kForever, 10000);
  constexpr int kJobs = 0, kEvents = 1, kDlq = 2;  // topic indexes given to Assign
  std::unordered_map<std::string, JobOutcome> jobs;
  uint64_t dlq = 0, jobs_seen = 0, terminal_jobs = 0, duplicate_terminals = 0, bad_events = 0;
  int64_t first_event_ms = INT64_MAX;
  simdjson::ondemand::parser parser;
  simdjson::padded_string buffer;
  std::vector<TopicRecord> batch;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_s);
  const auto expected_all = [&] { return options.expect > 0 && terminal_jobs + dlq >= options.expect; };
  while (std::chrono::steady_clock::now() < deadline && !expected_all()) {
    reader.Poll(batch, 1024, 200);
    for (const TopicRecord& m : batch) {
      if (expected_all()) break;  // the records after it are not tallied
      if (m.topic == kJobs) ++jobs_seen;
      if (m.topic == kDlq) {
        ++dlq;
        continue;
      }
      buffer = simdjson::padded_string(m.value);
      simdjson::ondemand::document doc;
      std::string_view id, event;
      int64_t ts = 0;
      bool ok = !parser.iterate(buffer).get(doc) && !doc["id"].get_string().get(id);
      if (ok && m.topic == kEvents) {
        ok = !doc["event"].get_string().get(event) && !doc["ts"].get_int64().get(ts);
      }
      if (!ok) {
        ++bad_events;  // the jobs topic may hold malformed jobs on purpose (DLQ tests)
      } else if (m.topic == kJobs) {
        jobs[std::string(id)].enqueued_ms = m.timestamp_ms;
      } else {
        JobOutcome& job = jobs[std::string(id)];
        first_event_ms = std::min(first_event_ms, ts);
        if (event == "fallback") job.fell_back = true;
        if (event == "deferred") job.deferred = true;
        if (event == "retrying") job.retried = true;
        if (IsTerminalName(event)) {
          if (++job.terminal_events == 1) {
            job.terminal = event;
            job.finished_ms = ts;
            ++terminal_jobs;
          } else {
            ++duplicate_terminals;
          }
        }
      }
    }
  }

  std::unordered_map<std::string, uint64_t> by_terminal;
  uint64_t fell_back = 0, deferred = 0, retried = 0;
  // Throughput counts the jobs that could go at once: a deferred job's finish is set
  // by its window, not by how fast bulkd works.
  uint64_t prompt_jobs = 0;
  int64_t last_prompt_ms = 0;
  std::vector<double> e2e;
  e2e.reserve(jobs.size());
  for (const auto& [id, job] : jobs) {
    if (!job.terminal.empty()) ++by_terminal[job.terminal];
    fell_back += job.fell_back;
    deferred += job.deferred;
    retried += job.retried;
    if (!job.deferred && job.finished_ms >= 0) {
      ++prompt_jobs;
      last_prompt_ms = std::max(last_prompt_ms, job.finished_ms);
    }
    if (job.enqueued_ms >= 0 && job.finished_ms >= 0)
      e2e.push_back(static_cast<double>(job.finished_ms - job.enqueued_ms) / 1000.0);
  }
  const double window_s =
      last_prompt_ms > first_event_ms ? (last_prompt_ms - first_event_ms) / 1000.0 : 0;
  const double throughput = window_s > 0 ? static_cast<double>(prompt_jobs) / window_s : 0;
  const double p50 = Percentile(e2e, 0.50), p99 = Percentile(e2e, 0.99);
  const bool complete = options.expect == 0 || terminal_jobs + dlq >= options.expect;
  auto count = [&](const char* name) {
    auto it = by_terminal.find(name);
    return static_cast<unsigned long long>(it == by_terminal.end() ? 0 : it->second);
  };
  if (options.json) {
    std::printf(
        "{\"jobs\":%llu,\"finished\":%llu,\"delivered\":%llu,\"undelivered\":%llu,"
        "\"failed\":%llu,\"suppressed\":%llu,\"expired\":%llu,\"dead\":%llu,"
        "\"deferred\":%llu,\"fallback\":%llu,\"retried\":%llu,\"dlq\":%llu,"
        "\"duplicate_terminal_events\":%llu,\"throughput_per_s\":%.1f,"
        "\"e2e_p50_s\":%.3f,\"e2e_p99_s\":%.3f,\"complete\":%s}\n",
        (unsigned long long)jobs_seen, (unsigned long long)terminal_jobs, count("delivered"),
        count("undelivered"), count("failed"), count("suppressed"), count("expired"),
        count("dead"), (unsigned long long)deferred, (unsigned long long)fell_back,
        (unsigned long long)retried, (unsigned long long)dlq,
        (unsigned long long)duplicate_terminals, throughput, p50, p99,
        complete ? "true" : "false");
  } else {
    std::printf("\n  bulkd campaign summary\n  ----------------------------------------\n");
    std::printf("  %-26s %12llu\n", "jobs on bulkd.jobs", (unsigned long long)jobs_seen);
    std::printf("  %-26s %12llu\n", "delivered", count("delivered"));
    std::printf("  %-26s %12llu\n", "undelivered", count("undelivered"));
    std::printf("  %-26s %12llu\n", "failed", count("failed"));
    std::printf("  %-26s %12llu\n", "suppressed (opt-out)", count("suppressed"));
    std::printf("  %-26s %12llu\n", "expired", count("expired"));
    std::printf("  %-26s %12llu\n", "deferred (then released)", (unsigned long long)deferred);
    std::printf("  %-26s %12llu\n", "fallen back", (unsigned long long)fell_back);
    std::printf("  %-26s %12llu\n", "retried", (unsigned long long)retried);
    std::printf("  %-26s %12llu\n", "DLQ (malformed)", (unsigned long long)dlq);
    std::printf("  %-26s %12.0f msg/s (%llu jobs not deferred, over %.1f s)\n", "throughput",
                throughput, (unsigned long long)prompt_jobs, window_s);
    std::printf("  %-26s %9.2f s / %.2f s\n", "end-to-end p50 / p99", p50, p99);
    if (duplicate_terminals)
      std::printf("  WARNING: %llu duplicate terminal events\n",
                  (unsigned long long)duplicate_terminals);
    if (!complete)
      std::printf("  INCOMPLETE: %llu of %llu expected jobs finished before the timeout\n",
                  (unsigned long long)(terminal_jobs + dlq), (unsigned long long)options.expect);
  }
  return complete ? 0 : 4;
}

}  // namespace bulkd::tools
