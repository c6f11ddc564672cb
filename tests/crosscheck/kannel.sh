#!/usr/bin/env bash
# Cross-check 3: Kannel's bearerbox (an independent SMPP 3.4 ESME) bound as a transceiver
# to smsc-sim; smsbox's HTTP sendsms pushes N messages with delivery reports requested.
# Requires: smsc-sim's --record file lists all N (right recipients), smsc-sim saw no decode
# error, generic_nack or bind failure, and Kannel's access log shows N sent SMS and N
# delivery reports whose message ids (FID) are exactly the ids smsc-sim gave out, and a
# clean unbind when bearerbox shuts down. Half the texts are Korean (UCS-2 from Kannel).
# Usage: kannel.sh [smsc-sim] [ignored]   (default: build/...). Exit 77 without Kannel/curl.
set -euo pipefail
# shellcheck source=tests/crosscheck/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
XC_NAME=kannel
N=${XC_KANNEL_MESSAGES:-50}
for tool in bearerbox smsbox; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
    xc_skip "Kannel ($tool) not installed (bash tests/crosscheck/install.sh)"
done
command -v curl >/dev/null || xc_skip "curl not installed"
BEARERBOX=$(command -v bearerbox || echo /usr/sbin/bearerbox)
SMSBOX=$(command -v smsbox || echo /usr/sbin/smsbox)
xc_binaries "$@"
xc_init kannel
start=$SECONDS

xc_start_sim --system-id xcheck --password secret --record "$XC_WORK/record.tsv"
# Kannel listens on fixed ports from its config (admin, smsbox link, sendsms): pick free
# ones; if another process takes one first, start again with new ones (at most 3 times).
write_conf() {
cat >"$XC_WORK/kannel.conf" <<EOF
group = core
admin-port = $ADMIN_PORT
admin-password = xcheck
status-password = xcheck
admin-allow-ip = "127.0.0.1"
smsbox-port = $SMSBOX_PORT
box-allow-ip = "127.0.0.1"
log-file = "$XC_WORK/bearerbox.log"
log-level = 1
access-log = "$XC_WORK/bearerbox-access.log"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = $SIM_PORT
transceiver-mode = true
smsc-username = xcheck
smsc-password = secret
system-type = ""
interface-version = 34
enquire-link-interval = 30
reconnect-delay = 1
max-pending-submits = 16
msg-id-type = 0x00

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $SMSBOX_PORT
sendsms-port = $SENDSMS_PORT
sendsms-interface = 127.0.0.1
log-file = "$XC_WORK/smsbox.log"
log-level = 1
access-log = "$XC_WORK/smsbox-access.log"

group = sendsms-user
username = xcheck
password = secret
max-messages = 1
concatenation = false

group = sms-service
keyword = default
text = "no service"
catch-all = true
EOF
}

status() { curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/status.txt?password=xcheck" || true; }
port_taken() { cat "$XC_WORK/$1.log" "$XC_WORK/$1.err" 2>/dev/null | grep -q "Address already in use"; }

# Starts bearerbox and smsbox; 0 when both are up and bound, 1 when a port was taken.
kannel_up() {
  ADMIN_PORT=$(xc_free_port)
  SMSBOX_PORT=$(xc_free_port)
  SENDSMS_PORT=$(xc_free_port)
  while [[ $SMSBOX_PORT == "$ADMIN_PORT" ]]; do SMSBOX_PORT=$(xc_free_port); done
  while [[ $SENDSMS_PORT == "$ADMIN_PORT" || $SENDSMS_PORT == "$SMSBOX_PORT" ]]; do SENDSMS_PORT=$(xc_free_port); done
  write_conf
  rm -f "$XC_WORK"/bearerbox*.log "$XC_WORK"/smsbox*.log
  local deadline=$((SECONDS + 30))
  xc_bg bearerbox "$BEARERBOX" -v 1 "$XC_WORK/kannel.conf"
  BB_PID=$XC_LAST_PID
  until status | grep -qE "^ +sim(\[sim\])? +SMPP.*\(online"; do
    if port_taken bearerbox; then
      xc_alive "$BB_PID" && xc_stop "$BB_PID" 20
      return 1
    fi
    xc_alive "$BB_PID" || xc_fail "bearerbox exited: $(tail -n 5 "$XC_WORK/bearerbox.err")"
    ((SECONDS < deadline)) || xc_fail "timed out waiting for bearerbox to bind to smsc-sim (status: online)"
    sleep 0.1
  done
  xc_bg smsbox "$SMSBOX" -v 1 "$XC_WORK/kannel.conf"
  SB_PID=$XC_LAST_PID
  until status | grep -q "^ *smsbox" && curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$SENDSMS_PORT/"; do
    if port_taken smsbox || ! xc_alive "$SB_PID"; then
      if port_taken smsbox; then
        xc_alive "$SB_PID" && xc_stop "$SB_PID" 10
        xc_stop "$BB_PID" 20
        return 1
      fi
      xc_fail "smsbox exited: $(tail -n 5 "$XC_WORK/smsbox.err")"
    fi
    ((SECONDS < deadline)) || xc_fail "timed out waiting for smsbox to connect and serve sendsms"
    sleep 0.1
  done
}
for attempt in 1 2 3; do
  kannel_up && break
  ((attempt < 3)) || xc_fail "Kannel could not get free ports in 3 attempts"
  xc_log "a port Kannel needs was taken; starting it again on other ports"
done

dest() { printf '82109%07d' "$1"; }
xc_log "sending $N messages through Kannel's sendsms to smsc-sim on port $SIM_PORT"
# Even i: GSM text; odd i: Korean, which Kannel sends as UCS-2 (coding=2).
for ((i = 0; i < N; i++)); do
  if ((i % 2 == 0)); then
    text=(--data-urlencode "text=kannel crosscheck $i")
  else
    text=(--data-urlencode "text=카넬 교차 검증 $i" --data-urlencode coding=2 --data-urlencode charset=UTF-8)
  fi
  reply=$(curl -s --max-time 10 -G "http://127.0.0.1:$SENDSMS_PORT/cgi-bin/sendsms" \
    --data-urlencode username=xcheck --data-urlencode password=secret \
    --data-urlencode from=0215881234 --data-urlencode "to=$(dest "$i")" \
    "${text[@]}" --data-urlencode dlr-mask=3) ||
    xc_fail "sendsms request $i failed"
  [[ $reply == *"Accepted for delivery"* || $reply == *"Sent."* ]] ||
    xc_fail "sendsms $i answered: $reply"
done

# bearerbox writes one access-log line per SMS it sent and per DLR it received.
log=$XC_WORK/bearerbox-access.log
counts() { status | grep -E "^ +sim(\[sim\])? +SMPP" | head -1 | sed 's/^ *//'; }
n_sent() { grep -c "Sent SMS \[SMSC:sim\]" "$log" 2>/dev/null || true; }
n_dlr() { grep -c "Receive DLR \[SMSC:sim\]" "$log" 2>/dev/null || true; }
all_done() { [[ $(n_sent) -ge $N && $(n_dlr) -ge $N ]]; }
xc_wait_for "$N 'Sent SMS' and $N 'Receive DLR' in Kannel's access log" 30 all_done
# bearerbox hands each DLR on to smsbox (which would call the message's dlr-url); stopping
# smsbox before it has them all leaves bearerbox waiting at shutdown.
n_dlr_smsbox() { grep -c "Starting delivery report" "$XC_WORK/smsbox.log" 2>/dev/null || true; }
smsbox_has_dlrs() { [[ $(n_dlr_smsbox) -ge $N ]]; }
xc_wait_for "$N delivery reports to reach smsbox" 30 smsbox_has_dlrs
final_status=$(counts)

# bearerbox first: it unbinds from the SMSC and tells smsbox to stop.
xc_stop "$BB_PID" 20
xc_stop "$SB_PID" 10
xc_stop "$SIM_PID" 10
[[ $XC_RC -eq 0 ]] || xc_fail "smsc-sim exited with $XC_RC"
sim=$(grep '^smsc-sim: sessions=' "$XC_WORK/smsc-sim.err" || true)
sim_field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$sim"; }
[[ -n $sim ]] || xc_fail "smsc-sim printed no counters"

# 1. smsc-sim got all N, for the right recipients, and nothing it could not decode.
recorded=$(wc -l <"$XC_WORK/record.tsv")
[[ $recorded -eq $N ]] || xc_fail "smsc-sim recorded $recorded accepted submits, expected $N"
for ((i = 0; i < N; i++)); do dest "$i"; echo; done | sort >"$XC_WORK/dests.expected"
cut -f1 "$XC_WORK/record.tsv" | sed 's/^+//' | sort >"$XC_WORK/dests.recorded"
cmp -s "$XC_WORK/dests.expected" "$XC_WORK/dests.recorded" ||
  xc_fail "recipients in smsc-sim's record differ from the $N sent ($(diff "$XC_WORK/dests.expected" "$XC_WORK/dests.recorded" | head -3 | tr '\n' ' '))"
# One bind per bearerbox start (a start that lost a port to another process binds too).
[[ $(sim_field binds) -eq $attempt && $(sim_field bind_failures) -eq 0 ]] || xc_fail "smsc-sim: $sim"
[[ $(sim_field unbinds) -ge 1 ]] || xc_fail "bearerbox did not unbind on shutdown: $sim"
[[ $(sim_field decode_errors) -eq 0 && $(sim_field generic_nacks) -eq 0 ]] || xc_fail "smsc-sim: $sim"
[[ $(sim_field receipts) -eq $N && $(sim_field deliver_sm_resps) -eq $N ]] ||
  xc_fail "smsc-sim sent $(sim_field receipts) receipts, got $(sim_field deliver_sm_resps) deliver_sm_resp; expected $N"

# 2. Kannel logged N sent SMS and N DLRs, matched to smsc-sim's message ids.
sent=$(n_sent)
[[ $sent -eq $N ]] || xc_fail "Kannel's access log has $sent 'Sent SMS', expected $N"
grep "Receive DLR \[SMSC:sim\]" "$log" >"$XC_WORK/dlr.lines" || true
dlrs=$(wc -l <"$XC_WORK/dlr.lines")
[[ $dlrs -eq $N ]] || xc_fail "Kannel's access log has $dlrs DLR lines, expected $N"
# [flags:...:<type>]: type 1 is DLR_SUCCESS (delivered).
delivered=$(grep -c "\[flags:[-0-9:]*:1\]" "$XC_WORK/dlr.lines" || true)
[[ $delivered -eq $N ]] || xc_fail "$delivered of $N DLRs are 'delivered' (type 1)"
sed -n 's/.*\[FID:\([^]]*\)\].*/\1/p' "$XC_WORK/dlr.lines" | sort >"$XC_WORK/ids.dlr"
cut -f2 "$XC_WORK/record.tsv" | sort >"$XC_WORK/ids.sim"
cmp -s "$XC_WORK/ids.dlr" "$XC_WORK/ids.sim" ||
  xc_fail "DLR message ids in Kannel's log differ from smsc-sim's ids ($(diff "$XC_WORK/ids.sim" "$XC_WORK/ids.dlr" | head -3 | tr '\n' ' '))"

xc_log "PASS in $((SECONDS - start))s: smsc-sim recorded $recorded/$N, Kannel logged $sent sent and $dlrs DLRs, $delivered delivered (ids equal to smsc-sim's), $(n_dlr_smsbox) DLRs reached smsbox"
xc_log "  bearerbox: $final_status"
xc_log "  $sim"
