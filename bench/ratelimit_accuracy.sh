#!/usr/bin/env bash
# Rate-limit accuracy measured at the SMPP simulator (issue 3, "Measure").
#
# Per case: a dev-broker (16 partitions), one redis-server, smsc-sim recording every
# accepted submit with its receive time (--record --record-times), and WORKERS=4 bulkd
# processes in one consumer group. Rules: the carrier (smpp.name) at RATE msg/s with burst
# RATE/10, and one template at RATE/10 msg/s with burst RATE/100; a share of the jobs (their
# own sender number, so the record attributes them) carry that template. Jobs are streamed
# into Kafka at 1.3x the carrier rate (template jobs at 1.5x theirs) so every bucket stays
# saturated; after the group has settled, the run lasts SECONDS from the first submit.
# bench/analyze_rate then reports, separately for the carrier (all submits) and the template:
# the rate of every full 10 s window against the rule, and the largest 1 s window (sliding)
# against rate + burst. Also the CPU the run cost (bulkd workers, redis-server, % of one
# core), the admission round trips (EVALSHA calls) per second, and the refused decisions
# per second (bulkd_ratelimit_wait_seconds_count: held jobs evaluated again).
#
#   bash bench/ratelimit_accuracy.sh              # the cases below, 3 runs each (~15 min)
#   CASES="500:70 500:70:template" RUNS=1 bash bench/ratelimit_accuracy.sh
# CASES: space-separated RATE:SECONDS[:MIX]; MIX is mixed (default: plain and template
# jobs, both buckets saturated) or template (template jobs only: the template bucket on its
# own, the carrier not saturated). BUILD_DIR (default build-bench), SKIP_BUILD=1, KEEP_WORK=1
# (keep the temp dir with logs and records), WORKERS (default 4).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"

CASES=${CASES:-"500:70 500:70:template 5000:40 20000:30"}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-4}
CARRIER=carrier-a
TEMPLATE=tpl_limited
PLAIN_SENDER=0215881234
TEMPLATE_SENDER=0215880050
CHUNK_S=5

bench_build
trap bench_cleanup EXIT

# Refused admission decisions so far (each one a held job evaluated again), summed over
# the workers' /metrics: bulkd_ratelimit_wait_seconds_count of every scope.
waits_total() {
  local w admin sum=0 n
  for w in $(seq 1 "$WORKERS"); do
    admin=$(grep -m1 "admin listening on" "$BENCH_WORK/bulkd$w.out" | sed 's/.*on //')
    n=$(curl -s --max-time 5 "http://$admin/metrics" |
        awk '/^bulkd_ratelimit_wait_seconds_count/ { s += $2 } END { printf "%.0f", s }')
    sum=$((sum + ${n:-0}))
  done
  echo "$sum"
}

# One run. Prints two analyser rows (carrier, template) prefixed with the run's extra
# columns, and appends them to $ROWS.
run_case() {
  local rate=$1 seconds=$2 mix=$3 run=$4
  local burst=$((rate / 10)) trate=$((rate / 10)) tburst=$((rate / 100))
  [ "$tburst" -ge 1 ] || tburst=1
  bench_workdir
  bench_start_redis
  bench_start_broker 16
  bench_start_sim --receipt-delay-ms 100 --record "$BENCH_WORK/submits.tsv" --record-times
  cat >"$BENCH_WORK/bulkd.yaml" <<YAML
kafka:
  group_id: bench-ratelimit
  # A member that misses a rebalance is noticed in 6 s, not librdkafka's default 45 s.
  properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
smpp:
  name: $CARRIER
  system_id: bulkd
  password: secret
  window: 512
  data_coding: ucs2
  receipt_timeout_s: 60
ratelimit:
  rules:
    - {scope: carrier, name: $CARRIER, rate_per_sec: $rate, burst: $burst}
    - {scope: template, name: $TEMPLATE, rate_per_sec: $trate, burst: $tburst}
admin:
  port: 0
YAML
  BULKD_PIDS=()
  local w
  for w in $(seq 1 "$WORKERS"); do bench_start_bulkd "$BENCH_WORK/bulkd.yaml" "bulkd$w"; done
  # The group has settled when every worker's latest rebalance event is an assignment and
  # no assignment has been logged for 4 s (the workers also consume the delay-tier topics,
  # so shares of 16 partitions cannot be counted on).
  local deadline=$((SECONDS + 90)) settled=0 stable_since=$SECONDS previous=""
  while [ $SECONDS -lt $deadline ]; do
    local now_state="" all_assigned=1
    for w in $(seq 1 "$WORKERS"); do
      local last
      last=$(cat "$BENCH_WORK/bulkd$w.out" "$BENCH_WORK/bulkd$w.log" 2>/dev/null |
             grep -E 'kafka: (assigned|revoked) partitions=' | tail -1 || true)
      case $last in *assigned*) ;; *) all_assigned=0 ;; esac
      now_state="$now_state|$last"
    done
    if [ "$now_state" != "$previous" ]; then previous=$now_state; stable_since=$SECONDS; fi
    if [ $all_assigned = 1 ] && [ $((SECONDS - stable_since)) -ge 4 ]; then settled=1; break; fi
    sleep 0.5
  done
  [ $settled = 1 ] || echo "bench: group not settled after 90 s; measuring anyway" >&2

  # Jobs: per chunk of CHUNK_S seconds, 1.3x the carrier's share of plain jobs and 1.5x
  # the template's share of template jobs (different number ranges and senders).
  local plain=$(((rate - trate) * 13 * CHUNK_S / 10)) tjobs=$((trate * 15 * CHUNK_S / 10))
  [ "$mix" = mixed ] || plain=0
  local total_chunks=$(((seconds + 15) / CHUNK_S + 1))
  [ "$plain" = 0 ] ||
  "$BENCH_BUILD/tools/bulkctl/bulkctl" gen-csv --count "$plain" --prefix +8210 --out "$BENCH_WORK/plain.csv"
  "$BENCH_BUILD/tools/bulkctl/bulkctl" gen-csv --count "$tjobs" --prefix +8219 --out "$BENCH_WORK/tpl.csv"
  (
    local start=$SECONDS k
    for k in $(seq 1 "$total_chunks"); do
      [ "$plain" = 0 ] ||
      "$BENCH_BUILD/tools/bulkctl/bulkctl" enqueue --brokers "$BOOTSTRAP" --csv "$BENCH_WORK/plain.csv" \
        --tenant shop1 --campaign "p$k" --kind info --channels sms --sender "$PLAIN_SENDER" \
        --text 'bench #{name}' >>"$BENCH_WORK/feeder.log" 2>&1
      "$BENCH_BUILD/tools/bulkctl/bulkctl" enqueue --brokers "$BOOTSTRAP" --csv "$BENCH_WORK/tpl.csv" \
        --tenant shop1 --campaign "t$k" --kind info --channels sms --sender "$TEMPLATE_SENDER" \
        --template "$TEMPLATE" --text 'bench #{name}' >>"$BENCH_WORK/feeder.log" 2>&1
      local next=$((start + k * CHUNK_S))
      while [ $SECONDS -lt $next ]; do sleep 0.2; done
    done
  ) &
  local feeder=$!
  BENCH_PIDS+=("$feeder")

  # The measurement starts at the first submit the simulator records.
  deadline=$((SECONDS + 60))
  until [ -s "$BENCH_WORK/submits.tsv" ]; do
    if [ $SECONDS -ge $deadline ]; then echo "bench: no submit within 60 s" >&2; return 1; fi
    sleep 0.1
  done
  local cpu0=() cmd0 t0 waits0
  waits0=$(waits_total)
  t0=$(date +%s.%N)
  for pid in "${BULKD_PIDS[@]}" "$REDIS_PID"; do cpu0+=("$(bench_cpu_s "$pid")"); done
  cmd0=$(redis-cli -p "$REDIS_PORT" info commandstats | grep -o 'cmdstat_evalsha:calls=[0-9]*' | cut -d= -f2 || true)
  sleep "$seconds"
  sleep 1.5
  local cpu_bulkd=0 cpu_redis i=0 cmd1 t1
  t1=$(date +%s.%N)
  for pid in "${BULKD_PIDS[@]}"; do
    cpu_bulkd=$(echo "$cpu_bulkd + $(bench_cpu_s "$pid") - ${cpu0[$i]}" | bc -l)
    i=$((i + 1))
  done
  cpu_redis=$(echo "$(bench_cpu_s "$REDIS_PID") - ${cpu0[$i]}" | bc -l)
  cmd1=$(redis-cli -p "$REDIS_PORT" info commandstats | grep -o 'cmdstat_evalsha:calls=[0-9]*' | cut -d= -f2 || true)
  local wall waits1
  waits1=$(waits_total)
  wall=$(echo "$t1 - $t0" | bc -l)
  kill -TERM "$SMSC_PID" 2>/dev/null || true  # flushes the record
  wait "$SMSC_PID" 2>/dev/null || true
  local extra
  extra=$(printf '%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f' "$mix" "$run" "$WORKERS" \
    "$(echo "100 * $cpu_bulkd / $wall" | bc -l)" "$(echo "100 * $cpu_redis / $wall" | bc -l)" \
    "$(echo "(${cmd1:-0} - ${cmd0:-0}) / $wall" | bc -l)" "$(echo "($waits1 - $waits0) / $wall" | bc -l)")
  if [ "$mix" = mixed ]; then
    "$BENCH_BUILD/bench/analyze_rate" --record "$BENCH_WORK/submits.tsv" --label carrier \
      --rate "$rate" --burst "$burst" --max-s "$seconds" | sed "s/^/$extra\t/" | tee -a "$ROWS"
  fi
  "$BENCH_BUILD/bench/analyze_rate" --record "$BENCH_WORK/submits.tsv" --label template \
    --source "$TEMPLATE_SENDER" --rate "$trate" --burst "$tburst" --max-s "$seconds" |
    sed "s/^/$extra\t/" | tee -a "$ROWS"
  bench_stop_all
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "bench: kept $BENCH_WORK" >&2; else rm -rf "$BENCH_WORK"; fi
  BENCH_WORK=""
}

ROWS=$(mktemp -t bulkd-rl-rows-XXXXXX)
echo "# $(bench_machine_note)"
printf 'mix\trun\tworkers\tbulkd_cpu_pct\tredis_cpu_pct\tevalsha_per_s\twaits_per_s\t'
"$BENCH_BUILD/bench/analyze_rate" --header --record /dev/null --rate 1 | head -1
for c in $CASES; do
  IFS=: read -r rate seconds mix <<<"$c"
  for run in $(seq 1 "$RUNS"); do run_case "$rate" "$seconds" "${mix:-mixed}" "$run"; done
done

# Medians over the runs, per case and bucket; "worst" columns are over all runs.
echo
echo "# medians over $RUNS run(s)"
printf 'mix\tbucket\trate\tburst\tsubmits\twindows\tmin_10s_rate\tmedian_10s_rate\tmax_10s_rate\tworst_dev_pct(all runs)\tmax_1s_sliding(all runs)\trate+burst\tbulkd_cpu_pct\tredis_cpu_pct\tevalsha_per_s\twaits_per_s\n'
cut -f1,8,9 "$ROWS" | awk '!seen[$0]++' | while IFS=$'\t' read -r mix label rate; do
  sel=$(awk -F'\t' -v m="$mix" -v l="$label" -v r="$rate" '$1 == m && $8 == l && $9 == r' "$ROWS")
  med() { echo "$sel" | cut -f"$1" | bench_median; }
  worst=$(echo "$sel" | cut -f17 | awk '{ a = $1 < 0 ? -$1 : $1; if (a >= m) { m = a; w = $1 } } END { print w }')
  max1s=$(echo "$sel" | cut -f19 | sort -g | tail -1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mix" "$label" "$rate" \
    "$(med 10)" "$(med 11)" "$(med 13)" "$(med 14)" "$(med 15)" "$(med 16)" "$worst" "$max1s" \
    "$(med 21)" "$(med 4)" "$(med 5)" "$(med 6)" "$(med 7)"
done
rm -f "$ROWS"
