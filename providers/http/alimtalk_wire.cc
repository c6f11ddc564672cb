#include "providers/http/alimtalk_wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <charconv>

#include "core/job_codec.h"
#include "core/json_escape.h"
#include "providers/http/dealer_json.h"

namespace bulkd::providers::http {
namespace {

namespace dom = simdjson::dom;

// One entry of a poll or webhook result list.
bool ReadResult(dom::element item, std::string_view default_request_id, FinalResult& out) {
  dom::object entry;
  if (item.get_object().get(entry) != simdjson::SUCCESS) return false;
  if (!ReadRecipientSeq(entry, out.seq)) return false;
  std::string_view text;
  if (entry["requestId"].get_string().get(text) == simdjson::SUCCESS && !text.empty()) {
    out.request_id = std::string(text);
  } else if (!default_request_id.empty()) {
    out.request_id = std::string(default_request_id);
  } else {
    return false;
  }
  std::string_view status;
  if (entry["messageStatus"].get_string().get(status) != simdjson::SUCCESS) status = "";
  out.final = status == "COMPLETED" || status == "FAILED";
  out.code = 0;
  if (!out.final) return true;
  dom::element code;
  if (entry["resultCode"].get(code) == simdjson::SUCCESS && !code.is_null()) {
    return ReadDealerCode(code, out.code);
  }
  if (status == "COMPLETED") {
    out.code = 1000;
    return true;
  }
  return false;  // FAILED without a code: unreadable
}

bool ReadResultList(dom::array list, std::string_view request_id, std::vector<FinalResult>& out) {
  out.reserve(list.size());
  for (dom::element item : list) {
    FinalResult result;
    if (!ReadResult(item, request_id, result)) return false;
    out.push_back(std::move(result));
  }
  return true;
}

}  // namespace

std::optional<std::string> DealerRecipientNo(std::string_view e164) {
  if (!core::IsE164(e164)) return std::nullopt;
  std::string_view digits = e164.substr(1);
  std::string out;
  if (digits.substr(0, 2) == "82") {
    digits.remove_prefix(2);
    out.push_back('0');
  }
  out.append(digits);
  return out;
}

void AppendRecipient(std::string_view recipient_no, const core::Job& job, std::string& out) {
  out += R"({"recipientNo":)";
  core::AppendJsonString(recipient_no, out);
  out += R"(,"templateParameter":{)";
  bool first = true;
  for (const auto& [name, value] : job.vars) {
    if (!first) out += ',';
    first = false;
    core::AppendJsonString(name, out);
    out += ':';
    core::AppendJsonString(value, out);
  }
  out += R"(},"resendParameter":{"isResend":false},"recipientGroupingKey":)";
  core::AppendJsonString(job.id, out);
  out += '}';
}

void AppendSendBody(std::string_view sender_key, std::string_view template_code,
                    std::string_view recipients, std::string& out) {
  out.reserve(out.size() + recipients.size() + sender_key.size() + template_code.size() + 64);
  out += R"({"senderKey":)";
  core::AppendJsonString(sender_key, out);
  out += R"(,"templateCode":)";
  core::AppendJsonString(template_code, out);
  out += R"(,"recipientList":[)";
  out += recipients;
  out += "]}";
}

bool ParseSendReply(const std::string& body, SendReply& out) {
  out = SendReply();
  dom::element root;
  if (DealerJsonParser().parse(body).get(root) != simdjson::SUCCESS) return false;
  dom::object header;
  if (root["header"].get_object().get(header) != simdjson::SUCCESS) return false;
  if (header["isSuccessful"].get_bool().get(out.successful) != simdjson::SUCCESS) return false;
  dom::element code;
  if (header["resultCode"].get(code) == simdjson::SUCCESS && !ReadDealerCode(code, out.header_code)) {
    return false;
  }
  if (!out.successful) return true;
  dom::object message;
  std::string_view request_id;
  dom::array results;
  if (root["message"].get_object().get(message) != simdjson::SUCCESS ||
      message["requestId"].get_string().get(request_id) != simdjson::SUCCESS ||
      request_id.empty() ||
      message["sendResults"].get_array().get(results) != simdjson::SUCCESS) {
    return false;
  }
  out.request_id = std::string(request_id);
  return ReadSubmitResults(results, out.results);
}

bool ParsePollReply(const std::string& body, std::vector<FinalResult>& out) {
  out.clear();
  dom::element root;
  if (DealerJsonParser().parse(body).get(root) != simdjson::SUCCESS) return false;
  bool successful = false;
  if (root["header"]["isSuccessful"].get_bool().get(successful) != simdjson::SUCCESS ||
      !successful) {
    return false;
  }
  dom::object message;
  std::string_view request_id;
  dom::array list;
  if (root["message"].get_object().get(message) != simdjson::SUCCESS ||
      message["recipientList"].get_array().get(list) != simdjson::SUCCESS) {
    return false;
  }
  if (message["requestId"].get_string().get(request_id) != simdjson::SUCCESS) request_id = "";
  if (!ReadResultList(list, request_id, out)) {
    out.clear();
    return false;
  }
  return true;
}

bool ParseWebhookResults(const std::string& body, std::vector<FinalResult>& out) {
  out.clear();
  dom::element root;
  dom::array list;
  if (DealerJsonParser().parse(body).get(root) != simdjson::SUCCESS ||
      root["results"].get_array().get(list) != simdjson::SUCCESS) {
    return false;
  }
  if (!ReadResultList(list, "", out)) {
    out.clear();
    return false;
  }
  return true;
}

bool VerifyWebhookSignature(std::string_view body, std::string_view secret,
                            std::string_view signature_hex) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len)) {
    return false;
  }
  if (signature_hex.size() != 2 * static_cast<size_t>(len)) return false;
  unsigned char given[EVP_MAX_MD_SIZE];
  for (unsigned int i = 0; i < len; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nibble(signature_hex[2 * i]), lo = nibble(signature_hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return CRYPTO_memcmp(given, mac, len) == 0;
}

}  // namespace bulkd::providers::http
