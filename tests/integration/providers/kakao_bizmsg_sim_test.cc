// bizmsg-sim as a black box over loopback: authentication, validation with JSON errors
// (never a crash), polls, Idempotency-Key replays, the record file, signed webhooks and
// SIGTERM. Spoken to with the providers' HttpClient; the webhook lands on a small
// blocking receiver thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "providers/http/alimtalk_provider.h"
#include "providers/http/alimtalk_wire.h"
#include "providers/http/http_client.h"
#include "tests/support/child_process.h"

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::BuiltBinary;
using bulkd::testing::ChildProcess;
using bulkd::testing::TempDir;

constexpr std::string_view kSend = "/alimtalk/v2.3/appkeys/app1/messages";

class BizmsgSim {
 public:
  explicit BizmsgSim(std::vector<std::string> args) {
    std::vector<std::string> argv = {BuiltBinary("tools/bizmsg_sim/bizmsg-sim"), "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<ChildProcess>(argv);
    const auto line = process_->WaitForLine("bizmsg-sim listening on 127.0.0.1:", 10s);
    if (!line) throw std::runtime_error("bizmsg-sim did not start");
    first_line_ = *line;
    port_ = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  }
  uint16_t port() const { return port_; }
  const std::string& first_line() const { return first_line_; }
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
  std::string first_line_;
};

// Receives webhook POSTs and answers 200; keeps (signature, body) pairs.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (conn_ >= 0) ::shutdown(conn_, SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::vector<std::pair<std::string, std::string>> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }

 private:
  void Run() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      conn_ = c;
      std::string buffer;
      for (;;) {
        const size_t head_end = buffer.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          std::string head = buffer.substr(0, head_end);
          std::string lower = head;
          for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const size_t cl = lower.find("content-length:");
          const size_t length = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
          if (buffer.size() >= head_end + 4 + length) {
            std::string signature;
            if (size_t s = lower.find("x-signature:"); s != std::string::npos) {
              const size_t end = head.find("\r\n", s);
              signature = head.substr(s + 12, end == std::string::npos ? std::string::npos : end - s - 12);
              signature.erase(0, signature.find_first_not_of(' '));
            }
            {
              std::lock_guard lock(mu_);
              posts_.emplace_back(signature, buffer.substr(head_end + 4, length));
            }
            buffer.erase(0, head_end + 4 + length);
            const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
            ::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
            continue;
          }
        }
        char chunk[65536];
        const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      ::close(c);
      conn_ = -1;
    }
  }

  int fd_ = -1;
  std::atomic<int> conn_{-1};
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> posts_;
  std::thread thread_;
};

std::string Body(size_t recipients, std::string_view first_number = "01012345678") {
  std::string body = R"({"senderKey":"sk","templateCode":"t1","recipientList":[)";
  for (size_t i = 0; i < recipients; ++i) {
    if (i) body += ',';
    body += R"({"recipientNo":")";
    body += i == 0 ? std::string(first_number) : "0109" + std::to_string(1000000 + i);
    body += R"(","templateParameter":{"name":"홍길동"},"resendParameter":{"isResend":false}})";
  }
  return body + "]}";
}

class BizmsgSimTest : public ::testing::Test {
 protected:
  struct Answer {
    std::error_code ec;
    HttpResponse response;
  };
  Answer Call(uint16_t port, Method method, std::string target, std::string body = "",
              std::vector<std::pair<std::string, std::string>> headers = {{"X-Secret-Key", "sim-secret"}}) {
    if (!client_ || client_->origin().port != port) {
      client_ = std::make_unique<HttpClient>(io_, Url{false, "127.0.0.1", port, ""}, HttpClientConfig{});
    }
    HttpRequest req;
    req.method = method;
    req.target = std::move(target);
    req.body = std::move(body);
    if (!req.body.empty()) req.content_type = "application/json";
    req.headers = std::move(headers);
    bool done = false;
    Answer answer;
    EXPECT_TRUE(client_->Request(std::move(req), [&](std::error_code ec, HttpResponse&& res) {
      answer = {ec, std::move(res)};
      done = true;
    }));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
    }
    EXPECT_TRUE(done);
    return answer;
  }
  static bool IsJsonError(const HttpResponse& res) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    bool ok = true;
    std::string_view message;
    return parser.parse(res.body).get(root) == simdjson::SUCCESS &&
           root["header"]["isSuccessful"].get_bool().get(ok) == simdjson::SUCCESS && !ok &&
           root["header"]["resultMessage"].get_string().get(message) == simdjson::SUCCESS &&
           !message.empty();
  }

  boost::asio::io_context io_{1};
  std::unique_ptr<HttpClient> client_;
};

TEST_F(BizmsgSimTest, PrintsItsPortFirstAndExitsZeroOnSigterm) {
  BizmsgSim sim({});
  EXPECT_EQ(sim.first_line(), "bizmsg-sim listening on 127.0.0.1:" + std::to_string(sim.port()));
  sim.process().Signal(SIGTERM);
  EXPECT_EQ(sim.process().WaitForExit(10s), 0);
}

TEST_F(BizmsgSimTest, AWrongSecretOrAppkeyIs401WithAJsonError) {
  BizmsgSim sim({"--appkey", "app1"});
  Answer a = Call(sim.port(), Method::kPost, std::string(kSend), Body(1), {{"X-Secret-Key", "nope"}});
  ASSERT_FALSE(a.ec);
  EXPECT_EQ(a.response.status, 401u);
  EXPECT_TRUE(IsJsonError(a.response)) << a.response.body;
  a = Call(sim.port(), Method::kPost, std::string(kSend), Body(1), {});
  EXPECT_EQ(a.response.status, 401u);
  a = Call(sim.port(), Method::kPost, "/alimtalk/v2.3/appkeys/other/messages", Body(1));
  EXPECT_EQ(a.response.status, 401u);
  a = Call(sim.port(), Method::kPost, std::string(kSend), Body(1));
  EXPECT_EQ(a.response.status, 200u);
}

TEST_F(BizmsgSimTest, MalformedRequestsAre400JsonErrorsAndTheSimStaysUp) {
  BizmsgSim sim({});
  std::string too_many_params = R"({"senderKey":"s","templateCode":"t","recipientList":[{"recipientNo":"01012345678","templateParameter":{)";
  for (int i = 0; i < 41; ++i) {
    if (i) too_many_params += ',';
    too_many_params.append("\"v").append(std::to_string(i)).append("\":\"x\"");
  }
  too_many_params += "}}]}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed JSON"},
      {"{", "malformed JSON"},
      {"[]", "body"},
      {"{\"senderKey\":\"s\"", "malformed JSON"},
      {R"({"templateCode":"t","recipientList":[{"recipientNo":"01012345678"}]})", "senderKey"},
      {R"({"senderKey":"","templateCode":"t","recipientList":[{"recipientNo":"01012345678"}]})", "senderKey"},
      {R"({"senderKey":"s","recipientList":[{"recipientNo":"01012345678"}]})", "templateCode"},
      {R"({"senderKey":"s","templateCode":"t"})", "recipientList"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[]})", "recipientList"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[1]})", "recipientList[0]"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[{"recipientNo":"abc"}]})", "recipientList[0].recipientNo"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[{"recipientNo":12}]})", "recipientNo"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[{"recipientNo":"01012345678","templateParameter":[]}]})", "templateParameter"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[{"recipientNo":"01012345678","templateParameter":{"a":1}}]})", "templateParameter.a"},
      {R"({"senderKey":"s","templateCode":"t","recipientList":[{"recipientNo":"01012345678","resendParameter":true}]})", "resendParameter"},
      {too_many_params, "40"},
      {Body(1001), "more than 1000"},
      {"{\"senderKey\":\"\xff\"}", "malformed JSON"},
  };
  for (const auto& [body, field] : cases) {
    Answer a = Call(sim.port(), Method::kPost, std::string(kSend), body);
    ASSERT_FALSE(a.ec) << body;
    EXPECT_EQ(a.response.status, 400u) << body;
    EXPECT_TRUE(IsJsonError(a.response)) << a.response.body;
    EXPECT_NE(a.response.body.find(field), std::string::npos) << a.response.body;
  }
  Answer a = Call(sim.port(), Method::kPost, std::string(kSend), Body(1000));
  EXPECT_EQ(a.response.status, 200u) << "still up, and 1000 recipients are fine";
  a = Call(sim.port(), Method::kPost, std::string(kSend), std::string(5u << 20, ' '));
  EXPECT_TRUE(a.ec || a.response.status == 413u);
  a = Call(sim.port(), Method::kPost, std::string(kSend), Body(1));
  EXPECT_EQ(a.response.status, 200u);
}

TEST_F(BizmsgSimTest, UnknownPathsAre404AndWrongMethods405) {
  BizmsgSim sim({});
  EXPECT_EQ(Call(sim.port(), Method::kGet, "/nope").response.status, 404u);
  EXPECT_EQ(Call(sim.port(), Method::kGet, "/alimtalk/v2.3/appkeys/app1/other").response.status, 404u);
  EXPECT_EQ(Call(sim.port(), Method::kGet, std::string(kSend)).response.status, 405u);
  EXPECT_EQ(Call(sim.port(), Method::kPost, std::string(kSend) + "/abc", "{}").response.status, 405u);
  EXPECT_EQ(Call(sim.port(), Method::kGet, std::string(kSend) + "/does-not-exist").response.status, 404u);
}

TEST_F(BizmsgSimTest, PollShowsInProgressThenTheFinalResult) {
  BizmsgSim sim({"--result-delay-ms", "300", "--final-mix", "3019:100"});
  Answer a = Call(sim.port(), Method::kPost, std::string(kSend), Body(3));
  SendReply reply;
  ASSERT_TRUE(ParseSendReply(a.response.body, reply)) << a.response.body;
  ASSERT_EQ(reply.results.size(), 3u);
  EXPECT_EQ(reply.results[0].code, 1000);
  std::vector<FinalResult> results;
  a = Call(sim.port(), Method::kGet, std::string(kSend) + "/" + reply.request_id);
  ASSERT_TRUE(ParsePollReply(a.response.body, results)) << a.response.body;
  ASSERT_EQ(results.size(), 3u);
  for (const FinalResult& r : results) EXPECT_FALSE(r.final);
  // Poll, as a client would, until the result delay has passed and seq 2 is final.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    a = Call(sim.port(), Method::kGet, std::string(kSend) + "/" + reply.request_id + "/2");
    ASSERT_TRUE(ParsePollReply(a.response.body, results)) << a.response.body;
    ASSERT_EQ(results.size(), 1u);
  } while (!results[0].final && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(results[0].seq, 2u);
  EXPECT_TRUE(results[0].final);
  EXPECT_EQ(results[0].code, 3019);
  EXPECT_EQ(Call(sim.port(), Method::kGet, std::string(kSend) + "/" + reply.request_id + "/4").response.status, 404u);
}

TEST_F(BizmsgSimTest, AnIdempotencyKeyGetsTheFirstAnswerAndIsRecordedOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--record", record});
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Secret-Key", "sim-secret"}, {"Idempotency-Key", "req-1"}};
  Answer first = Call(sim.port(), Method::kPost, std::string(kSend), Body(2), headers);
  Answer again = Call(sim.port(), Method::kPost, std::string(kSend), Body(2), headers);
  EXPECT_EQ(first.response.status, 200u);
  EXPECT_EQ(again.response.body, first.response.body);
  EXPECT_EQ(again.response.Header("Idempotent-Replayed"), "true");
  Answer other = Call(sim.port(), Method::kPost, std::string(kSend), Body(2),
                      {{"X-Secret-Key", "sim-secret"}, {"Idempotency-Key", "req-2"}});
  EXPECT_NE(other.response.body, first.response.body);
  sim.process().Signal(SIGTERM);
  ASSERT_EQ(sim.process().WaitForExit(10s), 0);
  std::ifstream in(record);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  EXPECT_EQ(lines.size(), 4u);
}

TEST_F(BizmsgSimTest, WebhooksCarrySignedResultsForEveryTakenRecipient) {
  WebhookReceiver receiver;
  BizmsgSim sim({"--webhook", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook",
                 "--webhook-secret", "whsec", "--result-delay-ms", "50", "--out-of-order",
                 "--webhook-duplicate-percent", "30", "--mix", "1000:80,3005:10,3018:10",
                 "--seed", "11"});
  std::map<std::string, std::set<uint32_t>> taken;
  for (int r = 0; r < 5; ++r) {
    Answer a = Call(sim.port(), Method::kPost, std::string(kSend), Body(100));
    SendReply reply;
    ASSERT_TRUE(ParseSendReply(a.response.body, reply));
    for (const SubmitResult& s : reply.results) {
      if (s.code == 1000 || s.code == 3005) taken[reply.request_id].insert(s.seq);
    }
  }
  size_t expected = 0;
  for (const auto& [id, seqs] : taken) expected += seqs.size();
  std::map<std::string, std::set<uint32_t>> seen;
  size_t deliveries = 0;
  ASSERT_TRUE(bulkd::testing::WaitUntil([&] {
    seen.clear();
    deliveries = 0;
    for (const auto& [signature, body] : receiver.posts()) {
      EXPECT_TRUE(VerifyWebhookSignature(body, "whsec", signature)) << signature;
      std::vector<FinalResult> results;
      EXPECT_TRUE(ParseWebhookResults(body, results)) << body;
      for (const FinalResult& r : results) {
        EXPECT_TRUE(r.final);
        seen[r.request_id].insert(r.seq);
        ++deliveries;
      }
    }
    size_t distinct = 0;
    for (const auto& [id, seqs] : seen) distinct += seqs.size();
    return distinct == expected;
  }, 10s));
  EXPECT_EQ(seen, taken);
  // Duplicates follow within the result delay.
  EXPECT_TRUE(bulkd::testing::WaitUntil([&] {
    deliveries = 0;
    for (const auto& [signature, body] : receiver.posts()) {
      std::vector<FinalResult> results;
      ParseWebhookResults(body, results);
      deliveries += results.size();
    }
    return deliveries > expected;
  }, 10s)) << "--webhook-duplicate-percent sends some twice";
}

// Results by webhook only (polls off): the verified posts are fed to the provider as a
// webhook receiver would, duplicates and out-of-order included, some of them possibly
// ahead of the send reply they belong to. Every message ends exactly once.
TEST_F(BizmsgSimTest, WebhookResultsFedToTheProviderEndEveryMessageOnce) {
  WebhookReceiver receiver;
  BizmsgSim sim({"--webhook", "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook",
                 "--webhook-secret", "whsec", "--result-delay-ms", "5", "--out-of-order",
                 "--webhook-duplicate-percent", "40", "--final-mix", "1000:90,3019:10"});
  AlimtalkConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(sim.port());
  config.appkey = "app1";
  config.secret_key = "sim-secret";
  config.sender_key = "sk";
  config.batch_size = 50;
  config.linger = std::chrono::milliseconds(1);
  config.poll_interval = std::chrono::milliseconds(0);
  AlimtalkProvider provider(io_, config);
  std::map<uint64_t, std::vector<AttemptReport>> reports;
  provider.Start([&](const AttemptReport& r) { reports[r.cookie].push_back(r); });
  for (uint64_t i = 1; i <= 400; ++i) {
    core::Job job;
    job.id = "job-" + std::to_string(i);
    job.to = "+8210" + std::to_string(20000000 + i);
    job.channels = {core::Channel::kAlimtalk};
    job.template_code = "t1";
    ASSERT_TRUE(provider.Send(i, job, core::Channel::kAlimtalk));
  }
  size_t fed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  auto all_final = [&] {
    if (reports.size() < 400) return false;
    for (const auto& [cookie, rs] : reports) {
      if (rs.back().outcome == AttemptOutcome::kAccepted) return false;
    }
    return true;
  };
  while (!all_final() && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_for(5ms);
    const auto posts = receiver.posts();
    for (; fed < posts.size(); ++fed) {
      ASSERT_TRUE(VerifyWebhookSignature(posts[fed].second, "whsec", posts[fed].first));
      std::vector<FinalResult> results;
      ASSERT_TRUE(ParseWebhookResults(posts[fed].second, results));
      provider.OnResults(results);
    }
  }
  ASSERT_TRUE(all_final());
  // Wait until more results were posted than there are messages (duplicates came), then
  // feed every post again: nothing may change.
  ASSERT_TRUE(bulkd::testing::WaitUntil([&] {
    size_t posted = 0;
    for (const auto& post : receiver.posts()) {
      std::vector<FinalResult> results;
      ParseWebhookResults(post.second, results);
      posted += results.size();
    }
    return posted > 400;
  }, 10s));
  for (const auto& post : receiver.posts()) {
    std::vector<FinalResult> results;
    ParseWebhookResults(post.second, results);
    provider.OnResults(results);
  }
  io_.restart();
  io_.run_for(20ms);
  size_t fallbacks = 0;
  for (const auto& [cookie, rs] : reports) {
    ASSERT_EQ(rs.size(), 2u) << cookie;
    EXPECT_EQ(rs[0].outcome, AttemptOutcome::kAccepted);
    EXPECT_TRUE(rs[1].outcome == AttemptOutcome::kDelivered ||
                rs[1].outcome == AttemptOutcome::kFallback);
    fallbacks += rs[1].outcome == AttemptOutcome::kFallback;
  }
  EXPECT_GT(fallbacks, 0u);
  EXPECT_EQ(provider.stats().finals, 400u);
  EXPECT_EQ(provider.stats().polls, 0u);
  EXPECT_EQ(provider.inflight(), 0u);
}

}  // namespace
}  // namespace bulkd::providers::http
