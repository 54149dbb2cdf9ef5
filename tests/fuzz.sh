#!/usr/bin/env bash
# The long fuzzing run: every parser of untrusted input, side by side, for
# SVCQ_FUZZ_SECONDS (default 600); prints the cases run and the failures.
set -euo pipefail
cd "$(dirname "$0")/.."
export SVCQ_FUZZ_SECONDS="${SVCQ_FUZZ_SECONDS:-600}"
cargo test --locked --test fuzz -- --nocapture --test-threads 4 2>&1 | grep -E "^fuzz |test result|panicked"
