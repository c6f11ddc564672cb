// providers/http/http_client.h — a keep-alive HTTP/1.1 connection pool to one origin
// (http or https://host:port) on Boost.Beast, for the dealer APIs (Kakao, RCS): a cap on
// connections, a queue in front of them, a deadline per step, reconnect after any close,
// TLS through OpenSSL with peer and host-name verification.
//
// Thread-safety: confined to the thread running the given io_context; every method and
// every callback runs there. Nothing blocks; nothing throws after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace bulkd::providers::http {

using Millis = std::chrono::milliseconds;

enum class HttpErrc : uint8_t {
  kOk = 0,
  // Certainly not sent (no byte of the request was written): safe to send again.
  kStopped,          // Stop() was called, or the client destroyed, while queued
  kQueueTimeout,     // waited for a connection longer than total_timeout
  kResolveFailed,    // name resolution failed or timed out
  kConnectFailed,    // refused, unreachable, or connect_timeout
  kTlsFailed,        // handshake or certificate/host-name verification failed
  // Outcome unknown: the request was (at least partly) written, so the server may have
  // processed it. Resending it risks doing the work twice.
  kConnectionLost,   // closed or reset before a complete response
  kTimeout,          // no complete response within request_timeout
  kBadResponse,      // the bytes that came back are not HTTP/1.x
  kResponseTooLarge, // body above max_response_bytes
};
const std::error_category& HttpCategory();
std::error_code make_error_code(HttpErrc e);
// True for errors after which the server may have processed the request.
bool IsOutcomeUnknown(std::error_code ec);

// An origin and path: http(s)://host[:port][/path]. IPv6 hosts in brackets.
struct Url {
  bool tls = false;
  std::string host;
  uint16_t port = 80;
  std::string path;  // "" or starting with '/', without a trailing '/'
};
std::optional<Url> ParseUrl(std::string_view text);  // nullopt when malformed

struct HttpClientConfig {
  size_t max_connections = 8;        // open connections to the origin (>= 1)
  size_t queue_cap = 4096;           // requests waiting for a connection
  Millis connect_timeout{3000};      // resolve + TCP connect + TLS handshake
  Millis request_timeout{10000};     // write the request and read the whole response
  Millis total_timeout{30000};       // from Request() to the first byte written
  Millis idle_timeout{30000};        // an unused keep-alive connection closes after this
  uint32_t max_response_bytes = 16u << 20;
  bool verify_peer = true;           // https: verify the certificate chain and host name
  std::string ca_file;               // PEM bundle for https; "" = the system's default paths
};

enum class Method : uint8_t { kGet, kPost };

struct HttpRequest {
  Method method = Method::kGet;
  std::string target;  // path and query, e.g. "/alimtalk/v2.3/appkeys/k/messages"
  std::string content_type;  // set with a body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header named `name` (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

// Called exactly once per accepted request, on the io thread, never inside Request().
// `ec` empty: `response` holds whatever status the server sent.
using HttpCallback = std::function<void(std::error_code ec, HttpResponse&& response)>;

struct HttpClientStats {  // monotonic counters, for metrics and tests
  uint64_t requests = 0, responses = 0, connects = 0, connect_failures = 0, tls_failures = 0;
  uint64_t reused = 0, stale_closed = 0, idle_closed = 0, timeouts = 0, connections_lost = 0;
  uint64_t bad_responses = 0, queue_full = 0, queue_timeouts = 0;
};

class HttpClient {
 public:
  // Throws std::invalid_argument for max_connections == 0 or an unusable ca_file.
  HttpClient(boost::asio::io_context& io, Url origin, HttpClientConfig config);
  // Closes every connection at once; no callback runs after this returns. Must not be
  // called from inside a callback.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Queues one request; it goes out on an idle connection, a new one (below the cap), or
  // waits FIFO. Returns false, leaving `request` untouched and `callback` uncalled, when
  // the queue holds queue_cap requests or Stop() was called.
  bool Request(HttpRequest&& request, HttpCallback callback);

  // Refuses new requests, fails queued ones with kStopped, lets in-flight ones finish
  // (bounded by request_timeout), closes idle connections.
  void Stop();

  size_t connections() const;  // open or opening
  size_t busy() const;         // with a request in flight
  size_t queued() const;
  const Url& origin() const;
  const HttpClientStats& stats() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulkd::providers::http

template <>
struct std::is_error_code_enum<bulkd::providers::http::HttpErrc> : std::true_type {};
