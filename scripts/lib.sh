# Shared helpers for the host scripts (sourced, not run).
# KACTUS_HOST_STATE holds what setup-host.sh started (PID files, logs) so stop-host.sh stops
# exactly that and nothing else.
KACTUS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KACTUS_HOST_STATE=${KACTUS_HOST_STATE:-/run/kactus-host}

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# True when the Docker engine answers on its socket (a real request, not just the socket file).
docker_answers() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND until it succeeds or the deadline passes.
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  log "$what"
}

# as_root COMMAND...: runs COMMAND as root (through sudo when this shell is not root).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo --preserve-env=KACTUS_HOST_STATE "$@"; fi
}

# use_project_node: Node 24 (the LTS kactus runs on) first on PATH; scripts/node.sh.
source "$KACTUS_ROOT/scripts/node.sh"
