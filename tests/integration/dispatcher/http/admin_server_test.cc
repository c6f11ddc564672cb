// Real TCP against the admin server on a free port, with a plain POSIX-socket client (so
// the server is not only checked by the library that implements it).
#include "dispatcher/http/admin_server.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "dispatcher/metrics.h"
#include "tests/support/child_process.h"
#include "tests/support/raw_http_client.h"

namespace bulkd::dispatcher {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using HttpResponse = bulkd::testing::RawHttpResponse;
using Client = bulkd::testing::RawHttpClient;

std::optional<HttpResponse> Get(uint16_t port, const std::string& target) {
  return bulkd::testing::RawHttpGet(port, target);
}

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 3s) {
  return bulkd::testing::WaitUntil(pred, timeout, 5ms);
}

AdminServerConfig TestConfig() {
  AdminServerConfig config;
  config.bind = "127.0.0.1";
  config.port = 0;
  return config;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void StartServer(AdminServerConfig config = TestConfig()) {
    server_ = std::make_unique<AdminServer>(
        std::move(config), metrics_, [this] { return live_.load(); },
        [this]() -> ReadyState {
          if (!ready_.load()) return {false, "no provider connected"};
          return {true, "ok"};
        });
    server_->Start();
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  uint16_t port() const { return server_->port(); }

  Metrics metrics_{{"carrier-a", "kakao-dealer"}};
  std::atomic<bool> live_{true};
  std::atomic<bool> ready_{true};
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ServesMetricsLivezAndReadyzOnOneKeepAliveConnection) {
  StartServer();
  metrics_.JobsConsumed().Increment(7);
  Client client(port());
  ASSERT_TRUE(client.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("\nbulkd_jobs_consumed_total 7\n"), std::string::npos);
  EXPECT_NE(res->body.find("# TYPE bulkd_messages_total counter"), std::string::npos);

  ASSERT_TRUE(client.Send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
  res = client.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");

  ASSERT_TRUE(client.Send("GET /readyz?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  res = client.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(AdminServerTest, ReadyzAndLivezAnswer503WithTheReasonWhenNotOk) {
  StartServer();
  ready_ = false;
  auto res = Get(port(), "/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "no provider connected\n");
  live_ = false;
  res = Get(port(), "/livez");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  ready_ = true;
  live_ = true;
  res = Get(port(), "/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminServerTest, UnknownPathIs404OtherMethodIs405AndHeadHasNoBody) {
  StartServer();
  auto res = Get(port(), "/debug/pprof");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  Client client(port());
  ASSERT_TRUE(client.Send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
  res = client.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->headers["allow"], "GET, HEAD");

  ASSERT_TRUE(client.Send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  res = client.Read(/*head=*/true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GT(std::stoul(res->headers["content-length"]), 1000u);
  // The connection is still usable: no body bytes were sent after the HEAD headers.
  ASSERT_TRUE(client.Send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
  res = client.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(AdminServerTest, MalformedRequestsGet400AndTheServerKeepsServing) {
  StartServer();
  const char* kBadRequests[] = {
      "\x01\x02\x03 garbage\r\n\r\n",
      "GET\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n",                    // header without colon
      "GET /metrics HTTP/1.1\r\nContent-Length: abc\r\n\r\n",       // bad length
      "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  // bad chunk
      "GET /metrics SMTP/1.0\r\n\r\n",
  };
  for (const char* bad : kBadRequests) {
    SCOPED_TRACE(bad);
    Client client(port());
    ASSERT_TRUE(client.Send(bad));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(res->headers["connection"], "close");
    EXPECT_TRUE(client.WaitClosed(2s));
  }
  auto res = Get(port(), "/livez");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminServerTest, OversizedRequestsAreRefusedAndClosed) {
  StartServer();
  {
    Client client(port());
    ASSERT_TRUE(client.Send("GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n"));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 431);
    EXPECT_TRUE(client.WaitClosed(2s));
  }
  {
    Client client(port());
    ASSERT_TRUE(client.Send("GET /metrics HTTP/1.1\r\nContent-Length: 5000\r\n\r\n"));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_TRUE(client.WaitClosed(2s));
  }
}

TEST_F(AdminServerTest, ACallbackThatThrowsGets500) {
  server_ = std::make_unique<AdminServer>(
      TestConfig(), []() -> std::string { throw std::runtime_error("registry broke"); },
      [] { return true; }, [] { return ReadyState{true, "ok"}; });
  server_->Start();
  auto res = Get(port(), "/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  res = Get(port(), "/livez");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminServerTest, SlowClientIsDroppedAfterTheRequestDeadline) {
  AdminServerConfig config = TestConfig();
  config.request_timeout = 300ms;
  StartServer(config);

  // Idle: connects and never sends.
  {
    Client idle(port());
    const auto start = Clock::now();
    EXPECT_TRUE(idle.WaitClosed(3s));
    EXPECT_GE(Clock::now() - start, 250ms);
  }
  // Trickling: one byte every 50 ms keeps the socket busy, but the deadline covers the
  // whole request, so it is cut off before the request completes.
  {
    Client slow(port());
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    const auto start = Clock::now();
    for (char c : request) {
      if (!slow.Send(std::string_view(&c, 1))) break;
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(slow.WaitClosed(3s));  // closed, and no response was ever sent
    EXPECT_LT(Clock::now() - start, 3s);
  }
  EXPECT_TRUE(Eventually([&] { return server_->open_connections() == 0; }));
  auto res = Get(port(), "/livez");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminServerTest, ConnectionsOverTheCapAreClosedOnAccept) {
  AdminServerConfig config = TestConfig();
  config.max_connections = 2;
  StartServer(config);
  Client a(port());
  Client b(port());
  ASSERT_TRUE(Eventually([&] { return server_->open_connections() == 2; }));
  Client c(port());
  EXPECT_TRUE(c.WaitClosed(2s));
  EXPECT_EQ(server_->rejected_connections(), 1u);
  // The held ones still work.
  ASSERT_TRUE(a.Send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = a.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminServerTest, StopClosesOpenConnectionsAndReturnsPromptly) {
  AdminServerConfig config = TestConfig();
  config.request_timeout = 30s;
  StartServer(config);
  Client idle(port());
  ASSERT_TRUE(Eventually([&] { return server_->open_connections() == 1; }));
  const auto start = Clock::now();
  server_->Stop();
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(idle.WaitClosed(2s));
  server_->Stop();  // idempotent
}

TEST_F(AdminServerTest, StartThrowsNamingTheAddressWhenItCannotBind) {
  StartServer();
  AdminServerConfig taken = TestConfig();
  taken.port = port();
  AdminServer second(taken, metrics_, [] { return true; }, [] { return ReadyState{true, "ok"}; });
  try {
    second.Start();
    FAIL() << "Start on a port in use must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port())), std::string::npos)
        << e.what();
  }
  AdminServerConfig bad = TestConfig();
  bad.bind = "not-an-address";
  AdminServer third(bad, metrics_, [] { return true; }, [] { return ReadyState{true, "ok"}; });
  EXPECT_THROW(third.Start(), std::runtime_error);
}

// Populates every family, so the lint sees counters, gauges, histograms and on-demand
// series, then pipes the page to `promtool check metrics`: exit 0 and no output.
TEST_F(AdminServerTest, MetricsPagePassesPromtoolLint) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "promtool not on PATH";
  StartServer();
  const ProviderId carrier = metrics_.Provider("carrier-a");
  metrics_.JobsConsumed().Increment(10);
  metrics_.Messages(core::Channel::kSms, carrier, core::EventType::kDelivered).Increment(9);
  metrics_.Receipts(core::Channel::kSms, carrier, ReceiptStatus::kDelivrd).Increment(9);
  metrics_.SendLatency(core::Channel::kSms, carrier).Observe(0.012);
  metrics_.EndToEnd(core::Channel::kSms).Observe(3.5);
  metrics_.RateLimitWait(RateScope::kCarrier).Observe(0.25);
  metrics_.Fallbacks(core::Channel::kAlimtalk, core::Channel::kLms).Increment();
  metrics_.Retries(core::Channel::kSms).Increment();
  metrics_.Inflight(carrier).Set(4);
  metrics_.SetConsumerLag(0, 120);
  metrics_.SetConsumerLag(15, 0);
  metrics_.Dlq(DlqReason::kJson).Increment();

  auto res = Get(port(), "/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const std::string path = ::testing::TempDir() + "bulkd_admin_metrics_" +
                           std::to_string(::getpid()) + ".prom";
  std::ofstream(path) << res->body;
  const std::string command = "promtool check metrics < '" + path + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char chunk[4096];
  for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  const int status = ::pclose(pipe);
  std::remove(path.c_str());
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << "promtool complained:\n" << output;
}

}  // namespace
}  // namespace bulkd::dispatcher
