#include "providers/http/rcs_provider.h"

#include <stdexcept>

#include "core/job_codec.h"
#include "core/json_escape.h"
#include "providers/http/rcs_result.h"

namespace bulkd::providers::http {
namespace {

class RcsWire final : public DealerWire {
 public:
  explicit RcsWire(RcsConfig config) : config_(std::move(config)) {}
  core::Channel channel() const override { return core::Channel::kRcs; }
  std::string_view log_name() const override { return "rcs"; }
  size_t max_batch() const override { return kRcsMaxRecipients; }
  std::optional<Refusal> Check(const core::Job& job) const override {
    if (job.template_code.empty()) return Refusal{"NO_TEMPLATE", "rcs needs a template code"};
    if (!core::IsE164(job.to)) return Refusal{"BAD_NUMBER", "recipient is not E.164"};
    if (job.kind == core::JobKind::kAd && config_.unsubscribe_number.empty()) {
      return Refusal{"NO_UNSUBSCRIBE", "rcs ads need an unsubscribe number in the config"};
    }
    return std::nullopt;
  }
  std::string_view BatchKey(const core::Job& job) const override { return job.template_code; }
  void AppendRecipient(const core::Job& job, std::string& out) const override {
    out += R"({"recipientNumber":)";
    core::AppendJsonString(*DealerRecipientNo(job.to), out);
    out += R"(,"templateParameter":{)";
    bool first = true;
    for (const auto& [name, value] : job.vars) {
      if (!first) out += ',';
      first = false;
      core::AppendJsonString(name, out);
      out += ':';
      core::AppendJsonString(value, out);
    }
    out += '}';
    if (job.kind == core::JobKind::kAd) {
      out += R"(,"isAd":true,"unsubscribeNumber":)";
      core::AppendJsonString(config_.unsubscribe_number, out);
    } else {
      out += R"(,"isAd":false)";
    }
    out += R"(,"isFallback":false,"clientMsgId":)";
    core::AppendJsonString(job.id, out);
    out += '}';
  }
  void AppendSendBody(std::string_view batch_key, std::string_view recipients,
                      std::string& out) const override {
    out.reserve(out.size() + recipients.size() + 128);
    out += R"({"brandId":)";
    core::AppendJsonString(config_.brand_id, out);
    out += R"(,"chatbotId":)";
    core::AppendJsonString(config_.chatbot_id, out);
    out += R"(,"messagebaseId":)";
    core::AppendJsonString(batch_key, out);
    out += R"(,"recipientList":[)";
    out += recipients;
    out += "]}";
  }
  std::string SendTarget(std::string_view path_prefix) const override {
    return std::string(path_prefix) + "/rcs/v1.0/messages";
  }
  std::vector<std::pair<std::string, std::string>> AuthHeaders() const override {
    return {{"X-TC-APP-KEY", config_.app_key}, {"X-SECRET-KEY", config_.secret_key}};
  }
  bool ParseSendReply(const std::string& body, SendReply& out) const override {
    return ParseRcsSendReply(body, out);
  }
  bool ParsePollReply(const std::string& body, std::vector<FinalResult>& out) const override {
    return ParseRcsPollReply(body, out);
  }
  AttemptOutcome Outcome(int code, ResultStage stage) const override { return RcsOutcome(code, stage); }
  std::string_view CodeName(int code) const override { return RcsCodeName(code); }
  bool Throttles(int code) const override { return IsRcsThrottle(code); }
  AttemptOutcome HeaderOutcome(int code) const override {
    // A whole request refused: throttled or transient codes may go again; anything
    // else (credentials, brand, template) is wrong for every recipient.
    const RcsClass cls = ClassifyRcsCode(code);
    return cls == RcsClass::kRetry || cls == RcsClass::kThrottled ? AttemptOutcome::kRetry
                                                                  : AttemptOutcome::kFailed;
  }

 private:
  RcsConfig config_;
};

}  // namespace

std::unique_ptr<DealerWire> MakeRcsWire(const RcsConfig& config) {
  auto bad = [](const char* key, const char* why) {
    return std::invalid_argument(std::string("rcs.") + key + ": " + why);
  };
  if (config.app_key.empty()) throw bad("app_key", "must not be empty");
  if (config.secret_key.empty()) throw bad("secret_key", "must not be empty");
  if (config.brand_id.empty()) throw bad("brand_id", "must not be empty");
  if (config.chatbot_id.empty()) throw bad("chatbot_id", "must not be empty");
  return std::make_unique<RcsWire>(config);
}

std::unique_ptr<DealerProvider> MakeRcsProvider(boost::asio::io_context& io, RcsConfig config) {
  auto wire = MakeRcsWire(config);
  return std::make_unique<DealerProvider>(io, std::move(config.dealer), std::move(wire), "rcs");
}

}  // namespace bulkd::providers::http
