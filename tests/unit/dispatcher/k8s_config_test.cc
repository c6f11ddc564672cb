// The YAML configs the Kubernetes manifests ship (deploy/k8s, the ConfigMap bulkd-config)
// parse with bulkd's own parser, and hold the values the manifests rely on: the admin
// server on 0.0.0.0:9464 (probes, Service, ServiceMonitor, NetworkPolicy), and in
// production the group, topic and pipeline.max_inflight that the autoscalers' lag
// thresholds were worked out from (overlays/production/scaledobject.yaml).
#include "dispatcher/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace bulkd::dispatcher {
namespace {

Config Parse(const std::string& relative) {
  std::ifstream in(std::string(BULKD_SOURCE_DIR) + "/deploy/k8s/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return ParseConfig(text.str());
  } catch (const std::exception& e) {
    ADD_FAILURE() << relative << ": " << e.what();
    return Config{};
  }
}

TEST(K8sConfig, EveryConfigParsesAndServesAdminOnThePodAddress) {
  for (const char* file : {"base/bulkd.yaml", "overlays/dev/bulkd.yaml",
                           "overlays/production-base/bulkd.yaml"}) {
    const Config config = Parse(file);
    EXPECT_EQ(config.admin.bind, "0.0.0.0") << file;
    EXPECT_EQ(config.admin.port, 9464) << file;
    EXPECT_NE(config.kafka.brokers, "embedded") << file;
  }
}

TEST(K8sConfig, ProductionMatchesTheAutoscalerArithmetic) {
  const Config config = Parse("overlays/production-base/bulkd.yaml");
  EXPECT_EQ(config.kafka.group_id, "bulkd");
  EXPECT_EQ(config.kafka.jobs_topic, "bulkd.jobs");
  EXPECT_EQ(config.pipeline.max_inflight, 50000u);
}

}  // namespace
}  // namespace bulkd::dispatcher
