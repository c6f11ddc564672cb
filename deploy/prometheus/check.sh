#!/usr/bin/env bash
# Checks deploy/prometheus/rules.yml (ctest -L deploy runs it):
#   1. promtool check rules: the file parses and every expression is valid PromQL;
#   2. promtool test rules tests/*.yml: each alert fires on bad series and stays silent
#      on good ones;
#   3. every alert has a firing case and a silent case in tests/, a runbook_url
#      deploy/RUNBOOK.md#<alert in lower case> and that section in deploy/RUNBOOK.md;
#   4. the tests are not vacuous: for every alert, a copy of rules.yml whose expression
#      never fires and one whose expression always fires must each fail its tests.
#
#   bash deploy/prometheus/check.sh
# Needs promtool (Debian package prometheus; scripts/setup.sh installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runbook="$here/../RUNBOOK.md"
command -v promtool >/dev/null || { echo "check: promtool not found (bash scripts/setup.sh installs it)" >&2; exit 1; }
echo "check: $(promtool --version 2>&1 | head -1)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

promtool check rules "$here/rules.yml" || failed=1
(cd "$here" && promtool test rules tests/*.yml) || failed=1

alerts=$(awk '$1 == "-" && $2 == "alert:" { print $3 }' "$here/rules.yml")
[ -n "$alerts" ] || { echo "FAIL no alerts in rules.yml"; exit 1; }

# Cases per alert in the tests: "fires" when exp_alerts lists alerts, "silent" when it
# is []. The test files keep alertname on the line before exp_alerts.
cases=$(awk '
  $1 == "alertname:" { name = $2 }
  $1 == "exp_alerts:" { print name, ($2 == "[]" ? "silent" : "fires") }
' "$here"/tests/*.yml | sort -u)

# runbook_url per alert, as written in rules.yml.
urls=$(awk '
  $1 == "-" && $2 == "alert:" { name = $3 }
  $1 == "runbook_url:" { print name, $2 }
' "$here/rules.yml")

for a in $alerts; do
  lower=$(tr '[:upper:]' '[:lower:]' <<<"$a")
  grep -qx "$a fires" <<<"$cases" || { echo "FAIL $a: no test case where it fires"; failed=1; }
  grep -qx "$a silent" <<<"$cases" || { echo "FAIL $a: no test case where it stays silent"; failed=1; }
  grep -qx "$a deploy/RUNBOOK.md#$lower" <<<"$urls" || { echo "FAIL $a: runbook_url is not deploy/RUNBOOK.md#$lower"; failed=1; }
  grep -qx "## $a" "$runbook" || { echo "FAIL $a: no section '## $a' in deploy/RUNBOOK.md"; failed=1; }
done

# Mutants: rules.yml with alert $1's expression replaced by $2.
mutate() {
  awk -v name="$1" -v repl="$2" '
    skipping {
      match($0, /^ */)
      if (RLENGTH > indent || $0 ~ /^[[:space:]]*$/) next
      skipping = 0
    }
    $1 == "-" && $2 == "alert:" { inrule = ($3 == name) }
    inrule && $1 == "expr:" {
      match($0, /^ */); indent = RLENGTH
      printf "%*sexpr: %s\n", indent, "", repl
      skipping = 1; inrule = 0; next
    }
    { print }
  ' "$here/rules.yml"
}
mkdir -p "$tmp/tests"
for a in $alerts; do
  files=$(grep -l "alertname: $a\$" "$here"/tests/*.yml || true)
  [ -n "$files" ] || continue
  for kind in never always; do
    if [ "$kind" = never ]; then expr='vector(1) == 2'; else expr='vector(1)'; fi
    mutate "$a" "$expr" >"$tmp/rules.yml"
    if cmp -s "$tmp/rules.yml" "$here/rules.yml" || ! promtool check rules "$tmp/rules.yml" >/dev/null 2>&1; then
      echo "FAIL $a: could not build the '$kind fires' mutant"
      failed=1
      continue
    fi
    rm -f "$tmp"/tests/*.yml
    cp $files "$tmp/tests/"
    if (cd "$tmp" && promtool test rules tests/*.yml >/dev/null 2>&1); then
      echo "FAIL $a: its tests pass even when the alert $kind fires"
      failed=1
    fi
  done
done

if [ "$failed" -ne 0 ]; then
  echo "check: deploy/prometheus FAILED"
  exit 1
fi
echo "check: deploy/prometheus ok ($(wc -w <<<"$alerts") alerts: each tested firing and silent, each with a runbook section; every alert's tests fail when it never or always fires)"
