# Resolves SINKQ_KERNELS to one family and the compile flags its sources need.
# Sets SINKQ_KERNEL_FAMILY, SINKQ_KERNEL_SOURCES and SINKQ_KERNEL_FLAGS.
include(CheckCXXSourceCompiles)

# True if the target compiler, with the toolchain's flags, predefines `macro`.
function(sinkq_target_defines macro out)
  string(MAKE_C_IDENTIFIER "SINKQ_TARGET_HAS_${macro}" var)
  check_cxx_source_compiles("#if !defined(${macro})\n#error no\n#endif\nint main() { return 0; }"
                            ${var})
  set(${out} ${${var}} PARENT_SCOPE)
endfunction()

set(_family "${SINKQ_KERNELS}")
if(_family STREQUAL "auto")
  set(_family "ref")
  sinkq_target_defines(__aarch64__ _a64)
  sinkq_target_defines(__arm__ _arm32)
  if(_a64)
    sinkq_target_defines(__ARM_FEATURE_DOTPROD _dotprod)
    if(_dotprod)
      set(_family "neon-dotprod")
    else()
      set(_family "neon")
    endif()
  elseif(_arm32)
    sinkq_target_defines(__ARM_NEON _neon)
    if(_neon)
      set(_family "armv7-neon")
    endif()
  endif()
endif()

set(SINKQ_KERNEL_SOURCES "")
set(SINKQ_KERNEL_FLAGS "")
set(_neon ${CMAKE_SOURCE_DIR}/kernels_neon)
if(_family STREQUAL "ref")
  list(APPEND SINKQ_KERNEL_SOURCES ${CMAKE_SOURCE_DIR}/lib/src/kernels_ref_family.cpp)
elseif(_family MATCHES "^neon(-dotprod)?$")
  sinkq_target_defines(__aarch64__ _a64)
  if(NOT _a64)
    message(FATAL_ERROR "sinkq: kernel family '${_family}' needs an AArch64 target "
                        "(e.g. -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake)")
  endif()
  # Advanced SIMD is part of every AArch64 target: the baseline needs no flag.
  list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_f32_a64.cpp ${_neon}/quant_neon.cpp)
  if(_family STREQUAL "neon-dotprod")
    list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_s8_sdot.cpp)
    set(SINKQ_KERNEL_FLAGS -march=armv8.2-a+dotprod)
  else()
    list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_s8_smull.cpp)
  endif()
elseif(_family STREQUAL "armv7-neon")
  sinkq_target_defines(__arm__ _arm32)
  if(NOT _arm32)
    message(FATAL_ERROR "sinkq: kernel family 'armv7-neon' needs a 32-bit Arm target "
                        "(e.g. -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake)")
  endif()
  list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_f32_vfp.cpp ${_neon}/quant_neon.cpp
       ${_neon}/gemm_s8_smull.cpp)
  # NEON with VFPv4 (Cortex-A7/A15 and later); the hard-float ABI is what
  # Debian's armhf userland uses, so the library links with it unchanged.
  set(SINKQ_KERNEL_FLAGS -mfpu=neon-vfpv4 -mfloat-abi=hard)
else()
  message(FATAL_ERROR "sinkq: unknown kernel family '${SINKQ_KERNELS}'")
endif()

set(SINKQ_KERNEL_FAMILY "${_family}")
message(STATUS "sinkq: kernel family ${SINKQ_KERNEL_FAMILY}")
