#include "dispatcher/provider_setup.h"

#include "dispatcher/kafka/inbound_publisher.h"
#include "dispatcher/durable/receipt_map.h"
#include "dispatcher/pipeline/send_shard.h"
#include "dispatcher/http/webhook_server.h"
#include "providers/http/alimtalk_provider.h"
#include "providers/http/alimtalk_wire.h"
#include "providers/http/dealer_provider.h"
#include "providers/http/friendtalk_provider.h"
#include "providers/http/rcs_provider.h"
#include "providers/http/webhook_provider.h"
#include "providers/smpp/sms_provider.h"

namespace bulkd::dispatcher {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

providers::smpp::SmsProviderConfig SmsSettings(const SmppRouteConfig& route) {
  using namespace providers::smpp;
  SmsProviderConfig out;
  out.name = route.name;
  out.client.host = route.host;
  out.client.port = route.port;
  out.client.system_id = route.system_id;
  out.client.password = route.password;
  out.client.system_type = route.system_type;
  out.client.window = static_cast<uint32_t>(route.window);
  out.client.queue_cap = static_cast<size_t>(route.window) * 4;  // per bind
  out.client.response_timeout = milliseconds(route.response_timeout_ms);
  out.client.enquire_link_interval = seconds(route.enquire_link_interval_s);
  out.client.max_tps = static_cast<uint32_t>(route.max_tps_per_bind);
  out.client.throttle_backoff = milliseconds(route.throttle_backoff_ms);
  out.binds = static_cast<uint32_t>(route.binds);
  out.default_source_addr = route.source_addr;
  out.long_message_mode = *LongMessageModeFromString(route.long_message_mode);  // validated
  out.max_parts = static_cast<uint32_t>(route.max_parts);
  out.coding = route.data_coding == "ksc5601" ? RouteCoding::kKsc5601
               : route.data_coding == "gsm7"  ? RouteCoding::kGsm7
                                              : RouteCoding::kUcs2;
  // Keep ids a little longer than the dispatcher waits, so a receipt at the edge still
  // finds its job.
  out.receipt_retention = seconds(route.receipt_timeout_s + 60);
  return out;
}

providers::http::AlimtalkConfig AlimtalkSettings(const KakaoConfig& kakao, int receipt_timeout_s) {
  providers::http::AlimtalkConfig out;
  out.name = kakao.name;
  out.base_url = kakao.base_url;
  out.appkey = kakao.appkey;
  out.secret_key = kakao.secret_key;
  out.sender_key = kakao.sender_key;
  out.batch_size = static_cast<size_t>(kakao.batch_size);
  out.linger = milliseconds(kakao.linger_ms);
  out.max_connections = static_cast<size_t>(kakao.max_connections);
  out.request_timeout = milliseconds(kakao.request_timeout_ms);
  out.poll_interval = milliseconds(kakao.poll_interval_ms);
  out.verify_peer = kakao.verify_peer;
  out.ca_file = kakao.ca_file;
  // Follow results a little longer than the dispatcher waits for them.
  out.result_timeout = seconds(receipt_timeout_s + 60);
  return out;
}

// Copies the shared dealer settings over a product's defaults (name, batch size).
void ApplyDealer(const DealerSettings& in, int receipt_timeout_s,
                 providers::http::DealerConfig& out) {
  if (!in.name.empty()) out.name = in.name;
  out.base_url = in.base_url;
  if (in.batch_size > 0) out.batch_size = static_cast<size_t>(in.batch_size);
  out.linger = milliseconds(in.linger_ms);
  out.max_connections = static_cast<size_t>(in.max_connections);
  out.request_timeout = milliseconds(in.request_timeout_ms);
  out.poll_interval = milliseconds(in.poll_interval_ms);
  out.verify_peer = in.verify_peer;
  out.ca_file = in.ca_file;
  out.result_timeout = seconds(receipt_timeout_s + 60);
}

std::vector<const SmppRouteConfig*> SmppRoutes(const Config& config) {
  std::vector<const SmppRouteConfig*> routes{&config.smpp};
  for (const auto& route : config.smpp_routes) routes.push_back(&route);
  return routes;
}

}  // namespace

std::vector<std::string> ProviderNames(const Config& config) {
  std::vector<std::string> names;
  for (const SmppRouteConfig* route : SmppRoutes(config)) names.push_back(route->name);
  if (config.kakao.enabled) names.push_back(config.kakao.name);
  if (config.friendtalk.dealer.enabled) names.push_back(config.friendtalk.dealer.name);
  if (config.rcs.dealer.enabled) names.push_back(config.rcs.dealer.name);
  if (config.webhook.enabled) names.push_back(config.webhook.name);
  return names;
}

ConfiguredProviders AddConfiguredProviders(const Config& config, SendShard& shard,
                                           InboundPublisher& inbound, ReceiptMap* receipt_map) {
  ConfiguredProviders out;
  const int receipt_timeout_s = config.smpp.receipt_timeout_s;
  for (const SmppRouteConfig* route : SmppRoutes(config)) {
    auto sms = std::make_unique<providers::smpp::SmsProvider>(shard.io(), SmsSettings(*route));
    sms->SetInboundHandler([&inbound, name = route->name](const providers::smpp::InboundMessage& mo) {
      inbound.Publish(name, mo);
    });
    if (receipt_map) {
      // A receipt for a message this worker did not send (or no longer tracks): it may be
      // another worker's, or this one's before a restart.
      sms->SetOrphanReceiptHandler(
          [receipt_map, name = route->name](const providers::OrphanReceipt& receipt) {
            receipt_map->RecordOrphan(name, receipt);
          });
    }
    shard.AddProvider(std::move(sms), route->carrier, static_cast<uint32_t>(route->weight));
  }
  if (config.kakao.enabled) {
    auto alimtalk = std::make_unique<providers::http::AlimtalkProvider>(
        shard.io(), AlimtalkSettings(config.kakao, receipt_timeout_s));
    out.alimtalk = alimtalk.get();
    shard.AddProvider(std::move(alimtalk));
  }
  if (config.friendtalk.dealer.enabled) {
    providers::http::FriendtalkConfig ft;
    ApplyDealer(config.friendtalk.dealer, receipt_timeout_s, ft.dealer);
    ft.appkey = config.friendtalk.appkey;
    ft.secret_key = config.friendtalk.dealer.secret_key;
    ft.sender_key = config.friendtalk.sender_key;
    auto friendtalk = providers::http::MakeFriendtalkProvider(shard.io(), std::move(ft));
    out.friendtalk = friendtalk.get();
    shard.AddProvider(std::move(friendtalk));
  }
  if (config.rcs.dealer.enabled) {
    providers::http::RcsConfig rcs;
    ApplyDealer(config.rcs.dealer, receipt_timeout_s, rcs.dealer);
    rcs.app_key = config.rcs.app_key;
    rcs.secret_key = config.rcs.dealer.secret_key;
    rcs.brand_id = config.rcs.brand_id;
    rcs.chatbot_id = config.rcs.chatbot_id;
    rcs.unsubscribe_number = config.rcs.unsubscribe_number;
    auto rcs_provider = providers::http::MakeRcsProvider(shard.io(), std::move(rcs));
    out.rcs = rcs_provider.get();
    shard.AddProvider(std::move(rcs_provider));
  }
  if (config.webhook.enabled) {
    providers::http::WebhookConfig hook;
    hook.name = config.webhook.name;
    hook.url = config.webhook.url;
    hook.secret = config.webhook.secret;
    hook.endpoint_dedupes_idempotency_key = config.webhook.endpoint_dedupes_idempotency_key;
    hook.max_connections = static_cast<size_t>(config.webhook.max_connections);
    hook.request_timeout = milliseconds(config.webhook.request_timeout_ms);
    hook.verify_peer = config.webhook.verify_peer;
    hook.ca_file = config.webhook.ca_file;
    shard.AddProvider(std::make_unique<providers::http::WebhookProvider>(shard.io(), std::move(hook)));
  }
  return out;
}

std::unique_ptr<WebhookServer> MakeResultWebhookServer(
    const Config& config, const ConfiguredProviders& providers, SendShard& shard,
    std::shared_ptr<AlimtalkWebhookStats> alimtalk_stats) {
  const bool alimtalk = providers.alimtalk && !config.kakao.webhook_secret.empty();
  const bool friendtalk = providers.friendtalk && !config.friendtalk.dealer.webhook_secret.empty();
  const bool rcs = providers.rcs && !config.rcs.dealer.webhook_secret.empty();
  if (!alimtalk && !friendtalk && !rcs) return nullptr;
  WebhookServerConfig server_config;
  server_config.bind = config.result_webhooks.bind;
  server_config.port = config.result_webhooks.port;
  server_config.request_timeout = milliseconds(config.result_webhooks.request_timeout_ms);
  server_config.max_body_bytes = config.result_webhooks.max_body_bytes;
  server_config.max_connections = config.result_webhooks.max_connections;
  auto server = std::make_unique<WebhookServer>(server_config);
  if (alimtalk) {
    server->Handle(config.kakao.webhook_path,
                   MakeAlimtalkWebhookHandler(*providers.alimtalk, shard.io(),
                                              config.kakao.webhook_secret, std::move(alimtalk_stats)));
  }
  if (friendtalk) {  // Friendtalk results have the Alimtalk webhook's shape
    server->Handle(config.friendtalk.dealer.webhook_path,
                   MakeDealerWebhookHandler(*providers.friendtalk, shard.io(),
                                            config.friendtalk.dealer.webhook_secret,
                                            &providers::http::ParseWebhookResults));
  }
  if (rcs) {
    server->Handle(config.rcs.dealer.webhook_path,
                   MakeDealerWebhookHandler(*providers.rcs, shard.io(), config.rcs.dealer.webhook_secret,
                                            &providers::http::ParseRcsWebhookResults));
  }
  return server;
}

}  // namespace bulkd::dispatcher
