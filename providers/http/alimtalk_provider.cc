#include "providers/http/alimtalk_provider.h"

#include "core/job_codec.h"
#include "providers/http/kakao_dealer_wire.h"

namespace bulkd::providers::http {
namespace {

constexpr size_t kMaxTemplateVariables = 40;  // docs/domain.md: at most 40 variables

// NHN Cloud Alimtalk v2.3: one request per template code.
class AlimtalkWire final : public KakaoDealerWire {
 public:
  using KakaoDealerWire::KakaoDealerWire;
  core::Channel channel() const override { return core::Channel::kAlimtalk; }
  std::string_view log_name() const override { return "alimtalk"; }
  std::optional<Refusal> Check(const core::Job& job) const override {
    if (job.template_code.empty()) return Refusal{"NO_TEMPLATE", "alimtalk needs a template code"};
    if (job.vars.size() > kMaxTemplateVariables) {
      return Refusal{"TOO_MANY_VARS", "template allows at most forty variables"};
    }
    if (!core::IsE164(job.to)) return Refusal{"BAD_NUMBER", "recipient is not E.164"};
    return std::nullopt;
  }
  std::string_view BatchKey(const core::Job& job) const override { return job.template_code; }
  void AppendRecipient(const core::Job& job, std::string& out) const override {
    http::AppendRecipient(*DealerRecipientNo(job.to), job, out);
  }
  void AppendSendBody(std::string_view batch_key, std::string_view recipients,
                      std::string& out) const override {
    http::AppendSendBody(credentials().sender_key, batch_key, recipients, out);
  }
  std::string SendTarget(std::string_view path_prefix) const override {
    return Target(path_prefix, "alimtalk/v2.3");
  }
};

}  // namespace

DealerConfig AlimtalkProvider::CoreConfig(const AlimtalkConfig& c) {
  DealerConfig d;
  d.name = c.name;
  d.base_url = c.base_url;
  d.batch_size = c.batch_size;
  d.linger = c.linger;
  d.max_connections = c.max_connections;
  d.connect_timeout = c.connect_timeout;
  d.request_timeout = c.request_timeout;
  d.poll_interval = c.poll_interval;
  d.max_concurrent_polls = c.max_concurrent_polls;
  d.result_timeout = c.result_timeout;
  d.throttle_pause = c.throttle_pause;
  d.max_throttle_pause = c.max_throttle_pause;
  d.max_pending = c.max_pending;
  d.max_awaiting = c.max_awaiting;
  d.idempotency_header = c.idempotency_header;
  d.dealer_dedupes_idempotency_key = c.dealer_dedupes_idempotency_key;
  d.uncertain_replays = c.uncertain_replays;
  d.verify_peer = c.verify_peer;
  d.ca_file = c.ca_file;
  return d;
}

AlimtalkProvider::AlimtalkProvider(boost::asio::io_context& io, AlimtalkConfig config) {
  KakaoCredentials credentials{config.appkey, config.secret_key, config.sender_key};
  CheckKakaoCredentials("alimtalk", credentials);
  core_ = std::make_unique<DealerProvider>(
      io, CoreConfig(config), std::make_unique<AlimtalkWire>(std::move(credentials)), "alimtalk");
}

AlimtalkProvider::~AlimtalkProvider() = default;

std::string_view AlimtalkProvider::name() const { return core_->name(); }
bool AlimtalkProvider::Serves(core::Channel channel) const { return core_->Serves(channel); }
void AlimtalkProvider::Start(ReportHandler on_report) { core_->Start(std::move(on_report)); }
void AlimtalkProvider::Stop() { core_->Stop(); }
bool AlimtalkProvider::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  return core_->Send(cookie, job, channel);
}
bool AlimtalkProvider::ready() const { return core_->ready(); }
size_t AlimtalkProvider::inflight() const { return core_->inflight(); }
const AlimtalkStats& AlimtalkProvider::stats() const { return core_->stats(); }
void AlimtalkProvider::OnResults(const std::vector<FinalResult>& results) { core_->OnResults(results); }

}  // namespace bulkd::providers::http
