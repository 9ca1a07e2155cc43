#!/usr/bin/env bash
# Regenerates the streaming table of the README: perplexity of the evaluation
# half (7254 tokens, one long text of many stories) scored two ways with the
# same context of C tokens (C = 128 and 256):
#   restart  - windows of C tokens, each from a fresh context [BOS, t0 ..]
#              (the default `sinkq perplexity`);
#   rolling  - the whole text as one stream (--rolling) with a window of
#              W = C - 4 tokens, so every policy has the same window and the
#              4 sink slots fit in the same context;
# for fp32 and 4-bit KV and the sink policies none, pfn:1, pfn:4 and kvsink
# (4 slots; none has 0), one token per forward call; then a sweep of the
# rolling window at a context of 512. About 6 minutes on 2 cores.
source "$(dirname "$0")/eval-common.sh" eval-stream
M=$OUT/stories260K.sqm
$S convert --checkpoint "$SHARED/models/stories260K.bin" --tokenizer "$SHARED/models/tok512.bin" \
  --out $OUT/plain.sqm >/dev/null
# The KVSink predictor, fitted on the calibration half.
$S sinks calibrate --model $OUT/plain.sqm --text "$TEXT" --half calib --out $M >/dev/null
ppl() { $S perplexity --model $M --text "$TEXT" --half eval --batch 1 "$@" 2>/dev/null | awk '/^perplexity/ {print $2}'; }

echo "| context | KV | sinks | restart windows | rolling, W = context - 4 |"
echo "|---|---|---|---|---|"
for c in 128 256; do
  for b in 32 4; do
    for p in "none --sink-slots 0" "pfn:1 --sink-slots 4" "pfn:4 --sink-slots 4" "kvsink --sink-slots 4"; do
      kv=$([ $b = 32 ] && echo fp32 || echo "$b-bit")
      # shellcheck disable=SC2086
      echo "| $c | $kv | ${p%% *} | $(ppl --ctx $c --kv-bits $b --sinks $p) |" \
        "$(ppl --ctx $c --kv-bits $b --sinks $p --rolling --window $((c - 4))) |"
    done
  done
done

echo
echo "rolling window sweep: context 512, fp32 KV, no sinks"
echo "| W | perplexity |"
echo "|---|---|"
for w in 32 64 96 124 160 200 252 350 508; do
  echo "| $w | $(ppl --ctx 512 --rolling --window $w) |"
done
