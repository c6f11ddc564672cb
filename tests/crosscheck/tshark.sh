#!/usr/bin/env bash
# Cross-check 1: bulkd's SMPP bytes (client: smpp_drive, server: smsc-sim) decoded by
# tshark's SMPP dissector. Captures the loopback session, then requires: no Malformed
# packet and no expert warning or error; PDU counts per command equal to what the driver
# and smsc-sim counted; every UCS-2 text (short_message, message_payload, SAR and UDH
# parts) decoded by tshark equal to what the driver meant; every submit_sm_resp message id
# receipted exactly once; SAR/payload/data_coding fields where they should be.
# Usage: tshark.sh [smsc-sim] [smpp_drive]   (default: build/...). Exit 77 without tshark.
set -euo pipefail
# shellcheck source=tests/crosscheck/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
XC_NAME=tshark
command -v tshark >/dev/null || xc_skip "tshark not installed (bash tests/crosscheck/install.sh)"
xc_binaries "$@"
[[ -x $DRIVE ]] || xc_fail "smpp_drive not built: $DRIVE"
xc_init tshark
start=$SECONDS

xc_start_sim --system-id xcheck --password secret
RAW=$XC_WORK/raw.pcapng
CAP=$XC_WORK/smpp.pcapng
PROBE_PORT=$(xc_free_port)
xc_bg tshark tshark -i lo -f "tcp port $SIM_PORT or udp port $PROBE_PORT" -w "$RAW"
TSHARK_PID=$XC_LAST_PID
capturing() {
  if ! xc_alive "$TSHARK_PID"; then
    if grep -qiE "permission|not permitted|privileges" "$XC_WORK/tshark.err"; then
      xc_skip "tshark may not capture on lo here: $(grep -iE 'permission|not permitted|privileges' "$XC_WORK/tshark.err" | head -1)"
    fi
    xc_fail "tshark exited before capturing: $(tail -n 3 "$XC_WORK/tshark.err")"
  fi
  grep -qs "Capturing on" "$XC_WORK/tshark.err"
}
xc_wait_for "tshark to start capturing" 20 capturing
# "Capturing on" comes a few hundred ms before packets really land in the file: send UDP
# probes (to a port nobody listens on) until one is in it; then the capture is live.
probe_seen() {
  echo crosscheck-probe >"/dev/udp/127.0.0.1/$PROBE_PORT" 2>/dev/null || true
  tshark -r "$RAW" -Y "udp.port == $PROBE_PORT" 2>/dev/null | grep -q .
}
xc_wait_for "tshark's capture to go live (UDP probe in the file)" 20 probe_seen

# The driver idles 200 ms after the bind so that an enquire_link goes out too.
xc_log "driving smsc-sim on port $SIM_PORT"
if ! timeout 60 "$DRIVE" --port "$SIM_PORT" --system-id xcheck --password secret \
  --enquire-ms 200 --expect "$XC_WORK/expect.jsonl" >"$XC_WORK/drive.log" 2>&1; then
  cat "$XC_WORK/drive.log" >&2
  xc_fail "smpp_drive failed against smsc-sim"
fi
xc_stop "$SIM_PID" 10
[[ $XC_RC -eq 0 ]] || xc_fail "smsc-sim exited with $XC_RC"
SIM_COUNTERS=$(grep '^smsc-sim: sessions=' "$XC_WORK/smsc-sim.err" || true)

# dumpcap writes packets as it gets them; stopping it early would lose the last ones, so
# wait until the file holds the whole session (both FINs), then stop tshark.
session_closed() { [[ $(tshark -r "$RAW" -Y "tcp.flags.fin == 1" 2>/dev/null | wc -l) -ge 2 ]]; }
xc_wait_for "the capture to hold both FINs" 20 session_closed
xc_stop "$TSHARK_PID" 10
tshark -r "$RAW" -Y "tcp.port == $SIM_PORT" -w "$CAP" 2>/dev/null || xc_fail "cannot filter $RAW"
tsr() { tshark -r "$CAP" -d "tcp.port==$SIM_PORT,smpp" "$@" 2>/dev/null; }

# --- 1. no malformed packet, no expert warning or error
tsr -V >"$XC_WORK/decoded.txt"
malformed=$(grep -c -i "malformed" "$XC_WORK/decoded.txt" || true)
[[ $malformed -eq 0 ]] || xc_fail "$malformed 'Malformed' lines in tshark's decode ($XC_WORK/decoded.txt)"
tsr -q -z expert >"$XC_WORK/expert.txt"
if grep -qE "^(Errors|Warns|Warnings) \(" "$XC_WORK/expert.txt"; then
  cat "$XC_WORK/expert.txt" >&2
  xc_fail "tshark reports expert errors or warnings"
fi
tsr -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" | grep -q . ||
  xc_fail "capture started late: no SYN of the driver's connection"

# --- 2. PDU counts per command: tshark vs the driver vs smsc-sim
agg=$'\x1f'
tsr -Y smpp -T fields -E "aggregator=$agg" -E occurrence=a -E separator=/t \
  -e smpp.command_id -e smpp.command_status -e smpp.message_id -e smpp.receipted_message_id \
  -e smpp.message_text -e smpp.sar_segment_seqnum -e smpp.message_payload -e smpp.data_coding \
  >"$XC_WORK/fields.tsv"
column() { cut -f"$1" "$XC_WORK/fields.tsv" | tr "$agg" '\n' | sed '/^$/d'; }
column 1 | sort | uniq -c | awk '{print $2, $1}' >"$XC_WORK/tshark_counts.txt"
ts_count() { awk -v id="$1" '$1 == id {print $2; f=1} END {if (!f) print 0}' "$XC_WORK/tshark_counts.txt"; }
drv() { awk -v d="$1" -v c="$2" '$1 == "pdu" && $2 == d && $3 == c {print $4; f=1} END {if (!f) print 0}' "$XC_WORK/drive.log"; }

declare -A expect=(
  [0x00000009]=$(drv sent bind_transceiver)
  [0x80000009]=$(drv recv bind_transceiver_resp)
  [0x00000004]=$(drv sent submit_sm)
  [0x80000004]=$(drv recv submit_sm_resp)
  [0x00000005]=$(drv recv deliver_sm)
  [0x80000005]=$(drv sent deliver_sm_resp)
  [0x00000015]=$(($(drv sent enquire_link) + $(drv recv enquire_link)))
  [0x80000015]=$(($(drv sent enquire_link) + $(drv sent enquire_link_resp)))
  [0x00000006]=$(drv sent unbind)
  [0x80000006]=$(drv recv unbind_resp)
)
declare -A name=(
  [0x00000009]=bind_transceiver [0x80000009]=bind_transceiver_resp
  [0x00000004]=submit_sm [0x80000004]=submit_sm_resp
  [0x00000005]=deliver_sm [0x80000005]=deliver_sm_resp
  [0x00000015]=enquire_link [0x80000015]=enquire_link_resp
  [0x00000006]=unbind [0x80000006]=unbind_resp
)
while read -r id n; do
  [[ -n ${expect[$id]+x} ]] || xc_fail "unexpected PDU $id seen $n times"
done <"$XC_WORK/tshark_counts.txt"
summary=""
for id in 0x00000009 0x80000009 0x00000004 0x80000004 0x00000005 0x80000005 0x00000015 \
  0x80000015 0x00000006 0x80000006; do
  got=$(ts_count "$id")
  [[ $got -eq ${expect[$id]} ]] ||
    xc_fail "${name[$id]}: tshark decoded $got, the driver counted ${expect[$id]}"
  summary+=" ${name[$id]}=$got"
done
for cmd in 0x00000009 0x00000004 0x00000005 0x00000015 0x00000006; do
  [[ $(ts_count "$cmd") -ge 1 ]] || xc_fail "no ${name[$cmd]} in the capture"
done
sim_field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$SIM_COUNTERS"; }
[[ -n $SIM_COUNTERS ]] || xc_fail "smsc-sim printed no counters"
[[ $(sim_field submits) -eq $(ts_count 0x00000004) ]] || xc_fail "smsc-sim counted $(sim_field submits) submits"
[[ $(sim_field receipts) -eq $(ts_count 0x00000005) ]] || xc_fail "smsc-sim counted $(sim_field receipts) receipts"
[[ $(sim_field deliver_sm_resps) -eq $(ts_count 0x80000005) ]] || xc_fail "smsc-sim counted $(sim_field deliver_sm_resps) deliver_sm_resps"
[[ $(sim_field decode_errors) -eq 0 && $(sim_field generic_nacks) -eq 0 ]] || xc_fail "smsc-sim: $SIM_COUNTERS"

# --- 3. contents as tshark reads them
nonzero=$(column 2 | grep -vc '^0x00000000$' || true)
[[ $nonzero -eq 0 ]] || xc_fail "$nonzero PDUs with a non-zero command_status"
submits=$(ts_count 0x00000004)
sed -n 's/.*"text":"\(.*\)"}$/\1/p' "$XC_WORK/expect.jsonl" | sort >"$XC_WORK/texts.expected"
column 5 | sort >"$XC_WORK/texts.tshark"
if ! diff -q "$XC_WORK/texts.expected" "$XC_WORK/texts.tshark" >/dev/null; then
  diff "$XC_WORK/texts.expected" "$XC_WORK/texts.tshark" | head -n 10 >&2
  xc_fail "texts decoded by tshark differ from what the driver sent"
fi
texts=$(wc -l <"$XC_WORK/texts.tshark")
[[ $texts -eq $submits ]] || xc_fail "$texts texts decoded for $submits submit_sm"
ucs2=$(column 8 | grep -c '^0x08$' || true)
[[ $ucs2 -eq $submits ]] || xc_fail "$ucs2 of $submits submit_sm have data_coding 0x08"
exp_kind() { grep -c "\"kind\":\"$1\"" "$XC_WORK/expect.jsonl" || true; }
sar=$(column 6 | wc -l)
[[ $sar -eq $(exp_kind sar) ]] || xc_fail "tshark found $sar SAR parts, the driver sent $(exp_kind sar)"
payload=$(column 7 | wc -l)
[[ $payload -eq $(exp_kind payload) ]] || xc_fail "tshark found $payload message_payload TLVs, the driver sent $(exp_kind payload)"
column 3 | sort >"$XC_WORK/ids.submitted"
column 4 | sort >"$XC_WORK/ids.receipted"
ids=$(sort -u "$XC_WORK/ids.submitted" | wc -l)
[[ $ids -eq $submits ]] || xc_fail "$ids distinct message ids for $submits submits"
cmp -s "$XC_WORK/ids.submitted" "$XC_WORK/ids.receipted" ||
  xc_fail "receipted_message_id set differs from the submit_sm_resp message ids"

xc_log "PASS in $((SECONDS - start))s: tshark decoded$summary; 0 malformed, 0 expert warnings;"
xc_log "  $texts UCS-2 texts equal ($payload message_payload, $sar SAR parts, $(exp_kind udh) UDH parts), $ids ids each receipted once"
xc_log "  driver: $(grep '^result' "$XC_WORK/drive.log")"
