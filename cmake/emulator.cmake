# Cross builds run their tests and tools under qemu-user (the toolchain files
# set SINKQ_QEMU). The emulated CPU has exactly the features the kernel family
# needs, so an instruction from a later extension traps instead of passing
# unnoticed: Cortex-A53 (Armv8.0, no dotprod) for neon, Cortex-A76 (dotprod,
# no i8mm) for neon-dotprod, Cortex-A15 (Armv7 NEON + VFPv4) for armv7-neon.
if(CMAKE_CROSSCOMPILING AND SINKQ_QEMU)
  set(SINKQ_QEMU_CPU "" CACHE STRING "qemu -cpu model for tests (empty: chosen by kernel family)")
  set(_cpu "${SINKQ_QEMU_CPU}")
  if(NOT _cpu)
    if(SINKQ_KERNEL_FAMILY STREQUAL "neon")
      set(_cpu cortex-a53)
    elseif(SINKQ_KERNEL_FAMILY STREQUAL "neon-dotprod")
      set(_cpu cortex-a76)
    elseif(SINKQ_KERNEL_FAMILY STREQUAL "armv7-neon")
      set(_cpu cortex-a15)
    else()
      set(_cpu ${SINKQ_QEMU_BASELINE_CPU})
    endif()
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SINKQ_QEMU} -cpu ${_cpu})
  string(JOIN " " _cmd ${CMAKE_CROSSCOMPILING_EMULATOR})
  message(STATUS "sinkq: tests run under ${_cmd}")

  # <build>/run-emulated runs one of this build's programs the way its tests
  # run: build/a64/run-emulated build/a64/tools/sinkq generate --model M.sqm
  file(WRITE ${CMAKE_BINARY_DIR}/run-emulated "#!/bin/sh\nexec ${_cmd} \"$@\"\n")
  file(CHMOD ${CMAKE_BINARY_DIR}/run-emulated
       PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                   WORLD_EXECUTE)
endif()
