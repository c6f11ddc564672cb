#include "providers/smpp/receipt.h"

#include <charconv>

namespace bulkd::providers::smpp {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<ReceiptTime> ParseDate(std::string_view v) {
  if (v.size() != 10 && v.size() != 12 && v.size() != 14) return std::nullopt;
  for (char c : v) {
    if (!IsDigit(c)) return std::nullopt;
  }
  auto two = [&v](size_t at) { return static_cast<uint8_t>((v[at] - '0') * 10 + (v[at + 1] - '0')); };
  ReceiptTime t;
  size_t i = 0;
  if (v.size() == 14) {
    t.year = static_cast<uint16_t>(two(0) * 100 + two(2));
    i = 4;
  } else {
    t.year = static_cast<uint16_t>(2000 + two(0));
    i = 2;
  }
  t.month = two(i);
  t.day = two(i + 2);
  t.hour = two(i + 4);
  t.minute = two(i + 6);
  if (v.size() - i == 10) t.second = two(i + 8);
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 ||
      t.minute > 59 || t.second > 60) {
    return std::nullopt;
  }
  return t;
}

std::optional<uint32_t> ParseCount(std::string_view v) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

// Decimal rendering of the id read in `radix`, or nullopt if it is not such a number.
std::optional<std::string> NumericKey(std::string_view id, int radix) {
  if (radix == 16 && id.size() > 2 && id[0] == '0' && Lower(id[1]) == 'x') id.remove_prefix(2);
  if (id.empty()) return std::nullopt;
  for (char c : id) {
    if (radix == 10 ? !IsDigit(c) : !IsHexDigit(c)) return std::nullopt;
  }
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), value, radix);
  if (ec != std::errc() || p != id.data() + id.size()) return std::nullopt;
  char buf[24];
  auto [end, ec2] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

std::string TextKey(std::string_view id) {
  id = Trim(id);
  std::string s(id);
  for (char& c : s) c = Lower(c);
  return s;
}

}  // namespace

std::string_view ToString(MessageState state) {
  switch (state) {
    case MessageState::kEnroute: return "ENROUTE";
    case MessageState::kDelivered: return "DELIVRD";
    case MessageState::kExpired: return "EXPIRED";
    case MessageState::kDeleted: return "DELETED";
    case MessageState::kUndeliverable: return "UNDELIV";
    case MessageState::kAccepted: return "ACCEPTD";
    case MessageState::kUnknown: return "UNKNOWN";
    case MessageState::kRejected: return "REJECTD";
  }
  return "UNKNOWN";
}

std::optional<MessageState> StateFromStat(std::string_view stat) {
  struct Word {
    std::string_view word;
    MessageState state;
  };
  static constexpr Word kWords[] = {
      {"DELIVRD", MessageState::kDelivered},   {"DELIVERED", MessageState::kDelivered},
      {"UNDELIV", MessageState::kUndeliverable}, {"UNDELIVERABLE", MessageState::kUndeliverable},
      {"EXPIRED", MessageState::kExpired},     {"REJECTD", MessageState::kRejected},
      {"REJECTED", MessageState::kRejected},   {"DELETED", MessageState::kDeleted},
      {"UNKNOWN", MessageState::kUnknown},     {"ACCEPTD", MessageState::kAccepted},
      {"ACCEPTED", MessageState::kAccepted},   {"ENROUTE", MessageState::kEnroute},
  };
  stat = Trim(stat);
  for (const Word& w : kWords) {
    if (IEquals(stat, w.word)) return w.state;
  }
  return std::nullopt;
}

bool IsFinal(MessageState state) {
  return state != MessageState::kEnroute && state != MessageState::kAccepted;
}

bool ParseReceiptText(std::string_view text, Receipt& out) {
  bool have_id = false;
  size_t i = 0;
  const size_t n = text.size();
  auto skip_spaces = [&] {
    while (i < n && IsSpace(text[i])) ++i;
  };
  while (i < n) {
    skip_spaces();
    const size_t key_start = i;
    while (i < n && IsAlpha(text[i])) ++i;
    std::string_view key = text.substr(key_start, i - key_start);
    if (IEquals(key, "submit") || IEquals(key, "done")) {  // "submit date", "done  date"
      const size_t save = i;
      skip_spaces();
      const size_t w = i;
      while (i < n && IsAlpha(text[i])) ++i;
      if (IEquals(text.substr(w, i - w), "date")) {
        key = IEquals(key, "submit") ? "submit_date" : "done_date";
      } else {
        i = save;
      }
    }
    const size_t key_end = i;
    skip_spaces();
    if (key.empty() || i >= n || text[i] != ':') {
      // Not a `key:`. Resume after the word, or skip a token that starts with no word.
      if (key.empty()) {
        while (i < n && !IsSpace(text[i])) ++i;
      } else {
        i = key_end;
      }
      continue;
    }
    ++i;  // ':'
    if (IEquals(key, "text")) break;  // free text runs to the end; never parsed
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t value_start = i;
    while (i < n && !IsSpace(text[i])) ++i;
    std::string_view value = text.substr(value_start, i - value_start);
    if (value.find(':') != std::string_view::npos) {  // "err: stat:X": err is empty
      i = value_start;
      value = {};
    }
    if (IEquals(key, "id")) {
      out.message_id.assign(value);
      have_id = !value.empty();
    } else if (IEquals(key, "stat")) {
      if (auto s = StateFromStat(value)) out.state = *s;
    } else if (IEquals(key, "err")) {
      out.error.assign(value);
    } else if (IEquals(key, "sub")) {
      out.submitted = ParseCount(value);
    } else if (IEquals(key, "dlvrd")) {
      out.delivered = ParseCount(value);
    } else if (IEquals(key, "submit_date")) {
      out.submit_date = ParseDate(value);
    } else if (IEquals(key, "done_date")) {
      out.done_date = ParseDate(value);
    }
  }
  return have_id;
}

bool ParseReceipt(const Pdu& pdu, Receipt& out) {
  out = Receipt{};
  out.source_addr.assign(pdu.sm.source_addr);
  out.dest_addr.assign(pdu.sm.destination_addr);
  std::string_view text = pdu.sm.short_message;
  if (text.empty() && pdu.tlvs.message_payload) text = *pdu.tlvs.message_payload;
  bool have_text_state = false;
  if (!text.empty()) {
    Receipt parsed;
    parsed.state = MessageState{0};
    if (ParseReceiptText(text, parsed)) out.message_id = std::move(parsed.message_id);
    have_text_state = parsed.state != MessageState{0};
    if (have_text_state) out.state = parsed.state;
    out.error = std::move(parsed.error);
    out.submitted = parsed.submitted;
    out.delivered = parsed.delivered;
    out.submit_date = parsed.submit_date;
    out.done_date = parsed.done_date;
  }
  const Tlvs& t = pdu.tlvs;
  if (t.receipted_message_id && !t.receipted_message_id->empty()) {
    out.message_id.assign(*t.receipted_message_id);
  }
  bool have_tlv_state = false;
  if (t.message_state && *t.message_state >= 1 && *t.message_state <= 8) {
    out.state = static_cast<MessageState>(*t.message_state);
    out.state_from_tlv = have_tlv_state = true;
  }
  out.network_error = t.network_error_code;
  return !out.message_id.empty() && (have_tlv_state || have_text_state);
}

std::string CanonicalMessageId(std::string_view id, IdBase base) {
  const std::string_view trimmed = Trim(id);
  if (base != IdBase::kText) {
    if (auto key = NumericKey(trimmed, base == IdBase::kHex ? 16 : 10)) return *key;
  }
  return TextKey(trimmed);
}

bool MessageIdKeys::Contains(std::string_view key) const {
  for (size_t i = 0; i < count; ++i) {
    if (keys[i] == key) return true;
  }
  return false;
}

MessageIdKeys MessageIdCandidates(std::string_view id) {
  MessageIdKeys out;
  auto add = [&out](std::string key) {
    if (!key.empty() && !out.Contains(key)) out.keys[out.count++] = std::move(key);
  };
  const std::string_view trimmed = Trim(id);
  add(TextKey(trimmed));
  if (auto k = NumericKey(trimmed, 10)) add(std::move(*k));
  if (auto k = NumericKey(trimmed, 16)) add(std::move(*k));
  return out;
}

}  // namespace bulkd::providers::smpp
