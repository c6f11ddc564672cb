#include "providers/http/webhook_provider.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "providers/http/http_client.h"
#include "providers/http/webhook_wire.h"

namespace bulkd::providers::http {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr std::string_view kJson = "application/json;charset=UTF-8";
}  // namespace

class WebhookProvider::Impl : public std::enable_shared_from_this<Impl> {
 public:
  struct Attempt {
    uint64_t cookie = 0;
    std::string body;
    std::string key;
    std::string signature;
    uint32_t replays = 0;
  };
  using AttemptPtr = std::shared_ptr<Attempt>;

  Impl(net::io_context& io_context, WebhookConfig cfg) : io(io_context), config(std::move(cfg)) {}

  bool Submit(const AttemptPtr& attempt) {
    HttpRequest request;
    request.method = Method::kPost;
    request.target = target;
    request.content_type = kJson;
    const bool may_replay =
        config.endpoint_dedupes_idempotency_key && attempt->replays < config.uncertain_replays;
    request.body = may_replay ? attempt->body : std::move(attempt->body);
    request.headers = {{std::string(kWebhookSignatureHeader), attempt->signature},
                       {config.idempotency_header, attempt->key}};
    const bool queued = client->Request(
        std::move(request), [self = shared_from_this(), attempt](std::error_code ec, HttpResponse&& res) {
          if (!self->destroyed) self->OnAnswer(attempt, ec, res.status);
        });
    if (queued) ++stats.requests;
    else if (attempt->body.empty()) attempt->body = std::move(request.body);  // untouched on refusal
    return queued;
  }

  void OnAnswer(const AttemptPtr& attempt, std::error_code ec, unsigned status) {
    AttemptOutcome outcome = WebhookOutcome(ec, status);
    std::string code = ec ? (outcome == AttemptOutcome::kUncertain ? "UNCERTAIN" : "NOT_SENT")
                          : "HTTP_" + std::to_string(status);
    if (outcome == AttemptOutcome::kUncertain && config.endpoint_dedupes_idempotency_key &&
        attempt->replays < config.uncertain_replays && !stopped && !attempt->body.empty()) {
      ++attempt->replays;
      ++stats.replays;
      if (Submit(attempt)) return;
    }
    switch (outcome) {
      case AttemptOutcome::kDelivered: ++stats.delivered; break;
      case AttemptOutcome::kRetry:
        ++stats.retry;
        if (ec) ++stats.not_sent;
        break;
      case AttemptOutcome::kFailed: ++stats.failed; break;
      default: ++stats.uncertain; break;
    }
    if (outcome == AttemptOutcome::kUncertain || outcome == AttemptOutcome::kFailed) {
      if (ShouldLog()) {
        spdlog::warn("webhook: provider={} outcome={} code={}", config.name, ToString(outcome), code);
      }
    }
    const char* detail = "";
    switch (outcome) {
      case AttemptOutcome::kDelivered: detail = "endpoint took it"; break;
      case AttemptOutcome::kRetry: detail = ec ? "not sent" : "endpoint asked to retry later"; break;
      case AttemptOutcome::kFailed: detail = "endpoint refused the request"; break;
      default: detail = "may have been processed; never resent"; break;
    }
    --pending;
    Report(attempt->cookie, outcome, std::move(code), detail);
  }

  bool ShouldLog() {
    const auto now = SteadyClock::now();
    if (last_log != SteadyClock::time_point{} && now - last_log < std::chrono::seconds(10)) return false;
    last_log = now;
    return true;
  }

  void Report(uint64_t cookie, AttemptOutcome outcome, std::string code, std::string detail) {
    if (destroyed || !on_report) return;
    AttemptReport report;
    report.cookie = cookie;
    report.outcome = outcome;
    report.code = std::move(code);
    report.detail = std::move(detail);
    on_report(report);
  }

  net::io_context& io;
  WebhookConfig config;
  std::string target;
  std::unique_ptr<HttpClient> client;
  ReportHandler on_report;
  bool started = false, stopped = false, destroyed = false;
  size_t pending = 0;
  SteadyClock::time_point last_log{};
  WebhookStats stats;
};

WebhookProvider::WebhookProvider(net::io_context& io, WebhookConfig config)
    : impl_(std::make_shared<Impl>(io, std::move(config))) {
  Impl& im = *impl_;
  const WebhookConfig& c = im.config;
  auto bad = [](const char* key, const char* why) {
    return std::invalid_argument(std::string("webhook.") + key + ": " + why);
  };
  if (c.name.empty()) throw bad("name", "must not be empty");
  auto url = ParseUrl(c.url);
  if (!url) throw bad("url", "want http(s)://host[:port][/path]");
  if (c.secret.empty()) throw bad("secret", "must not be empty");
  if (c.idempotency_header.empty()) throw bad("idempotency_header", "must not be empty");
  if (c.max_connections == 0) throw bad("max_connections", "must be >= 1");
  if (c.max_pending == 0) throw bad("max_pending", "must be >= 1");
  if (c.connect_timeout.count() <= 0) throw bad("connect_timeout", "must be > 0");
  if (c.request_timeout.count() <= 0) throw bad("request_timeout", "must be > 0");
  im.target = url->path.empty() ? "/" : url->path;
  HttpClientConfig http;
  http.max_connections = c.max_connections;
  http.queue_cap = c.max_pending;
  http.connect_timeout = c.connect_timeout;
  http.request_timeout = c.request_timeout;
  http.total_timeout = 3 * c.request_timeout + c.connect_timeout;
  http.verify_peer = c.verify_peer;
  http.ca_file = c.ca_file;
  im.client = std::make_unique<HttpClient>(io, *url, std::move(http));
}

WebhookProvider::~WebhookProvider() {
  impl_->destroyed = true;
  impl_->client.reset();  // no HTTP callback after this
}

std::string_view WebhookProvider::name() const { return impl_->config.name; }
bool WebhookProvider::Serves(core::Channel channel) const { return channel == core::Channel::kWebhook; }

void WebhookProvider::Start(ReportHandler on_report) {
  Impl& im = *impl_;
  im.on_report = std::move(on_report);
  im.started = true;
  const Url& origin = im.client->origin();
  spdlog::info("webhook: provider={} endpoint={}://{}:{} max_connections={} dedupes={}",
               im.config.name, origin.tls ? "https" : "http", origin.host, origin.port,
               im.config.max_connections, im.config.endpoint_dedupes_idempotency_key);
}

void WebhookProvider::Stop() {
  Impl& im = *impl_;
  if (im.stopped) return;
  im.stopped = true;
  im.client->Stop();  // queued requests complete with kStopped -> kRetry
  spdlog::info("webhook: provider={} stopped busy={}", im.config.name, im.client->busy());
}

bool WebhookProvider::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  Impl& im = *impl_;
  if (!im.started || im.stopped || im.pending >= im.config.max_pending) return false;
  if (channel != core::Channel::kWebhook) {
    net::post(im.io, [self = impl_, cookie] {
      self->Report(cookie, AttemptOutcome::kFailed, "CHANNEL", "provider sends webhook only");
    });
    return true;
  }
  auto attempt = std::make_shared<Impl::Attempt>();
  attempt->cookie = cookie;
  AppendWebhookBody(job, attempt->body);
  attempt->key = WebhookIdempotencyKey(job);
  attempt->signature = WebhookSignature(im.config.secret, attempt->body);
  if (!im.Submit(attempt)) return false;
  ++im.pending;
  return true;
}

bool WebhookProvider::ready() const { return impl_->started && !impl_->stopped; }
size_t WebhookProvider::inflight() const { return impl_->pending; }
const WebhookStats& WebhookProvider::stats() const { return impl_->stats; }

}  // namespace bulkd::providers::http
