#!/usr/bin/env bash
# The standalone benches, RUNS times each, with medians:
#   smpp_throughput  SMPP client -> smsc-sim over loopback, windows 1/16/64/256
#                    (SMPP_MESSAGES per window, window 1: a tenth)
#   smpp_pool_bench  SmsProvider over 1/2/4 binds (window 64) -> smsc-sim: uncapped
#                    throughput (POOL_MESSAGES) and the per-bind TPS cap (POOL_CAP/s per
#                    bind, ~4 s) measured at the simulator (BENCHES=pool; not in the default)
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
POOL_MESSAGES=${POOL_MESSAGES:-300000}
POOL_CAP=${POOL_CAP:-2000}
ADMISSION_MESSAGES=${ADMISSION_MESSAGES:-1000000}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBULKD_BUILD_BENCH=ON >/dev/null
  cmake --build "$BENCH_BUILD" -j2 --target smsc-sim smpp_throughput smpp_pool_bench \
    admission_bench core_codec_bench >/dev/null
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
    pool)
      echo "## smpp_pool_bench $POOL_MESSAGES messages uncapped (a tenth with 5 ms latency), cap $POOL_CAP/s per bind, $RUNS runs"
      : >"$out"
      for run in $(seq 1 "$RUNS"); do
        "$BENCH_BUILD/bench/smpp_pool_bench" "$BENCH_BUILD/tools/smsc_sim/smsc-sim" \
          "$POOL_MESSAGES" "$POOL_CAP" 5 2>/dev/null |
          awk -v run="$run" 'NR > 1 && $1 ~ /^[0-9]+$/ { print run, $0 }' | tee -a "$out"
      done
      # columns: run binds window latency_ms cap/bind messages submits/s with_receipts/s
      #          target/s steady/s max_1s cap+burst
      echo "binds  latency_ms  cap/bind  median_submits_per_s  median_with_receipts_per_s  median_steady_per_s  max_1s(median/max)  cap+burst"
      for phase in "0 -" "5 -" "0 $POOL_CAP"; do
        read -r lat cap <<<"$phase"
        for nb in 1 2 4; do
          sel="\$2 == $nb && \$4 == \"$lat\" && \$5 == \"$cap\""
          steady=- max1=-
          if [ "$cap" != - ]; then
            steady=$(awk "$sel { print \$10 }" "$out" | bench_median)
            max1="$(awk "$sel { print \$11 }" "$out" | bench_median)/$(awk "$sel { print \$11 }" "$out" | sort -n | tail -1)"
          fi
          printf '%-6s %-11s %-9s %-21s %-27s %-20s %-19s %s\n' "$nb" "$lat" "$cap" \
            "$(awk "$sel { print \$7 }" "$out" | bench_median)" \
            "$(awk "$sel { print \$8 }" "$out" | bench_median)" \
            "$steady" "$max1" "$(awk "$sel { print \$12; exit }" "$out")"
        done
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
