#!/usr/bin/env bash
# A cross build must compute what the host computes: its `sinkq`, run under
# qemu through CROSS_BUILD/run-emulated, must print exactly the host build's
# `generate --temp 0` text and `digest` (a CRC of every logit plus the sampled
# tokens) for fp32 and every W8A8 mode the host build supports.
#
# usage: scripts/cross_check.sh HOST_BUILD CROSS_BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
MODES=${MODES:-"fp32 w8a8-static w8a8-dyn-tensor w8a8-dyn-token"}
run_b=()
if [ -x "$B/run-emulated" ]; then run_b=("$B/run-emulated"); fi
work="$B/cross-check"
mkdir -p "$work"
# Per-tensor int8 weights with static scales from the calibration half, and
# per-channel weights; both files also hold the fp32 matrices.
for g in tensor channel; do
  "$A/tools/sinkq" convert --checkpoint "$SHARED/models/stories260K.bin" \
    --tokenizer "$SHARED/models/tok512.bin" --granularity $g --out "$work/$g.sqm" >/dev/null
done
"$A/tools/sinkq" calibrate --model "$work/tensor.sqm" --half calib \
  --text "$SHARED/data/tinystories-valid-30k.txt" >/dev/null

failed=0
compare() {  # what, sinkq arguments...
  local what=$1 out_a out_b
  shift
  if ! out_a=$("$A/tools/sinkq" "$@" 2>"$work/stderr"); then
    echo "cross-check: FAIL $what: host build: $(tail -1 "$work/stderr")"
    failed=1
  elif ! out_b=$("${run_b[@]}" "$B/tools/sinkq" "$@" 2>"$work/stderr"); then
    echo "cross-check: FAIL $what: cross build: $(tail -1 "$work/stderr")"
    failed=1
  elif [ "$out_a" != "$out_b" ]; then
    echo "cross-check: FAIL $what: outputs differ"
    diff <(echo "$out_a") <(echo "$out_b") | cut -c1-160 | head -6
    failed=1
  else
    echo "cross-check: same $what: $(tail -1 <<<"$out_a" | cut -c1-60)"
  fi
}
for mode in $MODES; do
  if [ "$mode" != fp32 ] && ! err=$("$A/tools/sinkq" digest --model "$work/tensor.sqm" \
       --quant "$mode" --steps 1 2>&1 >/dev/null); then
    echo "cross-check: SKIP --quant $mode (the host build cannot run it: $err)"
    continue
  fi
  compare "generate --quant $mode" generate --model "$work/tensor.sqm" --quant "$mode" \
    --prompt "Once upon a time" --steps 100 --temp 0
  compare "digest --quant $mode" digest --model "$work/tensor.sqm" --quant "$mode" --steps 200
  # Sampling, and a prefill batch of 3 that leaves partial GEMM tiles.
  compare "digest --quant $mode --batch 3 --temp 0.9" digest --model "$work/tensor.sqm" \
    --quant "$mode" --steps 200 --batch 3 --temp 0.9 --seed 7 --prompt "The dog ran to the big red ball"
  if [ "$mode" != w8a8-static ]; then  # static scales live in tensor.sqm only
    cls=()
    if [ "$mode" != fp32 ]; then cls=(--classifier fp32); fi
    compare "digest --quant $mode, per-channel weights ${cls[*]}" digest \
      --model "$work/channel.sqm" --quant "$mode" --steps 200 --temp 0.8 --seed 5 "${cls[@]}"
  fi
done
exit $failed
