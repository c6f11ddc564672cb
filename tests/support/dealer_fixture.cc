#include "tests/support/dealer_fixture.h"

#include <boost/asio/post.hpp>

#include <fstream>
#include <utility>

namespace bulkd::testing {

using providers::AttemptReport;

std::string LoopbackUrl(uint16_t port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

DealerFixture::DealerFixture(core::Channel channel, std::chrono::milliseconds deadline)
    : channel_(channel), deadline_(deadline) {}

void DealerFixture::Attach(providers::Provider& provider) {
  attached_ = &provider;
  provider.Start([this](const AttemptReport& r) {
    EXPECT_FALSE(in_send_) << "report inside Send()";
    reports_[r.cookie].push_back(r);
    ++report_count_;
    if (on_report_) on_report_(r);
  });
}

bool DealerFixture::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  in_send_ = true;
  const bool ok = attached_->Send(cookie, job, channel);
  in_send_ = false;
  return ok;
}

bool DealerFixture::Send(uint64_t cookie, const core::Job& job) {
  return Send(cookie, job, channel_);
}

void DealerFixture::SendRange(uint64_t first, uint64_t count) {
  for (uint64_t i = first; i < first + count; ++i) ASSERT_TRUE(Send(i, JobFor(i))) << i;
}

void DealerFixture::ResendRetries(std::function<void(const AttemptReport&)> on_retry) {
  on_report_ = [this, on_retry = std::move(on_retry)](const AttemptReport& r) {
    if (r.outcome != O::kRetry) return;
    if (on_retry) on_retry(r);
    // Posted: the report handler runs inside the provider, which is no place to Send.
    boost::asio::post(io_, [this, cookie = r.cookie] { ASSERT_TRUE(Send(cookie, JobFor(cookie))); });
  };
}

bool DealerFixture::RunUntil(const std::function<bool()>& done) {
  return RunUntil(done, deadline_);
}

bool DealerFixture::RunUntil(const std::function<bool()>& done,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

void DealerFixture::RunFor(std::chrono::milliseconds duration) {
  RunUntil([] { return false; }, duration);
}

bool DealerFixture::AllFinal(uint64_t first, uint64_t count) const {
  for (uint64_t i = first; i < first + count; ++i) {
    const auto it = reports_.find(i);
    if (it == reports_.end() || it->second.empty() || it->second.back().outcome == O::kAccepted)
      return false;
  }
  return true;
}

bool DealerFixture::AllDelivered(uint64_t first, uint64_t count) const {
  for (uint64_t i = first; i < first + count; ++i) {
    const auto it = reports_.find(i);
    if (it == reports_.end() || it->second.empty() || it->second.back().outcome != O::kDelivered)
      return false;
  }
  return true;
}

std::vector<DealerFixture::O> DealerFixture::Outcomes(uint64_t cookie) const {
  std::vector<O> out;
  if (const auto it = reports_.find(cookie); it != reports_.end())
    for (const AttemptReport& r : it->second) out.push_back(r.outcome);
  return out;
}

std::string DealerFixture::NumberFor(uint64_t i) {
  const std::string digits = std::to_string(10000000 + i);
  return "+8210" + digits.substr(digits.size() - 8);
}

std::string DealerFixture::DealerNumberFor(uint64_t i) {
  // Appended, not "0" + substr(3): GCC 12 warns -Wrestrict (falsely) about that form.
  std::string number = "010";
  return number.append(NumberFor(i), 5);  // the 8 digits after "+8210"
}

}  // namespace bulkd::testing
