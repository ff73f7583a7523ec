#!/usr/bin/env bash
# Runs a command with the project's Node (>= 24, scripts/node.sh) first on PATH, e.g.
# `scripts/with-node.sh node bin/kactus.js get pods` or `scripts/with-node.sh npx vitest run src/api`.
# The npm scripts that start Node (bench, test:fault, test:security) go through it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
use_project_node
exec "$@"
