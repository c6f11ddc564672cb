// dispatcher/http/http_server.h — the HTTP/1.1 server loop that bulkd's own endpoints share
// (admin_server.h: /metrics and probes; webhook_server.h: provider result webhooks): one
// listener on a thread and io_context of its own, so a stuck data plane never stalls it,
// and one synchronous handler that turns a whole request into a whole response.
//
// What the loop does for every endpoint: keep-alive; "100 Continue" to a request that
// expects it, once its headers pass the limits; a deadline per step (a whole request
// must arrive within `request_timeout`, which also bounds an idle keep-alive connection;
// a whole response must be written within `write_timeout`; past either the connection is
// closed without an answer); 400 for bytes that are not HTTP, 413 for a body over
// `max_body_bytes`, 431 for a request line + headers over `max_header_bytes` (each then
// closes the connection after a short lingering drain, so the peer sees the answer);
// 500 when the handler throws; at most `max_connections` open at once (one more is
// accepted and closed at once, counted, with a rate-limited WARN log).
//
// Internal to the dispatcher module: it exposes Beast's message types.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

namespace bulkd::dispatcher {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

inline constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

struct HttpServerConfig {
  // Names the endpoint: log prefix ("admin: ..."), thread name ("bulkd-admin"), and the
  // config section in start-up errors ("admin.bind"). Short, lower case.
  std::string name = "http";
  std::string bind = "127.0.0.1";  // IPv4 or IPv6 literal address to listen on
  uint16_t port = 0;               // 0 picks a free port: read it with port()
  std::chrono::milliseconds request_timeout{10000};  // to receive one whole request
  std::chrono::milliseconds write_timeout{10000};    // to send one whole response
  size_t max_header_bytes = 8 * 1024;  // request line + headers; more -> 431, close
  size_t max_body_bytes = 1024;        // more -> 413, close
  size_t max_connections = 32;         // open at once; more are closed on accept
};

// The HttpServerConfig of an endpoint named `name` whose own config struct (admin,
// webhooks) carries the same listen fields.
template <typename EndpointConfig>
HttpServerConfig ListenConfig(std::string name, const EndpointConfig& config) {
  HttpServerConfig out;
  out.name = std::move(name);
  out.bind = config.bind;
  out.port = config.port;
  out.request_timeout = config.request_timeout;
  out.write_timeout = config.write_timeout;
  out.max_header_bytes = config.max_header_bytes;
  out.max_body_bytes = config.max_body_bytes;
  out.max_connections = config.max_connections;
  return out;
}

class HttpServer {
 public:
  // Answers one parsed request. Runs on the server thread, one request at a time: it must
  // be fast, non-blocking and thread-safe with respect to the rest of the process. An
  // exception it throws becomes a 500 (logged, rate-limited). Build answers with
  // MakeHttpResponse so version and keep-alive follow the request.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Throws std::invalid_argument when `handler` is empty.
  HttpServer(HttpServerConfig config, Handler handler);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (synchronously: once it returns, connections are accepted), then
  // starts the server thread. Throws std::runtime_error naming the address when the
  // address is invalid or cannot be bound, or when called twice. Call from one thread.
  void Start();
  // Closes the listener and every connection and joins the thread. Blocks for at most
  // the time one handler call takes. Idempotent; no restart after Stop. Call from the
  // thread that called Start (never from a handler).
  void Stop();

  // The bound port (the chosen one when config.port was 0); 0 before Start. Thread-safe.
  uint16_t port() const { return port_.load(std::memory_order_relaxed); }
  // Connections open now / closed on accept because max_connections were open.
  // Thread-safe.
  size_t open_connections() const;
  uint64_t rejected_connections() const;

  struct Impl;  // internal: shared with the connection coroutines in http_server.cc

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<uint16_t> port_{0};
};

// A response to `req` (same HTTP version, keep-alive as the request asks) with Server,
// Content-Type, Cache-Control: no-store and Content-Length set.
HttpResponse MakeHttpResponse(const HttpRequest& req, boost::beast::http::status status,
                              std::string_view content_type, std::string body);

// The request target without its query string.
std::string_view RequestPath(const HttpRequest& req);

// True at most once per 10 s per site (pass a static atomic): for rate-limited WARN logs
// on paths a peer can trigger at will. Thread-safe.
bool ShouldLogNow(std::atomic<int64_t>& last_ms);

}  // namespace bulkd::dispatcher
