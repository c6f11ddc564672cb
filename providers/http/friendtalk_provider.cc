#include "providers/http/friendtalk_provider.h"

#include "core/job_codec.h"
#include "core/json_escape.h"
#include "providers/http/kakao_dealer_wire.h"

namespace bulkd::providers::http {
namespace {

constexpr size_t kMaxContentChars = 1000;  // NHN Friendtalk: content up to 1,000 characters

// NHN Cloud Friendtalk v2.4: free text per recipient; one batch for all.
class NhnFriendtalkWire final : public KakaoDealerWire {
 public:
  using KakaoDealerWire::KakaoDealerWire;
  core::Channel channel() const override { return core::Channel::kFriendtalk; }
  std::string_view log_name() const override { return "friendtalk"; }
  std::optional<Refusal> Check(const core::Job& job) const override {
    if (job.text.empty()) return Refusal{"NO_TEXT", "friendtalk needs the message text"};
    if (Utf8Length(job.text) > kMaxContentChars) {
      return Refusal{"TEXT_TOO_LONG", "friendtalk text is over the dealer's limit"};
    }
    if (!core::IsE164(job.to)) return Refusal{"BAD_NUMBER", "recipient is not E.164"};
    return std::nullopt;
  }
  std::string_view BatchKey(const core::Job&) const override { return {}; }
  void AppendRecipient(const core::Job& job, std::string& out) const override {
    out += R"({"recipientNo":)";
    core::AppendJsonString(*DealerRecipientNo(job.to), out);
    out += R"(,"content":)";
    core::AppendJsonString(job.text, out);
    // Ad-only channel; bulkd runs the fallback itself (a dealer resend would duplicate).
    out += R"(,"isAd":true,"resendParameter":{"isResend":false},"recipientGroupingKey":)";
    core::AppendJsonString(job.id, out);
    out += '}';
  }
  void AppendSendBody(std::string_view, std::string_view recipients,
                      std::string& out) const override {
    out.reserve(out.size() + recipients.size() + 96);
    out += R"({"senderKey":)";
    core::AppendJsonString(credentials().sender_key, out);
    out += R"(,"recipientList":[)";
    out += recipients;
    out += "]}";
  }
  std::string SendTarget(std::string_view path_prefix) const override {
    return Target(path_prefix, "friendtalk/v2.4");
  }
};

}  // namespace

size_t Utf8Length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::unique_ptr<DealerWire> MakeFriendtalkWire(const FriendtalkConfig& config) {
  KakaoCredentials credentials{config.appkey, config.secret_key, config.sender_key};
  CheckKakaoCredentials("friendtalk", credentials);
  switch (config.wire) {
    case FriendtalkWireKind::kNhnFriendtalkV24:
      return std::make_unique<NhnFriendtalkWire>(std::move(credentials));
  }
  throw std::invalid_argument("friendtalk.wire: unknown wire");
}

std::unique_ptr<DealerProvider> MakeFriendtalkProvider(boost::asio::io_context& io,
                                                       FriendtalkConfig config) {
  auto wire = MakeFriendtalkWire(config);
  return std::make_unique<DealerProvider>(io, std::move(config.dealer), std::move(wire), "friendtalk");
}

}  // namespace bulkd::providers::http
