// tests/support/event_log.h — bulkd.events records read back by end-to-end tests, grouped
// into one history per job, and the crash-window check the kill tests share.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bulkd::testing {

struct JobEvent {
  std::string type;  // "submitted", "retrying", "delivered"...
  std::string code;
  int64_t ts = -1;   // Unix epoch ms
};

// The string value of `"name":"..."` in an event record, or "".
std::string EventField(std::string_view event, std::string_view name);
bool IsTerminalEvent(std::string_view type);
// Events by job id, each job's in topic order (one partition per job id).
std::map<std::string, std::vector<JobEvent>> JobHistories(const std::vector<std::string>& events);

// Jobs with more than one terminal event, and how many of them are the at-least-once
// window of a crash: ended before `kill_ms`, then once more WORKER_LOST by the next owner
// because the dead worker had not yet settled its ledger entry.
struct EndedTwice {
  int jobs = 0;
  int in_crash_window = 0;
};
EndedTwice CountEndedTwice(const std::map<std::string, std::vector<JobEvent>>& histories,
                           int64_t kill_ms);

int64_t NowEpochMs();

}  // namespace bulkd::testing
