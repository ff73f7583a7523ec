#!/usr/bin/env bash
# Sets up the host (through sudo when not root), builds the images, then runs typecheck, lint and the vitest suite,
# and prints one closing line `N passed, N failed` (a failed typecheck or lint counts as one
# failure each). Stops whatever setup-host.sh started, always. Extra arguments go to vitest
# (e.g. `scripts/run-tests.sh src/cli`). .ci/run runs exactly this.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$KACTUS_ROOT"
# Tests that need Docker, etcd or root skip locally when those are missing; here they must run,
# so a host that lacks them fails instead of passing with tests quietly skipped.
export CI=true
# Node 24 first on PATH for everything below (npm ci, tsc, eslint, vitest and what vitest spawns).
use_project_node
log "node $(node --version) ($(command -v node))"

REPORT=${KACTUS_TEST_REPORT:-$KACTUS_ROOT/test-results/vitest.json}
summary_printed=0

finish() {
  local rc=$?
  as_root bash "$KACTUS_ROOT/scripts/stop-host.sh" || log "stop-host failed"
  if ((summary_printed == 0)); then
    log "setup failed before the tests ran"
    echo "0 passed, 1 failed"
    rc=1
  fi
  exit "$rc"
}
trap finish EXIT

as_root bash scripts/setup-host.sh
as_root bash scripts/build-images.sh
bash scripts/build-ui.sh

check_failures=0
log "typecheck"
# The browser code (web/) has its own project: DOM types, no Node types.
{ npx tsc --noEmit -p . && npx tsc --noEmit -p web; } || { log "typecheck FAILED"; check_failures=$((check_failures + 1)); }
log "lint"
npx eslint . || { log "lint FAILED"; check_failures=$((check_failures + 1)); }

mkdir -p "$(dirname "$REPORT")"
rm -f "$REPORT"
vitest_rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" || vitest_rc=$?

counts=$(node -e '
  const fs = require("node:fs");
  const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} ${r.numFailedTests} ${r.numTotalTests} ${r.numPendingTests + r.numTodoTests}`);
' "$REPORT" 2>/dev/null) || counts="0 0 0 0"
read -r passed failed total skipped <<<"$counts"
failed=$((failed + check_failures))
# vitest failing without a failed test (a file that did not load) or running no test is a failure too.
if ((vitest_rc != 0 && failed == 0)) || ((total == 0)); then failed=$((failed + 1)); fi

summary_printed=1
trap - EXIT
as_root bash "$KACTUS_ROOT/scripts/stop-host.sh" || log "stop-host failed"
# The skipped count on its own line: CI reads the last line, which stays `N passed, N failed`.
echo "$skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
