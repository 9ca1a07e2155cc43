// Float GEMM and dot product for AArch64 Advanced SIMD, in exactly the order
// kernels.h documents: four float32x4 accumulators hold the 16 partial sums
// s[0..15] (lane i of accumulator q is s[4q + i]), each updated with a separate
// multiply and add (fmla would round once instead of twice and differ from the
// reference), then the documented reduction tree, then the tail in order.
// AArch64 SIMD arithmetic is IEEE (denormals included), so the floats equal
// the scalar reference bit for bit.
#include "neon_util.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {

namespace {

// The documented reduction tree, then the tail elements j in [body, n) one by
// one.
inline float finish(const float32x4_t s[4], const float* a, const float* b, uint32_t body,
                    uint32_t n) {
  float r = neon::reduce_partial_sums(s);
  for (uint32_t j = body; j < n; ++j) r = r + a[j] * b[j];
  return r;
}

struct GemmF32 {
  const float* W;
  const float* X;
  float* Y;
  uint32_t rows, cols;

  template <uint32_t R, uint32_t T>
  void run(uint32_t r0, uint32_t t0) const {
    const float* w[R];
    const float* x[T];
    neon::row_pointers(W, r0, cols, w);
    neon::row_pointers(X, t0, cols, x);
    float32x4_t acc[R][T][4];
    for (uint32_t i = 0; i < R; ++i)
      for (uint32_t k = 0; k < T; ++k)
        for (uint32_t q = 0; q < 4; ++q) acc[i][k][q] = vdupq_n_f32(0.f);
    const uint32_t body = cols & ~15u;
    for (uint32_t j = 0; j < body; j += 16)
      for (uint32_t q = 0; q < 4; ++q) {
        float32x4_t wv[R], xv[T];
        for (uint32_t i = 0; i < R; ++i) wv[i] = vld1q_f32(w[i] + j + 4 * q);
        for (uint32_t k = 0; k < T; ++k) xv[k] = vld1q_f32(x[k] + j + 4 * q);
        for (uint32_t i = 0; i < R; ++i)
          for (uint32_t k = 0; k < T; ++k)
            acc[i][k][q] = vaddq_f32(acc[i][k][q], vmulq_f32(wv[i], xv[k]));
      }
    for (uint32_t i = 0; i < R; ++i)
      for (uint32_t k = 0; k < T; ++k)
        Y[size_t{t0 + k} * rows + r0 + i] = finish(acc[i][k], w[i], x[k], body, cols);
  }
};

}  // namespace

void gemm_f32(const float* W, const float* X, float* Y, uint32_t n, uint32_t rows,
              uint32_t cols) {
  // 2 x 2 tiles: 16 accumulators, the rest of the 32 registers for operands.
  neon::tile_grid<2, 2>(GemmF32{W, X, Y, rows, cols}, n, rows);
}

float dot_f32(const float* a, const float* b, uint32_t n) {
  float r;
  GemmF32{a, b, &r, 1, n}.run<1, 1>(0, 0);
  return r;
}

}  // namespace kernels
}  // namespace sinkq
