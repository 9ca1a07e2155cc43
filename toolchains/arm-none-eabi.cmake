# Bare-metal Cortex-M55 (Arm MPS3 AN547 board, or QEMU's mps3-an547) with
# Debian's arm-none-eabi-gcc and newlib (gcc-arm-none-eabi,
# libnewlib-arm-none-eabi). Builds the library (reference kernels), the
# bare-metal port (port/mps3-an547) and the firmware demo (examples/firmware);
# host tools, tests and benchmarks are off. Use:
#   cmake -S . -B build/m55 -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-none-eabi.cmake \
#         -DSINKQ_FIRMWARE_MODEL=/path/to/model.sqm
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m55)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size utility of the target")
# Probe programs cannot link without a board's startup code.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Cortex-M55 with its FPU and Helium (MVE) as -mcpu implies, hard-float ABI.
set(_sinkq_m55 "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
set(CMAKE_C_FLAGS_INIT "${_sinkq_m55} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_sinkq_m55} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${_sinkq_m55}")
# newlib-nano for memcpy and friends; no startup files (the port has its own)
# and no system calls (the port writes through semihosting itself).
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "${_sinkq_m55} -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
