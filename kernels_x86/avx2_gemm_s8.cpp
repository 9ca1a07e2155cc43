// int8 GEMM/GEMV for AVX2 (the "avx2" family; compiled with -mavx2 only).
//
// vpmaddubsw multiplies unsigned by signed bytes, so the signed product w * x
// is formed as |x| * sign(w, x): vpabsb turns x = -128 into the unsigned 128,
// and vpsignb negates w where x < 0 (w = -127..127 never overflows). Each int16
// pair sum is at most 2 * 128 * 127 = 32512, so vpmaddubsw never saturates and
// vpmaddwd against ones widens the pairs to exact int32 sums (kernels.h).
//
// Tiles of kRows weight rows by kTokens activation rows: one pass over a
// weight row block serves every token tile, so decode (n = 1) streams the
// weights exactly once and prefill reuses each loaded block from L1 for all n
// tokens. Column tails shorter than 32 go through zero-padded copies (zeros
// add nothing), since AVX2 has no byte-masked load.
#include <immintrin.h>
#include <string.h>

#include "sinkq/kernels.h"

namespace sinkq {
namespace kernels {
namespace {

constexpr uint32_t kRows = 4;

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

inline __m256i load_tail(const int8_t* p, uint32_t n) {
  alignas(32) int8_t buf[32] = {0};
  memcpy(buf, p, n);
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
}

// Y[t][r] for R rows starting at W and T tokens starting at X.
template <uint32_t R, uint32_t T>
inline void tile(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t rows, uint32_t cols) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[R][T];
  for (uint32_t r = 0; r < R; ++r)
    for (uint32_t t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_si256();
  const uint32_t body = cols & ~31u;
  for (uint32_t j = 0; j < body; j += 32) {
    __m256i x[T], ax[T];
    for (uint32_t t = 0; t < T; ++t) {
      x[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(X + size_t{t} * cols + j));
      ax[t] = _mm256_abs_epi8(x[t]);
    }
    for (uint32_t r = 0; r < R; ++r) {
      const __m256i w =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(W + size_t{r} * cols + j));
      for (uint32_t t = 0; t < T; ++t) acc[r][t] = dot32(acc[r][t], ax[t], x[t], w, ones);
    }
  }
  if (body < cols) {
    const uint32_t tail = cols - body;
    __m256i x[T], ax[T];
    for (uint32_t t = 0; t < T; ++t) {
      x[t] = load_tail(X + size_t{t} * cols + body, tail);
      ax[t] = _mm256_abs_epi8(x[t]);
    }
    for (uint32_t r = 0; r < R; ++r) {
      const __m256i w = load_tail(W + size_t{r} * cols + body, tail);
      for (uint32_t t = 0; t < T; ++t) acc[r][t] = dot32(acc[r][t], ax[t], x[t], w, ones);
    }
  }
  for (uint32_t t = 0; t < T; ++t) {
    int32_t* y = Y + size_t{t} * rows;
    if constexpr (R == 4) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y),
                       hsum4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
    } else {
      for (uint32_t r = 0; r < R; ++r) y[r] = hsum1(acc[r][t]);
    }
  }
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

}  // namespace

void gemm_s8(const int8_t* W, const int8_t* X, int32_t* Y, uint32_t n, uint32_t rows,
             uint32_t cols) {
  uint32_t r = 0;
  for (; r + kRows <= rows; r += kRows)
    row_block<kRows>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
  for (; r < rows; ++r) row_block<1>(W + size_t{r} * cols, X, Y + r, n, rows, cols);
}

const char* family() { return "avx2"; }

}  // namespace kernels
}  // namespace sinkq
