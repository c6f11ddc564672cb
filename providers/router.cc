#include "providers/router.h"

#include <boost/beast/core/string.hpp>

#include <stdexcept>

namespace bulkd::providers {
namespace {

uint32_t Bit(core::Channel channel) { return 1u << static_cast<unsigned>(channel); }

}  // namespace

void Router::Add(Provider& provider, const std::vector<core::Channel>& channels,
                 std::string carrier, uint32_t weight) {
  if (channels.empty())
    throw std::invalid_argument("router: provider '" + std::string(provider.name()) +
                                "' registered for no channel");
  if (weight == 0)
    throw std::invalid_argument("router: provider '" + std::string(provider.name()) +
                                "' has weight 0");
  Entry entry{};
  entry.provider = &provider;
  for (core::Channel c : channels) entry.channel_mask |= Bit(c);
  entry.carrier = std::move(carrier);
  entry.weight = weight;
  entries_.push_back(std::move(entry));
}

template <typename InTier>
Provider* Router::PickFrom(core::Channel channel, InTier in_tier, AvailableFn available) {
  const size_t c = static_cast<size_t>(channel);
  Entry* best = nullptr;
  int64_t total = 0;
  for (Entry& e : entries_) {
    if (!(e.channel_mask & Bit(channel)) || !in_tier(e) || !available(*e.provider)) continue;
    e.current[c] += e.weight;
    total += e.weight;
    if (best == nullptr || e.current[c] > best->current[c]) best = &e;
  }
  if (best == nullptr) return nullptr;
  best->current[c] -= total;
  return best->provider;
}

Provider* Router::Pick(core::Channel channel, std::string_view carrier,
                       AvailableFn available) {
  if (!carrier.empty()) {
    Provider* tagged = PickFrom(
        channel,
        [carrier](const Entry& e) {
          return !e.carrier.empty() && boost::beast::iequals(e.carrier, carrier);
        },
        available);
    if (tagged != nullptr) return tagged;
  }
  return PickFrom(channel, [](const Entry& e) { return e.carrier.empty(); }, available);
}

bool Router::HasRoute(core::Channel channel, std::string_view carrier) const {
  for (const Entry& e : entries_) {
    if (!(e.channel_mask & Bit(channel))) continue;
    if (e.carrier.empty() || (!carrier.empty() && boost::beast::iequals(e.carrier, carrier)))
      return true;
  }
  return false;
}

}  // namespace bulkd::providers
