// core/event.h — one outcome record on topic bulkd.events (contract in docs/contracts.md):
// {"id","tenant","campaign","event","channel","provider","attempt","code","detail","ts"}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bulkd::core {

enum class EventType : uint8_t {
  kSubmitted, kDelivered, kUndelivered, kDeferred, kRetrying,
  kFallback, kSuppressed, kExpired, kFailed, kDead,
};

std::string_view ToString(EventType type);  // "submitted", "delivered", ...
// Terminal: delivered, undelivered, failed, suppressed, expired, dead.
bool IsTerminal(EventType type);

struct Event {
  std::string_view id;
  std::string_view tenant;
  std::string_view campaign;
  EventType type = EventType::kSubmitted;
  std::string_view channel;   // "" when no channel was tried
  std::string_view provider;  // "" when no provider was tried
  uint32_t attempt = 0;
  std::string_view code;      // provider or bulkd code, e.g. "DELIVRD", "0x00000058"
  std::string_view detail;    // human-readable; never a phone number or message text
  int64_t ts_ms = 0;          // Unix epoch ms, UTC
};

// Appends the event as one JSON object (no trailing newline) to `out`.
// Strings are escaped; `ts` is an integer. Never throws except std::bad_alloc.
void AppendEventJson(const Event& event, std::string& out);

}  // namespace bulkd::core
