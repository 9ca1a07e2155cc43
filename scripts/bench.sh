#!/usr/bin/env bash
# Builds the Release tree with the benchmarks, runs sinkq_bench (kernels and
# end-to-end tokens/s) and prints the summary the README quotes: fractions of
# the core's peak and of the measured DRAM read bandwidth, and W8A8 / fp32
# ratios from the same run. Extra arguments go to cmake (e.g.
# -DSINKQ_KERNELS=ref); BENCH_ARGS go to sinkq_bench (e.g.
# --benchmark_filter=BM_Decode). About 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
BUILD=${BUILD:-build/bench}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSINKQ_BUILD_TESTS=OFF \
  -DSINKQ_SHARED_DIR="$SHARED" "$@" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target sinkq_bench >/dev/null
mkdir -p out
# shellcheck disable=SC2086
"$BUILD/bench/sinkq_bench" --benchmark_out=out/bench.json --benchmark_out_format=json \
  ${BENCH_ARGS:-}
python3 scripts/bench_summary.py out/bench.json
