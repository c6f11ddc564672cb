#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit, integration, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 600 "$@"
