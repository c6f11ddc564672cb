#include "providers/smpp/sms_provider.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "core/text_encoding.h"

namespace bulkd::providers::smpp {
namespace {

constexpr uint8_t kDataCodingDefault = 0x00;
constexpr uint8_t kDataCodingUcs2 = 0x08;
constexpr uint8_t kDataCodingKsc5601 = 0x0E;
constexpr size_t kSingleSegmentOctets = 140;  // one segment's octets
constexpr size_t kKoreanSmsBytes = 90;    // DOMAIN.md: SMS body limit in EUC-KR bytes
constexpr size_t kKoreanLmsBytes = 2000;

std::string StatusCode(uint32_t status) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08X", status);
  return buffer;
}

struct Encoded {
  uint8_t data_coding = 0;
  std::string bytes;
};

// The job's text in the route's coding; nullopt when a character cannot be carried.
std::optional<Encoded> EncodeText(const std::string& text, RouteCoding coding) {
  switch (coding) {
    case RouteCoding::kKsc5601: {
      auto bytes = core::Utf8ToEucKr(text);
      if (!bytes) return std::nullopt;
      return Encoded{kDataCodingKsc5601, std::move(*bytes)};
    }
    case RouteCoding::kGsm7:
      if (core::IsGsm7(text)) return Encoded{kDataCodingDefault, core::Utf8ToGsm7Unpacked(text)};
      [[fallthrough]];
    case RouteCoding::kUcs2:
      return Encoded{kDataCodingUcs2, core::Utf8ToUcs2Be(text)};
  }
  return std::nullopt;
}

}  // namespace

SmsProvider::SmsProvider(boost::asio::io_context& io, SmsProviderConfig config)
    : io_(io), config_(std::move(config)) {
  ClientHandlers handlers;
  handlers.on_submit_result = [this](uint64_t cookie, const SubmitOutcome& outcome) {
    OnSubmitResult(cookie, outcome);
  };
  handlers.on_receipt = [this](const Receipt& receipt) { OnReceipt(receipt); };
  handlers.on_bound = [this](bool bound) {
    spdlog::info("smpp: provider={} bound={}", config_.name, bound);
  };
  client_ = std::make_unique<Client>(io, config_.client, std::move(handlers));
}

SmsProvider::~SmsProvider() = default;

bool SmsProvider::Serves(core::Channel channel) const {
  return channel == core::Channel::kSms || channel == core::Channel::kLms;
}

void SmsProvider::Start(ReportHandler on_report) {
  on_report_ = std::move(on_report);
  client_->Start();
}

void SmsProvider::Stop() { client_->Stop(); }

bool SmsProvider::ready() const { return client_->bound(); }

const ClientStats& SmsProvider::client_stats() const { return client_->stats(); }

bool SmsProvider::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  if (job.text.empty()) {
    ReportLater(cookie, AttemptOutcome::kFailed, "NO_TEXT", "the job has no text for SMS/LMS");
    return true;
  }
  // Korean carriers count EUC-KR bytes: 90 for SMS, 2,000 for LMS (DOMAIN.md).
  if (config_.coding == RouteCoding::kKsc5601) {
    auto bytes = core::EucKrByteCount(job.text);
    if (!bytes) {
      ReportLater(cookie, AttemptOutcome::kFailed, "ENCODING",
             "text has characters outside KS C 5601 (emoji?)");
      return true;
    }
    if (channel == core::Channel::kSms && *bytes > kKoreanSmsBytes) {
      ReportLater(cookie, AttemptOutcome::kFallback, "TOO_LONG_FOR_SMS", "over 90 bytes: needs LMS");
      return true;
    }
    if (*bytes > kKoreanLmsBytes) {
      ReportLater(cookie, AttemptOutcome::kFailed, "TOO_LONG", "over 2,000 bytes");
      return true;
    }
  }
  auto encoded = EncodeText(job.text, config_.coding);
  if (!encoded) {
    ReportLater(cookie, AttemptOutcome::kFailed, "ENCODING", "text cannot be encoded for this route");
    return true;
  }
  SubmitRequest request;
  request.cookie = cookie;
  request.source_addr = job.sender.empty() ? config_.default_source_addr : job.sender;
  request.dest_addr = job.to.substr(job.to[0] == '+' ? 1 : 0);  // TON 1: international
  request.data_coding = encoded->data_coding;
  // One segment goes in short_message; longer texts and every LMS go whole in
  // message_payload, and the SMSC splits them.
  if (channel == core::Channel::kSms && encoded->bytes.size() <= kSingleSegmentOctets) {
    request.short_message = std::move(encoded->bytes);
  } else {
    request.message_payload = std::move(encoded->bytes);
  }
  return client_->Submit(std::move(request));
}

void SmsProvider::OnSubmitResult(uint64_t cookie, const SubmitOutcome& outcome) {
  if (outcome.error) {
    if (IsOutcomeUnknown(outcome.error)) {
      Report(cookie, AttemptOutcome::kUncertain, "UNCERTAIN", outcome.error.message());
    } else {
      // Never left this process (stopped, or a field too long for SMPP).
      Report(cookie,
             outcome.error == Errc::kInvalidRequest ? AttemptOutcome::kFailed
                                                    : AttemptOutcome::kRetry,
             "NOT_SENT", outcome.error.message());
    }
    return;
  }
  switch (outcome.status_class) {
    case StatusClass::kOk: {
      std::string id = CanonicalMessageId(outcome.message_id, IdBase::kText);
      awaiting_[id] = cookie;
      retention_.emplace_back(std::chrono::steady_clock::now() + config_.receipt_retention,
                              std::move(id));
      ForgetExpiredIds();
      Report(cookie, AttemptOutcome::kAccepted, StatusCode(outcome.command_status), "");
      return;
    }
    case StatusClass::kThrottled:
    case StatusClass::kRetry:
      Report(cookie, AttemptOutcome::kRetry, StatusCode(outcome.command_status),
             std::string(StatusName(outcome.command_status)));
      return;
    case StatusClass::kPermanent:
      Report(cookie, AttemptOutcome::kFailed, StatusCode(outcome.command_status),
             std::string(StatusName(outcome.command_status)));
      return;
  }
}

void SmsProvider::OnReceipt(const Receipt& receipt) {
  if (!IsFinal(receipt.state)) return;  // ENROUTE/ACCEPTD: a final one follows
  auto it = awaiting_.find(CanonicalMessageId(receipt.message_id, IdBase::kText));
  if (it == awaiting_.end()) return;  // not ours, or already timed out
  const uint64_t cookie = it->second;
  awaiting_.erase(it);
  Report(cookie,
         receipt.state == MessageState::kDelivered ? AttemptOutcome::kDelivered
                                                   : AttemptOutcome::kUndelivered,
         std::string(ToString(receipt.state)), receipt.error.empty() ? "" : "err:" + receipt.error);
}

void SmsProvider::ForgetExpiredIds() {
  const auto now = std::chrono::steady_clock::now();
  while (!retention_.empty() && retention_.front().first <= now) {
    awaiting_.erase(retention_.front().second);
    retention_.pop_front();
  }
}

void SmsProvider::ReportLater(uint64_t cookie, AttemptOutcome outcome, std::string code,
                              std::string detail) {
  boost::asio::post(io_, [this, cookie, outcome, code = std::move(code),
                          detail = std::move(detail)]() mutable {
    Report(cookie, outcome, std::move(code), std::move(detail));
  });
}

void SmsProvider::Report(uint64_t cookie, AttemptOutcome outcome, std::string code,
                         std::string detail) {
  AttemptReport report;
  report.cookie = cookie;
  report.outcome = outcome;
  report.code = std::move(code);
  report.detail = std::move(detail);
  on_report_(report);
}

}  // namespace bulkd::providers::smpp
