#include "tools/bizmsg_sim/server.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <utility>  // before Asio's awaitable headers (g++ 12 with Boost 1.81; docs/architecture.md)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <queue>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "core/json_escape.h"

namespace bulkd::tools::bizmsg_sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace dom = simdjson::dom;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view kAlimtalkPrefix = "/alimtalk/v2.3/appkeys/";
constexpr std::string_view kFriendtalkPrefix = "/friendtalk/v2.4/appkeys/";
constexpr std::string_view kRcsPath = "/rcs/v1.0/messages";
constexpr size_t kMaxTemplateParameters = 40;  // docs/domain.md: at most 40 variables
constexpr size_t kIdempotencyCacheEntries = 100000;
constexpr size_t kWebhookBatch = 1000;
constexpr auto kWebhookTick = std::chrono::milliseconds(10);
constexpr auto kWriteTimeout = std::chrono::seconds(30);

enum class Product : uint8_t { kAlimtalk, kFriendtalk, kRcs };

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// xorshift64*: cheap, good enough for drawing percentages.
struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ULL;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
  bool Percent(double percent) { return percent > 0 && Unit() * 100.0 < percent; }
};

int Draw(const std::vector<CodeWeight>& mix, Rng& rng) {
  double total = 0;
  for (const CodeWeight& w : mix) total += w.weight;
  double r = rng.Unit() * total;
  for (const CodeWeight& w : mix) {
    if (r < w.weight) return w.code;
    r -= w.weight;
  }
  return mix.back().code;
}

// Codes after which the message went out (the dealer took it): recorded, and followed by
// a final result. RCS: 0 taken; 40901 (duplicate) and 50401 (carrier timeout) may have gone.
bool Taken(Product product, int code) {
  if (product == Product::kRcs) return code == 0 || code == 40901 || code == 50401;
  return code == 1000 || code == 3005;
}
// The submit code after which a final result is drawn from the final mix.
int AcceptedCode(Product product) { return product == Product::kRcs ? 0 : 1000; }

std::string HexHmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

struct Recipient {
  uint32_t seq = 0;
  std::string number;
  int submit_code = 0;
  int final_code = 0;
  int64_t final_at_ms = 0;  // steady
};

struct SentRequest {
  Product product = Product::kAlimtalk;
  int64_t created_ms = 0;         // wall, for resultDate
  int64_t created_steady_ms = 0;  // steady, the same instant
  std::vector<Recipient> recipients;
};

struct WebhookItem {
  int64_t due_ms = 0;  // steady
  std::string request_id;
  uint32_t index = 0;
  bool duplicate = false;
  bool operator>(const WebhookItem& o) const { return due_ms > o.due_ms; }
};

struct WebhookTarget {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
  tcp::endpoint endpoint;
};

WebhookTarget ParseWebhookUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    throw std::invalid_argument("--webhook: only http://host:port/path is supported");
  }
  WebhookTarget t;
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) t.target = std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  t.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    unsigned port = 0;
    auto sv = authority.substr(colon + 1);
    auto [p, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), port);
    if (ec != std::errc() || p != sv.data() + sv.size() || port == 0 || port > 65535) {
      throw std::invalid_argument("--webhook: bad port in " + url);
    }
    t.port = static_cast<uint16_t>(port);
  }
  if (t.host.empty()) throw std::invalid_argument("--webhook: no host in " + url);
  return t;
}

}  // namespace

struct Server::State {
  Options opt;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::signal_set signals{io, SIGTERM, SIGINT};
  Rng rng;
  dom::parser parser;
  uint64_t next_request = 0;
  int record_fd = -1;
  bool stopping = false;
  std::unordered_set<beast::tcp_stream*> sessions;

  std::unordered_map<std::string, SentRequest> sent;
  std::deque<std::pair<int64_t, std::string>> retention;  // steady expiry, request id
  std::unordered_map<std::string, std::string> idempotent;  // key -> response body
  std::unordered_set<std::string> hook_seen;  // idempotency keys the hook took (--hook-dedupe)
  std::deque<std::string> idempotent_order;

  bool webhook = false;
  WebhookTarget webhook_target;
  std::priority_queue<WebhookItem, std::vector<WebhookItem>, std::greater<>> webhook_queue;

  struct {
    uint64_t requests = 0, sends = 0, recipients = 0, taken = 0, throttled = 0, dropped = 0,
             replayed = 0, bad_requests = 0, unauthorized = 0, polls = 0, webhook_posts = 0,
             webhook_results = 0, webhook_failures = 0, connections = 0, hook_requests = 0,
             hook_taken = 0, hook_replayed = 0, hook_bad_signatures = 0;
  } counters;
};

namespace {

using State = Server::State;

void AppendHeader(std::string& out, bool ok, int code, std::string_view message) {
  out += R"({"header":{"resultCode":)";
  out += std::to_string(code);
  out += R"(,"resultMessage":)";
  core::AppendJsonString(message, out);
  out += ok ? R"(,"isSuccessful":true})" : R"(,"isSuccessful":false})";
}

Response MakeResponse(http::status status, const Request* req, std::string body) {
  Response res{status, req ? req->version() : 11};
  res.set(http::field::server, "bizmsg-sim");
  res.set(http::field::content_type, "application/json;charset=UTF-8");
  res.keep_alive(req ? req->keep_alive() : false);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response ErrorResponse(http::status status, const Request* req, int code,
                       std::string_view message) {
  std::string body;
  AppendHeader(body, false, code, message);
  body += '}';
  return MakeResponse(status, req, std::move(body));
}

std::string NextRequestId(State& st) {
  // Hex of a counter that starts at the wall clock in microseconds: unique across restarts.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, st.next_request++, 16);
  return std::string(buf, end);
}

void Prune(State& st, int64_t now) {
  while (!st.retention.empty() && st.retention.front().first <= now) {
    st.sent.erase(st.retention.front().second);
    st.retention.pop_front();
  }
}

bool ValidNumber(std::string_view n) {
  if (!n.empty() && n.front() == '+') n.remove_prefix(1);
  if (n.size() < 7 || n.size() > 20) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct ParsedRecipient {
  std::string_view number;
  std::string_view grouping_key;
};

// Validates the send body; fills `out` or returns the error message (naming the field).
std::string ValidateSend(State& st, Product product, const std::string& body,
                         std::vector<ParsedRecipient>& out) {
  dom::element root;
  if (auto err = st.parser.parse(body.data(), body.size(), true).get(root)) {
    return std::string("malformed JSON: ") + simdjson::error_message(err);
  }
  dom::object obj;
  if (root.get_object().get(obj)) return "body: not a JSON object";
  std::string_view text;
  std::vector<std::string_view> required;
  switch (product) {
    case Product::kAlimtalk: required = {"senderKey", "templateCode"}; break;
    case Product::kFriendtalk: required = {"senderKey"}; break;
    case Product::kRcs: required = {"brandId", "chatbotId", "messagebaseId"}; break;
  }
  for (std::string_view name : required) {
    if (obj[name].get_string().get(text) || text.empty()) {
      return std::string(name) + ": missing or not a non-empty string";
    }
  }
  const std::string_view number_field = product == Product::kRcs ? "recipientNumber" : "recipientNo";
  dom::array list;
  if (obj["recipientList"].get_array().get(list)) return "recipientList: missing or not an array";
  const size_t n = list.size();
  if (n == 0) return "recipientList: empty";
  if (n > st.opt.max_recipients) {
    return "recipientList: more than " + std::to_string(st.opt.max_recipients) + " recipients";
  }
  out.clear();
  out.reserve(n);
  size_t i = 0;
  for (dom::element item : list) {
    const std::string where = "recipientList[" + std::to_string(i++) + "]";
    dom::object r;
    if (item.get_object().get(r)) return where + ": not an object";
    ParsedRecipient p;
    if (r[number_field].get_string().get(p.number) || !ValidNumber(p.number)) {
      return where + "." + std::string(number_field) + ": missing or not a phone number";
    }
    dom::element value;
    if (product == Product::kFriendtalk &&
        (r["content"].get_string().get(text) || text.empty() || text.size() > 4000)) {
      return where + ".content: missing, empty or too long";
    }
    if (!r["isAd"].get(value) && !value.is_bool()) return where + ".isAd: not a boolean";
    if (product == Product::kRcs && !r["clientMsgId"].get(value) &&
        value.get_string().get(p.grouping_key)) {
      return where + ".clientMsgId: not a string";
    }
    if (!r["templateParameter"].get(value)) {
      dom::object params;
      if (value.get_object().get(params)) return where + ".templateParameter: not an object";
      if (params.size() > kMaxTemplateParameters) {
        return where + ".templateParameter: more than 40 variables";
      }
      for (auto field : params) {
        if (field.key.empty()) return where + ".templateParameter: empty name";
        if (!field.value.is_string()) {
          return where + ".templateParameter." + std::string(field.key) + ": not a string";
        }
      }
    }
    if (!r["resendParameter"].get(value) && !value.is_object()) {
      return where + ".resendParameter: not an object";
    }
    if (!r["recipientGroupingKey"].get(value) && !value.is_null() &&
        value.get_string().get(p.grouping_key)) {
      return where + ".recipientGroupingKey: not a string";
    }
    out.push_back(p);
  }
  return {};
}

Response HandleSend(State& st, Product product, const Request& req, bool& drop, std::string& raw) {
  ++st.counters.sends;
  if (st.rng.Percent(st.opt.throttle_percent)) {
    ++st.counters.throttled;
    Response res = ErrorResponse(http::status::too_many_requests, &req, -429, "too many requests");
    if (st.opt.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(st.opt.retry_after_s));
    return res;
  }
  const auto key_it = req.find("Idempotency-Key");
  std::string key = key_it == req.end() ? std::string() : std::string(key_it->value());
  if (!key.empty()) {
    auto cached = st.idempotent.find(key);
    if (cached != st.idempotent.end()) {
      ++st.counters.replayed;
      Response res = MakeResponse(http::status::ok, &req, cached->second);
      res.set("Idempotent-Replayed", "true");
      return res;
    }
  }
  if (st.opt.fault == Fault::kHtml5xx) {
    Response res = MakeResponse(http::status::bad_gateway, &req,
                                "<html><body><h1>502 Bad Gateway</h1></body></html>");
    res.set(http::field::content_type, "text/html");
    return res;
  }
  std::vector<ParsedRecipient> recipients;
  if (std::string error = ValidateSend(st, product, req.body(), recipients); !error.empty()) {
    ++st.counters.bad_requests;
    return ErrorResponse(http::status::bad_request, &req, -1000, error);
  }

  const int64_t now = SteadyMs();
  const std::string request_id = NextRequestId(st);
  SentRequest sent;
  sent.product = product;
  sent.created_ms = WallMs();
  sent.created_steady_ms = now;
  sent.recipients.reserve(recipients.size());
  std::string record;
  std::string body;
  body.reserve(128 + recipients.size() * 128);
  AppendHeader(body, true, 0, "SUCCESS");
  const bool rcs = product == Product::kRcs;
  body += rcs ? R"(,"body":{"requestId":)" : R"(,"message":{"requestId":)";
  core::AppendJsonString(request_id, body);
  body += rcs ? R"(,"messages":[)" : R"(,"senderGroupingKey":null,"sendResults":[)";
  const std::vector<CodeWeight>& mix = rcs ? st.opt.rcs_mix : st.opt.mix;
  const std::vector<CodeWeight>& final_mix = rcs ? st.opt.rcs_final_mix : st.opt.final_mix;
  uint32_t seq = 0;
  for (const ParsedRecipient& p : recipients) {
    Recipient r;
    r.seq = ++seq;
    r.number = std::string(p.number);
    r.submit_code = Draw(mix, st.rng);
    if (r.submit_code == AcceptedCode(product)) {
      r.final_code = Draw(final_mix, st.rng);
      const double spread = st.opt.out_of_order ? 2.0 * st.rng.Unit() : 1.0;
      r.final_at_ms = now + static_cast<int64_t>(spread * st.opt.result_delay_ms);
    } else {
      r.final_code = r.submit_code;
      r.final_at_ms = now;
    }
    const bool omit = st.opt.fault == Fault::kMissingResults && seq == recipients.size();
    const size_t entry_start = body.size();
    if (seq > 1) body += ',';
    body += R"({"recipientSeq":)";
    body += std::to_string(r.seq);
    body += rcs ? R"(,"recipientNumber":)" : R"(,"recipientNo":)";
    core::AppendJsonString(r.number, body);
    if (rcs) {  // a numeric string, as NHN's RCS API writes codes
      body += R"(,"resultCode":")";
      body += std::to_string(r.submit_code);
      body += '"';
    } else {
      body += R"(,"resultCode":)";
      body += std::to_string(r.submit_code);
    }
    body += R"(,"resultMessage":)";
    body += r.submit_code == AcceptedCode(product) ? R"("SUCCESS")" : R"("FAILED")";
    body += rcs ? R"(,"clientMsgId":)" : R"(,"recipientGroupingKey":)";
    if (p.grouping_key.empty()) {
      body += "null";
    } else {
      core::AppendJsonString(p.grouping_key, body);
    }
    body += '}';
    if (omit) body.resize(entry_start);
    if (Taken(product, r.submit_code)) {
      ++st.counters.taken;
      if (st.record_fd >= 0) record.append(r.number).append("\t").append(request_id).append("\n");
      if (st.webhook) {
        const int64_t due = r.submit_code == AcceptedCode(product) ? r.final_at_ms : now;
        st.webhook_queue.push({due, request_id, r.seq - 1, false});
      }
    }
    sent.recipients.push_back(std::move(r));
  }
  body += "]}}";
  st.counters.recipients += recipients.size();
  // One write per request, unbuffered: the record survives even a SIGKILL.
  if (!record.empty() && ::write(st.record_fd, record.data(), record.size()) < 0) {
    std::perror("bizmsg-sim: record write");
  }
  st.sent.emplace(request_id, std::move(sent));
  st.retention.emplace_back(now + int64_t{st.opt.result_retention_s} * 1000, request_id);
  if (!key.empty()) {
    if (st.idempotent_order.size() >= kIdempotencyCacheEntries) {
      st.idempotent.erase(st.idempotent_order.front());
      st.idempotent_order.pop_front();
    }
    st.idempotent.emplace(key, body);
    st.idempotent_order.push_back(std::move(key));
  }
  if (st.rng.Percent(st.opt.drop_percent)) {
    ++st.counters.dropped;
    drop = true;
  }
  if (st.opt.fault == Fault::kGarbage2xx) body = "<html>accepted</html>";
  if (st.opt.fault == Fault::kTruncated) {
    raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size() + 100) + "\r\n\r\n" + body.substr(0, body.size() / 2);
  }
  return MakeResponse(http::status::ok, &req, std::move(body));
}

void AppendResult(std::string& out, const Recipient& r, int64_t now, const SentRequest& sent) {
  const bool rcs = sent.product == Product::kRcs;
  out += R"({"recipientSeq":)";
  out += std::to_string(r.seq);
  out += rcs ? R"(,"recipientNumber":)" : R"(,"recipientNo":)";
  core::AppendJsonString(r.number, out);
  if (now < r.final_at_ms) {
    out += rcs ? R"(,"messageStatus":"SENDING"})" : R"(,"messageStatus":"IN_PROGRESS"})";
    return;
  }
  if (rcs) {
    out += r.final_code == 10000 ? R"(,"messageStatus":"DELIVERED")"
           : r.final_code == 10001 ? R"(,"messageStatus":"READ")"
                                   : R"(,"messageStatus":"FAILED")";
  } else {
    out += r.final_code == 1000 ? R"(,"messageStatus":"COMPLETED")" : R"(,"messageStatus":"FAILED")";
  }
  out += R"(,"resultCode":")";
  out += std::to_string(r.final_code);
  out += R"(","resultDate":)";
  out += std::to_string(sent.created_ms + (r.final_at_ms - sent.created_steady_ms));
  out += '}';
}

Response HandlePoll(State& st, const Request& req, std::string_view request_id,
                    std::string_view seq_text) {
  ++st.counters.polls;
  if (st.opt.fault == Fault::kBadPoll) return MakeResponse(http::status::ok, &req, "{\"header\":");
  const int64_t now = SteadyMs();
  Prune(st, now);
  auto it = st.sent.find(std::string(request_id));
  if (it == st.sent.end()) {
    return ErrorResponse(http::status::not_found, &req, -2000, "requestId not found");
  }
  const SentRequest& sent = it->second;
  size_t first = 0, last = sent.recipients.size();
  if (!seq_text.empty()) {
    unsigned seq = 0;
    auto [p, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
    if (ec != std::errc() || p != seq_text.data() + seq_text.size() || seq == 0 ||
        seq > sent.recipients.size()) {
      return ErrorResponse(http::status::not_found, &req, -2001, "recipientSeq not found");
    }
    first = seq - 1;
    last = seq;
  }
  std::string body;
  body.reserve(128 + (last - first) * 128);
  AppendHeader(body, true, 0, "SUCCESS");
  const bool rcs = sent.product == Product::kRcs;
  body += rcs ? R"(,"body":{"requestId":)" : R"(,"message":{"requestId":)";
  core::AppendJsonString(request_id, body);
  body += rcs ? R"(,"messages":[)" : R"(,"recipientList":[)";
  for (size_t i = first; i < last; ++i) {
    if (i > first) body += ',';
    AppendResult(body, sent.recipients[i], now, sent);
  }
  body += "]}}";
  return MakeResponse(http::status::ok, &req, std::move(body));
}

// The generic webhook receiver: verifies X-Bulkd-Signature, answers a status from the
// hook mix, records `idempotency-key\tid` for every job it took (2xx, not a replay).
Response HandleHook(State& st, const Request& req, bool& drop, std::string& raw) {
  ++st.counters.hook_requests;
  if (req.method() != http::verb::post) {
    Response res = ErrorResponse(http::status::method_not_allowed, &req, -405, "use POST");
    res.set(http::field::allow, "POST");
    return res;
  }
  const auto sig = req.find("X-Bulkd-Signature");
  if (sig == req.end() || sig->value() != "sha256=" + HexHmacSha256(st.opt.hook_secret, req.body())) {
    ++st.counters.hook_bad_signatures;
    return ErrorResponse(http::status::unauthorized, &req, -1001, "bad X-Bulkd-Signature");
  }
  dom::element root;
  std::string_view id, tenant;
  if (st.parser.parse(req.body().data(), req.body().size(), true).get(root) ||
      root["id"].get_string().get(id) || id.empty() || root["tenant"].get_string().get(tenant)) {
    ++st.counters.bad_requests;
    return ErrorResponse(http::status::bad_request, &req, -1000, "body: want a job with id and tenant");
  }
  const auto key_it = req.find("Idempotency-Key");
  const std::string key = key_it == req.end() ? std::string() : std::string(key_it->value());
  if (st.opt.hook_dedupe && !key.empty() && st.hook_seen.count(key)) {
    ++st.counters.hook_replayed;
    return MakeResponse(http::status::ok, &req, R"({"status":"duplicate"})");
  }
  const int status = Draw(st.opt.hook_mix, st.rng);
  if (status / 100 != 2) {
    Response res = ErrorResponse(static_cast<http::status>(status), &req, -status, "hook mix");
    if (status == 429 && st.opt.retry_after_s > 0) {
      res.set(http::field::retry_after, std::to_string(st.opt.retry_after_s));
    }
    return res;
  }
  ++st.counters.hook_taken;
  if (st.record_fd >= 0) {
    std::string line = key;
    line.append("\t").append(id).append("\n");
    if (::write(st.record_fd, line.data(), line.size()) < 0) std::perror("bizmsg-sim: record write");
  }
  if (st.opt.hook_dedupe && !key.empty()) st.hook_seen.insert(key);
  if (st.rng.Percent(st.opt.drop_percent)) {
    ++st.counters.dropped;
    drop = true;
  }
  std::string body = R"({"status":"ok"})";
  if (st.opt.fault == Fault::kTruncated) {
    raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size() + 100) + "\r\n\r\n" + body.substr(0, body.size() / 2);
  }
  if (st.opt.fault == Fault::kGarbage2xx) body = "<html>ok</html>";
  return MakeResponse(static_cast<http::status>(status), &req, std::move(body));
}

// The dealer products, each under its own path (NHN shapes; see server.h).
struct Route {
  Product product = Product::kAlimtalk;
  std::string_view appkey;
  std::string_view rest;  // after .../messages: "", "/{requestId}[/{seq}]"
  std::string_view secret;
};

bool RouteDealer(const Request& req, std::string_view path, Route& route) {
  auto header = [&req](std::string_view name) {
    const auto it = req.find(name);
    return it == req.end() ? std::string_view() : std::string_view(it->value());
  };
  if (path.substr(0, kRcsPath.size()) == kRcsPath) {
    route.product = Product::kRcs;
    route.rest = path.substr(kRcsPath.size());
    route.appkey = header("X-TC-APP-KEY");
    route.secret = header("X-SECRET-KEY");
    return route.rest.empty() || route.rest.front() == '/';
  }
  std::string_view prefix;
  if (path.substr(0, kAlimtalkPrefix.size()) == kAlimtalkPrefix) {
    route.product = Product::kAlimtalk;
    prefix = kAlimtalkPrefix;
  } else if (path.substr(0, kFriendtalkPrefix.size()) == kFriendtalkPrefix) {
    route.product = Product::kFriendtalk;
    prefix = kFriendtalkPrefix;
  } else {
    return false;
  }
  path.remove_prefix(prefix.size());
  route.appkey = path.substr(0, path.find('/'));
  path.remove_prefix(route.appkey.size());
  constexpr std::string_view kMessages = "/messages";
  if (route.appkey.empty() || path.substr(0, kMessages.size()) != kMessages) return false;
  route.rest = path.substr(kMessages.size());
  route.secret = header("X-Secret-Key");
  return route.rest.empty() || route.rest.front() == '/';
}

Response Handle(State& st, const Request& req, bool& drop, std::string& raw) {
  ++st.counters.requests;
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));
  if (path == st.opt.hook_path) return HandleHook(st, req, drop, raw);
  Route route;
  if (!RouteDealer(req, path, route)) {
    return ErrorResponse(http::status::not_found, &req, -404, "no such path");
  }
  path = route.rest;
  if ((!st.opt.secret_key.empty() && route.secret != st.opt.secret_key) ||
      (!st.opt.appkey.empty() && route.appkey != st.opt.appkey) || route.appkey.empty()) {
    ++st.counters.unauthorized;
    return ErrorResponse(http::status::unauthorized, &req, -1001, "invalid appkey or secret key");
  }
  if (path.empty() || path == "/") {
    if (req.method() != http::verb::post) {
      Response res = ErrorResponse(http::status::method_not_allowed, &req, -405, "use POST");
      res.set(http::field::allow, "POST");
      return res;
    }
    return HandleSend(st, route.product, req, drop, raw);
  }
  // /{requestId} or /{requestId}/{recipientSeq}
  path.remove_prefix(1);
  const std::string_view request_id = path.substr(0, path.find('/'));
  std::string_view seq = path.substr(request_id.size());
  if (!seq.empty()) seq.remove_prefix(1);
  if (request_id.empty() || seq.find('/') != std::string_view::npos) {
    return ErrorResponse(http::status::not_found, &req, -404, "no such path");
  }
  if (req.method() != http::verb::get) {
    Response res = ErrorResponse(http::status::method_not_allowed, &req, -405, "use GET");
    res.set(http::field::allow, "GET");
    return res;
  }
  return HandlePoll(st, req, request_id, seq);
}

// Unregisters a session when its coroutine ends, however it ends.
class SessionGuard {
 public:
  SessionGuard(State& st, beast::tcp_stream* s) : st_(st), s_(s) { st_.sessions.insert(s_); }
  ~SessionGuard() { st_.sessions.erase(s_); }
  SessionGuard(const SessionGuard&) = delete;
  SessionGuard& operator=(const SessionGuard&) = delete;

 private:
  State& st_;
  beast::tcp_stream* s_;
};

net::awaitable<void> Session(std::shared_ptr<State> st, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  SessionGuard guard(*st, &stream);
  ++st->counters.connections;
  beast::flat_buffer buffer;
  net::steady_timer latency(st->io);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(st->opt.max_body_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(std::chrono::milliseconds(st->opt.idle_timeout_ms));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (st->stopping) co_return;
    if (ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == net::error::connection_reset || ec == net::error::operation_aborted ||
          ec == net::error::eof || !stream.socket().is_open()) {
        break;
      }
      // Unparseable HTTP: answer once in JSON and close.
      ++st->counters.bad_requests;
      Response res = ec == http::error::body_limit
                         ? ErrorResponse(http::status::payload_too_large, nullptr, -413,
                                         "request body too large")
                         : ErrorResponse(http::status::bad_request, nullptr, -400,
                                         "malformed HTTP request");
      stream.expires_after(kWriteTimeout);
      co_await http::async_write(stream, res, kTuple);
      break;
    }
    Request req = parser.release();
    bool drop = false;
    std::string raw;  // bytes to send instead of `res`, then close (kTruncated)
    Response res = Handle(*st, req, drop, raw);
    if (drop) break;  // processed; the client never hears back
    if (st->opt.latency_ms > 0 && req.method() == http::verb::post) {
      latency.expires_after(std::chrono::milliseconds(st->opt.latency_ms));
      co_await latency.async_wait(kTuple);
      if (st->stopping) co_return;
    }
    stream.expires_after(kWriteTimeout);
    if (!raw.empty()) {
      co_await net::async_write(stream, net::buffer(raw), kTuple);
      break;
    }
    auto [wec, written] = co_await http::async_write(stream, res, kTuple);
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

net::awaitable<void> AcceptLoop(std::shared_ptr<State> st) {
  net::steady_timer backoff(st->io);
  for (;;) {
    auto [ec, socket] = co_await st->acceptor.async_accept(kTuple);
    if (st->stopping) co_return;
    if (ec) {  // e.g. EMFILE: wait a little rather than spin
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kTuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(st->io, Session(st, std::move(socket)), net::detached);
  }
}

// The results of `product` among `items` as one webhook body; "" when there are none.
// Kakao: {"messageType":..,"results":[..]}; RCS: {"messages":[..]}.
std::string WebhookBody(State& st, const std::vector<WebhookItem>& items, Product product) {
  std::string body;
  switch (product) {
    case Product::kAlimtalk: body = R"({"messageType":"ALIMTALK_RESULT","results":[)"; break;
    case Product::kFriendtalk: body = R"({"messageType":"FRIENDTALK_RESULT","results":[)"; break;
    case Product::kRcs: body = R"({"messages":[)"; break;
  }
  bool first = true;
  for (const WebhookItem& item : items) {
    auto it = st.sent.find(item.request_id);
    if (it == st.sent.end() || it->second.product != product) continue;  // pruned, or another
    const Recipient& r = it->second.recipients[item.index];
    if (!first) body += ',';
    first = false;
    body += R"({"requestId":)";
    core::AppendJsonString(item.request_id, body);
    body += ',';
    std::string one;
    AppendResult(one, r, INT64_MAX, it->second);
    body.append(one, 1, std::string::npos);  // drop the leading '{'
  }
  body += "]}";
  return first ? std::string() : body;
}

// One POST on the webhook connection; true when answered 2xx.
net::awaitable<bool> PostWebhook(std::shared_ptr<State> st, beast::tcp_stream& stream,
                                 std::string body) {
  beast::error_code ec;
  if (!stream.socket().is_open()) {
    stream.expires_after(std::chrono::seconds(2));
    std::tie(ec) = co_await stream.async_connect(st->webhook_target.endpoint, kTuple);
    if (ec) {
      stream.socket().close(ec);
      co_return false;
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
  }
  http::request<http::string_body> req{http::verb::post, st->webhook_target.target, 11};
  req.set(http::field::host, st->webhook_target.host + ":" + std::to_string(st->webhook_target.port));
  req.set(http::field::content_type, "application/json;charset=UTF-8");
  req.set("X-Signature", HexHmacSha256(st->opt.webhook_secret, body));
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  stream.expires_after(std::chrono::seconds(5));
  size_t n = 0;
  std::tie(ec, n) = co_await http::async_write(stream, req, kTuple);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, res, kTuple);
  if (ec || !res.keep_alive()) stream.socket().close(ec);
  co_return !ec && res.result_int() / 100 == 2;
}

net::awaitable<void> WebhookLoop(std::shared_ptr<State> st) {
  beast::tcp_stream stream(st->io);
  net::steady_timer timer(st->io);
  std::vector<WebhookItem> items;
  while (!st->stopping) {
    const int64_t now = SteadyMs();
    if (st->webhook_queue.empty() || st->webhook_queue.top().due_ms > now) {
      timer.expires_after(kWebhookTick);
      co_await timer.async_wait(kTuple);
      continue;
    }
    items.clear();
    while (!st->webhook_queue.empty() && st->webhook_queue.top().due_ms <= now &&
           items.size() < kWebhookBatch) {
      items.push_back(st->webhook_queue.top());
      st->webhook_queue.pop();
    }
    for (const WebhookItem& item : items) {
      if (!item.duplicate && st->rng.Percent(st->opt.webhook_duplicate_percent)) {
        const int64_t later = now + 1 + static_cast<int64_t>(st->rng.Unit() * (st->opt.result_delay_ms + 20));
        st->webhook_queue.push({later, item.request_id, item.index, true});
      }
    }
    if (st->opt.out_of_order) {
      for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[st->rng.Next() % i]);
    }
    for (Product product : {Product::kAlimtalk, Product::kFriendtalk, Product::kRcs}) {
      std::string body = WebhookBody(*st, items, product);
      if (body.empty()) continue;
      bool ok = false;
      for (int attempt = 0; attempt < 3 && !ok && !st->stopping; ++attempt) {
        if (attempt > 0) {
          timer.expires_after(std::chrono::milliseconds(100));
          co_await timer.async_wait(kTuple);
        }
        ok = co_await PostWebhook(st, stream, body);
      }
      ++st->counters.webhook_posts;
      if (!ok) st->counters.webhook_failures += 1;
    }
    st->counters.webhook_results += items.size();
  }
}

}  // namespace

Fault ParseFault(std::string_view name) {
  if (name == "none") return Fault::kNone;
  if (name == "garbage-2xx") return Fault::kGarbage2xx;
  if (name == "truncated") return Fault::kTruncated;
  if (name == "missing-results") return Fault::kMissingResults;
  if (name == "html-5xx") return Fault::kHtml5xx;
  if (name == "bad-poll") return Fault::kBadPoll;
  throw std::invalid_argument("unknown fault '" + std::string(name) + "'");
}

std::vector<CodeWeight> ParseMix(std::string_view text) {
  std::vector<CodeWeight> mix;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t colon = item.find(':');
    CodeWeight w;
    auto bad = [&] { return std::invalid_argument("bad mix item '" + std::string(item) + "' (want code:weight)"); };
    if (colon == std::string_view::npos) throw bad();
    auto code = item.substr(0, colon), weight = item.substr(colon + 1);
    auto [p1, e1] = std::from_chars(code.data(), code.data() + code.size(), w.code);
    if (e1 != std::errc() || p1 != code.data() + code.size()) throw bad();
    auto [p2, e2] = std::from_chars(weight.data(), weight.data() + weight.size(), w.weight);
    if (e2 != std::errc() || p2 != weight.data() + weight.size() || w.weight < 0) throw bad();
    mix.push_back(w);
  }
  double total = 0;
  for (const CodeWeight& w : mix) total += w.weight;
  if (mix.empty() || total <= 0) throw std::invalid_argument("mix has no positive weight");
  return mix;
}

Server::Server(Options options) : state_(std::make_shared<State>()) {
  State& st = *state_;
  st.opt = std::move(options);
  if (st.opt.mix.empty() || st.opt.final_mix.empty() || st.opt.rcs_mix.empty() ||
      st.opt.rcs_final_mix.empty() || st.opt.hook_mix.empty()) {
    throw std::invalid_argument("empty mix");
  }
  for (const CodeWeight& w : st.opt.hook_mix) {
    if (w.code < 200 || w.code > 599) throw std::invalid_argument("--hook-mix: statuses are 200..599");
  }
  if (st.opt.max_recipients == 0) throw std::invalid_argument("--max-recipients must be > 0");
  uint64_t seed = st.opt.seed;
  if (seed == 0) seed = std::random_device{}() ^ (static_cast<uint64_t>(WallMs()) << 20);
  st.rng.s = seed | 1;
  st.next_request = static_cast<uint64_t>(WallMs()) * 1000;
  if (!st.opt.webhook_url.empty()) {
    st.webhook = true;
    st.webhook_target = ParseWebhookUrl(st.opt.webhook_url);
    tcp::resolver resolver(st.io);
    auto results = resolver.resolve(st.webhook_target.host, std::to_string(st.webhook_target.port));
    st.webhook_target.endpoint = *results.begin();
  }
  if (!st.opt.record_path.empty()) {
    st.record_fd = ::open(st.opt.record_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (st.record_fd < 0) {
      throw std::runtime_error("cannot open --record " + st.opt.record_path + ": " + std::strerror(errno));
    }
  }
  const tcp::endpoint endpoint(net::ip::make_address(st.opt.host), st.opt.port);
  st.acceptor.open(endpoint.protocol());
  st.acceptor.set_option(tcp::acceptor::reuse_address(true));
  st.acceptor.bind(endpoint);
  st.acceptor.listen(net::socket_base::max_listen_connections);
}

Server::~Server() {
  if (state_ && state_->record_fd >= 0) ::close(state_->record_fd);
}

int Server::Run() {
  std::shared_ptr<State> st = state_;
  const tcp::endpoint local = st->acceptor.local_endpoint();
  std::printf("bizmsg-sim listening on %s:%u\n", local.address().to_string().c_str(),
              static_cast<unsigned>(local.port()));
  std::fflush(stdout);
  st->signals.async_wait([st](const boost::system::error_code& ec, int) {
    if (ec) return;
    st->stopping = true;
    beast::error_code ignored;
    st->acceptor.close(ignored);
    for (beast::tcp_stream* s : st->sessions) s->socket().close(ignored);
    st->io.stop();
  });
  net::co_spawn(st->io, AcceptLoop(st), net::detached);
  if (st->webhook) net::co_spawn(st->io, WebhookLoop(st), net::detached);
  st->io.run();
  if (st->record_fd >= 0) {
    ::fdatasync(st->record_fd);
    ::close(st->record_fd);
    st->record_fd = -1;
  }
  const auto& c = st->counters;
  std::fprintf(stderr,
               "bizmsg-sim: requests=%llu sends=%llu recipients=%llu taken=%llu throttled=%llu "
               "dropped=%llu replayed=%llu bad_requests=%llu unauthorized=%llu polls=%llu "
               "webhook_posts=%llu webhook_results=%llu webhook_failures=%llu connections=%llu "
               "hook_requests=%llu hook_taken=%llu hook_replayed=%llu hook_bad_signatures=%llu\n",
               (unsigned long long)c.requests, (unsigned long long)c.sends,
               (unsigned long long)c.recipients, (unsigned long long)c.taken,
               (unsigned long long)c.throttled, (unsigned long long)c.dropped,
               (unsigned long long)c.replayed, (unsigned long long)c.bad_requests,
               (unsigned long long)c.unauthorized, (unsigned long long)c.polls,
               (unsigned long long)c.webhook_posts, (unsigned long long)c.webhook_results,
               (unsigned long long)c.webhook_failures, (unsigned long long)c.connections,
               (unsigned long long)c.hook_requests, (unsigned long long)c.hook_taken,
               (unsigned long long)c.hook_replayed, (unsigned long long)c.hook_bad_signatures);
  return 0;
}

}  // namespace bulkd::tools::bizmsg_sim
