// tests/support/e2e.h — pieces the end-to-end tests share: a running dev-broker, the
// `bulkctl report` summary of a campaign, and reading simulator record files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "tests/support/child_process.h"

namespace bulkd::testing {

// dev-broker (Kafka protocol, embedded mock cluster) with the bulkd topics.
class DevBroker {
 public:
  // Starts it with `partitions` per main topic and waits for its bootstrap line.
  // Throws std::runtime_error if it does not start within 20 s.
  explicit DevBroker(int partitions);
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string bootstrap_;
};

// Runs `bulkctl report --json` until `expect` jobs have a terminal event or `timeout`
// passes; returns its summary line, or nullopt if it printed none.
std::optional<std::string> CampaignSummary(const std::string& bootstrap, int expect,
                                           std::chrono::seconds timeout);

// A number field of the summary JSON ("delivered", "failed"...); -1 when absent.
long SummaryField(const std::string& summary, const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed), for
// a server whose address another process must know before it starts.
uint16_t FreeTcpPort();

// Produces `count` SMS jobs to bulkd.jobs: ids "<id_prefix>-00000"..., tenant shop1, kind
// info, recipient +8210<8 digits of i> (key i), body `text`. False when Kafka did not
// acknowledge them all within 30 s.
bool ProduceSmsJobs(const std::string& bootstrap, const std::string& id_prefix, int count,
                    const std::string& text);

// Numbers that appear more than once in the first column of these simulator record
// files taken together (a number accepted twice).
int NumbersAcceptedTwice(std::initializer_list<std::string> record_paths);

// Lines in a file (0 when it does not exist yet).
size_t CountLines(const std::string& path);
// The first tab-separated column of every line of a simulator record file.
std::multiset<std::string> FirstColumn(const std::string& path);

}  // namespace bulkd::testing
