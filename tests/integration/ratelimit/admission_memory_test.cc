// Dedupe memory per claimed job, measured on a real redis-server (INFO memory before and
// after claiming N jobs). The figure is quoted in ratelimit/admission.h.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ratelimit/admission.h"
#include "tests/support/redis_server.h"

namespace bulkd::ratelimit {
namespace {

using testing::RedisServer;

int64_t UsedMemory(const RedisServer& server) {
  const std::string info = server.Command({"INFO", "memory"});
  const std::string field = "used_memory:";
  const size_t pos = info.find(field);
  return std::stoll(info.substr(pos + field.size()));
}

// Claims `jobs` distinct ids for one tenant; returns bytes of Redis memory per job.
double BytesPerJob(int jobs, uint32_t min_shards, std::string* encoding) {
  RedisServer server;
  RedisOptions options;
  options.host = server.host();
  options.port = server.port();
  RedisConnection redis(options);
  AdmissionConfig config;
  config.dedupe_min_shards = min_shards;
  Admission admission(redis, config, {});
  // Warm up (script cache, first generation metadata) before the baseline.
  std::vector<std::string> ids(256);
  std::vector<AdmissionRequest> batch(256);
  std::vector<Decision> out(256);
  auto run = [&](const std::string& prefix, int count) {
    for (int done = 0; done < count; done += 256) {
      for (int i = 0; i < 256; ++i) {
        ids[i] = prefix + std::to_string(done + i);
        batch[i] = {"shop1", ids[i], "+821012345678", core::JobKind::kInfo, 1, {}};
      }
      EXPECT_FALSE(admission.Admit(batch, out));
    }
  };
  run("warmup-", 256);
  const int64_t before = UsedMemory(server);
  run("cmp42-", jobs);
  const int64_t after = UsedMemory(server);
  EXPECT_EQ(admission.stats().admitted.load(), static_cast<uint64_t>(jobs + 256));
  const std::string keys = server.Command({"KEYS", "bulkd:dedupe:shop1:*:*"});
  *encoding = server.Command({"OBJECT", "ENCODING", keys.substr(0, keys.find('\n'))});
  return static_cast<double>(after - before) / jobs;
}

TEST(AdmissionMemoryTest, SteadyStateClaimCostsAboutTenBytes) {
  // 1024 shards for 256k jobs: ~250 per set, as a generation sized from its predecessor.
  std::string encoding;
  const double bytes = BytesPerJob(256 * 1000, 1024, &encoding);
  std::printf("dedupe steady state: %.1f bytes/job (%.1f MB per million), encoding %s\n",
              bytes, bytes, encoding.c_str());
  RecordProperty("bytes_per_job_x10", static_cast<int>(bytes * 10));
  EXPECT_EQ(encoding, "intset");
  EXPECT_LT(bytes, 16);
}

TEST(AdmissionMemoryTest, UndersizedFirstGenerationStaysBounded) {
  // A new tenant's first window with too few shards: sets outgrow the intset encoding.
  std::string encoding;
  const double bytes = BytesPerJob(256 * 400, 64, &encoding);
  std::printf("dedupe undersized generation: %.1f bytes/job, encoding %s\n", bytes,
              encoding.c_str());
  RecordProperty("bytes_per_job_x10", static_cast<int>(bytes * 10));
  EXPECT_LT(bytes, 100);  // measured ~74: hashtable sets, still below a key per job
}

}  // namespace
}  // namespace bulkd::ratelimit
