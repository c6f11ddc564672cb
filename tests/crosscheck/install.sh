#!/usr/bin/env bash
# Installs what the cross-checks in tests/crosscheck need, idempotently: tshark and Kannel
# (Debian packages), node/npm when absent, and the npm `smpp` package pinned by
# npm/package-lock.json (into npm/node_modules, which git ignores). When everything is
# there it only checks and returns. Run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")"

packages=(tshark kannel curl)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "crosscheck install: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the answer does not matter here.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

want=$(node -p "require('./npm/package-lock.json').packages['node_modules/smpp'].version")
have=$(node -p "try { require('./npm/node_modules/smpp/package.json').version } catch (e) { '' }")
if [ "$want" != "$have" ]; then
  echo "crosscheck install: npm smpp@$want"
  (cd npm && npm ci --no-audit --no-fund --loglevel=error)
fi
