# 32-bit Armv7-A Linux, hard-float ABI, with Debian's cross compiler
# (g++-arm-linux-gnueabihf); tests and tools run under qemu-user. Use:
#   cmake -S . -B build/armv7 -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake \
#         -DSINKQ_KERNELS=armv7-neon|auto
# Debian's armhf baseline (Armv7-A, VFPv3-D16, Thumb-2) has no NEON, so auto
# picks ref; the armv7-neon family adds -mfpu=neon-vfpv4 to the library only.
# The emulated CPU follows the family (cmake/emulator.cmake); override it with
# -DSINKQ_QEMU_CPU=<model>.
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(SINKQ_TRIPLE arm-linux-gnueabihf)
set(SINKQ_QEMU_BINARY qemu-arm)
# Armv7-A with NEON and VFPv4, no Armv8 instructions.
set(SINKQ_QEMU_BASELINE_CPU cortex-a15)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
