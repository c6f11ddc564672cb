#include "ratelimit/redis_connection.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ratelimit/log.h"

namespace bulkd::ratelimit {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ratelimit"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk: return "ok";
      case Errc::kNotConnected: return "redis not connected (reconnect backoff)";
      case Errc::kConnectFailed: return "redis connect failed";
      case Errc::kTimeout: return "redis command timed out";
      case Errc::kIo: return "redis connection I/O error";
      case Errc::kProtocol: return "redis protocol error";
      case Errc::kLoading: return "redis is loading its dataset";
      case Errc::kBusy: return "redis busy running a script";
      case Errc::kNoScript: return "redis script not loaded";
      case Errc::kReadOnly: return "redis replica is read-only";
      case Errc::kOom: return "redis out of memory (maxmemory)";
      case Errc::kServerError: return "redis error reply";
      case Errc::kUnexpectedReply: return "unexpected redis reply";
    }
    return "unknown ratelimit error";
  }
};

// Minimal SHA-1 (FIPS 180-1), only to name scripts for EVALSHA.
std::string Sha1Hex(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(data);
  const uint64_t bit_len = static_cast<uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bit_len >> (i * 8)) & 0xff));
  auto rol = [](uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + i * 4);
      w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d), k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d, k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d, k = 0xCA62C1D6;
      }
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (uint32_t v : h) {
    for (int i = 7; i >= 0; --i) out.push_back(kHex[(v >> (i * 4)) & 0xf]);
  }
  return out;
}

void AppendBulk(std::string* buf, std::string_view arg) {
  char head[32];
  const int n = std::snprintf(head, sizeof head, "$%zu\r\n", arg.size());
  buf->append(head, static_cast<size_t>(n));
  buf->append(arg.data(), arg.size());
  buf->append("\r\n", 2);
}

void AppendArrayHeader(std::string* buf, size_t argc) {
  char head[32];
  const int n = std::snprintf(head, sizeof head, "*%zu\r\n", argc);
  buf->append(head, static_cast<size_t>(n));
}

void CopyReply(const redisReply* r, RedisReply* out) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out->type = RedisReply::Type::kString;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out->type = RedisReply::Type::kStatus;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out->type = RedisReply::Type::kError;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out->type = RedisReply::Type::kInteger;
      out->integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out->type = RedisReply::Type::kArray;
      out->elements.resize(r->elements);
      for (size_t i = 0; i < r->elements; ++i) CopyReply(r->element[i], &out->elements[i]);
      break;
    default:
      out->type = RedisReply::Type::kNil;
      break;
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

const std::error_category& RatelimitCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), RatelimitCategory()}; }

bool IsRetryable(std::error_code ec) {
  if (ec.category() != RatelimitCategory()) return false;
  switch (static_cast<Errc>(ec.value())) {
    case Errc::kNotConnected:
    case Errc::kConnectFailed:
    case Errc::kTimeout:
    case Errc::kIo:
    case Errc::kLoading:
    case Errc::kBusy:
    case Errc::kNoScript:
    case Errc::kReadOnly:  // failover in progress: the new primary will accept
    case Errc::kOom:
      return true;
    default:
      return false;
  }
}

bool IsOutcomeUnknown(std::error_code ec) {
  return ec == Errc::kTimeout || ec == Errc::kIo;
}

std::error_code RedisReply::error() const {
  if (type != Type::kError) return {};
  if (StartsWith(str, "NOSCRIPT")) return Errc::kNoScript;
  if (StartsWith(str, "LOADING")) return Errc::kLoading;
  if (StartsWith(str, "BUSY")) return Errc::kBusy;
  if (StartsWith(str, "READONLY")) return Errc::kReadOnly;
  if (StartsWith(str, "OOM")) return Errc::kOom;
  return Errc::kServerError;
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {
  sha1_ = Sha1Hex(source_);
}

void RedisBatch::Append(std::initializer_list<std::string_view> args) {
  BeginCommand(args.size());
  for (std::string_view a : args) AddArg(a);
}

void RedisBatch::Append(std::span<const std::string_view> args) {
  BeginCommand(args.size());
  for (std::string_view a : args) AddArg(a);
}

void RedisBatch::AppendEval(const RedisScript& script, std::span<const std::string_view> keys,
                            std::span<const std::string_view> args) {
  BeginCommand(3 + keys.size() + args.size(), &script);
  AddArg("EVALSHA");
  AddArg(script.sha1());
  AddArg(std::to_string(keys.size()));
  for (std::string_view k : keys) AddArg(k);
  for (std::string_view a : args) AddArg(a);
}

void RedisBatch::BeginCommand(size_t argc, const RedisScript* script) {
  commands_.push_back({buffer_.size(), script});
  AppendArrayHeader(&buffer_, argc);
}

void RedisBatch::AddArg(std::string_view arg) { AppendBulk(&buffer_, arg); }

void RedisBatch::Clear() {
  buffer_.clear();
  commands_.clear();
}

RedisConnection::RedisConnection(RedisOptions options) : options_(std::move(options)) {}

RedisConnection::~RedisConnection() { Disconnect(); }

void RedisConnection::Disconnect() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

std::error_code RedisConnection::Connect() { return EnsureConnected(); }

std::error_code RedisConnection::EnsureConnected() {
  if (ctx_) return {};
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) return Errc::kNotConnected;
  timeval tv{};
  tv.tv_sec = options_.connect_timeout.count() / 1000;
  tv.tv_usec = (options_.connect_timeout.count() % 1000) * 1000;
  redisContext* c =
      options_.unix_socket.empty()
          ? redisConnectWithTimeout(options_.host.c_str(), options_.port, tv)
          : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), tv);
  if (c == nullptr || c->err) {
    const std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    backoff_ = std::clamp(backoff_ * 2, options_.reconnect_backoff_min,
                          options_.reconnect_backoff_max);
    next_attempt_ = now + backoff_;
    const uint64_t failures = ++stats_.connect_failures;
    // Rate-limited: the first failure and then every 64th.
    if ((failures & 63) == 1) {
      internal::Log().warn("redis connect failed host={} port={} error=\"{}\" failures={}",
                   options_.host, options_.port, why, failures);
    }
    return Errc::kConnectFailed;
  }
  tv.tv_sec = options_.command_timeout.count() / 1000;
  tv.tv_usec = (options_.command_timeout.count() % 1000) * 1000;
  redisSetTimeout(c, tv);
  ctx_ = c;
  backoff_ = std::chrono::milliseconds{0};
  if (ever_connected_) {
    ++stats_.reconnects;
    internal::Log().info("redis reconnected host={} port={}", options_.host, options_.port);
  }
  ever_connected_ = true;
  return {};
}

std::error_code RedisConnection::Fail(std::error_code ec) {
  ++stats_.errors;
  Disconnect();
  // The next call may reconnect at once; repeated connect failures back off.
  next_attempt_ = std::chrono::steady_clock::time_point{};
  return ec;
}

std::error_code RedisConnection::SendAndRead(std::string_view bytes, size_t count,
                                             std::vector<RedisReply>* out) {
  if (auto ec = EnsureConnected()) return ec;
  ++stats_.round_trips;
  stats_.commands += count;
  if (redisAppendFormattedCommand(ctx_, bytes.data(), bytes.size()) != REDIS_OK) {
    return Fail(Errc::kIo);
  }
  const size_t base = out->size();
  out->resize(base + count);
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      const int saved_errno = errno;
      Errc code = Errc::kIo;
      if (ctx_->err == REDIS_ERR_PROTOCOL) {
        code = Errc::kProtocol;
      } else if (ctx_->err == REDIS_ERR_IO &&
                 (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
                  std::strstr(ctx_->errstr, "temporarily unavailable") != nullptr)) {
        code = Errc::kTimeout;
      }
      out->resize(base);
      return Fail(code);
    }
    auto* reply = static_cast<redisReply*>(raw);
    CopyReply(reply, &(*out)[base + i]);
    freeReplyObject(reply);
  }
  return {};
}

Result<RedisReply> RedisConnection::Command(std::initializer_list<std::string_view> args) {
  RedisBatch batch;
  batch.Append(args);
  std::vector<RedisReply> replies;
  if (auto ec = Execute(batch, &replies)) return ec;
  return std::move(replies.front());
}

std::error_code RedisConnection::Execute(const RedisBatch& batch,
                                         std::vector<RedisReply>* replies) {
  replies->clear();
  if (batch.empty()) return {};
  if (auto ec = SendAndRead(batch.buffer_, batch.commands_.size(), replies)) return ec;

  // NOSCRIPT: load each missing script once, re-send exactly the refused commands.
  std::vector<size_t> refused;
  for (size_t i = 0; i < replies->size(); ++i) {
    if (batch.commands_[i].script && (*replies)[i].error() == Errc::kNoScript) {
      refused.push_back(i);
    }
  }
  if (refused.empty()) return {};
  RedisBatch retry;
  std::vector<const RedisScript*> loaded;
  for (size_t i : refused) {
    const RedisScript* script = batch.commands_[i].script;
    if (std::find(loaded.begin(), loaded.end(), script) != loaded.end()) continue;
    loaded.push_back(script);
    retry.Append({"SCRIPT", "LOAD", script->source()});
  }
  const size_t loads = retry.size();
  for (size_t i : refused) {
    const auto& cmd = batch.commands_[i];
    const size_t end = (i + 1 == batch.commands_.size()) ? batch.buffer_.size()
                                                         : batch.commands_[i + 1].begin;
    retry.commands_.push_back({retry.buffer_.size(), cmd.script});
    retry.buffer_.append(batch.buffer_, cmd.begin, end - cmd.begin);
  }
  stats_.script_loads += loads;
  // The first load of a script on a connection is routine; later ones mean the server
  // lost its script cache (restart, failover, SCRIPT FLUSH).
  bool routine = true;
  for (const RedisScript* script : loaded) {
    if (std::find(loaded_once_.begin(), loaded_once_.end(), script->sha1()) ==
        loaded_once_.end()) {
      loaded_once_.push_back(script->sha1());
    } else {
      routine = false;
    }
  }
  static std::atomic<int64_t> last_log{0};
  if (!routine && internal::ShouldLog(last_log)) {
    internal::Log().warn("redis NOSCRIPT: script cache lost, loaded scripts={} resent={}",
                         loads, refused.size());
  }
  std::vector<RedisReply> second;
  if (auto ec = SendAndRead(retry.buffer_, retry.commands_.size(), &second)) return ec;
  for (size_t j = 0; j < refused.size(); ++j) {
    (*replies)[refused[j]] = std::move(second[loads + j]);
  }
  return {};
}

Result<RedisReply> RedisConnection::Eval(const RedisScript& script,
                                         std::span<const std::string_view> keys,
                                         std::span<const std::string_view> args) {
  RedisBatch batch;
  batch.AppendEval(script, keys, args);
  std::vector<RedisReply> replies;
  if (auto ec = Execute(batch, &replies)) return ec;
  return std::move(replies.front());
}

}  // namespace bulkd::ratelimit
