// SmsProvider over a pool of SMPP binds -> smsc-sim over loopback: pool throughput for
// 1, 2 and 4 binds (window 64) uncapped, and the accuracy of the per-bind TPS cap
// (ClientConfig::max_tps) measured at the simulator. Build and run from the repository
// root (bench/CMakeLists.txt):
//   cmake --build build-bench --target smpp_pool_bench smsc-sim
//   build-bench/bench/smpp_pool_bench build-bench/tools/smsc_sim/smsc-sim [messages] [cap]
//       [latency_ms]
// Uncapped: `messages` (default 300,000) single-part SMS, the provider kept topped up;
// submits/s = every submit_sm_resp, with receipts/s = every delivery receipt too. Then
// the same with the simulator answering after `latency_ms` (default 5; messages / 10),
// where one bind is window-bound (64 / 5 ms = 12,800/s) and binds add up.
// Capped: each bind at `cap` submit_sm/s (default 2,000) for about 4 s; the simulator
// records each submit's receive time (--record-times) and the steady rate is counted from
// 0.5 s to 3.5 s after the first submit; max_1s is the most submits in any 1 s interval,
// against binds * (cap + burst), burst = max(1, cap / 20). One simulator per case.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/spawn_sim.h"
#include "providers/smpp/sms_provider.h"

namespace smpp = bulkd::providers::smpp;
using bulkd::providers::AttemptOutcome;
using bulkd::providers::AttemptReport;
using Clock = std::chrono::steady_clock;

namespace {

struct Run {
  double submits_per_s = 0, with_receipts_per_s = 0;
  uint64_t throttled = 0;
};

Run Drive(uint16_t port, uint32_t binds, uint32_t max_tps, uint64_t total) {
  boost::asio::io_context io(1);
  smpp::SmsProviderConfig cfg;
  cfg.binds = binds;
  cfg.client.port = port;
  cfg.client.system_id = "bench";
  cfg.client.window = 64;
  cfg.client.queue_cap = 4096;
  cfg.client.max_tps = max_tps;
  cfg.default_source_addr = "0215881234";
  smpp::SmsProvider provider(io, cfg);
  uint64_t sent = 0, accepted = 0, finals = 0, other = 0;
  provider.Start([&](const AttemptReport& r) {
    if (r.outcome == AttemptOutcome::kAccepted) {
      ++accepted;
      return;
    }
    ++finals;
    if (r.outcome != AttemptOutcome::kDelivered) ++other;
  });
  while (provider.binds().bound() < binds) io.run_one_for(std::chrono::milliseconds(10));
  bulkd::core::Job job;
  job.id = "bench";
  job.to = "+821012345678";
  job.channels = {bulkd::core::Channel::kSms};
  job.text = "bench message";
  auto refill = [&] {
    while (sent < total && provider.Send(sent + 1, job, bulkd::core::Channel::kSms)) ++sent;
  };
  const auto t0 = Clock::now();
  Clock::time_point t_accepted{};
  refill();
  uint64_t last_finals = 0;
  auto last_progress = Clock::now();
  while (finals < total) {
    io.run_one_for(std::chrono::milliseconds(100));
    io.poll();
    refill();
    if (accepted + other >= total && t_accepted == Clock::time_point{}) t_accepted = Clock::now();
    if (finals != last_finals) {
      last_finals = finals;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(30)) {
      std::fprintf(stderr, "binds %u: stuck at %llu of %llu final reports\n", binds,
                   (unsigned long long)finals, (unsigned long long)total);
      std::exit(2);
    }
  }
  const auto t1 = Clock::now();
  if (other) std::fprintf(stderr, "binds %u: %llu not delivered\n", binds, (unsigned long long)other);
  Run run;
  run.submits_per_s = total / std::chrono::duration<double>(t_accepted - t0).count();
  run.with_receipts_per_s = total / std::chrono::duration<double>(t1 - t0).count();
  run.throttled = provider.client_stats().throttled;
  provider.Stop();
  while (!provider.binds().stopped()) io.run_one_for(std::chrono::milliseconds(10));
  return run;
}

struct Accuracy {
  double steady_rate = 0;
  size_t max_1s = 0;
};

Accuracy Analyse(const std::string& record) {
  std::vector<int64_t> t;
  std::ifstream in(record);
  for (std::string line; std::getline(in, line);) {
    const size_t a = line.find('\t'), b = line.find('\t', a + 1);
    if (b != std::string::npos) t.push_back(std::stoll(line.substr(b + 1)));
  }
  std::sort(t.begin(), t.end());
  Accuracy acc;
  if (t.empty()) return acc;
  const int64_t t0 = t.front();
  const auto count = [&](int64_t from, int64_t to) {
    return std::lower_bound(t.begin(), t.end(), to) - std::lower_bound(t.begin(), t.end(), from);
  };
  acc.steady_rate = count(t0 + 500000, t0 + 3500000) / 3.0;
  for (size_t lo = 0, hi = 0; hi < t.size(); ++hi) {
    while (t[hi] - t[lo] >= 1000000) ++lo;
    acc.max_1s = std::max(acc.max_1s, hi - lo + 1);
  }
  return acc;
}

void StopSim(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const std::string sim = argc > 1 ? argv[1] : "build-bench/tools/smsc_sim/smsc-sim";
  const uint64_t messages = argc > 2 ? std::stoull(argv[2]) : 300000;
  const uint32_t cap = argc > 3 ? static_cast<uint32_t>(std::stoul(argv[3])) : 2000;
  const uint32_t latency_ms = argc > 4 ? static_cast<uint32_t>(std::stoul(argv[4])) : 5;
  char dir_template[] = "/tmp/smpp-pool-bench-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) return 1;
  std::printf("%-6s %-7s %-11s %-9s %-9s %-11s %-16s %-9s %-11s %-8s %-10s\n", "binds", "window",
              "latency_ms", "cap/bind", "messages", "submits/s", "with_receipts/s", "target/s",
              "steady/s", "max_1s", "cap+burst");
  enum class Phase { kUncapped, kLatency, kCapped };
  for (const Phase phase : {Phase::kUncapped, Phase::kLatency, Phase::kCapped}) {
    for (const uint32_t binds : {1u, 2u, 4u}) {
      const bool capped = phase == Phase::kCapped;
      const uint32_t latency = phase == Phase::kLatency ? latency_ms : 0;
      const std::string record = std::string(dir) + "/record-" + std::to_string(binds) + ".tsv";
      std::vector<std::string> args = {sim, "--port", "0"};
      if (capped) args.insert(args.end(), {"--record", record, "--record-times"});
      if (latency > 0) args.insert(args.end(), {"--latency-ms", std::to_string(latency)});
      uint16_t port = 0;
      const pid_t pid = SpawnSim(args, port);
      if (pid < 0) {
        std::fprintf(stderr, "cannot start %s\n", sim.c_str());
        return 1;
      }
      const uint64_t n = capped ? uint64_t{binds} * cap * 4 : latency > 0 ? messages / 10 : messages;
      const Run r = Drive(port, binds, capped ? cap : 0, n);
      StopSim(pid);
      if (!capped) {
        std::printf("%-6u %-7u %-11u %-9s %-9llu %-11.0f %-16.0f %-9s %-11s %-8s %-10s\n", binds,
                    64u, latency, "-", (unsigned long long)n, r.submits_per_s,
                    r.with_receipts_per_s, "-", "-", "-", "-");
      } else {
        const Accuracy a = Analyse(record);
        const double burst = std::max(1.0, cap / 20.0);
        std::printf("%-6u %-7u %-11u %-9u %-9llu %-11.0f %-16.0f %-9u %-11.1f %-8zu %-10.0f\n",
                    binds, 64u, latency, cap, (unsigned long long)n, r.submits_per_s, r.with_receipts_per_s,
                    binds * cap, a.steady_rate, a.max_1s, binds * (cap + burst));
        std::remove(record.c_str());
      }
      std::fflush(stdout);
    }
  }
  rmdir(dir);
  return 0;
}
