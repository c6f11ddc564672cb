#include "dispatcher/admin_server.h"

#include <pthread.h>

#include <utility>  // before Asio's awaitable headers (DESIGN.md)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "dispatcher/metrics.h"

namespace bulkd::dispatcher {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct AdminServer::Impl {
  // Declared before `io`, so they outlive the coroutine frames `io` destroys last.
  AdminServerConfig config;
  MetricsFn metrics;
  LiveFn live;
  ReadyFn ready;
  std::atomic<size_t> open{0};
  std::atomic<uint64_t> rejected{0};
  bool started = false;  // Start/Stop thread only
  bool stopped = false;
  bool stopping = false;  // io thread only, from here on
  std::unordered_set<beast::tcp_stream*> connections;

  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::steady_timer accept_backoff{io};
  std::thread thread;
};

namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// True at most once per 10 s per site (pass a static atomic). Thread-safe.
bool ShouldLog(std::atomic<int64_t>& last_ms) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_ms.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 10000) return false;
  return last_ms.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

// Unregisters a connection when its coroutine ends, however it ends.
class ConnectionGuard {
 public:
  ConnectionGuard(AdminServer::Impl* impl, beast::tcp_stream* stream)
      : impl_(impl), stream_(stream) {
    impl_->connections.insert(stream_);
  }
  ~ConnectionGuard() {
    impl_->connections.erase(stream_);
    impl_->open.fetch_sub(1, std::memory_order_relaxed);
  }
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

 private:
  AdminServer::Impl* impl_;
  beast::tcp_stream* stream_;
};

Response MakeResponse(http::status status, unsigned version, bool keep_alive,
                      std::string_view content_type, std::string body) {
  Response res{status, version};
  res.set(http::field::server, "bulkd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// The answer to a request that could not be parsed; the connection closes after it.
Response ParseErrorResponse(const beast::error_code& ec) {
  if (ec == http::error::body_limit)
    return MakeResponse(http::status::payload_too_large, 11, false, kTextContentType,
                        "request body too large\n");
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return MakeResponse(http::status::request_header_fields_too_large, 11, false,
                        kTextContentType, "request header too large\n");
  return MakeResponse(http::status::bad_request, 11, false, kTextContentType,
                      "bad request\n");
}

Response Handle(AdminServer::Impl& impl, const Request& req) {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));

  enum class Route { kMetrics, kLive, kReady } route;
  if (path == "/metrics") route = Route::kMetrics;
  else if (path == "/livez") route = Route::kLive;
  else if (path == "/readyz") route = Route::kReady;
  else return MakeResponse(http::status::not_found, version, keep_alive, kTextContentType, "not found\n");

  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = MakeResponse(http::status::method_not_allowed, version, keep_alive,
                                kTextContentType, "method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }

  Response res;
  try {
    switch (route) {
      case Route::kMetrics:
        res = MakeResponse(http::status::ok, version, keep_alive, kMetricsContentType,
                           impl.metrics());
        break;
      case Route::kLive: {
        const bool live = impl.live();
        res = MakeResponse(live ? http::status::ok : http::status::service_unavailable,
                           version, keep_alive, kTextContentType, live ? "ok\n" : "not live\n");
        break;
      }
      case Route::kReady: {
        ReadyState state = impl.ready();
        if (state.reason.empty()) state.reason = state.ready ? "ok" : "not ready";
        res = MakeResponse(state.ready ? http::status::ok : http::status::service_unavailable,
                           version, keep_alive, kTextContentType, state.reason + "\n");
        break;
      }
    }
  } catch (const std::exception& e) {
    static std::atomic<int64_t> last_log{0};
    if (ShouldLog(last_log)) spdlog::warn("admin: handler failed path={} error={}", path, e.what());
    return MakeResponse(http::status::internal_server_error, version, keep_alive,
                        kTextContentType, "internal error\n");
  }
  if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays
  return res;
}

// After refusing a request the peer may still be sending it; closing a socket with
// unread bytes makes the kernel send RST, which can destroy the error response before the
// peer reads it. So read and discard until the peer goes quiet for 100 ms, stops, or has
// sent 64 KiB more, at most 1 s in all (a "lingering close").
net::awaitable<void> DrainBeforeClose(beast::tcp_stream* stream) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::vector<char> scratch(4096);
  for (size_t drained = 0; drained < 64 * 1024;) {
    if (std::chrono::steady_clock::now() >= give_up) co_return;
    stream->expires_after(std::chrono::milliseconds(100));
    auto [ec, n] = co_await stream->async_read_some(net::buffer(scratch),
                                                   net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    drained += n;
  }
}

net::awaitable<void> Serve(AdminServer::Impl* impl, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  ConnectionGuard guard(impl, &stream);
  if (impl->stopping) co_return;
  const AdminServerConfig& config = impl->config;
  beast::flat_buffer buffer(config.max_header_bytes + config.max_body_bytes);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    stream.expires_after(config.request_timeout);
    auto [read_ec, read_bytes] =
        co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
    Response res;
    bool refused = false;
    if (read_ec) {
      // Peer closed, deadline passed, Stop() closed us, or the bytes are no HTTP.
      const bool parse_error =
          read_ec.category() == http::make_error_code(http::error::bad_method).category();
      if (!parse_error || read_ec == http::error::end_of_stream ||
          read_ec == http::error::partial_message) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
      res = ParseErrorResponse(read_ec);
      refused = true;
    } else {
      res = Handle(*impl, parser.get());
    }
    stream.expires_after(config.write_timeout);
    auto [write_ec, written] =
        co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
    if (write_ec || !res.keep_alive() || impl->stopping) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (refused && !write_ec && !impl->stopping) co_await DrainBeforeClose(&stream);
      co_return;
    }
  }
}

net::awaitable<void> Accept(AdminServer::Impl* impl) {
  static std::atomic<int64_t> last_reject_log{0};
  static std::atomic<int64_t> last_error_log{0};
  for (;;) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (impl->stopping || !impl->acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      if (ShouldLog(last_error_log)) spdlog::warn("admin: accept failed error={}", ec.message());
      impl->accept_backoff.expires_after(std::chrono::milliseconds(100));
      co_await impl->accept_backoff.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    if (impl->open.load(std::memory_order_relaxed) >= impl->config.max_connections) {
      const uint64_t rejected = impl->rejected.fetch_add(1, std::memory_order_relaxed) + 1;
      if (ShouldLog(last_reject_log))
        spdlog::warn("admin: connection limit reached max_connections={} rejected={}",
                     impl->config.max_connections, rejected);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    impl->open.fetch_add(1, std::memory_order_relaxed);
    net::co_spawn(impl->io, Serve(impl, std::move(socket)), net::detached);
  }
}

}  // namespace

AdminServer::AdminServer(AdminServerConfig config, const Metrics& metrics, LiveFn live,
                         ReadyFn ready)
    : AdminServer(std::move(config), [&metrics] { return metrics.Serialize(); },
                  std::move(live), std::move(ready)) {}

AdminServer::AdminServer(AdminServerConfig config, MetricsFn metrics, LiveFn live,
                         ReadyFn ready)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->metrics = std::move(metrics);
  impl_->live = std::move(live);
  impl_->ready = std::move(ready);
  if (!impl_->metrics || !impl_->live || !impl_->ready)
    throw std::invalid_argument("admin: every callback must be set");
}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Start() {
  Impl& impl = *impl_;
  if (impl.started) throw std::runtime_error("admin: Start called twice");
  impl.started = true;
  const std::string where = impl.config.bind + ":" + std::to_string(impl.config.port);
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(impl.config.bind, ec);
  if (ec) throw std::runtime_error("admin: admin.bind '" + impl.config.bind + "' is not an IP address");
  const tcp::endpoint endpoint(address, impl.config.port);
  auto fail = [&](const char* step) {
    throw std::runtime_error("admin: cannot listen on " + where + ": " + step + ": " + ec.message());
  };
  impl.acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) fail("SO_REUSEADDR");
  impl.acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen");
  const tcp::endpoint local = impl.acceptor.local_endpoint(ec);
  if (ec) fail("getsockname");
  port_.store(local.port(), std::memory_order_relaxed);

  net::co_spawn(impl.io, Accept(&impl), net::detached);
  impl.thread = std::thread([&impl] {
    pthread_setname_np(pthread_self(), "bulkd-admin");
    try {
      impl.io.run();
    } catch (const std::exception& e) {
      spdlog::error("admin: io loop ended error={}", e.what());
    }
  });
  spdlog::info("admin: listening address={}:{}", impl.config.bind, local.port());
}

void AdminServer::Stop() {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) {
    impl.stopped = true;
    return;
  }
  impl.stopped = true;
  net::post(impl.io, [&impl] {
    impl.stopping = true;
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    impl.accept_backoff.cancel();
    for (beast::tcp_stream* stream : impl.connections) stream->close();
  });
  if (!impl.thread.joinable()) return;  // Start failed before the thread ran
  impl.thread.join();
  spdlog::info("admin: stopped");
}

size_t AdminServer::open_connections() const {
  return impl_->open.load(std::memory_order_relaxed);
}

uint64_t AdminServer::rejected_connections() const {
  return impl_->rejected.load(std::memory_order_relaxed);
}

}  // namespace bulkd::dispatcher
