#!/usr/bin/env bash
# Installs the benchmark peer only: Debian's go-dqlite (dqlite-demo, dqlite-benchmark, dqlite).
# Optional: the build and the test suite never need it; bench/cluster/cluster_bench.py does.
set -euo pipefail
if dpkg-query -W -f='${Status}' go-dqlite 2>/dev/null | grep -q "install ok installed"; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends go-dqlite
