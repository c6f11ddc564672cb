#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

namespace bulkd::testing {
namespace {

using namespace std::chrono_literals;

// A port the kernel considers free right now (bind 127.0.0.1:0, read it back, close).
int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("RedisServer: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("RedisServer: cannot bind a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

class Socket {
 public:
  Socket(const std::string& host, int port, std::chrono::milliseconds timeout) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  bool WriteAll(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until `buffer_` holds at least `n` bytes past `pos`.
  bool Fill(size_t need) {
    while (buffer_.size() < need) {
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }
  bool ReadLine(std::string* line) {
    for (;;) {
      size_t crlf = buffer_.find("\r\n", pos_);
      if (crlf != std::string::npos) {
        *line = buffer_.substr(pos_, crlf - pos_);
        pos_ = crlf + 2;
        return true;
      }
      if (!Fill(buffer_.size() + 1)) return false;
    }
  }
  // One RESP reply rendered as text (see RedisServer::Command).
  bool ReadReply(std::string* out) {
    std::string line;
    if (!ReadLine(&line) || line.empty()) return false;
    const char type = line[0];
    const std::string rest = line.substr(1);
    switch (type) {
      case '+':
      case ':':
        *out = rest;
        return true;
      case '-':
        *out = line;
        return true;
      case '$': {
        long len = std::stol(rest);
        if (len < 0) {
          *out = "(nil)";
          return true;
        }
        if (!Fill(pos_ + static_cast<size_t>(len) + 2)) return false;
        *out = buffer_.substr(pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len) + 2;
        return true;
      }
      case '*': {
        long count = std::stol(rest);
        out->clear();
        for (long i = 0; i < count; ++i) {
          std::string element;
          if (!ReadReply(&element)) return false;
          if (i > 0) out->push_back('\n');
          *out += element;
        }
        if (count < 0) *out = "(nil)";
        return true;
      }
      default:
        return false;
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
  size_t pos_ = 0;
};

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out;
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) {
    out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return out;
}

// True when PING answers +PONG (not -LOADING, not refused).
bool Pings(const std::string& host, int port) {
  Socket s(host, port, 500ms);
  std::string reply;
  return s.ok() && s.WriteAll(EncodeCommand({"PING"})) && s.ReadReply(&reply) &&
         reply == "PONG";
}

}  // namespace

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = PickFreePort();
    if (Launch()) return;
  }
  throw std::runtime_error("RedisServer: redis-server did not start (see " + dir_.path() +
                           "/redis.log)");
}

RedisServer::~RedisServer() { Kill(); }

std::vector<std::string> RedisServer::Argv() const {
  std::vector<std::string> argv = {
      "redis-server",  "--port",      std::to_string(port_), "--bind",  host_,
      "--dir",         dir_.path(),   "--logfile",           "redis.log",
      "--daemonize",   "no",          "--save",              "",
      "--protected-mode", "no"};
  if (options_.appendonly) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  return argv;
}

bool RedisServer::Launch() {
  process_ = std::make_unique<ChildProcess>(Argv());
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->WaitForExit(0ms)) break;  // exited: bind failure or bad args
    if (Pings(host_, port_)) {
      // Make sure the server answering is ours, not another one that won the port.
      const std::string info = Command({"INFO", "server"});
      if (info.find("process_id:" + std::to_string(process_->pid()) + "\r") !=
          std::string::npos) {
        return true;
      }
      break;
    }
    // Polling readiness: redis-server offers no fd to wait on besides its port.
    std::this_thread::sleep_for(10ms);
  }
  process_->Signal(SIGKILL);
  process_->WaitForExit(5s);
  process_.reset();
  return false;
}

void RedisServer::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  if (!process_->WaitForExit(10s)) {
    process_->Signal(SIGKILL);
    process_->WaitForExit(5s);
  }
  process_.reset();
}

void RedisServer::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->WaitForExit(5s);
  process_.reset();
}

void RedisServer::Start() {
  if (process_) return;
  // The old listening socket may linger briefly; redis sets SO_REUSEADDR, so a few
  // attempts cover the rare race with the kernel releasing the port.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (Launch()) return;
  }
  throw std::runtime_error("RedisServer: restart on port " + std::to_string(port_) +
                           " failed (see " + dir_.path() + "/redis.log)");
}

void RedisServer::Restart() {
  Stop();
  Start();
}

std::string RedisServer::Command(const std::vector<std::string>& args) const {
  Socket s(host_, port_, 5s);
  std::string reply;
  if (!s.ok() || !s.WriteAll(EncodeCommand(args)) || !s.ReadReply(&reply)) {
    throw std::runtime_error("RedisServer::Command: I/O failure on port " +
                             std::to_string(port_));
  }
  return reply;
}

}  // namespace bulkd::testing
