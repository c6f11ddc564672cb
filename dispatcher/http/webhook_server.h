// dispatcher/http/webhook_server.h — receives providers' result webhooks (Kakao dealers POST
// final results, signed) on a listen address of its own, apart from the admin port, so
// it can be exposed to a dealer without exposing /metrics.
//
// Routes are exact paths registered before Start(). Per request:
//   the route's handler status/body   POST to a registered path
//   404 unknown path; 405 another method on a known path (Allow: POST);
//   400 bytes that are not HTTP, 413 a body over max_body_bytes, 431 headers over
//   max_header_bytes (those three close the connection); 500 when a handler throws.
// Keep-alive, a deadline per step and the connection cap come from HttpServer
// (http_server.h): a slow or silent peer is closed after request_timeout.
//
// Threading: the server runs on its own io thread and calls handlers there, one at a
// time. A handler must not touch a provider directly: it hands results to the provider's
// own io thread with boost::asio::post (MakeAlimtalkWebhookHandler does exactly that).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}
namespace bulkd::providers::http {
class AlimtalkProvider;
class DealerProvider;
struct FinalResult;
}

namespace bulkd::dispatcher {

class HttpServer;

struct WebhookServerConfig {
  std::string bind = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" to face a dealer
  uint16_t port = 9465;            // 0 picks a free port: read it with port()
  std::chrono::milliseconds request_timeout{10000};  // to receive one whole request
  std::chrono::milliseconds write_timeout{10000};    // to send one whole response
  size_t max_header_bytes = 8 * 1024;          // request line + headers; more -> 431
  size_t max_body_bytes = 4 * 1024 * 1024;     // a 1,000-result batch is ~200 KiB
  size_t max_connections = 64;                 // open at once; more are closed on accept
};

// One request as a handler sees it; valid only during the handler call.
class WebhookRequest {
 public:
  std::string_view path() const;  // without the query string
  const std::string& body() const;
  // The first value of header `name` (case-insensitive), "" when absent.
  std::string_view header(std::string_view name) const;

 private:
  friend class WebhookServer;
  explicit WebhookRequest(const void* request) : request_(request) {}
  const void* request_;  // the Beast request (http_server.h)
};

struct WebhookReply {
  int status = 200;
  std::string body;  // text/plain; a short reason for an error status
};

class WebhookServer {
 public:
  using Handler = std::function<WebhookReply(const WebhookRequest&)>;

  explicit WebhookServer(WebhookServerConfig config);
  ~WebhookServer();  // Stop()s
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  // Serves POST `path` (exact match, query string ignored) with `handler`. Before
  // Start() only. Throws std::logic_error after Start, and std::invalid_argument for a
  // path not starting with '/', a path registered twice or an empty handler.
  void Handle(std::string path, Handler handler);

  // Binds and listens (once it returns, connections are accepted) and starts the server
  // thread. Throws std::runtime_error naming the address ("webhooks.bind") when it cannot.
  void Start();
  // Closes the listener and every connection and joins the thread; blocks for at most
  // one handler call. Idempotent. Call from the thread that called Start. After it
  // returns no handler runs; work a handler posted elsewhere may still be queued there.
  void Stop();

  uint16_t port() const;  // the bound port; 0 before Start. Thread-safe.
  size_t open_connections() const;       // thread-safe
  uint64_t rejected_connections() const;  // closed on accept (cap); thread-safe

  struct Routes;

 private:
  WebhookServerConfig config_;
  std::unique_ptr<Routes> routes_;      // before server_: its handler refers to them
  std::unique_ptr<HttpServer> server_;  // created by Start
};

// Counters of one Alimtalk webhook route, for metrics and tests; monotonic, thread-safe.
struct AlimtalkWebhookStats {
  std::atomic<uint64_t> accepted{0};      // requests answered 200
  std::atomic<uint64_t> results{0};       // results in them, handed to the provider
  std::atomic<uint64_t> unauthorized{0};  // missing or wrong signature: 401
  std::atomic<uint64_t> bad_bodies{0};    // signed but unreadable: 400
};

// The handler for a Kakao Alimtalk result webhook (NHN Cloud shape), with the checks of
// alimtalk_webhook.h: a missing or wrong `signature_header` (hex HMAC-SHA256 of the body
// keyed by `secret`) gets 401 and applies nothing; an unreadable body gets 400 with a
// reason that names the bad field; else it posts provider.OnResults(results) to
// `provider_io` (the provider's shard) and answers 200. Repeated or out-of-order results are fine: OnResults reports
// each message at most once.
// `provider` and `provider_io` must outlive the server, and the provider must outlive
// `provider_io`'s last run (stop the webhook server first, then the shard). `stats` may
// be null. Throws std::invalid_argument when `secret` is empty.
WebhookServer::Handler MakeAlimtalkWebhookHandler(
    providers::http::AlimtalkProvider& provider, boost::asio::io_context& provider_io,
    std::string secret, std::shared_ptr<AlimtalkWebhookStats> stats = nullptr,
    std::string signature_header = "X-Signature");

// Reads one product's result webhook body into results; false when unreadable.
using WebhookResultsParser = bool (*)(const std::string& body,
                                      std::vector<providers::http::FinalResult>& out);

// The handler for another dealer product's result webhook (Friendtalk: the Alimtalk
// body, ParseWebhookResults; RCS: ParseRcsWebhookResults), with the same rules: a
// missing or wrong `signature_header` gets 401 and applies nothing, a body `parse`
// refuses gets 400, else provider.OnResults(results) is posted to `provider_io` and the
// answer is 200. Lifetimes and errors as MakeAlimtalkWebhookHandler.
WebhookServer::Handler MakeDealerWebhookHandler(providers::http::DealerProvider& provider,
                                                boost::asio::io_context& provider_io,
                                                std::string secret, WebhookResultsParser parse,
                                                std::string signature_header = "X-Signature");

}  // namespace bulkd::dispatcher
