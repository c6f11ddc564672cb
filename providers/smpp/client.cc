#include "providers/smpp/client.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <cstring>
#include <deque>
#include <random>
#include <stdexcept>
#include <vector>

#include <spdlog/spdlog.h>

namespace bulkd::providers::smpp {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kReadBufferSize = 256 * 1024;  // >= 2 max PDUs: a partial one always fits
constexpr uint32_t kMaxSequence = 0x7FFFFFFF;
constexpr size_t kMaxPayload = 64000;

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("providers")) return existing;
    return spdlog::default_logger()->clone("providers");
  }();
  return logger;
}

// At most one line per second for a degraded path that may repeat per message.
class WarnLimiter {
 public:
  bool Allow() {
    const auto now = SteadyClock::now();
    if (now < next_) return false;
    next_ = now + std::chrono::seconds(1);
    return true;
  }

 private:
  SteadyClock::time_point next_{};
};

uint32_t NackStatusFor(std::error_code ec) {
  switch (static_cast<Errc>(ec.value())) {
    case Errc::kUnknownCommandId: return kEsmeRInvCmdId;
    case Errc::kTlvOverrun: return kEsmeRInvOptParStream;
    case Errc::kTlvBadLength: return kEsmeRInvParLen;
    case Errc::kShortMessageTooLong: return kEsmeRInvMsgLen;
    default: return kEsmeRInvCmdLen;
  }
}

bool FitsCString(const std::string& s, size_t max_chars) {
  return s.size() <= max_chars && s.find('\0') == std::string::npos;
}

}  // namespace

class Client::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ClientConfig config, ClientHandlers handlers)
      : io_(io),
        cfg_(std::move(config)),
        handlers_(std::move(handlers)),
        resolver_(io),
        socket_(io),
        tick_timer_(io),
        reconnect_timer_(io),
        throttle_timer_(io),
        pace_timer_(io),
        in_(new uint8_t[kReadBufferSize]),
        rng_(std::random_device{}()) {
    if (cfg_.window == 0) throw std::invalid_argument("smpp: window must be >= 1");
    if (!FitsCString(cfg_.system_id, 15) || !FitsCString(cfg_.password, 8) ||
        !FitsCString(cfg_.system_type, 12) || !FitsCString(cfg_.service_type, 5)) {
      throw std::invalid_argument("smpp: system_id/password/system_type/service_type too long");
    }
    size_t slots = 16;
    while (slots < 2 * static_cast<size_t>(cfg_.window)) slots *= 2;
    slots_.resize(slots);
    mask_ = static_cast<uint32_t>(slots - 1);
    const Millis shortest =
        std::min({cfg_.response_timeout, cfg_.enquire_link_interval, cfg_.connect_timeout});
    tick_period_ = std::clamp(shortest / 4, Millis(1), Millis(1000));
    out_.reserve(64 * 1024);
    writing_.reserve(64 * 1024);
    if (cfg_.max_tps > 0) {
      burst_ = std::max(1.0, cfg_.max_tps / 20.0);
    }
  }

  void Start() {
    if (started_ || stopping_) return;
    started_ = true;
    Connect();
  }

  void Stop() {
    if (stopping_ || shut_down_) return;
    stopping_ = true;
    FailQueued();
    switch (state_) {
      case State::kIdle:
        reconnect_timer_.cancel();
        state_ = State::kStopped;
        break;
      case State::kConnecting:
      case State::kBinding:
        Close(Errc::kStopped, "stopped");
        break;
      case State::kBound:
        if (inflight_ == 0) SendUnbind();  // else once the window drains
        break;
      case State::kUnbinding:
      case State::kStopped:
        break;
    }
  }

  void Shutdown() {
    shut_down_ = stopping_ = true;
    handlers_ = {};
    ++conn_gen_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.cancel();
    tick_timer_.cancel();
    reconnect_timer_.cancel();
    throttle_timer_.cancel();
    pace_timer_.cancel();
    queue_.clear();
    state_ = State::kStopped;
  }

  bool Submit(SubmitRequest&& r) {
    if (stopping_ || state_ == State::kStopped) return false;
    if (!FitsCString(r.source_addr, 20) || !FitsCString(r.dest_addr, 20) ||
        r.short_message.size() > kMaxShortMessage || r.message_payload.size() > kMaxPayload) {
      asio::post(io_, [self = shared_from_this(), cookie = r.cookie] {
        SubmitOutcome outcome;
        outcome.error = Errc::kInvalidRequest;
        outcome.status_class = StatusClass::kPermanent;
        if (self->handlers_.on_submit_result) self->handlers_.on_submit_result(cookie, outcome);
      });
      return true;
    }
    if (state_ == State::kBound && !paused_ && queue_.empty() && inflight_ < cfg_.window &&
        TakeToken()) {
      SendSubmit(r);
      return true;
    }
    if (queue_.size() >= cfg_.queue_cap) return false;
    queue_.push_back(std::move(r));
    // Held back by the pacer alone: nothing else would wake the queue.
    if (cfg_.max_tps > 0 && state_ == State::kBound && !paused_ && inflight_ < cfg_.window) {
      ArmPace();
    }
    return true;
  }

  std::deque<SubmitRequest> TakeQueued() {
    std::deque<SubmitRequest> taken;
    taken.swap(queue_);
    return taken;
  }

  size_t inflight() const { return inflight_; }
  size_t queued() const { return queue_.size(); }
  bool bound() const { return state_ == State::kBound; }
  bool paused() const { return paused_; }
  bool stopped() const { return state_ == State::kStopped; }
  const ClientStats& stats() const { return stats_; }

 private:
  enum class State : uint8_t { kIdle, kConnecting, kBinding, kBound, kUnbinding, kStopped };
  struct Slot {
    uint32_t seq = 0;
    bool used = false;
    uint64_t cookie = 0;
    uint64_t sent_tick = 0;
  };

  Millis Elapsed(uint64_t since_tick) const {
    return tick_period_ * static_cast<int64_t>(tick_ - since_tick);
  }

  uint32_t NextSeq() {
    const uint32_t seq = next_seq_;
    next_seq_ = next_seq_ == kMaxSequence ? 1 : next_seq_ + 1;
    return seq;
  }

  // A sequence number whose window slot is free (skips over a stuck old request).
  uint32_t AllocSlotSeq() {
    for (;;) {
      const uint32_t seq = NextSeq();
      if (!slots_[seq & mask_].used) return seq;
    }
  }

  // --- connection lifecycle -------------------------------------------------------

  void Connect() {
    state_ = State::kConnecting;
    phase_tick_ = tick_;
    ++stats_.connects;
    const uint64_t gen = conn_gen_;
    ArmTick();
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(cfg_.host, ec);
    if (!ec) {
      socket_.async_connect(tcp::endpoint(address, cfg_.port),
                            [self = shared_from_this(), gen](boost::system::error_code e) {
                              self->OnConnected(gen, e);
                            });
      return;
    }
    resolver_.async_resolve(
        cfg_.host, std::to_string(cfg_.port),
        [self = shared_from_this(), gen](boost::system::error_code e,
                                         tcp::resolver::results_type results) {
          if (gen != self->conn_gen_) return;
          if (e) {
            self->OnConnected(gen, e);
            return;
          }
          asio::async_connect(self->socket_, results,
                              [self, gen](boost::system::error_code e2, const tcp::endpoint&) {
                                self->OnConnected(gen, e2);
                              });
        });
  }

  void OnConnected(uint64_t gen, boost::system::error_code ec) {
    if (gen != conn_gen_) return;
    if (ec) {
      if (connect_warn_.Allow()) {
        Log()->warn("smpp connect failed host={} port={} error={}", cfg_.host, cfg_.port,
                    ec.message());
      }
      Close(Errc::kConnectionLost, "connect failed");
      return;
    }
    socket_.set_option(tcp::no_delay(true), ec);
    state_ = State::kBinding;
    phase_tick_ = last_rx_tick_ = last_tx_tick_ = tick_;
    Pdu bind;
    bind.command_id = CommandId::kBindTransceiver;
    bind.sequence_number = bind_seq_ = NextSeq();
    bind.bind.system_id = cfg_.system_id;
    bind.bind.password = cfg_.password;
    bind.bind.system_type = cfg_.system_type;
    Encode(bind, out_);  // lengths checked in the constructor
    ScheduleFlush();
    StartRead();
  }

  void OnBindResp(const Pdu& pdu) {
    if (state_ != State::kBinding || pdu.sequence_number != bind_seq_) return;
    if (pdu.command_status != kEsmeROk) {
      ++stats_.bind_failures;
      Log()->warn("smpp bind refused system_id={} status={:#x} {}", cfg_.system_id,
                  pdu.command_status, StatusName(pdu.command_status));
      Close(Errc::kBindFailed, "bind refused");
      return;
    }
    state_ = State::kBound;
    reconnect_attempts_ = 0;
    ++stats_.binds;
    if (cfg_.max_tps > 0) {  // a new session starts at the paced rate, without a burst
      tokens_ = 0;
      last_refill_ = SteadyClock::now();
    }
    Log()->info("smpp bound host={} port={} system_id={} window={}", cfg_.host, cfg_.port,
                cfg_.system_id, cfg_.window);
    if (handlers_.on_bound) handlers_.on_bound(true);
    if (stopping_ && state_ == State::kBound) {
      SendUnbind();
      return;
    }
    Pump();
  }

  // Closes the connection, fails in-flight submits (oldest first) and reconnects unless
  // stopping. Safe to call from anywhere on the io thread, including inside handlers.
  void Close(Errc reason, const char* what) {
    if (state_ == State::kIdle || state_ == State::kStopped) return;
    const bool was_bound = state_ == State::kBound || state_ == State::kUnbinding;
    const bool was_connected = state_ != State::kConnecting;
    ++conn_gen_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.cancel();
    tick_timer_.cancel();
    throttle_timer_.cancel();
    pace_timer_.cancel();
    pace_armed_ = false;
    paused_ = writing_active_ = flush_posted_ = close_after_write_ = false;
    enquire_outstanding_ = false;
    out_.clear();
    writing_.clear();
    in_len_ = 0;
    state_ = stopping_ ? State::kStopped : State::kIdle;
    if (was_connected) {
      ++stats_.disconnects;
      if (reason == Errc::kStopped || close_warn_.Allow()) {
        Log()->info("smpp closed host={} port={} reason={} inflight={}", cfg_.host, cfg_.port,
                    what, inflight_);
      }
    }
    struct Failed {
      uint32_t seq;
      uint64_t cookie;
      bool timed_out;
    };
    std::vector<Failed> failed;
    if (inflight_ > 0) {
      failed.reserve(inflight_);
      for (Slot& s : slots_) {
        if (!s.used) continue;
        failed.push_back({s.seq, s.cookie, Elapsed(s.sent_tick) >= cfg_.response_timeout});
        s.used = false;
      }
      inflight_ = 0;
      std::sort(failed.begin(), failed.end(),
                [](const Failed& a, const Failed& b) { return a.seq < b.seq; });
    }
    for (const Failed& f : failed) {
      SubmitOutcome outcome;
      outcome.status_class = StatusClass::kRetry;
      if (reason == Errc::kResponseTimeout && f.timed_out) {
        outcome.error = Errc::kResponseTimeout;
        ++stats_.response_timeouts;
      } else {
        outcome.error = Errc::kConnectionLost;
      }
      ++stats_.lost_in_flight;
      if (handlers_.on_submit_result) handlers_.on_submit_result(f.cookie, outcome);
    }
    if (was_bound && handlers_.on_bound) handlers_.on_bound(false);
    if (stopping_) {
      state_ = State::kStopped;
      FailQueued();
      return;
    }
    if (state_ == State::kIdle) ScheduleReconnect();
  }

  void ScheduleReconnect() {
    const int exponent = std::min(reconnect_attempts_++, 20);
    Millis backoff = std::min(cfg_.reconnect_max, cfg_.reconnect_min * (int64_t{1} << exponent));
    backoff = std::max(backoff, Millis(1));
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    reconnect_timer_.expires_after(Millis(jitter(rng_)));
    reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopping_ || self->state_ != State::kIdle) return;
      self->Connect();
    });
  }

  void SendUnbind() {
    state_ = State::kUnbinding;
    phase_tick_ = tick_;
    unbind_seq_ = NextSeq();
    AppendHeaderOnly(out_, CommandId::kUnbind, 0, unbind_seq_);
    ScheduleFlush();
  }

  void SendEnquireLink() {
    enquire_outstanding_ = true;
    enquire_tick_ = tick_;
    enquire_seq_ = NextSeq();
    ++stats_.enquire_links_sent;
    AppendHeaderOnly(out_, CommandId::kEnquireLink, 0, enquire_seq_);
    ScheduleFlush();
  }

  // One timer per connection does every deadline: connect, bind, submit responses,
  // enquire_link (idle and unanswered), unbind. Resolution: tick_period_.
  void ArmTick() {
    tick_timer_.expires_after(tick_period_);
    tick_timer_.async_wait([self = shared_from_this(), gen = conn_gen_](boost::system::error_code ec) {
      if (ec || gen != self->conn_gen_) return;
      self->OnTick();
    });
  }

  void OnTick() {
    ++tick_;
    switch (state_) {
      case State::kConnecting:
        if (Elapsed(phase_tick_) >= cfg_.connect_timeout) {
          return Close(Errc::kConnectionLost, "connect timeout");
        }
        break;
      case State::kBinding:
        if (Elapsed(phase_tick_) >= cfg_.response_timeout) {
          ++stats_.bind_failures;
          return Close(Errc::kBindTimeout, "bind_resp timeout");
        }
        break;
      case State::kBound:
      case State::kUnbinding:
        if (inflight_ > 0) {
          for (const Slot& s : slots_) {
            if (s.used && Elapsed(s.sent_tick) >= cfg_.response_timeout) {
              return Close(Errc::kResponseTimeout, "submit_sm_resp timeout");
            }
          }
        }
        if (enquire_outstanding_ && Elapsed(enquire_tick_) >= cfg_.response_timeout) {
          return Close(Errc::kResponseTimeout, "enquire_link_resp timeout");
        }
        if (state_ == State::kUnbinding && Elapsed(phase_tick_) >= cfg_.response_timeout) {
          return Close(Errc::kStopped, "unbind_resp timeout");
        }
        if (state_ == State::kBound && !enquire_outstanding_ &&
            (Elapsed(last_rx_tick_) >= cfg_.enquire_link_interval ||
             Elapsed(last_tx_tick_) >= cfg_.enquire_link_interval)) {
          SendEnquireLink();
        }
        break;
      case State::kIdle:
      case State::kStopped:
        return;
    }
    ArmTick();
  }

  // --- submits ----------------------------------------------------------------------

  void SendSubmit(const SubmitRequest& r) {
    const uint32_t seq = AllocSlotSeq();
    Pdu p;
    p.command_id = CommandId::kSubmitSm;
    p.sequence_number = seq;
    p.sm.service_type = cfg_.service_type;
    p.sm.source_addr_ton = r.source_addr_ton;
    p.sm.source_addr_npi = r.source_addr_npi;
    p.sm.source_addr = r.source_addr;
    p.sm.dest_addr_ton = r.dest_addr_ton;
    p.sm.dest_addr_npi = r.dest_addr_npi;
    p.sm.destination_addr = r.dest_addr;
    p.sm.esm_class = r.esm_class;
    p.sm.registered_delivery = r.registered_delivery;
    p.sm.data_coding = r.data_coding;
    if (!r.message_payload.empty()) {
      p.tlvs.message_payload = r.message_payload;
    } else {
      p.sm.short_message = r.short_message;
    }
    if (r.sar_total_segments > 0) {
      p.tlvs.sar_msg_ref_num = r.sar_msg_ref_num;
      p.tlvs.sar_total_segments = r.sar_total_segments;
      p.tlvs.sar_segment_seqnum = r.sar_segment_seqnum;
    }
    Encode(p, out_);  // cannot fail: Submit() checked every length
    slots_[seq & mask_] = Slot{seq, true, r.cookie, tick_};
    ++inflight_;
    ++stats_.submits_sent;
    ScheduleFlush();
  }

  void Pump() {
    if (state_ != State::kBound || paused_ || stopping_) return;
    while (!queue_.empty() && inflight_ < cfg_.window) {
      if (!TakeToken()) return ArmPace();
      SendSubmit(queue_.front());
      queue_.pop_front();
    }
  }

  // --- max_tps pacing: a token bucket refilled from the steady clock when consulted ----

  void Refill() {
    const auto now = SteadyClock::now();
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_refill_).count() *
                                             cfg_.max_tps);
    last_refill_ = now;
  }

  bool TakeToken() {
    if (cfg_.max_tps == 0) return true;
    Refill();
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // Wakes Pump() when the bucket holds a token again; at high rates it waits for about a
  // millisecond's worth, so one wake-up writes a few submits instead of one.
  void ArmPace() {
    if (pace_armed_) return;
    pace_armed_ = true;
    ++stats_.pace_waits;
    Refill();
    const double want = std::clamp(cfg_.max_tps / 1000.0, 1.0, burst_);
    const auto wait = std::chrono::duration<double>((want - tokens_) / cfg_.max_tps);
    pace_timer_.expires_after(std::chrono::ceil<std::chrono::microseconds>(wait));
    pace_timer_.async_wait([self = shared_from_this(), gen = conn_gen_](boost::system::error_code ec) {
      if (ec || gen != self->conn_gen_) return;  // Close() reset pace_armed_
      self->pace_armed_ = false;
      self->Pump();
    });
  }

  void FailQueued() {
    while (!queue_.empty()) {
      const uint64_t cookie = queue_.front().cookie;
      queue_.pop_front();
      SubmitOutcome outcome;
      outcome.error = Errc::kStopped;
      outcome.status_class = StatusClass::kRetry;
      if (handlers_.on_submit_result) handlers_.on_submit_result(cookie, outcome);
    }
  }

  void CompleteSubmit(uint32_t seq, uint32_t status, std::string_view message_id) {
    Slot& slot = slots_[seq & mask_];
    if (!slot.used || slot.seq != seq) {
      ++stats_.late_responses;  // after a timeout, or never sent: nothing to report
      return;
    }
    slot.used = false;
    --inflight_;
    ++stats_.submit_responses;
    SubmitOutcome outcome;
    outcome.command_status = status;
    outcome.status_class = ClassifySubmitStatus(status);
    outcome.message_id = message_id;
    if (outcome.status_class == StatusClass::kThrottled) Throttle(status);
    if (handlers_.on_submit_result) handlers_.on_submit_result(slot.cookie, outcome);
    if (stopping_ && state_ == State::kBound && inflight_ == 0) {
      SendUnbind();
      return;
    }
    Pump();
  }

  void Throttle(uint32_t status) {
    ++stats_.throttled;
    if (throttle_warn_.Allow()) {
      Log()->warn("smpp throttled system_id={} status={} backoff_ms={}", cfg_.system_id,
                  StatusName(status), cfg_.throttle_backoff.count());
    }
    paused_ = true;
    throttle_timer_.expires_after(cfg_.throttle_backoff);
    throttle_timer_.async_wait([self = shared_from_this(), gen = conn_gen_](boost::system::error_code ec) {
      if (ec || gen != self->conn_gen_) return;
      self->paused_ = false;
      if (self->cfg_.max_tps > 0) {  // resume at the paced rate, without a burst
        self->tokens_ = 0;
        self->last_refill_ = SteadyClock::now();
      }
      self->Pump();
    });
  }

  // --- write path: everything appended during one loop turn leaves in one write ------

  void ScheduleFlush() {
    if (flush_posted_ || writing_active_) return;  // a completing write flushes too
    flush_posted_ = true;
    asio::post(io_, [self = shared_from_this(), gen = conn_gen_] {
      if (gen != self->conn_gen_) return;
      self->flush_posted_ = false;
      self->Flush();
    });
  }

  void Flush() {
    if (writing_active_ || out_.empty()) return;
    std::swap(out_, writing_);
    out_.clear();
    writing_active_ = true;
    last_tx_tick_ = tick_;
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this(), gen = conn_gen_](boost::system::error_code ec,
                                                                   size_t) {
                        self->OnWritten(gen, ec);
                      });
  }

  void OnWritten(uint64_t gen, boost::system::error_code ec) {
    if (gen != conn_gen_) return;
    writing_active_ = false;
    writing_.clear();
    if (ec) return Close(Errc::kConnectionLost, "write failed");
    if (close_after_write_) return Close(Errc::kPeerUnbound, "peer unbound");
    Flush();
  }

  // --- read path: big reads, every whole PDU in the buffer handled per read ----------

  void StartRead() {
    socket_.async_read_some(
        asio::buffer(in_.get() + in_len_, kReadBufferSize - in_len_),
        [self = shared_from_this(), gen = conn_gen_](boost::system::error_code ec, size_t n) {
          self->OnRead(gen, ec, n);
        });
  }

  void OnRead(uint64_t gen, boost::system::error_code ec, size_t n) {
    if (gen != conn_gen_) return;
    if (ec) return Close(Errc::kConnectionLost, ec == asio::error::eof ? "peer closed" : "read failed");
    in_len_ += n;
    last_rx_tick_ = tick_;
    size_t off = 0;
    while (in_len_ - off >= 4) {
      const std::span<const uint8_t> avail(in_.get() + off, in_len_ - off);
      const Frame frame = PeekFrame(avail);
      if (frame.error != Errc::kOk) {
        ++stats_.decode_errors;
        Log()->warn("smpp unframeable bytes from peer host={} error={}", cfg_.host,
                    make_error_code(frame.error).message());
        return Close(Errc::kProtocolError, "unframeable bytes");
      }
      if (avail.size() < frame.size) break;
      HandlePdu(avail.first(frame.size));
      if (gen != conn_gen_) return;  // a handler closed or stopped the connection
      off += frame.size;
    }
    if (off > 0) {
      std::memmove(in_.get(), in_.get() + off, in_len_ - off);
      in_len_ -= off;
    }
    StartRead();
  }

  void HandlePdu(std::span<const uint8_t> bytes) {
    Pdu pdu;
    if (const std::error_code ec = Decode(bytes, pdu)) {
      ++stats_.decode_errors;
      if (decode_warn_.Allow()) {
        Log()->warn("smpp undecodable pdu command_id={:#x} error={}",
                    static_cast<uint32_t>(pdu.command_id), ec.message());
      }
      if (pdu.command_id == CommandId::kSubmitSmResp) {
        CompleteSubmit(pdu.sequence_number, pdu.command_status, {});  // answered, id unreadable
      } else if (pdu.command_id != CommandId::kGenericNack &&
                 (ec == Errc::kUnknownCommandId || !IsResponse(pdu.command_id))) {
        SendGenericNack(NackStatusFor(ec), pdu.sequence_number);
      }
      return;
    }
    switch (pdu.command_id) {
      case CommandId::kSubmitSmResp:
        return CompleteSubmit(pdu.sequence_number, pdu.command_status, pdu.message_id);
      case CommandId::kDeliverSm:
        return OnDeliverSm(pdu);
      case CommandId::kEnquireLink:
        ++stats_.enquire_links_answered;
        AppendHeaderOnly(out_, CommandId::kEnquireLinkResp, 0, pdu.sequence_number);
        return ScheduleFlush();
      case CommandId::kEnquireLinkResp:
        if (pdu.sequence_number == enquire_seq_) enquire_outstanding_ = false;
        return;
      case CommandId::kBindTransceiverResp:
        return OnBindResp(pdu);
      case CommandId::kGenericNack:
        return OnGenericNack(pdu);
      case CommandId::kUnbind:
        AppendHeaderOnly(out_, CommandId::kUnbindResp, 0, pdu.sequence_number);
        close_after_write_ = true;
        state_ = State::kUnbinding;  // no more submits; in-flight ones are lost at close
        phase_tick_ = tick_;
        return ScheduleFlush();
      case CommandId::kUnbindResp:
        if (state_ == State::kUnbinding && pdu.sequence_number == unbind_seq_) {
          ++stats_.clean_unbinds;
          return Close(Errc::kStopped, "unbound");
        }
        return;
      case CommandId::kSubmitSm:
      case CommandId::kBindReceiver:
      case CommandId::kBindTransmitter:
      case CommandId::kBindTransceiver:
        return SendGenericNack(kEsmeRInvCmdId, pdu.sequence_number);  // not an SMSC's to send
      default:
        return;  // other responses: nothing outstanding of that kind
    }
  }

  void OnGenericNack(const Pdu& pdu) {
    ++stats_.generic_nacks_received;
    if (nack_warn_.Allow()) {
      Log()->warn("smpp generic_nack from peer status={:#x}", pdu.command_status);
    }
    const uint32_t seq = pdu.sequence_number;
    if (state_ == State::kBinding && seq == bind_seq_) {
      ++stats_.bind_failures;
      return Close(Errc::kBindFailed, "bind nacked");
    }
    if (enquire_outstanding_ && seq == enquire_seq_) {
      enquire_outstanding_ = false;  // the peer is alive, if picky
      return;
    }
    if (state_ == State::kUnbinding && seq == unbind_seq_) return Close(Errc::kStopped, "unbind nacked");
    CompleteSubmit(seq, pdu.command_status != kEsmeROk ? pdu.command_status : kEsmeRUnknownErr, {});
  }

  void OnDeliverSm(const Pdu& pdu) {
    const size_t at = out_.size();
    AppendHeaderOnly(out_, CommandId::kDeliverSmResp, 0, pdu.sequence_number);
    out_.push_back(0);  // message_id: NULL
    out_[at + 3] = static_cast<uint8_t>(kHeaderSize + 1);
    ScheduleFlush();
    if (pdu.sm.esm_class & kEsmClassReceipt) {
      ++stats_.receipts;
      if (!ParseReceipt(pdu, receipt_)) {
        ++stats_.receipts_unparsed;
        if (receipt_warn_.Allow()) Log()->warn("smpp unparseable delivery receipt dropped");
        return;
      }
      if (handlers_.on_receipt) handlers_.on_receipt(receipt_);
      return;
    }
    ++stats_.mo;
    if (handlers_.on_mo) handlers_.on_mo(pdu);
  }

  void SendGenericNack(uint32_t status, uint32_t seq) {
    ++stats_.generic_nacks_sent;
    AppendHeaderOnly(out_, CommandId::kGenericNack, status, seq);
    ScheduleFlush();
  }

  asio::io_context& io_;
  const ClientConfig cfg_;
  ClientHandlers handlers_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer tick_timer_, reconnect_timer_, throttle_timer_, pace_timer_;

  State state_ = State::kIdle;
  bool started_ = false, stopping_ = false, shut_down_ = false;
  uint64_t conn_gen_ = 0;  // bumped by Close(); completions of older connections are ignored

  Millis tick_period_{100};
  uint64_t tick_ = 0, phase_tick_ = 0, last_rx_tick_ = 0, last_tx_tick_ = 0, enquire_tick_ = 0;

  uint32_t next_seq_ = 1, bind_seq_ = 0, enquire_seq_ = 0, unbind_seq_ = 0;
  bool enquire_outstanding_ = false;

  std::vector<Slot> slots_;  // the window, indexed by seq & mask_
  uint32_t mask_ = 0;
  size_t inflight_ = 0;
  std::deque<SubmitRequest> queue_;
  bool paused_ = false;
  bool pace_armed_ = false;
  double burst_ = 0, tokens_ = 0;  // max_tps bucket
  SteadyClock::time_point last_refill_{};

  std::vector<uint8_t> out_, writing_;
  bool writing_active_ = false, flush_posted_ = false, close_after_write_ = false;
  std::unique_ptr<uint8_t[]> in_;
  size_t in_len_ = 0;

  Receipt receipt_;
  int reconnect_attempts_ = 0;
  std::mt19937_64 rng_;
  ClientStats stats_;
  WarnLimiter connect_warn_, close_warn_, throttle_warn_, decode_warn_, nack_warn_,
      receipt_warn_;
};

static_assert(sizeof(ClientStats) == 20 * sizeof(uint64_t), "operator+= must sum every field");

ClientStats& ClientStats::operator+=(const ClientStats& o) {
  connects += o.connects;
  binds += o.binds;
  bind_failures += o.bind_failures;
  disconnects += o.disconnects;
  clean_unbinds += o.clean_unbinds;
  submits_sent += o.submits_sent;
  submit_responses += o.submit_responses;
  throttled += o.throttled;
  response_timeouts += o.response_timeouts;
  lost_in_flight += o.lost_in_flight;
  late_responses += o.late_responses;
  pace_waits += o.pace_waits;
  receipts += o.receipts;
  receipts_unparsed += o.receipts_unparsed;
  mo += o.mo;
  enquire_links_sent += o.enquire_links_sent;
  enquire_links_answered += o.enquire_links_answered;
  generic_nacks_sent += o.generic_nacks_sent;
  generic_nacks_received += o.generic_nacks_received;
  decode_errors += o.decode_errors;
  return *this;
}

Client::Client(boost::asio::io_context& io, ClientConfig config, ClientHandlers handlers)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(handlers))) {}
Client::~Client() { impl_->Shutdown(); }
void Client::Start() { impl_->Start(); }
void Client::Stop() { impl_->Stop(); }
bool Client::Submit(SubmitRequest&& request) { return impl_->Submit(std::move(request)); }
std::deque<SubmitRequest> Client::TakeQueued() { return impl_->TakeQueued(); }
size_t Client::inflight() const { return impl_->inflight(); }
size_t Client::queued() const { return impl_->queued(); }
bool Client::bound() const { return impl_->bound(); }
bool Client::paused() const { return impl_->paused(); }
bool Client::stopped() const { return impl_->stopped(); }
const ClientStats& Client::stats() const { return impl_->stats(); }

}  // namespace bulkd::providers::smpp
