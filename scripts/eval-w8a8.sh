#!/usr/bin/env bash
# Regenerates the W8A8 perplexity table of the README: stories260K converted
# with per-tensor and per-channel int8 weights, static scales calibrated on the
# calibration half (max and 99.99th percentile), perplexity on the evaluation
# half for every activation mode and both classifier precisions.
source "$(dirname "$0")/eval-common.sh" eval-w8a8
ppl() { $S perplexity --text "$TEXT" --half eval --ctx 512 "$@" 2>/dev/null | awk '/^perplexity/ {print $2}'; }

echo "| weights | activations | calibration | classifier | perplexity |"
echo "|---|---|---|---|---|"
for g in tensor channel; do
  $S convert --checkpoint "$SHARED/models/stories260K.bin" --tokenizer "$SHARED/models/tok512.bin" \
    --granularity $g --out $OUT/$g.sqm >/dev/null
  cp $OUT/$g.sqm $OUT/$g-pct.sqm
  $S calibrate --model $OUT/$g.sqm --text "$TEXT" --method max >/dev/null
  $S calibrate --model $OUT/$g-pct.sqm --text "$TEXT" --method percentile --percentile 99.99 >/dev/null
  [ $g = tensor ] && echo "| fp32 | fp32 | - | fp32 | $(ppl --model $OUT/$g.sqm --quant fp32) |"
  for cls in int8 fp32; do
    echo "| int8 per-$g | static per-tensor | max | $cls | $(ppl --model $OUT/$g.sqm --quant w8a8-static --classifier $cls) |"
    echo "| int8 per-$g | static per-tensor | p99.99 | $cls | $(ppl --model $OUT/$g-pct.sqm --quant w8a8-static --classifier $cls) |"
    echo "| int8 per-$g | dynamic per-tensor | - | $cls | $(ppl --model $OUT/$g.sqm --quant w8a8-dyn-tensor --classifier $cls) |"
    echo "| int8 per-$g | dynamic per-token | - | $cls | $(ppl --model $OUT/$g.sqm --quant w8a8-dyn-token --classifier $cls) |"
  done
done
