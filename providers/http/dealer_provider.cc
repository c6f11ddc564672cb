#include "providers/http/dealer_provider.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "providers/http/alimtalk_tracker.h"
#include "providers/http/http_client.h"
#include "providers/http/kakao_result.h"

namespace bulkd::providers::http {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kHousekeepingInterval = std::chrono::seconds(1);
constexpr auto kProbeInterval = std::chrono::seconds(2);
constexpr std::string_view kJson = "application/json;charset=UTF-8";

// True at most once per 10 s per call site (pass that site's own time point).
bool ShouldLog(SteadyClock::time_point& last) {
  const auto now = SteadyClock::now();
  if (last != SteadyClock::time_point{} && now - last < std::chrono::seconds(10)) return false;
  last = now;
  return true;
}

Millis RetryAfter(const HttpResponse& response, const DealerConfig& config) {
  const std::string_view value = response.Header("Retry-After");
  unsigned seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc() || p != value.data() + value.size()) {
    return config.throttle_pause;  // absent, or an HTTP-date: use our own pause
  }
  return std::min<Millis>(std::chrono::seconds(seconds), config.max_throttle_pause);
}

// `text` as one URL path segment: unreserved characters as they are, the rest %XX.
std::string PathSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool NotReached(std::error_code ec) {
  return ec == HttpErrc::kConnectFailed || ec == HttpErrc::kResolveFailed ||
         ec == HttpErrc::kTlsFailed;
}

}  // namespace

std::string DealerWire::PollTarget(std::string_view send_target, std::string_view request_id) const {
  std::string target(send_target);
  target += '/';
  target += PathSegment(request_id);
  return target;
}

class DealerProvider::Impl : public std::enable_shared_from_this<Impl> {
 public:
  // Jobs of one template being collected into a request.
  struct Batch {
    uint64_t id = 0;
    std::string recipients;  // comma-joined recipientList entries
    std::vector<uint64_t> cookies;
    std::unique_ptr<net::steady_timer> linger;
  };
  // A sealed request, waiting to go or in flight.
  struct Outgoing {
    std::string body;
    std::string key;  // idempotency key: the same for every replay of this request
    std::vector<uint64_t> cookies;  // by recipientSeq - 1
    uint32_t replays = 0;
    bool maybe_sent = false;  // an earlier attempt's outcome is unknown
  };
  using OutgoingPtr = std::shared_ptr<Outgoing>;

  Impl(net::io_context& io_context, DealerConfig cfg, std::unique_ptr<DealerWire> w)
      : io(io_context),
        config(std::move(cfg)),
        wire(std::move(w)),
        log(wire->log_name()),
        tracker(AlimtalkTracker::Config{config.poll_interval, config.result_timeout}),
        poll_timer(io),
        pause_timer(io) {}

  void Start(ReportHandler handler);
  void Stop();
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel);

  void Seal(const std::string& batch_key);
  void Pump();
  bool SubmitSend(OutgoingPtr out);
  void OnSendReply(const OutgoingPtr& out, std::error_code ec, HttpResponse&& response);
  // An attempt that did not get a usable answer; replays or reports uncertain when an
  // earlier attempt may have been processed, else reports `outcome` for everyone.
  void Unanswered(const OutgoingPtr& out, AttemptOutcome outcome, std::string_view code,
                  std::string_view detail);
  void OnRecipients(const OutgoingPtr& out, const SendReply& reply);
  void ArmPollTimer();
  void OnPollTick();
  void SubmitPoll(std::string request_id);
  void OnPollReply(std::error_code ec, HttpResponse&& response);
  void Pause(Millis pause);
  void OnResults(const std::vector<FinalResult>& results);
  // While the dealer is unreachable, asks it something cheap every few seconds so that
  // ready() recovers even when the dispatcher routes no sends here.
  void ArmProbe();

  void Report(uint64_t cookie, AttemptOutcome outcome, std::string code, std::string detail);
  void ReportLater(uint64_t cookie, AttemptOutcome outcome, std::string code, std::string detail);
  void ReportAll(const Outgoing& out, AttemptOutcome outcome, std::string_view code,
                 std::string_view detail);

  net::io_context& io;
  DealerConfig config;
  std::unique_ptr<const DealerWire> wire;
  std::string_view log;      // the wire's log name
  Url url;
  std::string send_target;   // from the wire, after the base_url's path
  std::string key_prefix;    // {name}-{random}: idempotency keys are key_prefix-{n}
  uint64_t next_key = 0;
  uint64_t next_batch = 0;
  std::unique_ptr<HttpClient> client;
  AlimtalkTracker tracker;
  ReportHandler on_report;
  bool started = false, stopped = false, destroyed = false, origin_down = false;

  std::unordered_map<std::string, Batch> filling;  // by the wire's batch key
  std::deque<OutgoingPtr> outgoing;                // sealed, not yet sent (FIFO)
  size_t sends_in_flight = 0;
  size_t pending_jobs = 0;  // in `filling`, `outgoing` and in flight
  size_t polls_in_flight = 0;
  SteadyClock::time_point paused_until{};
  net::steady_timer poll_timer;
  bool poll_timer_armed = false;
  SteadyClock::time_point poll_timer_due{};
  uint64_t poll_timer_generation = 0;
  net::steady_timer pause_timer;
  bool pause_timer_armed = false;
  net::steady_timer probe_timer{io};
  bool probe_armed = false;
  std::vector<std::string> due;
  std::vector<FinalResult> results;
  SteadyClock::time_point log_times[6]{};  // rate limit per WARN site of this provider
  DealerStats stats;
};

void DealerProvider::Impl::Start(ReportHandler handler) {
  on_report = std::move(handler);
  started = true;
  spdlog::info("{}: provider={} dealer={}://{}:{} batch_size={} max_connections={} "
               "poll_interval_ms={}",
               log, config.name, url.tls ? "https" : "http", url.host, url.port, config.batch_size,
               config.max_connections, config.poll_interval.count());
}

void DealerProvider::Impl::Stop() {
  if (stopped) return;
  stopped = true;
  for (auto& [template_code, batch] : filling) {
    batch.linger->cancel();
    for (uint64_t cookie : batch.cookies) {
      ReportLater(cookie, AttemptOutcome::kRetry, "STOPPED", "provider stopped before sending");
    }
    pending_jobs -= batch.cookies.size();
  }
  filling.clear();
  for (const OutgoingPtr& out : outgoing) {
    for (uint64_t cookie : out->cookies) {
      if (out->maybe_sent) {
        ReportLater(cookie, AttemptOutcome::kUncertain, "UNCERTAIN",
                    "provider stopped; an earlier attempt may have been sent");
      } else {
        ReportLater(cookie, AttemptOutcome::kRetry, "STOPPED", "provider stopped before sending");
      }
    }
    pending_jobs -= out->cookies.size();
  }
  outgoing.clear();
  poll_timer.cancel();
  pause_timer.cancel();
  probe_timer.cancel();
  if (client) client->Stop();
  spdlog::info("{}: provider={} stopped in_flight_requests={}", log, config.name, sends_in_flight);
}

bool DealerProvider::Impl::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  if (!started || stopped) return false;
  if (pending_jobs >= config.max_pending || tracker.awaiting() >= config.max_awaiting) return false;
  if (channel != wire->channel()) {
    ReportLater(cookie, AttemptOutcome::kFailed, "CHANNEL", "provider does not send this channel");
    return true;
  }
  if (const auto refusal = wire->Check(job)) {
    ReportLater(cookie, AttemptOutcome::kFailed, std::string(refusal->code), std::string(refusal->detail));
    return true;
  }
  const std::string_view batch_key = wire->BatchKey(job);
  auto [it, created] = filling.try_emplace(std::string(batch_key));
  Batch& batch = it->second;
  if (created) {
    batch.id = ++next_batch;
    batch.recipients.reserve(std::min(config.batch_size, size_t{64}) * 160);
    batch.linger = std::make_unique<net::steady_timer>(io, config.linger);
    batch.linger->async_wait([self = shared_from_this(), code = std::string(batch_key),
                              id = batch.id](const boost::system::error_code& ec) {
      if (ec || self->destroyed) return;
      auto found = self->filling.find(code);
      if (found != self->filling.end() && found->second.id == id) self->Seal(code);
    });
  } else {
    batch.recipients += ',';
  }
  wire->AppendRecipient(job, batch.recipients);
  batch.cookies.push_back(cookie);
  ++pending_jobs;
  if (batch.cookies.size() >= config.batch_size) Seal(std::string(batch_key));
  return true;
}

void DealerProvider::Impl::Seal(const std::string& batch_key) {
  auto it = filling.find(batch_key);
  if (it == filling.end()) return;
  Batch& batch = it->second;
  batch.linger->cancel();
  auto out = std::make_shared<Outgoing>();
  wire->AppendSendBody(batch_key, batch.recipients, out->body);
  out->key = key_prefix + "-" + std::to_string(++next_key);
  out->cookies = std::move(batch.cookies);
  filling.erase(it);
  outgoing.push_back(std::move(out));
  Pump();
}

void DealerProvider::Impl::Pump() {
  while (!outgoing.empty() && !stopped && sends_in_flight < config.max_connections) {
    const auto now = SteadyClock::now();
    if (now < paused_until) {
      if (!pause_timer_armed) {
        pause_timer_armed = true;
        pause_timer.expires_at(paused_until);
        pause_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
          self->pause_timer_armed = false;
          if (!ec && !self->destroyed) self->Pump();
        });
      }
      return;
    }
    OutgoingPtr out = std::move(outgoing.front());
    outgoing.pop_front();
    if (!SubmitSend(std::move(out))) return;  // the pool is full: a reply will pump again
  }
}

bool DealerProvider::Impl::SubmitSend(OutgoingPtr out) {
  HttpRequest request;
  request.method = Method::kPost;
  request.target = send_target;
  request.content_type = kJson;
  // Keep the bytes only while a replay may need them.
  const bool may_replay =
      config.dealer_dedupes_idempotency_key && out->replays < config.uncertain_replays;
  request.body = may_replay ? out->body : std::move(out->body);
  request.headers = wire->AuthHeaders();
  request.headers.emplace_back(config.idempotency_header, out->key);
  ++stats.requests;
  stats.recipients += out->cookies.size();
  ++sends_in_flight;
  const bool queued = client->Request(
      std::move(request), [self = shared_from_this(), out](std::error_code ec, HttpResponse&& res) {
        if (!self->destroyed) self->OnSendReply(out, ec, std::move(res));
      });
  if (!queued) {  // not while sends_in_flight caps the pool's queue; but be safe
    if (out->body.empty()) out->body = std::move(request.body);  // left untouched on refusal
    --sends_in_flight;
    --stats.requests;
    stats.recipients -= out->cookies.size();
    outgoing.push_front(std::move(out));
  }
  return queued;
}

void DealerProvider::Impl::OnSendReply(const OutgoingPtr& out, std::error_code ec,
                                         HttpResponse&& response) {
  --sends_in_flight;
  if (ec) {
    origin_down = NotReached(ec);
    if (origin_down) ArmProbe();
    if (IsOutcomeUnknown(ec)) {
      out->maybe_sent = true;
      SteadyClock::time_point& last_log = log_times[0];
      if (ShouldLog(last_log)) {
        spdlog::warn("{}: provider={} outcome=unknown error=\"{}\" recipients={}",
                     log, config.name, ec.message(), out->cookies.size());
      }
    }
    Unanswered(out, AttemptOutcome::kRetry, "NOT_SENT", ec.message());
    Pump();
    return;
  }
  origin_down = false;
  const unsigned status = response.status;
  const AttemptOutcome by_status = HttpStatusOutcome(status);
  if (by_status != AttemptOutcome::kAccepted) {
    ++stats.http_errors;
    if (status == 429) {
      ++stats.throttled;
      Pause(RetryAfter(response, config));
    } else if (by_status == AttemptOutcome::kFailed) {
      SteadyClock::time_point& last_log = log_times[1];
      if (ShouldLog(last_log)) {
        spdlog::warn("{}: provider={} dealer refused the request status={}", log, config.name, status);
      }
    }
    Unanswered(out, by_status, "HTTP_" + std::to_string(status),
               by_status == AttemptOutcome::kRetry ? "dealer asked to retry later"
                                                   : "dealer refused the request");
    Pump();
    return;
  }
  SendReply reply;
  if (!wire->ParseSendReply(response.body, reply)) {
    ++stats.bad_replies;
    out->maybe_sent = true;  // a 2xx says it was processed; we cannot tell how
    SteadyClock::time_point& last_log = log_times[2];
    if (ShouldLog(last_log)) {
      spdlog::warn("{}: provider={} unreadable 2xx reply status={} bytes={}", log, config.name,
                   status, response.body.size());
    }
    Unanswered(out, AttemptOutcome::kUncertain, "BAD_REPLY", "unreadable reply to a processed request");
    Pump();
    return;
  }
  if (!reply.successful) {
    const AttemptOutcome outcome = wire->HeaderOutcome(reply.header_code);
    if (wire->Throttles(reply.header_code)) {
      stats.throttled += out->cookies.size();
      Pause(config.throttle_pause);
    }
    SteadyClock::time_point& last_log = log_times[3];
    if (ShouldLog(last_log)) {
      spdlog::warn("{}: provider={} dealer refused the request result_code={}", log, config.name,
                   reply.header_code);
    }
    Unanswered(out, outcome, "DEALER_" + std::to_string(reply.header_code),
               outcome == AttemptOutcome::kRetry ? "dealer asked to retry later"
                                                 : "dealer refused the request");
    Pump();
    return;
  }
  OnRecipients(out, reply);
  Pump();
}

void DealerProvider::Impl::Unanswered(const OutgoingPtr& out, AttemptOutcome outcome,
                                        std::string_view code, std::string_view detail) {
  if (out->maybe_sent) {
    if (config.dealer_dedupes_idempotency_key && out->replays < config.uncertain_replays &&
        !stopped && !out->body.empty()) {
      ++out->replays;
      ++stats.replays;
      outgoing.push_front(out);  // same key, same bytes: the dealer answers, not resends
      return;
    }
    outcome = AttemptOutcome::kUncertain;
    if (code == "NOT_SENT" || code.substr(0, 5) == "HTTP_") code = "UNCERTAIN";
  }
  if (outcome == AttemptOutcome::kUncertain) {
    stats.uncertain += out->cookies.size();
  } else if (outcome == AttemptOutcome::kRetry && code == "NOT_SENT") {
    stats.not_sent += out->cookies.size();
  }
  pending_jobs -= out->cookies.size();
  ReportAll(*out, outcome, code, detail);
}

void DealerProvider::Impl::OnRecipients(const OutgoingPtr& out, const SendReply& reply) {
  const size_t n = out->cookies.size();
  pending_jobs -= n;
  std::vector<uint64_t> follow(n, 0);
  std::vector<bool> answered(n, false);
  bool any_followed = false, throttled = false;
  for (const SubmitResult& r : reply.results) {
    if (r.seq == 0 || r.seq > n || answered[r.seq - 1]) continue;  // not ours, or repeated
    answered[r.seq - 1] = true;
    const uint64_t cookie = out->cookies[r.seq - 1];
    const AttemptOutcome outcome = wire->Outcome(r.code, ResultStage::kSubmit);
    if (wire->Throttles(r.code)) {
      ++stats.throttled;
      throttled = true;
    }
    std::string code = std::to_string(r.code);
    switch (outcome) {
      case AttemptOutcome::kAccepted:
        ++stats.accepted;
        follow[r.seq - 1] = cookie;
        any_followed = true;
        Report(cookie, outcome, std::move(code), "");
        break;
      case AttemptOutcome::kUncertain:  // 3005: taken and sent, receipt unknown
        ++stats.accepted;
        ++stats.uncertain;
        Report(cookie, AttemptOutcome::kAccepted, code, "");
        Report(cookie, AttemptOutcome::kUncertain, std::move(code),
               "sent, receipt uncertain; never resent");
        break;
      default: {
        ++stats.refused;
        const std::string_view name = wire->CodeName(r.code);
        Report(cookie, outcome, std::move(code), name.empty() ? "unknown result code" : std::string(name));
        break;
      }
    }
  }
  if (throttled) Pause(config.throttle_pause);
  for (size_t i = 0; i < n; ++i) {
    if (answered[i]) continue;
    ++stats.uncertain;
    Report(out->cookies[i], AttemptOutcome::kUncertain, "MISSING_RESULT",
           "the dealer's reply left this recipient out");
  }
  if (!any_followed || destroyed) return;
  for (const AlimtalkTracker::Final& f :
       tracker.AddRequest(reply.request_id, std::move(follow), SteadyClock::now())) {
    ++stats.finals;
    Report(f.cookie, wire->Outcome(f.code, ResultStage::kFinal), std::to_string(f.code),
           std::string(wire->CodeName(f.code)));
  }
  ArmPollTimer();
}

void DealerProvider::Impl::ArmPollTimer() {
  if (stopped || destroyed) return;
  if (tracker.requests() == 0 && tracker.early() == 0) return;
  auto next = SteadyClock::now() + kHousekeepingInterval;  // expiry even without polls
  if (config.poll_interval.count() > 0 && polls_in_flight < config.max_concurrent_polls) {
    if (auto due = tracker.NextPoll()) next = std::min(next, *due);
  }
  if (poll_timer_armed && poll_timer_due <= next) return;
  // (Re)arm; a wait this replaces completes as aborted and sees a newer generation.
  poll_timer_armed = true;
  poll_timer_due = next;
  const uint64_t generation = ++poll_timer_generation;
  poll_timer.expires_at(next);
  poll_timer.async_wait([self = shared_from_this(), generation](const boost::system::error_code& ec) {
    if (generation != self->poll_timer_generation) return;
    self->poll_timer_armed = false;
    if (!ec && !self->destroyed && !self->stopped) self->OnPollTick();
  });
}

void DealerProvider::Impl::OnPollTick() {
  const auto now = SteadyClock::now();
  stats.expired += tracker.Expire(now);
  if (config.poll_interval.count() > 0 && polls_in_flight < config.max_concurrent_polls) {
    due.clear();
    tracker.DuePolls(now, config.max_concurrent_polls - polls_in_flight, due);
    for (std::string& id : due) SubmitPoll(std::move(id));
  }
  ArmPollTimer();
}

void DealerProvider::Impl::SubmitPoll(std::string request_id) {
  HttpRequest request;
  request.method = Method::kGet;
  request.target = wire->PollTarget(send_target, request_id);
  request.headers = wire->AuthHeaders();
  ++stats.polls;
  ++polls_in_flight;
  const bool queued = client->Request(
      std::move(request), [self = shared_from_this()](std::error_code ec, HttpResponse&& res) {
        if (!self->destroyed) self->OnPollReply(ec, std::move(res));
      });
  if (!queued) --polls_in_flight;  // the next tick asks again
}

void DealerProvider::Impl::OnPollReply(std::error_code ec, HttpResponse&& response) {
  --polls_in_flight;
  if (ec || response.status != 200 || !wire->ParsePollReply(response.body, results)) {
    ++stats.poll_errors;
    SteadyClock::time_point& last_log = log_times[4];
    if (ShouldLog(last_log)) {
      spdlog::warn("{}: provider={} poll failed error=\"{}\" status={}", log, config.name,
                   ec ? ec.message() : "none", ec ? 0u : response.status);
    }
    ArmPollTimer();
    return;
  }
  OnResults(results);
}

void DealerProvider::Impl::ArmProbe() {
  if (probe_armed || stopped || destroyed) return;
  probe_armed = true;
  probe_timer.expires_after(kProbeInterval);
  probe_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->probe_armed = false;
    if (ec || self->destroyed || self->stopped || !self->origin_down) return;
    HttpRequest request;
    request.method = Method::kGet;
    request.target = self->send_target + "/bulkd-probe";  // any HTTP answer will do
    request.headers = self->wire->AuthHeaders();
    const bool queued = self->client->Request(
        std::move(request), [self](std::error_code ec2, HttpResponse&&) {
          if (self->destroyed) return;
          if (!ec2 || IsOutcomeUnknown(ec2)) self->origin_down = false;  // it answered
          if (self->origin_down) self->ArmProbe();
        });
    if (!queued) self->ArmProbe();
  });
}

void DealerProvider::Impl::OnResults(const std::vector<FinalResult>& results) {
  const auto now = SteadyClock::now();
  for (const FinalResult& r : results) {
    auto final = tracker.OnResult(r, now);
    if (!final) continue;  // in progress, duplicate or late: ignored
    ++stats.finals;
    Report(final->cookie, wire->Outcome(final->code, ResultStage::kFinal),
           std::to_string(final->code), std::string(wire->CodeName(final->code)));
  }
  ArmPollTimer();
}

void DealerProvider::Impl::Pause(Millis pause) {
  const auto until = SteadyClock::now() + pause;
  if (until > paused_until) paused_until = until;
  SteadyClock::time_point& last_log = log_times[5];
  if (ShouldLog(last_log)) {
    spdlog::warn("{}: provider={} throttled by the dealer pause_ms={}", log, config.name, pause.count());
  }
}

void DealerProvider::Impl::Report(uint64_t cookie, AttemptOutcome outcome, std::string code,
                                    std::string detail) {
  if (destroyed || !on_report) return;
  AttemptReport report;
  report.cookie = cookie;
  report.outcome = outcome;
  report.code = std::move(code);
  report.detail = std::move(detail);
  on_report(report);
}

void DealerProvider::Impl::ReportLater(uint64_t cookie, AttemptOutcome outcome, std::string code,
                                         std::string detail) {
  net::post(io, [self = shared_from_this(), cookie, outcome, code = std::move(code),
                 detail = std::move(detail)]() mutable {
    self->Report(cookie, outcome, std::move(code), std::move(detail));
  });
}

void DealerProvider::Impl::ReportAll(const Outgoing& out, AttemptOutcome outcome,
                                       std::string_view code, std::string_view detail) {
  for (uint64_t cookie : out.cookies) Report(cookie, outcome, std::string(code), std::string(detail));
}

DealerProvider::DealerProvider(net::io_context& io, DealerConfig config,
                               std::unique_ptr<DealerWire> wire, std::string_view section)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(wire))) {
  Impl& im = *impl_;
  const DealerConfig& c = im.config;
  auto bad = [section](const std::string& key, const std::string& why) {
    return std::invalid_argument(std::string(section) + "." + key + ": " + why);
  };
  if (c.name.empty()) throw bad("name", "must not be empty");
  auto url = ParseUrl(c.base_url);
  if (!url) throw bad("base_url", "want http(s)://host[:port][/path]");
  const size_t max_batch = im.wire->max_batch();
  if (c.batch_size == 0 || c.batch_size > max_batch) {
    throw bad("batch_size", "must be 1.." + std::to_string(max_batch));
  }
  if (c.max_connections == 0) throw bad("max_connections", "must be >= 1");
  if (c.request_timeout.count() <= 0) throw bad("request_timeout", "must be > 0");
  if (c.connect_timeout.count() <= 0) throw bad("connect_timeout", "must be > 0");
  if (c.linger.count() < 0) throw bad("linger", "must be >= 0");
  if (c.poll_interval.count() < 0) throw bad("poll_interval", "must be >= 0");
  if (c.poll_interval.count() > 0 && c.max_concurrent_polls == 0) {
    throw bad("max_concurrent_polls", "must be >= 1 when polling");
  }
  if (c.max_pending == 0) throw bad("max_pending", "must be >= 1");
  if (c.idempotency_header.empty()) throw bad("idempotency_header", "must not be empty");
  im.url = *url;
  im.send_target = im.wire->SendTarget(url->path);
  std::random_device rd;
  char nonce[17];
  const uint64_t r = (uint64_t{rd()} << 32) ^ rd() ^
                     static_cast<uint64_t>(SteadyClock::now().time_since_epoch().count());
  auto [end, ec] = std::to_chars(nonce, nonce + sizeof nonce, r, 16);
  im.key_prefix = c.name + "-" + std::string(nonce, end);
  HttpClientConfig http;
  http.max_connections = c.max_connections;
  http.queue_cap = c.max_connections + c.max_concurrent_polls + 16;
  http.connect_timeout = c.connect_timeout;
  http.request_timeout = c.request_timeout;
  http.total_timeout = 3 * c.request_timeout + c.connect_timeout;
  http.verify_peer = c.verify_peer;
  http.ca_file = c.ca_file;
  im.client = std::make_unique<HttpClient>(io, *url, std::move(http));
}

DealerProvider::~DealerProvider() {
  Impl& im = *impl_;
  im.destroyed = true;
  for (auto& [code, batch] : im.filling) batch.linger->cancel();
  im.poll_timer.cancel();
  im.pause_timer.cancel();
  im.probe_timer.cancel();
  im.client.reset();  // no HTTP callback after this
}

std::string_view DealerProvider::name() const { return impl_->config.name; }
bool DealerProvider::Serves(core::Channel channel) const { return channel == impl_->wire->channel(); }
void DealerProvider::Start(ReportHandler on_report) { impl_->Start(std::move(on_report)); }
void DealerProvider::Stop() { impl_->Stop(); }
bool DealerProvider::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  return impl_->Send(cookie, job, channel);
}
bool DealerProvider::ready() const {
  return impl_->started && !impl_->stopped && !impl_->origin_down;
}
size_t DealerProvider::inflight() const { return impl_->pending_jobs + impl_->tracker.awaiting(); }
const DealerStats& DealerProvider::stats() const { return impl_->stats; }
void DealerProvider::OnResults(const std::vector<FinalResult>& results) {
  if (!impl_->destroyed) impl_->OnResults(results);
}

}  // namespace bulkd::providers::http
