#!/usr/bin/env bash
# The demo: builds bulkd, starts an embedded Kafka broker (librdkafka's mock cluster), a
# real redis-server, the SMPP simulator and the Kakao dealer simulator on free loopback
# ports, and enqueues
#   - a 100,000-recipient SMS campaign (bulkctl),
#   - a 10,000-recipient Alimtalk campaign that falls back to LMS when Kakao cannot
#     reach the person, 50 of whose recipients have opted out (bulkctl optout import),
#   - 200 jobs held until a not_before a few seconds ahead (durable deferral),
#   - a few malformed jobs and one good job through kcat,
# runs bulkd, and prints what became of every job.
#
#   RECIPIENTS=100000 RECEIPT_DELAY_MS=100 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPIENTS=${RECIPIENTS:-100000}
KAKAO_RECIPIENTS=${KAKAO_RECIPIENTS:-10000}
DEFERRED=${DEFERRED:-200}
RECEIPT_DELAY_MS=${RECEIPT_DELAY_MS:-100}
MALFORMED=${MALFORMED:-5}

bin=${BUILD_DIR:-build}
# Only what the demo runs; `bash scripts/test.sh` builds the rest.
if [ "$bin" = build ]; then bash scripts/build.sh bulkd bulkctl dev-broker smsc-sim bizmsg-sim; fi
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
"$bin/tools/bizmsg_sim/bizmsg-sim" --port 0 --appkey demo --secret-key sim-secret \
  --mix 1000:95,3018:3,3019:2 --result-delay-ms "$RECEIPT_DELAY_MS" \
  >"$work/bizmsg.out" 2>"$work/bizmsg.log" &
pids+=($!)
bootstrap=$(wait_for_line "$work/broker.out" "^bootstrap " | cut -d' ' -f2)
smsc_port=$(wait_for_line "$work/smsc.out" "listening on" | sed 's/.*://')
kakao_port=$(wait_for_line "$work/bizmsg.out" "listening on" | sed 's/.*://')
wait_for_line "$work/redis.log" "Ready to accept connections" >/dev/null
echo "   kafka=$bootstrap redis=127.0.0.1:$redis_port smpp=127.0.0.1:$smsc_port kakao=127.0.0.1:$kakao_port"

bulkctl="$bin/tools/bulkctl/bulkctl"
echo "== enqueueing $RECIPIENTS SMS recipients, $KAKAO_RECIPIENTS Alimtalk recipients, $DEFERRED deferred jobs"
"$bulkctl" gen-csv --count "$RECIPIENTS" --out "$work/recipients.csv"
"$bulkctl" enqueue --brokers "$bootstrap" --csv "$work/recipients.csv" \
  --tenant shop1 --campaign demo --kind info --channels sms,lms \
  --text '[bulkd] #{name}님, 주문하신 상품이 발송되었습니다.'
"$bulkctl" gen-csv --count "$KAKAO_RECIPIENTS" --prefix +8211 --out "$work/kakao.csv"
head -n 51 "$work/kakao.csv" | tail -n 50 | cut -d, -f1 >"$work/optout.csv"
"$bulkctl" optout import --redis-port "$redis_port" --tenant shop1 --file "$work/optout.csv"
"$bulkctl" enqueue --brokers "$bootstrap" --csv "$work/kakao.csv" \
  --tenant shop1 --campaign kakao --kind info --channels alimtalk,lms --template order_shipped \
  --text '[bulkd] #{name}님, 주문하신 상품이 발송되었습니다. (카카오톡 대신 문자로 안내드립니다)'
"$bulkctl" gen-csv --count "$DEFERRED" --prefix +8212 --out "$work/later.csv"
"$bulkctl" enqueue --brokers "$bootstrap" --csv "$work/later.csv" \
  --tenant shop1 --campaign later --kind info --channels sms \
  --not-before "$(date -u -d '+8 seconds' +%Y-%m-%dT%H:%M:%SZ)" --text '예약 안내: #{name}님, 내일 방문 예정입니다.'
echo "== $MALFORMED malformed jobs and 1 good job through kcat"
echo '{"id":"kcat-1","tenant":"shop1","kind":"info","to":"+821099990001","channels":["sms"],"text":"kcat으로 넣은 작업"}' |
  kcat -P -b "$bootstrap" -t bulkd.jobs
for i in $(seq 1 "$MALFORMED"); do
  case $((i % 3)) in
    0) echo "{\"id\":\"bad-$i\",\"tenant\":\"shop1\",\"to\":\"010-1234\",\"kind\":\"info\",\"channels\":[\"sms\"],\"text\":\"x\"}" ;;
    1) echo "{\"id\":\"bad-$i\",\"tenant\":\"shop1\"" ;;
    2) echo "{\"id\":\"bad-$i\",\"tenant\":\"shop1\",\"to\":\"+821099990000\",\"kind\":\"info\",\"channels\":\"sms\",\"text\":\"x\"}" ;;
  esac
done | kcat -P -b "$bootstrap" -t bulkd.jobs

echo "== running bulkd"
BULKD_KAFKA_BROKERS=$bootstrap BULKD_REDIS_PORT=$redis_port BULKD_SMPP_PORT=$smsc_port \
BULKD_KAKAO_BASE_URL=http://127.0.0.1:$kakao_port BULKD_ADMIN_PORT=0 "$bin/dispatcher/bulkd" --config deploy/demo.yaml >"$work/bulkd.out" 2>"$work/bulkd.log" &
bulkd_pid=$!
pids+=($bulkd_pid)
admin=$(wait_for_line "$work/bulkd.out" "admin listening on" | sed 's/.*on //')

"$bin/tools/bulkctl/bulkctl" report --brokers "$bootstrap" \
  --expect $((RECIPIENTS + KAKAO_RECIPIENTS + DEFERRED + MALFORMED + 1)) --timeout 600
status=$?
echo
echo "  metrics: http://$admin/metrics (sample)"
curl -s "http://$admin/metrics" 2>/dev/null |
  grep -E '^bulkd_(jobs_consumed_total|messages_total|delivery_receipts_total|fallbacks_total|dlq_total)' |
  awk '$NF != "0"' | head -14 || true
kill -TERM "$bulkd_pid" 2>/dev/null || true
exit $status
