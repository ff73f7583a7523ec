#!/usr/bin/env bash
# Stops what setup-host.sh started (by the PID it recorded), nothing else. Idempotent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pidfile="$KACTUS_HOST_STATE/dockerd.pid"
[[ -f "$pidfile" ]] || { log "nothing to stop"; exit 0; }
pid=$(cat "$pidfile")
# The PID may have been reused since: only signal it if it is still that dockerd.
if [[ -r /proc/$pid/comm && $(cat "/proc/$pid/comm") == dockerd ]]; then
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  gone() { [[ ! -e /proc/$pid ]]; }
  wait_for 30 "dockerd stopped" gone || { log "dockerd ignored SIGTERM for 30 s; killing it"; kill -KILL "$pid"; }
fi
rm -f "$pidfile"
