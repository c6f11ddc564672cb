#include "providers/http/dealer_json.h"

#include <charconv>
#include <string_view>

namespace bulkd::providers::http {

namespace dom = simdjson::dom;

dom::parser& DealerJsonParser() {
  thread_local dom::parser parser;
  return parser;
}

bool ReadDealerCode(dom::element value, int& code) {
  int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS) {
    if (number < INT32_MIN || number > INT32_MAX) return false;
    code = static_cast<int>(number);
    return true;
  }
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS || text.empty()) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  return ec == std::errc() && p == text.data() + text.size();
}

bool ReadRecipientSeq(dom::object entry, uint32_t& seq) {
  uint64_t number = 0;
  if (entry["recipientSeq"].get_uint64().get(number) != simdjson::SUCCESS || number == 0 ||
      number > UINT32_MAX) {
    return false;
  }
  seq = static_cast<uint32_t>(number);
  return true;
}

bool ReadSubmitResults(dom::array list, std::vector<SubmitResult>& out) {
  out.reserve(list.size());
  for (dom::element item : list) {
    dom::object entry;
    SubmitResult result;
    dom::element value;
    if (item.get_object().get(entry) != simdjson::SUCCESS || !ReadRecipientSeq(entry, result.seq) ||
        entry["resultCode"].get(value) != simdjson::SUCCESS || !ReadDealerCode(value, result.code)) {
      return false;
    }
    out.push_back(result);
  }
  return true;
}

}  // namespace bulkd::providers::http
