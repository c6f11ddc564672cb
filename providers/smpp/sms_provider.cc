#include "providers/smpp/sms_provider.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/text_encoding.h"

namespace bulkd::providers::smpp {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr uint8_t kDataCodingDefault = 0x00;
constexpr uint8_t kDataCodingUcs2 = 0x08;
constexpr uint8_t kDataCodingKsc5601 = 0x0E;
constexpr size_t kKoreanSmsBytes = 90;    // docs/domain.md: SMS body limit in EUC-KR bytes
constexpr size_t kKoreanLmsBytes = 2000;
// Final receipts kept while their submit_sm_resp may still come (bounded memory).
constexpr size_t kMaxEarlyReceipts = 65536;

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("providers")) return existing;
    return spdlog::default_logger()->clone("providers");
  }();
  return logger;
}

// At most one line per second for a degraded path that may repeat per message.
bool AllowWarn(SteadyClock::time_point& next) {
  const auto now = SteadyClock::now();
  if (now < next) return false;
  next = now + std::chrono::seconds(1);
  return true;
}

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

std::string PartiallySent(size_t accepted, size_t total) {
  return "partially sent " + std::to_string(accepted) + "/" + std::to_string(total);
}

}  // namespace

// One job's attempt: its parts and what the SMSC said about each.
struct SmsProvider::Message {
  enum class State : uint8_t {
    kPending,    // submitted (or waiting for a resubmit), no answer yet
    kAccepted,   // submit_sm_resp OK
    kTransient,  // refused, may be tried again (throttled, system error, not sent)
    kPermanent,  // refused for good (or a transient refusal out of retries)
    kUncertain,  // no answer: it may have been accepted
  };
  struct Part {
    SubmitRequest request;  // kept until accepted, for a resubmit
    State state = State::kPending;
    std::string code, detail;  // of the last answer
    std::string id;            // canonical message id once accepted
    uint32_t resubmits = 0;
    bool final_receipt = false;
  };
  uint64_t cookie = 0;
  uint32_t charged = 1;    // AttemptReport.parts
  uint32_t unresolved = 0; // parts submitted without an answer yet
  uint32_t delivered = 0;  // parts with a DELIVRD receipt
  bool accepted_reported = false;
  std::optional<std::pair<std::string, std::string>> undelivered;  // early receipt (code, detail)
  std::vector<Part> parts;
};

struct SmsProvider::EarlyReceipts {
  struct Entry {
    MessageState state;
    std::string error;
    SteadyClock::time_point expires;  // tells this entry from an earlier one of its id
  };
  std::unordered_map<std::string, Entry> by_id;  // canonical message id
  std::deque<std::pair<SteadyClock::time_point, std::string>> order;  // with expiry
};

SmsProvider::SmsProvider(boost::asio::io_context& io, SmsProviderConfig config)
    : io_(io),
      config_(std::move(config)),
      early_(std::make_unique<EarlyReceipts>()),
      retry_timer_(io),
      early_timer_(io) {
  if (config_.max_parts == 0 || config_.max_parts > kMaxParts) {
    throw std::invalid_argument("smpp: max_parts must be 1.." + std::to_string(kMaxParts));
  }
  next_ref_ = static_cast<uint8_t>(std::random_device{}());
  ClientHandlers handlers;
  handlers.on_submit_result = [this](uint64_t cookie, const SubmitOutcome& outcome) {
    OnSubmitResult(cookie, outcome);
  };
  handlers.on_receipt = [this](const Receipt& receipt) { OnReceipt(receipt); };
  handlers.on_mo = [this](const Pdu& deliver_sm) { OnMo(deliver_sm); };
  pool_ = std::make_unique<BindPool>(
      io, config_.client, config_.binds, std::move(handlers), [this](size_t bind, bool bound) {
        Log()->info("smpp: provider={} bind={} bound={} binds_bound={}/{} requeued_total={}",
                    config_.name, bind, bound, pool_->bound(), pool_->size(), pool_->requeued());
      });
}

SmsProvider::~SmsProvider() = default;

bool SmsProvider::Serves(core::Channel channel) const {
  return channel == core::Channel::kSms || channel == core::Channel::kLms;
}

void SmsProvider::Start(ReportHandler on_report) {
  on_report_ = std::move(on_report);
  pool_->Start();
}

void SmsProvider::Stop() {
  pool_->Stop();
  RunDueRetries(/*all=*/true);  // the client refuses them now: they end as not sent
  // No submit_sm_resp can match the kept receipts any more: they are orphans now.
  ExpireEarlyReceipts(SteadyClock::time_point::max(), /*make_room=*/false);
  if (early_timer_armed_) {
    early_timer_.cancel();
    early_timer_armed_ = false;
  }
}

bool SmsProvider::ready() const { return pool_->bound() > 0; }

ClientStats SmsProvider::client_stats() const { return pool_->stats(); }

bool SmsProvider::Send(uint64_t cookie, const core::Job& job, core::Channel channel) {
  if (job.text.empty()) {
    ReportLater(cookie, AttemptOutcome::kFailed, "NO_TEXT", "the job has no text for SMS/LMS");
    return true;
  }
  // Korean carriers count EUC-KR bytes: 90 for SMS, 2,000 for LMS (docs/domain.md).
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

  // LMS goes whole in message_payload; an SMS that fits one message in short_message;
  // a longer SMS per the route's long-message mode.
  const SegmentUnit unit = UnitForDataCoding(encoded->data_coding);
  const bool lms = channel == core::Channel::kLms;
  const size_t segments = lms ? 1 : SplitIntoParts(encoded->bytes, unit).size();
  std::vector<SegmentedPart> parts;
  uint32_t charged = 1;
  if (lms || (segments > 1 && config_.long_message_mode == LongMessageMode::kMessagePayload)) {
    charged = static_cast<uint32_t>(segments);
  } else if (segments > config_.max_parts) {
    ReportLater(cookie, AttemptOutcome::kFailed, "TOO_LONG",
                "needs " + std::to_string(segments) + " parts, the route allows " +
                    std::to_string(config_.max_parts),
                static_cast<uint32_t>(segments));
    return true;
  } else {
    const uint8_t ref = segments > 1 ? next_ref_ : 0;
    parts = Segment(encoded->bytes, unit, config_.long_message_mode, ref);
    charged = static_cast<uint32_t>(parts.size());
  }
  // Every part must fit one bind's queue, or none is sent (the caller retries).
  const size_t submits = parts.empty() ? 1 : parts.size();
  const int bind = pool_->Pick(submits);
  if (bind < 0) return false;

  const uint64_t serial = next_serial_;
  auto message = std::make_unique<Message>();
  message->cookie = cookie;
  message->charged = charged;
  message->parts.resize(submits);
  for (size_t k = 0; k < submits; ++k) {
    SubmitRequest& r = message->parts[k].request;
    r.source_addr = job.sender.empty() ? config_.default_source_addr : job.sender;
    r.dest_addr = job.to.substr(!job.to.empty() && job.to[0] == '+' ? 1 : 0);  // TON 1
    r.data_coding = encoded->data_coding;
  }
  if (parts.empty()) {
    message->parts[0].request.message_payload = std::move(encoded->bytes);
  } else {
    for (size_t k = 0; k < submits; ++k) {
      SubmitRequest& r = message->parts[k].request;
      SegmentedPart& part = parts[k];
      r.short_message = std::move(part.short_message);
      r.esm_class = part.esm_class;
      if (part.total > 1 && config_.long_message_mode == LongMessageMode::kSar) {
        r.sar_msg_ref_num = part.ref;
        r.sar_total_segments = part.total;
        r.sar_segment_seqnum = part.seq;
      }
    }
  }
  // The first part decides whether the message goes at all.
  if (!SubmitPart(serial, *message, 0, static_cast<size_t>(bind))) return false;
  ++next_serial_;
  if (submits > 1) ++next_ref_;
  ++stats_.messages;
  for (uint32_t k = 1; k < submits; ++k) {
    if (!SubmitPart(serial, *message, k, static_cast<size_t>(bind))) {  // only when stopping
      Message::Part& part = message->parts[k];
      part.state = Message::State::kTransient;
      part.code = "NOT_SENT";
      part.detail = "client queue full or stopping";
    }
  }
  messages_.emplace(serial, std::move(message));
  return true;  // every outcome comes later, from OnSubmitResult
}

bool SmsProvider::SubmitPart(uint64_t serial, Message& message, uint32_t index, size_t bind) {
  Message::Part& part = message.parts[index];
  const uint64_t submit_cookie = next_submit_cookie_++;
  part.request.cookie = submit_cookie;
  if (message.parts.size() == 1) {
    // A lone part is never resubmitted here (if it fails nothing went), so no copy. The
    // client leaves the request untouched when it refuses it.
    if (!pool_->Submit(bind, std::move(part.request))) return false;
  } else {
    SubmitRequest request = part.request;  // kept for a resubmit
    if (!pool_->Submit(bind, std::move(request))) return false;
  }
  submits_.emplace(submit_cookie, PartRef{serial, index});
  part.state = Message::State::kPending;
  ++message.unresolved;
  ++stats_.parts_submitted;
  return true;
}

void SmsProvider::OnSubmitResult(uint64_t submit_cookie, const SubmitOutcome& outcome) {
  auto sit = submits_.find(submit_cookie);
  if (sit == submits_.end()) return;
  const PartRef ref = sit->second;
  submits_.erase(sit);
  auto mit = messages_.find(ref.serial);
  if (mit == messages_.end()) return;
  Message& message = *mit->second;
  Message::Part& part = message.parts[ref.index];
  --message.unresolved;
  using State = Message::State;
  if (outcome.error) {
    if (IsOutcomeUnknown(outcome.error)) {
      part.state = State::kUncertain;
      part.code = "UNCERTAIN";
    } else {
      // Never left this process (stopped, or a field too long for SMPP).
      part.state = outcome.error == Errc::kInvalidRequest ? State::kPermanent : State::kTransient;
      part.code = "NOT_SENT";
    }
    part.detail = outcome.error.message();
  } else {
    part.code = StatusCode(outcome.command_status);
    switch (outcome.status_class) {
      case StatusClass::kOk:
        part.state = State::kAccepted;
        part.detail.clear();
        part.id = CanonicalMessageId(outcome.message_id, IdBase::kText);
        awaiting_[part.id] = ref;
        part.request = SubmitRequest{};  // never resent: drop the bytes
        if (!early_->by_id.empty()) {
          auto eit = early_->by_id.find(part.id);
          if (eit != early_->by_id.end()) {  // its receipt overtook this response
            const EarlyReceipts::Entry early = std::move(eit->second);
            early_->by_id.erase(eit);
            awaiting_.erase(part.id);
            ++stats_.early_receipts_matched;
            // Cannot end the message: it is not reported accepted before Settle().
            ApplyFinalReceipt(ref, early.state, early.error);
          }
        }
        break;
      case StatusClass::kThrottled:
      case StatusClass::kRetry:
        part.state = State::kTransient;
        part.detail = std::string(StatusName(outcome.command_status));
        break;
      case StatusClass::kPermanent:
        part.state = State::kPermanent;
        part.detail = std::string(StatusName(outcome.command_status));
        break;
    }
  }
  if (message.unresolved == 0) Settle(ref.serial);
}

void SmsProvider::Settle(uint64_t serial) {
  Message& message = *messages_.at(serial);
  using State = Message::State;
  const size_t total = message.parts.size();
  size_t accepted = 0, uncertain = 0;
  const Message::Part* first_failed = nullptr;     // transient or permanent
  const Message::Part* first_permanent = nullptr;
  const Message::Part* first_uncertain = nullptr;
  for (const Message::Part& part : message.parts) {
    if (part.state == State::kAccepted) {
      ++accepted;
    } else if (part.state == State::kUncertain) {
      ++uncertain;
      if (!first_uncertain) first_uncertain = &part;
    } else {
      if (!first_failed) first_failed = &part;
      if (!first_permanent && part.state == State::kPermanent) first_permanent = &part;
    }
  }
  if (accepted == total) {
    message.accepted_reported = true;
    retention_.emplace_back(SteadyClock::now() + config_.receipt_retention, serial);
    if (!ReportAccepted(serial, message)) return;
    if (message.undelivered) {  // a part's receipt came first
      auto [code, detail] = std::move(*message.undelivered);
      ReportFinal(serial, AttemptOutcome::kUndelivered, std::move(code), std::move(detail));
    } else if (message.delivered == total) {
      ReportFinal(serial, AttemptOutcome::kDelivered, "DELIVRD", "");
    }
    ForgetExpiredIds();
    return;
  }
  if (accepted + uncertain == 0) {
    // Nothing can have reached the SMSC: the dispatcher may send the whole message again.
    ReportFinal(serial,
                first_failed->state == State::kTransient ? AttemptOutcome::kRetry
                                                         : AttemptOutcome::kFailed,
                first_failed->code, first_failed->detail);
    return;
  }
  // Some parts are (or may be) with the SMSC and cannot be recalled: never resend them,
  // finish the rest here. A part refused for good ends the message at once (sending the
  // others would only deliver more fragments of a message that cannot be whole).
  bool resubmitting = false;
  for (uint32_t k = 0; k < total && !first_permanent; ++k) {
    Message::Part& part = message.parts[k];
    if (part.state != State::kTransient || part.resubmits >= config_.part_retry_limit) continue;
    ++part.resubmits;
    ++stats_.part_resubmits;
    part.state = State::kPending;
    ++message.unresolved;
    retries_.push_back({SteadyClock::now() + config_.part_retry_delay, PartRef{serial, k}});
    resubmitting = true;
  }
  if (resubmitting) {
    ArmRetryTimer();
    return;
  }
  if (total > 1) ++stats_.partially_sent;  // a lone part is uncertain, not partial
  static thread_local SteadyClock::time_point next_warn{};
  if (total > 1 && AllowWarn(next_warn)) {
    Log()->warn("smpp: long message ended with parts unsent provider={} accepted={} parts={}",
                config_.name, accepted, total);
  }
  if (first_failed) {  // a permanent refusal, or a transient one out of retries
    const Message::Part& failed = first_permanent ? *first_permanent : *first_failed;
    ReportFinal(serial, AttemptOutcome::kFailed, failed.code, PartiallySent(accepted, total));
  } else if (accepted == 0) {
    ReportFinal(serial, AttemptOutcome::kUncertain, first_uncertain->code, first_uncertain->detail);
  } else {
    ReportFinal(serial, AttemptOutcome::kUncertain, first_uncertain->code,
                PartiallySent(accepted, total) + ", the rest unknown");
  }
}

bool SmsProvider::ReportAccepted(uint64_t serial, Message& message) {
  AttemptReport report;
  report.cookie = message.cookie;
  report.outcome = AttemptOutcome::kAccepted;
  report.code = message.parts[0].code;
  report.parts = message.charged;
  // The ids are lent to the report (moved, not copied) and taken back after it: Forget()
  // finds the parts' receipt entries by them.
  report.message_ids.reserve(message.parts.size());
  for (Message::Part& part : message.parts) report.message_ids.push_back(std::move(part.id));
  if (on_report_) on_report_(report);
  auto it = messages_.find(serial);
  if (it == messages_.end()) {  // ended from inside the handler, without its ids
    for (const std::string& id : report.message_ids) {
      auto ait = awaiting_.find(id);
      if (ait != awaiting_.end() && ait->second.serial == serial) awaiting_.erase(ait);
    }
    return false;
  }
  for (size_t k = 0; k < report.message_ids.size(); ++k) {
    it->second->parts[k].id = std::move(report.message_ids[k]);
  }
  return true;
}

void SmsProvider::ArmRetryTimer() {
  if (retry_timer_armed_ || retries_.empty()) return;
  retry_timer_armed_ = true;
  retry_timer_.expires_at(retries_.front().due);
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the provider may be gone
    retry_timer_armed_ = false;
    RunDueRetries(/*all=*/false);
    ArmRetryTimer();
  });
}

void SmsProvider::RunDueRetries(bool all) {
  const auto now = SteadyClock::now();
  while (!retries_.empty() && (all || retries_.front().due <= now)) {
    const PartRef ref = retries_.front().part;
    retries_.pop_front();
    auto it = messages_.find(ref.serial);
    if (it == messages_.end()) continue;
    Message& message = *it->second;
    --message.unresolved;  // SubmitPart counts it again
    const int bind = pool_->Pick(1);
    if (bind < 0 || !SubmitPart(ref.serial, message, ref.index, static_cast<size_t>(bind))) {
      Message::Part& part = message.parts[ref.index];
      part.state = Message::State::kPermanent;  // no more tries: stopping, or queues full
      part.code = "NOT_SENT";
      part.detail = "client stopped or queue full";
      if (message.unresolved == 0) Settle(ref.serial);
    }
  }
  if (all && retry_timer_armed_) {
    retry_timer_.cancel();
    retry_timer_armed_ = false;
  }
}

void SmsProvider::OnReceipt(const Receipt& receipt) {
  if (!IsFinal(receipt.state)) return;  // ENROUTE/ACCEPTD: a final one follows
  std::string id = CanonicalMessageId(receipt.message_id, IdBase::kText);
  auto it = awaiting_.find(id);
  if (it == awaiting_.end()) {
    // Not ours, already ended, or ahead of its submit_sm_resp (likelier with several
    // binds: the receipt may come on another one). Kept for the response timeout.
    KeepEarlyReceipt(std::move(id), receipt.state, receipt.error);
    return;
  }
  const PartRef ref = it->second;
  awaiting_.erase(it);
  ApplyFinalReceipt(ref, receipt.state, receipt.error);
}

void SmsProvider::KeepEarlyReceipt(std::string id, MessageState state, const std::string& error) {
  const auto now = SteadyClock::now();
  ExpireEarlyReceipts(now, /*make_room=*/true);
  const auto expires = now + config_.client.response_timeout;
  if (!early_->by_id.emplace(id, EarlyReceipts::Entry{state, error, expires}).second) return;
  early_->order.emplace_back(expires, std::move(id));
  ++stats_.early_receipts;
  ArmEarlyReceiptTimer();
}

void SmsProvider::ExpireEarlyReceipts(SteadyClock::time_point now, bool make_room) {
  auto& order = early_->order;
  while (!order.empty() && (order.front().first <= now ||
                            (make_room && early_->by_id.size() >= kMaxEarlyReceipts))) {
    const SteadyClock::time_point expires = order.front().first;
    std::string id = std::move(order.front().second);
    order.pop_front();
    auto it = early_->by_id.find(id);
    // Gone (matched by its submit_sm_resp) or kept again later under the same id.
    if (it == early_->by_id.end() || it->second.expires != expires) continue;
    const MessageState state = it->second.state;
    early_->by_id.erase(it);
    ++stats_.orphan_receipts;
    if (!on_orphan_) continue;
    OrphanReceipt orphan;
    orphan.message_id = std::move(id);
    orphan.delivered = state == MessageState::kDelivered;
    orphan.code = std::string(ToString(state));  // as ApplyFinalReceipt reports it
    on_orphan_(orphan);
  }
}

void SmsProvider::ArmEarlyReceiptTimer() {
  if (early_timer_armed_ || early_->order.empty()) return;
  early_timer_armed_ = true;
  early_timer_.expires_at(early_->order.front().first);
  early_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the provider may be gone
    early_timer_armed_ = false;
    ExpireEarlyReceipts(SteadyClock::now(), /*make_room=*/false);
    ArmEarlyReceiptTimer();
  });
}

void SmsProvider::ApplyFinalReceipt(PartRef ref, MessageState state, const std::string& error) {
  auto mit = messages_.find(ref.serial);
  if (mit == messages_.end()) return;
  Message& message = *mit->second;
  Message::Part& part = message.parts[ref.index];
  if (part.final_receipt) return;
  part.final_receipt = true;
  if (state == MessageState::kDelivered) {
    ++message.delivered;
    if (message.accepted_reported && message.delivered == message.parts.size()) {
      ReportFinal(ref.serial, AttemptOutcome::kDelivered, "DELIVRD", "");
    }
    return;
  }
  std::string detail;
  if (message.parts.size() > 1) {
    detail = "part " + std::to_string(ref.index + 1) + "/" + std::to_string(message.parts.size());
  }
  if (!error.empty()) detail += (detail.empty() ? "err:" : " err:") + error;
  std::string code(ToString(state));
  if (message.accepted_reported) {
    ReportFinal(ref.serial, AttemptOutcome::kUndelivered, std::move(code), std::move(detail));
  } else if (!message.undelivered) {
    message.undelivered.emplace(std::move(code), std::move(detail));
  }
}

void SmsProvider::OnMo(const Pdu& deliver_sm) {
  auto message = DecodeMo(deliver_sm, config_.mo);
  if (!message) {
    ++stats_.mo_undecodable;
    static thread_local SteadyClock::time_point next_warn{};
    if (AllowWarn(next_warn)) {
      Log()->warn("smpp: undecodable MO dropped provider={} data_coding={:#04x} esm_class={:#04x}",
                  config_.name, deliver_sm.sm.data_coding, deliver_sm.sm.esm_class);
    }
    return;
  }
  ++stats_.mo_received;
  if (message->is_optout) ++stats_.mo_optouts;
  if (on_inbound_) on_inbound_(*message);
}

void SmsProvider::ReportFinal(uint64_t serial, AttemptOutcome outcome, std::string code,
                              std::string detail) {
  auto it = messages_.find(serial);
  if (it == messages_.end()) return;
  const uint64_t cookie = it->second->cookie;
  const uint32_t charged = it->second->charged;
  Forget(serial);
  Report(cookie, outcome, std::move(code), std::move(detail), charged);
}

void SmsProvider::Forget(uint64_t serial) {
  auto it = messages_.find(serial);
  if (it == messages_.end()) return;
  for (const Message::Part& part : it->second->parts) {
    if (part.id.empty()) continue;
    auto ait = awaiting_.find(part.id);
    if (ait != awaiting_.end() && ait->second.serial == serial) awaiting_.erase(ait);
  }
  messages_.erase(it);
}

void SmsProvider::ForgetExpiredIds() {
  const auto now = SteadyClock::now();
  while (!retention_.empty() && retention_.front().first <= now) {
    Forget(retention_.front().second);  // no report: the dispatcher timed the job out
    retention_.pop_front();
  }
}

void SmsProvider::ReportLater(uint64_t cookie, AttemptOutcome outcome, std::string code,
                              std::string detail, uint32_t parts) {
  boost::asio::post(io_, [this, cookie, outcome, parts, code = std::move(code),
                          detail = std::move(detail)]() mutable {
    Report(cookie, outcome, std::move(code), std::move(detail), parts);
  });
}

void SmsProvider::Report(uint64_t cookie, AttemptOutcome outcome, std::string code,
                         std::string detail, uint32_t parts) {
  AttemptReport report;
  report.cookie = cookie;
  report.outcome = outcome;
  report.code = std::move(code);
  report.detail = std::move(detail);
  report.parts = parts;
  if (on_report_) on_report_(report);
}

}  // namespace bulkd::providers::smpp
