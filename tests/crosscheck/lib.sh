# tests/crosscheck/lib.sh — shared helpers for the cross-check scripts (sourced, not run).
# Every process a check starts goes through xc_bg and is stopped by the EXIT trap; every
# wait is a poll with a deadline. Exit codes: 0 pass, 1 fail, 77 skipped (tool missing).
# shellcheck shell=bash
# shellcheck disable=SC2034  # SIM_PID, SIM_PORT, DRIVE, XC_RC are for the scripts

XC_NAME=${XC_NAME:-crosscheck}
XC_PIDS=()
XC_WORK=""

xc_log() { echo "[$XC_NAME] $*"; }
xc_fail() {
  echo "FAIL [$XC_NAME]: $*" >&2
  exit 1
}
xc_skip() {
  echo "SKIP [$XC_NAME]: $*"
  exit 77
}

# Stops every process started by xc_bg (TERM, then KILL after 5 s), reaps it, and removes
# the work dir unless the check failed or XC_KEEP=1 (then its path is printed).
xc_cleanup() {
  local rc=$? pid i
  for pid in "${XC_PIDS[@]}"; do
    if xc_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        xc_alive "$pid" || break
        sleep 0.1
      done
      xc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $XC_WORK && -d $XC_WORK ]]; then
    if [[ $rc -ne 0 && $rc -ne 77 ]] || [[ ${XC_KEEP:-0} == 1 ]]; then
      echo "[$XC_NAME] logs and captures kept in $XC_WORK" >&2
      local f
      for f in "$XC_WORK"/*.err "$XC_WORK"/*.log; do
        [[ -s $f ]] || continue
        echo "---- tail of $f" >&2
        tail -n 15 "$f" >&2
      done
    else
      rm -rf "$XC_WORK"
    fi
  fi
  exit "$rc"
}

xc_init() {
  XC_NAME=$1
  XC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bulkd-xcheck-$XC_NAME.XXXXXX")
  trap xc_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# True while the process exists and is not a zombie.
xc_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# xc_bg NAME CMD...: runs CMD in the background, stdout to $XC_WORK/NAME.out, stderr to
# NAME.err; sets XC_LAST_PID.
xc_bg() {
  local name=$1
  shift
  "$@" >"$XC_WORK/$name.out" 2>"$XC_WORK/$name.err" &
  XC_LAST_PID=$!
  XC_PIDS+=("$XC_LAST_PID")
}

# xc_wait_for DESCRIPTION SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails the
# check with DESCRIPTION when the deadline passes.
xc_wait_for() {
  local what=$1 secs=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    ((SECONDS < deadline)) || xc_fail "timed out after ${secs}s waiting for $what"
    sleep 0.1
  done
}

# xc_stop PID SECONDS: SIGTERM, wait for the exit within the deadline, reap; sets XC_RC.
xc_stop() {
  local pid=$1 secs=$2
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + secs))
  while xc_alive "$pid"; do
    ((SECONDS < deadline)) || xc_fail "process $pid did not exit within ${secs}s of SIGTERM"
    sleep 0.1
  done
  XC_RC=0
  wait "$pid" 2>/dev/null || XC_RC=$?
}

# xc_start_sim ARGS...: starts smsc-sim (path in $SIM) on a free port; sets SIM_PID, SIM_PORT.
xc_start_sim() {
  xc_bg smsc-sim "$SIM" --host 127.0.0.1 --port 0 "$@"
  SIM_PID=$XC_LAST_PID
  xc_wait_for "smsc-sim to listen" 10 grep -qs "smsc-sim listening on" "$XC_WORK/smsc-sim.out"
  SIM_PORT=$(sed -n 's/^smsc-sim listening on .*:\([0-9]*\)$/\1/p' "$XC_WORK/smsc-sim.out")
  [[ -n $SIM_PORT ]] || xc_fail "cannot read smsc-sim's port"
}

# A TCP port no socket uses now (listening or connected, per /proc/net/tcp{,6}), below the
# kernel's ephemeral range so that no outgoing connection takes it before the caller binds
# it. Another process may still race for it: callers that bind fixed ports retry.
xc_free_port() {
  local low p i hex
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  ((low > 12000)) || low=32768
  for ((i = 0; i < 200; i++)); do
    p=$((10000 + RANDOM % (low - 10000)))
    printf -v hex ':%04X' "$p"
    if ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{print $2}' | grep -q -- "${hex}\$"; then
      echo "$p"
      return 0
    fi
  done
  xc_fail "no free loopback port found"
}

# The binaries under test: $1/$2 of the script, else the default build dir.
xc_binaries() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  SIM=${1:-$root/build/tools/smsc_sim/smsc-sim}
  DRIVE=${2:-$root/build/tests/crosscheck/smpp_drive}
  [[ -x $SIM ]] || xc_fail "smsc-sim not built: $SIM"
}
