# Sourced by the eval-*.sh scripts: from the repository root, builds the
# release `sinkq` (BUILD, default build/release) and sets SHARED (the data
# directory, SINKQ_SHARED_DIR or ../shared), S (the binary), TEXT (the
# TinyStories file) and OUT (out/<name>, created), for name = $1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
BUILD=${BUILD:-build/release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSINKQ_BUILD_TESTS=OFF -DSINKQ_BUILD_BENCH=OFF \
  -DSINKQ_SHARED_DIR="$SHARED" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target sinkq_cli >/dev/null
S=$BUILD/tools/sinkq
TEXT=$SHARED/data/tinystories-valid-30k.txt
OUT=out/$1
mkdir -p "$OUT"
