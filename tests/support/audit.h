// tests/support/audit.h — the accounting audit of `bulkctl audit` (tools/bulkctl/audit.h)
// run in process, so an end-to-end test can assert that every job of its campaign is
// accounted for: `AuditCampaign(bootstrap, "c1").missing == 0`.
#pragma once

#include <optional>
#include <string>

#include "tools/bulkctl/audit.h"

namespace bulkd::testing {

// Audits the jobs of `campaign` ("" = jobs without a campaign; nullopt = every job) on
// the broker at `bootstrap`, with bulkd's default topics, reading each topic up to its
// high watermark at the call. `smsc_record` (an smsc-sim --record file) adds the numbers
// accepted twice. Throws tools::AuditError when the topics cannot be read in 60 s.
tools::AuditReport AuditCampaign(const std::string& bootstrap,
                                 const std::optional<std::string>& campaign,
                                 const std::string& smsc_record = "");

}  // namespace bulkd::testing
