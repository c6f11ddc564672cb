#include "providers/provider.h"

namespace bulkd::providers {

std::string_view ToString(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kAccepted: return "accepted";
    case AttemptOutcome::kDelivered: return "delivered";
    case AttemptOutcome::kUndelivered: return "undelivered";
    case AttemptOutcome::kRetry: return "retry";
    case AttemptOutcome::kFallback: return "fallback";
    case AttemptOutcome::kFailed: return "failed";
    case AttemptOutcome::kUncertain: return "uncertain";
  }
  return "unknown";
}

}  // namespace bulkd::providers
