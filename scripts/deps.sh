#!/usr/bin/env bash
# Installs the Debian packages OpenMIG needs to build and test, if any are missing.
# Runs apt-get update once, and only when something has to be installed.
set -euo pipefail
packages=(build-essential cmake bison flex pkg-config libcmocka-dev clang libclang-rt-14-dev
          valgrind libtirpc-dev rpcsvc-proto hyperfine man-db groff-base
          libsystemd-dev) # libsystemd-dev: sd-bus, for bench_machd's comparison row only
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi
