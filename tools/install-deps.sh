#!/usr/bin/env bash
# Installs the Debian 12 packages the build and tests need, if any are missing.
# Never installs libboost-dev/libboost-all-dev (they pull Boost 1.74; we use 1.81).
set -euo pipefail
PKGS=(build-essential cmake ninja-build ccache pkg-config python3
      libboost1.81-dev libsimdjson-dev libprotobuf-dev protobuf-compiler
      libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libedit-dev libcli11-dev
      libzstd-dev zlib1g-dev libssl-dev libcurl4-openssl-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      curl wrk tmux iproute2 iptables)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
