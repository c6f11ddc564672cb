// bulkctl — operator's tool: make and enqueue campaigns, report their outcome.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/bulkctl/commands.h"

int main(int argc, char** argv) {
  using namespace bulkd::tools;
  CLI::App app{"bulkctl: enqueue campaigns into bulkd and report their outcome"};
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
  enq_cmd->add_flag("--night-consent", enq.night_consent, "recipients consented to night ads");

  ReportOptions rep;
  auto* rep_cmd = app.add_subcommand("report", "tally outcomes from bulkd.events and bulkd.dlq");
  rep_cmd->add_option("--brokers", rep.brokers, "Kafka bootstrap servers")->required();
  rep_cmd->add_option("--expect", rep.expect, "wait until this many jobs finished");
  rep_cmd->add_option("--timeout", rep.timeout_s, "give up after this many seconds");
  rep_cmd->add_flag("--json", rep.json, "print one JSON object");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*gen_cmd) return GenCsv(gen);
    if (*enq_cmd) return Enqueue(enq);
    if (*rep_cmd) return Report(rep);
  } catch (const std::exception& e) {
    std::cerr << "bulkctl: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
