// providers/provider.h — what the dispatcher needs from any provider connection
// (SMPP account, Kakao dealer, RCS dealer): send one job on one channel, and report
// what became of it, by cookie, on the provider's io thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"

namespace bulkd::providers {

// How one attempt ended. One table per provider maps its codes onto these; the
// dispatcher's retry/fallback logic only ever looks at this enum.
enum class AttemptOutcome : uint8_t {
  kAccepted,     // the provider took the message; a receipt may follow
  kDelivered,    // final: the handset has it
  kUndelivered,  // final: the network gave up (receipt UNDELIV/EXPIRED/REJECTD...)
  kRetry,        // transient (throttled, system error, connection lost before send)
  kFallback,     // the recipient cannot get this channel: try the next one
  kFailed,       // the request itself is wrong: no retry, no fallback
  kUncertain,    // it may have been sent (timeout after the write): never resend
};
std::string_view ToString(AttemptOutcome outcome);

struct AttemptReport {
  uint64_t cookie = 0;
  AttemptOutcome outcome = AttemptOutcome::kAccepted;
  std::string code;    // provider's own code, e.g. "0x00000058", "DELIVRD", "3018"
  std::string detail;  // short, never a number or message text
  uint32_t parts = 1;  // segments charged (long SMS)
  // kAccepted from an SMPP provider: the canonical message id of each part, in part
  // order (the keys its receipts will carry). Empty otherwise. (The `{}` keeps brace
  // initializers that stop at `parts` free of -Wmissing-field-initializers.)
  std::vector<std::string> message_ids{};
};

// A final delivery receipt that no attempt of this provider process was waiting for:
// its message was sent by another worker or before a restart, or was already ended
// here. The dispatcher correlates it through the message ids it remembered elsewhere.
struct OrphanReceipt {
  std::string message_id;  // canonical, as in AttemptReport::message_ids
  bool delivered = false;  // the final state is DELIVERED
  std::string code;        // the receipt's stat word: "DELIVRD", "UNDELIV", "EXPIRED"...
};

using ReportHandler = std::function<void(const AttemptReport&)>;

// All methods run on the provider's io thread (the shard that owns it); not thread-safe.
class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string_view name() const = 0;  // bounded label, from config
  virtual bool Serves(core::Channel channel) const = 0;
  // Connects and starts; reports flow to `on_report` (immediate acceptance or refusal,
  // later receipts) for every cookie given to Send.
  virtual void Start(ReportHandler on_report) = 0;
  // Stops cleanly (unbind/close); outstanding cookies are reported kUncertain or kRetry.
  virtual void Stop() = 0;
  // Queues one attempt. Returns false when the provider cannot take more right now
  // (window and queue full, or not connected): the caller keeps the job and retries.
  // A job the provider can never send (content too long, unencodable) is reported
  // kFailed through `on_report`, not refused here.
  virtual bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) = 0;
  virtual bool ready() const = 0;       // connected and bound
  virtual size_t inflight() const = 0;  // sent, no final report yet
};

}  // namespace bulkd::providers
