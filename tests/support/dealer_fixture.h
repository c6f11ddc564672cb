// tests/support/dealer_fixture.h — what the dealer-provider integration tests (Kakao
// Alimtalk and Friendtalk, RCS, webhook) share: DealerFixture drives one provider on an
// io_context in the test thread, keeps its reports per cookie, waits with a deadline and
// can resend what came back kRetry; UseLoopbackDealer points a dealer config at a
// bizmsg-sim (bizmsg_sim.h) with millisecond timings; ReadLines reads a record file.
// The assertions stay in the tests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/job.h"
#include "providers/provider.h"

namespace bulkd::testing {

// "http://127.0.0.1:<port><path>".
std::string LoopbackUrl(uint16_t port, const std::string& path = "");

// Points a dealer config (providers::http::DealerConfig, or AlimtalkConfig, which has the
// same keys) at 127.0.0.1:`port`, with batches of 100 and timings for a simulator: 2 ms
// linger, a poll every 30 ms, a 3 s request timeout, a 10 ms pause after a 429. The
// defaults are seconds, which every test would sit out waiting for its results.
template <class Config>
void UseLoopbackDealer(Config& config, uint16_t port) {
  config.base_url = LoopbackUrl(port);
  config.batch_size = 100;
  config.linger = std::chrono::milliseconds(2);
  config.poll_interval = std::chrono::milliseconds(30);
  config.request_timeout = std::chrono::seconds(3);
  config.throttle_pause = std::chrono::milliseconds(10);
}

// Every line of a simulator record file (none when it does not exist yet).
std::vector<std::string> ReadLines(const std::string& path);

// A test fixture derives from it, says which job each cookie carries (JobFor) and on
// which channel, makes its provider and Attach()es it.
class DealerFixture : public ::testing::Test {
 protected:
  using O = providers::AttemptOutcome;

  // `deadline` is how long RunUntil waits unless told otherwise.
  explicit DealerFixture(core::Channel channel,
                         std::chrono::milliseconds deadline = std::chrono::seconds(20));

  // The job cookie `i` carries, for SendRange and resends.
  virtual core::Job JobFor(uint64_t i) const = 0;

  // Starts `provider`, keeping every report in reports_. A report from inside Send()
  // fails the test: providers post their reports, never call back inline.
  void Attach(providers::Provider& provider);
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel);
  bool Send(uint64_t cookie, const core::Job& job);  // on the fixture's channel
  // Sends JobFor(i) for every i in [first, first+count); a refused one fails the test.
  void SendRange(uint64_t first, uint64_t count);
  // From now on every kRetry report is shown to `on_retry`, then its job is resent
  // (posted, as the dispatcher would after its backoff).
  void ResendRetries(std::function<void(const providers::AttemptReport&)> on_retry = {});

  // Runs io_ until `done` or the deadline passes; returns done().
  bool RunUntil(const std::function<bool()>& done);
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // Runs io_ for `duration` whatever happens (a duplicate report would show up).
  void RunFor(std::chrono::milliseconds duration);

  // The last report of every cookie in [first, first+count) is final (not kAccepted).
  bool AllFinal(uint64_t first, uint64_t count) const;
  // The last report of every cookie in [first, first+count) is kDelivered.
  bool AllDelivered(uint64_t first, uint64_t count) const;
  // The outcomes reported for `cookie`, in order.
  std::vector<O> Outcomes(uint64_t cookie) const;

  // A Korean mobile number per index: "+8210" + 8 digits.
  static std::string NumberFor(uint64_t i);
  // The same number as the dealer writes it: "010" + 8 digits.
  static std::string DealerNumberFor(uint64_t i);

  boost::asio::io_context io_{1};
  std::map<uint64_t, std::vector<providers::AttemptReport>> reports_;
  size_t report_count_ = 0;

 private:
  const core::Channel channel_;
  const std::chrono::milliseconds deadline_;
  providers::Provider* attached_ = nullptr;
  bool in_send_ = false;
  std::function<void(const providers::AttemptReport&)> on_report_;
};

}  // namespace bulkd::testing
