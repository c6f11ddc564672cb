// ratelimit/number_map.h — the carrier of a mobile number after number portability, held
// in Redis as one hash `numbermap` (E.164 number -> carrier name, e.g. "kt"), filled by
// whoever receives the portability feed (`redis-cli HSET bulkd:numbermap +8210... kt`).
// bulkd only reads it: one HMGET per admission batch, for the jobs without a carrier
// hint.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ratelimit/redis_connection.h"

namespace bulkd::ratelimit {

class NumberMap {
 public:
  NumberMap(RedisConnection& redis, std::string key_prefix);

  // carriers[i] = the carrier of numbers[i], or "" when the map has none (or holds a
  // value that is not 1-32 of [a-z0-9_-], which is ignored). One blocking round trip;
  // on a connection error returns it and leaves `carriers` all "".
  std::error_code Lookup(std::span<const std::string_view> numbers,
                         std::vector<std::string>& carriers);

  static bool IsCarrierName(std::string_view name);

 private:
  RedisConnection& redis_;
  std::string key_;
  RedisBatch batch_;
  std::vector<RedisReply> replies_;
};

}  // namespace bulkd::ratelimit
