#!/usr/bin/env bash
# Regenerates the KV-cache tables of the README: the KVSink predictor fitted on
# the calibration half, then on the evaluation half (7254 tokens, windows of
# 512, one token per forward call as in decoding) perplexity for every KV bit
# width and sink policy with equal sink tables (4 slots), the KV bytes, and
# how well predicted sinks match the tokens that receive the most attention.
# Takes about 10 minutes on 2 cores with the reference kernels.
source "$(dirname "$0")/eval-common.sh" eval-kv
M=$OUT/stories260K.sqm
$S convert --checkpoint "$SHARED/models/stories260K.bin" --tokenizer "$SHARED/models/tok512.bin" \
  --out $M >/dev/null
echo "--- sinkq sinks calibrate --model $M --text $TEXT --half calib"
$S sinks calibrate --model $M --text "$TEXT" --half calib
echo
ppl() { $S perplexity --model $M --text "$TEXT" --half eval --ctx 512 --batch 1 "$@" 2>/dev/null | awk '/^perplexity/ {print $2}'; }
kv_bytes() {  # KV store + sink table for a 512-token context, decoding one token per call
  $S info --model $M --context 512 --batch 1 "$@" | awk '/kv cache|sink table/ {s += $NF} END {print s}'
}
per_token() { $S info --model $M --context 512 --batch 1 "$@" | awk -F', ' '/bytes\/token/ {print $NF}' | awk '{print $1}'; }

policies=("none --sink-slots 0" "pfn:1 --sink-slots 4" "pfn:4 --sink-slots 4" "kvsink --sink-slots 4")
for rope in "" "--kv-pre-rope"; do
  echo "keys ${rope:-after RoPE (default)}"
  echo "| KV bits | bytes/token | KV bytes at 512 tokens (no sinks / 4 slots) | none | pfn:1 | pfn:4 | kvsink |"
  echo "|---|---|---|---|---|---|---|"
  for b in 32 8 4 3 2; do
    [ $b = 32 ] && [ -n "$rope" ] && continue
    row="| $b | $(per_token --kv-bits $b) | $(kv_bytes --kv-bits $b) / $(kv_bytes --kv-bits $b --sinks kvsink --sink-slots 4)"
    for p in "${policies[@]}"; do row="$row | $(ppl --kv-bits $b $rope --sinks $p)"; done
    echo "$row |"
  done
  echo
done

echo "--- value groups of 8 channels (one head), keys before RoPE"
for b in 4 3 2; do
  echo "$b bits: $(per_token --kv-bits $b --kv-value-group 8) bytes/token," \
    "none $(ppl --kv-bits $b --kv-pre-rope --kv-value-group 8)," \
    "pfn:4 $(ppl --kv-bits $b --kv-pre-rope --kv-value-group 8 --sinks pfn:4 --sink-slots 4)," \
    "kvsink $(ppl --kv-bits $b --kv-pre-rope --kv-value-group 8 --sinks kvsink --sink-slots 4)"
done
echo
for r in 64 256; do
  echo "--- sinkq sinks stats --model $M --text $TEXT --half eval --sinks kvsink --sink-slots 4 --ratio $r"
  $S sinks stats --model $M --text "$TEXT" --half eval --sinks kvsink --sink-slots 4 --ratio $r
done
