// The HTTP connection pool over loopback against a scripted fake server (blocking sockets
// on its own threads): keep-alive reuse, the connection cap, deadlines, reconnects,
// stale idle connections, malformed and oversized responses, TLS refusal, Stop().
// The client's io_context runs in the test thread; every wait has a deadline.
#include "providers/http/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <cstdlib>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.h"

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;

// What the fake server does with one request.
struct Reply {
  std::string bytes;                // written as they are
  bool close = false;               // close the connection after writing
  std::chrono::milliseconds delay{0};
  bool hang = false;                // never answer
};
using Script = std::function<Reply(const std::string& request, int connection)>;

Reply Hang() {
  Reply r;
  r.hang = true;
  return r;
}

Reply Ok(std::string body, std::string extra_headers = "") {
  return {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body};
}

// A loopback HTTP/1.1 server run by a script; one thread per connection.
class FakeServer {
 public:
  explicit FakeServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("fake server: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : threads_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  int closed() const { return closed_; }  // connections this side shut down
  int requests() const { return requests_; }
  int max_concurrent() const { return max_concurrent_; }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      const int index = connections_++;
      threads_.emplace_back([this, fd, index] { Serve(fd, index); });
    }
  }
  // Reads one request (head and Content-Length body); false on EOF.
  static bool ReadRequest(int fd, std::string& buffer, std::string& request) {
    for (;;) {
      const size_t head_end = buffer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        std::string head = buffer.substr(0, head_end);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (size_t p = head.find("content-length:"); p != std::string::npos) {
          length = std::stoul(head.substr(p + 15));
        }
        if (buffer.size() >= head_end + 4 + length) {
          request = buffer.substr(0, head_end + 4 + length);
          buffer.erase(0, head_end + 4 + length);
          return true;
        }
      }
      char chunk[65536];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }
  void Serve(int fd, int index) {
    std::string buffer, request;
    while (!stop_ && ReadRequest(fd, buffer, request)) {
      ++requests_;
      {
        std::lock_guard lock(mu_);
        last_request_ = request;
      }
      const int now = ++concurrent_;
      for (int seen = max_concurrent_; now > seen && !max_concurrent_.compare_exchange_weak(seen, now);) {
      }
      Reply reply = script_(request, index);
      if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
      --concurrent_;
      if (reply.hang) continue;
      size_t off = 0;
      while (off < reply.bytes.size()) {
        const ssize_t n = ::send(fd, reply.bytes.data() + off, reply.bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      if (reply.close) {
        ::shutdown(fd, SHUT_RDWR);
        ++closed_;
        return;
      }
    }
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0}, closed_{0}, requests_{0}, concurrent_{0}, max_concurrent_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::string last_request_;
  std::thread acceptor_;
};

struct Result {
  bool done = false;
  std::error_code ec;
  HttpResponse response;
};

class HttpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpClient> Client(uint16_t port, HttpClientConfig config = {}) {
    return std::make_unique<HttpClient>(io_, Url{false, "127.0.0.1", port, ""}, config);
  }
  // Queues a GET whose result lands in `results_[i]`.
  bool Get(HttpClient& client, size_t i, std::string target = "/x") {
    if (results_.size() <= i) results_.resize(i + 1);
    HttpRequest req;
    req.method = Method::kGet;
    req.target = std::move(target);
    return client.Request(std::move(req), [this, i](std::error_code ec, HttpResponse&& res) {
      EXPECT_FALSE(results_[i].done) << "callback ran twice";
      results_[i] = {true, ec, std::move(res)};
    });
  }
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
    }
    return done();
  }
  bool AllDone() const {
    for (const Result& r : results_) {
      if (!r.done) return false;
    }
    return true;
  }

  boost::asio::io_context io_{1};
  std::vector<Result> results_;
};

TEST(HttpUrlTest, ParsesOriginsAndRejectsJunk) {
  auto u = ParseUrl("https://api.example.com/alimtalk/");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "api.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/alimtalk");
  u = ParseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "");
  u = ParseUrl("http://[::1]:9/p");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9);
  for (const char* bad : {"", "ftp://x", "http://", "http://:80", "http://h:0", "http://h:65536",
                          "http://h:x", "http://u@h/", "http://[::1", "http://h:", "http://h/p?q=1"}) {
    EXPECT_FALSE(ParseUrl(bad)) << bad;
  }
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  FakeServer server([](const std::string& req, int) { return Ok(R"({"ok":true})"); });
  auto client = Client(server.port());
  for (size_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(Get(*client, i));
    ASSERT_TRUE(RunUntil([&] { return results_[i].done; }));
    EXPECT_FALSE(results_[i].ec) << results_[i].ec.message();
    EXPECT_EQ(results_[i].response.status, 200u);
    EXPECT_EQ(results_[i].response.body, R"({"ok":true})");
    EXPECT_EQ(results_[i].response.Header("content-type"), "application/json");
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client->stats().reused, 9u);
  EXPECT_NE(server.last_request().find("Host: 127.0.0.1:"), std::string::npos);
}

TEST_F(HttpClientTest, NeverOpensMoreThanTheCapAndQueuesTheRest) {
  FakeServer server([](const std::string&, int) {
    Reply r = Ok("{}");
    r.delay = 30ms;
    return r;
  });
  HttpClientConfig config;
  config.max_connections = 3;
  auto client = Client(server.port(), config);
  for (size_t i = 0; i < 20; ++i) ASSERT_TRUE(Get(*client, i));
  EXPECT_EQ(client->connections(), 3u);
  EXPECT_EQ(client->queued(), 17u);
  ASSERT_TRUE(RunUntil([&] { return AllDone(); }));
  for (const Result& r : results_) EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_LE(server.connections(), 3);
  EXPECT_EQ(server.max_concurrent(), 3);
}

TEST_F(HttpClientTest, QueueCapRefusesAndLeavesTheRequest) {
  FakeServer server([](const std::string&, int) { return Hang(); });
  HttpClientConfig config;
  config.max_connections = 1;
  config.queue_cap = 2;
  config.request_timeout = 200ms;
  auto client = Client(server.port(), config);
  EXPECT_TRUE(Get(*client, 0));
  EXPECT_TRUE(Get(*client, 1));
  EXPECT_TRUE(Get(*client, 2));
  EXPECT_FALSE(Get(*client, 3));
  EXPECT_EQ(client->stats().queue_full, 1u);
  results_[3].done = true;  // never queued
  ASSERT_TRUE(RunUntil([&] { return AllDone(); }));
}

TEST_F(HttpClientTest, NoAnswerWithinTheDeadlineIsATimeoutWithUnknownOutcome) {
  FakeServer server([](const std::string&, int) { return Hang(); });
  HttpClientConfig config;
  config.request_timeout = 150ms;
  auto client = Client(server.port(), config);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Get(*client, 0));
  ASSERT_TRUE(RunUntil([&] { return results_[0].done; }));
  EXPECT_EQ(results_[0].ec, HttpErrc::kTimeout);
  EXPECT_TRUE(IsOutcomeUnknown(results_[0].ec));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(client->stats().timeouts, 1u);
}

TEST_F(HttpClientTest, ReconnectsAfterTheServerClosesAndDetectsStaleIdleConnections) {
  // Connection 0 answers once and closes without saying so; later ones behave.
  FakeServer server([](const std::string&, int conn) {
    Reply r = Ok("{}");
    r.close = conn == 0;
    return r;
  });
  auto client = Client(server.port());
  ASSERT_TRUE(Get(*client, 0));
  ASSERT_TRUE(RunUntil([&] { return results_[0].done; }));
  EXPECT_FALSE(results_[0].ec);
  // The server has shut the connection (its FIN is on the loopback before shutdown returns).
  ASSERT_TRUE(bulkd::testing::WaitUntil([&] { return server.closed() == 1; }, 5s));
  ASSERT_TRUE(Get(*client, 1));
  ASSERT_TRUE(RunUntil([&] { return results_[1].done; }));
  EXPECT_FALSE(results_[1].ec) << results_[1].ec.message();
  EXPECT_EQ(client->stats().stale_closed, 1u);
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientTest, ConnectionCloseHeaderIsHonoured) {
  FakeServer server([](const std::string&, int) {
    Reply r = Ok("{}", "Connection: close\r\n");
    r.close = true;
    return r;
  });
  auto client = Client(server.port());
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(Get(*client, i));
    ASSERT_TRUE(RunUntil([&] { return results_[i].done; }));
    EXPECT_FALSE(results_[i].ec);
  }
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(client->stats().stale_closed, 0u);
}

TEST_F(HttpClientTest, RefusedConnectIsNotSentAndFailsTheQueueFast) {
  uint16_t port;
  { FakeServer probe([](const std::string&, int) { return Ok("{}"); }); port = probe.port(); }
  HttpClientConfig config;
  config.max_connections = 1;
  auto client = Client(port, config);
  for (size_t i = 0; i < 5; ++i) ASSERT_TRUE(Get(*client, i));
  ASSERT_TRUE(RunUntil([&] { return AllDone(); }));
  for (const Result& r : results_) {
    EXPECT_EQ(r.ec, HttpErrc::kConnectFailed);
    EXPECT_FALSE(IsOutcomeUnknown(r.ec));
  }
  EXPECT_EQ(client->stats().connect_failures, 1u);
}

TEST_F(HttpClientTest, MalformedTruncatedAndOversizedResponsesAreErrorsNotCrashes) {
  FakeServer server([](const std::string& req, int) {
    Reply r;
    r.close = true;
    if (req.find("/garbage") != std::string::npos) r.bytes = "SMTP ready\r\n\r\n";
    else if (req.find("/truncated") != std::string::npos)
      r.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"hea";
    else if (req.find("/big") != std::string::npos)
      r.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x');
    else if (req.find("/badlength") != std::string::npos)
      r.bytes = "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n";
    else r.bytes = "";  // close without a byte
    return r;
  });
  HttpClientConfig config;
  config.max_response_bytes = 1000;
  auto client = Client(server.port(), config);
  const std::vector<std::pair<std::string, HttpErrc>> cases = {
      {"/garbage", HttpErrc::kBadResponse},
      {"/truncated", HttpErrc::kConnectionLost},
      {"/big", HttpErrc::kResponseTooLarge},
      {"/badlength", HttpErrc::kBadResponse},
      {"/silent", HttpErrc::kConnectionLost},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_TRUE(Get(*client, i, cases[i].first));
    ASSERT_TRUE(RunUntil([&] { return results_[i].done; }));
    EXPECT_EQ(results_[i].ec, cases[i].second) << cases[i].first << ": " << results_[i].ec.message();
    EXPECT_TRUE(IsOutcomeUnknown(results_[i].ec));
  }
}

TEST_F(HttpClientTest, TlsToAPlainServerFailsTheHandshakeBeforeSending) {
  FakeServer server([](const std::string&, int) { return Reply{"garbage\r\n\r\n", true}; });
  HttpClientConfig config;
  config.connect_timeout = 300ms;
  HttpClient client(io_, Url{true, "127.0.0.1", server.port(), ""}, config);
  ASSERT_TRUE(Get(client, 0));
  ASSERT_TRUE(RunUntil([&] { return results_[0].done; }));
  EXPECT_EQ(results_[0].ec, HttpErrc::kTlsFailed);
  EXPECT_FALSE(IsOutcomeUnknown(results_[0].ec));
  EXPECT_EQ(server.requests(), 0);
}

// A real TLS server (openssl s_server) with a throwaway self-signed certificate for
// 127.0.0.1: verified against that certificate the request goes through; against the
// system's CAs, or for another host name, the handshake fails before anything is sent.
TEST_F(HttpClientTest, TlsVerifiesThePeerCertificateAndHostName) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl";
  bulkd::testing::TempDir dir;
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  const std::string make_cert =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bulkd-test -addext "
      "subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make_cert.c_str()), 0);
  uint16_t port;
  { FakeServer probe([](const std::string&, int) { return Ok("{}"); }); port = probe.port(); }
  bulkd::testing::ChildProcess server({"openssl", "s_server", "-accept",
                                       "127.0.0.1:" + std::to_string(port), "-cert", cert,
                                       "-key", key, "-www"});
  ASSERT_TRUE(server.WaitForLine("ACCEPT", 10s));

  HttpClientConfig config;
  config.ca_file = cert;
  config.connect_timeout = 3s;
  {
    HttpClient client(io_, Url{true, "127.0.0.1", port, ""}, config);
    ASSERT_TRUE(Get(client, 0, "/"));
    ASSERT_TRUE(RunUntil([&] { return results_[0].done; }));
    EXPECT_FALSE(results_[0].ec) << results_[0].ec.message();
    EXPECT_EQ(results_[0].response.status, 200u);
    EXPECT_NE(results_[0].response.body.find("<HTML>"), std::string::npos);
  }
  {  // The system's CAs do not know a self-signed certificate.
    HttpClientConfig system_cas = config;
    system_cas.ca_file.clear();
    HttpClient client(io_, Url{true, "127.0.0.1", port, ""}, system_cas);
    ASSERT_TRUE(Get(client, 1, "/"));
    ASSERT_TRUE(RunUntil([&] { return results_[1].done; }));
    EXPECT_EQ(results_[1].ec, HttpErrc::kTlsFailed);
    EXPECT_EQ(client.stats().tls_failures, 1u);
  }
  {  // Trusted certificate, wrong name: "localhost" is not in its subjectAltName.
    HttpClient client(io_, Url{true, "localhost", port, ""}, config);
    ASSERT_TRUE(Get(client, 2, "/"));
    ASSERT_TRUE(RunUntil([&] { return results_[2].done; }));
    EXPECT_TRUE(results_[2].ec == HttpErrc::kTlsFailed || results_[2].ec == HttpErrc::kConnectFailed)
        << results_[2].ec.message();
  }
  {  // verify_peer = false (never in production): the handshake goes through.
    HttpClientConfig trusting = config;
    trusting.ca_file.clear();
    trusting.verify_peer = false;
    HttpClient client(io_, Url{true, "127.0.0.1", port, ""}, trusting);
    ASSERT_TRUE(Get(client, 3, "/"));
    ASSERT_TRUE(RunUntil([&] { return results_[3].done; }));
    EXPECT_FALSE(results_[3].ec) << results_[3].ec.message();
  }
}

TEST_F(HttpClientTest, StopFailsQueuedRequestsAndLetsInFlightOnesFinish) {
  FakeServer server([](const std::string&, int) {
    Reply r = Ok("{}");
    r.delay = 50ms;
    return r;
  });
  HttpClientConfig config;
  config.max_connections = 1;
  auto client = Client(server.port(), config);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(Get(*client, i));
  RunUntil([&] { return server.requests() > 0; });
  client->Stop();
  EXPECT_FALSE(Get(*client, 3));
  results_[3].done = true;
  ASSERT_TRUE(RunUntil([&] { return AllDone(); }));
  EXPECT_FALSE(results_[0].ec);
  EXPECT_EQ(results_[1].ec, HttpErrc::kStopped);
  EXPECT_EQ(results_[2].ec, HttpErrc::kStopped);
  EXPECT_TRUE(RunUntil([&] { return client->connections() == 0; }));
}

TEST_F(HttpClientTest, NoCallbackRunsAfterTheClientIsDestroyed) {
  FakeServer server([](const std::string&, int) {
    Reply r = Ok("{}");
    r.delay = 30ms;
    return r;
  });
  auto client = Client(server.port());
  int calls = 0;
  HttpRequest req;
  req.target = "/";
  ASSERT_TRUE(client->Request(std::move(req), [&](std::error_code, HttpResponse&&) { ++calls; }));
  io_.restart();
  io_.run_for(10ms);
  client.reset();
  io_.restart();
  io_.run_for(100ms);
  EXPECT_EQ(calls, 0);
}

TEST_F(HttpClientTest, IdleConnectionsCloseAfterTheIdleTimeout) {
  FakeServer server([](const std::string&, int) { return Ok("{}"); });
  HttpClientConfig config;
  config.idle_timeout = 50ms;
  auto client = Client(server.port(), config);
  ASSERT_TRUE(Get(*client, 0));
  ASSERT_TRUE(RunUntil([&] { return results_[0].done; }));
  EXPECT_EQ(client->connections(), 1u);
  ASSERT_TRUE(RunUntil([&] { return client->connections() == 0; }, 2s));
  EXPECT_EQ(client->stats().idle_closed, 1u);
}

TEST_F(HttpClientTest, PostsBodyContentTypeAndExtraHeaders) {
  FakeServer server([](const std::string&, int) { return Ok("{}"); });
  auto client = Client(server.port());
  HttpRequest req;
  req.method = Method::kPost;
  req.target = "/send";
  req.content_type = "application/json;charset=UTF-8";
  req.body = R"({"a":"홍길동"})";
  req.headers = {{"X-Secret-Key", "s3cret"}, {"Idempotency-Key", "k-1"}};
  results_.resize(1);
  ASSERT_TRUE(client->Request(std::move(req), [&](std::error_code ec, HttpResponse&& res) {
    results_[0] = {true, ec, std::move(res)};
  }));
  ASSERT_TRUE(RunUntil([&] { return results_[0].done; }));
  const std::string seen = server.last_request();
  EXPECT_EQ(seen.rfind("POST /send HTTP/1.1\r\n", 0), 0u) << seen;
  EXPECT_NE(seen.find("X-Secret-Key: s3cret\r\n"), std::string::npos);
  EXPECT_NE(seen.find("Idempotency-Key: k-1\r\n"), std::string::npos);
  EXPECT_NE(seen.find("Content-Type: application/json;charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(seen.find(R"({"a":"홍길동"})"), std::string::npos);
}

}  // namespace
}  // namespace bulkd::providers::http
