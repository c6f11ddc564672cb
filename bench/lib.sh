# shellcheck shell=bash
# bench/lib.sh — shared helpers of the bench/*.sh harness scripts (sourced, not run).
# Starts the real pieces on free loopback ports in a temp dir, the way scripts/demo.sh
# does, and reads CPU time from /proc. Every process started here is stopped by bench_cleanup
# (by pid, never by name).

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${BUILD_DIR:-$BENCH_ROOT/build-bench}
BENCH_PIDS=()
BENCH_WORK=""

# Configures and builds the binaries the benches need (Release, benches on) unless
# SKIP_BUILD=1.
bench_build() {
  if [ "${SKIP_BUILD:-0}" = 1 ]; then return 0; fi
  cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBULKD_BUILD_BENCH=ON >/dev/null
  cmake --build "$BENCH_BUILD" -j2 --target bulkd smsc-sim bulkctl dev-broker analyze_rate \
    >/dev/null
}

bench_workdir() {
  BENCH_WORK=$(mktemp -d -t bulkd-bench-XXXXXX)
}

# Stops what bench_start_* started (TERM, then KILL after 3 s), keeps or removes the work dir.
bench_stop_all() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 30); do
    local alive=0
    for pid in "${BENCH_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${BENCH_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  BENCH_PIDS=()
}

bench_cleanup() {
  bench_stop_all
  if [ -n "$BENCH_WORK" ] && [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$BENCH_WORK"; fi
  if [ -n "$BENCH_WORK" ] && [ "${KEEP_WORK:-0}" = 1 ]; then echo "bench: kept $BENCH_WORK" >&2; fi
}

bench_free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do
    (: </dev/tcp/127.0.0.1/"$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  echo "bench: no free port found" >&2
  return 1
}

# Waits until FILE has a line matching TEXT (grep regex); prints that line.
bench_wait_line() {
  local file=$1 text=$2 timeout=${3:-30}
  local deadline=$((SECONDS + timeout))
  until grep -q "$text" "$file" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "bench: timed out waiting for '$text' in $file" >&2
      tail -5 "$file" >&2
      return 1
    fi
    sleep 0.1
  done
  grep -m1 "$text" "$file"
}

# Sets REDIS_PORT, REDIS_PID.
bench_start_redis() {
  REDIS_PORT=$(bench_free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$BENCH_WORK" --save '' \
    --appendonly no --daemonize no >"$BENCH_WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  bench_wait_line "$BENCH_WORK/redis.log" "Ready to accept connections" >/dev/null
}

# Sets BOOTSTRAP, BROKER_PID. $1: partitions.
bench_start_broker() {
  "$BENCH_BUILD/tools/dev_broker/dev-broker" --partitions "${1:-16}" \
    >"$BENCH_WORK/broker.out" 2>"$BENCH_WORK/broker.log" &
  BROKER_PID=$!
  BENCH_PIDS+=("$BROKER_PID")
  BOOTSTRAP=$(bench_wait_line "$BENCH_WORK/broker.out" "^bootstrap " | cut -d' ' -f2)
}

# Sets SMSC_PORT, SMSC_PID. Arguments go to smsc-sim.
bench_start_sim() {
  "$BENCH_BUILD/tools/smsc_sim/smsc-sim" --port 0 "$@" \
    >"$BENCH_WORK/smsc.out" 2>"$BENCH_WORK/smsc.log" &
  SMSC_PID=$!
  BENCH_PIDS+=("$SMSC_PID")
  SMSC_PORT=$(bench_wait_line "$BENCH_WORK/smsc.out" "listening on" | sed 's/.*://')
}

# Starts one bulkd worker; $1: config file, $2: name (log file stem). Appends its pid to
# BULKD_PIDS and waits for its admin port. BULKD_ENV: extra VAR=value words for bulkd
# only (e.g. BULKD_ENV="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2").
BULKD_PIDS=()
bench_start_bulkd() {
  local config=$1 name=$2
  BULKD_KAFKA_BROKERS=$BOOTSTRAP BULKD_REDIS_PORT=$REDIS_PORT BULKD_SMPP_PORT=$SMSC_PORT \
  BULKD_ADMIN_PORT=0 env ${BULKD_ENV:-} "$BENCH_BUILD/dispatcher/bulkd" --config "$config" \
    >"$BENCH_WORK/$name.out" 2>"$BENCH_WORK/$name.log" &
  local pid=$!
  BENCH_PIDS+=("$pid")
  BULKD_PIDS+=("$pid")
  bench_wait_line "$BENCH_WORK/$name.out" "admin listening on" >/dev/null
}

# CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
bench_cpu_s() {
  local pid=$1 tick
  tick=$(getconf CLK_TCK)
  # Fields after the ")" of the command name: utime is the 12th, stime the 13th.
  awk -v tick="$tick" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / tick }' \
    "/proc/$pid/stat" 2>/dev/null || echo 0
}

# Median of the numbers on stdin (one per line).
bench_median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Date, machine and the source measured: the commit, "+local changes" when the module
# sources differ from it, or $BENCH_REV for a snapshot outside git (git archive).
bench_machine_note() {
  local rev
  if rev=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null); then
    if [ -n "$(git -C "$BENCH_ROOT" status --porcelain -- core ratelimit providers dispatcher tools)" ]; then
      rev="$rev+local changes"
    fi
  else
    rev=${BENCH_REV:-unknown}
  fi
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), shared with other builds), $(uname -sr), redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), source $rev"
}
