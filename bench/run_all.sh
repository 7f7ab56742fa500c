#!/usr/bin/env bash
# Runs every benchmark that has a runner; see docs/benchmarks.md for the recorded figures.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 bench/http/http_bench.py "$@"
