#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "core/json_escape.h"
#include "dispatcher/kafka/producer.h"
#include "tools/bulkctl/commands.h"

namespace bulkd::tools {
namespace {

// Splits one CSV line (RFC 4180 quoting, no embedded newlines). False on a bad quote.
bool SplitCsvLine(const std::string& line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c != '\r') {
      field.push_back(c);
    }
  }
  if (quoted) return false;
  fields.push_back(std::move(field));
  return true;
}

// Replaces every #{column} by the row's value; unknown names stay as they are.
std::string Render(const std::string& pattern, const std::vector<std::string>& header,
                   const std::vector<std::string>& row) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern.compare(i, 2, "#{") == 0) {
      size_t close = pattern.find('}', i + 2);
      if (close != std::string::npos) {
        std::string name = pattern.substr(i + 2, close - i - 2);
        for (size_t c = 0; c < header.size(); ++c) {
          if (header[c] == name) {
            out += row[c];
            i = close + 1;
            goto next;
          }
        }
      }
    }
    out.push_back(pattern[i++]);
  next:;
  }
  return out;
}

void AppendField(const char* name, const std::string& value, std::string& json) {
  json += ",\"";
  json += name;
  json += "\":";
  core::AppendJsonString(value, json);
}

}  // namespace

int GenCsv(const GenCsvOptions& options) {
  std::FILE* out = options.out == "-" ? stdout : std::fopen(options.out.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + options.out);
  std::fprintf(out, "to,name\n");
  for (uint64_t i = 0; i < options.count; ++i) {
    std::fprintf(out, "%s%08llu,고객%llu\n", options.prefix.c_str(),
                 static_cast<unsigned long long>(i), static_cast<unsigned long long>(i));
  }
  if (out != stdout) std::fclose(out);
  return 0;
}

int Enqueue(const EnqueueOptions& options) {
  std::ifstream in(options.csv);
  if (!in) throw std::runtime_error("cannot read --csv " + options.csv);
  std::string line;
  std::vector<std::string> header, row;
  if (!std::getline(in, line) || !SplitCsvLine(line, header))
    throw std::runtime_error(options.csv + ": line 1: missing or malformed header");
  size_t to_column = header.size();
  for (size_t c = 0; c < header.size(); ++c)
    if (header[c] == "to") to_column = c;
  if (to_column == header.size())
    throw std::runtime_error(options.csv + ": line 1: no 'to' column in the header");

  std::string channels_json = "[";
  for (size_t start = 0; start <= options.channels.size();) {
    size_t comma = options.channels.find(',', start);
    if (comma == std::string::npos) comma = options.channels.size();
    if (channels_json.size() > 1) channels_json += ',';
    core::AppendJsonString(options.channels.substr(start, comma - start), channels_json);
    start = comma + 1;
  }
  channels_json += "]";

  dispatcher::KafkaConfig kafka;
  kafka.brokers = options.brokers;
  dispatcher::KafkaProducer producer(kafka, "bulkctl", [](uint64_t) {});
  const auto started = std::chrono::steady_clock::now();
  uint64_t line_number = 1, produced = 0, skipped = 0;
  std::string json;
  char id[160];
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    if (!SplitCsvLine(line, row) || row.size() != header.size()) {
      std::cerr << options.csv << ": line " << line_number << ": expected " << header.size()
                << " columns; skipped\n";
      ++skipped;
      continue;
    }
    std::snprintf(id, sizeof id, "%s-%06llu", options.campaign.c_str(),
                  static_cast<unsigned long long>(line_number - 1));
    json.clear();
    json += "{\"id\":";
    core::AppendJsonString(id, json);
    AppendField("tenant", options.tenant, json);
    AppendField("campaign", options.campaign, json);
    AppendField("kind", options.kind, json);
    AppendField("to", row[to_column], json);
    json += ",\"channels\":" + channels_json;
    if (!options.text.empty()) AppendField("text", Render(options.text, header, row), json);
    if (!options.subject.empty())
      AppendField("subject", Render(options.subject, header, row), json);
    if (!options.template_code.empty()) AppendField("template", options.template_code, json);
    if (!options.sender.empty()) AppendField("sender", options.sender, json);
    if (options.night_consent) json += ",\"night_consent\":true";
    if (!options.not_before.empty()) AppendField("not_before", options.not_before, json);
    if (!options.expires_at.empty()) AppendField("expires_at", options.expires_at, json);
    json += ",\"vars\":{";
    bool first = true;
    for (size_t c = 0; c < header.size(); ++c) {
      if (c == to_column) continue;
      if (!first) json += ',';
      first = false;
      core::AppendJsonString(header[c], json);
      json += ':';
      core::AppendJsonString(row[c], json);
    }
    json += "}}";
    if (options.rate > 0) {
      // Streamed at a fixed rate (latency benchmarks): job n leaves at start + n / rate.
      const auto due = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(produced / options.rate));
      std::this_thread::sleep_until(due);
    }
    producer.Produce(options.topic, row[to_column], json);  // key = recipient: ordered
    ++produced;
  }
  if (!producer.Flush(60000)) throw std::runtime_error("timed out waiting for Kafka acks");
  if (producer.lost_untracked() > 0) {
    throw std::runtime_error(std::to_string(producer.lost_untracked()) +
                             " jobs were not acknowledged by Kafka");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("enqueued %llu jobs to %s in %.2f s (%.0f jobs/s), %llu bad lines skipped\n",
              static_cast<unsigned long long>(produced), options.topic.c_str(), seconds,
              produced / (seconds > 0 ? seconds : 1), static_cast<unsigned long long>(skipped));
  return skipped == 0 ? 0 : 3;
}

}  // namespace bulkd::tools
