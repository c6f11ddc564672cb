#include "dispatcher/http/http_server.h"

#include <pthread.h>

#include <utility>  // before Asio's awaitable headers (g++ 12 with Boost 1.81; docs/architecture.md)

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
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <tuple>
#include <thread>
#include <unordered_set>
#include <vector>

namespace bulkd::dispatcher {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  // Declared before `io`, so they outlive the coroutine frames `io` destroys last.
  HttpServerConfig config;
  Handler handler;
  std::atomic<size_t> open{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<int64_t> last_reject_log{0};
  std::atomic<int64_t> last_error_log{0};
  std::atomic<int64_t> last_handler_log{0};
  bool started = false;  // Start/Stop thread only
  bool stopped = false;
  bool stopping = false;  // io thread only, from here on
  std::unordered_set<beast::tcp_stream*> connections;

  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::steady_timer accept_backoff{io};
  std::thread thread;
};

bool ShouldLogNow(std::atomic<int64_t>& last_ms) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_ms.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 10000) return false;
  return last_ms.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

HttpResponse MakeHttpResponse(const HttpRequest& req, http::status status,
                              std::string_view content_type, std::string body) {
  HttpResponse res{status, req.version()};
  res.set(http::field::server, "bulkd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string_view RequestPath(const HttpRequest& req) {
  std::string_view path = req.target();
  return path.substr(0, path.find('?'));
}

namespace {

// Unregisters a connection when its coroutine ends, however it ends.
class ConnectionGuard {
 public:
  ConnectionGuard(HttpServer::Impl* impl, beast::tcp_stream* stream)
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
  HttpServer::Impl* impl_;
  beast::tcp_stream* stream_;
};

// The answer to a request that could not be parsed; the connection closes after it.
HttpResponse ParseErrorResponse(const beast::error_code& ec) {
  HttpRequest req{http::verb::unknown, "/", 11};
  req.keep_alive(false);
  if (ec == http::error::body_limit)
    return MakeHttpResponse(req, http::status::payload_too_large, kTextContentType,
                            "request body too large\n");
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return MakeHttpResponse(req, http::status::request_header_fields_too_large,
                            kTextContentType, "request header too large\n");
  return MakeHttpResponse(req, http::status::bad_request, kTextContentType, "bad request\n");
}

HttpResponse CallHandler(HttpServer::Impl& impl, const HttpRequest& req) {
  try {
    return impl.handler(req);
  } catch (const std::exception& e) {
    if (ShouldLogNow(impl.last_handler_log))
      spdlog::warn("{}: handler failed path={} error={}", impl.config.name, RequestPath(req),
                   e.what());
    return MakeHttpResponse(req, http::status::internal_server_error, kTextContentType,
                            "internal error\n");
  }
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

// Reads one whole request within `timeout` (one deadline for all of it). A client that
// sends "Expect: 100-continue" (curl does, for bodies over 1 KiB) waits for an interim
// "100 Continue" before the body: it gets one once the headers pass the limits.
net::awaitable<beast::error_code> ReadRequest(beast::tcp_stream& stream,
                                              beast::flat_buffer& buffer,
                                              http::request_parser<http::string_body>& parser,
                                              std::chrono::milliseconds timeout) {
  stream.expires_after(timeout);
  auto [ec, n] = co_await http::async_read_header(stream, buffer, parser,
                                                  net::as_tuple(net::use_awaitable));
  if (ec || parser.is_done()) co_return ec;
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> interim{http::status::continue_, parser.get().version()};
    std::tie(ec, n) =
        co_await http::async_write(stream, interim, net::as_tuple(net::use_awaitable));
    if (ec) co_return ec;
  }
  std::tie(ec, n) =
      co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
  co_return ec;
}

net::awaitable<void> Serve(HttpServer::Impl* impl, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  ConnectionGuard guard(impl, &stream);
  if (impl->stopping) co_return;
  const HttpServerConfig& config = impl->config;
  beast::flat_buffer buffer(config.max_header_bytes + config.max_body_bytes);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    const beast::error_code read_ec =
        co_await ReadRequest(stream, buffer, parser, config.request_timeout);
    HttpResponse res;
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
      res = CallHandler(*impl, parser.get());
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

net::awaitable<void> Accept(HttpServer::Impl* impl) {
  for (;;) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (impl->stopping || !impl->acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      if (ShouldLogNow(impl->last_error_log))
        spdlog::warn("{}: accept failed error={}", impl->config.name, ec.message());
      impl->accept_backoff.expires_after(std::chrono::milliseconds(100));
      co_await impl->accept_backoff.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    if (impl->open.load(std::memory_order_relaxed) >= impl->config.max_connections) {
      const uint64_t rejected = impl->rejected.fetch_add(1, std::memory_order_relaxed) + 1;
      if (ShouldLogNow(impl->last_reject_log))
        spdlog::warn("{}: connection limit reached max_connections={} rejected={}",
                     impl->config.name, impl->config.max_connections, rejected);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    impl->open.fetch_add(1, std::memory_order_relaxed);
    net::co_spawn(impl->io, Serve(impl, std::move(socket)), net::detached);
  }
}

}  // namespace

HttpServer::HttpServer(HttpServerConfig config, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handler = std::move(handler);
  if (!impl_->handler)
    throw std::invalid_argument(impl_->config.name + ": the request handler must be set");
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  Impl& impl = *impl_;
  const std::string& name = impl.config.name;
  if (impl.started) throw std::runtime_error(name + ": Start called twice");
  impl.started = true;
  const std::string where = impl.config.bind + ":" + std::to_string(impl.config.port);
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(impl.config.bind, ec);
  if (ec)
    throw std::runtime_error(name + ": " + name + ".bind '" + impl.config.bind +
                             "' is not an IP address");
  const tcp::endpoint endpoint(address, impl.config.port);
  auto fail = [&](const char* step) {
    throw std::runtime_error(name + ": cannot listen on " + where + ": " + step + ": " +
                             ec.message());
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
    const std::string thread_name = ("bulkd-" + impl.config.name).substr(0, 15);
    pthread_setname_np(pthread_self(), thread_name.c_str());
    try {
      impl.io.run();
    } catch (const std::exception& e) {
      spdlog::error("{}: io loop ended error={}", impl.config.name, e.what());
    }
  });
  spdlog::info("{}: listening address={}:{}", name, impl.config.bind, local.port());
}

void HttpServer::Stop() {
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
  spdlog::info("{}: stopped", impl.config.name);
}

size_t HttpServer::open_connections() const {
  return impl_->open.load(std::memory_order_relaxed);
}

uint64_t HttpServer::rejected_connections() const {
  return impl_->rejected.load(std::memory_order_relaxed);
}

}  // namespace bulkd::dispatcher
