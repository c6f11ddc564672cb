#include "providers/http/http_client.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <utility>  // before Asio's awaitable headers (g++ 12 with Boost 1.81; docs/architecture.md)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <deque>
#include <stdexcept>
#include <unordered_set>
#include <variant>

namespace bulkd::providers::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr auto kDnsCacheTtl = std::chrono::seconds(60);
constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "http"; }
  std::string message(int value) const override {
    switch (static_cast<HttpErrc>(value)) {
      case HttpErrc::kOk: return "ok";
      case HttpErrc::kStopped: return "client stopped before sending";
      case HttpErrc::kQueueTimeout: return "no connection free before the total deadline";
      case HttpErrc::kResolveFailed: return "name resolution failed";
      case HttpErrc::kConnectFailed: return "connect failed";
      case HttpErrc::kTlsFailed: return "TLS handshake or verification failed";
      case HttpErrc::kConnectionLost: return "connection lost, outcome unknown";
      case HttpErrc::kTimeout: return "response timeout, outcome unknown";
      case HttpErrc::kBadResponse: return "malformed HTTP response, outcome unknown";
      case HttpErrc::kResponseTooLarge: return "response too large, outcome unknown";
    }
    return "unknown http error";
  }
};

}  // namespace

const std::error_category& HttpCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(HttpErrc e) { return {static_cast<int>(e), HttpCategory()}; }

bool IsOutcomeUnknown(std::error_code ec) {
  return ec == HttpErrc::kConnectionLost || ec == HttpErrc::kTimeout ||
         ec == HttpErrc::kBadResponse || ec == HttpErrc::kResponseTooLarge;
}

std::optional<Url> ParseUrl(std::string_view text) {
  Url url;
  if (text.substr(0, 7) == "http://") {
    text.remove_prefix(7);
  } else if (text.substr(0, 8) == "https://") {
    text.remove_prefix(8);
    url.tls = true;
    url.port = 443;
  } else {
    return std::nullopt;
  }
  const size_t end = text.find_first_of("/?#");
  std::string_view authority = text.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view() : text.substr(end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (!path.empty() && path.front() != '/') return std::nullopt;
  if (path.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (url.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    url.port = static_cast<uint16_t>(value);
  }
  url.path = std::string(path);
  return url;
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

namespace {

struct Pending {
  HttpRequest request;
  HttpCallback callback;
  SteadyClock::time_point enqueued;
};

// An idle worker parked on its timer; Request() hands it work and cancels the timer.
struct Waiter {
  net::steady_timer* timer = nullptr;
  std::optional<Pending> handoff;
};

// One connection: plain or TLS, never both.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream* lowest() {
    if (plain) return &*plain;
    if (tls) return &beast::get_lowest_layer(*tls);
    return nullptr;
  }
  bool open() {
    beast::tcp_stream* s = lowest();
    return s && s->socket().is_open();
  }
  void Close() {
    if (beast::tcp_stream* s = lowest()) {
      beast::error_code ignored;
      s->socket().shutdown(tcp::socket::shutdown_both, ignored);
      s->socket().close(ignored);
    }
    buffer.clear();
  }
  void Reset() {
    Close();
    plain.reset();
    tls.reset();
  }
};

}  // namespace

class HttpClient::Impl {
 public:
  Impl(net::io_context& io_context, Url url, HttpClientConfig cfg)
      : io(io_context), origin(std::move(url)), config(std::move(cfg)) {}

  net::io_context& io;
  Url origin;
  HttpClientConfig config;
  std::string host_header;
  std::optional<ssl::context> ssl_ctx;
  std::deque<Pending> queue;
  std::vector<Waiter*> idle;  // LIFO: the warmest connection is reused first
  std::unordered_set<Connection*> conns;
  size_t workers = 0;
  size_t busy = 0;
  bool stopped = false;
  bool destroyed = false;
  HttpClientStats stats;
  std::vector<tcp::endpoint> endpoints;  // resolved origin, cached for kDnsCacheTtl
  SteadyClock::time_point endpoints_expiry{};
};

namespace {

using Impl = HttpClient::Impl;
using ImplPtr = std::shared_ptr<Impl>;

// Hands the result to the caller on a later turn of the loop (never inside Request()),
// unless the client is gone.
void Complete(const ImplPtr& impl, Pending&& job, std::error_code ec, HttpResponse&& response) {
  net::post(impl->io, [impl, callback = std::move(job.callback), ec,
                       response = std::move(response)]() mutable {
    if (!impl->destroyed) callback(ec, std::move(response));
  });
}

// Fails every queued request with `ec` (they would all meet the same wall).
void FailQueue(const ImplPtr& impl, std::error_code ec) {
  std::deque<Pending> queue = std::move(impl->queue);
  impl->queue.clear();
  for (Pending& p : queue) Complete(impl, std::move(p), ec, {});
}

HttpErrc ClassifyIo(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return HttpErrc::kTimeout;
  if (ec == bhttp::error::body_limit) return HttpErrc::kResponseTooLarge;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    return HttpErrc::kConnectionLost;
  }
  if (ec.category() == beast::error_code(bhttp::error::end_of_stream).category() ||
      ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return HttpErrc::kBadResponse;  // bytes that are not an HTTP/1.x response
  }
  return HttpErrc::kConnectionLost;  // eof, reset, broken pipe, aborted, TLS truncation
}

// True when an idle connection can no longer be used: the peer closed it (EOF), it
// failed, or (plain TCP) it holds bytes nobody asked for. A TLS connection may hold
// records (session tickets), so only EOF and errors count there.
bool PeerClosed(Connection& conn) {
  beast::tcp_stream* s = conn.lowest();
  if (!s || !s->socket().is_open()) return true;
  char byte;
  const ssize_t n = ::recv(s->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n > 0) return conn.plain.has_value();
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

net::awaitable<std::error_code> Resolve(ImplPtr impl, std::vector<tcp::endpoint>* out) {
  const auto now = SteadyClock::now();
  if (!impl->endpoints.empty() && now < impl->endpoints_expiry) {
    *out = impl->endpoints;
    co_return std::error_code();
  }
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(impl->origin.host, ec);
  if (!ec) {
    impl->endpoints = {tcp::endpoint(address, impl->origin.port)};
    impl->endpoints_expiry = SteadyClock::time_point::max();
    *out = impl->endpoints;
    co_return std::error_code();
  }
  using namespace net::experimental::awaitable_operators;
  tcp::resolver resolver(impl->io);
  net::steady_timer timer(impl->io, impl->config.connect_timeout);
  auto result = co_await (
      resolver.async_resolve(impl->origin.host, std::to_string(impl->origin.port), kTuple) ||
      timer.async_wait(kTuple));
  if (result.index() != 0) co_return HttpErrc::kResolveFailed;  // timed out
  auto& [rec, results] = std::get<0>(result);
  if (rec || results.empty()) co_return HttpErrc::kResolveFailed;
  impl->endpoints.clear();
  for (const auto& entry : results) impl->endpoints.push_back(entry.endpoint());
  impl->endpoints_expiry = now + kDnsCacheTtl;
  *out = impl->endpoints;
  co_return std::error_code();
}

net::awaitable<std::error_code> Connect(ImplPtr impl, Connection* conn) {
  ++impl->stats.connects;
  conn->Reset();
  std::vector<tcp::endpoint> endpoints;
  if (std::error_code ec = co_await Resolve(impl, &endpoints)) {
    ++impl->stats.connect_failures;
    co_return ec;
  }
  if (impl->destroyed) co_return HttpErrc::kStopped;
  if (impl->origin.tls) {
    conn->tls.emplace(impl->io, *impl->ssl_ctx);
  } else {
    conn->plain.emplace(impl->io);
  }
  beast::tcp_stream& layer = *conn->lowest();
  layer.expires_after(impl->config.connect_timeout);
  auto [ec, endpoint] = co_await layer.async_connect(endpoints, kTuple);
  if (ec) {
    ++impl->stats.connect_failures;
    conn->Reset();
    co_return impl->destroyed ? HttpErrc::kStopped : HttpErrc::kConnectFailed;
  }
  layer.socket().set_option(tcp::no_delay(true), ec);
  if (conn->tls) {
    // SNI, and the certificate must name the host we asked for.
    SSL_set_tlsext_host_name(conn->tls->native_handle(), impl->origin.host.c_str());
    if (impl->config.verify_peer) {
      conn->tls->set_verify_callback(ssl::host_name_verification(impl->origin.host));
    }
    layer.expires_after(impl->config.connect_timeout);
    auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      ++impl->stats.tls_failures;
      conn->Reset();
      co_return impl->destroyed ? HttpErrc::kStopped : HttpErrc::kTlsFailed;
    }
  }
  co_return std::error_code();
}

template <class Stream>
net::awaitable<std::error_code> Exchange(Stream& stream, beast::flat_buffer& buffer,
                                         bhttp::request<bhttp::string_body>& request,
                                         const HttpClientConfig& config, HttpResponse* out,
                                         bool* keep_alive) {
  beast::get_lowest_layer(stream).expires_after(config.request_timeout);
  auto [wec, written] = co_await bhttp::async_write(stream, request, kTuple);
  if (wec) co_return ClassifyIo(wec);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(config.max_response_bytes);
  parser.header_limit(kMaxResponseHeaderBytes);
  auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
  if (rec) co_return ClassifyIo(rec);
  auto& res = parser.get();
  out->status = res.result_int();
  out->body = std::move(res.body());
  for (const auto& field : res) {
    out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  // Bytes after the response were never asked for: the connection is not reusable.
  *keep_alive = res.keep_alive() && buffer.size() == 0;
  co_return std::error_code();
}

bhttp::request<bhttp::string_body> BuildRequest(const Impl& impl, HttpRequest& in) {
  bhttp::request<bhttp::string_body> req{
      in.method == Method::kPost ? bhttp::verb::post : bhttp::verb::get,
      in.target.empty() ? "/" : in.target, 11};
  req.set(bhttp::field::host, impl.host_header);
  req.set(bhttp::field::user_agent, "bulkd");
  if (!in.content_type.empty()) req.set(bhttp::field::content_type, in.content_type);
  for (const auto& [name, value] : in.headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = std::move(in.body);
  req.prepare_payload();
  return req;
}

// Sends one request on `conn`, connecting first if needed; completes `job` either way.
net::awaitable<void> Execute(ImplPtr impl, Connection* conn, Pending job) {
  Impl& im = *impl;
  if (SteadyClock::now() - job.enqueued > im.config.total_timeout) {
    ++im.stats.queue_timeouts;
    Complete(impl, std::move(job), HttpErrc::kQueueTimeout, {});
    co_return;
  }
  if (conn->open() && PeerClosed(*conn)) {
    ++im.stats.stale_closed;
    conn->Reset();
  }
  if (conn->open()) {
    ++im.stats.reused;
  } else if (std::error_code ec = co_await Connect(impl, conn)) {
    Complete(impl, std::move(job), ec, {});
    if (ec != HttpErrc::kStopped) FailQueue(impl, ec);  // fail fast: the origin is down
    co_return;
  }
  ++im.stats.requests;
  auto request = BuildRequest(im, job.request);
  HttpResponse response;
  bool keep_alive = false;
  std::error_code ec =
      conn->tls ? co_await Exchange(*conn->tls, conn->buffer, request, im.config, &response, &keep_alive)
                : co_await Exchange(*conn->plain, conn->buffer, request, im.config, &response, &keep_alive);
  if (ec) {
    if (ec == HttpErrc::kTimeout) ++im.stats.timeouts;
    else if (ec == HttpErrc::kConnectionLost) ++im.stats.connections_lost;
    else ++im.stats.bad_responses;
    conn->Reset();
  } else {
    ++im.stats.responses;
    if (!keep_alive) conn->Reset();
  }
  Complete(impl, std::move(job), ec, std::move(response));
}

// Registers a worker's connection and slot for the worker's lifetime, however it ends.
class WorkerGuard {
 public:
  WorkerGuard(Impl& impl, Connection* conn) : impl_(impl), conn_(conn) { impl_.conns.insert(conn_); }
  ~WorkerGuard() {
    conn_->Reset();
    impl_.conns.erase(conn_);
    --impl_.workers;
  }
  WorkerGuard(const WorkerGuard&) = delete;
  WorkerGuard& operator=(const WorkerGuard&) = delete;

 private:
  Impl& impl_;
  Connection* conn_;
};

// Keeps a waiter in the idle list only while it waits.
class IdleGuard {
 public:
  IdleGuard(Impl& impl, Waiter* waiter) : impl_(impl), waiter_(waiter) { impl_.idle.push_back(waiter_); }
  ~IdleGuard() { std::erase(impl_.idle, waiter_); }
  IdleGuard(const IdleGuard&) = delete;
  IdleGuard& operator=(const IdleGuard&) = delete;

 private:
  Impl& impl_;
  Waiter* waiter_;
};

// One connection's life: run the job it was spawned for, then the queue, then wait idle
// for a hand-off until idle_timeout.
net::awaitable<void> RunWorker(ImplPtr impl, Pending first) {
  Connection conn;
  WorkerGuard guard(*impl, &conn);
  net::steady_timer timer(impl->io);
  Pending job = std::move(first);
  for (;;) {
    ++impl->busy;
    co_await Execute(impl, &conn, std::move(job));
    --impl->busy;
    if (impl->destroyed) break;
    if (!impl->queue.empty()) {
      job = std::move(impl->queue.front());
      impl->queue.pop_front();
      continue;
    }
    if (impl->stopped || !conn.open()) break;  // a closed connection frees its slot
    Waiter waiter{&timer, std::nullopt};
    {
      IdleGuard idle(*impl, &waiter);
      timer.expires_after(impl->config.idle_timeout);
      co_await timer.async_wait(kTuple);
    }
    if (!waiter.handoff) {
      if (!impl->stopped) ++impl->stats.idle_closed;
      break;
    }
    job = std::move(*waiter.handoff);
  }
}

}  // namespace

HttpClient::HttpClient(net::io_context& io, Url origin, HttpClientConfig config)
    : impl_(std::make_shared<Impl>(io, std::move(origin), std::move(config))) {
  Impl& im = *impl_;
  if (im.config.max_connections == 0) throw std::invalid_argument("http: max_connections must be >= 1");
  const bool default_port = im.origin.port == (im.origin.tls ? 443 : 80);
  const bool v6 = im.origin.host.find(':') != std::string::npos;
  im.host_header = v6 ? "[" + im.origin.host + "]" : im.origin.host;
  if (!default_port) im.host_header += ":" + std::to_string(im.origin.port);
  if (im.origin.tls) {
    im.ssl_ctx.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(im.ssl_ctx->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    if (im.config.ca_file.empty()) {
      im.ssl_ctx->set_default_verify_paths(ec);
    } else {
      im.ssl_ctx->load_verify_file(im.config.ca_file, ec);
    }
    if (ec) throw std::invalid_argument("http: cannot load CA certificates: " + ec.message());
    im.ssl_ctx->set_verify_mode(im.config.verify_peer ? ssl::verify_peer : ssl::verify_none);
  }
}

HttpClient::~HttpClient() {
  Impl& im = *impl_;
  im.destroyed = true;
  im.stopped = true;
  im.queue.clear();
  for (Waiter* w : im.idle) w->timer->cancel();
  for (Connection* c : im.conns) c->Close();
}

bool HttpClient::Request(HttpRequest&& request, HttpCallback callback) {
  Impl& im = *impl_;
  if (im.stopped) return false;
  if (!im.idle.empty()) {  // the queue is empty whenever a worker idles
    Waiter* waiter = im.idle.back();
    im.idle.pop_back();
    waiter->handoff.emplace(Pending{std::move(request), std::move(callback), SteadyClock::now()});
    waiter->timer->cancel();
    return true;
  }
  if (im.workers < im.config.max_connections) {
    ++im.workers;
    net::co_spawn(im.io,
                  RunWorker(impl_, Pending{std::move(request), std::move(callback), SteadyClock::now()}),
                  net::detached);
    return true;
  }
  if (im.queue.size() >= im.config.queue_cap) {
    ++im.stats.queue_full;
    return false;
  }
  im.queue.push_back(Pending{std::move(request), std::move(callback), SteadyClock::now()});
  return true;
}

void HttpClient::Stop() {
  Impl& im = *impl_;
  if (im.stopped) return;
  im.stopped = true;
  FailQueue(impl_, HttpErrc::kStopped);
  for (Waiter* w : im.idle) w->timer->cancel();
}

size_t HttpClient::connections() const { return impl_->workers; }
size_t HttpClient::busy() const { return impl_->busy; }
size_t HttpClient::queued() const { return impl_->queue.size(); }
const Url& HttpClient::origin() const { return impl_->origin; }
const HttpClientStats& HttpClient::stats() const { return impl_->stats; }

}  // namespace bulkd::providers::http
