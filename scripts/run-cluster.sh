#!/usr/bin/env bash
# Sets up the host (through sudo when not root) and runs a one-machine cluster in the foreground,
# as the calling user, until Ctrl-C.
# Arguments go to `kactus up` (default data dir ~/.kactus, port 6443).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
use_project_node

as_root bash "$KACTUS_ROOT/scripts/setup-host.sh"
as_root bash "$KACTUS_ROOT/scripts/build-images.sh"
bash "$KACTUS_ROOT/scripts/build-ui.sh"
exec node "$KACTUS_ROOT/bin/kactus.js" up "$@"
