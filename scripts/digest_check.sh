#!/usr/bin/env bash
# End-to-end bit-exactness across builds: `sinkq digest` (a CRC of every logit
# and the sampled tokens) must print the same for build A (the reference
# kernels) and build B (a SIMD family or another target), for greedy and
# temperature sampling and every --quant mode the builds support.
#
# usage: scripts/digest_check.sh BUILD_A BUILD_B
#   RUN_B      command prefix for B's binary (e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu")
#   MODES      --quant modes to try (default: fp32 and the W8A8 modes); a mode
#              other than fp32 that A reports as unsupported is skipped with a
#              message, fp32 must work.
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
MODES=${MODES:-"fp32 w8a8-static w8a8-dyn-tensor w8a8-dyn-token"}
read -r -a run_b <<<"${RUN_B:-}"
work="$B/digest"
mkdir -p "$work"
model="$work/stories260K.sqm"
"$A/tools/sinkq" convert --checkpoint "$SHARED/models/stories260K.bin" \
  --tokenizer "$SHARED/models/tok512.bin" --out "$model" >/dev/null

# Greedy, two samplers with different seeds, and a prefill batch that leaves
# partial GEMM tiles (3 tokens per forward call).
run_args() {
  case $1 in
    0) args=(--temp 0) ;;
    1) args=(--temp 0.9 --seed 7) ;;
    2) args=(--temp 1.0 --seed 11 --batch 3 --prompt "The dog ran to the big red ball") ;;
  esac
}
failed=0
for mode in $MODES; do
  for r in 0 1 2; do
    run_args $r
    cmd=(digest --model "$model" --quant "$mode" --steps 200 "${args[@]}")
    what="--quant $mode ${args[*]}"
    if ! da=$("$A/tools/sinkq" "${cmd[@]}" 2>&1); then
      if [ "$mode" != fp32 ] && grep -q "unsupported" <<<"$da"; then
        echo "digest: SKIP --quant $mode (not supported yet: $da)"
        continue 2
      fi
      echo "digest: FAIL $what: build A: $da"
      failed=1
      continue
    fi
    if ! db=$("${run_b[@]}" "$B/tools/sinkq" "${cmd[@]}" 2>&1); then
      echo "digest: FAIL $what: build B: $db"
      failed=1
      continue
    fi
    if [ "$da" != "$db" ]; then
      echo "digest: FAIL $what: builds differ"
      diff <(echo "$da") <(echo "$db") | cut -c1-160 | head -6
      failed=1
    else
      echo "digest: same $what: $(tail -1 <<<"$da")"
    fi
  done
done
exit $failed
