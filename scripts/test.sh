#!/usr/bin/env bash
# Every test job: the host build (reference kernels), the sanitizer build, and
# the kernel-family and cross-target jobs as they exist. Fails on the first
# failing job. Needs scripts/install-deps.sh (CI runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
JOBS=$(nproc)
if [ ! -f "$SHARED/models/stories260K.bin" ]; then
  echo "error: $SHARED/models/stories260K.bin is missing (set SINKQ_SHARED_DIR)" >&2
  exit 1
fi

run_job() {  # name, build dir, extra cmake args...
  local name=$1 dir=$2
  shift 2
  echo "=== $name"
  cmake -S . -B "$dir" -DSINKQ_SHARED_DIR="$SHARED" -DSINKQ_BUILD_BENCH=OFF "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
  (cd "$dir" && ctest -j"$JOBS" --output-on-failure --timeout 600 ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"})
}

run_job "host, reference kernels" build/test-ref -DCMAKE_BUILD_TYPE=Release -DSINKQ_KERNELS=ref
run_job "host, ASan + UBSan" build/test-asan -DCMAKE_BUILD_TYPE=Debug -DSINKQ_SANITIZE=ON \
  -DSINKQ_KERNELS=ref
# Arm Linux: each family cross-compiled and its whole suite run under
# qemu-user on a CPU model with exactly the family's features (Cortex-A53: no
# dotprod; Cortex-A76: dotprod, no i8mm; Cortex-A15: Armv7 NEON), then the
# cross-built `sinkq` must print the host's generate text and digests
# (scripts/cross_check.sh). About 2.5 minutes per family on 2 cores. Filtered
# under emulation, for time only: Calibrate.* (the host-side calibration tool,
# which runs on the build machine, not on boards; its forward passes are the
# library's, covered by the end-to-end tests and the cross check), and on
# AArch64 the 800-round loader corruption test (same 64-bit sizes as the host;
# it does run on Armv7, where size arithmetic is 32-bit).
arm_job() {  # name, build dir, toolchain, family, extra ctest exclusions
  CTEST_EXCLUDE="^Calibrate\\.${5:+|$5}" run_job "$1" "$2" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="toolchains/$3.cmake" -DSINKQ_KERNELS="$4" -DSINKQ_QEMU_CPU=
  echo "=== $1: same output as the host"
  scripts/cross_check.sh build/test-ref "$2"
}
corruption="^ModelLoad\\.SurvivesRandomCorruption"
arm_job "aarch64, neon kernels (qemu)" build/test-a64-neon aarch64-linux-gnu neon "$corruption"
arm_job "aarch64, neon-dotprod kernels (qemu)" build/test-a64-dotprod aarch64-linux-gnu \
  neon-dotprod "$corruption"
arm_job "armhf, armv7-neon kernels (qemu)" build/test-armv7-neon arm-linux-gnueabihf armv7-neon
echo "=== all test jobs passed"
