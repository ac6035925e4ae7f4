#!/usr/bin/env bash
# The demo run by scripts/setup.sh: shows what the built tools do. Argument: the build directory.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
if [[ -x $build/bin/mig ]]; then
  echo "== mig --version"; "$build/bin/mig" --version
fi
echo "== demo done"
