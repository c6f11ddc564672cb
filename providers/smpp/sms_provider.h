// providers/smpp/sms_provider.h — SMS and LMS over one SMPP account: turns a job into one
// submit_sm per part in the route's encoding, maps SMSC answers and delivery receipts of
// every part onto one AttemptOutcome per message, correlates receipts by message id, and
// hands MO replies (deliver_sm without the receipt bit) to an inbound handler.
//
// The account is served by `binds` transceiver binds (BindPool): a message's parts go,
// in order, through the least-loaded bound bind; a part resubmitted here through
// whichever is least loaded then. Receipts and MO count from any bind. A bind that drops
// loses only its own in-flight parts (reported as below); its queue moves to the others.
//
// Per message (AttemptReport.parts = its parts; for kMessagePayload the segments the
// SMSC will charge, for LMS 1):
//  - kAccepted once every part is accepted (code of the first part).
//  - If no part can have reached the SMSC, the first failing part's outcome (kRetry,
//    kFailed): the dispatcher may send the whole message again.
//  - Once any part is accepted (or its outcome is unknown) nothing is ever resent whole:
//    a transiently refused part is resubmitted here (part_retry_limit, part_retry_delay);
//    a permanent refusal, or retries used up, ends the message kFailed with the failing
//    part's code and detail "partially sent N/M"; an unknown outcome ends it kUncertain.
//  - kDelivered when every part's final receipt is DELIVRD; kUndelivered at the first
//    part whose final receipt is anything else (later receipts are ignored). Receipts
//    that come before the last part's acceptance are kept and reported right after it,
//    also one that overtakes its own part's submit_sm_resp.
//  - The kAccepted report lists every part's canonical message id (message_ids).
//
// A final receipt for no known part (sent by another worker's bind of the account, before
// a restart, after receipt_retention, or for a message already ended) is kept for
// client.response_timeout in case its submit_sm_resp is still coming; unmatched by then,
// evicted for the cap, or still kept at Stop(), it goes to the orphan receipt handler.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "providers/provider.h"
#include "providers/smpp/bind_pool.h"
#include "providers/smpp/mo.h"
#include "providers/smpp/segmenter.h"

namespace bulkd::providers::smpp {

enum class RouteCoding : uint8_t {
  kUcs2,     // data_coding 0x08, UTF-16BE
  kKsc5601,  // data_coding 0x0E, EUC-KR bytes (Korean carriers)
  kGsm7,     // data_coding 0x00 when the text is GSM 03.38, else UCS-2
};

struct SmsProviderConfig {
  std::string name = "smpp-main";  // provider label
  ClientConfig client;  // per bind: window, queue_cap and max_tps apply to each
  // Transceiver binds to the account (>= 1; default 1). The account's rate is
  // binds * client.max_tps when capped.
  uint32_t binds = 1;
  std::string default_source_addr;  // caller id when the job names none
  RouteCoding coding = RouteCoding::kUcs2;
  // How long an accepted message's ids are kept for their receipts; later receipts are
  // ignored (the dispatcher has ended the job by then).
  std::chrono::seconds receipt_retention{360};
  // SMS longer than one message: UDH parts (default), SAR parts, or message_payload.
  // LMS always goes whole in message_payload; Korean (kKsc5601) SMS over 90 bytes are
  // reported kFallback TOO_LONG_FOR_SMS and never split.
  LongMessageMode long_message_mode = LongMessageMode::kUdh;
  // More parts than this (at most kMaxParts) is kFailed TOO_LONG. Default 10.
  uint32_t max_parts = 10;
  // Resubmits per part after a transient refusal (throttled, system error, connection
  // lost before sending) once another part of its message was accepted. Default 3,
  // each after part_retry_delay (default 500 ms; throttling also pauses the bind).
  uint32_t part_retry_limit = 3;
  std::chrono::milliseconds part_retry_delay{500};
  MoDecodeOptions mo;  // sender numbers and data_coding 0x00 of MO replies
};

struct SmsProviderStats {  // monotonic counters, for metrics and tests
  uint64_t messages = 0;        // messages taken by Send() and submitted
  uint64_t parts_submitted = 0; // submit_sm handed to the client, resubmits included
  uint64_t part_resubmits = 0;  // parts resubmitted here after a transient refusal
  uint64_t partially_sent = 0;  // ended kFailed/kUncertain with some parts accepted
  uint64_t mo_received = 0, mo_optouts = 0;
  uint64_t mo_undecodable = 0;  // dropped: data_coding not text, or a malformed UDH
  // Final receipts for no known part, kept for client.response_timeout in case their
  // submit_sm_resp is still coming (at most 65,536), and those it then matched.
  uint64_t early_receipts = 0, early_receipts_matched = 0;
  // Early receipts never matched (expired, evicted for the cap, or kept at Stop()):
  // handed to the orphan receipt handler, or dropped when there is none.
  uint64_t orphan_receipts = 0;
};

using InboundHandler = std::function<void(const InboundMessage&)>;
using OrphanReceiptHandler = std::function<void(const OrphanReceipt&)>;

// On the shard's io thread, like every Provider; not thread-safe, never blocks.
class SmsProvider final : public Provider {
 public:
  SmsProvider(boost::asio::io_context& io, SmsProviderConfig config);
  ~SmsProvider() override;

  std::string_view name() const override { return config_.name; }
  bool Serves(core::Channel channel) const override;
  void Start(ReportHandler on_report) override;
  void Stop() override;
  // Returns false (nothing sent) when no bind's queue can take every part.
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) override;
  bool ready() const override;  // at least one bind is bound
  size_t inflight() const override { return messages_.size(); }

  // Every decodable MO reply, on the io thread (set it before Start(), or any time on
  // the io thread; empty = MO replies are counted and dropped). Undecodable ones are
  // counted in stats().mo_undecodable with a rate-limited warning.
  void SetInboundHandler(InboundHandler handler) { on_inbound_ = std::move(handler); }
  // Final receipts that matched no part here (see above), on the io thread; a repeat of
  // an id while it is kept is dropped, a later one comes again. Set it before Start(), or
  // any time on the io thread; empty = counted in stats().orphan_receipts and dropped.
  void SetOrphanReceiptHandler(OrphanReceiptHandler handler) { on_orphan_ = std::move(handler); }

  ClientStats client_stats() const;  // summed over the binds
  const BindPool& binds() const { return *pool_; }  // per-bind state and counters
  const SmsProviderStats& stats() const { return stats_; }

 private:
  struct Message;
  struct PartRef {
    uint64_t serial;
    uint32_t index;
  };

  void OnSubmitResult(uint64_t submit_cookie, const SubmitOutcome& outcome);
  void OnReceipt(const Receipt& receipt);
  void KeepEarlyReceipt(std::string id, MessageState state, const std::string& error);
  // Hands kept receipts that expire by `now` (and, with make_room, the oldest while at
  // the cap) to the orphan handler.
  void ExpireEarlyReceipts(std::chrono::steady_clock::time_point now, bool make_room);
  void ArmEarlyReceiptTimer();
  // Reports kAccepted with the parts' ids; false when the handler ended the message.
  bool ReportAccepted(uint64_t serial, Message& message);
  void ApplyFinalReceipt(PartRef ref, MessageState state, const std::string& error);
  void OnMo(const Pdu& deliver_sm);
  bool SubmitPart(uint64_t serial, Message& message, uint32_t index, size_t bind);
  void Settle(uint64_t serial);  // all parts answered: decide the message's outcome
  void ReportFinal(uint64_t serial, AttemptOutcome outcome, std::string code,
                   std::string detail);
  void Forget(uint64_t serial);
  void ArmRetryTimer();
  void RunDueRetries(bool all);
  void Report(uint64_t cookie, AttemptOutcome outcome, std::string code, std::string detail,
              uint32_t parts = 1);
  // Reports an outcome decided inside Send() after Send() has returned.
  void ReportLater(uint64_t cookie, AttemptOutcome outcome, std::string code,
                   std::string detail, uint32_t parts = 1);
  void ForgetExpiredIds();

  boost::asio::io_context& io_;
  SmsProviderConfig config_;
  std::unique_ptr<BindPool> pool_;
  ReportHandler on_report_;
  InboundHandler on_inbound_;
  OrphanReceiptHandler on_orphan_;
  SmsProviderStats stats_;
  uint64_t next_serial_ = 1, next_submit_cookie_ = 1;
  uint8_t next_ref_ = 0;  // concatenation reference, one per multi-part message
  // Messages without a final report yet, by serial (a dispatcher cookie is reused by
  // its retries, so it is not the key).
  std::unordered_map<uint64_t, std::unique_ptr<Message>> messages_;
  std::unordered_map<uint64_t, PartRef> submits_;      // client cookie -> part
  std::unordered_map<std::string, PartRef> awaiting_;  // canonical message id -> part
  struct EarlyReceipts;  // final receipts ahead of their submit_sm_resp, by id
  std::unique_ptr<EarlyReceipts> early_;
  // Accepted messages in acceptance order with the time they stop being kept.
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> retention_;
  struct Retry {
    std::chrono::steady_clock::time_point due;
    PartRef part;
  };
  std::deque<Retry> retries_;  // due times only grow (constant delay)
  boost::asio::steady_timer retry_timer_;
  bool retry_timer_armed_ = false;
  boost::asio::steady_timer early_timer_;  // next expiry of a kept early receipt
  bool early_timer_armed_ = false;
};

}  // namespace bulkd::providers::smpp
