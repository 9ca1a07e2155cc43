// int8 GEMM/GEMV for AVX2 (the "avx2" family; compiled with -mavx2 only).
//
// vpmaddubsw multiplies unsigned by signed bytes, so the signed product w * x
// is formed as |x| * sign(w, x): vpabsb turns x = -128 into the unsigned 128,
// and vpsignb negates w where x < 0 (w = -127..127 never overflows). Each int16
// pair sum is at most 2 * 128 * 127 = 32512, so vpmaddubsw never saturates and
// vpmaddwd against ones widens the pairs to exact int32 sums (kernels.h).
//
// Decode (n = 1) runs eight weight rows per pass and streams the weights
// exactly once; prefill runs tiles of four rows by two tokens, and one pass
// over a four-row block serves every token tile from L1. Tiles are forced
// inline into one loop nest per case: GCC 12 otherwise keeps them as calls and
// spills accumulators, which costs up to a third on the model's small shapes.
#include <immintrin.h>
#include <string.h>

#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

#define SINKQ_INLINE __attribute__((always_inline)) inline

inline __m256i dot32(__m256i acc, __m256i ax, __m256i x, __m256i w, __m256i ones) {
  const __m256i pairs = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, x));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
}

// The eight int32 lanes of each of a, b, c, d summed: {sum a, sum b, sum c, sum d}.
inline __m128i hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

inline int32_t hsum1(__m256i a) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// Bytes [0, 32 - tail) zero, the rest all ones: loadu(kTailMask + tail).
alignas(64) constexpr int8_t kTailMask[64] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};

inline __m256i loadu(const int8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// acc[r][t] += W[r][j..j+31] . x[t] for rows r of stride `stride`.
template <uint32_t R, uint32_t T>
SINKQ_INLINE void step(__m256i (&acc)[R][T], const __m256i (&x)[T], const int8_t* W,
                       size_t stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i ax[T];
  for (uint32_t t = 0; t < T; ++t) ax[t] = _mm256_abs_epi8(x[t]);
  for (uint32_t r = 0; r < R; ++r) {
    const __m256i w = loadu(W + r * stride);
    for (uint32_t t = 0; t < T; ++t) acc[r][t] = dot32(acc[r][t], ax[t], x[t], w, ones);
  }
}

template <uint32_t R, uint32_t T>
SINKQ_INLINE void store(__m256i (&acc)[R][T], int32_t* Y, uint32_t rows) {
  for (uint32_t t = 0; t < T; ++t) {
    int32_t* y = Y + size_t{t} * rows;
    if constexpr (R % 4 == 0) {
      for (uint32_t r = 0; r < R; r += 4)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + r),
                         hsum4(acc[r][t], acc[r + 1][t], acc[r + 2][t], acc[r + 3][t]));
    } else {
      for (uint32_t r = 0; r < R; ++r) y[r] = hsum1(acc[r][t]);
    }
  }
}

// Y[t][r] for R rows starting at W and T tokens starting at X; cols >= 32.
// A column tail is one more 32-byte step ending at the row's end, with the
// activation bytes that overlap the previous step zeroed (a zero activation
// contributes nothing whatever the weight), so no load leaves a row.
template <uint32_t R, uint32_t T>
SINKQ_INLINE void tile(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t rows,
                       uint32_t cols) {
  __m256i acc[R][T], x[T];
  for (uint32_t r = 0; r < R; ++r)
    for (uint32_t t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_si256();
  uint32_t j = 0;
  for (; j + 32 <= cols; j += 32) {
    for (uint32_t t = 0; t < T; ++t) x[t] = loadu(X + size_t{t} * cols + j);
    step(acc, x, W + j, cols);
  }
  if (j < cols) {
    const __m256i keep = loadu(kTailMask + (cols - j));
    for (uint32_t t = 0; t < T; ++t)
      x[t] = _mm256_and_si256(loadu(X + size_t{t} * cols + cols - 32), keep);
    step(acc, x, W + cols - 32, cols);
  }
  store(acc, Y, rows);
}

// All n tokens against R rows (one row block), tokens in tiles of 2.
template <uint32_t R>
inline void row_block(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
                      uint32_t cols) {
  uint32_t t = 0;
  for (; t + 2 <= n; t += 2)
    tile<R, 2>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
  if (t < n) tile<R, 1>(W, X + size_t{t} * cols, Y + size_t{t} * rows, rows, cols);
}

// Rows shorter than one vector: each goes through a zero-padded copy.
void gemm_narrow(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
                 uint32_t cols) {
  for (uint32_t t = 0; t < n; ++t) {
    alignas(32) int8_t xb[32] = {0};
    memcpy(xb, X + size_t{t} * cols, cols);
    const __m256i x[1] = {loadu(xb)};
    for (uint32_t r = 0; r < rows; ++r) {
      alignas(32) int8_t wb[32] = {0};
      memcpy(wb, W + size_t{r} * cols, cols);
      __m256i acc[1][1] = {{_mm256_setzero_si256()}};
      step(acc, x, wb, 32);
      store(acc, Y + size_t{t} * rows + r, rows);
    }
  }
}

// Decode: eight rows per pass keep eight weight streams in flight.
__attribute__((noinline)) void gemv(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t rows,
                                    uint32_t cols) {
  uint32_t r = 0;
  for (; r + 8 <= rows; r += 8) tile<8, 1>(W + size_t{r} * cols, X, Y + r, rows, cols);
  for (; r + 4 <= rows; r += 4) tile<4, 1>(W + size_t{r} * cols, X, Y + r, rows, cols);
  for (; r < rows; ++r) tile<1, 1>(W + size_t{r} * cols, X, Y + r, rows, cols);
}

__attribute__((noinline)) void gemm(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n,
                                    uint32_t rows, uint32_t cols) {
  uint32_t r = 0;
  for (; r + 4 <= rows; r += 4) row_block<4>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
  for (; r < rows; ++r) row_block<1>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
}

}  // namespace

void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  if (cols < 32) return gemm_narrow(W, X, Y, n, rows, cols);
  if (n == 1) return gemv(W, X, Y, rows, cols);
  gemm(W, X, Y, n, rows, cols);
}

const char* family() { return "avx2"; }

}  // namespace kernels
}  // namespace sinkq
