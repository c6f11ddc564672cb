#include "core/event.h"

#include <charconv>

#include "core/json_escape.h"

namespace bulkd::core {
namespace {

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
  AppendJsonString(event.id, out);
  out += ",\"tenant\":";
  AppendJsonString(event.tenant, out);
  out += ",\"campaign\":";
  AppendJsonString(event.campaign, out);
  out += ",\"event\":\"";
  out += ToString(event.type);
  out += "\",\"channel\":";
  AppendJsonString(event.channel, out);
  out += ",\"provider\":";
  AppendJsonString(event.provider, out);
  out += ",\"attempt\":";
  AppendInteger(event.attempt, out);
  out += ",\"code\":";
  AppendJsonString(event.code, out);
  out += ",\"detail\":";
  AppendJsonString(event.detail, out);
  out += ",\"ts\":";
  AppendInteger(event.ts_ms, out);
  out.push_back('}');
}

}  // namespace bulkd::core
