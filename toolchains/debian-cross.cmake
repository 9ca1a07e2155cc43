# Shared by the Arm Linux toolchain files: Debian's cross compiler for
# SINKQ_TRIPLE, its sysroot under /usr/<triple>, and qemu-user to run the
# results. SINKQ_QEMU is the emulator without a CPU model; cmake/emulator.cmake
# adds the model the kernel family needs.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${SINKQ_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${SINKQ_TRIPLE}-g++)

set(CMAKE_FIND_ROOT_PATH /usr/${SINKQ_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -L: the target's dynamic loader and libraries live in the cross sysroot.
set(SINKQ_QEMU ${SINKQ_QEMU_BINARY} -L /usr/${SINKQ_TRIPLE})
set(CMAKE_CROSSCOMPILING_EMULATOR ${SINKQ_QEMU} -cpu ${SINKQ_QEMU_BASELINE_CPU})
