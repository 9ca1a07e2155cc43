# Resolves SINKQ_KERNELS to one family and the compile flags its sources need.
# Sets SINKQ_KERNEL_FAMILY, SINKQ_KERNEL_SOURCES and SINKQ_KERNEL_FLAGS.
set(_family "${SINKQ_KERNELS}")
if(_family STREQUAL "auto")
  set(_family "ref")
endif()

set(SINKQ_KERNEL_SOURCES "")
set(SINKQ_KERNEL_FLAGS "")
if(_family STREQUAL "ref")
  list(APPEND SINKQ_KERNEL_SOURCES ${CMAKE_SOURCE_DIR}/lib/src/kernels_ref_family.cpp)
else()
  message(FATAL_ERROR "sinkq: unknown kernel family '${SINKQ_KERNELS}'")
endif()

set(SINKQ_KERNEL_FAMILY "${_family}")
message(STATUS "sinkq: kernel family ${SINKQ_KERNEL_FAMILY}")
