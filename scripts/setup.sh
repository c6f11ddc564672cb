#!/usr/bin/env bash
# Installs the Debian packages bulkd needs to build, test and run its demo.
# Idempotent: when everything is installed it only checks and returns.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev librdkafka-dev libhiredis-dev prometheus-cpp-dev
  libsimdjson-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
  libcctz-dev libhowardhinnant-date-dev libxxhash-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev curl
  redis-server kcat prometheus
)
# The deploy checks (ctest -L deploy): deploy/k8s/check.sh needs kubectl with `kustomize`
# (Debian 12's is kubernetes-client), node and npm; deploy/prometheus/check.sh needs
# promtool (prometheus, above). A kubectl, node or npm already installed from elsewhere
# is used as it is (their packages would clash over the same files).
command -v kubectl >/dev/null || packages+=(kubernetes-client)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

# Independent SMPP peers for the cross-check tests (tshark, Kannel, npm smpp). Not
# fatal: without them those tests report "skipped".
bash "$(dirname "$0")/../tests/crosscheck/install.sh" ||
  echo "setup: cross-check tools not installed; tests/crosscheck will be skipped" >&2

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package starts a system redis-server on 6379; bulkd's tests and demo start their
# own on free ports and never use it.
