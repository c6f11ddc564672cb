// tests/support/kafka_reader.h — reads a topic of the dev-broker from its beginning, for
// end-to-end tests that check what bulkd published.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bulkd::testing {

// Every record value of `topic` (all partitions, from the beginning, in a fresh consumer
// group), read until `expect` records containing `must_contain` have been seen or
// `timeout` passes. Records of one partition come in order.
std::vector<std::string> ReadTopic(const std::string& brokers, const std::string& topic,
                                   size_t expect, const std::string& must_contain = "",
                                   std::chrono::seconds timeout = std::chrono::seconds(60));
// The same, until `expect` records for which `counts` is true have been seen.
std::vector<std::string> ReadTopic(const std::string& brokers, const std::string& topic,
                                   size_t expect,
                                   const std::function<bool(std::string_view)>& counts,
                                   std::chrono::seconds timeout);

}  // namespace bulkd::testing
