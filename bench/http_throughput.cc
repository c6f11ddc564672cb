// HTTP throughput against bizmsg-sim over loopback: (1) the raw HttpClient pool posting
// send requests of 1, 100 and 1,000 recipients on 1 and 4 keep-alive connections, and
// (2) AlimtalkProvider end to end (jobs in, kAccepted reports out; polls off).
// Not wired into CMake; build against a configured build tree and run from the repo root:
//   cmake --build build-http --target bulkd_providers bizmsg-sim
//   g++ -std=c++20 -O2 -DNDEBUG -DSPDLOG_FMT_EXTERNAL -DBOOST_ASIO_NO_DEPRECATED -I.
//     bench/http_throughput.cc build-http/providers/libbulkd_providers.a
//     build-http/core/libbulkd_core.a -lsimdjson -lssl -lcrypto -lspdlog -lfmt -pthread
//     -o /tmp/http_throughput
//   /tmp/http_throughput build-http/tools/bizmsg_sim/bizmsg-sim [seconds per run]
// The simulator is one thread; on a 2-core machine it and this process share the cores,
// so the numbers are a floor for bulkd's side, not a property of the dealer.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/spawn_sim.h"

#include "providers/http/alimtalk_provider.h"
#include "providers/http/http_client.h"

namespace http = bulkd::providers::http;
using Clock = std::chrono::steady_clock;

namespace {


void StopSim(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

std::string SendBody(size_t recipients) {
  std::string body = R"({"senderKey":"sk","templateCode":"order_shipped","recipientList":[)";
  for (size_t i = 0; i < recipients; ++i) {
    if (i) body += ',';
    body += R"({"recipientNo":"010)";
    body += std::to_string(10000000 + i);
    body += R"(","templateParameter":{"name":"홍길동","order":"A-1234567"},)"
            R"("resendParameter":{"isResend":false},"recipientGroupingKey":"cmp42-000001"})";
  }
  return body + "]}";
}

struct RawRun {
  double requests_per_s;
  double recipients_per_s;
  uint64_t errors;
};

RawRun MeasureRaw(uint16_t port, size_t batch, size_t connections, double seconds) {
  boost::asio::io_context io(1);
  http::HttpClientConfig config;
  config.max_connections = connections;
  http::HttpClient client(io, http::Url{false, "127.0.0.1", port, ""}, config);
  const std::string body = SendBody(batch);
  uint64_t done = 0, errors = 0;
  size_t in_flight = 0;
  Clock::time_point last = Clock::now();
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  std::function<void()> issue = [&] {
    http::HttpRequest req;
    req.method = http::Method::kPost;
    req.target = "/alimtalk/v2.3/appkeys/bench/messages";
    req.content_type = "application/json;charset=UTF-8";
    req.body = body;
    req.headers = {{"X-Secret-Key", "sim-secret"}};
    ++in_flight;
    client.Request(std::move(req), [&](std::error_code ec, http::HttpResponse&& res) {
      --in_flight;
      ++done;
      if (ec || res.status != 200) ++errors;
      last = Clock::now();
      if (last < end) {
        issue();
      } else if (in_flight == 0) {
        io.stop();  // idle keep-alive connections would hold run() until idle_timeout
      }
    });
  };
  const auto start = Clock::now();
  for (size_t i = 0; i < connections; ++i) issue();
  io.run();
  const double elapsed = std::chrono::duration<double>(last - start).count();
  return {done / elapsed, done * batch / elapsed, errors};
}

double MeasureProvider(uint16_t port, size_t connections, double seconds) {
  boost::asio::io_context io(1);
  http::AlimtalkConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port);
  config.appkey = "bench";
  config.secret_key = "sim-secret";
  config.sender_key = "sk";
  config.max_connections = connections;
  config.poll_interval = std::chrono::milliseconds(0);
  config.result_timeout = std::chrono::milliseconds(1000);
  config.max_pending = 8000 * connections;
  http::AlimtalkProvider provider(io, config);
  uint64_t accepted = 0, other = 0, next = 0;
  bulkd::core::Job job;
  job.id = "cmp42-000001";
  job.tenant = "shop1";
  job.to = "+821012345678";
  job.channels = {bulkd::core::Channel::kAlimtalk};
  job.template_code = "order_shipped";
  job.vars = {{"name", "홍길동"}, {"order", "A-1234567"}};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(seconds));
  bool stopping = false;
  auto top_up = [&] {
    while (!stopping && provider.Send(next, job, bulkd::core::Channel::kAlimtalk)) ++next;
  };
  provider.Start([&](const bulkd::providers::AttemptReport& r) {
    if (r.outcome == bulkd::providers::AttemptOutcome::kAccepted) ++accepted;
    else ++other;
    if (Clock::now() >= end && !stopping) {
      stopping = true;
      provider.Stop();
      io.stop();
    }
  });
  boost::asio::steady_timer refill(io);
  std::function<void()> tick = [&] {
    top_up();
    refill.expires_after(std::chrono::microseconds(200));
    refill.async_wait([&](auto ec) {
      if (!ec && !stopping) tick();
    });
  };
  tick();
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (other) std::printf("  (non-accepted reports: %llu)\n", static_cast<unsigned long long>(other));
  return accepted / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <bizmsg-sim> [seconds per run]\n", argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  uint16_t port = 0;
  const pid_t sim = SpawnSim({argv[1], "--port", "0"}, port);
  if (sim < 0) return 1;
  std::printf("raw HttpClient POST /messages (keep-alive, one request in flight per connection)\n");
  std::printf("%10s %6s %12s %14s %18s %8s\n", "recipients", "conns", "requests/s", "recipients/s",
              "recipients/s/conn", "errors");
  for (size_t batch : {1, 100, 1000}) {
    for (size_t conns : {1, 4}) {
      const RawRun r = MeasureRaw(port, batch, conns, seconds);
      std::printf("%10zu %6zu %12.0f %14.0f %18.0f %8llu\n", batch, conns, r.requests_per_s,
                  r.recipients_per_s, r.recipients_per_s / conns,
                  static_cast<unsigned long long>(r.errors));
    }
  }
  std::printf("AlimtalkProvider, batch 1000, polls off: jobs accepted per second\n");
  for (size_t conns : {1, 4}) {
    std::printf("%6zu conns %12.0f accepted/s\n", conns, MeasureProvider(port, conns, seconds));
  }
  StopSim(sim);
  return 0;
}
