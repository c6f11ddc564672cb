#include "ratelimit/number_map.h"

#include "ratelimit/log.h"

namespace bulkd::ratelimit {

NumberMap::NumberMap(RedisConnection& redis, std::string key_prefix)
    : redis_(redis), key_(std::move(key_prefix) + "numbermap") {}

bool NumberMap::IsCarrierName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

std::error_code NumberMap::Lookup(std::span<const std::string_view> numbers,
                                  std::vector<std::string>& carriers) {
  carriers.assign(numbers.size(), std::string());
  if (numbers.empty()) return {};
  batch_.Clear();
  batch_.BeginCommand(2 + numbers.size());
  batch_.AddArg("HMGET");
  batch_.AddArg(key_);
  for (std::string_view number : numbers) batch_.AddArg(number);
  if (auto ec = redis_.Execute(batch_, &replies_)) return ec;
  const RedisReply& reply = replies_.front();
  if (reply.is_error()) return reply.error();
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != numbers.size()) {
    return Errc::kUnexpectedReply;
  }
  size_t ignored = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const RedisReply& value = reply.elements[i];
    if (value.type != RedisReply::Type::kString) continue;  // nil: not in the map
    if (IsCarrierName(value.str)) {
      carriers[i] = value.str;
    } else {
      ++ignored;
    }
  }
  if (ignored > 0) {
    static std::atomic<int64_t> last_log{0};
    if (internal::ShouldLog(last_log)) {
      internal::Log().warn("numbermap: {} entries are not carrier names ([a-z0-9_-], 1-32); ignored",
                           ignored);
    }
  }
  return {};
}

}  // namespace bulkd::ratelimit
