#include "tests/support/audit.h"

namespace bulkd::testing {

tools::AuditReport AuditCampaign(const std::string& bootstrap,
                                 const std::optional<std::string>& campaign,
                                 const std::string& smsc_record) {
  tools::AuditOptions options;
  options.brokers = bootstrap;
  options.campaign = campaign;
  options.smsc_record = smsc_record;
  options.timeout_s = 60;
  return tools::RunAudit(options);
}

}  // namespace bulkd::testing
