// tests/support/redis_server.h — a real redis-server for integration tests: free loopback
// port, own temp dir, ready (PING answered) when the constructor returns, killed by the
// destructor. Never the default port 6379.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace bulkd::testing {

struct RedisServerOptions {
  bool appendonly = false;          // true: --appendonly yes --appendfsync always
  std::vector<std::string> extra_args;  // appended verbatim, e.g. {"--maxmemory", "64mb"}
  std::chrono::milliseconds start_timeout{10'000};  // until PING answers +PONG
};

class RedisServer {
 public:
  // Starts redis-server on 127.0.0.1 and a free port (picked by binding port 0; retried
  // with a new port if the server fails to bind). Blocks until PING answers. Throws
  // std::runtime_error if it cannot start. Persistence is off unless options.appendonly.
  explicit RedisServer(RedisServerOptions options = {});
  // Kills the server (SIGKILL) if still running; removes the temp dir.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::string& host() const { return host_; }  // "127.0.0.1"
  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }  // working dir (AOF, log)
  bool running() const { return process_ != nullptr; }

  // Graceful stop (SIGTERM: AOF flushed); waits for exit. No-op if stopped.
  void Stop();
  // Crash: SIGKILL, waits for exit. No-op if stopped.
  void Kill();
  // Starts again on the same port and dir (data survives only with AOF). Blocks until
  // ready; throws std::runtime_error on failure. No-op if running.
  void Start();
  // Stop() then Start().
  void Restart();

  // Sends one command over a fresh socket and returns the reply as text: simple strings,
  // integers and bulk strings as their value, nil as "(nil)", errors with a leading '-',
  // arrays as elements joined by '\n'. Throws std::runtime_error on I/O failure. For test
  // set-up and inspection (FLUSHALL, SCRIPT FLUSH, MEMORY USAGE, INFO), not for speed.
  std::string Command(const std::vector<std::string>& args) const;

 private:
  bool Launch();  // one attempt on port_; true once PING answers
  std::vector<std::string> Argv() const;

  RedisServerOptions options_;
  TempDir dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace bulkd::testing
