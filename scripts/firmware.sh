#!/usr/bin/env bash
# The Cortex-M55 firmware demo, end to end, and its check against the host:
#  1. the host `sinkq` (HOST_BUILD, a reference-kernel build) converts
#     stories260K with fp32 and int8 weights, calibrates the static activation
#     scales and the KVSink predictor on the calibration half, and writes the
#     int8-only file for flash with those sections (convert --sections-from);
#  2. the firmware is cross-built with toolchains/arm-none-eabi.cmake
#     (FW_BUILD), the model linked into QSPI flash; the build prints flash and
#     RAM;
#     The library must pass the freestanding check and the image link no
#     allocator;
#  3. it runs under qemu-system-arm -M mps3-an547 (semihosting console, time
#     limit), with -icount shift=5 so that the SysTick count is deterministic
#     (one tick of the 32 MHz clock per instruction);
#  4. the story it prints must equal `sinkq generate` of the host build on the
#     same file and configuration, byte for byte.
# usage: scripts/firmware.sh [HOST_BUILD] [FW_BUILD]   (default build/test-ref build/test-m55)
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-build/test-ref}
FW=${2:-build/test-m55}
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
PROMPT=${PROMPT:-"Once upon a time"}
STEPS=${STEPS:-200}
TIME_LIMIT=${TIME_LIMIT:-300}
SINKQ=$HOST/tools/sinkq
TEXT=$SHARED/data/tinystories-valid-30k.txt
if [ ! -x "$SINKQ" ]; then
  cmake -S . -B "$HOST" -DCMAKE_BUILD_TYPE=Release -DSINKQ_KERNELS=ref -DSINKQ_BUILD_TESTS=OFF \
    -DSINKQ_BUILD_BENCH=OFF -DSINKQ_SHARED_DIR="$SHARED" >/dev/null
  cmake --build "$HOST" -j"$(nproc)" --target sinkq_cli
fi

work=$FW/model
mkdir -p "$work"
"$SINKQ" convert --checkpoint "$SHARED/models/stories260K.bin" \
  --tokenizer "$SHARED/models/tok512.bin" --weights both --out "$work/both.sqm" >/dev/null
"$SINKQ" calibrate --model "$work/both.sqm" --text "$TEXT" --half calib >/dev/null
"$SINKQ" sinks calibrate --model "$work/both.sqm" --text "$TEXT" --half calib | grep chosen
"$SINKQ" convert --checkpoint "$SHARED/models/stories260K.bin" \
  --tokenizer "$SHARED/models/tok512.bin" --weights int8 --sections-from "$work/both.sqm" \
  --out "$work/stories260K-int8.sqm"
MODEL=$(cd "$work" && pwd)/stories260K-int8.sqm

cmake -S . -B "$FW" -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-none-eabi.cmake -DCMAKE_BUILD_TYPE=Release \
  -DSINKQ_FIRMWARE_MODEL="$MODEL" -DSINKQ_FIRMWARE_PROMPT="$PROMPT" \
  -DSINKQ_FIRMWARE_STEPS="$STEPS" >/dev/null
cmake --build "$FW" -j"$(nproc)"

# The bare-metal library passes the host's freestanding check, and the image
# links no allocator (newlib's malloc would arrive with printf and friends).
cmake -DNM=arm-none-eabi-nm -DLIB="$FW/lib/libsinkq.a" -P tests/freestanding_check.cmake
if arm-none-eabi-nm "$FW/examples/firmware/sinkq_firmware.elf" | grep -qE " T (_?malloc|_malloc_r|_sbrk)$"; then
  echo "firmware: FAIL: the image links an allocator"
  exit 1
fi

echo "--- qemu-system-arm -M mps3-an547"
rc=0
timeout "$TIME_LIMIT" qemu-system-arm -M mps3-an547 -nographic -semihosting -icount shift=5 \
  -kernel "$FW/examples/firmware/sinkq_firmware.elf" >"$FW/firmware.out" || rc=$?
cat "$FW/firmware.out"
if [ $rc -ne 0 ]; then
  # 124: the time limit; otherwise the firmware's exit code (3: a fault).
  echo "firmware: FAIL: exit code $rc"
  exit 1
fi
sed -n '/^--- story$/,/^--- end$/p' "$FW/firmware.out" | sed '1d;$d' >"$FW/story.firmware"
"$SINKQ" generate --model "$MODEL" --quant w8a8-static --kv-bits 4 --sinks kvsink --sink-slots 8 \
  --prompt "$PROMPT" --steps "$STEPS" --temp 0 >"$FW/story.host" 2>/dev/null
if ! cmp -s "$FW/story.host" "$FW/story.firmware"; then
  echo "firmware: FAIL: the story differs from the host's sinkq generate"
  diff "$FW/story.host" "$FW/story.firmware" | head -10
  exit 1
fi
echo "firmware: same story as the host's sinkq generate ($(wc -c <"$FW/story.host") bytes)"
