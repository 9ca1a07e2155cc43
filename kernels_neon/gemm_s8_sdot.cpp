// int8 GEMM with the Armv8.2 dot-product extension: sdot adds four int8
// products into each int32 lane, exact for any int8 inputs.
#include "gemm_s8_tile.h"
#include "sinkq/kernels.h"

#if !defined(__ARM_FEATURE_DOTPROD)
#error "gemm_s8_sdot.cpp needs the dot-product extension (-march=armv8.2-a+dotprod)"
#endif

namespace sinkq {
namespace kernels {

namespace {
struct DotMac {
  static int32x4_t step(int32x4_t acc, int8x16_t w, int8x16_t x) { return vdotq_s32(acc, w, x); }
};
}  // namespace

void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  // 16 accumulators + 8 operands of the 32 vector registers.
  neon::tile_grid<4, 4>(neon::GemmS8Tile<DotMac>{W, X, Y, rows, cols}, n, rows);
}

}  // namespace kernels
}  // namespace sinkq
