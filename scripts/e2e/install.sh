#!/usr/bin/env bash
# Installs what the end-to-end suite needs, idempotently: Debian's chromium, ripgrep and the headers
# node-pty builds against, and the VS Code server shipped inside npm's code-server@4.100.3 (VS Code 1.100.3,
# the last release that runs on Node 20), into a cache folder outside the repository.
# A second run on a warm machine does nothing and takes about a second.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
CACHE_DIR="${IPTABLES_LENS_E2E_CACHE:-${HOME:-/root}/.cache/iptables-lens-e2e}"
PREFIX="$CACHE_DIR/code-server-$CODE_SERVER_VERSION"
SERVER_MAIN="$PREFIX/node_modules/code-server/lib/vscode/out/server-main.js"
MARKER="$PREFIX/.installed"

log() { printf '[e2e-install] %s\n' "$*"; }

need_apt=()
# etcd-server: the real Kubernetes API server the dev pass's Services view reads (test/support/apiserver.ts).
for pkg in chromium libkrb5-dev pkg-config ripgrep etcd-server; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    need_apt+=("$pkg")
  fi
done
if ((${#need_apt[@]})); then
  log "apt-get install ${need_apt[*]}"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  apt_log="$(mktemp)"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    exit 1
  fi
  rm -f "$apt_log"
else
  log "apt packages present"
fi

if [ -f "$MARKER" ] && [ -f "$SERVER_MAIN" ]; then
  log "code-server $CODE_SERVER_VERSION present in $PREFIX"
  exit 0
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here; it first looks for a
# cached tarball in the temp folder, so put Debian's rg there under the name it expects.
TMP="${TMPDIR:-/tmp}"
RG_CACHE="$TMP/vscode-ripgrep-cache-1.15.11"
RG_TARBALL="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$RG_TARBALL" ]; then
  log "pre-seeding ripgrep cache at $RG_TARBALL"
  mkdir -p "$RG_CACHE"
  staging="$(mktemp -d)"
  cp /usr/bin/rg "$staging/rg"
  tar -czf "$RG_TARBALL" -C "$staging" rg
  rm -rf "$staging"
fi

log "npm install code-server@$CODE_SERVER_VERSION into $PREFIX (takes 2-3 minutes)"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
echo '{"name":"iptables-lens-e2e-cache","private":true}' >"$PREFIX/package.json"
start=$(date +%s)
(
  cd "$PREFIX"
  npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
)
if [ ! -f "$SERVER_MAIN" ]; then
  log "install finished but $SERVER_MAIN is missing" >&2
  exit 1
fi
date -u +%FT%TZ >"$MARKER"
log "installed in $(($(date +%s) - start)) s"
