#!/usr/bin/env bash
# End-to-end throughput of the demo shape and the admission cost at full speed.
#
# Per run, like scripts/demo.sh: dev-broker (16 partitions), redis-server, smsc-sim
# (receipts after 100 ms), JOBS jobs enqueued with bulkctl (sms,lms, one sender, one
# template), then one bulkd with deploy/demo.yaml, and `bulkctl report --json` until every
# job has its terminal event. Modes (MODES, default all three):
#   off    ratelimit.enabled: false (no Redis at all: the pipeline without admission)
#   gates  demo.yaml as it is: dedupe claim and opt-out per message, no rate rule
#   rules  gates plus a rule that never refuses on each of the 4 scopes (tenant, carrier,
#          sender, template), so every message charges 4 buckets: the full admission cost
#   receipts  gates plus pipeline.receipt_map: true (every accepted SMPP id kept in Redis,
#          every accepted job marked in the ledger); not in the default MODES
#   stream gates, but the jobs are enqueued while bulkd runs, after it has joined the
#          group, at STREAM_RATE jobs/s (default 20000): the end-to-end percentiles are
#          then enqueue -> terminal event with no group join in them; not in the default MODES
# Reported per run: the report's throughput (terminal jobs / span of their events) and
# p50/p99 end-to-end, CPU per message of every process (from /proc/<pid>/stat between
# bulkd's start and the report's end, divided by jobs), and the admission round trips
# (EVALSHA calls, redis INFO commandstats) per 1,000 messages. Then medians per mode.
#
#   bash bench/e2e_throughput.sh                 # 3 runs per mode, 100k jobs
#   RUNS=1 MODES=rules JOBS=20000 bash bench/e2e_throughput.sh
# BUILD_DIR (default build-bench), SKIP_BUILD=1, KEEP_WORK=1, MAX_INFLIGHT=n. PERF_OUT=file records a
# flat CPU profile of bulkd for the run (perf record -e cpu-clock; one file per run:
# <file>.<mode>.<run>; read it with perf report -i <file> --sort symbol).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

JOBS=${JOBS:-100000}
RUNS=${RUNS:-3}
MODES=${MODES:-"off gates rules"}

bench_build
trap bench_cleanup EXIT

run_once() {
  local mode=$1 run=$2
  bench_workdir
  bench_start_redis
  bench_start_broker 16
  bench_start_sim --receipt-delay-ms 100
  cp deploy/demo.yaml "$BENCH_WORK/bulkd.yaml"
  # MAX_INFLIGHT: overrides pipeline.max_inflight of demo.yaml (consumed, unfinished jobs).
  # KAFKA_PROPS: extra librdkafka properties for bulkd, as YAML flow map entries.
  if [ -n "${KAFKA_PROPS:-}" ]; then
    sed -i "s/^  group_id: bulkd-demo$/  group_id: bulkd-demo\n  properties: {$KAFKA_PROPS}/" "$BENCH_WORK/bulkd.yaml"
  fi
  if [ -n "${MAX_INFLIGHT:-}" ]; then
    sed -i "s/^  max_inflight: .*/  max_inflight: $MAX_INFLIGHT/" "$BENCH_WORK/bulkd.yaml"
  fi
  case $mode in
    off) printf 'ratelimit:\n  enabled: false\n' >>"$BENCH_WORK/bulkd.yaml" ;;
    gates) ;;
    receipts) sed -i 's/^pipeline:$/pipeline:\n  receipt_map: true/' "$BENCH_WORK/bulkd.yaml" ;;
    rules)
      cat >>"$BENCH_WORK/bulkd.yaml" <<'YAML'
ratelimit:
  rules:
    - {scope: tenant, name: "*", rate_per_sec: 1000000000, burst: 1000000000}
    - {scope: carrier, name: "*", rate_per_sec: 1000000000, burst: 1000000000}
    - {scope: sender, name: "*", rate_per_sec: 1000000000, burst: 1000000000}
    - {scope: template, name: "*", rate_per_sec: 1000000000, burst: 1000000000}
YAML
      ;;
  esac
  "$BENCH_BUILD/tools/bulkctl/bulkctl" gen-csv --count "$JOBS" --out "$BENCH_WORK/recipients.csv"
  local rate=0
  if [ "$mode" = stream ]; then rate=${STREAM_RATE:-20000}; fi
  enqueue() {
    "$BENCH_BUILD/tools/bulkctl/bulkctl" enqueue --brokers "$BOOTSTRAP" --csv "$BENCH_WORK/recipients.csv" \
      --tenant shop1 --campaign demo --kind info --channels sms,lms --sender 0215881234 \
      --template order_shipped --text '[bulkd] #{name}님, 주문하신 상품이 발송되었습니다.' \
      --rate "$rate" >"$BENCH_WORK/enqueue.log"
  }
  if [ "$mode" != stream ]; then enqueue; fi

  local c_redis c_broker c_sim cmd0 tc0
  c_redis=$(bench_cpu_s "$REDIS_PID")
  c_broker=$(bench_cpu_s "$BROKER_PID")
  c_sim=$(bench_cpu_s "$SMSC_PID")
  cmd0=$(redis-cli -p "$REDIS_PORT" info commandstats | grep -o 'cmdstat_evalsha:calls=[0-9]*' | cut -d= -f2 || true)
  tc0=$(redis-cli -p "$REDIS_PORT" info stats | grep -o 'total_commands_processed:[0-9]*' | cut -d: -f2 || true)
  BULKD_PIDS=()
  bench_start_bulkd "$BENCH_WORK/bulkd.yaml" bulkd
  local bulkd_pid=${BULKD_PIDS[0]} cpu_bulkd perf_pid="" enqueue_pid=""
  if [ -n "${PERF_OUT:-}" ]; then
    perf record -q -e cpu-clock -F "${PERF_FREQ:-2000}" ${PERF_CALLGRAPH:+--call-graph $PERF_CALLGRAPH} --per-thread -p "$bulkd_pid" \
      -o "$PERF_OUT.$mode.$run" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  if [ "$mode" = stream ]; then
    bench_wait_line "$BENCH_WORK/bulkd.log" "kafka: assigned partitions" 60 >/dev/null
    enqueue &
    enqueue_pid=$!
  fi
  "$BENCH_BUILD/tools/bulkctl/bulkctl" report --brokers "$BOOTSTRAP" --expect "$JOBS" --timeout 600 \
    --json >"$BENCH_WORK/report.json"
  cpu_bulkd=$(bench_cpu_s "$bulkd_pid")
  if [ -n "$enqueue_pid" ]; then wait "$enqueue_pid" || true; fi
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; fi
  c_redis=$(echo "$(bench_cpu_s "$REDIS_PID") - $c_redis" | bc -l)
  c_broker=$(echo "$(bench_cpu_s "$BROKER_PID") - $c_broker" | bc -l)
  c_sim=$(echo "$(bench_cpu_s "$SMSC_PID") - $c_sim" | bc -l)
  local cmd1 tc1
  cmd1=$(redis-cli -p "$REDIS_PORT" info commandstats | grep -o 'cmdstat_evalsha:calls=[0-9]*' | cut -d= -f2 || true)
  tc1=$(redis-cli -p "$REDIS_PORT" info stats | grep -o 'total_commands_processed:[0-9]*' | cut -d: -f2 || true)
  local tput p50 p99 complete
  tput=$(grep -o '"throughput_per_s":[0-9.]*' "$BENCH_WORK/report.json" | cut -d: -f2)
  p50=$(grep -o '"e2e_p50_s":[0-9.]*' "$BENCH_WORK/report.json" | cut -d: -f2)
  p99=$(grep -o '"e2e_p99_s":[0-9.]*' "$BENCH_WORK/report.json" | cut -d: -f2)
  complete=$(grep -o '"complete":[a-z]*' "$BENCH_WORK/report.json" | cut -d: -f2)
  local redis_mb
  redis_mb=$(redis-cli -p "$REDIS_PORT" info memory | grep -o '^used_memory_peak:[0-9]*' | cut -d: -f2)
  redis_mb=$(echo "${redis_mb:-0} / 1048576" | bc -l)
  # -2: the two INFO calls of the "before" reading that total_commands_processed counts.
  printf '%s\t%s\t%s\t%.0f\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.0f\n' "$mode" "$run" \
    "$complete" "$tput" "$p50" "$p99" \
    "$(echo "$cpu_bulkd * 1000000 / $JOBS" | bc -l)" "$(echo "$c_redis * 1000000 / $JOBS" | bc -l)" \
    "$(echo "$c_broker * 1000000 / $JOBS" | bc -l)" "$(echo "$c_sim * 1000000 / $JOBS" | bc -l)" \
    "$(echo "($cpu_bulkd + $c_redis + $c_broker + $c_sim) * 1000000 / $JOBS" | bc -l)" \
    "$(echo "(${cmd1:-0} - ${cmd0:-0}) * 1000 / $JOBS" | bc -l)" \
    "$(echo "if (${cmd1:-0} > ${cmd0:-0}) (${tc1:-0} - ${tc0:-0} - 2) / (${cmd1:-0} - ${cmd0:-0}) else 0" | bc -l)" \
    "$redis_mb" |
    tee -a "$ROWS"
  bench_stop_all
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "bench: kept $BENCH_WORK" >&2; else rm -rf "$BENCH_WORK"; fi
  BENCH_WORK=""
}

ROWS=$(mktemp -t bulkd-e2e-rows-XXXXXX)
HEADER='mode\trun\tcomplete\tthroughput_msg_s\te2e_p50_s\te2e_p99_s\tcpu_us_bulkd\tcpu_us_redis\tcpu_us_broker\tcpu_us_sim\tcpu_us_total\tevalsha_per_1000\tredis_cmds_per_evalsha\tredis_peak_mb\n'
echo "# $(bench_machine_note); $JOBS jobs per run; cpu_us_* = CPU µs per message"
# shellcheck disable=SC2059
printf "$HEADER"
for mode in $MODES; do
  for run in $(seq 1 "$RUNS"); do run_once "$mode" "$run"; done
done

echo
echo "# medians over $RUNS run(s)"
# shellcheck disable=SC2059
printf "$HEADER" | cut -f1,4-
for mode in $MODES; do
  sel=$(awk -F'\t' -v m="$mode" '$1 == m' "$ROWS")
  row=$mode
  for col in $(seq 4 14); do row="$row\t$(echo "$sel" | cut -f"$col" | bench_median)"; done
  echo -e "$row"
done
rm -f "$ROWS"
