#!/usr/bin/env bash
# `npm run test:security`: runs the security tests (test/security/, issue 15) and prints the
# figures they recorded (test/security/figures.ts), one `figure: LABEL: VALUE` line each, then
# `N skipped` and the closing line `N passed, N failed`. It does not set up or stop the host
# (Docker, etcd): run it where the suite runs. Extra arguments go to vitest.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$KACTUS_ROOT"

work=$(mktemp -d "${TMPDIR:-/tmp}/kactus-security-XXXXXX")
trap 'rm -rf "$work"' EXIT
export KACTUS_SECURITY_FIGURES="$work/figures.jsonl"
: >"$KACTUS_SECURITY_FIGURES"

vitest_rc=0
npx vitest run test/security --reporter=default --reporter=json --outputFile.json="$work/vitest.json" "$@" || vitest_rc=$?

echo
echo "security figures:"
node -e '
  const fs = require("node:fs");
  const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  if (lines.length === 0) console.log("  (no figure recorded)");
  for (const line of lines) {
    const { label, value } = JSON.parse(line);
    console.log(`figure: ${label}: ${value}`);
  }
' "$KACTUS_SECURITY_FIGURES"

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
