#!/usr/bin/env bash
# The standalone benches, RUNS times each, with medians:
#   smpp_throughput  SMPP client -> smsc-sim over loopback, windows 1/16/64/256
#                    (SMPP_MESSAGES per window, window 1: a tenth)
#   admission_bench  the batch admission gate against its own redis-server
#                    (ADMISSION_MESSAGES, batch 256, 4 buckets, opt-out, dedupe claim)
#   micro            the Google Benchmark micro benchmarks (bench/micro), median of RUNS
#                    repetitions
#
#   bash bench/standalone.sh                  # all three, 3 runs
#   RUNS=5 BENCHES=smpp bash bench/standalone.sh
# BUILD_DIR (default build-bench), SKIP_BUILD=1, BENCHES (smpp admission micro).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

RUNS=${RUNS:-3}
BENCHES=${BENCHES:-"smpp admission micro"}
SMPP_MESSAGES=${SMPP_MESSAGES:-1000000}
ADMISSION_MESSAGES=${ADMISSION_MESSAGES:-1000000}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBULKD_BUILD_BENCH=ON >/dev/null
  cmake --build "$BENCH_BUILD" -j2 --target smsc-sim smpp_throughput admission_bench \
    core_codec_bench >/dev/null
fi
out=$(mktemp -t bulkd-standalone-XXXXXX)
trap 'rm -f "$out"' EXIT
echo "# $(bench_machine_note)"

for b in $BENCHES; do
  case $b in
    smpp)
      echo "## smpp_throughput $SMPP_MESSAGES messages per window (window 1: a tenth), $RUNS runs"
      : >"$out"
      for run in $(seq 1 "$RUNS"); do
        "$BENCH_BUILD/bench/smpp_throughput" "$BENCH_BUILD/tools/smsc_sim/smsc-sim" "$SMPP_MESSAGES" \
          2>/dev/null | awk -v run="$run" 'NR > 1 && $1 ~ /^[0-9]+$/ { print run, $0 }' | tee -a "$out"
      done
      echo "window  median_submits_per_s  median_with_receipts_per_s"
      for w in 1 16 64 256; do
        printf '%-7s %-21s %s\n' "$w" "$(awk -v w=$w '$2 == w { print $4 }' "$out" | bench_median)" \
          "$(awk -v w=$w '$2 == w { print $5 }' "$out" | bench_median)"
      done
      ;;
    admission)
      echo "## admission_bench --messages $ADMISSION_MESSAGES --batch 256, $RUNS runs"
      : >"$out"
      for run in $(seq 1 "$RUNS"); do
        "$BENCH_BUILD/bench/admission_bench" --messages "$ADMISSION_MESSAGES" --batch 256 |
          tr ' ' '\n' | grep '=' | tee -a "$out" | paste -sd' '
      done
      for key in throughput round_trips_per_1000 redis_cpu_per_msg client_cpu_per_msg memory; do
        printf '%s median %s\n' "$key" "$(grep "^$key=" "$out" | cut -d= -f2 | bench_median)"
      done
      ;;
    micro)
      echo "## core_codec_bench, median of $RUNS repetitions"
      "$BENCH_BUILD/bench/core_codec_bench" --benchmark_repetitions="$RUNS" \
        --benchmark_report_aggregates_only=true 2>/dev/null |
        if [ "$RUNS" -gt 1 ]; then grep -E '_median|^Benchmark|^---'; else cat; fi
      ;;
  esac
done
