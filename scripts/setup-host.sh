#!/usr/bin/env bash
# Prepares this machine for kactus (idempotent; run as root): installs the Debian packages the
# project uses, starts dockerd when no engine answers (recording its PID for stop-host.sh), gets
# Node 24 (scripts/node.sh) and installs node_modules with it when they are missing or were
# installed from another lock or by another Node major.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# chromium: the browser tests of the web UI (test/ui/) drive Debian's Chromium through playwright-core.
# python3-kubernetes: test/clients/ runs Debian's Kubernetes Python client (with /usr/bin/python3) against kactus.
PACKAGES=(docker.io busybox-static etcd-server iproute2 nftables iptables ca-certificates chromium fonts-dejavu-core python3-kubernetes)

[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"
mkdir -p "$KACTUS_HOST_STATE"

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
# The end-to-end tests drive the real kubectl; Debian's kubernetes-client provides one when the
# machine has none of its own.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${PACKAGES[*]}"
fi

if docker_answers; then
  log "docker engine already answers; leaving it alone"
else
  log "starting dockerd (log: $KACTUS_HOST_STATE/dockerd.log)"
  # setsid: dockerd must outlive this script and not get the caller's terminal signals.
  setsid dockerd >"$KACTUS_HOST_STATE/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$KACTUS_HOST_STATE/dockerd.pid"
  wait_for 60 "dockerd is up (pid $(cat "$KACTUS_HOST_STATE/dockerd.pid"))" docker_answers \
    || { tail -n 20 "$KACTUS_HOST_STATE/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
fi

use_project_node
# What node_modules was installed from: the lock's hash and the Node major whose ABI the native
# add-ons (ssh2, cpu-features) were built for. Another lock or another Node means `npm ci` again.
stamp="$KACTUS_ROOT/node_modules/.kactus-installed"
want="$(sha256sum "$KACTUS_ROOT/package-lock.json" | cut -d' ' -f1) node$(node_major node)"
if [[ -L "$KACTUS_ROOT/node_modules" ]]; then
  # A worktree borrowing another checkout's node_modules: `npm ci` would empty the other one.
  log "node_modules is a symlink (to $(readlink "$KACTUS_ROOT/node_modules")); leaving it alone"
elif [[ ! -d "$KACTUS_ROOT/node_modules" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  # The lock lists every platform's optional packages (msgpackr-extract's), so `npm ci` installs
  # exactly what it pins and never rewrites it.
  log "installing node_modules with Node $(node --version) (npm ci from package-lock.json)"
  (cd "$KACTUS_ROOT" && npm ci --no-audit --no-fund)
  echo "$want" >"$stamp"
else
  log "node_modules installed from this lock with Node $(node --version)"
fi
log "host ready"
