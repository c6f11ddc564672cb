// The RCS reply decoders (rcs_provider.h), apart from the provider so that the fuzz
// target links them alone.
#include <simdjson.h>

#include "providers/http/dealer_json.h"
#include "providers/http/rcs_provider.h"

namespace bulkd::providers::http {
namespace {

namespace dom = simdjson::dom;

// {"header":{"isSuccessful":bool,"resultCode":int?}} -> successful, code.
bool ReadHeader(dom::element root, bool& successful, int& code) {
  dom::object header;
  if (root["header"].get_object().get(header) != simdjson::SUCCESS) return false;
  if (header["isSuccessful"].get_bool().get(successful) != simdjson::SUCCESS) return false;
  dom::element value;
  code = 0;
  if (header["resultCode"].get(value) == simdjson::SUCCESS && !ReadDealerCode(value, code)) return false;
  return true;
}

// One message state; the final ones are DELIVERED, READ (success) and FAILED (with a code).
bool ReadState(dom::element item, std::string_view default_request_id, FinalResult& out) {
  dom::object entry;
  if (item.get_object().get(entry) != simdjson::SUCCESS || !ReadRecipientSeq(entry, out.seq)) return false;
  std::string_view text;
  if (entry["requestId"].get_string().get(text) == simdjson::SUCCESS && !text.empty()) {
    out.request_id = std::string(text);
  } else if (!default_request_id.empty()) {
    out.request_id = std::string(default_request_id);
  } else {
    return false;
  }
  std::string_view status;
  if (entry["messageStatus"].get_string().get(status) != simdjson::SUCCESS) return false;
  const bool success = status == "DELIVERED" || status == "READ";
  out.final = success || status == "FAILED";
  out.code = 0;
  if (!out.final) return status == "READY" || status == "SENDING";
  dom::element code;
  if (entry["resultCode"].get(code) == simdjson::SUCCESS && !code.is_null()) {
    return ReadDealerCode(code, out.code);
  }
  if (success) {
    out.code = status == "READ" ? 10001 : 10000;
    return true;
  }
  return false;  // FAILED without a code
}

bool ReadStates(dom::array list, std::string_view request_id, std::vector<FinalResult>& out) {
  out.reserve(list.size());
  for (dom::element item : list) {
    FinalResult result;
    if (!ReadState(item, request_id, result)) {
      out.clear();
      return false;
    }
    out.push_back(std::move(result));
  }
  return true;
}

}  // namespace

bool ParseRcsSendReply(const std::string& body, SendReply& out) {
  out = SendReply();
  dom::element root;
  if (DealerJsonParser().parse(body).get(root) != simdjson::SUCCESS) return false;
  if (!ReadHeader(root, out.successful, out.header_code)) return false;
  if (!out.successful) return true;
  dom::object message;
  std::string_view request_id;
  dom::array results;
  if (root["body"].get_object().get(message) != simdjson::SUCCESS ||
      message["requestId"].get_string().get(request_id) != simdjson::SUCCESS ||
      request_id.empty() ||
      message["messages"].get_array().get(results) != simdjson::SUCCESS) {
    out = SendReply();
    return false;
  }
  out.request_id = std::string(request_id);
  if (!ReadSubmitResults(results, out.results)) {
    out = SendReply();
    return false;
  }
  return true;
}

bool ParseRcsPollReply(const std::string& body, std::vector<FinalResult>& out) {
  out.clear();
  dom::element root;
  if (DealerJsonParser().parse(body).get(root) != simdjson::SUCCESS) return false;
  bool successful = false;
  int code = 0;
  if (!ReadHeader(root, successful, code) || !successful) return false;
  dom::object message;
  dom::array list;
  if (root["body"].get_object().get(message) != simdjson::SUCCESS ||
      message["messages"].get_array().get(list) != simdjson::SUCCESS) {
    return false;
  }
  std::string_view request_id;
  if (message["requestId"].get_string().get(request_id) != simdjson::SUCCESS) request_id = "";
  return ReadStates(list, request_id, out);
}

bool ParseRcsWebhookResults(const std::string& body, std::vector<FinalResult>& out) {
  out.clear();
  dom::element root;
  dom::array list;
  if (DealerJsonParser().parse(body).get(root) != simdjson::SUCCESS ||
      root["messages"].get_array().get(list) != simdjson::SUCCESS) {
    return false;
  }
  return ReadStates(list, "", out);
}

}  // namespace bulkd::providers::http
