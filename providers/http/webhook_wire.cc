#include "providers/http/webhook_wire.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/json_escape.h"
#include "providers/http/alimtalk_wire.h"
#include "providers/http/http_client.h"

namespace bulkd::providers::http {

void AppendWebhookBody(const core::Job& job, std::string& out) {
  auto field = [&out](std::string_view name, std::string_view value) {
    out += '"';
    out += name;
    out += "\":";
    core::AppendJsonString(value, out);
    out += ',';
  };
  out += '{';
  field("id", job.id);
  field("tenant", job.tenant);
  field("campaign", job.campaign);
  field("to", job.to);
  field("template", job.template_code);
  out += R"("vars":{)";
  bool first = true;
  for (const auto& [name, value] : job.vars) {
    if (!first) out += ',';
    first = false;
    core::AppendJsonString(name, out);
    out += ':';
    core::AppendJsonString(value, out);
  }
  out += "},";
  field("text", job.text);
  out += R"("subject":)";
  core::AppendJsonString(job.subject, out);
  out += '}';
}

std::string WebhookIdempotencyKey(const core::Job& job) {
  std::string key;
  key.reserve(job.tenant.size() + 1 + job.id.size());
  key += job.tenant;
  key += ':';
  key += job.id;
  return key;
}

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  out.reserve(7 + 2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

bool VerifyWebhookRequestSignature(std::string_view body, std::string_view secret,
                                   std::string_view header) {
  constexpr std::string_view kPrefix = "sha256=";
  if (header.substr(0, kPrefix.size()) != kPrefix) return false;
  return VerifyWebhookSignature(body, secret, header.substr(kPrefix.size()));
}

AttemptOutcome WebhookOutcome(std::error_code ec, unsigned status) {
  if (ec) return IsOutcomeUnknown(ec) ? AttemptOutcome::kUncertain : AttemptOutcome::kRetry;
  if (status >= 200 && status < 300) return AttemptOutcome::kDelivered;
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) return AttemptOutcome::kRetry;
  return AttemptOutcome::kFailed;
}

}  // namespace bulkd::providers::http
