#include "dispatcher/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

namespace bulkd::dispatcher {
namespace {

[[noreturn]] void Fail(const std::string& key, const std::string& what) {
  throw std::runtime_error("config: " + key + ": " + what);
}

template <typename T>
T As(const YAML::Node& node, const std::string& key, const char* expected) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    Fail(key, std::string("expected ") + expected);
  }
}

template <typename T>
void ReadInt(const YAML::Node& node, const std::string& key, T& out, int64_t min, int64_t max) {
  const auto value = As<int64_t>(node, key, "an integer");
  if (value < min || value > max) {
    Fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  out = static_cast<T>(value);
}

void ReadString(const YAML::Node& node, const std::string& key, std::string& out) {
  if (!node.IsScalar()) Fail(key, "expected a string");
  out = node.as<std::string>();
}

using FieldReader = std::function<void(const YAML::Node&, const std::string&)>;

// Reads a mapping whose keys must all be known: a typo in a rate limit or a port is
// an error, not a silently ignored line.
void ReadSection(const YAML::Node& node, const std::string& section,
                 const std::map<std::string, FieldReader>& fields) {
  if (!node) return;
  if (!node.IsMap()) Fail(section, "expected a mapping");
  for (const auto& item : node) {
    const std::string name = item.first.as<std::string>();
    const std::string key = section.empty() ? name : section + "." + name;
    auto it = fields.find(name);
    if (it == fields.end()) Fail(key, "unknown key");
    it->second(item.second, key);
  }
}

void ReadKafka(const YAML::Node& node, KafkaConfig& c) {
  ReadSection(node, "kafka", {
      {"brokers", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.brokers); }},
      {"group_id", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.group_id); }},
      {"jobs_topic", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.jobs_topic); }},
      {"events_topic", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.events_topic); }},
      {"dlq_topic", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.dlq_topic); }},
      {"inbound_topic", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.inbound_topic); }},
      {"defer_topic_prefix",
       [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.defer_topic_prefix); }},
      {"defer_tiers_s", [&](const YAML::Node& n, const std::string& k) {
         if (!n.IsSequence() || n.size() == 0 || n.size() > 7)
           Fail(k, "expected a list of 1 to 7 delays in seconds");
         c.defer_tiers_s.clear();
         for (size_t i = 0; i < n.size(); ++i) {
           int delay = 0;
           ReadInt(n[i], k + "[" + std::to_string(i) + "]", delay, 1, 86400);
           if (!c.defer_tiers_s.empty() && delay <= c.defer_tiers_s.back())
             Fail(k, "delays must be increasing");
           c.defer_tiers_s.push_back(delay);
         }
       }},
      {"embedded_partitions",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.embedded_partitions, 1, 256); }},
      {"properties", [&](const YAML::Node& n, const std::string& k) {
         if (!n.IsMap()) Fail(k, "expected a mapping of librdkafka properties");
         for (const auto& p : n) {
           const std::string name = p.first.as<std::string>();
           ReadString(p.second, k + "." + name, c.properties[name]);
         }
       }},
  });
}

void ReadRedis(const YAML::Node& node, RedisConfig& c) {
  ReadSection(node, "redis", {
      {"host", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.host); }},
      {"port", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.port, 1, 65535); }},
      {"key_prefix", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.key_prefix); }},
      {"timeout_ms", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.timeout_ms, 1, 60000); }},
  });
}

// One SMPP account: `smpp` and each `smpp_routes[i]` (`section` names which, so errors
// read "smpp_routes[2].window: ...").
void ReadSmppRoute(const YAML::Node& node, const std::string& section, SmppRouteConfig& c) {
  ReadSection(node, section, {
      {"name", [&](const YAML::Node& n, const std::string& k) {
         ReadString(n, k, c.name);
         if (c.name.empty()) Fail(k, "must not be empty");
       }},
      {"host", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.host); }},
      {"port", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.port, 1, 65535); }},
      {"system_id", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.system_id); }},
      {"password", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.password); }},
      {"system_type", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.system_type); }},
      {"source_addr", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.source_addr); }},
      {"window", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.window, 1, 4096); }},
      {"long_message_mode", [&](const YAML::Node& n, const std::string& k) {
         ReadString(n, k, c.long_message_mode);
         if (c.long_message_mode != "udh" && c.long_message_mode != "sar" &&
             c.long_message_mode != "message_payload")
           Fail(k, "must be one of udh, sar, message_payload");
       }},
      {"max_parts", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.max_parts, 1, 255); }},
      {"data_coding", [&](const YAML::Node& n, const std::string& k) {
         ReadString(n, k, c.data_coding);
         if (c.data_coding != "ucs2" && c.data_coding != "ksc5601" && c.data_coding != "gsm7")
           Fail(k, "must be one of ucs2, ksc5601, gsm7");
       }},
      {"enquire_link_interval_s",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.enquire_link_interval_s, 1, 3600); }},
      {"response_timeout_ms",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.response_timeout_ms, 10, 600000); }},
      {"receipt_timeout_s",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.receipt_timeout_s, 1, 7 * 86400); }},
      {"binds", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.binds, 1, 64); }},
      {"max_tps_per_bind",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.max_tps_per_bind, 0, 100000); }},
      {"throttle_backoff_ms",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.throttle_backoff_ms, 0, 600000); }},
      {"carrier", [&](const YAML::Node& n, const std::string& k) {
         ReadString(n, k, c.carrier);
         const bool valid_chars = std::all_of(c.carrier.begin(), c.carrier.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
         });
         if (c.carrier.size() > 32 || !valid_chars)
           Fail(k, "must be empty or 1 to 32 of a-z, 0-9, _ and -");
       }},
      {"weight", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.weight, 1, 1000); }},
  });
}

// `smpp_routes`: a list of mappings with the keys of `smpp`; each starts from the
// documented defaults and must name itself (the default name is the first route's).
void ReadSmppRoutes(const YAML::Node& node, const std::string& key,
                    std::vector<SmppRouteConfig>& routes) {
  if (node.IsNull()) return;  // "smpp_routes:" with nothing under it: no extra routes
  if (!node.IsSequence()) Fail(key, "expected a list of SMPP routes");
  routes.clear();
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item = key + "[" + std::to_string(i) + "]";
    const YAML::Node entry = node[i];
    if (!entry.IsMap()) Fail(item, "expected a mapping");
    SmppRouteConfig route;
    ReadSmppRoute(entry, item, route);
    if (!entry["name"]) Fail(item + ".name", "is required");
    routes.push_back(std::move(route));
  }
}

void ReadBool(const YAML::Node& node, const std::string& key, bool& out);

void ReadPipeline(const YAML::Node& node, PipelineConfig& c) {
  ReadSection(node, "pipeline", {
      {"poll_batch", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.poll_batch, 1, 100000); }},
      {"max_inflight", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.max_inflight, 1, 10000000); }},
      {"max_unsent", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.max_unsent, 1, 10000000); }},
      {"max_submit_attempts",
       [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.max_submit_attempts, 1, 100); }},
      {"retry_base_ms", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.retry_base_ms, 1, 3600000); }},
      {"fallback_on_undelivered_s", [&](const YAML::Node& n, const std::string& k) {
         ReadInt(n, k, c.fallback_on_undelivered_s, 0, 7 * 86400);
       }},
      {"retry_max_ms", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.retry_max_ms, 1, 86400000); }},
      {"durable_retries", [&](const YAML::Node& n, const std::string& k) { ReadBool(n, k, c.durable_retries); }},
      {"receipt_map", [&](const YAML::Node& n, const std::string& k) { ReadBool(n, k, c.receipt_map); }},
      {"retry_max_age_s", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.retry_max_age_s, 1, 7 * 86400); }},
  });
}

void ReadDouble(const YAML::Node& node, const std::string& key, double& out) {
  out = As<double>(node, key, "a number");
  if (!(out >= 0) || out > 1e9) Fail(key, "must be a number from 0 to 1e9");
}

void ReadBool(const YAML::Node& node, const std::string& key, bool& out) {
  out = As<bool>(node, key, "true or false");
}

void ReadRateLimit(const YAML::Node& node, RateLimitConfig& c) {
  ReadSection(node, "ratelimit", {
      {"enabled", [&](const YAML::Node& n, const std::string& k) { ReadBool(n, k, c.enabled); }},
      {"number_map", [&](const YAML::Node& n, const std::string& k) { ReadBool(n, k, c.number_map); }},
      {"dedupe_window_s", [&](const YAML::Node& n, const std::string& k) {
         ReadInt(n, k, c.dedupe_window_s, 1, 7 * 86400);
       }},
      {"rules", [&](const YAML::Node& n, const std::string& k) {
         if (!n.IsSequence()) Fail(k, "expected a list of rules");
         for (size_t i = 0; i < n.size(); ++i) {
           RateRuleConfig rule;
           const std::string item = k + "[" + std::to_string(i) + "]";
           ReadSection(n[i], item, {
               {"scope", [&](const YAML::Node& v, const std::string& kk) {
                  ReadString(v, kk, rule.scope);
                  if (rule.scope != "tenant" && rule.scope != "carrier" &&
                      rule.scope != "sender" && rule.scope != "template")
                    Fail(kk, "must be one of tenant, carrier, sender, template");
                }},
               {"name", [&](const YAML::Node& v, const std::string& kk) { ReadString(v, kk, rule.name); }},
               {"rate_per_sec", [&](const YAML::Node& v, const std::string& kk) {
                  ReadDouble(v, kk, rule.rate_per_sec);
                }},
               {"burst", [&](const YAML::Node& v, const std::string& kk) { ReadDouble(v, kk, rule.burst); }},
           });
           if (rule.scope.empty()) Fail(item + ".scope", "is required");
           c.rules.push_back(rule);
         }
       }},
  });
}

void ReadKakao(const YAML::Node& node, KakaoConfig& c) {
  using N = const YAML::Node&;
  using K = const std::string&;
  ReadSection(node, "kakao", {
      {"enabled", [&](N n, K k) { ReadBool(n, k, c.enabled); }},
      {"name", [&](N n, K k) { ReadString(n, k, c.name); }},
      {"base_url", [&](N n, K k) { ReadString(n, k, c.base_url); }},
      {"appkey", [&](N n, K k) { ReadString(n, k, c.appkey); }},
      {"secret_key", [&](N n, K k) { ReadString(n, k, c.secret_key); }},
      {"sender_key", [&](N n, K k) { ReadString(n, k, c.sender_key); }},
      {"batch_size", [&](N n, K k) { ReadInt(n, k, c.batch_size, 1, 1000); }},
      {"linger_ms", [&](N n, K k) { ReadInt(n, k, c.linger_ms, 0, 10000); }},
      {"max_connections", [&](N n, K k) { ReadInt(n, k, c.max_connections, 1, 256); }},
      {"request_timeout_ms", [&](N n, K k) { ReadInt(n, k, c.request_timeout_ms, 10, 600000); }},
      {"poll_interval_ms", [&](N n, K k) { ReadInt(n, k, c.poll_interval_ms, 0, 3600000); }},
      {"verify_peer", [&](N n, K k) { ReadBool(n, k, c.verify_peer); }},
      {"ca_file", [&](N n, K k) { ReadString(n, k, c.ca_file); }},
      {"webhook_secret", [&](N n, K k) { ReadString(n, k, c.webhook_secret); }},
      {"webhook_path", [&](N n, K k) {
         ReadString(n, k, c.webhook_path);
         if (c.webhook_path.empty() || c.webhook_path.front() != '/') Fail(k, "must start with /");
       }},
  });
}

// The DealerSettings keys, shared by `friendtalk` and `rcs` (flat in the section's
// mapping next to the product's own keys). `max_batch` is the product's request maximum.
std::map<std::string, FieldReader> DealerFields(DealerSettings& c, int max_batch) {
  using N = const YAML::Node&;
  using K = const std::string&;
  return {
      {"enabled", [&c](N n, K k) { ReadBool(n, k, c.enabled); }},
      {"name", [&c](N n, K k) {
         ReadString(n, k, c.name);
         if (c.name.empty()) Fail(k, "must not be empty");
       }},
      {"base_url", [&c](N n, K k) { ReadString(n, k, c.base_url); }},
      {"secret_key", [&c](N n, K k) { ReadString(n, k, c.secret_key); }},
      {"batch_size", [&c, max_batch](N n, K k) { ReadInt(n, k, c.batch_size, 0, max_batch); }},
      {"linger_ms", [&c](N n, K k) { ReadInt(n, k, c.linger_ms, 0, 10000); }},
      {"max_connections", [&c](N n, K k) { ReadInt(n, k, c.max_connections, 1, 256); }},
      {"request_timeout_ms", [&c](N n, K k) { ReadInt(n, k, c.request_timeout_ms, 10, 600000); }},
      {"poll_interval_ms", [&c](N n, K k) { ReadInt(n, k, c.poll_interval_ms, 0, 3600000); }},
      {"verify_peer", [&c](N n, K k) { ReadBool(n, k, c.verify_peer); }},
      {"ca_file", [&c](N n, K k) { ReadString(n, k, c.ca_file); }},
      {"webhook_secret", [&c](N n, K k) { ReadString(n, k, c.webhook_secret); }},
      {"webhook_path", [&c](N n, K k) {
         ReadString(n, k, c.webhook_path);
         if (c.webhook_path.empty() || c.webhook_path.front() != '/') Fail(k, "must start with '/'");
       }},
  };
}

void ReadFriendtalk(const YAML::Node& node, FriendtalkSettings& c) {
  using N = const YAML::Node&;
  using K = const std::string&;
  auto fields = DealerFields(c.dealer, 1000);
  fields.emplace("appkey", [&](N n, K k) { ReadString(n, k, c.appkey); });
  fields.emplace("sender_key", [&](N n, K k) { ReadString(n, k, c.sender_key); });
  ReadSection(node, "friendtalk", fields);
}

void ReadRcs(const YAML::Node& node, RcsSettings& c) {
  using N = const YAML::Node&;
  using K = const std::string&;
  auto fields = DealerFields(c.dealer, 500);
  fields.emplace("app_key", [&](N n, K k) { ReadString(n, k, c.app_key); });
  fields.emplace("brand_id", [&](N n, K k) { ReadString(n, k, c.brand_id); });
  fields.emplace("chatbot_id", [&](N n, K k) { ReadString(n, k, c.chatbot_id); });
  fields.emplace("unsubscribe_number", [&](N n, K k) { ReadString(n, k, c.unsubscribe_number); });
  ReadSection(node, "rcs", fields);
}

void ReadWebhook(const YAML::Node& node, WebhookChannelConfig& c) {
  using N = const YAML::Node&;
  using K = const std::string&;
  ReadSection(node, "webhook", {
      {"enabled", [&](N n, K k) { ReadBool(n, k, c.enabled); }},
      {"name", [&](N n, K k) {
         ReadString(n, k, c.name);
         if (c.name.empty()) Fail(k, "must not be empty");
       }},
      {"url", [&](N n, K k) { ReadString(n, k, c.url); }},
      {"secret", [&](N n, K k) { ReadString(n, k, c.secret); }},
      {"endpoint_dedupes_idempotency_key",
       [&](N n, K k) { ReadBool(n, k, c.endpoint_dedupes_idempotency_key); }},
      {"max_connections", [&](N n, K k) { ReadInt(n, k, c.max_connections, 1, 256); }},
      {"request_timeout_ms", [&](N n, K k) { ReadInt(n, k, c.request_timeout_ms, 10, 600000); }},
      {"verify_peer", [&](N n, K k) { ReadBool(n, k, c.verify_peer); }},
      {"ca_file", [&](N n, K k) { ReadString(n, k, c.ca_file); }},
  });
}

void ReadResultWebhooks(const YAML::Node& node, ResultWebhooksConfig& c) {
  using N = const YAML::Node&;
  using K = const std::string&;
  ReadSection(node, "result_webhooks", {
      {"bind", [&](N n, K k) {
         ReadString(n, k, c.bind);
         if (c.bind.empty()) Fail(k, "must not be empty");
       }},
      {"port", [&](N n, K k) { ReadInt(n, k, c.port, 0, 65535); }},
      {"max_body_bytes", [&](N n, K k) { ReadInt(n, k, c.max_body_bytes, 1024, 67108864); }},
      {"request_timeout_ms", [&](N n, K k) { ReadInt(n, k, c.request_timeout_ms, 10, 600000); }},
      {"max_connections", [&](N n, K k) { ReadInt(n, k, c.max_connections, 1, 10000); }},
  });
}

// "<section>.<field>: required when <section>.enabled is true".
void Require(bool enabled, const std::string& section, const char* field,
             const std::string& value) {
  if (enabled && value.empty())
    Fail(section + "." + field, "required when " + section + ".enabled is true");
}

// Checks that need the secrets, which may come from the environment: run by LoadConfig
// after the overrides (ParseConfig checks only what the file alone decides).
void ValidateSecrets(const Config& c) {
  const KakaoConfig& kakao = c.kakao;
  if (kakao.enabled && kakao.poll_interval_ms == 0 && kakao.webhook_secret.empty())
    Fail("kakao.poll_interval_ms", "0 needs kakao.webhook_secret, else results never arrive");
  Require(c.friendtalk.dealer.enabled, "friendtalk", "secret_key", c.friendtalk.dealer.secret_key);
  Require(c.rcs.dealer.enabled, "rcs", "secret_key", c.rcs.dealer.secret_key);
  Require(c.webhook.enabled, "webhook", "secret", c.webhook.secret);
}

void ReadInbound(const YAML::Node& node, InboundConfig& c) {
  ReadSection(node, "inbound", {
      {"sender_tenants", [&](const YAML::Node& n, const std::string& k) {
         if (!n.IsMap()) Fail(k, "expected a mapping of caller id to tenant");
         for (const auto& item : n) {
           const std::string sender = item.first.as<std::string>();
           ReadString(item.second, k + "." + sender, c.sender_tenants[sender]);
         }
       }},
  });
}

void ReadAdmin(const YAML::Node& node, AdminConfig& c) {
  ReadSection(node, "admin", {
      {"bind", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.bind); }},
      {"port", [&](const YAML::Node& n, const std::string& k) { ReadInt(n, k, c.port, 0, 65535); }},
  });
}

template <typename T>
void OverrideFromEnv(const char* name, T& out) {
  const char* value = std::getenv(name);
  if (!value || !*value) return;
  if constexpr (std::is_same_v<T, std::string>) {
    out = value;
  } else {
    char* end = nullptr;
    const long parsed = std::strtol(value, &end, 10);
    if (*end != '\0' || parsed < 0 || parsed > 65535) {
      throw std::runtime_error(std::string("config: environment ") + name +
                               ": expected a port number");
    }
    out = static_cast<T>(parsed);
  }
}

}  // namespace

Config ParseConfig(const std::string& yaml_text) {
  Config config;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("config: not valid YAML: ") + e.what());
  }
  if (!root || root.IsNull()) return config;
  ReadSection(root, "", {
      {"kafka", [&](const YAML::Node& n, const std::string&) { ReadKafka(n, config.kafka); }},
      {"redis", [&](const YAML::Node& n, const std::string&) { ReadRedis(n, config.redis); }},
      {"smpp", [&](const YAML::Node& n, const std::string& k) { ReadSmppRoute(n, k, config.smpp); }},
      {"smpp_routes",
       [&](const YAML::Node& n, const std::string& k) { ReadSmppRoutes(n, k, config.smpp_routes); }},
      {"pipeline", [&](const YAML::Node& n, const std::string&) { ReadPipeline(n, config.pipeline); }},
      {"admin", [&](const YAML::Node& n, const std::string&) { ReadAdmin(n, config.admin); }},
      {"ratelimit", [&](const YAML::Node& n, const std::string&) { ReadRateLimit(n, config.ratelimit); }},
      {"kakao", [&](const YAML::Node& n, const std::string&) { ReadKakao(n, config.kakao); }},
      {"friendtalk", [&](const YAML::Node& n, const std::string&) { ReadFriendtalk(n, config.friendtalk); }},
      {"rcs", [&](const YAML::Node& n, const std::string&) { ReadRcs(n, config.rcs); }},
      {"webhook", [&](const YAML::Node& n, const std::string&) { ReadWebhook(n, config.webhook); }},
      {"result_webhooks",
       [&](const YAML::Node& n, const std::string&) { ReadResultWebhooks(n, config.result_webhooks); }},
      {"inbound", [&](const YAML::Node& n, const std::string&) { ReadInbound(n, config.inbound); }},
  });
  if (config.pipeline.retry_base_ms > config.pipeline.retry_max_ms)
    Fail("pipeline.retry_base_ms", "must not exceed pipeline.retry_max_ms");
  // The in-flight ledger that hands a retry record its job lives at least one dedupe window.
  if (config.pipeline.durable_retries && config.pipeline.retry_max_age_s > config.ratelimit.dedupe_window_s)
    Fail("pipeline.retry_max_age_s", "must not exceed ratelimit.dedupe_window_s while durable_retries is on");
  // Route names label events, metrics and carrier rate limits: one name, one account.
  for (size_t i = 0; i < config.smpp_routes.size(); ++i) {
    const std::string& name = config.smpp_routes[i].name;
    bool duplicate = name == config.smpp.name;
    for (size_t j = 0; j < i && !duplicate; ++j) duplicate = name == config.smpp_routes[j].name;
    if (duplicate)
      Fail("smpp_routes[" + std::to_string(i) + "].name", "duplicate route name \"" + name + "\"");
  }
  // Required non-secret credentials; the secrets are checked by LoadConfig after the
  // environment overrides.
  const FriendtalkSettings& ft = config.friendtalk;
  Require(ft.dealer.enabled, "friendtalk", "appkey", ft.appkey);
  Require(ft.dealer.enabled, "friendtalk", "sender_key", ft.sender_key);
  const RcsSettings& rcs = config.rcs;
  Require(rcs.dealer.enabled, "rcs", "app_key", rcs.app_key);
  Require(rcs.dealer.enabled, "rcs", "brand_id", rcs.brand_id);
  Require(rcs.dealer.enabled, "rcs", "chatbot_id", rcs.chatbot_id);
  Require(config.webhook.enabled, "webhook", "url", config.webhook.url);
  return config;
}

Config LoadConfig(const std::string& path) {
  std::string text;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("config: cannot read " + path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  Config config = ParseConfig(text);
  OverrideFromEnv("BULKD_KAFKA_BROKERS", config.kafka.brokers);
  OverrideFromEnv("BULKD_KAFKA_GROUP", config.kafka.group_id);
  OverrideFromEnv("BULKD_REDIS_HOST", config.redis.host);
  OverrideFromEnv("BULKD_REDIS_PORT", config.redis.port);
  OverrideFromEnv("BULKD_SMPP_HOST", config.smpp.host);
  OverrideFromEnv("BULKD_SMPP_PORT", config.smpp.port);
  OverrideFromEnv("BULKD_SMPP_SYSTEM_ID", config.smpp.system_id);
  OverrideFromEnv("BULKD_SMPP_PASSWORD", config.smpp.password);
  OverrideFromEnv("BULKD_ADMIN_PORT", config.admin.port);
  OverrideFromEnv("BULKD_KAKAO_BASE_URL", config.kakao.base_url);
  OverrideFromEnv("BULKD_KAKAO_SECRET_KEY", config.kakao.secret_key);
  OverrideFromEnv("BULKD_KAKAO_WEBHOOK_SECRET", config.kakao.webhook_secret);
  OverrideFromEnv("BULKD_FRIENDTALK_SECRET_KEY", config.friendtalk.dealer.secret_key);
  OverrideFromEnv("BULKD_RCS_SECRET_KEY", config.rcs.dealer.secret_key);
  OverrideFromEnv("BULKD_WEBHOOK_SECRET", config.webhook.secret);
  ValidateSecrets(config);
  return config;
}

}  // namespace bulkd::dispatcher
