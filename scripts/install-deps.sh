#!/usr/bin/env bash
# Installs everything the build, the tests and the cross-target jobs need, from
# Debian's package registry (Debian 12).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  ca-certificates cmake make g++ binutils python3 \
  libgtest-dev libgmock-dev googletest libbenchmark-dev \
  clang-14 libclang-rt-14-dev \
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf \
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib \
  qemu-user qemu-system-arm >/dev/null
echo "dependencies installed"
