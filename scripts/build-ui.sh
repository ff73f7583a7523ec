#!/usr/bin/env bash
# Builds the web dashboard (web/ -> web/dist/, served at /ui/) with esbuild from node_modules.
# Run after setup-host.sh (which installs node_modules); the output is not committed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$KACTUS_ROOT"
use_project_node
log "building the web UI into web/dist"
node --import tsx scripts/build-ui.ts
