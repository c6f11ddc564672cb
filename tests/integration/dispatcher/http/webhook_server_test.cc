// The result webhook receiver over real TCP: a real AlimtalkProvider (results by webhook
// only) sending to the real bizmsg-sim, which POSTs signed, shuffled and duplicated
// results back to the server; signature and body checks; the HTTP error statuses; and a
// stream of garbage, truncated and oversized requests that must neither crash nor hang it.
// The provider runs on an io thread of its own, as on a shard.
#include "dispatcher/http/webhook_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dispatcher/http/alimtalk_webhook.h"
#include "providers/http/alimtalk_provider.h"
#include "providers/http/rcs_provider.h"
#include "tests/support/bizmsg_sim.h"
#include "tests/support/child_process.h"
#include "tests/support/raw_http_client.h"

namespace bulkd::dispatcher {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::BizmsgSim;
using bulkd::testing::RawHttpClient;
using bulkd::testing::RawHttpResponse;
using bulkd::testing::TempDir;
using bulkd::testing::WaitUntil;
using providers::AttemptOutcome;
using providers::AttemptReport;
using O = AttemptOutcome;

constexpr std::string_view kRoute = "/webhooks/kakao-alimtalk";
constexpr std::string_view kSecret = "S";

std::string Post(std::string_view path, std::string_view body, std::string_view extra_headers = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

std::string SignedPost(std::string_view body, std::string_view secret = kSecret) {
  return Post(kRoute, body, "X-Signature: " + SignWebhookBody(body, secret) + "\r\n");
}

std::optional<RawHttpResponse> Exchange(uint16_t port, const std::string& request) {
  RawHttpClient client(port);
  if (!client.Send(request)) return std::nullopt;
  return client.Read();
}

WebhookServerConfig TestConfig() {
  WebhookServerConfig config;
  config.bind = "127.0.0.1";
  config.port = 0;
  return config;
}

// ---------------------------------------------------------------------------------------
// With a real AlimtalkProvider and bizmsg-sim.

class AlimtalkWebhookTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Stop();
    if (provider_) RunOnProvider([this] { provider_->Stop(); });
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
  }

  // The server starts first (the simulator needs its port); the route forwards to the
  // handler built once the provider exists.
  void StartServer() {
    server_ = std::make_unique<WebhookServer>(TestConfig());
    server_->Handle(std::string(kRoute), [this](const WebhookRequest& req) {
      std::lock_guard lock(handler_mu_);
      if (!handler_) return WebhookReply{503, "not ready\n"};
      return handler_(req);
    });
    server_->Start();
    ASSERT_NE(server_->port(), 0);
  }
  std::string WebhookUrl() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(kRoute);
  }

  void StartProvider(uint16_t sim_port) {
    providers::http::AlimtalkConfig c;
    c.base_url = "http://127.0.0.1:" + std::to_string(sim_port);
    c.appkey = "app1";
    c.secret_key = "sim-secret";
    c.sender_key = "sender-profile-1";
    c.batch_size = 100;
    c.linger = 2ms;
    c.poll_interval = 0ms;  // results by webhook only
    c.request_timeout = 3s;
    provider_ = std::make_unique<providers::http::AlimtalkProvider>(io_, std::move(c));
    provider_->Start([this](const AttemptReport& r) {
      std::lock_guard lock(reports_mu_);
      reports_[r.cookie].push_back(r.outcome);
      if (r.outcome != O::kAccepted) ++finals_;
      else ++accepted_;
    });
    {
      std::lock_guard lock(handler_mu_);
      handler_ = MakeAlimtalkWebhookHandler(*provider_, io_, std::string(kSecret), stats_);
    }
    io_thread_ = std::thread([this] { io_.run(); });
  }

  // Runs `fn` on the provider's io thread and waits for it; every OnResults posted
  // before has run by then (one thread, FIFO).
  void RunOnProvider(std::function<void()> fn) {
    if (!io_thread_.joinable()) return fn();
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  }

  static core::Job JobFor(uint64_t i) {
    core::Job job;
    job.id = "job-" + std::to_string(i);
    job.tenant = "shop1";
    std::string digits = std::to_string(10000000 + i);
    job.to = "+8210" + digits.substr(digits.size() - 8);
    job.channels = {core::Channel::kAlimtalk, core::Channel::kLms};
    job.template_code = "order_shipped";
    job.vars = {{"name", "홍길동"}};
    job.text = "fallback text";
    return job;
  }
  void SendRange(uint64_t first, uint64_t count) {
    size_t refused = 0;
    RunOnProvider([&] {
      for (uint64_t i = first; i < first + count; ++i)
        if (!provider_->Send(i, JobFor(i), core::Channel::kAlimtalk)) ++refused;
    });
    ASSERT_EQ(refused, 0u);
  }
  std::map<uint64_t, std::vector<O>> Reports() {
    std::lock_guard lock(reports_mu_);
    return reports_;
  }

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread io_thread_;
  std::unique_ptr<providers::http::AlimtalkProvider> provider_;
  std::shared_ptr<AlimtalkWebhookStats> stats_ = std::make_shared<AlimtalkWebhookStats>();
  std::unique_ptr<WebhookServer> server_;
  std::mutex handler_mu_;
  WebhookServer::Handler handler_;
  std::mutex reports_mu_;
  std::map<uint64_t, std::vector<O>> reports_;
  std::atomic<size_t> finals_{0}, accepted_{0};
};

TEST_F(AlimtalkWebhookTest, EveryMessageReachesExactlyOneFinalReportThroughShuffledDuplicatedWebhooks) {
  constexpr uint64_t kJobs = 1000;
  StartServer();
  BizmsgSim sim({"--webhook", WebhookUrl(), "--webhook-secret", std::string(kSecret),
                 "--out-of-order", "--webhook-duplicate-percent", "20", "--result-delay-ms", "50",
                 "--final-mix", "1000:90,3018:10", "--seed", "7"});
  StartProvider(sim.port());
  SendRange(1, kJobs);

  ASSERT_TRUE(WaitUntil([&] { return finals_.load() >= kJobs; }, 30s)) << finals_.load();
  // About 200 results come twice; wait until most of them did, then stop the sender and
  // let every posted OnResults run before looking.
  ASSERT_TRUE(WaitUntil([&] { return stats_->results.load() >= kJobs + kJobs / 10; }, 20s))
      << stats_->results.load();
  ASSERT_TRUE(sim.Stop());
  RunOnProvider([] {});

  const auto reports = Reports();
  ASSERT_EQ(reports.size(), kJobs);
  size_t delivered = 0, fallback = 0;
  for (uint64_t i = 1; i <= kJobs; ++i) {
    const std::vector<O>& r = reports.at(i);
    ASSERT_EQ(r.size(), 2u) << "cookie " << i;
    EXPECT_EQ(r[0], O::kAccepted);
    if (r[1] == O::kDelivered) ++delivered;
    else if (r[1] == O::kFallback) ++fallback;
    else ADD_FAILURE() << "cookie " << i << " ended " << providers::ToString(r[1]);
  }
  EXPECT_EQ(delivered + fallback, kJobs);
  EXPECT_GT(fallback, 0u);
  EXPECT_EQ(finals_.load(), kJobs);
  EXPECT_GT(stats_->results.load(), kJobs);  // duplicates came, and changed nothing
  EXPECT_EQ(stats_->unauthorized.load(), 0u);
  EXPECT_EQ(stats_->bad_bodies.load(), 0u);
  RunOnProvider([&] {
    EXPECT_EQ(provider_->stats().finals, kJobs);
    EXPECT_EQ(provider_->stats().polls, 0u);
    EXPECT_EQ(provider_->inflight(), 0u);
  });
}

TEST_F(AlimtalkWebhookTest, ABadSignatureGets401AndChangesNothing) {
  constexpr uint64_t kJobs = 5;
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  StartServer();
  BizmsgSim sim({"--record", record});  // no webhook: results come only from this test
  StartProvider(sim.port());
  SendRange(1, kJobs);
  ASSERT_TRUE(WaitUntil([&] { return accepted_.load() >= kJobs; }, 10s));
  ASSERT_TRUE(sim.Stop());

  // The record holds `recipientNo \t requestId` per recipient, in request order.
  std::ifstream in(record);
  std::map<std::string, uint32_t> seq_in_request;
  std::string body = R"({"messageType":"ALIMTALK_RESULT","results":[)";
  size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const std::string request_id = line.substr(line.find('\t') + 1);
    if (lines > 0) body += ',';
    body += R"({"requestId":")" + request_id + R"(","recipientSeq":)" +
            std::to_string(++seq_in_request[request_id]) +
            R"(,"messageStatus":"COMPLETED","resultCode":"1000"})";
  }
  body += "]}";
  ASSERT_EQ(lines, kJobs);

  const std::string tampered = body.substr(0, body.size() - 2) + R"(,{"x":1}]})";
  const std::string refused[] = {
      SignedPost(body, "wrong-secret"),
      Post(kRoute, body),                                             // no signature
      Post(kRoute, body, "X-Signature: " + SignWebhookBody(body, kSecret).substr(2) + "\r\n"),
      Post(kRoute, body, "X-Signature: zz" + SignWebhookBody(body, kSecret).substr(2) + "\r\n"),
      Post(kRoute, tampered, "X-Signature: " + SignWebhookBody(body, kSecret) + "\r\n"),
  };
  for (const std::string& request : refused) {
    auto res = Exchange(server_->port(), request);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
  }
  RunOnProvider([] {});
  EXPECT_EQ(finals_.load(), 0u);
  EXPECT_EQ(stats_->unauthorized.load(), std::size(refused));
  EXPECT_EQ(stats_->results.load(), 0u);

  // The same body, rightly signed, ends every message: the refusals were the signature's.
  auto res = Exchange(server_->port(), SignedPost(body));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  ASSERT_TRUE(WaitUntil([&] { return finals_.load() >= kJobs; }, 5s));
  for (const auto& [cookie, outcomes] : Reports())
    EXPECT_EQ(outcomes, (std::vector<O>{O::kAccepted, O::kDelivered})) << cookie;
}

TEST_F(AlimtalkWebhookTest, SignedButUnreadableBodiesGet400NamingTheFieldAndApplyNothing) {
  StartServer();
  StartProvider(1);  // never reached: nothing is sent
  const struct {
    std::string body;
    std::string reason;
  } kCases[] = {
      {"not json", "body: not JSON"},
      {R"({"result":[]})", "results: missing or not an array"},
      {R"({"results":{}})", "results: missing or not an array"},
      {R"({"results":[7]})", "results[0]: not an object"},
      {R"({"results":[{"requestId":"r1","messageStatus":"COMPLETED"}]})",
       "results[0].recipientSeq: missing or not a positive integer"},
      {R"({"results":[{"requestId":"r1","recipientSeq":1},{"requestId":"r1","recipientSeq":0}]})",
       "results[1].recipientSeq: missing or not a positive integer"},
      {R"({"results":[{"recipientSeq":1,"messageStatus":"COMPLETED"}]})",
       "results[0].requestId: missing or not a non-empty string"},
      {R"({"results":[{"requestId":"r1","recipientSeq":1,"messageStatus":"FAILED","resultCode":"x1"}]})",
       "results[0].resultCode: not an integer"},
      {R"({"results":[{"requestId":"r1","recipientSeq":1,"messageStatus":"FAILED"}]})",
       "results[0].resultCode: missing for a FAILED message"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.body);
    auto res = Exchange(server_->port(), SignedPost(c.body));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(res->body, c.reason + "\n");
  }
  EXPECT_EQ(stats_->bad_bodies.load(), std::size(kCases));
  EXPECT_EQ(stats_->accepted.load(), 0u);

  // Readable, and about no message we know: 200, held by the provider, no report.
  auto res = Exchange(server_->port(),
                      SignedPost(R"({"results":[{"requestId":"r1","recipientSeq":1,)"
                                 R"("messageStatus":"COMPLETED","resultCode":1000}]})"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  RunOnProvider([] {});
  EXPECT_EQ(finals_.load(), 0u);
  EXPECT_EQ(stats_->accepted.load(), 1u);
  EXPECT_EQ(stats_->results.load(), 1u);
}

TEST(AlimtalkWebhookHandlerTest, AnEmptySecretIsRefused) {
  boost::asio::io_context io;
  providers::http::AlimtalkConfig c;
  c.appkey = "a";
  c.secret_key = "b";
  c.sender_key = "c";
  providers::http::AlimtalkProvider provider(io, c);
  EXPECT_THROW(MakeAlimtalkWebhookHandler(provider, io, ""), std::invalid_argument);
}

TEST(DealerWebhookHandlerTest, RcsRouteRefusesBadSignaturesAndUnreadableBodies) {
  boost::asio::io_context io;  // not run: nothing may be posted to the provider here
  providers::http::RcsConfig c;
  c.app_key = "a";
  c.secret_key = "b";
  c.brand_id = "brand";
  c.chatbot_id = "15880000";
  auto rcs = providers::http::MakeRcsProvider(io, c);
  EXPECT_THROW(MakeDealerWebhookHandler(*rcs, io, "", &providers::http::ParseRcsWebhookResults),
               std::invalid_argument);
  WebhookServer server(TestConfig());
  server.Handle("/webhooks/rcs", MakeDealerWebhookHandler(*rcs, io, std::string(kSecret),
                                                          &providers::http::ParseRcsWebhookResults));
  server.Start();
  const std::string body = R"({"messages":"not a list"})";
  auto res = Exchange(server.port(), Post("/webhooks/rcs", body));  // no signature
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = Exchange(server.port(), Post("/webhooks/rcs", body,
                                     "X-Signature: " + SignWebhookBody(body, "wrong") + "\r\n"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = Exchange(server.port(), Post("/webhooks/rcs", body,
                                     "X-Signature: " + SignWebhookBody(body, kSecret) + "\r\n"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(io.poll(), 0u);  // nothing was handed to the provider
  server.Stop();
}

// ---------------------------------------------------------------------------------------
// The HTTP side, with a plain echo route.

class WebhookServerTest : public ::testing::Test {
 protected:
  void StartServer(WebhookServerConfig config = TestConfig()) {
    server_ = std::make_unique<WebhookServer>(std::move(config));
    server_->Handle("/hook", [this](const WebhookRequest& req) {
      ++calls_;
      return WebhookReply{200, std::string(req.path()) + " " + std::string(req.header("x-tag")) +
                                   " " + req.body()};
    });
    server_->Handle("/throws", [](const WebhookRequest&) -> WebhookReply {
      throw std::runtime_error("handler broke");
    });
    server_->Handle("/bad-status", [](const WebhookRequest&) { return WebhookReply{42, ""}; });
    server_->Start();
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  uint16_t port() const { return server_->port(); }
  bool StillServes() {
    auto res = Exchange(port(), Post("/hook", "ping"));
    return res && res->status == 200 && res->body == "/hook  ping";
  }

  std::unique_ptr<WebhookServer> server_;
  std::atomic<int> calls_{0};
};

TEST_F(WebhookServerTest, ServesPostsOnOneKeepAliveConnectionWithBodyAndHeaders) {
  StartServer();
  RawHttpClient client(port());
  for (int i = 0; i < 3; ++i) {
    const std::string body = "body-" + std::to_string(i);
    ASSERT_TRUE(client.Send(Post("/hook?attempt=1", body, "X-Tag: t" + std::to_string(i) + "\r\n")));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "/hook t" + std::to_string(i) + " " + body);
    EXPECT_EQ(res->headers["content-type"], "text/plain; charset=utf-8");
  }
  EXPECT_EQ(server_->open_connections(), 1u);
  EXPECT_EQ(calls_.load(), 3);
}

TEST_F(WebhookServerTest, AnswersExpectContinueBeforeTheBodyAndRefusesOversizeWithout) {
  WebhookServerConfig config = TestConfig();
  config.max_body_bytes = 4096;
  StartServer(config);
  const std::string body(2000, 'b');
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send("POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                          "Content-Length: 2000\r\n\r\n"));
  auto interim = client.Read(/*head=*/true);  // before any body byte was sent
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send(body));
  auto res = client.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "/hook  " + body);

  RawHttpClient big(port());
  ASSERT_TRUE(big.Send("POST /hook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                       "Content-Length: 5000\r\n\r\n"));
  res = big.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);  // no 100 first: the client need not send the body
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(WebhookServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  StartServer();
  auto res = Exchange(port(), Post("/webhooks/other", "{}"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = Exchange(port(), Post("/hook/", "{}"));  // exact paths only
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  for (const char* method : {"GET", "PUT", "DELETE", "HEAD"}) {
    SCOPED_TRACE(method);
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send(std::string(method) + " /hook HTTP/1.1\r\nHost: x\r\n\r\n"));
    res = client.Read(/*head=*/std::string_view(method) == "HEAD");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 405);
    EXPECT_EQ(res->headers["allow"], "POST");
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(WebhookServerTest, AThrowingHandlerOrAnInvalidStatusGets500) {
  StartServer();
  auto res = Exchange(port(), Post("/throws", "{}"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  res = Exchange(port(), Post("/bad-status", "{}"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_TRUE(StillServes());
}

TEST_F(WebhookServerTest, OversizedBodiesAre413AndHugeHeadersAre431ThenClosed) {
  WebhookServerConfig config = TestConfig();
  config.max_body_bytes = 1024;
  StartServer(config);
  {
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send(Post("/hook", std::string(5000, 'x'))));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(res->headers["connection"], "close");
    EXPECT_TRUE(client.ReadUntilClosed(3s));
  }
  {
    // Declared too large: refused before the body is read.
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_TRUE(client.WaitClosed(3s));
  }
  {
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send("POST /hook HTTP/1.1\r\nX-Pad: " + std::string(64 * 1024, 'a') +
                            "\r\nContent-Length: 0\r\n\r\n"));
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 431);
    EXPECT_TRUE(client.ReadUntilClosed(3s));
  }
  {
    std::string many = "POST /hook HTTP/1.1\r\n";
    for (int i = 0; i < 2000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    RawHttpClient client(port());
    client.Send(many + "Content-Length: 0\r\n\r\n");
    auto res = client.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 431);
  }
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_TRUE(StillServes());
}

TEST_F(WebhookServerTest, SlowOrSilentClientsAreClosedAtTheRequestDeadline) {
  WebhookServerConfig config = TestConfig();
  config.request_timeout = 300ms;
  StartServer(config);
  const std::string partial[] = {
      "",                                                      // silent
      "POST /hook HTTP/1.1\r\nHost: x\r\n",                    // headers never end
      "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",  // body never ends
  };
  for (const std::string& bytes : partial) {
    SCOPED_TRACE(bytes);
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send(bytes));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.WaitClosed(3s));  // closed, and nothing was answered
    EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  }
  {
    // Idle keep-alive after one answer: closed at the deadline too.
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send(Post("/hook", "x")));
    ASSERT_TRUE(client.Read());
    EXPECT_TRUE(client.WaitClosed(3s));
  }
  EXPECT_TRUE(WaitUntil([&] { return server_->open_connections() == 0; }, 3s));
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(WebhookServerTest, ConnectionsOverTheCapAreClosedOnAccept) {
  WebhookServerConfig config = TestConfig();
  config.max_connections = 2;
  StartServer(config);
  RawHttpClient a(port()), b(port());
  ASSERT_TRUE(WaitUntil([&] { return server_->open_connections() == 2; }, 3s));
  RawHttpClient c(port());
  EXPECT_TRUE(c.WaitClosed(3s));
  EXPECT_EQ(server_->rejected_connections(), 1u);
  ASSERT_TRUE(a.Send(Post("/hook", "still")));
  auto res = a.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

// Garbage, every truncation of a valid request, broken framing and huge inputs, each on
// its own connection that then half-closes: every one must be answered or closed
// promptly, and the server must keep serving. Deterministic (fixed seed).
TEST_F(WebhookServerTest, GarbageTruncatedAndHugeRequestsNeverCrashOrHangIt) {
  WebhookServerConfig config = TestConfig();
  config.request_timeout = 2s;
  config.max_body_bytes = 4096;
  StartServer(config);

  std::vector<std::string> inputs;
  const std::string valid = Post("/hook", R"({"results":[]})", "X-Signature: 00\r\n");
  for (size_t cut = 0; cut < valid.size(); ++cut) inputs.push_back(valid.substr(0, cut));
  uint64_t state = 0x2545F4914F6CDD1Dull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 150; ++i) {
    std::string bytes(next() % 3000, '\0');
    for (char& ch : bytes) ch = static_cast<char>(next());
    inputs.push_back(bytes);
    // A valid request with a few bytes flipped.
    std::string mutated = valid;
    for (int k = 0; k < 3; ++k) mutated[next() % mutated.size()] = static_cast<char>(next());
    inputs.push_back(mutated);
  }
  inputs.push_back(std::string(1 << 20, 'A'));                        // no line end at all
  inputs.push_back("POST /hook HTTP/1.1\r\n" + std::string(200000, 'h') + "\r\n\r\n");
  inputs.push_back("POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n");
  inputs.push_back("POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc");
  inputs.push_back("POST /hook HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
  inputs.push_back("POST /hook HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
  inputs.push_back("POST /hook HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n");
  inputs.push_back(std::string("POST /ho\0ok HTTP/1.1\r\n\r\n", 25));
  inputs.push_back("POST /hook HTTP/9.9\r\n\r\n");
  inputs.push_back(std::string(100, '\n') + valid);  // leading blank lines
  std::string pipelined;
  for (int i = 0; i < 50; ++i) pipelined += Post("/hook", "p");
  inputs.push_back(pipelined);

  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i));
    RawHttpClient client(port());
    client.Send(inputs[i]);  // may fail midway when the server has refused already
    client.ShutdownWrite();
    ASSERT_TRUE(client.ReadUntilClosed(5s));
  }
  EXPECT_TRUE(StillServes());
  EXPECT_TRUE(WaitUntil([&] { return server_->open_connections() == 0; }, 5s));
}

TEST_F(WebhookServerTest, StopClosesOpenConnectionsPromptly) {
  WebhookServerConfig config = TestConfig();
  config.request_timeout = 30s;
  StartServer(config);
  RawHttpClient idle(port());
  ASSERT_TRUE(WaitUntil([&] { return server_->open_connections() == 1; }, 3s));
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(idle.WaitClosed(2s));
  server_->Stop();  // idempotent
}

TEST(WebhookServerSetupTest, RoutesAreCheckedAndStartFailuresNameTheAddress) {
  WebhookServer server(TestConfig());
  auto ok = [](const WebhookRequest&) { return WebhookReply{}; };
  EXPECT_THROW(server.Handle("no-slash", ok), std::invalid_argument);
  EXPECT_THROW(server.Handle("/x", nullptr), std::invalid_argument);
  server.Handle("/x", ok);
  EXPECT_THROW(server.Handle("/x", ok), std::invalid_argument);
  EXPECT_EQ(server.port(), 0);
  server.Start();
  EXPECT_THROW(server.Handle("/y", ok), std::logic_error);

  WebhookServerConfig taken = TestConfig();
  taken.port = server.port();
  WebhookServer second(taken);
  try {
    second.Start();
    FAIL() << "Start on a port in use must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(server.port())),
              std::string::npos)
        << e.what();
  }
  WebhookServerConfig bad = TestConfig();
  bad.bind = "not-an-address";
  WebhookServer third(bad);
  try {
    third.Start();
    FAIL() << "a bad bind address must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("webhooks.bind"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bulkd::dispatcher
