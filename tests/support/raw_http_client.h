// tests/support/raw_http_client.h — a plain POSIX-socket HTTP/1.1 client for testing
// bulkd's own HTTP servers (admin, webhooks), so they are not only checked by the library
// that implements them. Sends raw bytes (garbage included); every wait has a deadline, so
// a broken server fails the test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bulkd::testing {

struct RawHttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// One TCP connection to 127.0.0.1:port. Not thread-safe.
class RawHttpClient {
 public:
  // Connects; throws std::runtime_error when it cannot.
  explicit RawHttpClient(uint16_t port);
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  // Writes all of `bytes`; false when the connection is gone.
  bool Send(std::string_view bytes);
  // Reads one response; the body by Content-Length unless `head`. nullopt on close or
  // timeout before a whole response arrived.
  std::optional<RawHttpResponse> Read(bool head = false,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the server closes the connection (EOF or reset) within `timeout` without
  // sending anything more.
  bool WaitClosed(std::chrono::milliseconds timeout);
  // Reads and discards until the server closes the connection; false when it is still
  // open after `timeout`.
  bool ReadUntilClosed(std::chrono::milliseconds timeout);
  // Half-closes our side (the server reads EOF).
  void ShutdownWrite();

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_;
  std::string buffer_;
  bool timed_out_ = false;
};

// One request on a fresh connection ("Connection: close"); nullopt on failure.
std::optional<RawHttpResponse> RawHttpGet(uint16_t port, const std::string& target);

}  // namespace bulkd::testing
