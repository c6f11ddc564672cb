#!/usr/bin/env bash
# Cross-check 2: bulkd's SMPP client (smpp_drive) against an independent SMSC written with
# the npm `smpp` package (npm_smsc.js). Requires: every submit_sm answered and accepted,
# every receipt (text-only, hex ids) parsed and matched to its submit, a clean unbind, and
# every submit_sm decoded by the npm package equal to what the driver meant (addresses,
# data_coding, esm_class, UDH, SAR TLVs, message_payload, UCS-2 text).
# Usage: npm_smsc.sh [smsc-sim] [smpp_drive]   (default: build/...). Exit 77 without node
# or without tests/crosscheck/npm/node_modules (bash tests/crosscheck/install.sh).
set -euo pipefail
# shellcheck source=tests/crosscheck/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
XC_NAME=npm_smsc
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v node >/dev/null || xc_skip "node not installed (bash tests/crosscheck/install.sh)"
[[ -f $HERE/npm/node_modules/smpp/package.json ]] ||
  xc_skip "npm package smpp not installed in $HERE/npm (bash tests/crosscheck/install.sh)"
xc_binaries "$@"
[[ -x $DRIVE ]] || xc_fail "smpp_drive not built: $DRIVE"
xc_init npm_smsc
start=$SECONDS

xc_bg npm-smsc node "$HERE/npm_smsc.js" serve --port 0 --system-id xcheck --password secret \
  --record "$XC_WORK/record.jsonl"
SMSC_PID=$XC_LAST_PID
listening() {
  xc_alive "$SMSC_PID" || xc_fail "npm-smsc exited: $(tail -n 3 "$XC_WORK/npm-smsc.err")"
  grep -qs "npm-smsc listening on" "$XC_WORK/npm-smsc.out"
}
xc_wait_for "npm-smsc to listen" 20 listening
PORT=$(sed -n 's/^npm-smsc listening on .*:\([0-9]*\)$/\1/p' "$XC_WORK/npm-smsc.out")
[[ -n $PORT ]] || xc_fail "cannot read npm-smsc's port"

xc_log "driving npm-smsc on port $PORT"
if ! timeout 60 "$DRIVE" --port "$PORT" --system-id xcheck --password secret \
  --enquire-ms 200 --expect "$XC_WORK/expect.jsonl" >"$XC_WORK/drive.log" 2>&1; then
  cat "$XC_WORK/drive.log" >&2
  xc_fail "smpp_drive failed against the npm smpp SMSC"
fi
xc_stop "$SMSC_PID" 10
[[ $XC_RC -eq 0 ]] || xc_fail "npm-smsc exited with $XC_RC"
counters=$(grep '^npm-smsc: ' "$XC_WORK/npm-smsc.err" || true)
[[ -n $counters ]] || xc_fail "npm-smsc printed no counters"
c() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$counters"; }
drv() { awk -v d="$1" -v c="$2" '$1 == "pdu" && $2 == d && $3 == c {print $4; f=1} END {if (!f) print 0}' "$XC_WORK/drive.log"; }

submits=$(drv sent submit_sm)
[[ $(c binds) -eq 1 && $(c bind_failures) -eq 0 ]] || xc_fail "npm-smsc: $counters"
[[ $(c submits) -eq $submits ]] || xc_fail "npm-smsc got $(c submits) submit_sm, the driver sent $submits"
[[ $(c receipts) -eq $(drv recv deliver_sm) ]] || xc_fail "npm-smsc sent $(c receipts) receipts, the driver got $(drv recv deliver_sm)"
[[ $(c deliver_sm_resps) -eq $(c receipts) && $(c deliver_sm_resp_errors) -eq 0 ]] ||
  xc_fail "deliver_sm_resp: npm-smsc: $counters"
[[ $(c enquire_links) -eq $(drv sent enquire_link) && $(c enquire_links) -ge 1 ]] ||
  xc_fail "enquire_link: npm-smsc got $(c enquire_links), the driver sent $(drv sent enquire_link)"
[[ $(c unbinds) -eq 1 ]] || xc_fail "npm-smsc got $(c unbinds) unbinds"
[[ $(c generic_nacks) -eq 0 && $(c errors) -eq 0 ]] || xc_fail "npm-smsc: $counters"
node "$HERE/npm_smsc.js" compare "$XC_WORK/expect.jsonl" "$XC_WORK/record.jsonl" >"$XC_WORK/compare.log" ||
  {
    cat "$XC_WORK/compare.log" >&2
    xc_fail "the npm smpp package decoded different submits than the driver sent"
  }

xc_log "PASS in $((SECONDS - start))s: $(grep '^result' "$XC_WORK/drive.log")"
xc_log "  $(cat "$XC_WORK/compare.log")"
xc_log "  $counters"
