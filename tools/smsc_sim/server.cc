#include "tools/smsc_sim/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "providers/smpp/pdu.h"

namespace bulkd::tools::smsc_sim {
namespace {

namespace asio = boost::asio;
namespace smpp = bulkd::providers::smpp;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadBufferSize = 256 * 1024;
constexpr auto kRecordFlushInterval = std::chrono::milliseconds(100);

// xorshift64*: cheap, good enough for drawing percentages.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  double Percent() { return static_cast<double>(Next() >> 11) * (100.0 / 9007199254740992.0); }
};

// Writes `id` in hex (upper case) or decimal into buf[24]; returns the view.
std::string_view FormatId(uint64_t id, bool hex, char* buf) {
  auto [end, ec] = std::to_chars(buf, buf + 24, id, hex ? 16 : 10);
  if (hex) {
    for (char* p = buf; p != end; ++p) {
      if (*p >= 'a' && *p <= 'f') *p = static_cast<char>(*p - 'a' + 'A');
    }
  }
  return {buf, static_cast<size_t>(end - buf)};
}

void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// A response with a C-Octet string body (submit_sm_resp, bind_*_resp).
void AppendStringResp(std::vector<uint8_t>& out, uint32_t command_id, uint32_t status,
                      uint32_t seq, std::string_view body) {
  const size_t at = out.size();
  const uint32_t len = static_cast<uint32_t>(smpp::kHeaderSize + body.size() + 1);
  out.resize(at + len);
  uint8_t* p = out.data() + at;
  PutBe32(p, len);
  PutBe32(p + 4, command_id);
  PutBe32(p + 8, status);
  PutBe32(p + 12, seq);
  if (!body.empty()) std::memcpy(p + 16, body.data(), body.size());
  p[16 + body.size()] = 0;
}

struct PendingReceipt {
  Clock::time_point due;
  uint64_t id;
  bool undelivered;
  uint8_t handset_len, sender_len, text_len;
  char handset[21], sender[21], text[20];
};

class Session;

struct Worker {
  asio::io_context io{1};
  // --forward-receipts: receiver sessions of this thread, and receipts waiting for one.
  std::vector<std::weak_ptr<Session>> receivers;
  std::deque<PendingReceipt> orphan_receipts;
  Rng rng{0};
  std::string record_local;   // this thread's lines during one handler
  std::mutex record_mu;
  std::string record_shared;  // drained by the flusher every 100 ms
  double tokens = 0;          // --max-tps bucket
  Clock::time_point last_refill = Clock::now();
};

struct PendingResp {
  Clock::time_point due;
  uint32_t seq;
  uint32_t status;
  uint64_t id;
};

// Merges `from` into `into`, both ordered by due time; `from` ends empty.
void MergeByDue(std::deque<PendingReceipt>& into, std::deque<PendingReceipt>& from) {
  std::deque<PendingReceipt> merged;
  std::merge(into.begin(), into.end(), from.begin(), from.end(), std::back_inserter(merged),
             [](const PendingReceipt& a, const PendingReceipt& b) { return a.due < b.due; });
  into.swap(merged);
  from.clear();
}

}  // namespace

struct Server::State {
  Options opt;
  Counters counters;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> flush_timer;
  std::optional<asio::signal_set> signals;
  std::atomic<uint64_t> next_id{1};
  std::atomic<bool> session_dropped{false};  // --drop-session-after fired
  unsigned next_worker = 0;
  int record_fd = -1;
  uint16_t port = 0;

  void FlushRecords() {
    if (record_fd < 0) return;
    std::string batch;
    for (auto& w : workers) {
      std::lock_guard lock(w->record_mu);
      batch.append(w->record_shared);
      w->record_shared.clear();
    }
    for (size_t off = 0; off < batch.size();) {
      const ssize_t n = ::write(record_fd, batch.data() + off, batch.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::State& st, Worker& w, tcp::socket socket)
      : st_(st),
        opt_(st.opt),
        w_(w),
        socket_(std::move(socket)),
        resp_timer_(w.io),
        receipt_timer_(w.io),
        idle_timer_(w.io),
        in_(new uint8_t[kReadBufferSize]) {
    out_.reserve(64 * 1024);
    writing_.reserve(64 * 1024);
  }

  void Start() {
    ++st_.counters.sessions;
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    last_rx_ = Clock::now();
    if (opt_.idle_timeout_ms > 0) ArmIdle();
    Read();
  }

 private:
  enum class Mode : uint8_t { kNone, kTransmitter, kReceiver, kTransceiver };

  bool can_submit() const { return mode_ == Mode::kTransmitter || mode_ == Mode::kTransceiver; }
  bool can_receive() const { return mode_ == Mode::kReceiver || mode_ == Mode::kTransceiver; }

  void Read() {
    socket_.async_read_some(asio::buffer(in_.get() + in_len_, kReadBufferSize - in_len_),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              self->OnRead(ec, n);
                            });
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    if (closed_) return;
    if (ec) return Close();
    in_len_ += n;
    const Clock::time_point now = Clock::now();
    last_rx_ = now;
    if (opt_.record_times) {
      rx_wall_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    }
    if (opt_.max_tps > 0) Refill(now);
    size_t off = 0;
    while (in_len_ - off >= 4) {
      const std::span<const uint8_t> avail(in_.get() + off, in_len_ - off);
      const smpp::Frame frame = smpp::PeekFrame(avail);
      if (frame.error != smpp::Errc::kOk) {
        ++st_.counters.decode_errors;
        return Close();
      }
      if (avail.size() < frame.size) break;
      Handle(avail.first(frame.size), now);
      off += frame.size;
      if (closed_) return;
    }
    std::memmove(in_.get(), in_.get() + off, in_len_ - off);
    in_len_ -= off;
    HandOverRecords();
    Flush();
    if (!unbinding_) Read();
  }

  void Handle(std::span<const uint8_t> bytes, Clock::time_point now) {
    smpp::Pdu pdu;
    if (const std::error_code ec = smpp::Decode(bytes, pdu)) {
      ++st_.counters.decode_errors;
      if (pdu.command_id != smpp::CommandId::kGenericNack &&
          (ec == smpp::Errc::kUnknownCommandId || !smpp::IsResponse(pdu.command_id))) {
        Nack(ec == smpp::Errc::kUnknownCommandId ? smpp::kEsmeRInvCmdId : smpp::kEsmeRInvCmdLen,
             pdu.sequence_number);
      }
      return;
    }
    switch (pdu.command_id) {
      case smpp::CommandId::kSubmitSm:
        return OnSubmit(pdu, now);
      case smpp::CommandId::kDeliverSmResp:
        ++st_.counters.deliver_sm_resps;
        if (opt_.forward_receipts) unacked_.erase(pdu.sequence_number);
        return;
      case smpp::CommandId::kEnquireLink:
        ++st_.counters.enquire_links;
        return smpp::AppendHeaderOnly(out_, smpp::CommandId::kEnquireLinkResp, 0,
                                      pdu.sequence_number);
      case smpp::CommandId::kBindTransceiver:
      case smpp::CommandId::kBindTransmitter:
      case smpp::CommandId::kBindReceiver:
        return OnBind(pdu);
      case smpp::CommandId::kUnbind:
        ++st_.counters.unbinds;
        smpp::AppendHeaderOnly(out_, smpp::CommandId::kUnbindResp, 0, pdu.sequence_number);
        unbinding_ = true;  // close once the response is written
        mode_ = Mode::kNone;
        return;
      case smpp::CommandId::kGenericNack:
      case smpp::CommandId::kEnquireLinkResp:
      case smpp::CommandId::kUnbindResp:
        return;
      default:
        return Nack(smpp::kEsmeRInvCmdId, pdu.sequence_number);
    }
  }

  void OnBind(const smpp::Pdu& pdu) {
    const uint32_t resp_id = static_cast<uint32_t>(pdu.command_id) | 0x80000000u;
    uint32_t status = smpp::kEsmeROk;
    if (mode_ != Mode::kNone) {
      status = smpp::kEsmeRAlyBnd;
    } else if ((!opt_.system_id.empty() && pdu.bind.system_id != opt_.system_id) ||
               (!opt_.password.empty() && pdu.bind.password != opt_.password)) {
      status = smpp::kEsmeRBindFail;
    }
    if (status == smpp::kEsmeROk) {
      ++st_.counters.binds;
      mode_ = pdu.command_id == smpp::CommandId::kBindTransmitter ? Mode::kTransmitter
              : pdu.command_id == smpp::CommandId::kBindReceiver  ? Mode::kReceiver
                                                                  : Mode::kTransceiver;
    } else {
      ++st_.counters.bind_failures;
    }
    AppendStringResp(out_, resp_id, status, pdu.sequence_number, "smsc-sim");
    if (status == smpp::kEsmeROk && can_receive()) {
      SendMo();
      if (opt_.forward_receipts) {
        w_.receivers.push_back(weak_from_this());
        AdoptOrphanReceipts();  // written with this read's responses
      }
    }
  }

 public:
  // --forward-receipts: takes the thread's stored receipts and sends those already due.
  void AdoptOrphanReceipts() {
    if (w_.orphan_receipts.empty()) return;
    st_.counters.receipts_forwarded += w_.orphan_receipts.size();
    MergeByDue(receipts_, w_.orphan_receipts);
    SendDueReceipts();
    ArmReceiptTimer();
  }

  void FlushNow() { Flush(); }
  bool receiving() const { return !closed_ && !unbinding_ && can_receive(); }

 private:
  // On close: this session's receipts, those due and those sent without a deliver_sm_resp
  // (the ESME may never have seen them), go to the thread's store, then to a live receiver.
  void ForwardReceipts() {
    if (!unacked_.empty()) {
      std::deque<PendingReceipt> unacked;
      for (auto& [seq, r] : unacked_) unacked.push_back(r);
      unacked_.clear();
      std::sort(unacked.begin(), unacked.end(),
                [](const PendingReceipt& a, const PendingReceipt& b) { return a.due < b.due; });
      MergeByDue(receipts_, unacked);
    }
    if (receipts_.empty()) return;
    MergeByDue(w_.orphan_receipts, receipts_);
    std::erase_if(w_.receivers, [](const std::weak_ptr<Session>& s) {
      auto live = s.lock();
      return !live || !live->receiving();
    });
    if (w_.receivers.empty()) return;  // the next bind adopts them
    auto target = w_.receivers.front().lock();
    target->AdoptOrphanReceipts();
    target->FlushNow();
  }

  // --mo: the configured MO messages, queued right behind the bind response.
  void SendMo() {
    for (const MoMessage& mo : opt_.mo_after_bind) {
      smpp::Pdu p;
      p.command_id = smpp::CommandId::kDeliverSm;
      p.sequence_number = next_seq_;
      next_seq_ = next_seq_ >= 0x7FFFFFFF ? 1 : next_seq_ + 1;
      p.sm.source_addr_ton = mo.source_addr_ton;
      p.sm.source_addr_npi = mo.source_addr_npi;
      p.sm.source_addr = mo.source_addr;
      p.sm.destination_addr = mo.dest_addr;
      p.sm.data_coding = mo.data_coding;
      if (mo.body.size() > smpp::kMaxShortMessage) {
        p.tlvs.message_payload = mo.body;
      } else {
        p.sm.short_message = mo.body;
      }
      if (!smpp::Encode(p, out_)) ++st_.counters.mo_sent;
    }
  }

  // The 1-based part number of a concatenated submit (UDH IEI 0x00 or 0x08, else SAR
  // TLVs); 0 for a message in one piece.
  static uint32_t PartNumber(const smpp::Pdu& pdu) {
    const std::string_view sm = pdu.sm.short_message;
    if ((pdu.sm.esm_class & smpp::kEsmClassUdhi) && !sm.empty()) {
      const size_t udh_end = 1 + static_cast<uint8_t>(sm[0]);
      for (size_t i = 1; udh_end <= sm.size() && i + 2 <= udh_end;) {
        const auto iei = static_cast<uint8_t>(sm[i]);
        const size_t len = static_cast<uint8_t>(sm[i + 1]);
        if (i + 2 + len > udh_end) break;
        if (iei == 0x00 && len == 3) return static_cast<uint8_t>(sm[i + 4]);
        if (iei == 0x08 && len == 4) return static_cast<uint8_t>(sm[i + 5]);
        i += 2 + len;
      }
    }
    if (pdu.tlvs.sar_segment_seqnum) return *pdu.tlvs.sar_segment_seqnum;
    return 0;
  }

  void OnSubmit(const smpp::Pdu& pdu, Clock::time_point now) {
    ++st_.counters.submits;
    if (opt_.drop_session_after > 0 && ++submits_seen_ == opt_.drop_session_after &&
        !st_.session_dropped.exchange(true)) {
      ++st_.counters.dropped_sessions;
      return Close();
    }
    if (!can_submit()) return RespondSubmit(pdu.sequence_number, smpp::kEsmeRInvBndSts, 0, now);
    uint32_t status = smpp::kEsmeROk;
    if (opt_.throttle_percent > 0 && w_.rng.Percent() < opt_.throttle_percent) {
      status = smpp::kEsmeRThrottled;
    } else if (opt_.max_tps > 0 && !TakeToken()) {
      status = smpp::kEsmeRThrottled;
    } else if (opt_.fail_percent > 0 && w_.rng.Percent() < opt_.fail_percent) {
      status = smpp::kEsmeRSubmitFail;
    }
    if (status != smpp::kEsmeROk) {
      ++(status == smpp::kEsmeRThrottled ? st_.counters.throttled : st_.counters.failed);
      return RespondSubmit(pdu.sequence_number, status, 0, now);
    }
    ++st_.counters.accepted;
    const uint32_t part = PartNumber(pdu);
    if (part != 0) ++st_.counters.parts;
    const uint64_t id = st_.next_id.fetch_add(1, std::memory_order_relaxed);
    if (st_.record_fd >= 0) {
      char buf[24];
      w_.record_local.append(pdu.sm.destination_addr);
      w_.record_local.push_back('\t');
      w_.record_local.append(FormatId(id, opt_.hex_ids, buf));
      if (opt_.record_times) {
        w_.record_local.push_back('\t');
        w_.record_local.append(FormatId(static_cast<uint64_t>(rx_wall_us_), false, buf));
        w_.record_local.push_back('\t');
        w_.record_local.append(pdu.sm.source_addr);
      }
      w_.record_local.push_back('\n');
    }
    RespondSubmit(pdu.sequence_number, smpp::kEsmeROk, id, now);
    if ((pdu.sm.registered_delivery & 0x03) != 0 && can_receive()) {
      PendingReceipt& r = receipts_.emplace_back();
      r.due = now + std::chrono::milliseconds(
                        opt_.receipt_lead_ms > 0
                            ? opt_.latency_ms - std::min(opt_.latency_ms, opt_.receipt_lead_ms)
                            : opt_.latency_ms + opt_.receipt_delay_ms);
      r.id = id;
      r.undelivered = (opt_.undeliv_part != 0 && part == opt_.undeliv_part) ||
                      (opt_.undeliv_percent > 0 && w_.rng.Percent() < opt_.undeliv_percent);
      auto copy = [](std::string_view from, char* to, uint8_t& len, size_t cap) {
        len = static_cast<uint8_t>(std::min(from.size(), cap));
        if (len > 0) std::memcpy(to, from.data(), len);
      };
      copy(pdu.sm.destination_addr, r.handset, r.handset_len, sizeof r.handset);
      copy(pdu.sm.source_addr, r.sender, r.sender_len, sizeof r.sender);
      std::string_view text = pdu.sm.short_message;
      if (text.empty() && pdu.tlvs.message_payload) text = *pdu.tlvs.message_payload;
      if ((pdu.sm.esm_class & smpp::kEsmClassUdhi) && !text.empty()) {  // skip the UDH
        text.remove_prefix(std::min(text.size(), 1 + static_cast<size_t>(static_cast<uint8_t>(text[0]))));
      }
      copy(text, r.text, r.text_len, sizeof r.text);
      for (uint8_t i = 0; i < r.text_len; ++i) {
        if (static_cast<unsigned char>(r.text[i]) < 0x20 || static_cast<unsigned char>(r.text[i]) > 0x7E) r.text[i] = '.';
      }
      ArmReceiptTimer();
    }
  }

  void RespondSubmit(uint32_t seq, uint32_t status, uint64_t id, Clock::time_point now) {
    if (opt_.latency_ms == 0) return AppendSubmitResp(seq, status, id);
    resps_.push_back({now + std::chrono::milliseconds(opt_.latency_ms), seq, status, id});
    ArmRespTimer();
  }

  void AppendSubmitResp(uint32_t seq, uint32_t status, uint64_t id) {
    char buf[24];
    const std::string_view id_text =
        status == smpp::kEsmeROk ? FormatId(id, opt_.hex_ids, buf) : std::string_view();
    AppendStringResp(out_, static_cast<uint32_t>(smpp::CommandId::kSubmitSmResp), status, seq,
                     id_text);
  }

  void Nack(uint32_t status, uint32_t seq) {
    ++st_.counters.generic_nacks_sent;
    smpp::AppendHeaderOnly(out_, smpp::CommandId::kGenericNack, status, seq);
  }

  bool TakeToken() {
    if (w_.tokens < 1) return false;
    w_.tokens -= 1;
    return true;
  }

  void Refill(Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - w_.last_refill).count();
    w_.last_refill = now;
    const double cap = std::max(1.0, opt_.max_tps / 10.0);  // at most 100 ms of burst
    w_.tokens = std::min(cap, w_.tokens + elapsed * opt_.max_tps);
  }

  // --- delayed responses and receipts: a FIFO each (due times only grow), one timer each

  void ArmRespTimer() {
    if (resp_timer_armed_ || resps_.empty()) return;
    resp_timer_armed_ = true;
    resp_timer_.expires_at(resps_.front().due);
    resp_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      self->resp_timer_armed_ = false;
      if (ec || self->closed_) return;
      const Clock::time_point now = Clock::now();
      while (!self->resps_.empty() && self->resps_.front().due <= now) {
        const PendingResp& r = self->resps_.front();
        self->AppendSubmitResp(r.seq, r.status, r.id);
        self->resps_.pop_front();
      }
      self->Flush();
      self->ArmRespTimer();
    });
  }

  void ArmReceiptTimer() {
    if (receipt_timer_armed_ || receipts_.empty()) return;
    receipt_timer_armed_ = true;
    receipt_timer_.expires_at(receipts_.front().due);
    receipt_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      self->receipt_timer_armed_ = false;
      if (ec || self->closed_) return;
      self->SendDueReceipts();
      self->Flush();
      self->ArmReceiptTimer();
    });
  }

  void SendDueReceipts() {
    const Clock::time_point now = Clock::now();
    char date[16];
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(date, sizeof date, "%y%m%d%H%M", &tm);
    while (!receipts_.empty() && receipts_.front().due <= now) {
      const PendingReceipt& r = receipts_.front();
      char id_buf[24];
      const std::string_view id = FormatId(r.id, opt_.receipt_hex_ids, id_buf);
      const char* stat = r.undelivered ? "UNDELIV" : "DELIVRD";
      char text[200];
      int n = 0;
      if (opt_.receipt_text) {
        n = std::snprintf(text, sizeof text,
                          "id:%.*s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s "
                          "err:%s text:%.*s",
                          static_cast<int>(id.size()), id.data(), r.undelivered ? "000" : "001",
                          date, date, stat, r.undelivered ? "001" : "000",
                          static_cast<int>(r.text_len), r.text);
        n = std::clamp(n, 0, static_cast<int>(sizeof text) - 1);
      }
      smpp::Pdu p;
      p.command_id = smpp::CommandId::kDeliverSm;
      p.sequence_number = next_seq_;
      next_seq_ = next_seq_ >= 0x7FFFFFFF ? 1 : next_seq_ + 1;
      p.sm.source_addr = std::string_view(r.handset, r.handset_len);
      p.sm.destination_addr = std::string_view(r.sender, r.sender_len);
      p.sm.esm_class = smpp::kEsmClassReceipt;
      p.sm.short_message = std::string_view(text, static_cast<size_t>(n));
      if (opt_.receipt_tlvs) {
        p.tlvs.receipted_message_id = id;
        p.tlvs.message_state = r.undelivered ? 5 : 2;
        if (r.undelivered) p.tlvs.network_error_code = smpp::NetworkErrorCode{3, 1};
      }
      if (!smpp::Encode(p, out_)) {
        ++st_.counters.receipts;
        if (opt_.forward_receipts) unacked_.emplace(p.sequence_number, r);
      }
      receipts_.pop_front();
    }
  }

  void ArmIdle() {
    idle_timer_.expires_after(std::chrono::milliseconds(std::max(1u, opt_.idle_timeout_ms / 4)));
    idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      if (Clock::now() - self->last_rx_ > std::chrono::milliseconds(self->opt_.idle_timeout_ms)) {
        return self->Close();
      }
      self->ArmIdle();
    });
  }

  // --- writes: everything produced by one handler leaves in one async_write -----------

  void Flush() {
    if (writing_active_ || out_.empty() || closed_) return;
    std::swap(out_, writing_);
    out_.clear();
    writing_active_ = true;
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        self->writing_active_ = false;
                        self->writing_.clear();
                        if (self->closed_) return;
                        if (ec) return self->Close();
                        if (self->unbinding_ && self->out_.empty()) return self->Close();
                        self->Flush();
                      });
  }

  void HandOverRecords() {
    if (w_.record_local.empty()) return;
    std::lock_guard lock(w_.record_mu);
    w_.record_shared.append(w_.record_local);
    w_.record_local.clear();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    HandOverRecords();
    if (opt_.forward_receipts) ForwardReceipts();
    boost::system::error_code ignored;
    socket_.close(ignored);
    resp_timer_.cancel();
    receipt_timer_.cancel();
    idle_timer_.cancel();
  }

  Server::State& st_;
  const Options& opt_;
  Worker& w_;
  tcp::socket socket_;
  asio::steady_timer resp_timer_, receipt_timer_, idle_timer_;
  bool resp_timer_armed_ = false, receipt_timer_armed_ = false;
  Mode mode_ = Mode::kNone;
  bool closed_ = false, unbinding_ = false, writing_active_ = false;
  uint32_t next_seq_ = 1;
  uint32_t submits_seen_ = 0;  // --drop-session-after
  Clock::time_point last_rx_;
  int64_t rx_wall_us_ = 0;  // --record-times: wall clock of the current read
  std::unique_ptr<uint8_t[]> in_;
  size_t in_len_ = 0;
  std::vector<uint8_t> out_, writing_;
  std::deque<PendingResp> resps_;
  std::deque<PendingReceipt> receipts_;
  std::unordered_map<uint32_t, PendingReceipt> unacked_;  // --forward-receipts: by deliver_sm seq
};

void StartAccept(Server::State& st) {
  Worker& w = *st.workers[st.next_worker++ % st.workers.size()];
  st.acceptor->async_accept(w.io, [&st, &w](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      asio::post(w.io, [&st, &w, s = std::move(socket)]() mutable {
        std::make_shared<Session>(st, w, std::move(s))->Start();
      });
    }
    StartAccept(st);
  });
}

void ArmRecordFlush(Server::State& st) {
  st.flush_timer->expires_after(kRecordFlushInterval);
  st.flush_timer->async_wait([&st](boost::system::error_code ec) {
    if (ec) return;
    st.FlushRecords();
    ArmRecordFlush(st);
  });
}

}  // namespace

Server::Server(Options options) : state_(std::make_unique<State>()) {
  State& st = *state_;
  st.opt = std::move(options);
  if (st.opt.threads == 0) st.opt.threads = 1;
  uint64_t seed = st.opt.seed ? st.opt.seed : std::random_device{}() | 1ull << 40;
  for (unsigned i = 0; i < st.opt.threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->rng.s = (seed + 0x9E3779B97F4A7C15ull * (i + 1)) | 1;
    st.workers.push_back(std::move(w));
  }
  // Ids from the clock (microseconds) stay unique across restarts of the simulator.
  st.next_id = st.opt.id_start
                   ? st.opt.id_start
                   : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  if (!st.opt.record_path.empty()) {
    st.record_fd = ::open(st.opt.record_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (st.record_fd < 0) throw std::runtime_error("cannot open --record file " + st.opt.record_path);
  }
  asio::io_context& io0 = st.workers[0]->io;
  tcp::endpoint endpoint(asio::ip::make_address(st.opt.host), st.opt.port);
  st.acceptor.emplace(io0);
  st.acceptor->open(endpoint.protocol());
  st.acceptor->set_option(tcp::acceptor::reuse_address(true));
  st.acceptor->bind(endpoint);
  st.acceptor->listen(asio::socket_base::max_listen_connections);
  st.port = st.acceptor->local_endpoint().port();
  st.flush_timer.emplace(io0);
  st.signals.emplace(io0, SIGINT, SIGTERM);
}

Server::~Server() {
  if (state_ && state_->record_fd >= 0) ::close(state_->record_fd);
}

uint16_t Server::port() const { return state_->port; }
const Counters& Server::counters() const { return state_->counters; }

int Server::Run() {
  State& st = *state_;
  std::printf("smsc-sim listening on %s:%u\n", st.opt.host.c_str(), static_cast<unsigned>(st.port));
  std::fflush(stdout);
  st.signals->async_wait([&st](boost::system::error_code ec, int) {
    if (ec) return;
    for (auto& w : st.workers) w->io.stop();
  });
  StartAccept(st);
  if (st.record_fd >= 0) ArmRecordFlush(st);
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& w : st.workers) guards.push_back(asio::make_work_guard(w->io));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < st.workers.size(); ++i) {
    threads.emplace_back([w = st.workers[i].get()] { w->io.run(); });
  }
  st.workers[0]->io.run();
  for (auto& w : st.workers) w->io.stop();
  for (auto& t : threads) t.join();
  st.FlushRecords();
  const Counters& c = st.counters;
  std::fprintf(stderr,
               "smsc-sim: sessions=%llu binds=%llu bind_failures=%llu submits=%llu "
               "accepted=%llu failed=%llu throttled=%llu parts=%llu receipts=%llu mo_sent=%llu "
               "deliver_sm_resps=%llu "
               "enquire_links=%llu unbinds=%llu generic_nacks=%llu decode_errors=%llu "
               "dropped_sessions=%llu receipts_forwarded=%llu\n",
               static_cast<unsigned long long>(c.sessions.load()),
               static_cast<unsigned long long>(c.binds.load()),
               static_cast<unsigned long long>(c.bind_failures.load()),
               static_cast<unsigned long long>(c.submits.load()),
               static_cast<unsigned long long>(c.accepted.load()),
               static_cast<unsigned long long>(c.failed.load()),
               static_cast<unsigned long long>(c.throttled.load()),
               static_cast<unsigned long long>(c.parts.load()),
               static_cast<unsigned long long>(c.receipts.load()),
               static_cast<unsigned long long>(c.mo_sent.load()),
               static_cast<unsigned long long>(c.deliver_sm_resps.load()),
               static_cast<unsigned long long>(c.enquire_links.load()),
               static_cast<unsigned long long>(c.unbinds.load()),
               static_cast<unsigned long long>(c.generic_nacks_sent.load()),
               static_cast<unsigned long long>(c.decode_errors.load()),
               static_cast<unsigned long long>(c.dropped_sessions.load()),
               static_cast<unsigned long long>(c.receipts_forwarded.load()));
  return 0;
}

}  // namespace bulkd::tools::smsc_sim
