# Debian ships GoogleTest for the host only; for a cross target it is built
# from Debian's source package (googletest, /usr/src/googletest) with the
# target compiler. Provides the same GTest::gtest / GTest::gtest_main targets
# as find_package(GTest).
set(SINKQ_GTEST_SOURCE_DIR /usr/src/googletest CACHE PATH "GoogleTest sources for cross builds")
if(NOT EXISTS ${SINKQ_GTEST_SOURCE_DIR}/CMakeLists.txt)
  message(FATAL_ERROR "sinkq: cross builds need GoogleTest sources in ${SINKQ_GTEST_SOURCE_DIR} "
                      "(Debian package googletest, see scripts/install-deps.sh)")
endif()
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
add_subdirectory(${SINKQ_GTEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
if(NOT TARGET GTest::gtest)  # older GoogleTest releases define no aliases
  add_library(GTest::gtest ALIAS gtest)
  add_library(GTest::gtest_main ALIAS gtest_main)
endif()
