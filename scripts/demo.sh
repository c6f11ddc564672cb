#!/usr/bin/env bash
# The demo campaign: builds bulkd, starts an embedded Kafka broker (librdkafka's mock
# cluster), a real redis-server and the SMPP simulator on free loopback ports, enqueues
# a 100,000-recipient campaign plus a few malformed jobs (through kcat), runs bulkd, and
# prints what became of every job.
#
#   RECIPIENTS=100000 RECEIPT_DELAY_MS=100 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPIENTS=${RECIPIENTS:-100000}
RECEIPT_DELAY_MS=${RECEIPT_DELAY_MS:-100}
MALFORMED=${MALFORMED:-5}

bin=${BUILD_DIR:-build}
if [ "$bin" = build ]; then bash scripts/build.sh; fi
work=$(mktemp -d -t bulkd-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do
    (: </dev/tcp/127.0.0.1/"$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  echo "demo: no free port found" >&2
  return 1
}

# Waits until FILE has a line containing TEXT; prints that line.
wait_for_line() {
  local file=$1 text=$2 deadline=$((SECONDS + 30))
  until grep -q "$text" "$file" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "demo: timed out waiting for '$text' in $file" >&2; cat "$file" >&2; return 1; fi
    sleep 0.1
  done
  grep -m1 "$text" "$file"
}

echo "== starting redis-server, dev-broker and smsc-sim"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
  --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
"$bin/tools/dev_broker/dev-broker" --partitions 16 >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
"$bin/tools/smsc_sim/smsc-sim" --port 0 --receipt-delay-ms "$RECEIPT_DELAY_MS" \
  >"$work/smsc.out" 2>"$work/smsc.log" &
pids+=($!)
bootstrap=$(wait_for_line "$work/broker.out" "^bootstrap " | cut -d' ' -f2)
smsc_port=$(wait_for_line "$work/smsc.out" "listening on" | sed 's/.*://')
wait_for_line "$work/redis.log" "Ready to accept connections" >/dev/null
echo "   kafka=$bootstrap redis=127.0.0.1:$redis_port smpp=127.0.0.1:$smsc_port"

echo "== enqueueing $RECIPIENTS recipients with bulkctl, and $MALFORMED malformed jobs with kcat"
"$bin/tools/bulkctl/bulkctl" gen-csv --count "$RECIPIENTS" --out "$work/recipients.csv"
"$bin/tools/bulkctl/bulkctl" enqueue --brokers "$bootstrap" --csv "$work/recipients.csv" \
  --tenant shop1 --campaign demo --kind info --channels sms,lms \
  --text '[bulkd] #{name}님, 주문하신 상품이 발송되었습니다.'
for i in $(seq 1 "$MALFORMED"); do
  case $((i % 3)) in
    0) echo "{\"id\":\"bad-$i\",\"tenant\":\"shop1\",\"to\":\"010-1234\",\"kind\":\"info\",\"channels\":[\"sms\"],\"text\":\"x\"}" ;;
    1) echo "{\"id\":\"bad-$i\",\"tenant\":\"shop1\"" ;;
    2) echo "{\"id\":\"bad-$i\",\"tenant\":\"shop1\",\"to\":\"+821099990000\",\"kind\":\"info\",\"channels\":\"sms\",\"text\":\"x\"}" ;;
  esac
done | kcat -P -b "$bootstrap" -t bulkd.jobs

echo "== running bulkd"
BULKD_KAFKA_BROKERS=$bootstrap BULKD_REDIS_PORT=$redis_port BULKD_SMPP_PORT=$smsc_port \
BULKD_ADMIN_PORT=0 "$bin/dispatcher/bulkd" --config deploy/demo.yaml >"$work/bulkd.out" 2>"$work/bulkd.log" &
bulkd_pid=$!
pids+=($bulkd_pid)
admin=$(wait_for_line "$work/bulkd.out" "admin listening on" | sed 's/.*on //')

"$bin/tools/bulkctl/bulkctl" report --brokers "$bootstrap" --expect $((RECIPIENTS + MALFORMED)) --timeout 600
status=$?
echo
echo "  metrics: http://$admin/metrics (sample)"
curl -s "http://$admin/metrics" 2>/dev/null | grep -E '^bulkd_(jobs_consumed_total|messages_total|delivery_receipts_total)' | head -8 || true
kill -TERM "$bulkd_pid" 2>/dev/null || true
exit $status
