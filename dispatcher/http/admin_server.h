// dispatcher/http/admin_server.h — the admin HTTP/1.1 endpoint: GET /metrics (Prometheus text
// format 0.0.4), GET /livez and GET /readyz, on a thread and io_context of its own so a
// stuck data plane never stalls a scrape or a probe.
//
//   200 /metrics  body from Metrics::Serialize() (or the given callback)
//   200 /livez    "ok" while the live callback returns true, else 503 "not live"
//   200 /readyz   "ok" / the reason, or 503 with the reason, from the ready callback
//   404 any other path; 405 another method on a known path (GET and HEAD are served);
//   400 a malformed request, 413/431 a body/header over the limits (then the
//   connection is closed); 500 when a callback throws.
//
// Served by HttpServer (http_server.h), which gives it keep-alive and a deadline per
// step: a whole request must arrive within `request_timeout` (this also bounds an idle
// keep-alive connection), a whole response must be written within `write_timeout`; past
// either the connection is closed. At most `max_connections` are open at once; one more
// is accepted and closed at once (counted in rejected_connections(), with a
// rate-limited WARN log).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bulkd::dispatcher {

class HttpServer;
class Metrics;

struct AdminServerConfig {
  std::string bind = "127.0.0.1";  // IPv4 or IPv6 literal address to listen on
  uint16_t port = 9464;            // 0 picks a free port: read it with port()
  std::chrono::milliseconds request_timeout{10000};  // to receive one whole request
  std::chrono::milliseconds write_timeout{10000};    // to send one whole response
  size_t max_header_bytes = 8 * 1024;  // request line + headers; more -> 431, close
  size_t max_body_bytes = 1024;        // GETs have no body; more -> 413, close
  size_t max_connections = 32;         // open at once; more are closed on accept
};

// What /readyz reports. `reason` is a short operator-readable text, e.g.
// "no provider connected"; it is the response body either way.
struct ReadyState {
  bool ready = false;
  std::string reason;
};

class AdminServer {
 public:
  using MetricsFn = std::function<std::string()>;
  using LiveFn = std::function<bool()>;
  using ReadyFn = std::function<ReadyState()>;

  // The callbacks run on the admin thread, one at a time, once per request: they must be
  // thread-safe with respect to the rest of the process, fast and non-blocking.
  // `metrics` must outlive the server.
  AdminServer(AdminServerConfig config, const Metrics& metrics, LiveFn live, ReadyFn ready);
  AdminServer(AdminServerConfig config, MetricsFn metrics, LiveFn live, ReadyFn ready);
  ~AdminServer();  // Stop()s
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens (synchronously: once it returns, connections are accepted), then
  // starts the admin thread. Throws std::runtime_error naming the address when the
  // address is invalid or cannot be bound, or when called twice. Call from one thread.
  void Start();
  // Closes the listener and every connection and joins the thread. Blocks for at most
  // the time one callback takes. Idempotent; no restart after Stop. Call from the
  // thread that called Start (never from a callback).
  void Stop();

  // The bound port (the chosen one when config.port was 0); 0 before Start. Thread-safe.
  uint16_t port() const;
  // Connections open now / closed on accept because max_connections were open.
  // Thread-safe.
  size_t open_connections() const;
  uint64_t rejected_connections() const;

  struct Callbacks;

 private:
  std::unique_ptr<Callbacks> callbacks_;  // before server_: its handler refers to them
  std::unique_ptr<HttpServer> server_;
};

}  // namespace bulkd::dispatcher
