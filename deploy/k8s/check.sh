#!/usr/bin/env bash
# Offline check of deploy/k8s (ctest -L deploy runs it):
#   1. `kubectl kustomize` renders every overlay in overlays/;
#   2. validate/validate.js checks every rendered object (schemas, unknown fields,
#      bulkd's rules: see the head of validate.js);
#   3. every fixture in validate/fixtures/ (an overlay with one deliberate mistake)
#      renders and is refused, with the message in its `expect` file.
#
#   bash deploy/k8s/check.sh [WORK_DIR]
#
# WORK_DIR (default deploy/k8s/validate) receives node_modules from `npm ci` of
# validate/package-lock.json (run again when the lock file changes) and the renders.
# Needs kubectl with `kustomize` (Debian 12: kubernetes-client), node and npm
# (scripts/setup.sh installs them). KUBECTL=/path/to/kubectl picks another kubectl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mkdir -p "${1:-$here/validate}" && cd "${1:-$here/validate}" && pwd)
kubectl=${KUBECTL:-kubectl}

for tool in "$kubectl" node npm; do
  command -v "$tool" >/dev/null || { echo "check: $tool not found (bash scripts/setup.sh installs it)" >&2; exit 1; }
done
"$kubectl" kustomize --help >/dev/null 2>&1 || { echo "check: $kubectl has no kustomize command" >&2; exit 1; }
echo "check: $("$kubectl" version --client 2>/dev/null | head -1), node $(node --version)"

# The validator's packages, exactly as locked.
stamp="$work/node_modules/.bulkd-lock-sha256"
want=$(sha256sum "$here/validate/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if [ "$work" != "$here/validate" ]; then
    cp "$here/validate/package.json" "$here/validate/package-lock.json" "$work/"
  fi
  echo "check: npm ci in $work"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

renders="$work/renders"
rm -rf "$renders" && mkdir -p "$renders"
render() {  # name dir: renders dir into $renders/name.yaml
  if ! "$kubectl" kustomize "$2" >"$renders/$1.yaml" 2>"$renders/$1.err"; then
    echo "FAIL $1: kubectl kustomize $2"
    cat "$renders/$1.err"
    return 1
  fi
}

failed=0
args=()
for dir in "$here"/overlays/*/; do
  name=$(basename "$dir")
  render "$name" "$dir" || { failed=1; continue; }
  args+=("$name=$renders/$name.yaml")
done
if [ ${#args[@]} -gt 0 ]; then
  node "$here/validate/validate.js" --work "$work" --repo "$repo" "${args[@]}" || failed=1
fi

fixtures=0
for dir in "$here"/validate/fixtures/*/; do
  name=fixture-$(basename "$dir")
  fixtures=$((fixtures + 1))
  render "$name" "$dir" || { failed=1; continue; }
  expect=$(cat "$dir/expect")
  if out=$(node "$here/validate/validate.js" --work "$work" --repo "$repo" "$name=$renders/$name.yaml"); then
    echo "FAIL $name: a deliberately broken render passed validation"
    failed=1
  elif ! grep -qF -- "$expect" <<<"$out"; then
    echo "FAIL $name: refused, but not with \"$expect\":"
    echo "$out"
    failed=1
  else
    echo "ok $name refused: $(grep -F -- "$expect" <<<"$out" | head -1)"
  fi
done
[ "$fixtures" -gt 0 ] || { echo "FAIL no fixtures in validate/fixtures"; failed=1; }

if [ "$failed" -ne 0 ]; then
  echo "check: deploy/k8s FAILED"
  exit 1
fi
echo "check: deploy/k8s ok (${#args[@]} overlays valid, $fixtures broken fixtures refused)"
