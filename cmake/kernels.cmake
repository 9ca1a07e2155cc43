# Resolves SINKQ_KERNELS to one family and the compile flags its sources need.
# Sets SINKQ_KERNEL_FAMILY, SINKQ_KERNEL_SOURCES and SINKQ_KERNEL_FLAGS (the
# flags apply to the family's sources only, see lib/CMakeLists.txt).
include(CheckCXXSourceCompiles)

# True when `condition` (a preprocessor expression) holds for the target under
# the current compiler flags, e.g. "defined(__AVX2__)". `extra_flags` are
# added for this check only.
function(sinkq_target_has var condition extra_flags)
  set(CMAKE_REQUIRED_FLAGS "${extra_flags}")
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # no link: bare-metal targets too
  check_cxx_source_compiles("#if !(${condition})\n#error no\n#endif\nint sinkq_probe;\n" ${var})
endfunction()

set(_family "${SINKQ_KERNELS}")
if(_family STREQUAL "auto")
  # The most capable family the target's predefined macros allow, decided at
  # build time (no runtime probing): a toolchain or CMAKE_CXX_FLAGS with
  # -mavx2 or -march=... chooses; the first match below wins.
  sinkq_target_has(SINKQ_TARGET_AVX512VNNI
    "defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)" "")
  sinkq_target_has(SINKQ_TARGET_AVX2 "defined(__AVX2__)" "")
  if(SINKQ_TARGET_AVX512VNNI)
    set(_family "avx512vnni")
  elseif(SINKQ_TARGET_AVX2)
    set(_family "avx2")
  endif()
endif()
if(_family STREQUAL "auto" AND NOT CMAKE_CROSSCOMPILING
   AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  # A native x86-64 build without -m flags: use what the build machine's CPU
  # has (-march=native as the compiler sees it). The binaries then need that
  # CPU; choose SINKQ_KERNELS explicitly to build for other machines.
  sinkq_target_has(SINKQ_NATIVE_AVX512VNNI
    "defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)" "-march=native")
  sinkq_target_has(SINKQ_NATIVE_AVX2 "defined(__AVX2__)" "-march=native")
  if(SINKQ_NATIVE_AVX512VNNI)
    set(_family "avx512vnni")
  elseif(SINKQ_NATIVE_AVX2)
    set(_family "avx2")
  endif()
endif()
if(_family STREQUAL "auto")
  # Arm: AArch64 always has Advanced SIMD; the dot-product extension and
  # 32-bit NEON only where the toolchain flags enable them (-march=...+dotprod,
  # -mfpu=neon...).
  sinkq_target_has(SINKQ_TARGET_AARCH64 "defined(__aarch64__)" "")
  sinkq_target_has(SINKQ_TARGET_DOTPROD "defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)" "")
  sinkq_target_has(SINKQ_TARGET_ARMV7_NEON
    "defined(__arm__) && defined(__ARM_NEON) && __ARM_ARCH >= 7 && !defined(__ARM_ARCH_ISA_A64)" "")
  if(SINKQ_TARGET_DOTPROD)
    set(_family "neon-dotprod")
  elseif(SINKQ_TARGET_AARCH64)
    set(_family "neon")
  elseif(SINKQ_TARGET_ARMV7_NEON)
    set(_family "armv7-neon")
  endif()
endif()
if(_family STREQUAL "auto")
  set(_family "ref")
endif()

set(SINKQ_KERNEL_SOURCES "")
set(SINKQ_KERNEL_FLAGS "")
set(SINKQ_KERNEL_HAS_PACKED OFF)  # a family with its own packed KV kernels sets it
set(_x86 ${CMAKE_SOURCE_DIR}/kernels_x86)
set(_neon ${CMAKE_SOURCE_DIR}/kernels_neon)
if(_family STREQUAL "ref")
  list(APPEND SINKQ_KERNEL_SOURCES ${CMAKE_SOURCE_DIR}/lib/src/kernels_ref_family.cpp)
elseif(_family STREQUAL "avx2" OR _family STREQUAL "avx512vnni")
  if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i.86|x86)$")
    message(FATAL_ERROR "sinkq: kernel family '${_family}' needs an x86 target "
                        "(CMAKE_SYSTEM_PROCESSOR is '${CMAKE_SYSTEM_PROCESSOR}')")
  endif()
  list(APPEND SINKQ_KERNEL_SOURCES ${_x86}/avx2_float.cpp ${_x86}/avx2_elementwise.cpp
       ${_x86}/avx2_packed.cpp)
  set(SINKQ_KERNEL_HAS_PACKED ON)
  # F16C (every AVX2 CPU has it) converts the packed KV cache's fp16 scales.
  if(_family STREQUAL "avx2")
    list(APPEND SINKQ_KERNEL_SOURCES ${_x86}/avx2_gemm_s8.cpp)
    set(SINKQ_KERNEL_FLAGS -mavx2 -mf16c)
  else()
    list(APPEND SINKQ_KERNEL_SOURCES ${_x86}/avx512vnni_gemm_s8.cpp)
    set(SINKQ_KERNEL_FLAGS -mavx512f -mavx512bw -mavx512vnni -mf16c)
  endif()
elseif(_family MATCHES "^neon(-dotprod)?$")
  sinkq_target_has(SINKQ_TARGET_AARCH64 "defined(__aarch64__)" "")
  if(NOT SINKQ_TARGET_AARCH64)
    message(FATAL_ERROR "sinkq: kernel family '${_family}' needs an AArch64 target "
                        "(e.g. -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake)")
  endif()
  # Advanced SIMD is part of every AArch64 target: the baseline needs no flag.
  list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_f32_a64.cpp ${_neon}/quant_neon.cpp
       ${_neon}/packed_a64.cpp)
  set(SINKQ_KERNEL_HAS_PACKED ON)
  if(_family STREQUAL "neon-dotprod")
    list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_s8_sdot.cpp)
    set(SINKQ_KERNEL_FLAGS -march=armv8.2-a+dotprod)
  else()
    list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_s8_smull.cpp)
  endif()
elseif(_family STREQUAL "armv7-neon")
  sinkq_target_has(SINKQ_TARGET_ARM32 "defined(__arm__) && !defined(__ARM_ARCH_ISA_A64)" "")
  if(NOT SINKQ_TARGET_ARM32)
    message(FATAL_ERROR "sinkq: kernel family 'armv7-neon' needs a 32-bit Arm target "
                        "(e.g. -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake)")
  endif()
  list(APPEND SINKQ_KERNEL_SOURCES ${_neon}/gemm_f32_vfp.cpp ${_neon}/quant_neon.cpp
       ${_neon}/gemm_s8_smull.cpp)
  # NEON with VFPv4 (Cortex-A7/A15 and later), for the family's sources only;
  # the hard-float ABI passes floats in the same VFP registers with or without
  # NEON, so they link with the baseline armhf code around them.
  set(SINKQ_KERNEL_FLAGS -mfpu=neon-vfpv4 -mfloat-abi=hard)
else()
  message(FATAL_ERROR "sinkq: unknown kernel family '${SINKQ_KERNELS}'")
endif()

# Families without their own packed KV-cache kernels use the reference ones.
if(NOT SINKQ_KERNEL_HAS_PACKED)
  list(APPEND SINKQ_KERNEL_SOURCES ${CMAKE_SOURCE_DIR}/lib/src/kernels_packed_ref.cpp)
endif()

set(SINKQ_KERNEL_FAMILY "${_family}")
message(STATUS "sinkq: kernel family ${SINKQ_KERNEL_FAMILY}")
