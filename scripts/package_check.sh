#!/usr/bin/env bash
# The installed CMake package: `cmake --install` of BUILD into a temporary
# prefix, then tests/package (a project outside the tree) finds it with
# find_package(sinkq), links sinkq::sinkq from C, and its greedy story on
# stories260K must equal BUILD's `sinkq generate`.
# usage: scripts/package_check.sh BUILD   (a host build with the tools)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$1
SHARED=${SINKQ_SHARED_DIR:-$(cd .. && pwd)/shared}
work=$BUILD/package
rm -rf "$work"
mkdir -p "$work"
prefix=$(cd "$work" && pwd)/prefix
cmake --install "$BUILD" --prefix "$prefix" >/dev/null
echo "installed: $(cd "$prefix" && find . -type f | sort | tr '\n' ' ')"
cmake -S tests/package -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  | grep "found sinkq"
cmake --build "$work/build" -j"$(nproc)" >/dev/null
"$BUILD/tools/sinkq" convert --checkpoint "$SHARED/models/stories260K.bin" \
  --tokenizer "$SHARED/models/tok512.bin" --out "$work/stories260K.sqm" >/dev/null
prompt="Once upon a time"
"$work/build/package_test" "$work/stories260K.sqm" "$prompt" 60 >"$work/story.package"
"$BUILD/tools/sinkq" generate --model "$work/stories260K.sqm" --prompt "$prompt" --steps 60 \
  --temp 0 >"$work/story.host" 2>/dev/null
if ! cmp -s "$work/story.host" "$work/story.package"; then
  echo "package: FAIL: the installed library's story differs from sinkq generate"
  diff "$work/story.host" "$work/story.package" | head -6
  exit 1
fi
echo "package: same story as sinkq generate: $(tr '\n' ' ' <"$work/story.package" | cut -c1-60)..."
