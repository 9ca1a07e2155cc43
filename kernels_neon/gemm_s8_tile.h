// The int8 GEMM tile shared by the Arm families; they differ only in the
// instruction that multiplies 16 int8 pairs into four int32 lanes (Mac).
#ifndef SINKQ_KERNELS_NEON_GEMM_S8_TILE_H_
#define SINKQ_KERNELS_NEON_GEMM_S8_TILE_H_

#include <string.h>

#include "neon_util.h"

namespace sinkq {
namespace neon {

// Mac: static int32x4_t step(int32x4_t acc, int8x16_t w, int8x16_t x), adding
// the 16 products w[j] x[j] to the lanes of acc.
template <class Mac>
struct GemmS8Tile {
  const int8_t* W;
  const int8_t* X;
  int32_t* Y;
  uint32_t rows, cols;

  template <uint32_t R, uint32_t T>
  void run(uint32_t r0, uint32_t t0) const {
    const int8_t* w[R];
    const int8_t* x[T];
    row_pointers(W, r0, cols, w);
    row_pointers(X, t0, cols, x);
    int32x4_t acc[R][T];
    for (uint32_t i = 0; i < R; ++i)
      for (uint32_t k = 0; k < T; ++k) acc[i][k] = vdupq_n_s32(0);
    uint32_t j = 0;
    for (; j + 16 <= cols; j += 16) {
      int8x16_t wv[R], xv[T];
      for (uint32_t i = 0; i < R; ++i) wv[i] = vld1q_s8(w[i] + j);
      for (uint32_t k = 0; k < T; ++k) xv[k] = vld1q_s8(x[k] + j);
      for (uint32_t i = 0; i < R; ++i)
        for (uint32_t k = 0; k < T; ++k) acc[i][k] = Mac::step(acc[i][k], wv[i], xv[k]);
    }
    if (j < cols) {  // zero padding adds nothing to an integer sum
      int8_t wt[R][16] = {}, xt[T][16] = {};
      for (uint32_t i = 0; i < R; ++i) memcpy(wt[i], w[i] + j, cols - j);
      for (uint32_t k = 0; k < T; ++k) memcpy(xt[k], x[k] + j, cols - j);
      for (uint32_t i = 0; i < R; ++i)
        for (uint32_t k = 0; k < T; ++k)
          acc[i][k] = Mac::step(acc[i][k], vld1q_s8(wt[i]), vld1q_s8(xt[k]));
    }
    for (uint32_t i = 0; i < R; ++i)
      for (uint32_t k = 0; k < T; ++k) Y[size_t{t0 + k} * rows + r0 + i] = sum_lanes(acc[i][k]);
  }
};

}  // namespace neon
}  // namespace sinkq

#endif  // SINKQ_KERNELS_NEON_GEMM_S8_TILE_H_
