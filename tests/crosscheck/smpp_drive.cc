// smpp_drive: bulkd's SMPP client (providers/smpp) as a standalone ESME for the
// cross-checks in tests/crosscheck/. Binds one transceiver, optionally idles until an
// enquire_link went out, submits a fixed mix of UCS-2 Korean messages (short ones, long
// ones in message_payload, SAR-segmented parts, UDH-concatenated parts), waits for every
// submit_sm_resp and every receipt, matches receipts to submits by message id, unbinds.
//
// stdout, one per line (the scripts parse these):
//   pdu <direction> <command> <count>     what went over the wire, from the client's view
//   result key=value ...                  totals
//   FAIL: <reason>                        zero or more; exit code 1 when any
// --expect FILE writes one JSON object per submit_sm, in send order (see Part below).
// Every wait is bounded by --timeout-s.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/json_escape.h"
#include "core/text_encoding.h"
#include "providers/smpp/client.h"

namespace smpp = bulkd::providers::smpp;
using Clock = std::chrono::steady_clock;

namespace {

// One submit_sm as the driver means it: what an independent decoder must find in it.
struct Part {
  std::string kind;  // short | payload | sar | udh
  std::string dest;
  std::string text;  // UTF-8 of this part's text (without the UDH)
  uint16_t sar_ref = 0;
  uint8_t sar_total = 0, sar_seq = 0;
  std::string udh;   // raw UDH bytes (udh parts only)
};

// The first `n` characters of a UTF-8 string starting at byte `pos`; advances `pos`.
std::string TakeChars(const std::string& s, size_t& pos, size_t n) {
  const size_t start = pos;
  for (size_t c = 0; c < n && pos < s.size(); ++c) {
    ++pos;
    while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) ++pos;
  }
  return s.substr(start, pos - start);
}

size_t CharCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Dest(size_t i) {
  const std::string digits = std::to_string(100000000 + i);
  return "8210" + digits.substr(digits.size() - 8);
}

std::string Hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// Korean text of at least `chars` characters (all in the BMP, so one UTF-16 unit each).
std::string LongKorean(size_t chars, size_t tag) {
  static const std::string kSentence =
      "고객님의 주문이 정상적으로 접수되었으며 오늘 출고 예정입니다. 배송 조회는 앱에서 "
      "확인하실 수 있습니다. ";
  std::string out = "[" + std::to_string(tag) + "] ";
  while (CharCount(out) < chars) out += kSentence;
  size_t pos = 0;
  return TakeChars(out, pos, chars);
}

std::vector<Part> BuildParts(size_t n_short, size_t n_payload, size_t n_sar, size_t n_udh) {
  std::vector<Part> parts;
  size_t msg = 0;
  for (size_t i = 0; i < n_short; ++i, ++msg) {
    parts.push_back({"short", Dest(msg),
                     "안녕하세요 홍길동님, 주문하신 상품이 발송되었습니다. 번호 " +
                         std::to_string(i),
                     0, 0, 0, ""});
  }
  for (size_t i = 0; i < n_payload; ++i, ++msg) {
    // 400 characters: 800 UCS-2 bytes, far beyond one short_message.
    parts.push_back({"payload", Dest(msg), LongKorean(400, msg), 0, 0, 0, ""});
  }
  for (size_t i = 0; i < n_sar; ++i, ++msg) {
    const std::string text = LongKorean(3 * 67, msg);  // 3 parts of 67 characters
    size_t pos = 0;
    const uint16_t ref = static_cast<uint16_t>(0x1200 + i);
    for (uint8_t seq = 1; seq <= 3; ++seq) {
      parts.push_back({"sar", Dest(msg), TakeChars(text, pos, 67), ref, 3, seq, ""});
    }
  }
  for (size_t i = 0; i < n_udh; ++i, ++msg) {
    const std::string text = LongKorean(2 * 67 - 10, msg);  // 2 parts
    size_t pos = 0;
    const uint8_t ref = static_cast<uint8_t>(0x40 + i);
    for (uint8_t seq = 1; seq <= 2; ++seq) {
      const char udh[6] = {0x05, 0x00, 0x03, static_cast<char>(ref), 2, static_cast<char>(seq)};
      parts.push_back({"udh", Dest(msg), TakeChars(text, pos, 67), 0, 0, 0, std::string(udh, 6)});
    }
  }
  return parts;
}

smpp::SubmitRequest ToRequest(const Part& p, uint64_t cookie) {
  smpp::SubmitRequest r;
  r.cookie = cookie;
  r.source_addr = "0215881234";
  r.source_addr_ton = 0;
  r.source_addr_npi = 0;
  r.dest_addr = p.dest;
  r.dest_addr_ton = 1;
  r.dest_addr_npi = 1;
  r.data_coding = 0x08;  // UCS-2
  r.registered_delivery = 1;
  const std::string ucs2 = bulkd::core::Utf8ToUcs2Be(p.text);
  if (p.kind == "payload") {
    r.message_payload = ucs2;
  } else if (p.kind == "udh") {
    r.esm_class = 0x40;
    r.short_message = p.udh + ucs2;
  } else {
    r.short_message = ucs2;
  }
  if (p.kind == "sar") {
    r.sar_msg_ref_num = p.sar_ref;
    r.sar_total_segments = p.sar_total;
    r.sar_segment_seqnum = p.sar_seq;
  }
  return r;
}

void WriteExpect(const std::string& path, const std::vector<Part>& parts) {
  std::ofstream out(path, std::ios::trunc);
  std::string line;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    line = "{\"i\":" + std::to_string(i) + ",\"kind\":\"" + p.kind + "\",\"source\":\"0215881234\"" +
           ",\"dest\":\"" + p.dest + "\",\"data_coding\":8,\"esm_class\":" +
           (p.kind == "udh" ? "64" : "0") + ",\"payload\":" + (p.kind == "payload" ? "true" : "false") +
           ",\"sar\":";
    if (p.kind == "sar") {
      line += "[" + std::to_string(p.sar_ref) + "," + std::to_string(p.sar_total) + "," +
              std::to_string(p.sar_seq) + "]";
    } else {
      line += "null";
    }
    line += ",\"udh\":\"" + Hex(p.udh) + "\",\"text\":";
    bulkd::core::AppendJsonString(p.text, line);
    line += "}\n";
    out << line;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", system_id = "xcheck", password = "secret", expect_path;
  uint16_t port = 0;
  size_t n_short = 180, n_payload = 5, n_sar = 5, n_udh = 2;
  uint32_t window = 16, enquire_ms = 0, timeout_s = 30;
  CLI::App app{"smpp_drive: bulkd's SMPP client against an SMSC, for cross-checks"};
  app.add_option("--host", host);
  app.add_option("--port", port)->required();
  app.add_option("--system-id", system_id)->capture_default_str();
  app.add_option("--password", password)->capture_default_str();
  app.add_option("--short", n_short, "short UCS-2 messages")->capture_default_str();
  app.add_option("--payload", n_payload, "long messages in message_payload")->capture_default_str();
  app.add_option("--sar", n_sar, "messages in 3 SAR-segmented parts")->capture_default_str();
  app.add_option("--udh", n_udh, "messages in 2 UDH-concatenated parts")->capture_default_str();
  app.add_option("--window", window)->capture_default_str();
  app.add_option("--enquire-ms", enquire_ms,
                 "enquire_link idle interval; when set, waits for one before submitting");
  app.add_option("--timeout-s", timeout_s, "deadline for the whole run")->capture_default_str();
  app.add_option("--expect", expect_path, "write the submits as JSON lines here");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  const std::vector<Part> parts = BuildParts(n_short, n_payload, n_sar, n_udh);
  if (!expect_path.empty()) WriteExpect(expect_path, parts);

  std::vector<std::string> fails;
  auto fail = [&](std::string why) { fails.push_back(std::move(why)); };
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);

  boost::asio::io_context io(1);
  size_t results = 0, accepted = 0, receipts = 0, receipts_not_delivered = 0;
  std::map<std::string, uint64_t> id_to_cookie;     // accepted submits
  std::vector<smpp::Receipt> got_receipts;
  bool bound_once = false;
  smpp::ClientHandlers h;
  h.on_submit_result = [&](uint64_t cookie, const smpp::SubmitOutcome& o) {
    ++results;
    if (o.error || o.command_status != 0) {
      fail("submit " + std::to_string(cookie) + " not accepted: status=" +
           std::to_string(o.command_status) + " error=" + o.error.message());
      return;
    }
    ++accepted;
    if (!id_to_cookie.emplace(std::string(o.message_id), cookie).second) {
      fail("message id " + std::string(o.message_id) + " given twice");
    }
  };
  h.on_receipt = [&](const smpp::Receipt& r) {
    ++receipts;
    got_receipts.push_back(r);
  };
  h.on_bound = [&](bool up) { bound_once |= up; };
  smpp::ClientConfig cfg;
  cfg.host = host;
  cfg.port = port;
  cfg.system_id = system_id;
  cfg.password = password;
  cfg.window = window;
  cfg.queue_cap = parts.size() + 1;
  cfg.reconnect_min = std::chrono::milliseconds(200);
  if (enquire_ms > 0) cfg.enquire_link_interval = std::chrono::milliseconds(enquire_ms);
  smpp::Client client(io, cfg, h);
  client.Start();

  auto run_until = [&](auto done, const char* what) {
    while (!done()) {
      if (Clock::now() >= deadline) {
        fail(std::string("timed out waiting for ") + what);
        return false;
      }
      io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  };

  bool ok = run_until([&] { return client.bound(); }, "the bind");
  if (ok && enquire_ms > 0) {
    ok = run_until([&] { return client.stats().enquire_links_sent >= 1; }, "an enquire_link");
  }
  if (ok) {
    for (size_t i = 0; i < parts.size(); ++i) {
      if (!client.Submit(ToRequest(parts[i], i))) fail("Submit refused at " + std::to_string(i));
    }
    ok = run_until([&] { return results >= parts.size(); }, "submit_sm_resp") &&
         run_until([&] { return receipts >= accepted; }, "receipts");
  }
  const bool bound_at_stop = client.bound();
  client.Stop();
  run_until([&] { return client.stopped(); }, "unbind");

  // Every accepted submit has exactly one DELIVRD receipt from its handset; nothing else.
  std::map<uint64_t, int> receipts_per_cookie;
  size_t matched = 0;
  for (const smpp::Receipt& r : got_receipts) {
    const auto it = id_to_cookie.find(r.message_id);
    if (it == id_to_cookie.end()) {
      fail("receipt for unknown message id '" + r.message_id + "'");
      continue;
    }
    ++matched;
    ++receipts_per_cookie[it->second];
    if (r.state != smpp::MessageState::kDelivered) ++receipts_not_delivered;
    if (r.source_addr != parts[it->second].dest) {
      fail("receipt " + r.message_id + " from " + r.source_addr + ", submit went to " +
           parts[it->second].dest);
    }
  }
  for (const auto& [id, cookie] : id_to_cookie) {
    const int n = receipts_per_cookie.count(cookie) ? receipts_per_cookie[cookie] : 0;
    if (n != 1) fail("submit " + std::to_string(cookie) + " id " + id + " has " + std::to_string(n) + " receipts");
  }
  if (receipts_not_delivered) fail(std::to_string(receipts_not_delivered) + " receipts not DELIVRD");

  const smpp::ClientStats& s = client.stats();
  if (!bound_once || s.binds != 1 || s.connects != 1) {
    fail("expected one connect and one bind, got connects=" + std::to_string(s.connects) +
         " binds=" + std::to_string(s.binds));
  }
  if (s.clean_unbinds != 1) fail("no clean unbind (unbind_resp not received)");
  if (s.decode_errors || s.generic_nacks_received || s.generic_nacks_sent || s.receipts_unparsed ||
      s.mo) {
    fail("protocol trouble: decode_errors=" + std::to_string(s.decode_errors) +
         " nacks_received=" + std::to_string(s.generic_nacks_received) +
         " nacks_sent=" + std::to_string(s.generic_nacks_sent) +
         " receipts_unparsed=" + std::to_string(s.receipts_unparsed) + " mo=" + std::to_string(s.mo));
  }

  const uint64_t deliver_sms = s.receipts + s.mo;
  std::printf("pdu sent bind_transceiver %llu\n", (unsigned long long)s.connects);
  std::printf("pdu recv bind_transceiver_resp %llu\n", (unsigned long long)(s.binds + s.bind_failures));
  std::printf("pdu sent submit_sm %llu\n", (unsigned long long)s.submits_sent);
  std::printf("pdu recv submit_sm_resp %llu\n", (unsigned long long)s.submit_responses);
  std::printf("pdu recv deliver_sm %llu\n", (unsigned long long)deliver_sms);
  std::printf("pdu sent deliver_sm_resp %llu\n", (unsigned long long)deliver_sms);
  std::printf("pdu sent enquire_link %llu\n", (unsigned long long)s.enquire_links_sent);
  std::printf("pdu recv enquire_link %llu\n", (unsigned long long)s.enquire_links_answered);
  std::printf("pdu sent enquire_link_resp %llu\n", (unsigned long long)s.enquire_links_answered);
  std::printf("pdu sent unbind %llu\n", bound_at_stop ? 1ull : 0ull);
  std::printf("pdu recv unbind_resp %llu\n", (unsigned long long)s.clean_unbinds);
  std::printf("result submits=%zu accepted=%zu receipts=%zu matched=%zu messages=%zu\n",
              parts.size(), accepted, receipts, matched,
              n_short + n_payload + n_sar + n_udh);
  for (const std::string& f : fails) std::printf("FAIL: %s\n", f.c_str());
  return fails.empty() ? 0 : 1;
}
