// ratelimit/redis_connection.h — a small blocking Redis client (hiredis inside) for one
// shard thread: bounded connect and command waits, pipelined batches (one round trip for
// N commands), EVALSHA that loads the script on NOSCRIPT, errors as values, reconnect.
#pragma once

#include <boost/outcome/std_result.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

struct redisContext;  // hiredis; stays inside redis_connection.cc

namespace bulkd::ratelimit {

template <class T>
using Result = boost::outcome_v2::std_result<T>;

// Errors of this module (category "ratelimit"). Connection-level errors end the connection;
// the next call reconnects (after a backoff). Server error replies inside a pipeline are
// per-command values (RedisReply::kError), not connection errors.
enum class Errc : uint8_t {
  kOk = 0,
  kNotConnected,     // no connection and the reconnect backoff has not expired yet
  kConnectFailed,    // connect refused / unreachable / timed out
  kTimeout,          // no reply within command_timeout; connection closed (outcome unknown)
  kIo,               // socket error or EOF mid-command; connection closed (outcome unknown)
  kProtocol,         // unparsable reply; connection closed
  kLoading,          // -LOADING: server is loading its dataset
  kBusy,             // -BUSY: a script is running too long
  kNoScript,         // -NOSCRIPT after the reload attempt
  kReadOnly,         // -READONLY: connected to a replica
  kOom,              // -OOM: maxmemory reached
  kServerError,      // any other error reply (-ERR, -WRONGTYPE...): a bug or bad data
  kUnexpectedReply,  // a reply of the wrong shape for the caller
};

const std::error_category& RatelimitCategory();
std::error_code make_error_code(Errc e);

// The one place that decides retryability: true for errors that a later attempt may not
// meet (connection, timeout, loading, busy, OOM); false for bad commands and bad data.
bool IsRetryable(std::error_code ec);
// True when the command may have run on the server although no reply was read
// (kTimeout, kIo): resend only if the command is idempotent or keyed for idempotency.
bool IsOutcomeUnknown(std::error_code ec);

// One reply, copied out of hiredis.
struct RedisReply {
  enum class Type : uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
  // The Errc an error reply maps to (kOk when not an error).
  std::error_code error() const;
};

// A Lua script with its SHA-1 computed locally, so EVALSHA needs no prior round trip.
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }  // 40 lowercase hex digits

 private:
  std::string source_;
  std::string sha1_;
};

// Commands to send in one round trip. Formats RESP as commands are appended (no
// per-argument allocation); reusable after Clear(). Not thread-safe.
class RedisBatch {
 public:
  void Append(std::initializer_list<std::string_view> args);
  void Append(std::span<const std::string_view> args);
  // EVALSHA sha1 numkeys keys... args...; re-sent after SCRIPT LOAD on NOSCRIPT.
  // `script` must outlive the batch.
  void AppendEval(const RedisScript& script, std::span<const std::string_view> keys,
                  std::span<const std::string_view> args);
  size_t size() const { return commands_.size(); }
  bool empty() const { return commands_.empty(); }
  void Clear();

  // Incremental form for large argument lists: BeginCommand(argc), then argc AddArg.
  void BeginCommand(size_t argc, const RedisScript* script = nullptr);
  void AddArg(std::string_view arg);

 private:
  friend class RedisConnection;
  struct Command {
    size_t begin;                // offset in buffer_; ends where the next one begins
    const RedisScript* script;   // set for EVALSHA commands
  };
  std::string buffer_;
  std::vector<Command> commands_;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // when set, used instead of host:port
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{1000};  // bounds each socket wait
  std::chrono::milliseconds reconnect_backoff_min{50};   // doubles per failed attempt
  std::chrono::milliseconds reconnect_backoff_max{1000};
};

// Counters for metrics; written by the owning thread, readable from any thread.
struct RedisStats {
  std::atomic<uint64_t> round_trips{0};  // pipelines sent (incl. SCRIPT LOAD and resend)
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> reconnects{0};   // successful connects after the first
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> script_loads{0};  // NOSCRIPT recoveries
  std::atomic<uint64_t> errors{0};        // connection-level errors
};

// Not thread-safe: one per thread. Blocking. Never throws.
class RedisConnection {
 public:
  explicit RedisConnection(RedisOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now (commands otherwise connect lazily). Respects the backoff.
  std::error_code Connect();
  void Disconnect();
  bool connected() const { return ctx_ != nullptr; }

  // One command, one round trip. An error reply is returned as a value of type kError
  // (check reply.error()); the Result carries only connection-level errors.
  Result<RedisReply> Command(std::initializer_list<std::string_view> args);
  // Sends all commands, reads all replies (one round trip; a second one only when some
  // EVALSHA met NOSCRIPT: the scripts are loaded and exactly those commands re-sent,
  // since a command that got NOSCRIPT did not run). replies->size() == batch.size().
  std::error_code Execute(const RedisBatch& batch, std::vector<RedisReply>* replies);
  // EVALSHA with automatic SCRIPT LOAD; error replies of the script as values.
  Result<RedisReply> Eval(const RedisScript& script, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args);

  const RedisStats& stats() const { return stats_; }
  const RedisOptions& options() const { return options_; }

 private:
  std::error_code EnsureConnected();
  std::error_code Fail(std::error_code ec);  // closes the connection, counts
  std::error_code SendAndRead(std::string_view bytes, size_t count,
                              std::vector<RedisReply>* out);

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
  bool ever_connected_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
  RedisStats stats_;
  std::vector<std::string> loaded_once_;  // SHA-1s loaded by this connection object
};

}  // namespace bulkd::ratelimit

template <>
struct std::is_error_code_enum<bulkd::ratelimit::Errc> : std::true_type {};
