#include "dispatcher/config.h"

#include <yaml-cpp/yaml.h>

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

void ReadSmpp(const YAML::Node& node, SmppRouteConfig& c) {
  ReadSection(node, "smpp", {
      {"name", [&](const YAML::Node& n, const std::string& k) { ReadString(n, k, c.name); }},
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
  });
}

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
  });
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
      {"smpp", [&](const YAML::Node& n, const std::string&) { ReadSmpp(n, config.smpp); }},
      {"pipeline", [&](const YAML::Node& n, const std::string&) { ReadPipeline(n, config.pipeline); }},
      {"admin", [&](const YAML::Node& n, const std::string&) { ReadAdmin(n, config.admin); }},
      {"ratelimit", [&](const YAML::Node& n, const std::string&) { ReadRateLimit(n, config.ratelimit); }},
      {"kakao", [&](const YAML::Node& n, const std::string&) { ReadKakao(n, config.kakao); }},
      {"inbound", [&](const YAML::Node& n, const std::string&) { ReadInbound(n, config.inbound); }},
  });
  if (config.pipeline.retry_base_ms > config.pipeline.retry_max_ms)
    Fail("pipeline.retry_base_ms", "must not exceed pipeline.retry_max_ms");
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
  return config;
}

}  // namespace bulkd::dispatcher
