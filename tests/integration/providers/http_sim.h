// tests/integration/providers/http_sim.h — shared by the HTTP provider integration tests:
// a running bizmsg-sim child (port read from its first line), an io_context driven in
// the test thread with deadlines, and a report collector.
#pragma once

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "providers/provider.h"
#include "tests/support/child_process.h"

namespace bulkd::providers::http::testing {

using namespace std::chrono_literals;

class BizmsgSimProcess {
 public:
  explicit BizmsgSimProcess(std::vector<std::string> args) {
    std::vector<std::string> argv = {bulkd::testing::BuiltBinary("tools/bizmsg_sim/bizmsg-sim")};
    if (std::find(args.begin(), args.end(), "--port") == args.end()) {
      argv.insert(argv.end(), {"--port", "0"});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<bulkd::testing::ChildProcess>(argv);
    const auto line = process_->WaitForLine("bizmsg-sim listening on 127.0.0.1:", 10s);
    if (!line) throw std::runtime_error("bizmsg-sim did not start");
    port_ = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void Stop() {  // SIGTERM and wait: the record file is complete afterwards
    process_->Signal(SIGTERM);
    ASSERT_EQ(process_->WaitForExit(10s), 0);
  }
  void Kill() {
    process_->Signal(SIGKILL);
    process_->WaitForExit(10s);
  }

 private:
  std::unique_ptr<bulkd::testing::ChildProcess> process_;
  uint16_t port_ = 0;
};

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The first column of each line (recipientNo, or the hook's idempotency key).
inline std::multiset<std::string> FirstColumn(const std::vector<std::string>& lines) {
  std::multiset<std::string> out;
  for (const std::string& line : lines) out.insert(line.substr(0, line.find('\t')));
  return out;
}

// Drives a provider on an io_context in the test thread and keeps its reports.
class ProviderHarness : public ::testing::Test {
 protected:
  using O = AttemptOutcome;

  void Attach(Provider& provider) {
    provider_ = &provider;
    provider.Start([this](const AttemptReport& r) {
      EXPECT_FALSE(in_send_) << "report inside Send()";
      reports_[r.cookie].push_back(r);
      ++report_count_;
      if (on_report_) on_report_(r);
    });
  }
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
    in_send_ = true;
    const bool ok = provider_->Send(cookie, job, channel);
    in_send_ = false;
    return ok;
  }
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
    }
    return done();
  }
  void RunFor(std::chrono::milliseconds d) {
    RunUntil([] { return false; }, d);
  }
  // The last report of every cookie in [first, first+count) is final (not kAccepted).
  bool AllFinal(uint64_t first, uint64_t count) {
    for (uint64_t i = first; i < first + count; ++i) {
      auto it = reports_.find(i);
      if (it == reports_.end() || it->second.back().outcome == O::kAccepted) return false;
    }
    return true;
  }
  std::vector<O> Outcomes(uint64_t cookie) {
    std::vector<O> out;
    for (const AttemptReport& r : reports_[cookie]) out.push_back(r.outcome);
    return out;
  }
  // A Korean mobile number per index: "+8210" + 8 digits.
  static std::string NumberFor(uint64_t i) {
    std::string digits = std::to_string(10000000 + i);
    return "+8210" + digits.substr(digits.size() - 8);
  }
  static std::string DealerNumberFor(uint64_t i) { return "0" + NumberFor(i).substr(3); }

  boost::asio::io_context io_{1};
  Provider* provider_ = nullptr;
  std::map<uint64_t, std::vector<AttemptReport>> reports_;
  size_t report_count_ = 0;
  bool in_send_ = false;
  std::function<void(const AttemptReport&)> on_report_;
};

}  // namespace bulkd::providers::http::testing
