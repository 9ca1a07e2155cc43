#!/usr/bin/env bash
# The main job: build the tool, convert the default model (stories260K from
# ../shared/models), generate a story and measure perplexity on the
# evaluation half of ../shared/data/tinystories-valid-30k.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
if ! command -v cmake >/dev/null || ! command -v c++ >/dev/null; then
  scripts/install-deps.sh
fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSINKQ_BUILD_TESTS=OFF \
  -DSINKQ_BUILD_BENCH=OFF -DSINKQ_SHARED_DIR="$SHARED" >/dev/null
cmake --build build/release -j"$(nproc)" --target sinkq_cli
SINKQ=build/release/tools/sinkq
mkdir -p out
$SINKQ convert --checkpoint "$SHARED/models/stories260K.bin" \
  --tokenizer "$SHARED/models/tok512.bin" --out out/stories260K.sqm
echo "--- generate (greedy)"
$SINKQ generate --model out/stories260K.sqm --prompt "Once upon a time" --steps 100 --temp 0 \
  2>out/generate.log
echo
cat out/generate.log
echo "--- perplexity (evaluation half)"
$SINKQ perplexity --model out/stories260K.sqm --text "$SHARED/data/tinystories-valid-30k.txt" \
  --half eval --ctx 512
