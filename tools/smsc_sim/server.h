// tools/smsc_sim/server.h — an SMPP 3.4 SMSC simulator for tests and benchmarks: accepts
// binds, answers submit_sm (with configurable latency, permanent failures and
// throttling), and sends delivery receipts after a delay. One io_context per thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bulkd::tools::smsc_sim {

// A mobile-originated message the simulator sends (deliver_sm, esm_class 0).
struct MoMessage {
  std::string source_addr;  // the handset
  uint8_t source_addr_ton = 1, source_addr_npi = 1;
  std::string dest_addr;    // the ESME's caller id
  uint8_t data_coding = 0;
  std::string body;         // encoded; over 254 bytes it goes in message_payload
};

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 2775;         // 0 picks a free port
  unsigned threads = 1;         // io threads; sessions are spread over them
  std::string system_id;        // when non-empty, binds must match (else ESME_RBINDFAIL)
  std::string password;         // when non-empty, binds must match
  bool hex_ids = false;         // --id-format hex|decimal for submit_sm_resp
  bool receipt_hex_ids = false; // --receipt-id-format (default: same as --id-format)
  bool receipt_tlvs = true;     // receipted_message_id + message_state TLVs
  bool receipt_text = true;     // `id:... stat:...` text in short_message
  uint32_t receipt_delay_ms = 0;
  // Receipt this long before the submit_sm_resp instead (at most latency_ms): a receipt
  // that overtakes its response, as happens across binds.
  uint32_t receipt_lead_ms = 0;
  uint32_t latency_ms = 0;      // delay of every submit_sm_resp
  double fail_percent = 0;      // answered ESME_RSUBMITFAIL
  double undeliv_percent = 0;   // accepted, receipt UNDELIV
  // Parts of concatenated messages (UDH IEI 0x00/0x08 or SAR TLVs) with this 1-based
  // sequence number get an UNDELIV receipt (0 = none). Every part is its own submit with
  // its own message id and receipt either way.
  uint32_t undeliv_part = 0;
  // Sent to every session right after a successful bind_transceiver/receiver, in order.
  std::vector<MoMessage> mo_after_bind;
  double throttle_percent = 0;  // answered ESME_RTHROTTLED
  uint32_t max_tps = 0;         // per io thread; above it ESME_RTHROTTLED (0 = unlimited)
  uint32_t idle_timeout_ms = 0; // close a session that sends nothing this long (0 = never)
  // Close the first session that receives its N-th submit_sm, without answering it or
  // anything still unanswered (a bind killed mid-window); once per process (0 = never).
  uint32_t drop_session_after = 0;
  // Store and forward: receipts still due on a session that closes go to another
  // receiver session on the same io thread, or to the next one that binds, as an SMSC
  // does for an account with several binds (default: they are lost with the session).
  bool forward_receipts = false;
  std::string record_path;      // one `<dest_addr>\t<message_id>` line per accepted submit
  // --record-times: append `\t<receive time, Unix epoch µs>\t<source_addr>` to each line
  // (the read that carried the submit_sm; for rate measurements in bench/).
  bool record_times = false;
  uint64_t seed = 0;            // 0 = random
  uint64_t id_start = 0;        // 0 = derived from the clock (unique across restarts)
};

struct Counters {
  std::atomic<uint64_t> binds{0}, bind_failures{0}, submits{0}, accepted{0}, failed{0},
      throttled{0}, receipts{0}, parts{0}, mo_sent{0}, deliver_sm_resps{0}, enquire_links{0}, unbinds{0},
      generic_nacks_sent{0}, decode_errors{0}, sessions{0},
      dropped_sessions{0}, receipts_forwarded{0};
};

class Server {
 public:
  explicit Server(Options options);  // throws on bad options or bind/listen failure
  ~Server();
  uint16_t port() const;             // the listening port (after Start)
  // Listens, prints the "listening" line, runs until SIGTERM/SIGINT, flushes the record
  // file. Returns the process exit code.
  int Run();
  const Counters& counters() const;

  struct State;  // implementation detail (server.cc)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace bulkd::tools::smsc_sim
