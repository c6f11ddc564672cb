#include "dispatcher/http/webhook_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "dispatcher/http/alimtalk_webhook.h"
#include "dispatcher/http/http_server.h"
#include "providers/http/alimtalk_provider.h"
#include "providers/http/dealer_provider.h"

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
    std::vector<providers::http::FinalResult> results;
    std::string reason;
    const std::string_view signature = req.header(signature_header);
    switch (CheckAlimtalkWebhook(signature, req.body(), secret, results, reason)) {
      case AlimtalkWebhookVerdict::kAccepted:
        break;
      case AlimtalkWebhookVerdict::kUnauthorized: {
        stats->unauthorized.fetch_add(1, std::memory_order_relaxed);
        static std::atomic<int64_t> last_log{0};
        if (ShouldLogNow(last_log))
          spdlog::warn("webhooks: alimtalk request refused reason={} unauthorized_total={}",
                       signature.empty() ? "no signature" : "bad signature",
                       stats->unauthorized.load(std::memory_order_relaxed));
        return {401, "bad or missing signature\n"};
      }
      case AlimtalkWebhookVerdict::kBadBody: {
        stats->bad_bodies.fetch_add(1, std::memory_order_relaxed);
        static std::atomic<int64_t> last_log{0};
        if (ShouldLogNow(last_log))
          spdlog::warn("webhooks: alimtalk body refused reason=\"{}\" bad_bodies_total={}",
                       reason, stats->bad_bodies.load(std::memory_order_relaxed));
        return {400, reason + "\n"};
      }
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

WebhookServer::Handler MakeDealerWebhookHandler(providers::http::DealerProvider& provider,
                                                boost::asio::io_context& provider_io,
                                                std::string secret, WebhookResultsParser parse,
                                                std::string signature_header) {
  if (secret.empty()) throw std::invalid_argument("webhooks: the webhook secret must be set");
  if (!parse) throw std::invalid_argument("webhooks: a results parser is required");
  return [provider = &provider, io = &provider_io, secret = std::move(secret), parse,
          signature_header = std::move(signature_header)](const WebhookRequest& req) -> WebhookReply {
    if (!providers::http::VerifyWebhookSignature(req.body(), secret, req.header(signature_header))) {
      static std::atomic<int64_t> last_log{0};
      if (ShouldLogNow(last_log))
        spdlog::warn("webhooks: provider={} request refused: bad or missing signature", provider->name());
      return {401, "bad or missing signature\n"};
    }
    std::vector<providers::http::FinalResult> results;
    if (!parse(req.body(), results)) return {400, "results: unreadable body\n"};
    if (!results.empty()) {
      boost::asio::post(*io, [provider, results = std::move(results)] { provider->OnResults(results); });
    }
    return {200, "ok\n"};
  };
}

}  // namespace bulkd::dispatcher
