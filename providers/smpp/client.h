// providers/smpp/client.h — one SMPP 3.4 transceiver bind (ESME side): connect, bind,
// windowed submit_sm, receipts and MO via deliver_sm, enquire_link, reconnect, unbind.
//
// Thread-safety: confined to the thread running the given io_context; every method and
// every handler runs there. Not thread-safe; post to the io_context from elsewhere.
// Nothing here blocks or throws (config errors aside: the constructor throws
// std::invalid_argument for window == 0 or overlong credentials).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "providers/smpp/errors.h"
#include "providers/smpp/pdu.h"
#include "providers/smpp/receipt.h"

namespace boost::asio {
class io_context;
}

namespace bulkd::providers::smpp {

using Millis = std::chrono::milliseconds;

struct ClientConfig {
  std::string host = "127.0.0.1";  // IP literal or name (resolved on each connect)
  uint16_t port = 2775;
  std::string system_id;           // max 15 bytes
  std::string password;            // max 8 bytes
  std::string system_type;         // max 12 bytes
  std::string service_type;        // submit_sm service_type, max 5; default ""
  uint32_t window = 256;           // submit_sm awaiting a response, per bind (>= 1)
  size_t queue_cap = 8192;         // Submit() beyond the window waits here, FIFO
  Millis response_timeout{10000};  // per request (bind, submit, enquire_link, unbind)
  Millis connect_timeout{5000};
  Millis enquire_link_interval{30000};  // sent when either direction idles this long
  Millis reconnect_min{500};       // backoff doubles per failed attempt, up to max,
  Millis reconnect_max{30000};     // with jitter in [backoff/2, backoff]
  Millis throttle_backoff{1000};   // whole bind pauses this long after RTHROTTLED/RMSGQFUL
  // submit_sm written per second on this bind (0 = unlimited): a token bucket holding at
  // most max(1, max_tps / 20) tokens, so any 1 s holds at most max_tps + that burst.
  // Requests over the rate wait in the queue; a timer (never a busy loop) releases them.
  // After a bind or a throttle pause the bind starts at this pace, without a burst.
  uint32_t max_tps = 0;
};

struct SubmitRequest {
  uint64_t cookie = 0;  // caller's handle, echoed in the result
  std::string source_addr, dest_addr;  // max 20 bytes each
  uint8_t source_addr_ton = 0, source_addr_npi = 0, dest_addr_ton = 1, dest_addr_npi = 1;
  uint8_t data_coding = 0;
  uint8_t esm_class = 0;          // 0x40 when short_message starts with a UDH
  std::string short_message;      // already-encoded bytes, max 254
  std::string message_payload;    // if non-empty: TLV 0x0424, sm_length 0 (max 64000)
  uint8_t registered_delivery = 1;
  uint16_t sar_msg_ref_num = 0;   // SAR TLVs are sent when sar_total_segments > 0
  uint8_t sar_total_segments = 0, sar_segment_seqnum = 0;
};

// How one submit ended. Exactly one per accepted Submit() call.
struct SubmitOutcome {
  // Empty when the SMSC answered. Otherwise (see errors.h): kConnectionLost or
  // kResponseTimeout (outcome unknown: IsOutcomeUnknown), kStopped or kInvalidRequest
  // (never sent).
  std::error_code error;
  uint32_t command_status = 0;  // the SMSC's status (also from a generic_nack)
  StatusClass status_class = StatusClass::kOk;  // ClassifySubmitStatus(command_status)
  std::string_view message_id;  // when accepted; valid only during the callback
};

struct ClientHandlers {  // each may be empty; each may call Submit()/Stop()
  std::function<void(uint64_t cookie, const SubmitOutcome&)> on_submit_result;
  std::function<void(const Receipt&)> on_receipt;        // deliver_sm with esm_class 0x04
  std::function<void(const Pdu& deliver_sm)> on_mo;      // other deliver_sm; views valid
                                                         // only during the callback
  std::function<void(bool bound)> on_bound;              // bind up / bound session ended
};

struct ClientStats {  // monotonic counters, for metrics and tests; += sums binds
  uint64_t connects = 0, binds = 0, bind_failures = 0, disconnects = 0, clean_unbinds = 0;
  uint64_t submits_sent = 0, submit_responses = 0, throttled = 0, response_timeouts = 0;
  uint64_t lost_in_flight = 0, late_responses = 0;
  uint64_t pace_waits = 0;  // times the max_tps pacer held a non-empty queue back
  uint64_t receipts = 0, receipts_unparsed = 0, mo = 0;
  uint64_t enquire_links_sent = 0, enquire_links_answered = 0;
  uint64_t generic_nacks_sent = 0, generic_nacks_received = 0, decode_errors = 0;
  ClientStats& operator+=(const ClientStats& other);
};

class Client {
 public:
  Client(boost::asio::io_context& io, ClientConfig config, ClientHandlers handlers);
  // Closes the socket at once (no unbind); no handler runs after this returns.
  // Must not be called from inside a handler.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects and binds; after any disconnect or refused bind, reconnects with backoff
  // until Stop(). Progress is reported through on_bound. Call once.
  void Start();

  // Clean shutdown: refuses new submits, fails queued ones with kStopped, waits for
  // in-flight responses (bounded by response_timeout), sends unbind, waits for
  // unbind_resp (bounded too), closes. stopped() turns true at the end.
  void Stop();

  // Queues one submit_sm; sent at once if bound, the window has room and the bind is not
  // paused by throttling. Returns false, leaving `request` untouched, only when the queue
  // holds queue_cap requests or Stop() was called (caller backpressure). A request that
  // breaks SMPP limits is taken and reported kInvalidRequest (posted, never inline).
  bool Submit(SubmitRequest&& request);

  // Removes and returns every request accepted but not yet written, in order, without
  // reporting them: their owner submits them elsewhere (a pool moving a dropped bind's
  // queue to a bound one). Never blocks.
  std::deque<SubmitRequest> TakeQueued();

  size_t inflight() const;  // submit_sm written, no response yet
  size_t queued() const;    // accepted by Submit(), not yet written
  bool bound() const;
  bool paused() const;      // throttle backoff in effect
  bool stopped() const;
  const ClientStats& stats() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulkd::providers::smpp
