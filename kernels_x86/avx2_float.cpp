// fp32 GEMM and dot product for AVX2, in the summation order kernels.h fixes
// (avx2_float_order.h), so every family produces the reference's floats bit
// for bit; the tail is added in order. Shared by the x86 families.
#include <immintrin.h>

#include "avx2_float_order.h"
#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

#define SINKQ_INLINE __attribute__((always_inline)) inline

using avx2::Partial;
using avx2::reduce1;
using avx2::reduce4;

// Y[t][r] for R rows starting at W and T tokens starting at X. The R * T
// outputs are reduced four at a time, and their tails run interleaved (each
// output's own chain stays in column order) so the add latency overlaps.
template <uint32_t R, uint32_t T>
SINKQ_INLINE void tile(const float* W, const float* X, float* Y, uint32_t rows, uint32_t cols) {
  Partial acc[T * R];
  for (auto& p : acc) p.lo = p.hi = _mm256_setzero_ps();
  const uint32_t body = cols & ~15u;
  for (uint32_t j = 0; j < body; j += 16) {
    __m256 xl[T], xh[T];
    for (uint32_t t = 0; t < T; ++t) {
      xl[t] = _mm256_loadu_ps(X + size_t{t} * cols + j);
      xh[t] = _mm256_loadu_ps(X + size_t{t} * cols + j + 8);
    }
    for (uint32_t r = 0; r < R; ++r) {
      const __m256 wl = _mm256_loadu_ps(W + size_t{r} * cols + j);
      const __m256 wh = _mm256_loadu_ps(W + size_t{r} * cols + j + 8);
      for (uint32_t t = 0; t < T; ++t) {
        Partial& p = acc[t * R + r];
        p.lo = _mm256_add_ps(p.lo, _mm256_mul_ps(wl, xl[t]));
        p.hi = _mm256_add_ps(p.hi, _mm256_mul_ps(wh, xh[t]));
      }
    }
  }
  alignas(16) float s[T * R];
  uint32_t i = 0;
  for (; i + 4 <= T * R; i += 4) _mm_store_ps(s + i, reduce4(acc + i));
  for (; i < T * R; ++i) s[i] = reduce1(acc[i]);
  for (uint32_t j = body; j < cols; ++j)
    for (uint32_t t = 0; t < T; ++t)
      for (uint32_t r = 0; r < R; ++r)
        s[t * R + r] = s[t * R + r] + W[size_t{r} * cols + j] * X[size_t{t} * cols + j];
  for (uint32_t t = 0; t < T; ++t)
    for (uint32_t r = 0; r < R; ++r) Y[size_t{t} * rows + r] = s[t * R + r];
}

// All n tokens against R rows (one row block), tokens in tiles of T.
template <uint32_t R, uint32_t T>
inline void row_block(const float* W, const float* X, float* Y, uint32_t n, uint32_t rows,
                      uint32_t cols) {
  uint32_t t = 0;
  for (; t + T <= n; t += T) tile<R, T>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
  for (; t < n; ++t) tile<R, 1>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
}

}  // namespace

void gemm_f32(const float* W, const float* X, float* Y, uint32_t n, uint32_t rows,
              uint32_t cols) {
  // Eight accumulators (four rows by one token for decode, two by two for
  // prefill) hide the vaddps latency and leave registers for the operands.
  uint32_t r = 0;
  if (n == 1) {
    for (; r + 4 <= rows; r += 4) tile<4, 1>(W + size_t{r} * cols, X, Y + r, rows, cols);
  } else {
    for (; r + 2 <= rows; r += 2) row_block<2, 2>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
  }
  for (; r < rows; ++r) row_block<1, 2>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
}

float dot_f32(const float* a, const float* b, uint32_t n) {
  if (n < 16) {  // no body: the partial sums are all zero
    float s = 0.f;
    for (uint32_t j = 0; j < n; ++j) s = s + a[j] * b[j];
    return s;
  }
  float y;
  tile<1, 1>(a, b, &y, 1, n);
  return y;
}

}  // namespace kernels
}  // namespace sinkq
