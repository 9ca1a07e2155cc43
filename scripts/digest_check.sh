#!/usr/bin/env bash
# End-to-end bit-exactness across builds: `sinkq digest` (a CRC of every logit
# and the sampled tokens) must print the same for build A (the reference
# kernels) and build B (a SIMD family or another target), for greedy and
# temperature sampling, every --quant mode the builds support and the low-bit
# KV cache at every bit width.
#
# usage: scripts/digest_check.sh BUILD_A BUILD_B
#   RUN_B      command prefix for B's binary (e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu");
#              default: B/run-emulated if B is a cross build (cmake/emulator.cmake)
#   MODES      --quant modes to try (default: fp32 and the W8A8 modes); a mode
#              other than fp32 that A reports as unsupported is skipped with a
#              message, fp32 must work.
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
MODES=${MODES:-"fp32 w8a8-static w8a8-dyn-tensor w8a8-dyn-token"}
default_run_b=""
if [ -x "$B/run-emulated" ]; then default_run_b="$B/run-emulated"; fi
read -r -a run_b <<<"${RUN_B:-$default_run_b}"
work="$B/digest"
mkdir -p "$work"
# One file per weight granularity, both with fp32 and int8 matrices; the
# per-tensor one also carries static activation scales (calibration half).
for g in tensor channel; do
  "$A/tools/sinkq" convert --checkpoint "$SHARED/models/stories260K.bin" \
    --tokenizer "$SHARED/models/tok512.bin" --granularity $g --out "$work/$g.sqm" >/dev/null
done
"$A/tools/sinkq" calibrate --model "$work/tensor.sqm" --half calib \
  --text "$SHARED/data/tinystories-valid-30k.txt" >/dev/null

# Greedy, samplers with different seeds, and a prefill batch that leaves
# partial GEMM tiles (3 tokens per forward call).
# The last run uses per-channel weight scales and, in W8A8, the fp32 classifier.
run_args() {
  case $1 in
    0) args=(--model "$work/tensor.sqm" --temp 0) ;;
    1) args=(--model "$work/tensor.sqm" --temp 0.9 --seed 7) ;;
    2) args=(--model "$work/tensor.sqm" --temp 1.0 --seed 11 --batch 3
             --prompt "The dog ran to the big red ball") ;;
    3) args=(--model "$work/channel.sqm" --temp 0.8 --seed 5)
       if [ "$mode" != fp32 ]; then args+=(--classifier fp32); fi ;;
  esac
}
failed=0
# $1 (digest or generate) printed $3 with build A and $4 with build B for
# what $2 says: "same" and $5, or the difference.
report() {
  if [ "$3" != "$4" ]; then
    echo "$1: FAIL $2: builds differ"
    diff <(echo "$3") <(echo "$4") | cut -c1-160 | head -6
    failed=1
  else
    echo "$1: same $2: $5"
  fi
}
# `sinkq "$@"` with both builds.
compare() {
  local what="$*" da db
  if ! da=$("$A/tools/sinkq" "$@" 2>&1); then
    if [ "$mode" != fp32 ] && grep -q "unsupported" <<<"$da"; then
      echo "digest: SKIP --quant $mode (not supported yet: $da)"
      return 2
    fi
    echo "digest: FAIL $what: build A: $da"
    failed=1
    return 0
  fi
  if ! db=$("${run_b[@]}" "$B/tools/sinkq" "$@" 2>&1); then
    echo "digest: FAIL $what: build B: $db"
    failed=1
  else
    report digest "$what" "$da" "$db" "$(tail -1 <<<"$da")"
  fi
}
for mode in $MODES; do
  last=3
  if [ "$mode" = w8a8-static ]; then last=2; fi  # static scales: tensor.sqm only
  for r in $(seq 0 $last); do
    run_args $r
    compare digest --quant "$mode" --steps 200 "${args[@]}" || continue 2
  done
  # The story itself: greedy text (stdout only; stderr carries timings).
  gen=(generate --quant "$mode" --model "$work/tensor.sqm" --prompt "Once upon a time" --steps 100
       --temp 0)
  if ! ga=$("$A/tools/sinkq" "${gen[@]}" 2>/dev/null) ||
     ! gb=$("${run_b[@]}" "$B/tools/sinkq" "${gen[@]}" 2>/dev/null); then
    echo "generate: FAIL --quant $mode: a build failed"
    failed=1
  else
    report generate "--quant $mode --temp 0" "$ga" "$gb" "$(tr '\n' ' ' <<<"$ga" | cut -c1-60)..."
  fi
done
# Rolling past the context (ring rows, RoPE beyond the context, the sinks'
# back-rotation): 600 sampled tokens in a context of 64, fp32 and 4-bit KV.
for bits in 32 4; do
  roll=(generate --model "$work/tensor.sqm" --steps 600 --temp 0.9 --seed 3 --context 64 --rolling
        --kv-bits $bits --sinks pfn:4)
  if ! ra=$("$A/tools/sinkq" "${roll[@]}" 2>/dev/null) ||
     ! rb=$("${run_b[@]}" "$B/tools/sinkq" "${roll[@]}" 2>/dev/null); then
    echo "rolling: FAIL --kv-bits $bits: a build failed"
    failed=1
  elif [ "$ra" != "$rb" ]; then
    echo "rolling: FAIL --kv-bits $bits: texts differ"
    diff <(echo "$ra") <(echo "$rb") | cut -c1-160 | head -6
    failed=1
  else
    echo "rolling: same --kv-bits $bits, 600 tokens in a context of 64: $(tr '\n' ' ' <<<"$ra" | tail -c 60)"
  fi
done
# The low-bit KV cache (attention reads it through the packed kernels): every
# bit width, per-channel keys after and before RoPE, value groups of 32 and 8,
# and the sink table filled by KVSink (the predictor fitted here) and PFN.
mode=fp32
"$A/tools/sinkq" sinks calibrate --model "$work/tensor.sqm" --half calib \
  --text "$SHARED/data/tinystories-valid-30k.txt" --out "$work/sinks.sqm" >/dev/null
for kv in "--kv-bits 4 --sinks kvsink" "--kv-bits 8" "--kv-bits 3 --kv-pre-rope --kv-value-group 8" \
          "--kv-bits 2 --sinks pfn:4 --kv-key-block 16"; do
  read -r -a kv_args <<<"$kv"
  compare digest --model "$work/sinks.sqm" --steps 200 --temp 0.9 --seed 7 --batch 1 "${kv_args[@]}"
done
exit $failed
