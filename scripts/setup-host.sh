#!/usr/bin/env bash
# Prepares this machine for kactus (idempotent; run as root): installs the Debian packages the
# project uses, starts dockerd when no engine answers (recording its PID for stop-host.sh), and
# installs node_modules when they are missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# chromium: the browser tests of the web UI (test/ui/) drive Debian's Chromium through playwright-core.
PACKAGES=(docker.io busybox-static etcd-server iproute2 nftables iptables ca-certificates chromium fonts-dejavu-core)

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

if [[ ! -d "$KACTUS_ROOT/node_modules" ]]; then
  # The lock lists every platform's optional packages (msgpackr-extract's), so `npm ci` installs
  # exactly what it pins and never rewrites it.
  log "installing node_modules (npm ci from package-lock.json)"
  (cd "$KACTUS_ROOT" && npm ci --no-audit --no-fund)
fi
log "host ready"
