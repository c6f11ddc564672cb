#include "core/event.h"

#include <charconv>

#include "core/utf8.h"

namespace bulkd::core {
namespace {

// Appends `text` as a JSON string literal. Unlike AppendJsonString (core/json_escape.h)
// it also guarantees valid UTF-8 output: an ill-formed byte becomes U+FFFD, because an
// event field may carry bytes a provider sent us (codes, error texts).
void AppendJsonValue(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t pos = 0;
  while (pos < text.size()) {
    // Copy the longest run that needs no attention in one append.
    size_t run = pos;
    while (run < text.size()) {
      const unsigned char c = static_cast<unsigned char>(text[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(text.data() + pos, run - pos);
    pos = run;
    if (pos == text.size()) break;

    const unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x80) {
      const size_t start = pos;
      if (NextCodePoint(text, pos) == kInvalidCodePoint) {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      } else {
        out.append(text.data() + start, pos - start);
      }
      continue;
    }
    ++pos;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.push_back('"');
}

template <typename Int>
void AppendInteger(Int value, std::string& out) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

}  // namespace

std::string_view ToString(EventType type) {
  switch (type) {
    case EventType::kSubmitted: return "submitted";
    case EventType::kDelivered: return "delivered";
    case EventType::kUndelivered: return "undelivered";
    case EventType::kDeferred: return "deferred";
    case EventType::kRetrying: return "retrying";
    case EventType::kFallback: return "fallback";
    case EventType::kSuppressed: return "suppressed";
    case EventType::kExpired: return "expired";
    case EventType::kFailed: return "failed";
    case EventType::kDead: return "dead";
  }
  return "unknown";
}

bool IsTerminal(EventType type) {
  switch (type) {
    case EventType::kDelivered:
    case EventType::kUndelivered:
    case EventType::kFailed:
    case EventType::kSuppressed:
    case EventType::kExpired:
    case EventType::kDead:
      return true;
    case EventType::kSubmitted:
    case EventType::kDeferred:
    case EventType::kRetrying:
    case EventType::kFallback:
      return false;
  }
  return false;
}

void AppendEventJson(const Event& event, std::string& out) {
  out += "{\"id\":";
  AppendJsonValue(event.id, out);
  out += ",\"tenant\":";
  AppendJsonValue(event.tenant, out);
  out += ",\"campaign\":";
  AppendJsonValue(event.campaign, out);
  out += ",\"event\":\"";
  out += ToString(event.type);
  out += "\",\"channel\":";
  AppendJsonValue(event.channel, out);
  out += ",\"provider\":";
  AppendJsonValue(event.provider, out);
  out += ",\"attempt\":";
  AppendInteger(event.attempt, out);
  out += ",\"code\":";
  AppendJsonValue(event.code, out);
  out += ",\"detail\":";
  AppendJsonValue(event.detail, out);
  out += ",\"ts\":";
  AppendInteger(event.ts_ms, out);
  out.push_back('}');
}

}  // namespace bulkd::core
