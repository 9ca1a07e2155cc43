# AArch64 Linux with Debian's cross compiler (g++-aarch64-linux-gnu); tests and
# tools run under qemu-user. Use:
#   cmake -S . -B build/a64 -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake \
#         -DSINKQ_KERNELS=neon|neon-dotprod|auto
# The emulated CPU follows the kernel family (cmake/emulator.cmake); override
# it with -DSINKQ_QEMU_CPU=<model>.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(SINKQ_TRIPLE aarch64-linux-gnu)
set(SINKQ_QEMU_BINARY qemu-aarch64)
# Armv8.0-A with Advanced SIMD and nothing later (no dotprod, no i8mm).
set(SINKQ_QEMU_BASELINE_CPU cortex-a53)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
