#!/usr/bin/env bash
# `npm run test:fault [-- --long] [VITEST_ARGS…]`: the fault-injection runs (test/fault/,
# vitest.fault.config.ts) with their figures (scripts/test-with-figures.sh). Short by default
# (minutes); `--long` sets KACTUS_FAULT_LONG=1: the fault run's ≥ 100 random faults over 10
# minutes (test/fault/fault-run.test.ts). Needs root, etcd and the host set up (setup-host.sh).
set -euo pipefail
args=()
for a in "$@"; do
  if [[ $a == --long ]]; then export KACTUS_FAULT_LONG=1; else args+=("$a"); fi
done
exec bash "$(dirname "$0")/test-with-figures.sh" vitest.fault.config.ts "${args[@]}"
