// providers/http/friendtalk_provider.h — Kakao Friendtalk (ads to a channel's friends)
// through a dealer's HTTP API, on the shared dealer core (dealer_provider.h). The wire is
// the one swappable piece: Friendtalk is being replaced by Brand Message, and a Brand
// Message wire only has to implement DealerWire and be named in FriendtalkWireKind.
//
// Friendtalk is ad-only (docs/contracts.md): every recipient goes with isAd true, whatever the
// job's kind, so Kakao labels it "(광고)". Kakao answers 3022 outside 08:00-20:50; the
// Kakao table makes that kFailed with the code (no retry, no fallback): the dispatcher's
// quiet-hours gate is what keeps ads inside the window.
#pragma once

#include <memory>
#include <string>

#include "providers/http/dealer_provider.h"

namespace bulkd::providers::http {

enum class FriendtalkWireKind : uint8_t {
  kNhnFriendtalkV24,  // POST {base}/friendtalk/v2.4/appkeys/{appkey}/messages
};

struct FriendtalkConfig {
  // Shared core settings (dealer_provider.h); name defaults to "kakao-friendtalk".
  DealerConfig dealer = [] {
    DealerConfig d;
    d.name = "kakao-friendtalk";
    return d;
  }();
  std::string appkey;      // required; in the request path
  std::string secret_key;  // required; X-Secret-Key header. Never logged.
  std::string sender_key;  // required; the Kakao sender profile
  FriendtalkWireKind wire = FriendtalkWireKind::kNhnFriendtalkV24;
};

// Free text, no template: the job's `text` is the message (1..1,000 characters, counted
// as Unicode code points); jobs without it, or not E.164, are reported kFailed
// (NO_TEXT, TEXT_TOO_LONG, BAD_NUMBER). All jobs share one batch.
std::unique_ptr<DealerWire> MakeFriendtalkWire(const FriendtalkConfig& config);

// Throws std::invalid_argument naming `friendtalk.<key>` for a bad config.
std::unique_ptr<DealerProvider> MakeFriendtalkProvider(boost::asio::io_context& io,
                                                       FriendtalkConfig config);

// Code points of UTF-8 `text` (continuation bytes not counted).
size_t Utf8Length(std::string_view text);

}  // namespace bulkd::providers::http
