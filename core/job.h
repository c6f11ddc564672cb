// core/job.h — the send job as producers put it on Kafka (contract in docs/contracts.md).
// A plain value type; decoded and validated by JobDecoder (core/job_codec.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulkd::core {

// kWebhook: a generic JSON POST to a configured endpoint (a contact centre's call-back
// request, a CRM); see docs/contracts.md.
enum class Channel : uint8_t { kSms, kLms, kMms, kAlimtalk, kFriendtalk, kRcs, kWebhook };
inline constexpr Channel kAllChannels[] = {Channel::kSms,      Channel::kLms,
                                           Channel::kMms,      Channel::kAlimtalk,
                                           Channel::kFriendtalk, Channel::kRcs,
                                           Channel::kWebhook};

enum class JobKind : uint8_t { kInfo, kAd };

// Contract spelling: "sms", "lms", "mms", "alimtalk", "friendtalk", "rcs", "webhook".
std::string_view ToString(Channel channel);
std::optional<Channel> ChannelFromString(std::string_view name);
std::string_view ToString(JobKind kind);  // "info" | "ad"

struct Job {
  std::string id;        // unique per tenant: the idempotency key
  std::string tenant;
  std::string campaign;  // optional; empty when absent
  JobKind kind = JobKind::kInfo;
  std::string to;        // E.164, e.g. "+821012345678"
  std::vector<Channel> channels;  // ordered fallback chain, never empty
  std::string template_code;      // "template"; required by alimtalk/friendtalk/rcs
  std::vector<std::pair<std::string, std::string>> vars;  // template variables, in order
  std::string text;     // SMS/LMS body (also the fallback body)
  std::string subject;  // LMS/MMS subject, optional
  std::string sender;   // registered caller id, optional (route default applies)
  // Optional carrier hint ("skt", "kt", "lgu"...): picks the SMPP route and the carrier
  // bucket; absent, the Redis number map, then the default route decide.
  std::string carrier;
  std::optional<int64_t> not_before_ms;  // Unix epoch ms, UTC
  std::optional<int64_t> expires_at_ms;  // Unix epoch ms, UTC
  int32_t priority = 0;
  bool night_consent = false;  // "night_consent": true lets an ad pass 21:00-08:00
};

}  // namespace bulkd::core
