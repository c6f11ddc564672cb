// dispatcher/provider_setup.h — builds the provider connections the config asks for
// (SMPP accounts with their bind pools and routes, Kakao Alimtalk and Friendtalk, RCS,
// the generic webhook channel) on a send shard, and the result-webhook routes that feed
// them. Start-up only; throws std::invalid_argument naming the bad key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dispatcher/config.h"

namespace bulkd::providers::http {
class AlimtalkProvider;
class DealerProvider;
}

namespace bulkd::dispatcher {

class InboundPublisher;
class ReceiptMap;
class SendShard;
class WebhookServer;
struct AlimtalkWebhookStats;

// Every provider label the config names, in a stable order (metrics pre-register them).
std::vector<std::string> ProviderNames(const Config& config);

struct ConfiguredProviders {  // owned by the shard; null when not configured
  providers::http::AlimtalkProvider* alimtalk = nullptr;
  providers::http::DealerProvider* friendtalk = nullptr;
  providers::http::DealerProvider* rcs = nullptr;
};

// Adds the configured providers to `shard` (before it starts). SMPP MO replies go to
// `inbound`; SMPP receipts no job here claims go to `receipt_map` (may be null).
ConfiguredProviders AddConfiguredProviders(const Config& config, SendShard& shard,
                                           InboundPublisher& inbound,
                                           ReceiptMap* receipt_map = nullptr);

// A result-webhook server with a route per provider that takes results by webhook, or
// null when none does. Not started.
std::unique_ptr<WebhookServer> MakeResultWebhookServer(
    const Config& config, const ConfiguredProviders& providers, SendShard& shard,
    std::shared_ptr<AlimtalkWebhookStats> alimtalk_stats);

}  // namespace bulkd::dispatcher
