#!/usr/bin/env bash
# Configures and builds bulkd (Release) into ./build: every target, or only the targets
# named as arguments (the demo builds just the binaries it runs).
#   bash scripts/build.sh                 # everything, tests and benchmarks included
#   bash scripts/build.sh bulkd bulkctl   # these targets and what they need
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
if [ $# -gt 0 ]; then
  cmake --build build -j"$(nproc)" --target "$@"
else
  cmake --build build -j"$(nproc)"
fi
