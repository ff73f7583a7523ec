#!/usr/bin/env bash
# test-with-figures.sh CONFIG_OR_- VITEST_ARGS…: runs vitest (with `--config CONFIG` unless `-`)
# with KACTUS_FIGURES set to a temp file (test/support/figures.ts appends each figure a test
# measured), then prints a line per figure (`figure: LABEL: VALUE`), `N skipped` and the closing
# line `N passed, N failed` counted from vitest's JSON report. `npm run test:security` and
# `npm run test:fault` run through it. It does not set up or stop the host (Docker, etcd).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$KACTUS_ROOT"

config=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/kactus-figures-XXXXXX")
trap 'rm -rf "$work"' EXIT
export KACTUS_FIGURES="$work/figures.jsonl"
: >"$KACTUS_FIGURES"

args=()
[[ $config != - ]] && args+=(--config "$config")
vitest_rc=0
npx vitest run "${args[@]}" --reporter=default --reporter=json --outputFile.json="$work/vitest.json" "$@" || vitest_rc=$?

echo
echo "figures:"
node -e '
  const fs = require("node:fs");
  const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  if (lines.length === 0) console.log("  (no figure recorded)");
  for (const line of lines) {
    const { label, value } = JSON.parse(line);
    console.log(`figure: ${label}: ${value}`);
  }
' "$KACTUS_FIGURES"

counts=$(node -e '
  const fs = require("node:fs");
  const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} ${r.numFailedTests} ${r.numTotalTests} ${r.numPendingTests + r.numTodoTests}`);
' "$work/vitest.json" 2>/dev/null) || counts="0 0 0 0"
read -r passed failed total skipped <<<"$counts"
# vitest failing without a failed test (a file that did not load) or running no test is a failure too.
if ((vitest_rc != 0 && failed == 0)) || ((total == 0)); then failed=$((failed + 1)); fi
echo "$skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
