// The SMPP client against a scripted in-process peer on loopback: the paths smsc-sim
// does not take (unknown and malformed PDUs, MO, silent SMSC, peer unbind, garbage).
// Client and peer share one io_context run by the test thread; waits have deadlines.
#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "providers/smpp/client.h"

namespace bulkd::providers::smpp {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct Seen {
  CommandId command_id;
  uint32_t status;
  uint32_t seq;
};

// Accepts connections one after another; answers binds; hands every other PDU to
// `on_pdu`, which may append replies to `out`. Records every PDU it receives.
class FakeSmsc {
 public:
  using Handler = std::function<void(const Pdu&, std::vector<uint8_t>& out)>;

  explicit FakeSmsc(asio::io_context& io)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void set_on_pdu(Handler h) { on_pdu_ = std::move(h); }
  const std::vector<Seen>& seen() const { return seen_; }
  int connections() const { return connections_; }
  bool Saw(CommandId id, uint32_t seq, uint32_t status = 0) const {
    for (const Seen& s : seen_) {
      if (s.command_id == id && s.seq == seq && s.status == status) return true;
    }
    return false;
  }

  void Send(const std::vector<uint8_t>& bytes) {
    auto buf = std::make_shared<std::vector<uint8_t>>(bytes);
    asio::async_write(*socket_, asio::buffer(*buf), [buf](boost::system::error_code, size_t) {});
  }
  void Send(const Pdu& pdu) {
    std::vector<uint8_t> bytes;
    ASSERT_FALSE(Encode(pdu, bytes));
    Send(bytes);
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      ++connections_;
      socket_ = std::make_shared<tcp::socket>(std::move(s));
      buffer_.clear();
      Read(socket_);
      Accept();
    });
  }

  void Read(std::shared_ptr<tcp::socket> socket) {
    auto chunk = std::make_shared<std::array<uint8_t, 4096>>();
    socket->async_read_some(asio::buffer(*chunk), [this, socket, chunk](
                                                      boost::system::error_code ec, size_t n) {
      if (ec || socket != socket_) return;
      buffer_.insert(buffer_.end(), chunk->begin(), chunk->begin() + static_cast<long>(n));
      std::vector<uint8_t> out;
      for (;;) {
        const Frame f = PeekFrame(buffer_);
        if (f.error != Errc::kOk || f.size == 0 || buffer_.size() < f.size) break;
        Pdu pdu;
        if (!Decode(std::span<const uint8_t>(buffer_).first(f.size), pdu)) {
          seen_.push_back({pdu.command_id, pdu.command_status, pdu.sequence_number});
          if (pdu.command_id == CommandId::kBindTransceiver) {
            Pdu resp;
            resp.command_id = CommandId::kBindTransceiverResp;
            resp.sequence_number = pdu.sequence_number;
            resp.bind.system_id = "fake";
            Encode(resp, out);
          } else if (on_pdu_) {
            on_pdu_(pdu, out);
          }
        }
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(f.size));
      }
      if (!out.empty()) Send(out);
      Read(socket);
    });
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<tcp::socket> socket_;
  std::vector<uint8_t> buffer_;
  std::vector<Seen> seen_;
  Handler on_pdu_;
  int connections_ = 0;
};

class SmppClientWireTest : public ::testing::Test {
 protected:
  void MakeClient(Millis response_timeout = 5000ms) {
    ClientConfig c;
    c.port = peer_.port();
    c.system_id = "bulkd";
    c.window = 8;
    c.response_timeout = response_timeout;
    c.reconnect_min = 10ms;
    c.reconnect_max = 50ms;
    ClientHandlers h;
    h.on_submit_result = [this](uint64_t cookie, const SubmitOutcome& o) {
      outcomes_.push_back({cookie, o.error, o.command_status, o.status_class});
    };
    h.on_receipt = [this](const Receipt& r) { receipts_.push_back(r); };
    h.on_mo = [this](const Pdu& p) {
      mo_from_.assign(p.sm.source_addr);
      mo_text_.assign(p.sm.short_message);
    };
    client_ = std::make_unique<Client>(io_, c, std::move(h));
    client_->Start();
    ASSERT_TRUE(RunUntil([&] { return client_->bound(); }, 5s));
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(2ms);
    }
    return true;
  }

  SubmitRequest Request(uint64_t cookie) {
    SubmitRequest r;
    r.cookie = cookie;
    r.source_addr = "0215881234";
    r.dest_addr = "821012345678";
    r.short_message = "hi";
    return r;
  }

  struct Outcome {
    uint64_t cookie;
    std::error_code error;
    uint32_t status;
    StatusClass status_class;
  };

  asio::io_context io_;
  FakeSmsc peer_{io_};
  std::unique_ptr<Client> client_;
  std::vector<Outcome> outcomes_;
  std::vector<Receipt> receipts_;
  std::string mo_from_, mo_text_;
};

TEST_F(SmppClientWireTest, AnswersEveryRequestTheSmscSends) {
  MakeClient();
  Pdu mo;
  mo.command_id = CommandId::kDeliverSm;
  mo.sequence_number = 79;
  mo.sm.source_addr = "821099998888";
  mo.sm.destination_addr = "0215881234";
  mo.sm.short_message = "STOP";
  Pdu receipt = mo;
  receipt.sequence_number = 80;
  receipt.sm.esm_class = kEsmClassReceipt;
  receipt.sm.short_message = "";
  receipt.tlvs.receipted_message_id = "abc123";
  receipt.tlvs.message_state = 5;
  std::vector<uint8_t> bytes;
  AppendHeaderOnly(bytes, static_cast<CommandId>(0x00000103), 0, 77);  // data_sm: unknown here
  AppendHeaderOnly(bytes, CommandId::kEnquireLink, 0, 78);
  ASSERT_FALSE(Encode(mo, bytes));
  ASSERT_FALSE(Encode(receipt, bytes));
  const std::vector<uint8_t> broken = {0, 0, 0, 19, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 81, 'a', 'b', 'c'};
  bytes.insert(bytes.end(), broken.begin(), broken.end());  // deliver_sm, unterminated field
  peer_.Send(bytes);  // all in one segment: the client decodes them from one read

  ASSERT_TRUE(RunUntil([&] { return peer_.Saw(CommandId::kGenericNack, 81, kEsmeRInvCmdLen); },
                       5s));
  EXPECT_TRUE(peer_.Saw(CommandId::kGenericNack, 77, kEsmeRInvCmdId));
  EXPECT_TRUE(peer_.Saw(CommandId::kEnquireLinkResp, 78));
  EXPECT_TRUE(peer_.Saw(CommandId::kDeliverSmResp, 79));
  EXPECT_TRUE(peer_.Saw(CommandId::kDeliverSmResp, 80));
  EXPECT_EQ(mo_from_, "821099998888");
  EXPECT_EQ(mo_text_, "STOP");
  ASSERT_EQ(receipts_.size(), 1u);
  EXPECT_EQ(receipts_[0].message_id, "abc123");
  EXPECT_EQ(receipts_[0].state, MessageState::kUndeliverable);
  EXPECT_EQ(client_->stats().generic_nacks_sent, 2u);
  EXPECT_EQ(client_->stats().enquire_links_answered, 1u);
  EXPECT_TRUE(client_->bound());  // bad PDUs do not cost the bind
}

TEST_F(SmppClientWireTest, UnansweredSubmitTimesOutAsOutcomeUnknownAndTheClientRebinds) {
  MakeClient(200ms);  // the peer never answers submit_sm
  ASSERT_TRUE(client_->Submit(Request(1)));
  ASSERT_TRUE(RunUntil([&] { return !outcomes_.empty(); }, 5s));
  EXPECT_EQ(outcomes_[0].error, Errc::kResponseTimeout);
  EXPECT_TRUE(IsOutcomeUnknown(outcomes_[0].error));
  EXPECT_EQ(client_->stats().response_timeouts, 1u);
  ASSERT_TRUE(RunUntil([&] { return client_->stats().binds == 2; }, 5s));
  EXPECT_EQ(peer_.connections(), 2);
}

TEST_F(SmppClientWireTest, GenericNackForASubmitIsItsResult) {
  MakeClient();
  peer_.set_on_pdu([](const Pdu& pdu, std::vector<uint8_t>& out) {
    if (pdu.command_id == CommandId::kSubmitSm) {
      AppendHeaderOnly(out, CommandId::kGenericNack, kEsmeRInvCmdLen, pdu.sequence_number);
    }
  });
  ASSERT_TRUE(client_->Submit(Request(5)));
  ASSERT_TRUE(RunUntil([&] { return !outcomes_.empty(); }, 5s));
  EXPECT_FALSE(outcomes_[0].error);
  EXPECT_EQ(outcomes_[0].cookie, 5u);
  EXPECT_EQ(outcomes_[0].status, kEsmeRInvCmdLen);
  EXPECT_EQ(outcomes_[0].status_class, StatusClass::kPermanent);
}

TEST_F(SmppClientWireTest, QueueFullThrottleAlsoPausesTheBind) {
  MakeClient();
  peer_.set_on_pdu([](const Pdu& pdu, std::vector<uint8_t>& out) {
    if (pdu.command_id != CommandId::kSubmitSm) return;
    Pdu resp;
    resp.command_id = CommandId::kSubmitSmResp;
    resp.command_status = kEsmeRMsgQFul;
    resp.sequence_number = pdu.sequence_number;
    Encode(resp, out);
  });
  ASSERT_TRUE(client_->Submit(Request(1)));
  ASSERT_TRUE(RunUntil([&] { return !outcomes_.empty(); }, 5s));
  EXPECT_EQ(outcomes_[0].status_class, StatusClass::kThrottled);
  EXPECT_TRUE(client_->paused());
  ASSERT_TRUE(client_->Submit(Request(2)));
  EXPECT_EQ(client_->queued(), 1u);  // held back while paused
  ASSERT_TRUE(RunUntil([&] { return outcomes_.size() == 2; }, 5s));  // sent after the pause
}

TEST_F(SmppClientWireTest, PeerUnbindIsAnsweredAndTheClientRebinds) {
  MakeClient();
  std::vector<uint8_t> unbind;
  AppendHeaderOnly(unbind, CommandId::kUnbind, 0, 90);
  peer_.Send(unbind);
  ASSERT_TRUE(RunUntil([&] { return peer_.Saw(CommandId::kUnbindResp, 90); }, 5s));
  ASSERT_TRUE(RunUntil([&] { return client_->stats().binds == 2; }, 5s));
}

TEST_F(SmppClientWireTest, UnframeableBytesCloseTheConnection) {
  MakeClient();
  peer_.Send(std::vector<uint8_t>{0, 0, 0, 5, 1, 2, 3, 4});  // command_length 5
  ASSERT_TRUE(RunUntil([&] { return client_->stats().binds == 2; }, 5s));
  EXPECT_EQ(client_->stats().decode_errors, 1u);
  EXPECT_EQ(client_->stats().disconnects, 1u);
}

}  // namespace
}  // namespace bulkd::providers::smpp
