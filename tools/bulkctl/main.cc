// bulkctl — operator's tool: make and enqueue campaigns, report their outcome, audit
// that every job is accounted for, manage the opt-out sets.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include "tools/bulkctl/commands.h"

int main(int argc, char** argv) {
  using namespace bulkd::tools;
  CLI::App app{"bulkctl: enqueue campaigns into bulkd, report and audit their outcome"};
  app.require_subcommand(1);

  GenCsvOptions gen;
  auto* gen_cmd = app.add_subcommand("gen-csv", "write a CSV of N test recipients (to,name)");
  gen_cmd->add_option("--count", gen.count, "rows")->check(CLI::Range(1ull, 100000000ull));
  gen_cmd->add_option("--out", gen.out, "file, or - for stdout")->required();
  gen_cmd->add_option("--prefix", gen.prefix, "number prefix");

  EnqueueOptions enq;
  auto* enq_cmd = app.add_subcommand("enqueue", "produce one job per CSV row to bulkd.jobs");
  enq_cmd->add_option("--brokers", enq.brokers, "Kafka bootstrap servers")->required();
  enq_cmd->add_option("--topic", enq.topic, "jobs topic");
  enq_cmd->add_option("--csv", enq.csv, "recipients CSV with a header row; needs column 'to'")
      ->required();
  enq_cmd->add_option("--tenant", enq.tenant, "tenant id")->required();
  enq_cmd->add_option("--campaign", enq.campaign, "campaign id (job ids are <campaign>-<row>)")
      ->required();
  enq_cmd->add_option("--kind", enq.kind, "info or ad")->check(CLI::IsMember({"info", "ad"}));
  enq_cmd->add_option("--channels", enq.channels, "fallback chain, e.g. alimtalk,lms");
  enq_cmd->add_option("--text", enq.text, "SMS/LMS body; #{column} is replaced per row");
  enq_cmd->add_option("--subject", enq.subject, "LMS subject");
  enq_cmd->add_option("--template", enq.template_code, "Kakao/RCS template code");
  enq_cmd->add_option("--sender", enq.sender, "registered caller id");
  enq_cmd->add_option("--not-before", enq.not_before, "RFC 3339 time before which nothing is sent");
  enq_cmd->add_option("--expires-at", enq.expires_at, "RFC 3339 time after which nothing is sent");
  enq_cmd->add_flag("--night-consent", enq.night_consent, "recipients consented to night ads");
  enq_cmd->add_option("--rate", enq.rate, "jobs per second, paced evenly (0 = as fast as possible)")
      ->check(CLI::Range(0.0, 10000000.0));

  ReportOptions rep;
  auto* rep_cmd = app.add_subcommand("report", "tally outcomes from bulkd.events and bulkd.dlq");
  rep_cmd->add_option("--brokers", rep.brokers, "Kafka bootstrap servers")->required();
  rep_cmd->add_option("--expect", rep.expect, "wait until this many jobs finished");
  rep_cmd->add_option("--timeout", rep.timeout_s, "give up after this many seconds");
  rep_cmd->add_flag("--json", rep.json, "print one JSON object");

  AuditOptions aud;
  bool aud_json = false;
  auto* aud_cmd = app.add_subcommand(
      "audit",
      "account for every job: read bulkd.jobs, the delay tiers, bulkd.events and bulkd.dlq "
      "up to their high watermarks; exit 0 all accounted for, 1 missing jobs or jobs ended "
      "more than once, 2 bad usage or unreadable topics");
  aud_cmd->add_option("--brokers", aud.brokers, "Kafka bootstrap servers")->required();
  aud_cmd->add_option("--campaign", aud.campaign, "only this campaign's jobs");
  aud_cmd->add_option("--tenant", aud.tenant, "only this tenant's jobs");
  aud_cmd->add_option("--smsc-record", aud.smsc_record,
                      "smsc-sim --record file: count numbers accepted more often than they had jobs");
  aud_cmd->add_option("--list", aud.list_limit, "ids (and masked numbers) listed per problem")
      ->check(CLI::Range(size_t{0}, size_t{1000000}))->capture_default_str();
  aud_cmd->add_option("--timeout", aud.timeout_s, "give up reading after this many seconds")
      ->check(CLI::Range(1, 86400))->capture_default_str();
  aud_cmd->add_option("--jobs-topic", aud.jobs_topic, "jobs topic")->capture_default_str();
  aud_cmd->add_option("--events-topic", aud.events_topic, "events topic")->capture_default_str();
  aud_cmd->add_option("--dlq-topic", aud.dlq_topic, "DLQ topic")->capture_default_str();
  aud_cmd->add_option("--defer-prefix", aud.defer_topic_prefix, "delay tiers are <prefix>.<N>s")
      ->capture_default_str();
  aud_cmd->add_option("--defer-tiers", aud.defer_tiers_s, "delay tiers in seconds, e.g. 1,10,60")
      ->delimiter(',')->capture_default_str();
  aud_cmd->add_flag("--json", aud_json, "print one JSON object");

  OptOutOptions opt;
  auto* opt_cmd = app.add_subcommand("optout", "manage the opt-out sets in Redis");
  opt_cmd->require_subcommand(1);
  const std::pair<const char*, const char*> opt_actions[] = {
      {"add", "opt numbers out (E.164, or domestic with --country-code)"},
      {"remove", "opt numbers back in"},
      {"check", "print per number: opted_out|not_opted_out and global|tenant|-"},
      {"import", "add the numbers of a CSV (e.g. a 080 rejection list); bad lines by number"},
      {"export", "print the set, one number per line"}};
  for (const auto& [name, help] : opt_actions) {
    auto* cmd = opt_cmd->add_subcommand(name, help);
    cmd->callback([&opt, action = std::string(name)] { opt.action = action; });
    cmd->add_option("--tenant", opt.tenant, "tenant id, or _global for the global set")
        ->required();
    cmd->add_option("--redis-host", opt.redis_host, "Redis host")->capture_default_str();
    cmd->add_option("--redis-port", opt.redis_port, "Redis port")
        ->check(CLI::Range(1, 65535))->capture_default_str();
    cmd->add_option("--redis-timeout-ms", opt.redis_timeout_ms, "connect/command timeout")
        ->check(CLI::Range(1, 600000))->capture_default_str();
    cmd->add_option("--key-prefix", opt.key_prefix, "Redis key prefix")->capture_default_str();
    const std::string_view action = name;
    if (action == "add" || action == "remove" || action == "check" || action == "import") {
      cmd->add_option("--country-code", opt.country_code,
                      "country code for domestic numbers: 82 makes 010-1234-5678 "
                      "+821012345678");
    }
    if (action == "add" || action == "remove" || action == "check") {
      cmd->add_option("numbers", opt.numbers, "phone numbers")->required();
    } else if (action == "import") {
      cmd->add_option("--file", opt.file, "CSV file, or - for stdin")->required();
      cmd->add_option("--column", opt.column, "1-based column holding the number")
          ->check(CLI::Range(size_t{1}, size_t{10000}))->capture_default_str();
      cmd->add_option("--delimiter", opt.delimiter, "field separator (one character, or tab)")
          ->capture_default_str();
    } else {
      cmd->add_option("--out", opt.out, "file (written whole or not at all), or - for stdout")
          ->capture_default_str();
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is 0; every usage error exits 2
  }
  try {
    if (*gen_cmd) return GenCsv(gen);
    if (*enq_cmd) return Enqueue(enq);
    if (*rep_cmd) return Report(rep);
    if (*aud_cmd) return Audit(aud, aud_json);
    if (*opt_cmd) return OptOut(opt);
  } catch (const std::exception& e) {
    std::cerr << "bulkctl: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
