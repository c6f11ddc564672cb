// PolicyCache against a real redis-server, with injected (steady) times.
#include <gtest/gtest.h>

#include "ratelimit/quiet_hours.h"
#include "tests/support/redis_server.h"

namespace bulkd::ratelimit {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;

class PolicyCacheTest : public ::testing::Test {
 protected:
  PolicyCacheTest() : redis_(Options()), cache_(redis_, "bulkd:", 1000ms) {}
  RedisOptions Options() {
    RedisOptions o;
    o.host = server_.host();
    o.port = server_.port();
    return o;
  }
  RedisServer server_;
  RedisConnection redis_;
  PolicyCache cache_;
  PolicyCache::Clock::time_point t0_{std::chrono::hours(1)};
};

TEST_F(PolicyCacheTest, MissingHashIsTheDefaultPolicy) {
  auto p = cache_.Get("shop1", t0_);
  ASSERT_TRUE(p);
  ASSERT_NE(p.value(), nullptr);
  EXPECT_EQ(p.value()->quiet_start, 21 * 60);
  EXPECT_EQ(p.value()->tz_name, "Asia/Seoul");
}

TEST_F(PolicyCacheTest, ChangeAppliesOnceTheTtlPasses) {
  server_.Command({"HSET", "bulkd:policy:shop1", "quiet_start", "22:00", "tz", "Europe/Berlin",
                   "optout_line", "무료수신거부 0801234567"});
  auto first = cache_.Get("shop1", t0_);
  ASSERT_TRUE(first);
  EXPECT_EQ(first.value()->quiet_start, 22 * 60);
  EXPECT_EQ(first.value()->tz.name(), "Europe/Berlin");
  EXPECT_EQ(first.value()->optout_line, "무료수신거부 0801234567");

  server_.Command({"HSET", "bulkd:policy:shop1", "quiet_start", "20:00"});
  EXPECT_EQ(cache_.Get("shop1", t0_ + 999ms).value()->quiet_start, 22 * 60);  // cached
  EXPECT_EQ(redis_.stats().round_trips.load(), 1u);
  EXPECT_EQ(cache_.Get("shop1", t0_ + 1000ms).value()->quiet_start, 20 * 60);
}

TEST_F(PolicyCacheTest, RefreshLoadsManyTenantsInOneRoundTrip) {
  server_.Command({"HSET", "bulkd:policy:a", "quiet_end", "09:00"});
  server_.Command({"HSET", "bulkd:policy:b", "quiet_end", "07:00"});
  const std::string_view tenants[] = {"a", "b", "c", "a"};
  ASSERT_FALSE(cache_.Refresh(tenants, t0_));
  EXPECT_EQ(redis_.stats().round_trips.load(), 1u);
  EXPECT_EQ(cache_.Find("a", t0_)->quiet_end, 9 * 60);
  EXPECT_EQ(cache_.Find("b", t0_)->quiet_end, 7 * 60);
  EXPECT_EQ(cache_.Find("c", t0_)->quiet_end, 8 * 60);
  ASSERT_FALSE(cache_.Refresh(tenants, t0_ + 10ms));  // all fresh: no I/O
  EXPECT_EQ(redis_.stats().round_trips.load(), 1u);
}

TEST_F(PolicyCacheTest, RedisDownFailsClosedOnceTheEntryIsStale) {
  ASSERT_TRUE(cache_.Get("shop1", t0_));
  server_.Kill();
  EXPECT_NE(cache_.Find("shop1", t0_ + 500ms), nullptr);  // still fresh
  auto stale = cache_.Get("shop1", t0_ + 2s);
  ASSERT_FALSE(stale);
  EXPECT_TRUE(IsRetryable(stale.error()));
  EXPECT_EQ(cache_.Find("shop1", t0_ + 2s), nullptr);
}

}  // namespace
}  // namespace bulkd::ratelimit
