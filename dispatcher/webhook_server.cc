#include "dispatcher/webhook_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "dispatcher/http_server.h"
#include "providers/http/alimtalk_provider.h"
#include "providers/http/alimtalk_wire.h"

namespace bulkd::dispatcher {

namespace http = boost::beast::http;

struct WebhookServer::Routes {
  std::map<std::string, Handler, std::less<>> handlers;
};

namespace {

const HttpRequest& Message(const void* request) { return *static_cast<const HttpRequest*>(request); }

HttpResponse Route(const WebhookServer::Routes& routes, const HttpRequest& req,
                   const WebhookRequest& view) {
  const auto it = routes.handlers.find(RequestPath(req));
  if (it == routes.handlers.end())
    return MakeHttpResponse(req, http::status::not_found, kTextContentType, "not found\n");
  if (req.method() != http::verb::post) {
    HttpResponse res = MakeHttpResponse(req, http::status::method_not_allowed,
                                        kTextContentType, "method not allowed\n");
    res.set(http::field::allow, "POST");
    return res;
  }
  WebhookReply reply = it->second(view);  // throws -> HttpServer answers 500
  if (reply.status < 200 || reply.status > 599) {
    static std::atomic<int64_t> last_log{0};
    if (ShouldLogNow(last_log))
      spdlog::warn("webhooks: handler returned an invalid status path={}", RequestPath(req));
    return MakeHttpResponse(req, http::status::internal_server_error, kTextContentType,
                            "internal error\n");
  }
  return MakeHttpResponse(req, static_cast<http::status>(reply.status), kTextContentType,
                          std::move(reply.body));
}

}  // namespace

std::string_view WebhookRequest::path() const { return RequestPath(Message(request_)); }

const std::string& WebhookRequest::body() const { return Message(request_).body(); }

std::string_view WebhookRequest::header(std::string_view name) const {
  const HttpRequest& req = Message(request_);
  const auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value());
}

WebhookServer::WebhookServer(WebhookServerConfig config)
    : config_(std::move(config)), routes_(std::make_unique<Routes>()) {}

WebhookServer::~WebhookServer() { Stop(); }

void WebhookServer::Handle(std::string path, Handler handler) {
  if (server_) throw std::logic_error("webhooks: Handle after Start");
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("webhooks: route '" + path + "' must start with '/'");
  if (!handler) throw std::invalid_argument("webhooks: route '" + path + "' has no handler");
  if (!routes_->handlers.emplace(path, std::move(handler)).second)
    throw std::invalid_argument("webhooks: route '" + path + "' registered twice");
}

void WebhookServer::Start() {
  if (server_) throw std::runtime_error("webhooks: Start called twice");
  server_ = std::make_unique<HttpServer>(
      ListenConfig("webhooks", config_), [routes = routes_.get()](const HttpRequest& req) {
        return Route(*routes, req, WebhookRequest(&req));
      });
  server_->Start();
}

void WebhookServer::Stop() {
  if (server_) server_->Stop();
}

uint16_t WebhookServer::port() const { return server_ ? server_->port() : 0; }
size_t WebhookServer::open_connections() const {
  return server_ ? server_->open_connections() : 0;
}
uint64_t WebhookServer::rejected_connections() const {
  return server_ ? server_->rejected_connections() : 0;
}

// ---------------------------------------------------------------------------------------
// Kakao Alimtalk results.

WebhookServer::Handler MakeAlimtalkWebhookHandler(providers::http::AlimtalkProvider& provider,
                                                  boost::asio::io_context& provider_io,
                                                  std::string secret,
                                                  std::shared_ptr<AlimtalkWebhookStats> stats,
                                                  std::string signature_header) {
  if (secret.empty())
    throw std::invalid_argument("webhooks: the Alimtalk webhook secret must be set");
  if (!stats) stats = std::make_shared<AlimtalkWebhookStats>();
  return [provider = &provider, io = &provider_io, secret = std::move(secret),
          stats = std::move(stats), signature_header = std::move(signature_header)](
             const WebhookRequest& req) -> WebhookReply {
    const std::string_view signature = req.header(signature_header);
    if (signature.empty() ||
        !providers::http::VerifyWebhookSignature(req.body(), secret, signature)) {
      stats->unauthorized.fetch_add(1, std::memory_order_relaxed);
      static std::atomic<int64_t> last_log{0};
      if (ShouldLogNow(last_log))
        spdlog::warn("webhooks: alimtalk request refused reason={} unauthorized_total={}",
                     signature.empty() ? "no signature" : "bad signature",
                     stats->unauthorized.load(std::memory_order_relaxed));
      return {401, "bad or missing signature\n"};
    }
    std::vector<providers::http::FinalResult> results;
    if (!providers::http::ParseWebhookResults(req.body(), results)) {
      stats->bad_bodies.fetch_add(1, std::memory_order_relaxed);
      std::string reason = DescribeWebhookBodyError(req.body());
      if (reason.empty()) reason = "body: unreadable";
      static std::atomic<int64_t> last_log{0};
      if (ShouldLogNow(last_log))
        spdlog::warn("webhooks: alimtalk body refused reason=\"{}\" bad_bodies_total={}",
                     reason, stats->bad_bodies.load(std::memory_order_relaxed));
      return {400, reason + "\n"};
    }
    stats->accepted.fetch_add(1, std::memory_order_relaxed);
    stats->results.fetch_add(results.size(), std::memory_order_relaxed);
    if (!results.empty()) {
      boost::asio::post(*io, [provider, results = std::move(results)] {
        provider->OnResults(results);
      });
    }
    return {200, "ok\n"};
  };
}

namespace {

namespace dom = simdjson::dom;

bool IsCode(dom::element value) {
  int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS)
    return number >= INT32_MIN && number <= INT32_MAX;
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS || text.empty()) return false;
  int code = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  return ec == std::errc() && p == text.data() + text.size();
}

// What is wrong with entry `item`, or "" when nothing is (ParseWebhookResults' rules).
std::string DescribeEntryError(dom::element item) {
  dom::object entry;
  if (item.get_object().get(entry) != simdjson::SUCCESS) return ": not an object";
  uint64_t seq = 0;
  if (entry["recipientSeq"].get_uint64().get(seq) != simdjson::SUCCESS || seq == 0 ||
      seq > UINT32_MAX)
    return ".recipientSeq: missing or not a positive integer";
  std::string_view text;
  if (entry["requestId"].get_string().get(text) != simdjson::SUCCESS || text.empty())
    return ".requestId: missing or not a non-empty string";
  std::string_view status;
  if (entry["messageStatus"].get_string().get(status) != simdjson::SUCCESS) status = "";
  if (status != "COMPLETED" && status != "FAILED") return "";
  dom::element code;
  if (entry["resultCode"].get(code) == simdjson::SUCCESS && !code.is_null())
    return IsCode(code) ? "" : ".resultCode: not an integer";
  return status == "FAILED" ? ".resultCode: missing for a FAILED message" : "";
}

}  // namespace

std::string DescribeWebhookBodyError(const std::string& body) {
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return "body: not JSON";
  dom::array list;
  if (root["results"].get_array().get(list) != simdjson::SUCCESS)
    return "results: missing or not an array";
  size_t index = 0;
  for (dom::element item : list) {
    std::string error = DescribeEntryError(item);
    if (!error.empty()) return "results[" + std::to_string(index) + "]" + error;
    ++index;
  }
  return "";
}

}  // namespace bulkd::dispatcher
