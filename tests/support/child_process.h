// tests/support/child_process.h — runs a helper binary (redis-server, smsc-sim, bulkd...)
// as a child process for integration and e2e tests, and always reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bulkd::testing {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with stdout piped to us; stderr is inherited.
  // Throws std::runtime_error if the process cannot be started.
  explicit ChildProcess(std::vector<std::string> argv);
  // Sends SIGTERM, waits up to 5 s, then SIGKILL; always reaps.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stdout lines until one contains `needle` or the deadline passes; returns the
  // line, or nullopt on timeout/EOF. Lines read are appended to output().
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout);
  // Sends `signal` (SIGTERM, SIGINT, SIGKILL...).
  void Signal(int signal);
  // Waits for exit up to `timeout`; returns the exit status (WEXITSTATUS, or 128+signal)
  // or nullopt if still running.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::string output_;
  std::optional<int> exit_status_;
};

// Polls `condition` until it is true or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll_interval = std::chrono::milliseconds(10));

// A fresh temporary directory, removed (recursively) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Path of a binary built by this project, e.g. BuiltBinary("tools/smsc_sim/smsc-sim").
std::string BuiltBinary(const std::string& relative_path);

}  // namespace bulkd::testing
