#include "core/job.h"

namespace bulkd::core {

std::string_view ToString(Channel channel) {
  switch (channel) {
    case Channel::kSms: return "sms";
    case Channel::kLms: return "lms";
    case Channel::kMms: return "mms";
    case Channel::kAlimtalk: return "alimtalk";
    case Channel::kFriendtalk: return "friendtalk";
    case Channel::kRcs: return "rcs";
    case Channel::kWebhook: return "webhook";
  }
  return "unknown";
}

std::optional<Channel> ChannelFromString(std::string_view name) {
  // Exact, case-sensitive contract spelling; dispatch on length first (hot path).
  switch (name.size()) {
    case 3:
      if (name == "sms") return Channel::kSms;
      if (name == "lms") return Channel::kLms;
      if (name == "mms") return Channel::kMms;
      if (name == "rcs") return Channel::kRcs;
      break;
    case 8:
      if (name == "alimtalk") return Channel::kAlimtalk;
      break;
    case 10:
      if (name == "friendtalk") return Channel::kFriendtalk;
      break;
    case 7:
      if (name == "webhook") return Channel::kWebhook;
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::string_view ToString(JobKind kind) {
  switch (kind) {
    case JobKind::kInfo: return "info";
    case JobKind::kAd: return "ad";
  }
  return "unknown";
}

}  // namespace bulkd::core
