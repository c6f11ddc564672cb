#include "dispatcher/http/admin_server.h"

#include <stdexcept>
#include <string_view>

#include "dispatcher/http/http_server.h"
#include "dispatcher/metrics.h"

namespace bulkd::dispatcher {

namespace http = boost::beast::http;

struct AdminServer::Callbacks {
  MetricsFn metrics;
  LiveFn live;
  ReadyFn ready;
};

namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse Handle(const AdminServer::Callbacks& callbacks, const HttpRequest& req) {
  const std::string_view path = RequestPath(req);
  enum class Route { kMetrics, kLive, kReady } route;
  if (path == "/metrics") route = Route::kMetrics;
  else if (path == "/livez") route = Route::kLive;
  else if (path == "/readyz") route = Route::kReady;
  else return MakeHttpResponse(req, http::status::not_found, kTextContentType, "not found\n");

  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    HttpResponse res = MakeHttpResponse(req, http::status::method_not_allowed,
                                        kTextContentType, "method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }

  HttpResponse res;
  switch (route) {  // a callback that throws: HttpServer answers 500
    case Route::kMetrics:
      res = MakeHttpResponse(req, http::status::ok, kMetricsContentType, callbacks.metrics());
      break;
    case Route::kLive: {
      const bool live = callbacks.live();
      res = MakeHttpResponse(req, live ? http::status::ok : http::status::service_unavailable,
                             kTextContentType, live ? "ok\n" : "not live\n");
      break;
    }
    case Route::kReady: {
      ReadyState state = callbacks.ready();
      if (state.reason.empty()) state.reason = state.ready ? "ok" : "not ready";
      res = MakeHttpResponse(req,
                             state.ready ? http::status::ok : http::status::service_unavailable,
                             kTextContentType, state.reason + "\n");
      break;
    }
  }
  if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays
  return res;
}

}  // namespace

AdminServer::AdminServer(AdminServerConfig config, const Metrics& metrics, LiveFn live,
                         ReadyFn ready)
    : AdminServer(std::move(config), [&metrics] { return metrics.Serialize(); },
                  std::move(live), std::move(ready)) {}

AdminServer::AdminServer(AdminServerConfig config, MetricsFn metrics, LiveFn live,
                         ReadyFn ready)
    : callbacks_(std::make_unique<Callbacks>(
          Callbacks{std::move(metrics), std::move(live), std::move(ready)})) {
  if (!callbacks_->metrics || !callbacks_->live || !callbacks_->ready)
    throw std::invalid_argument("admin: every callback must be set");
  server_ = std::make_unique<HttpServer>(
      ListenConfig("admin", config),
      [callbacks = callbacks_.get()](const HttpRequest& req) { return Handle(*callbacks, req); });
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Start() { server_->Start(); }
void AdminServer::Stop() { server_->Stop(); }
uint16_t AdminServer::port() const { return server_->port(); }
size_t AdminServer::open_connections() const { return server_->open_connections(); }
uint64_t AdminServer::rejected_connections() const { return server_->rejected_connections(); }

}  // namespace bulkd::dispatcher
