// smsc-sim: an SMPP 3.4 SMSC simulator (see server.h). Prints
// "smsc-sim listening on <host>:<port>" first, runs until SIGTERM/SIGINT, exits 0.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/text_encoding.h"
#include "tools/smsc_sim/server.h"

namespace {

// --mo FROM,TO,CODING,TEXT (TEXT in UTF-8, may hold commas): FROM with '+' or without a
// leading 0 is international (TON 1), with a leading 0 national (TON 2); CODING is gsm
// (0x00, unpacked GSM 03.38), ucs2 (0x08) or ksc5601 (0x0E, CP949 bytes).
bulkd::tools::smsc_sim::MoMessage ParseMo(const std::string& spec) {
  bulkd::tools::smsc_sim::MoMessage mo;
  const size_t a = spec.find(','), b = spec.find(',', a + 1), c = spec.find(',', b + 1);
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos) {
    throw std::invalid_argument("--mo wants FROM,TO,CODING,TEXT: " + spec);
  }
  std::string from = spec.substr(0, a);
  mo.dest_addr = spec.substr(a + 1, b - a - 1);
  const std::string coding = spec.substr(b + 1, c - b - 1);
  const std::string text = spec.substr(c + 1);
  if (!from.empty() && from[0] == '+') {
    from.erase(0, 1);
  } else if (!from.empty() && from[0] == '0') {
    mo.source_addr_ton = 2;
  }
  mo.source_addr = from;
  if (coding == "gsm") {
    mo.data_coding = 0x00;
    mo.body = bulkd::core::Utf8ToGsm7Unpacked(text);
  } else if (coding == "ucs2") {
    mo.data_coding = 0x08;
    mo.body = bulkd::core::Utf8ToUcs2Be(text);
  } else if (coding == "ksc5601") {
    auto bytes = bulkd::core::Utf8ToEucKr(text);
    if (!bytes) throw std::invalid_argument("--mo text is not representable in CP949: " + spec);
    mo.data_coding = 0x0E;
    mo.body = std::move(*bytes);
  } else {
    throw std::invalid_argument("--mo CODING must be gsm, ucs2 or ksc5601: " + spec);
  }
  return mo;
}

}  // namespace

int main(int argc, char** argv) {
  bulkd::tools::smsc_sim::Options opt;
  std::string id_format = "decimal", receipt_id_format, receipt_form = "both";
  std::vector<std::string> mo_specs;
  CLI::App app{"smsc-sim: SMPP 3.4 SMSC simulator for tests and benchmarks"};
  app.add_option("--host", opt.host, "listen address")->capture_default_str();
  app.add_option("--port", opt.port, "listen port; 0 picks a free one")->capture_default_str();
  app.add_option("--threads", opt.threads, "io threads")->check(CLI::Range(1u, 64u));
  app.add_option("--system-id", opt.system_id, "required system_id (else any)");
  app.add_option("--password", opt.password, "required password (else any)");
  app.add_option("--id-format", id_format, "submit_sm_resp message ids")
      ->check(CLI::IsMember({"hex", "decimal"}));
  app.add_option("--receipt-id-format", receipt_id_format,
                 "message ids in receipts (default: --id-format)")
      ->check(CLI::IsMember({"hex", "decimal"}));
  app.add_option("--receipt-form", receipt_form, "receipt carries tlv, text or both")
      ->check(CLI::IsMember({"tlv", "text", "both"}));
  app.add_option("--receipt-delay-ms", opt.receipt_delay_ms, "receipt delay after the response");
  app.add_option("--latency-ms", opt.latency_ms, "submit_sm_resp delay");
  app.add_option("--receipt-lead-ms", opt.receipt_lead_ms,
                 "send the receipt this long before the submit_sm_resp (<= --latency-ms)");
  app.add_option("--fail-percent", opt.fail_percent, "share answered ESME_RSUBMITFAIL")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--undeliv-percent", opt.undeliv_percent, "share of receipts UNDELIV")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--undeliv-part", opt.undeliv_part,
                 "UNDELIV receipt for this part (1-based) of every concatenated message");
  app.add_option("--mo", mo_specs,
                 "FROM,TO,CODING,TEXT: an MO deliver_sm sent after each bind (repeatable; "
                 "CODING gsm|ucs2|ksc5601)");
  app.add_option("--throttle-percent", opt.throttle_percent, "share answered ESME_RTHROTTLED")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--max-tps", opt.max_tps, "per-thread submit rate; above it ESME_RTHROTTLED");
  app.add_option("--idle-timeout-ms", opt.idle_timeout_ms, "close sessions silent this long");
  app.add_option("--drop-session-after", opt.drop_session_after,
                 "close the first session at its N-th submit_sm, unanswered (once)");
  app.add_flag("--forward-receipts", opt.forward_receipts,
               "receipts due on a closed session go to another (or the next) receiver bind");
  app.add_option("--record", opt.record_path, "append `<dest>\\t<message_id>` per accepted submit");
  app.add_flag("--record-times", opt.record_times,
               "also append `\\t<receive time, epoch us>\\t<source_addr>` to each record line");
  app.add_option("--seed", opt.seed, "random seed (0: random)");
  app.add_option("--id-start", opt.id_start, "first message id (0: from the clock)");
  CLI11_PARSE(app, argc, argv);
  opt.hex_ids = id_format == "hex";
  opt.receipt_hex_ids = receipt_id_format.empty() ? opt.hex_ids : receipt_id_format == "hex";
  opt.receipt_tlvs = receipt_form != "text";
  opt.receipt_text = receipt_form != "tlv";
  try {
    for (const std::string& spec : mo_specs) opt.mo_after_bind.push_back(ParseMo(spec));
    bulkd::tools::smsc_sim::Server server(std::move(opt));
    return server.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smsc-sim: %s\n", e.what());
    return 1;
  }
}
