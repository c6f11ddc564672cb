// providers/router.h — chooses the provider for one attempt on one channel: among the
// providers registered for that channel, by smooth weighted round robin (nginx's
// algorithm: over any run of picks each provider's share matches its weight, spread out
// rather than in bursts), skipping those the caller says are unavailable.
//
// Carrier preference: a provider registered with a carrier tag ("skt", "kt", "lgu"...,
// compared case-insensitively) serves only jobs whose carrier hint matches it, and is
// preferred for them; when none of the matching tagged providers is available (or the
// job has no hint, or no provider is tagged for its carrier), the untagged ("default")
// providers of the channel are used. A tagged provider never takes another carrier's
// jobs: register it untagged too if it should.
//
// Pure logic, no I/O, no clock. Deterministic: the same registrations and the same
// sequence of calls give the same picks (ties go to the earlier registration).
// Pick() does not allocate. Not thread-safe: one per shard, on its io thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/job.h"
#include "providers/provider.h"

namespace bulkd::providers {

class Router {
 public:
  // A non-owning, non-allocating reference to `bool(const Provider&)`: true when the
  // provider may take an attempt now (connected, breaker closed...). The callable must
  // outlive the Pick call it is passed to. Pick calls it for every candidate it weighs,
  // not only the one it returns, so it must have no side effects: a breaker's half-open
  // probe is counted (Allow) on the provider Pick returned, after the call.
  class AvailableFn {
   public:
    template <typename F, typename = std::enable_if_t<
                              !std::is_same_v<std::remove_cvref_t<F>, AvailableFn>>>
    AvailableFn(F&& f)  // NOLINT: implicit on purpose, for lambdas at the call site
        : object_(const_cast<void*>(static_cast<const void*>(&f))),
          call_([](void* object, const Provider& p) -> bool {
            return (*static_cast<std::remove_reference_t<F>*>(object))(p);
          }) {}
    bool operator()(const Provider& p) const { return call_(object_, p); }

   private:
    void* object_;
    bool (*call_)(void*, const Provider&);
  };

  // Registers `provider` (not owned; must outlive the router) for `channels`, with an
  // optional carrier tag ("" = default route) and a weight (its share among the
  // providers it competes with). Before the first Pick. Throws std::invalid_argument
  // when `channels` is empty or `weight` is 0. Registering the same provider twice with
  // different tags is allowed (e.g. tagged for "skt" and default for the rest).
  void Add(Provider& provider, const std::vector<core::Channel>& channels,
           std::string carrier = {}, uint32_t weight = 1);

  // The provider for the next attempt on `channel` for a job with `carrier` ("" = no
  // hint), or nullptr when no registered provider is available. Advances the round
  // robin of the tier it picked from only.
  Provider* Pick(core::Channel channel, std::string_view carrier, AvailableFn available);

  // True when some provider (available or not) could ever take `channel` for `carrier`
  // (a matching tagged one or a default one): lets the caller tell "wait for one to come
  // back" from "no route at all" (fall back to the next channel).
  bool HasRoute(core::Channel channel, std::string_view carrier = {}) const;

  size_t size() const { return entries_.size(); }

 private:
  static constexpr size_t kChannels = std::size(core::kAllChannels);

  struct Entry {
    Provider* provider;
    uint32_t channel_mask;  // bit per core::Channel value
    std::string carrier;    // "" = default
    int64_t weight;
    int64_t current[kChannels] = {};  // smooth WRR state, per channel
  };

  // One round of smooth WRR over the entries of `channel` that `in_tier` admits and
  // `available` allows; nullptr when there are none.
  template <typename InTier>
  Provider* PickFrom(core::Channel channel, InTier in_tier, AvailableFn available);

  std::vector<Entry> entries_;
};

}  // namespace bulkd::providers
