#include "providers/http/kakao_dealer_wire.h"

#include <algorithm>
#include <stdexcept>

namespace bulkd::providers::http {

void CheckKakaoCredentials(std::string_view section, const KakaoCredentials& c) {
  auto bad = [section](const char* key, const char* why) {
    return std::invalid_argument(std::string(section) + "." + key + ": " + why);
  };
  const bool safe_appkey =
      !c.appkey.empty() && std::all_of(c.appkey.begin(), c.appkey.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '-' || ch == '_' || ch == '.';
      });
  if (!safe_appkey) throw bad("appkey", "must be non-empty [A-Za-z0-9._-]");
  if (c.secret_key.empty()) throw bad("secret_key", "must not be empty");
  if (c.sender_key.empty()) throw bad("sender_key", "must not be empty");
}

std::vector<std::pair<std::string, std::string>> KakaoDealerWire::AuthHeaders() const {
  return {{"X-Secret-Key", credentials_.secret_key}};
}

bool KakaoDealerWire::ParseSendReply(const std::string& body, SendReply& out) const {
  return http::ParseSendReply(body, out);
}

bool KakaoDealerWire::ParsePollReply(const std::string& body, std::vector<FinalResult>& out) const {
  return http::ParsePollReply(body, out);
}

AttemptOutcome KakaoDealerWire::Outcome(int code, ResultStage stage) const {
  return KakaoOutcome(code, stage);
}

std::string_view KakaoDealerWire::CodeName(int code) const { return KakaoCodeName(code); }

std::string KakaoDealerWire::Target(std::string_view path_prefix,
                                    std::string_view product_version) const {
  std::string target(path_prefix);
  target += '/';
  target += product_version;
  target += "/appkeys/";
  target += credentials_.appkey;
  target += "/messages";
  return target;
}

}  // namespace bulkd::providers::http
