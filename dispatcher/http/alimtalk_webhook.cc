#include "dispatcher/http/alimtalk_webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <charconv>
#include <cstdint>

namespace bulkd::dispatcher {

AlimtalkWebhookVerdict CheckAlimtalkWebhook(std::string_view signature_hex,
                                            const std::string& body, std::string_view secret,
                                            std::vector<providers::http::FinalResult>& results,
                                            std::string& reason) {
  results.clear();
  reason.clear();
  if (signature_hex.empty() ||
      !providers::http::VerifyWebhookSignature(body, secret, signature_hex))
    return AlimtalkWebhookVerdict::kUnauthorized;
  if (providers::http::ParseWebhookResults(body, results)) return AlimtalkWebhookVerdict::kAccepted;
  reason = DescribeWebhookBodyError(body);
  if (reason.empty()) reason = "body: unreadable";
  return AlimtalkWebhookVerdict::kBadBody;
}

std::string SignWebhookBody(std::string_view body, std::string_view secret) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len))
    return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * static_cast<size_t>(len), '0');
  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = kHex[mac[i] >> 4];
    hex[2 * i + 1] = kHex[mac[i] & 0xF];
  }
  return hex;
}

namespace {

namespace dom = simdjson::dom;

bool IsCode(dom::element value) {
  int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS)
    return number >= INT32_MIN && number <= INT32_MAX;
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS || text.empty()) return false;
  int code = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  return ec == std::errc() && p == text.data() + text.size();
}

// What is wrong with entry `item`, or "" when nothing is (ParseWebhookResults' rules).
std::string DescribeEntryError(dom::element item) {
  dom::object entry;
  if (item.get_object().get(entry) != simdjson::SUCCESS) return ": not an object";
  uint64_t seq = 0;
  if (entry["recipientSeq"].get_uint64().get(seq) != simdjson::SUCCESS || seq == 0 ||
      seq > UINT32_MAX)
    return ".recipientSeq: missing or not a positive integer";
  std::string_view text;
  if (entry["requestId"].get_string().get(text) != simdjson::SUCCESS || text.empty())
    return ".requestId: missing or not a non-empty string";
  std::string_view status;
  if (entry["messageStatus"].get_string().get(status) != simdjson::SUCCESS) status = "";
  if (status != "COMPLETED" && status != "FAILED") return "";
  dom::element code;
  if (entry["resultCode"].get(code) == simdjson::SUCCESS && !code.is_null())
    return IsCode(code) ? "" : ".resultCode: not an integer";
  return status == "FAILED" ? ".resultCode: missing for a FAILED message" : "";
}

}  // namespace

std::string DescribeWebhookBodyError(const std::string& body) {
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return "body: not JSON";
  dom::array list;
  if (root["results"].get_array().get(list) != simdjson::SUCCESS)
    return "results: missing or not an array";
  size_t index = 0;
  for (dom::element item : list) {
    std::string error = DescribeEntryError(item);
    if (!error.empty()) return "results[" + std::to_string(index) + "]" + error;
    ++index;
  }
  return "";
}

}  // namespace bulkd::dispatcher
