// SMPP client -> smsc-sim throughput over loopback, per window size. Build and run from
// the repository root (bench/CMakeLists.txt):
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULKD_BUILD_BENCH=ON
//   cmake --build build-bench --target smpp_throughput smsc-sim
//   build-bench/bench/smpp_throughput build-bench/tools/smsc_sim/smsc-sim [messages] [sim args...]
// Spawns the simulator (--port 0), then for windows 1, 16, 64, 256 submits `messages`
// (window 1: a tenth) keeping the client queue topped up, and reports submits/s (all
// submit_sm_resp received) and the time until every receipt has arrived too.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/spawn_sim.h"

#include "providers/smpp/client.h"

namespace smpp = bulkd::providers::smpp;
using Clock = std::chrono::steady_clock;

namespace {


struct Run {
  double submits_per_s;
  double with_receipts_per_s;
};

Run Measure(uint16_t port, uint32_t window, uint64_t total) {
  boost::asio::io_context io(1);
  uint64_t submitted = 0, results = 0, receipts = 0, refused = 0;
  smpp::Client* client_ptr = nullptr;
  auto refill = [&] {
    while (submitted < total) {
      smpp::SubmitRequest r;
      r.cookie = submitted;
      r.source_addr = "0215881234";
      r.dest_addr = "821012345678";
      r.short_message = "bench message";
      if (!client_ptr->Submit(std::move(r))) break;
      ++submitted;
    }
  };
  smpp::ClientHandlers h;
  h.on_submit_result = [&](uint64_t, const smpp::SubmitOutcome& o) {
    ++results;
    if (o.error || o.command_status != 0) ++refused;
  };
  h.on_receipt = [&](const smpp::Receipt&) { ++receipts; };
  smpp::ClientConfig cfg;
  cfg.port = port;
  cfg.system_id = "bench";
  cfg.window = window;
  cfg.queue_cap = 4096;
  smpp::Client client(io, cfg, h);
  client_ptr = &client;
  client.Start();
  while (!client.bound()) io.run_one_for(std::chrono::milliseconds(10));
  const auto t0 = Clock::now();
  Clock::time_point t_results{};
  refill();
  while (results < total || receipts < total) {
    io.run_one_for(std::chrono::milliseconds(100));
    io.poll();
    refill();
    if (results == total && t_results == Clock::time_point{}) t_results = Clock::now();
  }
  const auto t1 = Clock::now();
  if (refused) std::fprintf(stderr, "window %u: %llu refused\n", window, (unsigned long long)refused);
  client.Stop();
  while (!client.stopped()) io.run_one_for(std::chrono::milliseconds(10));
  return {total / std::chrono::duration<double>(t_results - t0).count(),
          total / std::chrono::duration<double>(t1 - t0).count()};
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const std::string sim = argc > 1 ? argv[1] : "build-smpp/tools/smsc_sim/smsc-sim";
  const uint64_t messages = argc > 2 ? std::stoull(argv[2]) : 300000;
  std::vector<std::string> args = {sim, "--port", "0"};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
  uint16_t port = 0;
  const pid_t pid = SpawnSim(args, port);
  if (pid < 0) {
    std::fprintf(stderr, "cannot start %s\n", sim.c_str());
    return 1;
  }
  std::printf("%-8s %-10s %-14s %-18s\n", "window", "messages", "submits/s", "with receipts/s");
  for (uint32_t window : {1u, 16u, 64u, 256u}) {
    const uint64_t n = window == 1 ? messages / 10 : messages;
    const Run r = Measure(port, window, n);
    std::printf("%-8u %-10llu %-14.0f %-18.0f\n", window, (unsigned long long)n, r.submits_per_s,
                r.with_receipts_per_s);
    std::fflush(stdout);
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return 0;
}
