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
  local start=$SECONDS
  echo "=== $name"
  cmake -S . -B "$dir" -DSINKQ_SHARED_DIR="$SHARED" -DSINKQ_BUILD_BENCH=OFF "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
  (cd "$dir" && ctest -j"$JOBS" --output-on-failure --timeout 600 ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"})
  echo "--- $name: $((SECONDS - start)) s (total $SECONDS s)"
}

run_job "host, reference kernels" build/test-ref -DCMAKE_BUILD_TYPE=Release -DSINKQ_KERNELS=ref
# The installed CMake package (a few seconds): `cmake --install` into a
# temporary prefix, tests/package (outside the tree) uses find_package(sinkq)
# and the C API, and must print the same story as `sinkq generate`.
echo "=== installed package: find_package(sinkq) from tests/package"
scripts/package_check.sh build/test-ref
# Bare-metal Cortex-M55 (about half a minute): the firmware demo cross-built
# with toolchains/arm-none-eabi.cmake (reference kernels, the W8A8 + 4-bit KV
# + KVSink stories260K image in flash) runs under qemu-system-arm -M
# mps3-an547 with a time limit; its story must equal the host build's
# `sinkq generate` byte for byte. Prints flash, RAM and cycles/token.
echo "=== Cortex-M55 firmware under qemu-system-arm (mps3-an547)"
scripts/firmware.sh build/test-ref build/test-m55
run_job "host, ASan + UBSan" build/test-asan -DCMAKE_BUILD_TYPE=Debug -DSINKQ_SANITIZE=ON \
  -DSINKQ_KERNELS=ref
# x86 SIMD families (about 1.5 minutes together on 2 cores): the AVX2 build
# runs the whole suite and must print the reference build's digests; the
# AVX-512 VNNI build is compiled, and its equivalence tests run where the CPU
# has the instructions (they skip loudly elsewhere; so would everything else).
if [ "$(uname -m)" = x86_64 ]; then
  run_job "host, avx2 kernels" build/test-avx2 -DCMAKE_BUILD_TYPE=Release -DSINKQ_KERNELS=avx2
  echo "=== digests: reference kernels vs avx2 kernels"
  scripts/digest_check.sh build/test-ref build/test-avx2
  if grep -q avx512_vnni /proc/cpuinfo && grep -q avx512bw /proc/cpuinfo; then
    run_job "host, avx512vnni kernels" build/test-avx512vnni -DCMAKE_BUILD_TYPE=Release \
      -DSINKQ_KERNELS=avx512vnni
    scripts/digest_check.sh build/test-ref build/test-avx512vnni
  else
    echo "=== host, avx512vnni kernels: compile only, this CPU lacks AVX-512 VNNI"
    cmake -S . -B build/test-avx512vnni -DSINKQ_SHARED_DIR="$SHARED" -DSINKQ_BUILD_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=Release -DSINKQ_KERNELS=avx512vnni >/dev/null
    cmake --build build/test-avx512vnni -j"$JOBS"
    build/test-avx512vnni/tests/sinkq_tests --gtest_filter='KernelsEquivalence.*:KernelFamily.*'
  fi
fi
# libFuzzer over the loader, the tokenizer and the converter's readers, from
# generated seeds, 10^5 executions in all (fuzz/CMakeLists.txt), about 3 min.
run_job "fuzz (libFuzzer, ASan + UBSan)" build/test-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DSINKQ_FUZZ=ON -DSINKQ_BUILD_TESTS=OFF \
  -DSINKQ_KERNELS=ref
# Arm Linux: each family cross-compiled and its whole suite run under
# qemu-user on a CPU model with exactly the family's features (Cortex-A53: no
# dotprod; Cortex-A76: dotprod, no i8mm; Cortex-A15: Armv7 NEON), then the
# cross-built `sinkq` must print the host's generate text and digests
# (scripts/digest_check.sh runs it through <build>/run-emulated). About 2
# minutes per family on 2 cores. Filtered under emulation, for time only:
# Calibrate.* (the host-side calibration tool, which runs on the build machine,
# not on boards; its forward passes are the library's, covered by the
# end-to-end tests and the digests), and on AArch64 the 800-round loader
# corruption test (same 64-bit sizes as the host; it does run on Armv7, where
# size arithmetic is 32-bit).
arm_job() {  # name, build dir, toolchain, family, extra ctest exclusions
  CTEST_EXCLUDE="^Calibrate\\.${5:+|$5}" run_job "$1" "$2" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="toolchains/$3.cmake" -DSINKQ_KERNELS="$4" -DSINKQ_QEMU_CPU=
  echo "=== $1: same output as the host"
  scripts/digest_check.sh build/test-ref "$2"
}
corruption="^ModelLoad\\.SurvivesRandomCorruption"
arm_job "aarch64, neon kernels (qemu)" build/test-a64-neon aarch64-linux-gnu neon "$corruption"
arm_job "aarch64, neon-dotprod kernels (qemu)" build/test-a64-dotprod aarch64-linux-gnu \
  neon-dotprod "$corruption"
arm_job "armhf, armv7-neon kernels (qemu)" build/test-armv7-neon arm-linux-gnueabihf armv7-neon
echo "=== all test jobs passed in $SECONDS s"
