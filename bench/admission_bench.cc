// bench/admission_bench.cc — throughput and cost of the batch admission gate against a
// real redis-server: messages/s, Redis round trips per 1,000 messages, redis-server CPU
// per message (INFO cpu before/after), client CPU per message, dedupe memory per job.
//
// Each message: 4 buckets (tenant, route, sender, template) with rules that never refuse,
// opt-out checked against a tenant set and the global set (100k numbers each), a new
// dedupe claim. Starts its own redis-server on a free port unless --port is given.
//
// Build: cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULKD_BUILD_BENCH=ON
//        && cmake --build build-bench --target admission_bench   (bench/CMakeLists.txt)
// Run: build-bench/bench/admission_bench [--messages 1000000] [--batch 256] [--threads 1] [--port P]
//        [--previous-generation 1|0]   (0: a tenant's first dedupe window, one lookup less)
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ratelimit/admission.h"
#include "tests/support/redis_server.h"

using namespace bulkd::ratelimit;

namespace {

double Field(const std::string& info, const std::string& name) {
  const size_t pos = info.find(name + ":");
  return pos == std::string::npos ? 0 : std::atof(info.c_str() + pos + name.size() + 1);
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A redis-server started here, or the one at --port; commands over a RedisConnection.
struct Target {
  std::unique_ptr<bulkd::testing::RedisServer> server;
  RedisOptions options;
  std::string Command(std::initializer_list<std::string_view> args) {
    RedisConnection c(options);
    auto r = c.Command(args);
    return r ? r.value().str : std::string("error");
  }
};

}  // namespace

int main(int argc, char** argv) {
  long messages = 1'000'000;
  int batch_size = 256, threads = 1, port = 0;
  bool with_previous_generation = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--messages")) messages = std::atol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch")) batch_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--previous-generation")) with_previous_generation = std::atoi(argv[i + 1]);
  }
  Target target;
  if (port == 0) {
    target.server = std::make_unique<bulkd::testing::RedisServer>();
    port = target.server->port();
  }
  target.options.port = port;
  target.options.command_timeout = std::chrono::milliseconds(5000);
  const std::string prefix = "bench" + std::to_string(::getpid()) + ":";

  // Opt-out sets of 100k numbers each (none of the benched recipients are in them).
  {
    RedisConnection c(target.options);
    RedisBatch load;
    for (const char* set : {"optout:shop1", "optout:_global"}) {
      for (int chunk = 0; chunk < 100; ++chunk) {
        load.BeginCommand(2 + 1000);
        load.AddArg("SADD");
        load.AddArg(prefix + set);
        for (int i = 0; i < 1000; ++i) load.AddArg("+8219" + std::to_string(10000000 + chunk * 1000 + i));
      }
    }
    std::vector<RedisReply> replies;
    if (c.Execute(load, &replies)) {
      std::fprintf(stderr, "cannot load opt-out sets\n");
      return 1;
    }
  }

  const std::vector<Rule> rules = {{"tenant", "*", 1e9, 1e9},
                                   {"route", "*", 1e9, 1e9},
                                   {"sender", "*", 1e9, 1e9},
                                   {"template", "*", 1e9, 1e9}};
  AdmissionConfig config;
  config.key_prefix = prefix;
  // Steady state: the generation sized from its predecessor (~256 claims per set).
  config.dedupe_min_shards = static_cast<uint32_t>(messages / 256 + 1);

  // Steady state also has a previous generation to look into (empty sets here; the
  // lookup costs the same).
  {
    RedisConnection c(target.options);
    auto time = c.Command({"TIME"});
    const long now_s = std::atol(time.value().elements[0].str.c_str());
    const long gen = now_s / config.dedupe_window.count();
    const std::string n = std::to_string(config.dedupe_min_shards);
    if (with_previous_generation) {
      (void)c.Command({"HSET", prefix + "dedupe:shop1:" + std::to_string(gen - 1), "n", n, "c",
                       std::to_string(messages)});
    }
    (void)c.Command({"HSET", prefix + "dedupe:shop1:" + std::to_string(gen), "n", n, "c", "0"});
    if (now_s % config.dedupe_window.count() > config.dedupe_window.count() - 60) {
      std::fprintf(stderr, "note: a dedupe generation ends within a minute\n");
    }
  }

  const std::string info_before = target.Command({"INFO", "all"});
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = ProcessCpuSeconds();
  std::atomic<uint64_t> round_trips{0}, admitted{0}, failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RedisConnection redis(target.options);
      Admission admission(redis, config, rules);
      const BucketRef buckets[] = {{"tenant", "shop1"},
                                   {"route", "smpp-main"},
                                   {"sender", "0215881234"},
                                   {"template", "order_shipped"}};
      std::vector<std::string> ids(batch_size), to(batch_size);
      std::vector<AdmissionRequest> batch(batch_size);
      std::vector<Decision> out(batch_size);
      const long mine = messages / threads;
      for (long done = 0; done < mine; done += batch_size) {
        for (int i = 0; i < batch_size; ++i) {
          ids[i] = "cmp42-" + std::to_string(t) + "-" + std::to_string(done + i);
          to[i] = "+8210" + std::to_string(10000000 + (done + i) % 89999999);
          batch[i] = {"shop1", ids[i], to[i], bulkd::core::JobKind::kAd, 1, buckets};
        }
        if (admission.Admit(batch, out)) ++failed;
      }
      round_trips += redis.stats().round_trips.load();
      admitted += admission.stats().admitted.load();
    });
  }
  for (auto& w : workers) w.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double client_cpu = ProcessCpuSeconds() - cpu_start;
  const std::string info_after = target.Command({"INFO", "all"});

  const double server_cpu = (Field(info_after, "used_cpu_user") + Field(info_after, "used_cpu_sys")) -
                            (Field(info_before, "used_cpu_user") + Field(info_before, "used_cpu_sys"));
  const double memory = Field(info_after, "used_memory") - Field(info_before, "used_memory");
  const double n = static_cast<double>(admitted.load());
  std::printf("messages=%.0f batch=%d threads=%d failed_batches=%llu\n", n, batch_size, threads,
              static_cast<unsigned long long>(failed.load()));
  std::printf("throughput=%.0f msg/s wall=%.2fs\n", n / wall, wall);
  std::printf("round_trips_per_1000=%.2f\n", round_trips.load() * 1000.0 / n);
  std::printf("redis_cpu_per_msg=%.2f us client_cpu_per_msg=%.2f us\n", server_cpu / n * 1e6,
              client_cpu / n * 1e6);
  std::printf("dedupe+bucket memory=%.1f bytes/msg (%.1f MB per million)\n", memory / n, memory / n);
  return failed.load() == 0 ? 0 : 1;
}
