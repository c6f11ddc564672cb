// providers/http/kakao_dealer_wire.h — what the NHN-shaped Kakao dealer products
// (Alimtalk v2.3, Friendtalk v2.4) share: appkey in the path, X-Secret-Key, the
// header/message reply and poll JSON (alimtalk_wire.h), recipientNo in the dealer's
// form, and the one Kakao code table (kakao_result.h). A product adds its path, its
// checks and its recipient entry.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/http/dealer_provider.h"

namespace bulkd::providers::http {

struct KakaoCredentials {
  std::string appkey;      // in the request path; [A-Za-z0-9._-]
  std::string secret_key;  // X-Secret-Key header; never logged
  std::string sender_key;  // the Kakao sender profile (발신 프로필)
};

// Throws std::invalid_argument naming `<section>.appkey` etc. when one is unusable.
void CheckKakaoCredentials(std::string_view section, const KakaoCredentials& credentials);

class KakaoDealerWire : public DealerWire {
 public:
  static constexpr size_t kMaxRecipients = 1000;  // docs/domain.md: up to 1,000 per request

  explicit KakaoDealerWire(KakaoCredentials credentials) : credentials_(std::move(credentials)) {}
  size_t max_batch() const override { return kMaxRecipients; }
  std::vector<std::pair<std::string, std::string>> AuthHeaders() const override;
  bool ParseSendReply(const std::string& body, SendReply& out) const override;
  bool ParsePollReply(const std::string& body, std::vector<FinalResult>& out) const override;
  AttemptOutcome Outcome(int code, ResultStage stage) const override;
  std::string_view CodeName(int code) const override;

 protected:
  // "{path_prefix}/{product_version}/appkeys/{appkey}/messages"
  std::string Target(std::string_view path_prefix, std::string_view product_version) const;
  const KakaoCredentials& credentials() const { return credentials_; }

 private:
  KakaoCredentials credentials_;
};

}  // namespace bulkd::providers::http
