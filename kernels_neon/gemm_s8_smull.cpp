// int8 GEMM with widening multiplies, for Advanced SIMD without the dot-product
// extension (AArch64 baseline and Armv7-A NEON): per 16 columns, smull + smlal2
// form int16 sums of two products and sadalp adds the pairs into int32 lanes.
// One int16 lane holds w[j] x[j] + w[j+8] x[j+8]; with weights in [-127, 127]
// (kernels.h) that is at most 2 * 128 * 127 = 32512, so it cannot wrap and the
// result equals the reference exactly. A weight of -128 could wrap; the loader
// rejects such models.
#include "gemm_s8_tile.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {

namespace {
struct WideningMac {
  static int32x4_t step(int32x4_t acc, int8x16_t w, int8x16_t x) {
    int16x8_t p = vmull_s8(vget_low_s8(w), vget_low_s8(x));
#if defined(__aarch64__)
    p = vmlal_high_s8(p, w, x);
#else
    p = vmlal_s8(p, vget_high_s8(w), vget_high_s8(x));
#endif
    return vpadalq_s16(acc, p);
  }
};
}  // namespace

void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  const neon::GemmS8Tile<WideningMac> k{W, X, Y, rows, cols};
#if defined(__aarch64__)
  neon::tile_grid<4, 2>(k, n, rows);  // 8 accumulators of 32 vector registers
#else
  neon::tile_grid<2, 2>(k, n, rows);  // Armv7 has 16 quad registers
#endif
}

}  // namespace kernels
}  // namespace sinkq
