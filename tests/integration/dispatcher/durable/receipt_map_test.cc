// ReceiptMap against a real redis-server on a free loopback port: ids remembered by one
// worker meet orphan receipts recorded by another, in any order within the grace; results
// per part add up to one verdict per job; duplicates, expiry, a Redis restart and foreign
// values in Redis. Waits are conditions with deadlines; the memory figure is the one
// quoted in dispatcher/durable/receipt_map.h.
#include "dispatcher/durable/receipt_map.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/redis_server.h"

namespace bulkd::dispatcher {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::RedisServer;
using providers::OrphanReceipt;
using Status = FetchedResult::Status;

// Polls `done` until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

OrphanReceipt Delivered(std::string id) { return {std::move(id), true, "DELIVRD"}; }
OrphanReceipt Undelivered(std::string id, std::string code) {
  return {std::move(id), false, std::move(code)};
}

class ReceiptMapTest : public ::testing::Test {
 protected:
  ReceiptMapConfig Config() {
    ReceiptMapConfig c;
    c.redis.host = server_.host();
    c.redis.port = server_.port();
    c.redis.connect_timeout = 200ms;
    c.redis.command_timeout = 1000ms;
    c.redis.reconnect_backoff_min = 10ms;
    c.redis.reconnect_backoff_max = 100ms;
    c.key_prefix = prefix_;
    c.orphan_retry_interval = 20ms;
    c.error_retry_interval = 20ms;
    return c;
  }

  void Start(ReceiptMapConfig config) {
    map_ = std::make_unique<ReceiptMap>(std::move(config));
    map_->Start();
  }

  // One Fetch, answered within 10 s (else an empty vector and a test failure).
  std::vector<FetchedResult> FetchNow(std::vector<JobKey> keys) {
    auto promise = std::make_shared<std::promise<std::vector<FetchedResult>>>();
    auto answer = promise->get_future();
    map_->Fetch(std::move(keys), [promise](std::vector<FetchedResult> results) {
      promise->set_value(std::move(results));
    });
    if (answer.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "fetch not answered";
      return {};
    }
    return answer.get();
  }

  FetchedResult FetchOne(const std::string& job) {
    auto results = FetchNow({{"shop1", job}});
    return results.empty() ? FetchedResult{} : results[0];
  }

  std::string Key(const std::string& rest) const { return prefix_ + rest; }

  RedisServer server_;
  // Unique per test, as STYLE.md asks, although every test has its own server.
  const std::string prefix_ =
      std::string("t:") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  std::unique_ptr<ReceiptMap> map_;
};

TEST_F(ReceiptMapTest, RememberedIdMeetsItsDeliveredReceiptAndTheJobFetchesDelivered) {
  Start(Config());
  const std::vector<std::string> ids = {"1700000000000001"};
  map_->Remember("smpp-main", ids, "shop1", "job-1");
  map_->RecordOrphan("smpp-main", Delivered(ids[0]));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 1; }));
  const FetchedResult result = FetchOne("job-1");
  EXPECT_EQ(result.job.tenant, "shop1");
  EXPECT_EQ(result.job.job_id, "job-1");
  EXPECT_EQ(result.status, Status::kDelivered);
  EXPECT_EQ(result.code, "DELIVRD");
  // The documented key layout.
  EXPECT_EQ(server_.Command({"GET", Key("rcptid:smpp-main:1700000000000001")}), "0:1:shop1:job-1");
  EXPECT_EQ(server_.Command({"HGET", Key("rcpt:shop1:job-1"), "0"}), "D:DELIVRD");
  EXPECT_EQ(server_.Command({"HGET", Key("rcpt:shop1:job-1"), "n"}), "1");
  const int64_t ttl = std::stoll(server_.Command({"PTTL", Key("rcpt:shop1:job-1")}));
  EXPECT_GT(ttl, 5 * 3600 * 1000);  // the default 6 h
  EXPECT_EQ(map_->stats().remembered, 1u);
  EXPECT_EQ(map_->stats().fetches, 1u);
  EXPECT_EQ(map_->stats().redis_errors, 0u);
  EXPECT_EQ(map_->queued(), 0u);
}

TEST_F(ReceiptMapTest, OneUndeliveredPartMakesTheJobUndeliveredWithThatPartsCode) {
  Start(Config());
  const std::vector<std::string> ids = {"a1", "a2", "a3"};
  map_->Remember("smpp-main", ids, "shop1", "job-3p");
  map_->RecordOrphan("smpp-main", Delivered("a1"));
  map_->RecordOrphan("smpp-main", Undelivered("a3", "EXPIRED"));
  map_->RecordOrphan("smpp-main", Undelivered("a2", "UNDELIV"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 3; }));
  const FetchedResult result = FetchOne("job-3p");
  EXPECT_EQ(result.status, Status::kUndelivered);
  EXPECT_EQ(result.code, "UNDELIV");  // the first undelivered part by index
}

TEST_F(ReceiptMapTest, JobWithTwoOfThreePartsDeliveredIsPending) {
  Start(Config());
  const std::vector<std::string> ids = {"b1", "b2", "b3"};
  map_->Remember("smpp-main", ids, "shop1", "job-2of3");
  map_->RecordOrphan("smpp-main", Delivered("b1"));
  map_->RecordOrphan("smpp-main", Delivered("b3"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 2; }));
  const auto results = FetchNow({{"shop1", "job-2of3"}, {"shop1", "never-sent"}});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, Status::kPending);
  EXPECT_EQ(results[0].code, "");
  EXPECT_EQ(results[1].status, Status::kPending);
  EXPECT_EQ(results[1].job.job_id, "never-sent");
  map_->RecordOrphan("smpp-main", Delivered("b2"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 3; }));
  EXPECT_EQ(FetchOne("job-2of3").status, Status::kDelivered);
}

// The receipt came to this worker before the sending worker's Remember landed.
TEST_F(ReceiptMapTest, OrphanThatArrivesBeforeItsRememberIsMatchedWithinTheGrace) {
  Start(Config());
  map_->RecordOrphan("smpp-main", Delivered("early-1"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphan_retries >= 1; }));
  EXPECT_EQ(map_->stats().orphans_matched, 0u);
  const std::vector<std::string> ids = {"early-1"};
  map_->Remember("smpp-main", ids, "shop1", "job-early");
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 1; }));
  EXPECT_EQ(FetchOne("job-early").status, Status::kDelivered);
  EXPECT_EQ(map_->stats().orphans_unknown, 0u);
  EXPECT_EQ(map_->queued(), 0u);
}

TEST_F(ReceiptMapTest, UnknownIdIsDroppedAfterTheGraceAndCounted) {
  ReceiptMapConfig config = Config();
  config.orphan_grace = 200ms;
  Start(std::move(config));
  const auto start = std::chrono::steady_clock::now();
  map_->RecordOrphan("smpp-main", Delivered("nobody-sent-this"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_unknown == 1; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_GE(map_->stats().orphan_retries, 1u);  // looked up more than once
  EXPECT_EQ(map_->stats().orphans_matched, 0u);
  EXPECT_EQ(map_->queued(), 0u);
  // The same id from another provider is another message.
  const std::vector<std::string> ids = {"x1"};
  map_->Remember("smpp-other", ids, "shop1", "job-x");
  map_->RecordOrphan("smpp-main", Delivered("x1"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_unknown == 2; }));
  EXPECT_EQ(FetchOne("job-x").status, Status::kPending);
}

TEST_F(ReceiptMapTest, RecordingTheSameReceiptTwiceChangesNothing) {
  Start(Config());
  const std::vector<std::string> ids = {"d1", "d2"};
  map_->Remember("smpp-main", ids, "shop1", "job-dup");
  map_->RecordOrphan("smpp-main", Delivered("d1"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 1; }));
  const std::string before = server_.Command({"HGETALL", Key("rcpt:shop1:job-dup")});
  map_->RecordOrphan("smpp-main", Delivered("d1"));
  map_->RecordOrphan("smpp-main", Undelivered("d1", "UNDELIV"));  // a late contradiction
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_repeated == 2; }));
  EXPECT_EQ(server_.Command({"HGETALL", Key("rcpt:shop1:job-dup")}), before);
  EXPECT_EQ(map_->stats().orphans_matched, 1u);
  EXPECT_EQ(FetchOne("job-dup").status, Status::kPending);  // d2 has no receipt yet
  map_->RecordOrphan("smpp-main", Delivered("d2"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 2; }));
  EXPECT_EQ(FetchOne("job-dup").status, Status::kDelivered);
}

TEST_F(ReceiptMapTest, IdsAndResultsExpireAfterTheTtl) {
  ReceiptMapConfig config = Config();
  config.ttl = 300ms;
  config.orphan_grace = 100ms;
  Start(std::move(config));
  const std::vector<std::string> ids = {"e1"};
  map_->Remember("smpp-main", ids, "shop1", "job-exp");
  map_->RecordOrphan("smpp-main", Delivered("e1"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 1; }));
  const int64_t ttl = std::stoll(server_.Command({"PTTL", Key("rcptid:smpp-main:e1")}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 300);
  ASSERT_TRUE(WaitUntil([&] {
    return server_.Command({"EXISTS", Key("rcptid:smpp-main:e1"), Key("rcpt:shop1:job-exp")}) ==
           "0";
  }));
  EXPECT_EQ(FetchOne("job-exp").status, Status::kPending);
  map_->RecordOrphan("smpp-main", Delivered("e1"));  // too late: the id is forgotten
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_unknown == 1; }));
}

// Calls made while Redis is down are kept and land once it is back (the server restarts
// empty: no AOF, and the script cache is gone too).
TEST_F(ReceiptMapTest, WorkQueuedWhileRedisIsDownLandsWhenItIsBack) {
  Start(Config());
  server_.Stop();
  const std::vector<std::string> ids = {"r1", "r2"};
  const auto start = std::chrono::steady_clock::now();
  map_->Remember("smpp-main", ids, "shop1", "job-down");
  map_->RecordOrphan("smpp-main", Delivered("r1"));
  map_->RecordOrphan("smpp-main", Undelivered("r2", "REJECTD"));
  auto fetched = std::make_shared<std::atomic<bool>>(false);
  map_->Fetch({{"shop1", "job-down"}}, [fetched](std::vector<FetchedResult>) { *fetched = true; });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);  // nothing waited on Redis
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().redis_errors >= 2; }));
  EXPECT_EQ(map_->queued(), 5u);  // 2 ids, 2 orphans, 1 job
  EXPECT_FALSE(*fetched);
  server_.Start();
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 2 && *fetched; }));
  EXPECT_EQ(map_->stats().remembered, 2u);
  const FetchedResult result = FetchOne("job-down");
  EXPECT_EQ(result.status, Status::kUndelivered);
  EXPECT_EQ(result.code, "REJECTD");
  EXPECT_EQ(map_->stats().dropped, 0u);
  EXPECT_EQ(map_->queued(), 0u);
}

TEST_F(ReceiptMapTest, ForeignValuesInRedisAreCountedAndSkipped) {
  Start(Config());
  server_.Command({"SET", Key("rcptid:smpp-main:g1"), "garbage"});
  server_.Command({"SET", Key("rcptid:smpp-main:g2"), "7:3:shop1:job-g"});  // part 7 of 3
  server_.Command({"HSET", Key("rcptid:smpp-main:g3"), "a", "b"});          // not a string
  server_.Command({"SET", Key("rcpt:shop1:job-str"), "x"});                 // not a hash
  server_.Command({"HSET", Key("rcpt:shop1:job-odd"), "n", "2", "0", "D:DELIVRD", "1", "??"});
  server_.Command({"HSET", Key("rcpt:shop1:job-non"), "0", "D:DELIVRD"});  // no "n"
  for (const char* id : {"g1", "g2", "g3"}) map_->RecordOrphan("smpp-main", Delivered(id));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().bad_values == 3; }));
  const auto results = FetchNow({{"shop1", "job-str"}, {"shop1", "job-odd"}, {"shop1", "job-non"}});
  ASSERT_EQ(results.size(), 3u);
  for (const FetchedResult& r : results) EXPECT_EQ(r.status, Status::kPending) << r.job.job_id;
  EXPECT_EQ(map_->stats().bad_values, 6u);
  EXPECT_EQ(map_->stats().orphans_matched, 0u);
  // Still working.
  const std::vector<std::string> ids = {"ok1"};
  map_->Remember("smpp-main", ids, "shop1", "job-ok");
  map_->RecordOrphan("smpp-main", Delivered("ok1"));
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 1; }));
  EXPECT_EQ(FetchOne("job-ok").status, Status::kDelivered);
}

TEST_F(ReceiptMapTest, CallsBeyondTheQueueCapAreDroppedAndCounted) {
  ReceiptMapConfig config = Config();
  config.max_queued = 3;
  map_ = std::make_unique<ReceiptMap>(std::move(config));  // not started: nothing drains
  const std::vector<std::string> two = {"c1", "c2"};
  map_->Remember("smpp-main", two, "shop1", "job-c1");
  map_->Remember("smpp-main", two, "shop1", "job-c2");  // 4 > 3
  map_->RecordOrphan("smpp-main", Delivered("c1"));
  map_->RecordOrphan("smpp-main", Delivered("c2"));  // 4 > 3
  EXPECT_EQ(map_->queued(), 3u);
  EXPECT_EQ(map_->stats().dropped, 3u);
  map_->Start();
  ASSERT_TRUE(WaitUntil([&] { return map_->stats().orphans_matched == 1; }));
  EXPECT_EQ(map_->stats().remembered, 2u);
}

TEST(ReceiptMapMemoryTest, RememberedIdCostsUnder200BytesOfRedis) {
  RedisServer server;
  ReceiptMapConfig config;
  config.redis.host = server.host();
  config.redis.port = server.port();
  ReceiptMap map(config);
  map.Start();
  auto used_memory = [&] {
    const std::string info = server.Command({"INFO", "memory"});
    const std::string field = "used_memory:";
    return std::stoll(info.substr(info.find(field) + field.size()));
  };
  // Ids as an SMSC writes them (16 decimal digits), one part per job; job ids as a
  // campaign's ("cmp42-000001"). Warm-up first (connection, dict growth noise).
  auto remember = [&](uint64_t first, int count) {
    std::vector<std::string> id(1);
    for (int i = 0; i < count; ++i) {
      id[0] = std::to_string(1'700'000'000'000'000ull + first + i);
      char job[16];
      std::snprintf(job, sizeof job, "cmp42-%06d", static_cast<int>((first + i) % 1'000'000));
      map.Remember("smpp-main", id, "shop1", job);
    }
  };
  constexpr int kWarmup = 1000, kIds = 100'000;
  remember(0, kWarmup);
  ASSERT_TRUE(WaitUntil([&] { return map.stats().remembered == kWarmup; }, 30s));
  const int64_t before = used_memory();
  remember(kWarmup, kIds);
  ASSERT_TRUE(WaitUntil([&] { return map.stats().remembered == kWarmup + kIds; }, 60s));
  const int64_t after = used_memory();
  const double bytes = static_cast<double>(after - before) / kIds;
  std::printf("receipt map: %.1f bytes per remembered id (%.0f MB per million)\n", bytes, bytes);
  RecordProperty("bytes_per_id_x10", static_cast<int>(bytes * 10));
  EXPECT_EQ(server.Command({"DBSIZE"}), std::to_string(kWarmup + kIds));
  EXPECT_LT(bytes, 200);
  EXPECT_EQ(map.stats().dropped, 0u);
}

}  // namespace
}  // namespace bulkd::dispatcher
