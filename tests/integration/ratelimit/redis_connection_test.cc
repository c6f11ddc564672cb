// RedisConnection and the RedisServer fixture against a real redis-server.
#include "ratelimit/redis_connection.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "tests/support/redis_server.h"

namespace bulkd::ratelimit {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;
using testing::RedisServerOptions;

RedisOptions OptionsFor(const RedisServer& server) {
  RedisOptions o;
  o.host = server.host();
  o.port = server.port();
  return o;
}

TEST(RedisServerTest, StartsOnAFreePortAndAnswersPing) {
  RedisServer server;
  EXPECT_NE(server.port(), 6379);
  EXPECT_EQ(server.Command({"PING"}), "PONG");
  EXPECT_EQ(server.Command({"CONFIG", "GET", "appendonly"}), "appendonly\nno");
}

TEST(RedisServerTest, TwoServersGetDifferentPorts) {
  RedisServer a, b;
  EXPECT_NE(a.port(), b.port());
}

TEST(RedisServerTest, RestartKeepsPortAndWithAofTheData) {
  RedisServerOptions options;
  options.appendonly = true;
  RedisServer server(options);
  const int port = server.port();
  EXPECT_EQ(server.Command({"SET", "k", "v"}), "OK");
  server.Kill();  // a crash, not a clean shutdown: AOF with fsync always keeps the write
  EXPECT_FALSE(server.running());
  server.Start();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.Command({"GET", "k"}), "v");
}

TEST(RedisServerTest, WithoutAofRestartLosesData) {
  RedisServer server;
  server.Command({"SET", "k", "v"});
  server.Restart();
  EXPECT_EQ(server.Command({"GET", "k"}), "(nil)");
}

TEST(RedisConnectionTest, PipelineReadsOneReplyPerCommandInOneRoundTrip) {
  RedisServer server;
  RedisConnection redis(OptionsFor(server));
  RedisBatch batch;
  batch.Append({"SET", "a", "1"});
  batch.Append({"INCRBY", "a", "41"});
  batch.Append({"GET", "missing"});
  batch.Append({"RPUSH", "l", "x", "y"});
  batch.Append({"LRANGE", "l", "0", "-1"});
  std::vector<RedisReply> replies;
  ASSERT_FALSE(redis.Execute(batch, &replies));
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(replies[0].type, RedisReply::Type::kStatus);
  EXPECT_EQ(replies[1].integer, 42);
  EXPECT_EQ(replies[2].type, RedisReply::Type::kNil);
  EXPECT_EQ(replies[3].integer, 2);
  ASSERT_EQ(replies[4].elements.size(), 2u);
  EXPECT_EQ(replies[4].elements[1].str, "y");
  EXPECT_EQ(redis.stats().round_trips.load(), 1u);
  EXPECT_EQ(redis.stats().commands.load(), 5u);
}

TEST(RedisConnectionTest, ArgumentsAreBinarySafe) {
  RedisServer server;
  RedisConnection redis(OptionsFor(server));
  const std::string value("a\0b\r\n\xff", 6);
  ASSERT_TRUE(redis.Command({"SET", "bin", value}));
  auto got = redis.Command({"GET", "bin"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got.value().str, value);
}

TEST(RedisConnectionTest, ErrorReplyIsAValueAndTheConnectionStays) {
  RedisServer server;
  RedisConnection redis(OptionsFor(server));
  RedisBatch batch;
  batch.Append({"SET", "s", "x"});
  batch.Append({"INCR", "s"});  // ERR value is not an integer
  batch.Append({"LPUSH", "s", "x"});  // WRONGTYPE
  batch.Append({"GET", "s"});
  std::vector<RedisReply> replies;
  ASSERT_FALSE(redis.Execute(batch, &replies));
  EXPECT_EQ(replies[1].error(), Errc::kServerError);
  EXPECT_FALSE(IsRetryable(replies[1].error()));
  EXPECT_EQ(replies[2].error(), Errc::kServerError);
  EXPECT_EQ(replies[3].str, "x");
  EXPECT_TRUE(redis.connected());
  EXPECT_EQ(redis.stats().errors.load(), 0u);
}

TEST(RedisConnectionTest, ScriptShaMatchesTheServers) {
  RedisServer server;
  RedisConnection redis(OptionsFor(server));
  RedisScript script("return ARGV[1] .. KEYS[1]");
  auto loaded = redis.Command({"SCRIPT", "LOAD", script.source()});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded.value().str, script.sha1());
  // A source longer than one SHA-1 block.
  RedisScript long_script("return '" + std::string(200, 'x') + "'");
  auto loaded_long = redis.Command({"SCRIPT", "LOAD", long_script.source()});
  ASSERT_TRUE(loaded_long);
  EXPECT_EQ(loaded_long.value().str, long_script.sha1());
}

TEST(RedisConnectionTest, NoScriptLoadsAndResendsOnlyTheRefusedCommands) {
  RedisServer server;
  RedisConnection redis(OptionsFor(server));
  RedisScript script("return redis.call('INCR', KEYS[1])");
  const std::string_view keys[] = {"counter"};
  RedisBatch batch;
  batch.Append({"INCR", "plain"});
  batch.AppendEval(script, keys, {});
  batch.Append({"INCR", "plain"});
  batch.AppendEval(script, keys, {});
  std::vector<RedisReply> replies;
  ASSERT_FALSE(redis.Execute(batch, &replies));  // script unknown: loaded, then resent
  EXPECT_EQ(replies[0].integer, 1);
  EXPECT_EQ(replies[1].integer, 1);
  EXPECT_EQ(replies[2].integer, 2);
  EXPECT_EQ(replies[3].integer, 2);
  EXPECT_EQ(redis.stats().script_loads.load(), 1u);
  EXPECT_EQ(redis.stats().round_trips.load(), 2u);

  ASSERT_FALSE(redis.Execute(batch, &replies));  // now cached: one round trip
  EXPECT_EQ(redis.stats().round_trips.load(), 3u);
  EXPECT_EQ(server.Command({"GET", "plain"}), "4");

  server.Command({"SCRIPT", "FLUSH"});
  auto again = redis.Eval(script, keys, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().integer, 5);
  EXPECT_EQ(server.Command({"GET", "plain"}), "4");  // nothing ran twice
  EXPECT_EQ(redis.stats().script_loads.load(), 2u);
}

TEST(RedisConnectionTest, SlowReplyIsATimeoutAndClosesTheConnection) {
  RedisServer server;
  RedisOptions options = OptionsFor(server);
  options.command_timeout = 100ms;
  RedisConnection redis(options);
  auto reply = redis.Command({"BLPOP", "never", "2"});  // blocks 2 s server-side
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), Errc::kTimeout);
  EXPECT_TRUE(IsRetryable(reply.error()));
  EXPECT_TRUE(IsOutcomeUnknown(reply.error()));
  EXPECT_FALSE(redis.connected());
  auto next = redis.Command({"PING"});  // reconnects at once
  ASSERT_TRUE(next);
  EXPECT_EQ(next.value().str, "PONG");
  EXPECT_EQ(redis.stats().reconnects.load(), 1u);
}

TEST(RedisConnectionTest, RefusedConnectBacksOffThenRecoversAfterRestart) {
  RedisServer server;
  RedisOptions options = OptionsFor(server);
  options.reconnect_backoff_min = 20ms;
  options.reconnect_backoff_max = 100ms;
  RedisConnection redis(options);
  ASSERT_TRUE(redis.Command({"PING"}));
  server.Stop();

  auto down = redis.Command({"PING"});  // stale socket: I/O error (or EOF)
  ASSERT_FALSE(down);
  EXPECT_TRUE(IsRetryable(down.error()));
  auto refused = redis.Command({"PING"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), Errc::kConnectFailed);
  auto backing_off = redis.Command({"PING"});  // within the backoff: no connect attempt
  ASSERT_FALSE(backing_off);
  EXPECT_EQ(backing_off.error(), Errc::kNotConnected);
  EXPECT_TRUE(IsRetryable(backing_off.error()));

  server.Start();
  EXPECT_TRUE(testing::WaitUntil([&] { return bool(redis.Command({"PING"})); }, 5s));
  EXPECT_GE(redis.stats().reconnects.load(), 1u);
}

}  // namespace
}  // namespace bulkd::ratelimit
