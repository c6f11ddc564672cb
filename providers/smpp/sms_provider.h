// providers/smpp/sms_provider.h — SMS and LMS over one SMPP account: turns a job into a
// submit_sm in the route's encoding, maps SMSC answers and delivery receipts onto
// AttemptOutcome, and correlates receipts to jobs by message id.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "providers/provider.h"
#include "providers/smpp/client.h"

namespace bulkd::providers::smpp {

enum class RouteCoding : uint8_t {
  kUcs2,     // data_coding 0x08, UTF-16BE
  kKsc5601,  // data_coding 0x0E, EUC-KR bytes (Korean carriers)
  kGsm7,     // data_coding 0x00 when the text is GSM 03.38, else UCS-2
};

struct SmsProviderConfig {
  std::string name = "smpp-main";  // provider label
  ClientConfig client;
  std::string default_source_addr;  // caller id when the job names none
  RouteCoding coding = RouteCoding::kUcs2;
  // How long an accepted message's id is kept for its receipt; later receipts are
  // ignored (the dispatcher has ended the job by then).
  std::chrono::seconds receipt_retention{360};
};

// On the shard's io thread, like every Provider.
class SmsProvider final : public Provider {
 public:
  SmsProvider(boost::asio::io_context& io, SmsProviderConfig config);
  ~SmsProvider() override;

  std::string_view name() const override { return config_.name; }
  bool Serves(core::Channel channel) const override;
  void Start(ReportHandler on_report) override;
  void Stop() override;
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) override;
  bool ready() const override;
  size_t inflight() const override { return awaiting_.size(); }

  const ClientStats& client_stats() const;

 private:
  void OnSubmitResult(uint64_t cookie, const SubmitOutcome& outcome);
  void OnReceipt(const Receipt& receipt);
  void Report(uint64_t cookie, AttemptOutcome outcome, std::string code, std::string detail);
  // Reports an outcome decided inside Send() after Send() has returned.
  void ReportLater(uint64_t cookie, AttemptOutcome outcome, std::string code,
                   std::string detail);
  void ForgetExpiredIds();

  boost::asio::io_context& io_;
  SmsProviderConfig config_;
  std::unique_ptr<Client> client_;
  ReportHandler on_report_;
  // Accepted by the SMSC, waiting for a receipt: canonical message id -> cookie.
  std::unordered_map<std::string, uint64_t> awaiting_;
  // Ids in acceptance order with the time they stop being kept (constant retention).
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> retention_;
};

}  // namespace bulkd::providers::smpp
