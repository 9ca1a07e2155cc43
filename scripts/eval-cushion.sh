#!/usr/bin/env bash
# Regenerates the CushionCache table of the README: stories260K without a
# cushion, with the greedily searched prefix and with the tuned cushion; W8A8
# with static per-tensor scales recalibrated with each cushion in place, the
# dynamic per-token upper reference, and 4/2-bit KV with KVSink. Also writes
# the per-layer activation statistics before/after (docs/cushion-stats.csv)
# and their plot (docs/cushion-stats.svg).
#
# Knobs (environment): MAX_LEN (8), SAMPLES (4), SAMPLE_LEN (128), STEPS (100),
# LR (0.01), LAMBDA (100), TUNE_SAMPLES (16).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
BUILD=${BUILD:-build/release}
MAX_LEN=${MAX_LEN:-8} SAMPLES=${SAMPLES:-4} SAMPLE_LEN=${SAMPLE_LEN:-128}
STEPS=${STEPS:-100} LR=${LR:-0.01} LAMBDA=${LAMBDA:-100} TUNE_SAMPLES=${TUNE_SAMPLES:-16}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSINKQ_BUILD_TESTS=OFF -DSINKQ_BUILD_BENCH=OFF \
  -DSINKQ_SHARED_DIR="$SHARED" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target sinkq_cli >/dev/null
S=$BUILD/tools/sinkq
TEXT=$SHARED/data/tinystories-valid-30k.txt
OUT=out/eval-cushion
mkdir -p $OUT docs

# No cushion: int8 + fp32 weights, the KVSink predictor (fitted without a
# cushion, carried into the cushioned files).
$S convert --checkpoint "$SHARED/models/stories260K.bin" --tokenizer "$SHARED/models/tok512.bin" \
  --out $OUT/none.sqm >/dev/null
$S sinks calibrate --model $OUT/none.sqm --text "$TEXT" --half calib >/dev/null
$S cushion search --model $OUT/none.sqm --text "$TEXT" --half calib --out $OUT/searched.sqm \
  --max-len "$MAX_LEN" --samples "$SAMPLES" --sample-len "$SAMPLE_LEN" 2>/dev/null >$OUT/search.txt
$S cushion tune --model $OUT/searched.sqm --text "$TEXT" --half calib --out $OUT/tuned.sqm \
  --steps "$STEPS" --lr "$LR" --lambda "$LAMBDA" --samples "$TUNE_SAMPLES" \
  --sample-len "$SAMPLE_LEN" 2>/dev/null >$OUT/tune.txt
for m in none searched tuned; do
  cp $OUT/$m.sqm $OUT/$m-pct.sqm
  $S calibrate --model $OUT/$m.sqm --text "$TEXT" --method max >/dev/null
  $S calibrate --model $OUT/$m-pct.sqm --text "$TEXT" --method percentile --percentile 99.99 >/dev/null
done

ppl() { $S perplexity --text "$TEXT" --half eval "$@" 2>/dev/null | awk '/^perplexity/ {print $2}'; }
P=$(awk '/^cushion:/ {print $2}' $OUT/search.txt)
echo "Prefix found (calibration half, objective qerr, $SAMPLES samples of $SAMPLE_LEN tokens):"
grep -E '^(no prefix|length|cushion)' $OUT/search.txt
echo
grep -E '^(tuned|before|after)' $OUT/tune.txt
echo
echo "| cushion | window | fp32 | static max | static p99.99 | dyn per-token | static max, KV 4 + kvsink | static max, KV 2 + kvsink |"
echo "|---|---|---|---|---|---|---|---|"
KV="--batch 1 --sink-slots 4 --sinks kvsink"
row() {  # label, model, ctx, extra perplexity args
  local label=$1 m=$2 ctx=$3
  shift 3
  echo "| $label | $((ctx - ${PLEN:-0})) | $(ppl --model $OUT/$m.sqm --ctx $ctx "$@") |" \
       "$(ppl --model $OUT/$m.sqm --ctx $ctx --quant w8a8-static "$@") |" \
       "$(ppl --model $OUT/$m-pct.sqm --ctx $ctx --quant w8a8-static "$@") |" \
       "$(ppl --model $OUT/$m.sqm --ctx $ctx --quant w8a8-dyn-token "$@") |" \
       "$(ppl --model $OUT/$m.sqm --ctx $ctx --quant w8a8-static --kv-bits 4 $KV "$@") |" \
       "$(ppl --model $OUT/$m.sqm --ctx $ctx --quant w8a8-static --kv-bits 2 $KV "$@") |"
}
row "none" none 512
row "none" none $((512 - P))
PLEN=$P row "searched ($P tokens)" searched 512
PLEN=$P row "tuned ($P tokens)" tuned 512

# Activation statistics before/after (calibration half, fp32).
{
  for m in none searched tuned; do
    $S stats --model $OUT/$m.sqm --text "$TEXT" --half calib --ctx 256 --format csv | sed "s/^/$m,/"
  done
} | sed '1!{/^[a-z]*,layer,/d}; 1s/^none,/cushion,/' >docs/cushion-stats.csv
python3 scripts/plot_cushion_stats.py docs/cushion-stats.csv docs/cushion-stats.svg
echo
echo "wrote docs/cushion-stats.csv and docs/cushion-stats.svg"
