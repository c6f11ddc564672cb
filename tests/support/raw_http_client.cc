#include "tests/support/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace bulkd::testing {

using Clock = std::chrono::steady_clock;

RawHttpClient::RawHttpClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("connect failed");
  }
}

RawHttpClient::~RawHttpClient() { ::close(fd_); }

bool RawHttpClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<RawHttpResponse> RawHttpClient::Read(bool head, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!Fill(deadline)) return std::nullopt;
  RawHttpResponse res;
  const std::string head_text = buffer_.substr(0, header_end);
  if (std::sscanf(head_text.c_str(), "HTTP/1.%*d %d", &res.status) != 1) return std::nullopt;
  size_t pos = head_text.find("\r\n");
  while (pos != std::string::npos) {
    const size_t next = head_text.find("\r\n", pos + 2);
    const std::string line =
        head_text.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const size_t value = line.find_first_not_of(' ', colon + 1);
      res.headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
    pos = next;
  }
  buffer_.erase(0, header_end + 4);
  const size_t length = head ? 0 : std::stoul(res.headers["content-length"]);
  while (buffer_.size() < length)
    if (!Fill(deadline)) return std::nullopt;
  res.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return res;
}

bool RawHttpClient::WaitClosed(std::chrono::milliseconds timeout) {
  const size_t before = buffer_.size();
  const bool closed = !Fill(Clock::now() + timeout) && !timed_out_;
  return closed && buffer_.size() == before;
}

bool RawHttpClient::ReadUntilClosed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) buffer_.clear();
  return !timed_out_;
}

void RawHttpClient::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

bool RawHttpClient::Fill(Clock::time_point deadline) {
  timed_out_ = false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  pollfd pfd{fd_, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) != 1) {
    timed_out_ = true;
    return false;
  }
  char chunk[65536];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<RawHttpResponse> RawHttpGet(uint16_t port, const std::string& target) {
  RawHttpClient client(port);
  if (!client.Send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
    return std::nullopt;
  return client.Read();
}

}  // namespace bulkd::testing
