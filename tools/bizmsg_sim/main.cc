// bizmsg-sim: a Kakao/RCS dealer API and webhook receiver simulator (see server.h). Prints
// "bizmsg-sim listening on <host>:<port>" first, runs until SIGTERM/SIGINT, exits 0.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "tools/bizmsg_sim/server.h"

int main(int argc, char** argv) {
  namespace sim = bulkd::tools::bizmsg_sim;
  sim::Options opt;
  std::string mix = "1000:100", final_mix = "1000:100", fault = "none";
  std::string rcs_mix = "0:100", rcs_final_mix = "10000:100", hook_mix = "200:100";
  CLI::App app{"bizmsg-sim: Kakao Alimtalk/Friendtalk, RCS dealer API and webhook receiver simulator"};
  app.add_option("--host", opt.host, "listen address")->capture_default_str();
  app.add_option("--port", opt.port, "listen port; 0 picks a free one")->capture_default_str();
  app.add_option("--appkey", opt.appkey, "required appkey in the path (else any)");
  app.add_option("--secret-key", opt.secret_key, "required X-Secret-Key (\"\" = any)")
      ->capture_default_str();
  app.add_option("--mix", mix, "synchronous per-recipient result codes, code:weight,...")
      ->capture_default_str();
  app.add_option("--final-mix", final_mix, "final results of recipients answered 1000")
      ->capture_default_str();
  app.add_option("--rcs-mix", rcs_mix, "RCS per-recipient codes (0 taken, 41201, 50201...)")
      ->capture_default_str();
  app.add_option("--rcs-final-mix", rcs_final_mix, "RCS finals of recipients answered 0")
      ->capture_default_str();
  app.add_option("--hook-path", opt.hook_path, "webhook receiver path")->capture_default_str();
  app.add_option("--hook-secret", opt.hook_secret, "X-Bulkd-Signature HMAC key")
      ->capture_default_str();
  app.add_option("--hook-mix", hook_mix, "HTTP statuses the hook answers, status:weight,...")
      ->capture_default_str();
  app.add_flag("--hook-dedupe", opt.hook_dedupe,
               "answer a seen Idempotency-Key 200 without taking it again");
  app.add_option("--latency-ms", opt.latency_ms, "delay of every send response");
  app.add_option("--throttle-percent", opt.throttle_percent, "share of sends answered 429")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--retry-after-s", opt.retry_after_s, "Retry-After on 429 (0: none)");
  app.add_option("--drop-percent", opt.drop_percent,
                 "share of new sends processed, then the connection closed unanswered")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--result-delay-ms", opt.result_delay_ms, "final result delay after acceptance");
  app.add_flag("--out-of-order", opt.out_of_order,
               "draw each final delay from [0, 2*delay] and shuffle webhook batches");
  app.add_option("--webhook", opt.webhook_url, "POST final results to http://host:port/path");
  app.add_option("--webhook-secret", opt.webhook_secret, "HMAC-SHA256 key for X-Signature");
  app.add_option("--webhook-duplicate-percent", opt.webhook_duplicate_percent,
                 "share of webhook results sent twice")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--record", opt.record_path,
                 "append `recipientNo\\trequestId` per recipient taken (1000 or 3005)");
  app.add_option("--max-recipients", opt.max_recipients, "per request")->capture_default_str();
  app.add_option("--max-body-bytes", opt.max_body_bytes, "413 above")->capture_default_str();
  app.add_option("--idle-timeout-ms", opt.idle_timeout_ms, "close idle connections")
      ->capture_default_str();
  app.add_option("--result-retention-s", opt.result_retention_s, "poll 404 after this")
      ->capture_default_str();
  app.add_option("--seed", opt.seed, "random seed (0: random)");
  app.add_option("--fault", fault,
                 "broken replies: none, garbage-2xx, truncated, missing-results (after "
                 "processing), html-5xx (before), bad-poll")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    opt.mix = sim::ParseMix(mix);
    opt.final_mix = sim::ParseMix(final_mix);
    opt.rcs_mix = sim::ParseMix(rcs_mix);
    opt.rcs_final_mix = sim::ParseMix(rcs_final_mix);
    opt.hook_mix = sim::ParseMix(hook_mix);
    opt.fault = sim::ParseFault(fault);
    sim::Server server(std::move(opt));
    return server.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bizmsg-sim: %s\n", e.what());
    return 1;
  }
}
