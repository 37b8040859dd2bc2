#!/usr/bin/env bash
# Sets up a fresh Debian machine for building and testing iptables Lens: the Debian packages the tests use
# as real parts (iptables and iproute2 for network namespaces, etcd for the real kube-apiserver, openssl for
# its certificates, Chromium for the editor tests), the npm dependencies, and the VS Code server the
# end-to-end suite runs in. Idempotent: a second run on a set-up machine only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(iptables iproute2 etcd-server openssl ca-certificates)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" = "0" ] || SUDO="sudo"
  echo "[setup] apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "[setup] npm ci"
npm ci --no-audit --no-fund

echo "[setup] VS Code server and Chromium for the end-to-end suite"
bash scripts/e2e/install.sh
